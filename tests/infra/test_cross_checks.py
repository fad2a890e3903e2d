"""infra/ against the code it deploys: handler, runtime, environment, table layout, IAM and log group.

The HCL is read with python-hcl2 and the code with `ast`, so neither side keeps a hand-made list.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from table import EMAIL_PREFIX, EMAIL_SORT_KEY, LISTING_PARTITION, TABLE_DEFINITION, USER_PREFIX, USER_SORT_KEY

from flask_lambda import package
from lambda_wsgi import settings
from lambda_wsgi.settings import Settings
from tests.conftest import LAYER_DIR, ROOT
from tests.infra import code_facts
from tests.infra.hcl import Configuration, block, configuration_files, load, references, resolve

API_DIR = ROOT / "api"


@pytest.fixture(scope="module")
def config() -> Configuration:
    return load()


@pytest.fixture(scope="module")
def function(config: Configuration) -> dict[str, Any]:
    return config.resource("aws_lambda_function", "api")


@pytest.fixture(scope="module")
def layer(config: Configuration) -> dict[str, Any]:
    return config.resource("aws_lambda_layer_version", "flask")


def _variable_choices(config: Configuration, name: str) -> set[str]:
    """The values a `contains([...], var.name)` validation allows."""
    condition = str(block(config.variables[name], "validation")["condition"])
    match = re.search(r"contains\(\[([^\]]*)\]", condition)
    assert match, f"variable {name} has no contains([...]) validation: {condition}"
    return set(re.findall(r'"([^"]+)"', match.group(1)))


def _top_level_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {target.id for target in node.targets if isinstance(target, ast.Name)}
    return names


def test_handler_is_the_layers_entry_point(config: Configuration, function: dict[str, Any]) -> None:
    handler = resolve(config, function["handler"])
    module, _, attribute = handler.partition(".")
    path = LAYER_DIR / f"{module}.py"
    assert path.is_file(), f"handler {handler}: the layer has no {module}.py"
    assert attribute in _top_level_names(path), f"handler {handler}: {path.name} defines no {attribute}"


def test_runtime_matches_the_build_target(
    config: Configuration, function: dict[str, Any], layer: dict[str, Any]
) -> None:
    target = package.PYTHON_VERSION
    version = ".".join(map(str, target)) if isinstance(target, tuple) else str(target)
    runtime = resolve(config, function["runtime"])
    assert runtime == f"python{version}", "the function's runtime is not the Python the zips are built for"
    assert [resolve(config, item) for item in layer["compatible_runtimes"]] == [runtime]
    build_script = (ROOT / "build.sh").read_text(encoding="utf-8")
    assert f'PYTHON_VERSION="{version}"' in build_script


def test_architecture_matches_the_build_target(
    config: Configuration, function: dict[str, Any], layer: dict[str, Any]
) -> None:
    assert function["architectures"] == ["${var.architecture}"]
    assert layer["compatible_architectures"] == ["${var.architecture}"]
    assert function["layers"] == ["${aws_lambda_layer_version.flask.arn}"]
    assert _variable_choices(config, "architecture") == set(package.ARCHITECTURES)
    # `./build.sh package` without --arch builds what `terraform apply` without variables deploys.
    assert config.variables["architecture"]["default"] == package.parse_args([]).arch


def _code_environment_variables() -> set[str]:
    """The function's variables, read from its source, and the layer's, which its settings module lists."""
    read = code_facts.environment_variables(code_facts.read_sources(API_DIR.glob("*.py")))
    return read | set(settings.VARIABLES)


def _terraform_environment_variables(config: Configuration, function: dict[str, Any]) -> set[str]:
    variables = block(function, "environment")["variables"]
    if isinstance(variables, dict):
        return set(variables)
    # A for-expression over a local map (to leave out null values): the names are that map's keys.
    locals_used = {reference.split(".")[1] for reference in references(variables) if reference.startswith("local.")}
    assert len(locals_used) == 1, f"cannot tell the environment's names from {variables}"
    environment = config.locals[locals_used.pop()]
    assert isinstance(environment, dict), environment
    return set(environment)


def test_environment_names_are_what_the_code_reads(config: Configuration, function: dict[str, Any]) -> None:
    read = {name for name in _code_environment_variables() if not code_facts.is_runtime_variable(name)}
    assert {"USERS_TABLE", "PAGE_TOKEN_KEY"} <= read, f"the code reading went wrong: {read}"
    provided = _terraform_environment_variables(config, function)
    assert not {name for name in provided if code_facts.is_runtime_variable(name)}, "Lambda reserves these"
    assert provided == read, f"set in Terraform only: {provided - read}; read by the code only: {read - provided}"


def test_function_access_line_is_off_unless_asked_for(config: Configuration) -> None:
    variable = config.variables["function_access_log"]
    assert (variable["type"], variable["default"], variable["nullable"]) == ("bool", False, False)
    # false leaves the variable out (null values are dropped), true sets a value the layer turns on with.
    setting = config.locals["function_environment"]["LAMBDA_WSGI_ACCESS_LOG"]
    assert setting == '${var.function_access_log ? "on" : null}'
    assert Settings.from_environ({"LAMBDA_WSGI_ACCESS_LOG": "on"}).access_log
    assert not Settings.from_environ({}).access_log, "unset, the layer's access line must be off"


def _table_definition_from_hcl(table: dict[str, Any]) -> dict[str, Any]:
    """The aws_dynamodb_table resource in CreateTable's terms, like api/table.py's TABLE_DEFINITION."""

    def key_schema(body: dict[str, Any]) -> list[dict[str, str]]:
        schema = [{"AttributeName": body["hash_key"], "KeyType": "HASH"}]
        if "range_key" in body:
            schema.append({"AttributeName": body["range_key"], "KeyType": "RANGE"})
        return schema

    definition: dict[str, Any] = {
        "AttributeDefinitions": [
            {"AttributeName": attribute["name"], "AttributeType": attribute["type"]} for attribute in table["attribute"]
        ],
        "KeySchema": key_schema(table),
        "BillingMode": table["billing_mode"],
    }
    indexes = [
        {
            "IndexName": index["name"],
            "KeySchema": key_schema(index),
            "Projection": {"ProjectionType": index["projection_type"]},
        }
        for index in table.get("global_secondary_index", [])
    ]
    if indexes:
        definition["GlobalSecondaryIndexes"] = indexes
    if "local_secondary_index" in table:
        definition["LocalSecondaryIndexes"] = table["local_secondary_index"]
    return definition


def _normalised(definition: dict[str, Any]) -> dict[str, Any]:
    """Order-free where DynamoDB does not care about order (attribute definitions, indexes)."""
    result = dict(definition)
    result["AttributeDefinitions"] = sorted(definition["AttributeDefinitions"], key=lambda a: a["AttributeName"])
    if "GlobalSecondaryIndexes" in definition:
        result["GlobalSecondaryIndexes"] = sorted(definition["GlobalSecondaryIndexes"], key=lambda i: i["IndexName"])
    return result


def test_table_layout_is_table_definition(config: Configuration) -> None:
    table = config.resource("aws_dynamodb_table", "users")
    assert _normalised(_table_definition_from_hcl(table)) == _normalised(TABLE_DEFINITION)
    assert block(table, "point_in_time_recovery")["enabled"] is True
    assert block(table, "server_side_encryption")["enabled"] is True
    assert table["deletion_protection_enabled"] == "${var.table_deletion_protection}"


def test_storage_takes_its_key_names_from_the_table_definition() -> None:
    """The storage module takes key names and item keys from api/table.py, never spelling them itself."""
    storage = API_DIR / "storage.py"
    tree = ast.parse(storage.read_text(encoding="utf-8"))
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "table"
        for alias in node.names
    }
    assert {"PARTITION_KEY", "SORT_KEY", "user_key", "listing_key", "address_key", "LISTING_PARTITION"} <= imported
    table_names = {attribute["AttributeName"] for attribute in TABLE_DEFINITION["AttributeDefinitions"]}
    table_names |= {index["IndexName"] for index in TABLE_DEFINITION.get("GlobalSecondaryIndexes", [])}
    table_names |= {USER_PREFIX, USER_SORT_KEY, EMAIL_PREFIX, EMAIL_SORT_KEY, LISTING_PARTITION}
    literals = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    assert not table_names & literals, f"storage.py spells out table names itself: {table_names & literals}"


def _statements(config: Configuration) -> list[dict[str, Any]]:
    document = config.data["aws_iam_policy_document"]["function"]
    statements: list[dict[str, Any]] = []
    for statement in document["statement"]:
        actions = resolve(config, statement["actions"])
        assert isinstance(actions, list), f"statement {statement.get('sid')}: actions must be a list: {actions}"
        statements.append({**statement, "actions": actions})
    return statements


def test_role_policy_is_the_function_policy(config: Configuration) -> None:
    policies = config.resources.get("aws_iam_role_policy", {})
    attachments = config.resources.get("aws_iam_role_policy_attachment", {})
    assert not attachments, "no managed policies: the role gets exactly the inline policy"
    assert list(policies) == ["function"]
    assert policies["function"]["policy"] == "${data.aws_iam_policy_document.function.json}"
    assert policies["function"]["role"] == "${aws_iam_role.function.id}"


def test_iam_dynamodb_actions_are_the_calls_the_code_makes(config: Configuration) -> None:
    use = code_facts.dynamodb_use(code_facts.read_sources(API_DIR.glob("*.py")))
    needed = use.iam_actions()
    assert needed, "found no DynamoDB call in api/: the code reader is broken"
    granted = {
        action for statement in _statements(config) for action in statement["actions"] if action.startswith("dynamodb:")
    }
    assert granted == needed, f"granted but not called: {granted - needed}; called but not granted: {needed - granted}"


def test_iam_grants_no_wildcards_and_only_own_resources(config: Configuration) -> None:
    for statement in _statements(config):
        assert statement.get("effect", "Allow") == "Allow"
        assert "not_actions" not in statement
        assert "not_resources" not in statement
        assert not any("*" in action for action in statement["actions"]), statement
        services = {action.split(":")[0] for action in statement["actions"]}
        assert len(services) == 1, f"one service per statement: {statement['actions']}"
        service = services.pop()
        resources = statement["resources"]
        if service == "xray":
            # X-Ray's trace upload has no resource-level permissions.
            assert set(statement["actions"]) == {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
            assert resources == ["*"]
        elif service == "logs":
            assert resources == ["${aws_cloudwatch_log_group.function.arn}:*"]
            assert set(statement["actions"]) == {"logs:CreateLogStream", "logs:PutLogEvents"}
        elif service == "dynamodb":
            # The table has no index: its own ARN is the only resource, for every action.
            assert resources == ["${aws_dynamodb_table.users.arn}"]
        else:
            pytest.fail(f"the function's role should not need {service}: {statement}")


def test_invoke_policy_allows_calling_this_apis_routes_only(config: Configuration) -> None:
    """AWS_IAM: one statement, execute-api:Invoke, one ARN per route under this API's own execution ARN."""
    document = config.data["aws_iam_policy_document"]["invoke"]
    assert document["count"] == '${var.authorization == "AWS_IAM" ? 1 : 0}'
    (statement,) = document["statement"]
    assert statement.get("effect", "Allow") == "Allow"
    assert statement["actions"] == ["execute-api:Invoke"]
    assert not {"not_actions", "not_resources", "principals", "condition"} & set(statement)
    # The execution ARN carries the partition, region, account and API id AWS gave; the routes add stage, method and
    # path (test_authorization evaluates route_invoke_paths, test_deploy reads the deployed policy back).
    expected = '${[for path in local.route_invoke_paths : "${aws_apigatewayv2_api.http.execution_arn}/${path}"]}'
    assert statement["resources"] == expected
    assert references(config.locals["route_invoke_paths"]) == {"var.routes", "local.stage_name"}
    policy = config.resource("aws_iam_policy", "invoke")
    assert policy["count"] == document["count"]
    assert policy["policy"] == "${data.aws_iam_policy_document.invoke[0].json}"
    # Terraform attaches it to no one: the deployer chooses who may call the API.
    for kind in ("policy_attachment", "user_policy_attachment", "group_policy_attachment", "role_policy_attachment"):
        assert not config.resources.get(f"aws_iam_{kind}"), kind


