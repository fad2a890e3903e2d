#!/usr/bin/env bash
# Project tasks: test | package | serve | invoke | bench | load | fuzz | lint.  Each sets up the Python 3.13 venv it needs.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$ROOT/.venv"
PYTHON_VERSION="3.13"

die() { echo "build.sh: $*" >&2; exit 1; }

# Bad command-line input: one line that says what is wrong, then the usage, exit status 2.
usage_error() { echo "build.sh: $*" >&2; usage >&2; exit 2; }

is_python_313() { [ -x "$1" ] && "$1" -c "import sys; sys.exit(sys.version_info[:2] != (3, 13))" 2>/dev/null; }

find_python() {
  local candidate
  if [ -n "${PYTHON:-}" ]; then
    is_python_313 "$PYTHON" || usage_error "PYTHON=$PYTHON is not a Python $PYTHON_VERSION interpreter"
    echo "$PYTHON"; return 0
  fi
  for candidate in "$(command -v "python$PYTHON_VERSION" || true)" \
      "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$PYTHON_VERSION".*/bin/python"$PYTHON_VERSION"; do
    if [ -n "$candidate" ] && is_python_313 "$candidate"; then
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
  "$PYTHON_313" -m venv "$dir" || die "could not create the virtualenv $dir"
  # Some machines' pip configuration names local index folders that may not exist: pip notes each one.
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --requirement "$requirements" \
    2> >(grep -v "^WARNING: Location 'file:" >&2) \
    || die "pip could not install ${requirements#"$ROOT"/} (see above)"
  echo "$stamp" > "$dir/.installed"
}

dev_venv() { venv "$VENV" "$ROOT/requirements/dev.txt"; }

cmd_lint() {
  [ $# -eq 0 ] || usage_error "lint takes no arguments (got: $*)"
  dev_venv
  cd "$ROOT"
  "$VENV/bin/ruff" check .
  "$VENV/bin/ruff" format --check .
  "$VENV/bin/mypy"
}

# Whether pytest's arguments pick some of the tests (paths, node ids, -k, -m, --lf...), not just how they report.
narrows_run() {
  while [ $# -gt 0 ]; do
    case "$1" in
      -k|-m|-k?*|-m?*|--lf|--last-failed|--sw|--stepwise|--deselect*|--ignore*) return 0 ;;
      -p|-o|-c|--basetemp|--rootdir|--maxfail|--durations) shift ;;  # their value picks no tests
      -*) ;;
      *) return 0 ;;
    esac
    shift
  done
  return 1
}

cmd_test() {
  # The whole run lints first, then spreads the test files over every core (TEST_WORKERS=1 for one process);
  # a narrowed run is the quick loop, and `./build.sh lint` lints on its own.
  if narrows_run "$@"; then
    dev_venv
  else
    cmd_lint
    set -- -n "${TEST_WORKERS:-auto}" --dist loadfile "$@"
  fi
  # checkov pins its own dependency tree, so it lives in a venv of its own.
  if [ -f "$ROOT/requirements/checkov.txt" ]; then
    venv "$ROOT/.venv-checkov" "$ROOT/requirements/checkov.txt"
    export CHECKOV="$ROOT/.venv-checkov/bin/checkov"
  fi
  # schemathesis, which the fuzz tests run, pins its own dependency tree too: .venv-fuzz.
  if [ -f "$ROOT/requirements/fuzz.txt" ]; then
    venv "$ROOT/.venv-fuzz" "$ROOT/requirements/fuzz.txt"
    export SCHEMATHESIS="$ROOT/.venv-fuzz/bin/schemathesis"
  fi
  # serve's execution environments run on a Python that has only what Lambda's runtime has.
  venv "$ROOT/.venv-runtime" "$ROOT/requirements/runtime.txt"
  # The tests' paths are the project's (tests/layer/...); serve, which they start, imports the layer by its Lambda name.
  cd "$ROOT" && PYTHONPATH="$LAYER_PATH" "$VENV/bin/python" -m pytest "$@"
}

# The tools run from the caller's directory, so the paths a user gives resolve from where they typed them.
run_tool() { PYTHONPATH="$ROOT:$LAYER_PATH" "$@"; }

# flask-lambda COMMAND ARGS as this repository runs it: on the sample api/ unless ARGS name another folder
# (argparse keeps the last --function-dir), with the development venvs rather than cached ones.
flask_lambda() {
  local command="$1"; shift
  local defaults=(--function-dir "$ROOT/api")
  case "$command" in
    package) defaults+=(--out-dir "$ROOT/dist") ;;
    serve|invoke) defaults+=(--runtime-python "$ROOT/.venv-runtime/bin/python") ;;
  esac
  PYTHONPATH="$ROOT:$LAYER_PATH" exec "$VENV/bin/python" -m flask_lambda "$command" "${defaults[@]}" "$@"
}

