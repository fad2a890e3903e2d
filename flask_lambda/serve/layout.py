"""The built zips unpacked as Lambda lays them out, and the environment variables Lambda sets.

`<root>/opt` holds the layer (its `python/` folder on sys.path), `<root>/var/task` the function's code.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

MEMORY_MB = 256  # infra/variables.tf's default
PYTHON = "python3.13"


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def opt(self) -> Path:
        return self.root / "opt"

    @property
    def task_root(self) -> Path:
        return self.root / "var" / "task"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"


def unpack(layer_zip: Path, function_zip: Path, root: Path) -> Layout:
    layout = Layout(root)
    for archive, target in ((layer_zip, layout.opt), (function_zip, layout.task_root)):
        target.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(archive) as opened:
            opened.extractall(target)
            for entry in opened.infolist():  # extractall drops the mode bits: an executable must stay one, as on Lambda
                if (entry.external_attr >> 16) & 0o111:
                    (target / entry.filename).chmod(0o755)
    layout.tmp.mkdir(parents=True, exist_ok=True)
    return layout


def function_arn(region: str, name: str) -> str:
    return f"arn:aws:lambda:{region}:000000000000:function:{name}"


def lambda_environment(
    layout: Layout, runtime_python: Path, region: str, name: str, variables: dict[str, str]
) -> dict[str, str]:
    """The variables an environment starts with: Lambda's own, then the function's `variables`.

    Nothing is inherited from serve's own environment, so the function sees what it would see on Lambda.
    """
    task, opt = str(layout.task_root), layout.opt
    no_file = str(layout.root / "no-aws-config")  # not the developer's ~/.aws: the function has its role only
    environment = {
        "PATH": os.pathsep.join([str(runtime_python.parent), str(opt / "bin"), "/usr/local/bin", "/usr/bin", "/bin"]),
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        "TMPDIR": str(layout.tmp),
        # Lambda's sys.path order: the function, then the layer's two Python folders.
        "PYTHONPATH": os.pathsep.join(
            [task, str(opt / "python" / "lib" / PYTHON / "site-packages"), str(opt / "python")]
        ),
        "PYTHONNOUSERSITE": "1",
        "PYTHONDONTWRITEBYTECODE": "1",  # /var/task and /opt are read-only on Lambda
        "LD_LIBRARY_PATH": os.pathsep.join([task, f"{task}/lib", str(opt / "lib")]),
        "LAMBDA_TASK_ROOT": task,
        "LAMBDA_RUNTIME_DIR": str(runtime_python.parent.parent),
        "_HANDLER": "main.handler",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(MEMORY_MB),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_SESSION_TOKEN": "local",
        "AWS_CONFIG_FILE": no_file,
        "AWS_SHARED_CREDENTIALS_FILE": no_file,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
    }
    environment.update(variables)
    wrapper = environment.get("AWS_LAMBDA_EXEC_WRAPPER", "")
    if wrapper.startswith("/opt/"):  # where Lambda unpacks layers is this environment's opt folder
        environment["AWS_LAMBDA_EXEC_WRAPPER"] = str(opt / wrapper.removeprefix("/opt/"))
    return environment
