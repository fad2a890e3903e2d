"""Plugins the site loads by name (`importlib.import_module("plugins.<name>")`)."""