wants_help() { local arg; for arg in "$@"; do case "$arg" in -h|--help) return 0 ;; esac; done; return 1; }

cmd_package() {
  wants_help "$@" && exec env PYTHONPATH="$ROOT:$LAYER_PATH" "$PYTHON_313" -m flask_lambda package "$@"
  dev_venv
  flask_lambda package "$@"
}

cmd_serve() {
  wants_help "$@" && exec env PYTHONPATH="$ROOT:$LAYER_PATH" "$PYTHON_313" -m flask_lambda serve "$@"
  dev_venv
  # The functions run on a venv of their own that plays the Lambda runtime: awslambdaric and boto3, no Flask.
  venv "$ROOT/.venv-runtime" "$ROOT/requirements/runtime.txt"
  # exec (in flask_lambda): Ctrl-C and SIGTERM reach serve itself, which stops everything it started.
  flask_lambda serve "$@"
}

cmd_invoke() {
  wants_help "$@" && exec env PYTHONPATH="$ROOT:$LAYER_PATH" "$PYTHON_313" -m flask_lambda invoke "$@"
  dev_venv
  venv "$ROOT/.venv-runtime" "$ROOT/requirements/runtime.txt"
  flask_lambda invoke "$@"
}

cmd_bench() {
  wants_help "$@" && exec env PYTHONPATH="$ROOT:$LAYER_PATH" "$PYTHON_313" -m tools.bench "$@"
  venv "$ROOT/.venv-bench" "$ROOT/requirements/bench.txt"
  # The layer's package imports by the name it has on Lambda (/opt/python).
  cd "$ROOT" && PYTHONPATH="$LAYER_PATH" "$ROOT/.venv-bench/bin/python" -m tools.bench "$@"
}

cmd_load() {
  wants_help "$@" && exec env PYTHONPATH="$ROOT:$LAYER_PATH" "$PYTHON_313" -m tools.loadtest "$@"
  dev_venv
  venv "$ROOT/.venv-runtime" "$ROOT/requirements/runtime.txt"
  run_tool "$VENV/bin/python" -m tools.loadtest --runtime-python "$ROOT/.venv-runtime/bin/python" "$@"
}

cmd_fuzz() {
  wants_help "$@" && exec env PYTHONPATH="$ROOT:$LAYER_PATH" "$PYTHON_313" -m tools.loadtest.fuzz "$@"
  dev_venv
  venv "$ROOT/.venv-runtime" "$ROOT/requirements/runtime.txt"
  # schemathesis runs from a venv of its own; serve, which the run starts, from the development one.
  venv "$ROOT/.venv-fuzz" "$ROOT/requirements/fuzz.txt"
  run_tool "$VENV/bin/python" -m tools.loadtest.fuzz --runtime-python "$ROOT/.venv-runtime/bin/python" \
    --schemathesis "$ROOT/.venv-fuzz/bin/schemathesis" "$@"
}

usage() {
  cat <<USAGE
usage: ./build.sh COMMAND [ARGS]
  test      lint (ruff, mypy) and run every test; pytest arguments pass through, and with ones that pick
            tests (paths, -k, -m) only those run, without the lint
  package   build dist/layer.zip and dist/function.zip for the Lambda runtime (Python $PYTHON_VERSION)
  serve     run the API locally behind an API Gateway-like front (--port P, default 8000; --watch)
  invoke    run one event (a JSON file, or - for standard input) through the built zips and print the result
  bench     compare this layer with other Flask-on-Lambda adapters
  load      concurrent clients against the users API (--clients N, --seconds S, --url URL), then an integrity audit
  fuzz      schemathesis against the users API's OpenAPI document, every check and the stateful phase included
  lint      ruff and mypy only
Each command but test and lint takes --help.
USAGE
}

LAYER_PATH="$ROOT/python-lambda-layer"
# What flask-lambda makes once and keeps (cached virtualenvs, serve's layers) stays inside the repository.
export FLASK_LAMBDA_CACHE="${FLASK_LAMBDA_CACHE:-$ROOT/build/cache}"
command="${1:-}"
[ $# -gt 0 ] && shift
case "$command" in
  -h|--help|help) usage; exit 0 ;;
  "") usage_error "no command given" ;;
  test|package|serve|invoke|bench|load|fuzz|lint) ;;
  *) usage_error "unknown command '$command'" ;;
esac
PYTHON_313="$(find_python)" || exit $?
case "$command" in
  test) cmd_test "$@" ;;
  package) cmd_package "$@" ;;
  serve) cmd_serve "$@" ;;
  invoke) cmd_invoke "$@" ;;
  bench) cmd_bench "$@" ;;
  load) cmd_load "$@" ;;
  fuzz) cmd_fuzz "$@" ;;
  lint) cmd_lint "$@" ;;
esac
