"""The command line ``dimension``: one module per command, a thin bokmål shell over the public API.

Each command's module registers it on :func:`~dimensioning.cli.shell.main` when the command is
asked for (:class:`~dimensioning.cli.shell.LazyGroup`), so a command loads only what it uses.
"""

from dimensioning.cli.shell import main

__all__ = ["main"]
