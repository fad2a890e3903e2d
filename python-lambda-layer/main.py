"""The Lambda entry point `main.handler`: loads the app once per execution environment.

Set LAMBDA_WSGI_APP=module:attribute to serve something other than `routes:routes`;
see the README's Configuration section for every setting, and its SnapStart section for the hooks' order.
"""

import os

from lambda_wsgi import APP_VARIABLE, DEFAULT_APP, Adapter, load_app

handler: Adapter
SNAP_START = os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == "snap-start"
if SNAP_START:  # registered before the app's own hooks, so a restored environment is reseeded before they run
    from lambda_wsgi import snapstart

    snapstart.on_restore(lambda: handler)

handler = Adapter(
    load_app(os.environ.get(APP_VARIABLE) or DEFAULT_APP),
    base_path=os.environ.get("LAMBDA_WSGI_BASE_PATH"),
    access_log=os.environ.get("LAMBDA_WSGI_ACCESS_LOG", "off").lower() in {"on", "true", "1", "yes"},
)

if SNAP_START:  # registered after the app's own hooks, so priming runs before they tidy up for the snapshot
    snapstart.prime_before_snapshot(handler)
