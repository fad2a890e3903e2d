"""Load and fuzz the users API through serve (or any deployment of it), then check that no answer was a lie.

`./build.sh load` drives concurrent clients and audits the store against every acknowledged outcome (audit.py);
`./build.sh fuzz` runs schemathesis against the OpenAPI document, with real page tokens (fuzz.py, fuzz_hooks.py).
"""

from pathlib import Path

# What these tools exercise when no --url is given: the sample users API, served from its folder.
SAMPLE_API = Path(__file__).resolve().parents[2] / "api"
