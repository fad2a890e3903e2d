"""A module nothing imports: it must stay out of the function zip.

Its presence next to routes.py proves packaging reads imports instead of taking the folder.
"""

VALUE = 1
