"""The Lambda entry point `main.handler`: loads the app once per execution environment.

What it loads and how it serves come from the `LAMBDA_WSGI_*` variables (`lambda_wsgi.settings`, documented in
docs/configuration.md); docs/snapstart.md explains the order of the SnapStart hooks.
"""

from lambda_wsgi import Adapter, StreamingAdapter, load_app
from lambda_wsgi.settings import Settings
from lambda_wsgi.streaming import streamed_kinds

settings = Settings.from_environ()
handler: Adapter
if settings.snap_start:  # registered before the app's own hooks, so a restored environment is reseeded before they run
    from lambda_wsgi import snapstart

    snapstart.on_restore(lambda: handler)

app, stream = load_app(settings.app), streamed_kinds(settings.stream)
handler = (
    StreamingAdapter(app, stream, base_path=settings.base_path, access_log=settings.access_log)
    if stream
    else Adapter(app, base_path=settings.base_path, access_log=settings.access_log)
)

if settings.snap_start:  # registered after the app's own hooks, so priming runs before they tidy up for the snapshot
    snapstart.prime_before_snapshot(handler, settings.prime_path)
