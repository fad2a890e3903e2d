"""infra/ (the users API's deployment through modules/flask-function) deployed to a moto server: plan, apply, a
second plan without changes, the code running against the deployed table through `serve`, and destroy. One apply for
the whole test module.

moto gaps handled here, never in infra/: it does not store the function's logging_config (left out
by an override file in the module's folder of the test's own copy of infra/), and it keeps a deleted log group's tags
(every run gets a fresh moto process).
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from table import TABLE_DEFINITION

from tests.conftest import LAYER_DIR, ROOT, RUNTIME_PYTHON
from tests.infra import code_facts
from tests.infra.hcl import INFRA_DIR, MODULE_DIR, load
from tests.infra.moto import MOTO_GAPS_OVERRIDE, REGION, Moto, moto_server, provider_configuration
from tests.infra.terraform import Terraform, copy_configuration

pytestmark = pytest.mark.slow

FUNCTION = "module.function.aws_lambda_function.this"
# Values other than the defaults, so the optional blocks (CORS, reserved concurrency...) are exercised too.
VARIABLES: dict[str, Any] = {
    "name_prefix": "deploy-check",
    "table_deletion_protection": False,
    "cors_allow_origins": ["https://app.example.com"],
    "reserved_concurrency": 5,
    "log_retention_days": 7,
    "memory_size": 512,
    "timeout": 15,
    "throttling_burst_limit": 20,
    "throttling_rate_limit": 10,
    "tags": {"Purpose": "offline-check"},
}


@pytest.fixture(scope="module")
def moto() -> Iterator[Moto]:
    """A moto process of its own: a fresh account, whatever ran before."""
    with moto_server() as server:
        yield server


@dataclass
class Deployment:
    terraform: Terraform
    workdir: Path
    moto: Moto
    function_zip: Path
    first_plan: str
    outputs: dict[str, Any]
    destroyed: bool = False

    @property
    def function_name(self) -> str:
        return str(self.outputs["function_name"])

    def destroy(self) -> subprocess.CompletedProcess[str]:
        self.destroyed = True
        return self.terraform.run(self.workdir, "destroy", "-auto-approve", "-input=false")


@pytest.fixture(scope="module")
def deployment(
    terraform: Terraform,
    initialized_dir: Path,
    lambda_zips: tuple[Path, Path],
    moto: Moto,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Deployment]:
    workdir = copy_configuration(tmp_path_factory.mktemp("infra-moto"))
    (workdir / "provider_override.tf").write_text(provider_configuration(moto.endpoint))
    (workdir / MODULE_DIR.relative_to(INFRA_DIR) / "moto_gaps_override.tf").write_text(MOTO_GAPS_OVERRIDE)
    layer_zip, function_zip = lambda_zips
    variables = {**VARIABLES, "layer_zip": str(layer_zip), "function_zip": str(function_zip)}
    (workdir / "terraform.tfvars.json").write_text(json.dumps(variables, indent=2))
    # The providers installed once for the session serve this copy too.
    shutil.copy2(initialized_dir / ".terraform.lock.hcl", workdir / ".terraform.lock.hcl")
    runner = terraform.with_env(TF_DATA_DIR=str(initialized_dir / ".terraform"))

    plan = runner.run(workdir, "plan", "-input=false", "-out=tfplan", "-detailed-exitcode", expect=(2,))
    runner.run(workdir, "apply", "-input=false", "tfplan")
    shown = json.loads(runner.run(workdir, "output", "-json").stdout)
    outputs = {name: value["value"] for name, value in shown.items()}
    deployed = Deployment(runner, workdir, moto, function_zip, plan.stdout, outputs)
    try:
        yield deployed
    finally:
        if not deployed.destroyed:
            deployed.destroy()


def _account_id(moto: Moto) -> str:
    return moto.account_id()


def test_first_plan_only_creates(deployment: Deployment) -> None:
    summary = re.search(r"Plan: (\d+) to add, (\d+) to change, (\d+) to destroy", deployment.first_plan)
    assert summary, deployment.first_plan[-2000:]
    added, changed, destroyed = map(int, summary.groups())
    assert (changed, destroyed) == (0, 0)
    config, module = load(), load(MODULE_DIR)
    # Every resource of the configuration and of the module (the routes once per route key) and nothing else; with
    # the default authorization (AWS_IAM) that is the invoke policy and no JWT authorizer, and with layer_zip the
    # layer version.
    assert "authorization" not in VARIABLES
    resources = sum(len(named) for named in [*config.resources.values(), *module.resources.values()])
    # Off by default: the JWT authorizer, the streaming function URL and its public permission (response_streaming),
    # the schedules, their group and their role (schedules).
    off = [
        ("aws_apigatewayv2_authorizer", "jwt"),
        ("aws_lambda_function_url", "this"),
        ("aws_lambda_permission", "function_url_public"),
        ("aws_scheduler_schedule", "this"),
        ("aws_scheduler_schedule_group", "this"),
        ("aws_iam_role", "scheduler"),
        ("aws_iam_role_policy", "scheduler"),
    ]
    for kind, name in off:
        assert name in module.resources[kind], (kind, name)
        assert f"module.function.{kind}.{name}" not in deployment.first_plan
    expected = resources + len(config.variables["routes"]["default"]) - 1
    assert added == expected - len(off)
    assert "module.function.aws_iam_policy.invoke[0] will be created" in deployment.first_plan
    assert "module.function.aws_lambda_layer_version.this[0] will be created" in deployment.first_plan
    assert "aws_apigatewayv2_authorizer" not in deployment.first_plan


def test_outputs_point_at_the_deployment(deployment: Deployment, moto: Moto) -> None:
    outputs = deployment.outputs
    account = _account_id(moto)
    assert re.fullmatch(rf"https://\w+\.execute-api\.{REGION}\.amazonaws\.com", outputs["api_url"])
    assert f"{outputs['api_url']}/users" in outputs["curl_example"]
    assert outputs["function_alias"] == "live"
    assert outputs["function_name"] == "deploy-check-api"
    assert outputs["table_name"] == "deploy-check"
    assert re.fullmatch(rf"arn:aws:lambda:{REGION}:{account}:layer:deploy-check-flask-layer:\d+", outputs["layer_arn"])
    assert outputs["function_alias_arn"] == f"arn:aws:lambda:{REGION}:{account}:function:deploy-check-api:live"
    assert outputs["live_version"] == outputs["published_version"] == "1"
    assert outputs["authorization"] == "AWS_IAM"
    assert outputs["invoke_policy_arn"] == f"arn:aws:iam::{account}:policy/deploy-check-api-invoke"
    sigv4 = (
        f'--aws-sigv4 "aws:amz:{REGION}:execute-api" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" '
        '${AWS_SESSION_TOKEN:+-H} ${AWS_SESSION_TOKEN:+"x-amz-security-token: $AWS_SESSION_TOKEN"}'
    )
    assert outputs["curl_example"].count(sigv4) == 2, outputs["curl_example"]
    assert outputs["curl_example"].endswith(f"curl -si {sigv4} '{outputs['api_url']}/users'")


def test_second_plan_shows_no_changes(deployment: Deployment) -> None:
    result = deployment.terraform.run(deployment.workdir, "plan", "-input=false", "-detailed-exitcode", expect=(0, 2))
    assert result.returncode == 0, f"the second plan wants changes:\n{result.stdout[-4000:]}"


def test_new_code_is_a_version_switch(deployment: Deployment, tmp_path: Path) -> None:
    """New function code plans as an in-place update and the alias moving; nothing is replaced."""
    changed_zip = tmp_path / "function.zip"
    shutil.copy2(deployment.function_zip, changed_zip)
    with zipfile.ZipFile(changed_zip, "a") as archive:
        archive.writestr("release.txt", "a new release\n")
    result = deployment.terraform.run(
        deployment.workdir,
        "plan",
        "-input=false",
        "-detailed-exitcode",
        f"-var=function_zip={changed_zip}",
        expect=(2,),
    )
    planned = dict(re.findall(r"# (\S+) will be (.+)", result.stdout))
    assert planned == {FUNCTION: "updated in-place", "module.function.aws_lambda_alias.this": "updated in-place"}


def _planned_environment(deployment: Deployment, plan_file: Path, *options: str) -> dict[str, Any]:
    """The function's environment in a plan made with `options`, read from `terraform show -json`."""
    deployment.terraform.run(deployment.workdir, "plan", "-input=false", f"-out={plan_file}", *options)
    plan = json.loads(deployment.terraform.run(deployment.workdir, "show", "-json", str(plan_file)).stdout)
    (change,) = [item["change"] for item in plan["resource_changes"] if item["address"] == FUNCTION]
    unknown = change["after_unknown"].get("environment", [{}])[0].get("variables")
    assert not unknown, f"the environment should be known at plan time: {unknown}"
    variables: dict[str, Any] = change["after"]["environment"][0]["variables"]
    return variables


