"""``python -m dimensioning.cli``: the same as the console script ``dimension``."""

from dimensioning._entry import run

run()
