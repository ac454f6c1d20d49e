"""``dimension template``: an input template, a filled-in example, a scenario or a stay file."""

from __future__ import annotations

from pathlib import Path

import click

from dimensioning.cli.shell import (
    guarded,
    handle_errors,
    main,
)
from dimensioning.cli.texts import option
from dimensioning.common.errors import (
    DimensioningError,
)
from dimensioning.inputs.case import load_case
from dimensioning.inputs.examples import EXAMPLES, drammen, example, template_case
from dimensioning.inputs.template import write_stays_template, write_sweep_template, write_template


@main.command("template", options_metavar="[VALG]")
@click.argument("out_path", metavar="FIL.xlsx", type=click.Path(path_type=Path, dir_okay=False))
@option(
    "--eksempel",
    "example_name",
    type=click.Choice(list(EXAMPLES)),
    help="Skriv et ferdig utfylt eksempel (Drammen kommune, 146 plasser) i stedet for den nøytrale malen.",
)
@option(
    "--scenarier",
    "--sweep",
    "sweep_template",
    is_flag=True,
    help="Skriv en scenariofil for dimension sweep i stedet, laget fra inndatafilen i --fra.",
)
@option(
    "--fra",
    "from_path",
    metavar="INNDATA",
    type=click.Path(path_type=Path),
    help="Inndatafilen scenariofilen eller oppholdsfilen lages fra (standard: eksempelet Drammen).",
)
@option(
    "--opphold",
    "stays_template",
    is_flag=True,
    help="Skriv en tom oppholdsfil for dimension kalibrer i stedet, med plasstypene og lokasjonene i --fra.",
)
@option("--overskriv", is_flag=True, help="Overskriv FIL.xlsx hvis den finnes.")
@handle_errors
def template_command(
    out_path: Path,
    example_name: str | None,
    sweep_template: bool,
    from_path: Path | None,
    stays_template: bool,
    overskriv: bool,
) -> None:
    """Skriv en inndatamal for en ny kommune, et utfylt eksempel, eller en scenariofil.

    Malen er en liten, oppdiktet kommune («Eksempel kommune») med to lokasjoner og tre plasstyper:
    den kan løses som den er, og arket «Les meg» forklarer hver kolonne. Bytt ut tallene med
    kommunens egne.
    """
    if out_path.exists() and not overskriv:
        msg = f"{out_path} finnes allerede. Bruk --overskriv eller et annet filnavn."
        raise DimensioningError(msg)
    if sweep_template and stays_template:
        raise DimensioningError("Velg enten --scenarier eller --opphold, ikke begge.")
    with guarded([from_path], [out_path], ".xlsx"):
        if stays_template:
            base = load_case(from_path) if from_path else drammen()
            write_stays_template(base, out_path)
            click.echo(
                f"Tom oppholdsfil for «{base.display_name}» skrevet til {out_path}. Fyll inn én rad per opphold "
                "(pseudonymt, aldri fødselsnummer) og kjør «dimension kalibrer»; arket «Les meg» forklarer kolonnene."
            )
        elif sweep_template:
            base = load_case(from_path) if from_path else drammen()
            from dimensioning.solve import smallest_total_beds

            smallest = smallest_total_beds(base)  # the grid of totals starts where a solution exists
            write_sweep_template(base, out_path, smallest)
            click.echo(f"Scenariofil for «{base.display_name}» skrevet til {out_path}")
        elif example_name:
            write_template(example(example_name), out_path)
            click.echo(f"Eksempelet «{example_name}» skrevet til {out_path}")
        else:
            write_template(template_case(), out_path)
            click.echo(f"Inndatamal skrevet til {out_path}. Fyll inn kommunens tall; arket «Les meg» forklarer alt.")
