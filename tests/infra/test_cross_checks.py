"""infra/ and its module against the code they deploy: handler, runtime, environment, table layout, IAM and log group.

The function's resources live in the module (infra/modules/flask-function); infra/ calls it with the users API's
routes, environment and policy statements, and holds the table. The HCL is read with python-hcl2 and the code with
`ast`, so neither side keeps a hand-made list.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from table import (
    EMAIL_PREFIX,
    EMAIL_SORT_KEY,
    LISTING_PARTITION,
    TABLE_DEFINITION,
    TIME_TO_LIVE,
    TTL_ATTRIBUTE,
    USER_PREFIX,
    USER_SORT_KEY,
)

from flask_lambda import package
from lambda_wsgi import settings
from lambda_wsgi.settings import Settings
from tests.conftest import LAYER_DIR, ROOT
from tests.infra import code_facts
from tests.infra.hcl import MODULE_DIR, Configuration, all_configuration_files, block, load, references, resolve

API_DIR = ROOT / "api"


@pytest.fixture(scope="module")
def config() -> Configuration:
    """infra/: the deployment of the users API."""
    return load()


@pytest.fixture(scope="module")
def module() -> Configuration:
    """infra/modules/flask-function: the function and everything that serves it."""
    return load(MODULE_DIR)


@pytest.fixture(scope="module")
def call(config: Configuration) -> dict[str, Any]:
    """The arguments infra/ passes to the module."""
    arguments = config.module("function")
    assert arguments["source"] == "./modules/flask-function"
    return arguments


@pytest.fixture(scope="module")
def function(module: Configuration) -> dict[str, Any]:
    return module.resource("aws_lambda_function", "this")


@pytest.fixture(scope="module")
def layer(module: Configuration) -> dict[str, Any]:
    return module.resource("aws_lambda_layer_version", "this")


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


def test_handler_is_the_layers_entry_point(module: Configuration, function: dict[str, Any]) -> None:
    handler = resolve(module, function["handler"])
    module, _, attribute = handler.partition(".")
    path = LAYER_DIR / f"{module}.py"
    assert path.is_file(), f"handler {handler}: the layer has no {module}.py"
    assert attribute in _top_level_names(path), f"handler {handler}: {path.name} defines no {attribute}"


def test_runtime_matches_the_build_target(
    module: Configuration, function: dict[str, Any], layer: dict[str, Any]
) -> None:
    target = package.PYTHON_VERSION
    version = ".".join(map(str, target)) if isinstance(target, tuple) else str(target)
    runtime = resolve(module, function["runtime"])
    assert runtime == f"python{version}", "the function's runtime is not the Python the zips are built for"
    assert [resolve(module, item) for item in layer["compatible_runtimes"]] == [runtime]
    build_script = (ROOT / "build.sh").read_text(encoding="utf-8")
    assert f'PYTHON_VERSION="{version}"' in build_script


def test_architecture_matches_the_build_target(
    config: Configuration, module: Configuration, call: dict[str, Any], function: dict[str, Any], layer: dict[str, Any]
) -> None:
    assert function["architectures"] == ["${var.architecture}"]
    assert layer["compatible_architectures"] == ["${var.architecture}"]
    # The layer the module publishes from layer_zip, which infra/ passes (or a layer_arn published elsewhere).
    assert function["layers"] == ["${local.layer_arn}"]
    assert (
        module.locals["layer_arn"] == "${var.layer_zip != null ? aws_lambda_layer_version.this[0].arn : var.layer_arn}"
    )
    assert call["layer_zip"] == "${local.layer_zip}"
    assert "layer_arn" not in call
    assert _variable_choices(module, "architecture") == set(package.ARCHITECTURES)
    assert call["architecture"] == "${var.architecture}"
    # `./build.sh package` without --arch builds what `terraform apply` without variables deploys, and what the
    # module deploys by default.
    assert config.variables["architecture"]["default"] == package.parse_args([]).arch
    assert module.variables["architecture"]["default"] == package.parse_args([]).arch


def _code_environment_variables() -> set[str]:
    """The function's variables, read from its source, and the layer's, which its settings module lists."""
    read = code_facts.environment_variables(code_facts.read_sources(API_DIR.glob("*.py")))
    return read | set(settings.VARIABLES)


def _terraform_environment_variables(
    config: Configuration, module: Configuration, call: dict[str, Any], function: dict[str, Any]
) -> set[str]:
    """The names the function's environment can hold: the layer's settings (the module's typed variables) and the
    variables infra/ passes as `environment`."""
    (dynamic,) = [entry["environment"] for entry in function["dynamic"] if "environment" in entry]
    assert dynamic["for_each"] == "${local.has_environment ? [local.function_environment] : []}"
    assert dynamic["content"] == [{"variables": "${environment.value}"}]
    # Null values left out, the caller's variables and the layer's settings merged.
    merged = module.locals["function_environment"]
    assert "merge(var.environment, local.layer_settings)" in merged, merged
    assert "if value != null" in merged, merged
    settings_names = module.locals["layer_settings"]
    passed = resolve(config, call["environment"])
    assert isinstance(settings_names, dict), settings_names
    assert isinstance(passed, dict), passed
    assert not set(settings_names) & set(passed), "the layer's settings have variables of their own"
    return set(settings_names) | set(passed)


def test_environment_names_are_what_the_code_reads(
    config: Configuration, module: Configuration, call: dict[str, Any], function: dict[str, Any]
) -> None:
    read = {name for name in _code_environment_variables() if not code_facts.is_runtime_variable(name)}
    assert {"USERS_TABLE", "PAGE_TOKEN_KEY"} <= read, f"the code reading went wrong: {read}"
    provided = _terraform_environment_variables(config, module, call, function)
    assert not {name for name in provided if code_facts.is_runtime_variable(name)}, "Lambda reserves these"
    assert provided == read, f"set in Terraform only: {provided - read}; read by the code only: {read - provided}"


def test_streaming_starts_the_layers_runtime_loop(module: Configuration) -> None:
    """response_streaming sets Lambda's exec wrapper to where the layer's loop starts, and the stream kind the
    function URL sends; off, it sets neither."""
    assert "local.lambda_settings" in module.locals["function_environment"]
    wrapper = module.locals["lambda_settings"]["AWS_LAMBDA_EXEC_WRAPPER"]
    assert wrapper == f'${{var.response_streaming ? "{settings.EXEC_WRAPPER}" : null}}'
    assert set(module.locals["lambda_settings"]) == {"AWS_LAMBDA_EXEC_WRAPPER"}
    stream = module.locals["layer_settings"][settings.STREAM_VARIABLE]
    assert stream == '${var.response_streaming ? "function-url" : null}'
    assert "function-url" in settings.STREAMABLE
    assert Settings.from_environ({settings.STREAM_VARIABLE: "function-url"}).stream == {"function-url"}


def test_function_access_line_is_off_unless_asked_for(
    config: Configuration, module: Configuration, call: dict[str, Any]
) -> None:
    for configuration in (config, module):
        variable = configuration.variables["function_access_log"]
        assert (variable["type"], variable["default"], variable["nullable"]) == ("bool", False, False)
    assert call["function_access_log"] == "${var.function_access_log}"
    # false leaves the variable out (null values are dropped), true sets a value the layer turns on with.
    setting = module.locals["layer_settings"]["LAMBDA_WSGI_ACCESS_LOG"]
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


def test_the_tables_ttl_is_the_one_the_code_writes(config: Configuration) -> None:
    ttl = block(config.resource("aws_dynamodb_table", "users"), "ttl")
    assert {"AttributeName": ttl["attribute_name"], "Enabled": ttl["enabled"]} == TIME_TO_LIVE
    assert TIME_TO_LIVE == {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}


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


def _statements(config: Configuration, module: Configuration, call: dict[str, Any]) -> list[dict[str, Any]]:
    """The role's statements: the module's own (logs, X-Ray) and those infra/ passes as policy_statements."""
    document = module.data["aws_iam_policy_document"]["function"]
    # The caller's statements go into the document as they are.
    (dynamic,) = document["dynamic"]
    assert dynamic["statement"]["for_each"] == "${var.policy_statements}"
    (content,) = dynamic["statement"]["content"]
    for key in ("sid", "effect", "actions", "resources"):
        assert content[key] == f"${{statement.value.{key}}}", key
    passed = resolve(config, call["policy_statements"])
    assert isinstance(passed, list), passed
    statements: list[dict[str, Any]] = []
    for source, statement in [
        *((module, item) for item in document["statement"]),
        *((config, item) for item in passed),
    ]:
        actions = resolve(source, statement["actions"])
        assert isinstance(actions, list), f"statement {statement.get('sid')}: actions must be a list: {actions}"
        statements.append({**statement, "actions": actions})
    return statements


def test_role_policy_is_the_function_policy(config: Configuration, module: Configuration) -> None:
    policies = module.resources.get("aws_iam_role_policy", {})
    attachments = module.resources.get("aws_iam_role_policy_attachment", {})
    assert not attachments, "no managed policies: the role gets exactly the inline policy"
    assert sorted(policies) == ["scheduler", "this"]
    assert policies["this"]["policy"] == "${data.aws_iam_policy_document.function.json}"
    assert policies["this"]["role"] == "${aws_iam_role.this.id}"
    # The scheduled commands' role, beside the function's: the alias to invoke, nothing else.
    assert policies["scheduler"]["policy"] == "${data.aws_iam_policy_document.scheduler[0].json}"
    assert policies["scheduler"]["role"] == "${aws_iam_role.scheduler[0].id}"
    (statement,) = module.data["aws_iam_policy_document"]["scheduler"]["statement"]
    assert statement["actions"] == ["lambda:InvokeFunction"]
    assert statement["resources"] == ["${aws_lambda_alias.this.arn}"]
    assert not {"not_actions", "not_resources", "principals", "condition", "effect"} & set(statement)
    # infra/ gives the role nothing beside the module's policy.
    assert not [kind for kind in config.resources if kind.startswith("aws_iam_")]


def test_iam_dynamodb_actions_are_the_calls_the_code_makes(
    config: Configuration, module: Configuration, call: dict[str, Any]
) -> None:
    use = code_facts.dynamodb_use(code_facts.read_sources(API_DIR.glob("*.py")))
    needed = use.iam_actions()
    assert needed, "found no DynamoDB call in api/: the code reader is broken"
    granted = {
        action
        for statement in _statements(config, module, call)
        for action in statement["actions"]
        if action.startswith("dynamodb:")
    }
    assert granted == needed, f"granted but not called: {granted - needed}; called but not granted: {needed - granted}"


def test_iam_grants_no_wildcards_and_only_own_resources(
    config: Configuration, module: Configuration, call: dict[str, Any]
) -> None:
    for statement in _statements(config, module, call):
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


def test_invoke_policy_allows_calling_this_apis_routes_only(config: Configuration, module: Configuration) -> None:
    """AWS_IAM: one statement, execute-api:Invoke, one ARN per route under this API's own execution ARN."""
    document = module.data["aws_iam_policy_document"]["invoke"]
    assert document["count"] == '${var.authorization == "AWS_IAM" ? 1 : 0}'
    (statement,) = document["statement"]
    assert statement.get("effect", "Allow") == "Allow"
    assert statement["actions"] == ["execute-api:Invoke"]
    assert not {"not_actions", "not_resources", "principals", "condition"} & set(statement)
    # The execution ARN carries the partition, region, account and API id AWS gave; the routes add stage, method and
    # path (test_authorization evaluates route_invoke_paths, test_deploy reads the deployed policy back).
    expected = '${[for path in local.route_invoke_paths : "${aws_apigatewayv2_api.this.execution_arn}/${path}"]}'
    assert statement["resources"] == expected
    assert references(module.locals["route_invoke_paths"]) == {"var.routes", "local.stage_name"}
    policy = module.resource("aws_iam_policy", "invoke")
    assert policy["count"] == document["count"]
    assert policy["policy"] == "${data.aws_iam_policy_document.invoke[0].json}"
    # Terraform attaches it to no one: the deployer chooses who may call the API.
    for kind in ("policy_attachment", "user_policy_attachment", "group_policy_attachment", "role_policy_attachment"):
        assert not config.resources.get(f"aws_iam_{kind}"), kind
        assert not module.resources.get(f"aws_iam_{kind}"), kind


def test_no_partition_account_or_region_is_spelled_out(module: Configuration) -> None:
    for path in all_configuration_files():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"arn:aws", text), f"{path.name}: an ARN with a fixed partition"
        assert not re.search(r"(?<![0-9])[0-9]{12}(?![0-9])", text), f"{path.name}: an account id"
    # The module configures no provider: the caller's decides the region (and the curl example asks it which).
    for path in (MODULE_DIR / name for name in ("versions.tf", "outputs.tf", "locals.tf")):
        assert not re.search(r'(?m)^provider "', path.read_text(encoding="utf-8")), path.name
    assert "aws_region" in module.data