def test_no_partition_account_or_region_is_spelled_out() -> None:
    for path in configuration_files():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"arn:aws", text), f"{path.name}: an ARN with a fixed partition"
        assert not re.search(r"(?<![0-9])[0-9]{12}(?![0-9])", text), f"{path.name}: an account id"


def test_routes_use_the_authorization_variable(config: Configuration) -> None:
    route = config.resource("aws_apigatewayv2_route", "function")
    assert route["authorization_type"] == "${var.authorization}"
    assert route["authorizer_id"] == '${var.authorization == "JWT" ? aws_apigatewayv2_authorizer.jwt[0].id : null}'
    assert config.variables["authorization"]["default"] == "AWS_IAM"
    assert _variable_choices(config, "authorization") == {"AWS_IAM", "JWT", "NONE"}
    authorizer = config.resource("aws_apigatewayv2_authorizer", "jwt")
    assert authorizer["authorizer_type"] == "JWT"
    assert authorizer["identity_sources"] == ["$request.header.Authorization"]
    jwt = block(authorizer, "jwt_configuration")
    assert (jwt["issuer"], jwt["audience"]) == ("${var.jwt_issuer}", "${var.jwt_audience}")


def test_function_log_group_is_the_one_lambda_writes_to(config: Configuration, function: dict[str, Any]) -> None:
    log_group = config.resource("aws_cloudwatch_log_group", "function")
    function_name = resolve(config, function["function_name"])
    assert resolve(config, log_group["name"]) == f"/aws/lambda/{function_name}"
    assert block(function, "logging_config")["log_group"] == "${aws_cloudwatch_log_group.function.name}"
    assert block(function, "logging_config")["log_format"] == "JSON"
    assert log_group["retention_in_days"] == "${var.log_retention_days}"


