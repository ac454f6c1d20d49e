"""``dimension web``: serve the web app (binds to this machine only unless told otherwise)."""

from __future__ import annotations

import click

from dimensioning.cli.shell import handle_errors, main
from dimensioning.cli.texts import option
from dimensioning.common.errors import DimensioningError


@main.command("web", options_metavar="[VALG]")
@option("--port", type=click.IntRange(1, 65535), default=8050, show_default=True, help="Porten siden svarer på.")
@option(
    "--vert",
    "--host",
    "host",
    default="127.0.0.1",
    show_default=True,
    help="Adressen serveren lytter på. Standard er bare denne maskinen; sett 0.0.0.0 bare bak kommunens "
    "egen innlogging (se README, «For IT»).",
)
@handle_errors
def web_command(port: int, host: str) -> None:
    """Start nettsiden: last opp arbeidsboka, se anbefalingen, prøv hva om, last ned Excel og PDF."""
    try:
        import uvicorn

        from dimensioning.web.app import make_app
    except ImportError as missing:
        raise DimensioningError(
            "Nettsiden trenger tilleggspakkene for web: installer med «pip install -e '.[web]'»."
        ) from missing
    click.echo(f"Nettsiden kjører på http://{host}:{port}/ (Ctrl-C stopper den).", err=True)
    uvicorn.run(make_app(), host=host, port=port, log_level="warning", access_log=False)
