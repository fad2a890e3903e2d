"""Object-level authorization: a user can be changed or deleted by whoever created it, and by administrators.

The caller is who the layer says (REMOTE_USER: a JWT's subject, an IAM caller's ARN). Administrators hold the
admin scope; a deployment that trusts all its callers (USERS_TRUSTED_CALLERS=true) lets anyone change anyone; without
an authorizer there is nobody to tell apart, and everyone may, as before.
"""

from __future__ import annotations

from typing import Any

import access
import pytest
import routes

from tests.api.conftest import EVENT_SUBJECT, TABLE_NAME, Api, iam_caller, jwt_caller
from tests.api.stored import raw_items

ADA = jwt_caller("ada")
EVE = jwt_caller("eve")
ADMIN = jwt_caller("root", ["users:read", "users:admin"])
FORBIDDEN = {"message": "only the user's creator or an administrator may change or delete it"}


def set_policy(api: Api, monkeypatch: pytest.MonkeyPatch, policy: access.Policy) -> None:
    monkeypatch.setitem(api.handler.app.extensions, routes.ACCESS_EXTENSION, policy)


def refused(reply: Any) -> bool:
    return bool(reply.status == 403 and reply.json() == FORBIDDEN)


def test_only_the_creator_changes_or_deletes_a_user(api: Api, dynamodb: Any) -> None:
    user = api.as_caller(ADA).create("Ada", "ada@example.com")
    path = f"/users/{user['id']}"
    eve = api.as_caller(EVE)
    before = raw_items(dynamodb)

    assert refused(eve.patch(path, {"name": "Eve"}))
    assert refused(eve.patch(path, {}))  # changing nothing is still changing someone else's user
    assert refused(eve.delete(path))
    assert raw_items(dynamodb) == before
    assert eve.get(path).json() == user  # reading is for everyone

    changed = api.as_caller(ADA).patch(path, {"name": "Ada Lovelace", "email": "countess@example.com"})
    assert changed.status == 200
    # The owner survives the change (a PATCH rewrites the whole item), so the others are still refused.
    assert refused(eve.patch(path, {"name": "Eve"}))
    assert api.as_caller(ADA).delete(path).status == 204


def test_iam_callers_are_told_apart_by_their_arn(api: Api) -> None:
    role = iam_caller("arn:aws:iam::123456789012:role/deployer")
    other = iam_caller("arn:aws:iam::123456789012:user/ops")
    user = api.as_caller(role).create("Ada", "ada@example.com")
    path = f"/users/{user['id']}"
    assert refused(api.as_caller(other).patch(path, {"name": "X"}))
    assert api.as_caller(role).patch(path, {"name": "Y"}).status == 200
    assert api.as_caller(role).delete(path).status == 204


def test_the_admin_scope_may_change_anyones_user(api: Api) -> None:
    user = api.as_caller(ADA).create("Ada", "ada@example.com")
    path = f"/users/{user['id']}"
    admin = api.as_caller(ADMIN)
    assert admin.patch(path, {"name": "Renamed"}).status == 200
    # The scope may also come only in the token's scope claim (API Gateway lists scopes for scoped routes alone).
    claimed = api.as_caller(jwt_caller("root", None, scope="openid users:admin"))
    assert claimed.patch(path, {"name": "Renamed again"}).status == 200
    assert refused(api.as_caller(jwt_caller("eve", ["users:admins", "admin"])).patch(path, {"name": "X"}))
    assert refused(api.as_caller(jwt_caller("eve", None, scope="users:admin:x")).patch(path, {"name": "X"}))
    assert admin.delete(path).status == 204


