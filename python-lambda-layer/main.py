"""The Lambda entry point `main.handler`: loads the app once per execution environment.

Set LAMBDA_WSGI_APP=module:attribute to serve something other than `routes:routes`;
see the README's Configuration section for every setting.
"""

import os

from lambda_wsgi import APP_VARIABLE, DEFAULT_APP, Adapter, load_app

handler = Adapter(
    load_app(os.environ.get(APP_VARIABLE) or DEFAULT_APP),
    base_path=os.environ.get("LAMBDA_WSGI_BASE_PATH"),
    access_log=os.environ.get("LAMBDA_WSGI_ACCESS_LOG", "off").lower() in {"on", "true", "1", "yes"},
)