def test_routes_use_the_authorization_variable(
    config: Configuration, module: Configuration, call: dict[str, Any]
) -> None:
    route = module.resource("aws_apigatewayv2_route", "this")
    assert route["authorization_type"] == "${var.authorization}"
    assert route["authorizer_id"] == '${var.authorization == "JWT" ? aws_apigatewayv2_authorizer.jwt[0].id : null}'
    assert config.variables["authorization"]["default"] == module.variables["authorization"]["default"] == "AWS_IAM"
    assert call["authorization"] == "${var.authorization}"
    assert _variable_choices(module, "authorization") == {"AWS_IAM", "JWT", "NONE"}
    authorizer = module.resource("aws_apigatewayv2_authorizer", "jwt")
    assert authorizer["authorizer_type"] == "JWT"
    assert authorizer["identity_sources"] == ["$request.header.Authorization"]
    jwt = block(authorizer, "jwt_configuration")
    assert (jwt["issuer"], jwt["audience"]) == ("${var.jwt_issuer}", "${var.jwt_audience}")


def test_function_log_group_is_the_one_lambda_writes_to(module: Configuration, function: dict[str, Any]) -> None:
    log_group = module.resource("aws_cloudwatch_log_group", "function")
    function_name = resolve(module, function["function_name"])
    assert resolve(module, log_group["name"]) == f"/aws/lambda/{function_name}"
    assert block(function, "logging_config")["log_group"] == "${aws_cloudwatch_log_group.function.name}"
    assert block(function, "logging_config")["log_format"] == "JSON"
    assert log_group["retention_in_days"] == "${var.log_retention_days}"


