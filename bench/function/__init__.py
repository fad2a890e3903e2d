"""The function code every adapter serves in the benchmark: one Blueprint and a handler module per adapter.

Each module here also runs as a top-level module (`routes`, `apig_wsgi_main`...) from this directory, as in /var/task.
"""
