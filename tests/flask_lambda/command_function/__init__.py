"""A function with a handler of its own: answers `flask-lambda command` events as the layer does, echoes the rest."""
