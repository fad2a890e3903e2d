#!/usr/bin/env bash
# Project tasks: package | serve | test | bench | lint.  Each sets up the Python 3.13 venv it needs.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$ROOT/.venv"
PYTHON_VERSION="3.13"

die() { echo "build.sh: $*" >&2; exit 1; }

find_python() {
  local candidate
  for candidate in "${PYTHON:-}" "$(command -v "python$PYTHON_VERSION" || true)" \
      "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$PYTHON_VERSION".*/bin/python"$PYTHON_VERSION"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ] &&
       "$candidate" -c "import sys; sys.exit(sys.version_info[:2] != (3, 13))" 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  die "Python $PYTHON_VERSION is required (the Lambda runtime's version) but was not found on PATH or under pyenv. Install it, or set PYTHON=/path/to/python$PYTHON_VERSION."
}

# venv DIR REQUIREMENTS: create DIR with Python 3.13 and install the pinned REQUIREMENTS once.
venv() {
  local dir="$1" requirements="$2" stamp
  stamp="$(sha256sum < "$requirements" | cut -c1-16)"
  if [ -f "$dir/.installed" ] && [ "$(cat "$dir/.installed")" = "$stamp" ]; then return 0; fi
  echo "Setting up $(basename "$dir") from ${requirements#"$ROOT"/} ..." >&2
  rm -rf "$dir"
  "$(find_python)" -m venv "$dir" || die "could not create the virtualenv $dir"
  # Some machines' pip configuration names local index folders that may not exist: pip notes each one.
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --requirement "$requirements" \
    2> >(grep -v "^WARNING: Location 'file:" >&2) \
    || die "pip could not install ${requirements#"$ROOT"/} (see above)"
  echo "$stamp" > "$dir/.installed"
}

dev_venv() { venv "$VENV" "$ROOT/requirements/dev.txt"; }

cmd_lint() {
  dev_venv
  "$VENV/bin/ruff" check "$ROOT"
  "$VENV/bin/ruff" format --check "$ROOT"
  (cd "$ROOT" && "$VENV/bin/mypy")
}

cmd_test() {
  cmd_lint
  # checkov pins its own dependency tree, so it lives in a venv of its own.
  if [ -f "$ROOT/requirements/checkov.txt" ]; then
    venv "$ROOT/.venv-checkov" "$ROOT/requirements/checkov.txt"
    export CHECKOV="$ROOT/.venv-checkov/bin/checkov"
  fi
  # serve's execution environments run on a Python that has only what Lambda's runtime has.
  venv "$ROOT/.venv-runtime" "$ROOT/requirements/runtime.txt"
  # serve, which the tests start, imports AWS's facts from the layer by the name it has on Lambda.
  cd "$ROOT" && PYTHONPATH="$ROOT/python-lambda-layer" "$VENV/bin/python" -m pytest "$@"
}

cmd_package() {
  dev_venv
  "$VENV/bin/python" "$ROOT/tools/package.py" "$@"
}

cmd_serve() {
  dev_venv
  # The functions run on a venv of their own that plays the Lambda runtime: awslambdaric and boto3, no Flask.
  venv "$ROOT/.venv-runtime" "$ROOT/requirements/runtime.txt"
  cd "$ROOT"
  # exec: Ctrl-C and SIGTERM reach serve itself, which stops everything it started.
  # serve plays API Gateway with AWS's facts from the layer (lambda_wsgi.aws), imported by its Lambda name.
  PYTHONPATH="$ROOT/python-lambda-layer" exec "$VENV/bin/python" -m tools.serve --runtime-python "$ROOT/.venv-runtime/bin/python" "$@"
}

cmd_bench() {
  venv "$ROOT/.venv-bench" "$ROOT/requirements/bench.txt"
  # The layer's package imports by the name it has on Lambda (/opt/python).
  cd "$ROOT" && PYTHONPATH="$ROOT/python-lambda-layer" "$ROOT/.venv-bench/bin/python" -m tools.bench "$@"
}

usage() {
  cat <<USAGE
usage: ./build.sh COMMAND [ARGS]
  test      lint (ruff, mypy) and run every test (pytest arguments pass through)
  package   build dist/layer.zip and dist/function.zip for the Lambda runtime (Python $PYTHON_VERSION)
  serve     run the API locally behind an API Gateway-like front (--port P, default 8000)
  bench     compare this layer with other Flask-on-Lambda adapters
  lint      ruff and mypy only
USAGE
}

command="${1:-}"
[ $# -gt 0 ] && shift
case "$command" in
  test) cmd_test "$@" ;;
  package) cmd_package "$@" ;;
  serve) cmd_serve "$@" ;;
  bench) cmd_bench "$@" ;;
  lint) cmd_lint ;;
  -h|--help|help) usage ;;
  *) usage >&2; exit 2 ;;
esac
