"""The console script ``dimension``: load the CLI, and end an early Ctrl-C in bokmål, not a traceback."""

from __future__ import annotations

import sys

INTERRUPTED = "Avbrutt. Ingen fil er halvveis skrevet."


def run() -> None:
    """Entry point of ``dimension`` (see ``pyproject.toml``).

    Click runs outside its standalone mode so that an interruption while it parses the command
    line is reported here in bokmål (Click itself would print «Aborted!»).
    """
    try:
        import click

        from .cli import main

        code = main(standalone_mode=False, prog_name="dimension")
    except (KeyboardInterrupt, click.exceptions.Abort):
        sys.stderr.write(INTERRUPTED + "\n")
        sys.exit(130)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    sys.exit(code if isinstance(code, int) else 0)