def test_the_admin_scope_is_configurable(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    set_policy(api, monkeypatch, access.Policy(admin_scope="https://example.com/users.admin", trusted_callers=False))
    user = api.as_caller(ADA).create("Ada", "ada@example.com")
    path = f"/users/{user['id']}"
    assert refused(api.as_caller(ADMIN).patch(path, {"name": "X"}))
    assert api.as_caller(jwt_caller("root", ["https://example.com/users.admin"])).delete(path).status == 204


def test_trusted_callers_may_change_anyones_user(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    set_policy(api, monkeypatch, access.Policy(admin_scope=access.DEFAULT_ADMIN_SCOPE, trusted_callers=True))
    user = api.as_caller(iam_caller("arn:aws:iam::123456789012:role/a")).create("Ada", "ada@example.com")
    path = f"/users/{user['id']}"
    other = api.as_caller(iam_caller("arn:aws:iam::123456789012:role/b"))
    assert other.patch(path, {"name": "Changed"}).status == 200
    assert other.delete(path).status == 204


def test_without_an_authorizer_everyone_may_change_every_user(api: Api, dynamodb: Any) -> None:
    anonymous = api.as_caller({})
    user = anonymous.create("Ada", "ada@example.com")
    path = f"/users/{user['id']}"
    assert anonymous.patch(path, {"name": "Changed"}).status == 200
    # Nobody is recorded as its creator: once the API has an authorizer, only administrators change it.
    [stored] = [item for item in raw_items(dynamodb) if item["pk"]["S"] == f"USER#{user['id']}"]
    assert "createdBy" not in stored
    assert refused(api.as_caller(ADA).patch(path, {"name": "Mine"}))
    assert api.as_caller(ADMIN).patch(path, {"name": "Admin's"}).status == 200
    assert anonymous.delete(path).status == 204


def test_users_created_before_owners_were_recorded_are_for_administrators(api: Api, dynamodb: Any) -> None:
    user = api.as_caller(ADA).create("Ada", "ada@example.com")
    path = f"/users/{user['id']}"
    for item in raw_items(dynamodb):  # as stored before this API recorded creators
        if "createdBy" in item:
            del item["createdBy"]
            dynamodb.put_item(TableName=TABLE_NAME, Item=item)
    assert refused(api.as_caller(ADA).patch(path, {"name": "X"}))
    assert refused(api.as_caller(ADA).delete(path))
    assert api.as_caller(ADMIN).patch(path, {"name": "Admin's"}).status == 200
    assert api.as_caller({}).patch(path, {"name": "Anyone's"}).status == 200  # no authorizer: as before


def test_a_token_without_a_subject_is_nobodys_creator(api: Api) -> None:
    """An authorizer that vouches for a caller without naming it: the caller owns nothing, and is no anonymous."""
    user = api.as_caller(ADA).create("Ada", "ada@example.com")
    path = f"/users/{user['id']}"
    nameless = api.as_caller(jwt_caller(None, None, client_id="machine"))
    assert refused(nameless.patch(path, {"name": "X"}))
    created = nameless.create("Nameless", "nameless@example.com")
    assert refused(nameless.delete(f"/users/{created['id']}"))


def test_the_creator_is_not_a_field_clients_set(api: Api) -> None:
    user = api.as_caller(ADA).create("Ada", "ada@example.com")
    for field in ("createdBy", "owner"):
        reply = api.as_caller(EVE).post("/users", {"name": "Eve", "email": "eve@example.com", field: "ada"})
        assert reply.status == 400
        assert reply.json()["errors"] == {field: "is not a known field"}
        reply = api.as_caller(ADA).patch(f"/users/{user['id']}", {field: "eve"})
        assert reply.status == 400
        assert reply.json()["errors"] == {field: "is not a known field"}
    # Nor is it shown: a user is exactly its five public fields.
    assert set(api.get(f"/users/{user['id']}").json()) == {"id", "name", "email", "createdAt", "updatedAt"}


def test_the_events_own_caller_owns_what_it_creates(api: Api) -> None:
    """The other tests' requests carry the example event's JWT, whose subject owns what they create."""
    user = api.create("Ada", "ada@example.com")
    assert api.as_caller(jwt_caller(EVENT_SUBJECT)).delete(f"/users/{user['id']}").status == 204


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.delenv(access.ADMIN_SCOPE_VARIABLE, raising=False)
    monkeypatch.delenv(access.TRUSTED_CALLERS_VARIABLE, raising=False)
    return monkeypatch


def test_the_policy_comes_from_the_environment(environment: pytest.MonkeyPatch) -> None:
    assert access.Policy.from_environment() == access.Policy(admin_scope="users:admin", trusted_callers=False)
    environment.setenv(access.ADMIN_SCOPE_VARIABLE, "api/users.admin")
    environment.setenv(access.TRUSTED_CALLERS_VARIABLE, "true")
    assert access.Policy.from_environment() == access.Policy(admin_scope="api/users.admin", trusted_callers=True)
    environment.setenv(access.TRUSTED_CALLERS_VARIABLE, "false")
    assert not access.Policy.from_environment().trusted_callers
    environment.setenv(access.ADMIN_SCOPE_VARIABLE, "")
    assert access.Policy.from_environment().admin_scope is None  # no scope makes an administrator


@pytest.mark.parametrize("value", ["yes", "1", "TRUE ", "on"])
def test_an_unclear_trusted_callers_setting_stops_the_app(environment: pytest.MonkeyPatch, value: str) -> None:
    environment.setenv(access.TRUSTED_CALLERS_VARIABLE, value)
    with pytest.raises(RuntimeError, match=r"^USERS_TRUSTED_CALLERS must be"):
        access.Policy.from_environment()
