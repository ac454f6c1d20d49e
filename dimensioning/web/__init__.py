"""The web app (``dimension web``): the tool in a browser, for planners without Python.

Layers: :mod:`.app` (the page and the ASGI app), :mod:`.server` (one browser session), :mod:`.more`
(the long commands), :mod:`.views` (HTML from a result), :mod:`.jobs` (work in its own process),
:mod:`.tasks` (what the jobs run), :mod:`.session` (the session's own folder). Needs the optional
extra ``web`` (``pip install -e '.[web]'``).
"""