def test_function_is_published_traced_and_served_through_its_alias(
    config: Configuration, function: dict[str, Any]
) -> None:
    assert function["publish"] is True
    assert block(function, "tracing_config")["mode"] == "Active"
    alias = config.resource("aws_lambda_alias", "live")
    assert resolve(config, alias["name"]) == "live"
    integration = config.resource("aws_apigatewayv2_integration", "function")
    assert integration["integration_uri"] == "${aws_lambda_alias.live.invoke_arn}"
    assert integration["payload_format_version"] == "2.0"
    permission = config.resource("aws_lambda_permission", "api")
    assert permission["qualifier"] == "${aws_lambda_alias.live.name}"
    assert permission["source_arn"].startswith("${aws_apigatewayv2_api.http.execution_arn}/")


def test_api_routes_reach_every_view(config: Configuration) -> None:
    route_keys = config.variables["routes"]["default"]
    views = code_facts.flask_routes(API_DIR / "routes.py")
    assert views, "found no view in api/routes.py"
    for method, path in views:
        sample = code_facts.sample_path(path)
        assert any(code_facts.route_matches(key, method, sample) for key in route_keys), (
            f"no API route for {method} {path}"
        )


def test_api_routes_are_the_views_methods(config: Configuration) -> None:
    """Each default route names a method that a view serves on its path: no ANY, which would also catch CORS
    preflights, and no route (so no invoke permission) for what the code does not serve."""
    views = code_facts.flask_routes(API_DIR / "routes.py")
    for key in config.variables["routes"]["default"]:
        method = key.partition(" ")[0]
        assert method not in {"ANY", "OPTIONS", "$default"}, f"route {key}: name the method"
        assert any(
            code_facts.route_matches(key, view_method, code_facts.sample_path(view)) and view_method == method
            for view_method, view in views
        ), f"route {key} reaches no {method} view of api/routes.py"


# The variables the deployment promises to validate (the rest take any value of their type).
VALIDATED = (
    "region",
    "authorization",
    "jwt_issuer",
    "jwt_audience",
    "jwt_route_scopes",
    "name_prefix",
    "architecture",
    "memory_size",
    "timeout",
    "log_retention_days",
    "log_level",
    "throttling_burst_limit",
    "throttling_rate_limit",
    "cors_allow_origins",
    "reserved_concurrency",
    "page_token_key",
    "routes",
)


def test_every_variable_is_typed_described_and_validated(config: Configuration) -> None:
    for name, variable in config.variables.items():
        assert variable.get("type"), f"variable {name} has no type"
        assert len(variable.get("description", "")) > 20, f"variable {name} has no description"
    for name in VALIDATED:
        assert "validation" in config.variables[name], f"variable {name} is not validated"
    assert config.variables["page_token_key"].get("sensitive") is True
    for name, output in config.outputs.items():
        assert output.get("description"), f"output {name} has no description"
    assert {"api_url", "curl_example", "function_name", "function_alias", "table_name", "layer_arn"} <= set(
        config.outputs
    )