def test_function_is_published_traced_and_served_through_its_alias(
    module: Configuration, call: dict[str, Any], function: dict[str, Any]
) -> None:
    assert function["publish"] is True
    assert block(function, "tracing_config")["mode"] == "Active"
    alias = module.resource("aws_lambda_alias", "this")
    assert alias["name"] == "${var.alias_name}"
    # infra/ keeps the module's alias name: live.
    assert module.variables["alias_name"]["default"] == "live"
    assert "alias_name" not in call
    integration = module.resource("aws_apigatewayv2_integration", "this")
    assert integration["integration_uri"] == "${aws_lambda_alias.this.invoke_arn}"
    assert integration["payload_format_version"] == "2.0"
    permission = module.resource("aws_lambda_permission", "api_gateway")
    assert permission["qualifier"] == "${aws_lambda_alias.this.name}"
    assert permission["source_arn"].startswith("${aws_apigatewayv2_api.this.execution_arn}/")


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
    "schedules",
)


def test_every_variable_is_typed_described_and_validated(
    config: Configuration, module: Configuration, call: dict[str, Any]
) -> None:
    for name, variable in config.variables.items():
        assert variable.get("type"), f"variable {name} has no type"
        assert len(variable.get("description", "")) > 20, f"variable {name} has no description"
    for name in VALIDATED:
        # Validated here, or passed on as it is to the module's variable of the same name, which validates it.
        if "validation" in config.variables[name]:
            continue
        assert call.get(name) == f"${{var.{name}}}", f"variable {name} is neither validated nor passed to the module"
        assert "validation" in module.variables[name], f"variable {name} is not validated (nor is the module's)"
    assert config.variables["page_token_key"].get("sensitive") is True
    for name, output in config.outputs.items():
        assert output.get("description"), f"output {name} has no description"
    assert {"api_url", "curl_example", "function_name", "function_alias", "table_name", "layer_arn"} <= set(
        config.outputs
    )
