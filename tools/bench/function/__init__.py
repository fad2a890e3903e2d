"""The function code every contender serves in the benchmark: one Blueprint and a handler module per contender.

Each module here also runs as a top-level module (`routes`, `apig_wsgi_main`...) from this directory, as in /var/task.
"""
