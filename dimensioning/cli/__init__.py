"""The command line ``dimension``: one module per command, a thin bokmål shell over the public API.

Importing this package registers every command on :func:`~dimensioning.cli.shell.main`.
"""

from dimensioning.cli import check, kalibrer, plan, prognose, report, simulate, solve, sweep, template  # noqa: F401
from dimensioning.cli.shell import main

__all__ = ["main"]