@pytest.mark.parametrize(
    ("options", "expected"),
    [((), None), (("-var=function_access_log=false",), None), (("-var=function_access_log=true",), "on")],
    ids=["default", "false", "true"],
)
def test_function_access_line_follows_the_variable(
    deployment: Deployment, tmp_path: Path, options: tuple[str, ...], expected: str | None
) -> None:
    assert "function_access_log" not in VARIABLES, "the default case must plan with the variable's default"
    environment = _planned_environment(deployment, tmp_path / "tfplan", *options)
    assert environment.get("LAMBDA_WSGI_ACCESS_LOG") == expected
    assert {"USERS_TABLE", "PAGE_TOKEN_KEY"} <= set(environment)


def test_previous_page_token_keys_reach_the_function_joined(deployment: Deployment, tmp_path: Path) -> None:
    """A rotation: the keys that still verify travel as PAGE_TOKEN_PREVIOUS_KEYS, comma-separated."""
    old, older = "o" * 32, "p" * 40
    environment = _planned_environment(
        deployment, tmp_path / "tfplan", f'-var=page_token_previous_keys=["{older}","{old}"]'
    )
    assert environment["PAGE_TOKEN_PREVIOUS_KEYS"] == f"{older},{old}"
    assert "PAGE_TOKEN_PREVIOUS_KEYS" not in _planned_environment(deployment, tmp_path / "default.tfplan")


