"""Lets mypy read this folder as a package of the tests; `.lambdaignore` leaves it out of the function's zip.

On Lambda the folder is the root of the function (/var/task), where `routes.py` is the module `routes`.
"""
