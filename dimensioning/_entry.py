"""The console script ``dimension``: load the CLI, and end an early Ctrl-C in bokmål, not a traceback."""

from __future__ import annotations

import sys
from typing import NoReturn

INTERRUPTED = "Avbrutt. Ingen fil er halvveis skrevet."


def _interrupted() -> NoReturn:
    sys.stderr.write(INTERRUPTED + "\n")
    sys.exit(130)


def run() -> None:
    """Entry point of ``dimension`` (see ``pyproject.toml``).

    The heavy imports (pandas, Pyomo) happen here, inside a guard, so a Ctrl-C while they load is
    reported in bokmål. Click runs outside its standalone mode so that an interruption while it
    parses the command line is reported here too (Click itself would print «Aborted!»).
    """
    try:
        import click

        from dimensioning.cli import main
    except KeyboardInterrupt:
        _interrupted()
    try:
        code = main(standalone_mode=False, prog_name="dimension")
    except (KeyboardInterrupt, click.exceptions.Abort):
        _interrupted()
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    sys.exit(code if isinstance(code, int) else 0)