def test_table_is_the_code_table_definition(deployment: Deployment, moto: Moto) -> None:
    dynamodb = moto.client("dynamodb")
    table = dynamodb.describe_table(TableName=deployment.outputs["table_name"])["Table"]
    assert sorted(table["AttributeDefinitions"], key=str) == sorted(TABLE_DEFINITION["AttributeDefinitions"], key=str)
    assert table["KeySchema"] == TABLE_DEFINITION["KeySchema"]
    assert table["BillingModeSummary"]["BillingMode"] == TABLE_DEFINITION["BillingMode"]
    assert table.get("GlobalSecondaryIndexes", []) == TABLE_DEFINITION.get("GlobalSecondaryIndexes", []) == []
    assert table["SSEDescription"]["Status"] == "ENABLED"
    assert table["DeletionProtectionEnabled"] is False
    backups = dynamodb.describe_continuous_backups(TableName=table["TableName"])["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


def test_function_is_configured_for_the_code(deployment: Deployment, moto: Moto) -> None:
    lambda_client = moto.client("lambda")
    name = deployment.function_name
    config = lambda_client.get_function_configuration(FunctionName=name, Qualifier="live")
    assert config["Handler"] == "main.handler"
    assert config["Runtime"] == "python3.13"
    assert config["Architectures"] == ["arm64"]
    assert [layer["Arn"] for layer in config["Layers"]] == [deployment.outputs["layer_arn"]]
    assert config["TracingConfig"]["Mode"] == "Active"
    assert (config["MemorySize"], config["Timeout"]) == (512, 15)
    assert config["Version"] == "1"

    environment = config["Environment"]["Variables"]
    sources = code_facts.read_sources([*(ROOT / "api").glob("*.py"), *LAYER_DIR.rglob("*.py")])
    read = {name for name in code_facts.environment_variables(sources) if not code_facts.is_runtime_variable(name)}
    # The optional settings are left unset (null wsgi_* variables, function_access_log false, no previous page
    # token keys, snap_start false), so the defaults apply: the layer's own access line is off, API Gateway's
    # access log has every request, only the current key verifies page tokens, and nothing primes a snapshot.
    optional = {
        "LAMBDA_WSGI_APP",
        "LAMBDA_WSGI_BASE_PATH",
        "LAMBDA_WSGI_ACCESS_LOG",
        "PAGE_TOKEN_PREVIOUS_KEYS",
        "LAMBDA_WSGI_PRIME_PATH",
    }
    assert set(environment) == read - optional
    assert environment["USERS_TABLE"] == deployment.outputs["table_name"]
    assert len(environment["PAGE_TOKEN_KEY"]) >= 32

    assert lambda_client.get_alias(FunctionName=name, Name="live")["FunctionVersion"] == "1"
    assert lambda_client.get_function_concurrency(FunctionName=name)["ReservedConcurrentExecutions"] == 5


def test_only_this_api_may_invoke_the_alias(deployment: Deployment, moto: Moto) -> None:
    api_id = _api_id(deployment)
    policy = json.loads(
        moto.client("lambda").get_policy(FunctionName=deployment.function_name, Qualifier="live")["Policy"]
    )
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert statement["Action"] == "lambda:InvokeFunction"
    source_arn = statement["Condition"]["ArnLike"]["AWS:SourceArn"]
    assert source_arn == f"arn:aws:execute-api:{REGION}:{_account_id(moto)}:{api_id}/*/*"


def test_role_has_least_privilege(deployment: Deployment, moto: Moto) -> None:
    iam = moto.client("iam")
    role = "deploy-check-api-role"
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []
    (policy_name,) = iam.list_role_policies(RoleName=role)["PolicyNames"]
    document = iam.get_role_policy(RoleName=role, PolicyName=policy_name)["PolicyDocument"]
    if isinstance(document, str):
        document = json.loads(document)
    statements = {statement["Sid"]: statement for statement in document["Statement"]}
    account = _account_id(moto)
    table_arn = f"arn:aws:dynamodb:{REGION}:{account}:table/deploy-check"

    def as_list(value: str | list[str]) -> list[str]:
        return [value] if isinstance(value, str) else value

    use = code_facts.dynamodb_use(code_facts.read_sources((ROOT / "api").glob("*.py")))
    table = statements["UsersTable"]
    assert set(as_list(table["Action"])) == use.iam_actions()
    assert as_list(table["Resource"]) == [table_arn]
    log_group = f"arn:aws:logs:{REGION}:{account}:log-group:/aws/lambda/{deployment.function_name}:*"
    assert as_list(statements["OwnLogGroup"]["Resource"]) == [log_group]
    assert set(statements) == {"UsersTable", "OwnLogGroup", "Traces"}


def test_http_api_routes_to_the_alias(deployment: Deployment, moto: Moto) -> None:
    api = moto.client("apigatewayv2")
    (deployed,) = [item for item in api.get_apis()["Items"] if item["Name"] == "deploy-check-http"]
    assert deployed["ProtocolType"] == "HTTP"
    cors = deployed["CorsConfiguration"]
    assert cors["AllowOrigins"] == ["https://app.example.com"]
    assert sorted(cors["AllowMethods"]) == ["DELETE", "GET", "PATCH", "POST"]
    assert sorted(cors["AllowHeaders"]) == [
        "authorization",
        "content-type",
        "x-amz-content-sha256",
        "x-amz-date",
        "x-amz-security-token",
    ]
    assert sorted(cors["ExposeHeaders"]) == ["location", "retry-after"]
    assert cors["MaxAge"] == 3600
    (integration,) = api.get_integrations(ApiId=deployed["ApiId"])["Items"]
    assert integration["PayloadFormatVersion"] == "2.0"
    assert integration["IntegrationType"] == "AWS_PROXY"
    assert integration["IntegrationUri"].endswith(f":function:{deployment.function_name}:live/invocations")
    routes = api.get_routes(ApiId=deployed["ApiId"])["Items"]
    assert sorted(route["RouteKey"] for route in routes) == sorted(load().variables["routes"]["default"])
    assert {route["Target"] for route in routes} == {f"integrations/{integration['IntegrationId']}"}
    (stage,) = api.get_stages(ApiId=deployed["ApiId"])["Items"]
    assert (stage["StageName"], stage["AutoDeploy"]) == ("$default", True)
    throttling = stage["DefaultRouteSettings"]
    assert (throttling["ThrottlingBurstLimit"], throttling["ThrottlingRateLimit"]) == (20, 10)
    access_logs = stage["AccessLogSettings"]
    assert access_logs["DestinationArn"].split(":log-group:")[1].rstrip(":*") == deployment.outputs["access_log_group"]
    access_format = json.loads(access_logs["Format"])
    assert access_format["requestId"] == "$context.requestId"
    assert access_format["integrationRequestId"] == "$context.integration.requestId"


def _api_id(deployment: Deployment) -> str:
    return str(deployment.outputs["api_url"]).split("//")[1].split(".")[0]


def test_every_route_requires_sigv4(deployment: Deployment, moto: Moto) -> None:
    api = moto.client("apigatewayv2")
    routes = api.get_routes(ApiId=_api_id(deployment))["Items"]
    assert {route["RouteKey"]: route["AuthorizationType"] for route in routes} == dict.fromkeys(
        load().variables["routes"]["default"], "AWS_IAM"
    )
    assert not any(route.get("AuthorizerId") for route in routes)
    # moto has no GetAuthorizers; the state says none was made.
    state = deployment.terraform.run(deployment.workdir, "state list").stdout.split()
    assert not [address for address in state if "aws_apigatewayv2_authorizer." in address]


def test_invoke_policy_allows_this_apis_routes_only(deployment: Deployment, moto: Moto) -> None:
    """The policy Terraform made for callers: execute-api:Invoke on exactly one ARN per route of this API."""
    iam = moto.client("iam")
    arn = deployment.outputs["invoke_policy_arn"]
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    assert policy["AttachmentCount"] == 0, "Terraform attaches it to no one"
    document = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"]["Document"]
    if isinstance(document, str):
        document = json.loads(urllib.parse.unquote(document))
    (statement,) = document["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] in ("execute-api:Invoke", ["execute-api:Invoke"])
    prefix = f"arn:aws:execute-api:{REGION}:{_account_id(moto)}:{_api_id(deployment)}/$default"
    resources = [statement["Resource"]] if isinstance(statement["Resource"], str) else statement["Resource"]
    assert sorted(resources) == sorted(
        [
            f"{prefix}/GET/users",
            f"{prefix}/POST/users",
            f"{prefix}/GET/users/*",
            f"{prefix}/PATCH/users/*",
            f"{prefix}/DELETE/users/*",
            f"{prefix}/GET/openapi.json",
        ]
    )


@dataclass
class _Captured:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


def _run_curl_example(shell: str, command: str, host: str, env: dict[str, str]) -> list[_Captured]:
    """Run the output's curl command in `shell` with `env`, its requests for `host` answered by a local server that
    records them (plain HTTP: TLS is not what is checked)."""
    captured: list[_Captured] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def _record(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            headers = {name.lower(): value for name, value in self.headers.items()}
            captured.append(_Captured(self.command, self.path, headers, body))
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        do_GET = do_POST = _record

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, name="curl-recorder", daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        script = f'curl() {{ command curl --connect-to {host}:80:127.0.0.1:{port} "$@"; }}\n'
        script += command.replace(f"https://{host}", f"http://{host}")
        result = subprocess.run([shell, "-c", script], env=env, capture_output=True, text=True, timeout=60, check=False)
        assert result.returncode == 0, result.stderr
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    return captured


def _signature_is_valid(request: _Captured, host: str, credentials: Credentials) -> bool:
    """Recompute the request's SigV4 signature as API Gateway does, over the headers curl says it signed."""
    authorization = request.headers["authorization"]
    match = re.fullmatch(
        r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
        r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})",
        authorization,
    )
    assert match, authorization
    key_id, _, region, service, signed, signature = match.groups()
    assert (key_id, region, service) == (credentials.access_key, REGION, "execute-api")
    signed_headers = signed.split(";")
    assert {"host", "x-amz-date"} <= set(signed_headers)
    aws_request = AWSRequest(
        method=request.method,
        url=f"https://{host}{request.path}",
        data=request.body,
        headers={name: request.headers[name] for name in signed_headers},
    )
    aws_request.context["timestamp"] = request.headers["x-amz-date"]
    signer = SigV4Auth(credentials, service, region)
    expected = signer.signature(signer.string_to_sign(aws_request, signer.canonical_request(aws_request)), aws_request)
    return bool(signature == expected)


@pytest.mark.parametrize("shell", ["bash", "sh"])
@pytest.mark.parametrize("session_token", ["IQoJb3JpZ2luX2VjE/session+token==", None], ids=["session", "long-term"])
def test_curl_example_signs_with_the_callers_credentials(
    deployment: Deployment, session_token: str | None, shell: str
) -> None:
    """The AWS_IAM curl command sends SigV4-signed requests for execute-api in the API's region, with the
    credentials of the shell it runs in, and their session token when there is one. Without one, no token header is
    signed: curl would sign an empty one it does not send, and AWS would refuse the request."""
    if shutil.which(shell) is None:
        pytest.fail(f"{shell} is not installed", pytrace=False)
    host = str(deployment.outputs["api_url"]).split("//")[1]
    credentials = Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", session_token)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "AWS_ACCESS_KEY_ID": credentials.access_key}
    env["AWS_SECRET_ACCESS_KEY"] = credentials.secret_key
    if session_token:
        env["AWS_SESSION_TOKEN"] = session_token
    created, listed = _run_curl_example(shell, str(deployment.outputs["curl_example"]), host, env)
    assert (created.method, created.path, listed.method, listed.path) == ("POST", "/users", "GET", "/users")
    assert json.loads(created.body) == {"name": "Ada Lovelace", "email": "ada@example.com"}
    for request in (created, listed):
        assert request.headers["host"] == host
        assert request.headers.get("x-amz-security-token") == session_token
        assert ("x-amz-security-token" in request.headers["authorization"]) == bool(session_token)
        assert _signature_is_valid(request, host, credentials), request.headers


def test_log_groups_exist_with_retention(deployment: Deployment, moto: Moto) -> None:
    groups = {group["logGroupName"]: group for group in moto.client("logs").describe_log_groups()["logGroups"]}
    assert set(groups) == {f"/aws/lambda/{deployment.function_name}", deployment.outputs["access_log_group"]}
    assert {group.get("retentionInDays") for group in groups.values()} == {7}


def _request(url: str, method: str = "GET", body: Any = None) -> tuple[int, dict[str, str], Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, headers, raw = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        status, headers, raw = error.code, dict(error.headers), error.read()
    return status, {name.lower(): value for name, value in headers.items()}, json.loads(raw) if raw else None


def _collect(process: subprocess.Popen[str], lines: list[str]) -> None:
    """Keep reading serve's output, so it never blocks on a full pipe."""
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)


@contextlib.contextmanager
def _serve(deployment: Deployment, moto: Moto) -> Iterator[str]:
    """`serve` with the deployed function's zip and environment, on the table Terraform made."""
    if not (ROOT / "flask_lambda" / "serve").is_dir():
        pytest.fail("flask_lambda/serve is missing: the deployed table cannot be checked against the code")
    if not RUNTIME_PYTHON.is_file():
        pytest.fail(f"{RUNTIME_PYTHON} is missing: ./build.sh test and ./build.sh serve set it up", pytrace=False)
    variables = moto.client("lambda").get_function_configuration(
        FunctionName=deployment.function_name, Qualifier="live"
    )["Environment"]["Variables"]
    command = [
        sys.executable,
        "-m",
        "flask_lambda.serve",
        "--runtime-python",
        str(RUNTIME_PYTHON),
        "--port",
        "0",
        "--dynamodb-endpoint",
        moto.endpoint,
        "--table",
        deployment.outputs["table_name"],
        "--region",
        REGION,
        "--function-dir",
        str(ROOT / "api"),
        "--function-zip",
        str(deployment.function_zip),
        *(f"--env={name}={value}" for name, value in variables.items()),
    ]
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION)
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    lines: list[str] = []
    reader = threading.Thread(target=_collect, args=(process, lines), name="serve-output", daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 180
        url = None
        while url is None and time.monotonic() < deadline and process.poll() is None:
            urls = [match for line in list(lines) for match in re.findall(r"http://127\.0\.0\.1:\d+", line)]
            url = next((candidate for candidate in urls if candidate != moto.endpoint), None)
            time.sleep(0.2)
        assert url, "serve did not print its URL:\n" + "".join(lines[-40:])
        yield url
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        reader.join(timeout=10)


def test_code_serves_users_from_the_deployed_table(deployment: Deployment, moto: Moto) -> None:
    with _serve(deployment, moto) as url:
        status, headers, ada = _request(f"{url}/users", "POST", {"name": "Ada Lovelace", "email": "Ada@Example.com"})
        assert status == 201, ada
        assert headers["location"] == f"/users/{ada['id']}"
        status, _, fetched = _request(f"{url}/users/{ada['id']}")
        assert (status, fetched) == (200, ada)
        status, _, grace = _request(f"{url}/users", "POST", {"name": "Grace Hopper", "email": "grace@example.com"})
        assert status == 201, grace
        status, _, taken = _request(f"{url}/users", "POST", {"name": "Someone", "email": "ada@example.COM"})
        assert status == 409, taken

        status, _, first = _request(f"{url}/users?limit=1")
        assert status == 200, first
        assert first["items"] == [ada]
        assert first["nextToken"]
        status, _, second = _request(f"{url}/users?limit=1&nextToken={first['nextToken']}")
        assert status == 200, second
        assert (second["items"], second["nextToken"]) == ([grace], None)

    # The served code wrote to the table Terraform created, under the keys api/table.py defines.
    items = moto.client("dynamodb").scan(TableName=deployment.outputs["table_name"])["Items"]
    keys = {(item["pk"]["S"], item["sk"]["S"]) for item in items}
    assert keys == {
        (f"USER#{ada['id']}", "USER"),
        (f"USER#{grace['id']}", "USER"),
        ("USERS", f"{ada['createdAt']}#{ada['id']}"),
        ("USERS", f"{grace['createdAt']}#{grace['id']}"),
        ("EMAIL#ada@example.com", "EMAIL"),
        ("EMAIL#grace@example.com", "EMAIL"),
    }


def test_jwt_mode_replaces_sigv4_in_place(deployment: Deployment, moto: Moto) -> None:
    """authorization = JWT on the deployed API: a JWT authorizer, every route updated in place to use it (the URL
    stays), the invoke policy gone, and a second plan without changes. Last before destroy: it changes the stack."""
    issuer = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123"
    scopes = {"DELETE /users/{proxy+}": ["users/admin"]}
    options = (
        "-var=authorization=JWT",
        f"-var=jwt_issuer={issuer}",
        '-var=jwt_audience=["4example0client0id0abcdefgh"]',
        f"-var=jwt_route_scopes={json.dumps(scopes)}",
    )
    terraform, workdir = deployment.terraform, deployment.workdir
    plan = terraform.run(
        workdir, "plan", "-input=false", "-out=jwt.tfplan", "-detailed-exitcode", *options, expect=(2,)
    )
    # Route addresses hold a space ("GET /users").
    planned = dict(re.findall(r"^\s*# (.+?) will be (.+)$", plan.stdout, re.MULTILINE))
    routes = load().variables["routes"]["default"]
    assert planned == {
        "module.function.aws_apigatewayv2_authorizer.jwt[0]": "created",
        # The CORS headers lose SigV4's.
        "module.function.aws_apigatewayv2_api.this": "updated in-place",
        "module.function.aws_iam_policy.invoke[0]": "destroyed",
        **{f'module.function.aws_apigatewayv2_route.this["{key}"]': "updated in-place" for key in routes},
        # Behind JWT the users API trusts callers no more (USERS_TRUSTED_CALLERS): a new version goes live.
        "module.function.aws_lambda_function.this": "updated in-place",
        "module.function.aws_lambda_alias.this": "updated in-place",
    }
    terraform.run(workdir, "apply", "-input=false", "jwt.tfplan")
    again = terraform.run(workdir, "plan", "-input=false", "-detailed-exitcode", *options, expect=(0, 2))
    assert again.returncode == 0, f"the plan after the switch wants changes:\n{again.stdout[-4000:]}"

    api = moto.client("apigatewayv2")
    state = terraform.run(workdir, "state show", "module.function.aws_apigatewayv2_authorizer.jwt[0]").stdout
    authorizer_id = re.search(r'\bid\s+= "([^"]+)"', state)
    assert authorizer_id, state
    authorizer = api.get_authorizer(ApiId=_api_id(deployment), AuthorizerId=authorizer_id.group(1))
    assert authorizer["AuthorizerType"] == "JWT"
    assert authorizer["IdentitySource"] == ["$request.header.Authorization"]
    assert authorizer["JwtConfiguration"] == {"Issuer": issuer, "Audience": ["4example0client0id0abcdefgh"]}
    deployed = {route["RouteKey"]: route for route in api.get_routes(ApiId=_api_id(deployment))["Items"]}
    assert set(deployed) == set(routes)
    for key, route in deployed.items():
        assert (route["AuthorizationType"], route["AuthorizerId"]) == ("JWT", authorizer["AuthorizerId"]), key
        assert route.get("AuthorizationScopes", []) == scopes.get(key, []), key
    cors = api.get_api(ApiId=_api_id(deployment))["CorsConfiguration"]
    assert sorted(cors["AllowHeaders"]) == ["authorization", "content-type"]
    outputs = json.loads(terraform.run(workdir, "output", "-json").stdout)
    assert outputs["api_url"]["value"] == deployment.outputs["api_url"]
    assert "invoke_policy_arn" not in outputs, "null, so not listed"
    assert outputs["curl_example"]["value"].count('-H "Authorization: Bearer $TOKEN"') == 2
    assert moto.client("iam").list_policies(Scope="Local")["Policies"] == []


def test_destroy_removes_everything(deployment: Deployment, moto: Moto) -> None:
    deployment.destroy()
    assert moto.client("dynamodb").list_tables()["TableNames"] == []
    assert moto.client("lambda").list_functions()["Functions"] == []
    assert moto.client("apigatewayv2").get_apis()["Items"] == []
    assert moto.client("logs").describe_log_groups()["logGroups"] == []
    roles = [role["RoleName"] for role in moto.client("iam").list_roles()["Roles"]]
    assert not [role for role in roles if role.startswith("deploy-check")]
    layers = moto.client("lambda").list_layer_versions(LayerName="deploy-check-flask-layer")["LayerVersions"]
    assert layers == []
