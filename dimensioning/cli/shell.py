"""What every command shares: the group, error handling, guarded outputs, options, tables, progress."""

from __future__ import annotations

import contextlib
import functools
import logging
import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from dimensioning import __version__
from dimensioning.cli.texts import install as install_bokmal
from dimensioning.cli.texts import option
from dimensioning.common.errors import (
    DimensioningError,
    Interrupted,
    file_error,
    redact_ids,
    safe_stem,
    shown,
)
from dimensioning.common.labels import (
    join_nb,
    number,
)
from dimensioning.common.memory import keep_freed_memory
from dimensioning.inputs.case import Case, load_case
from dimensioning.inputs.examples import drammen, drammen_path
from dimensioning.inputs.workbook import check_output_path, outputs_together, protect_inputs

DEFAULT_REPORT_DIR = Path("reports")

install_bokmal()

LOGGER = logging.getLogger(__name__)


def handle_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """One place for errors: a bokmål message and a non-zero exit; a traceback only with --debug.

    Exit codes: 2 bad input, no solution or an output refused; 1 a file the system could not read
    or write; 130 interrupted (Ctrl-C or SIGTERM); 3 an internal error (a bug: please report it).
    """

    @functools.wraps(command)
    def wrapper(*args: Any, debug: bool = False, **kwargs: Any) -> Any:
        logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING)
        previous = signal.signal(signal.SIGTERM, _interrupt_on_sigterm)
        try:
            with outputs_together():  # a command's files appear together or not at all
                return command(*args, **kwargs)
        except (KeyboardInterrupt, Interrupted):
            if debug:
                raise
            click.echo("Avbrutt. Ingen fil er halvveis skrevet; kjør kommandoen igjen for å fortsette.", err=True)
            sys.exit(130)
        except DimensioningError as error:
            if debug:
                raise
            click.echo(redact_ids(str(error)), err=True)
            sys.exit(2)
        except OSError as error:
            if debug:
                raise
            click.echo(redact_ids(str(file_error(error.filename or "?", error, "lese eller skrive"))), err=True)
            sys.exit(1)
        except Exception as error:  # the last resort: a planner never sees a traceback
            if debug:
                raise
            LOGGER.debug("internal error", exc_info=True)
            message = (
                f"Intern feil ({type(error).__name__}): {shown(error)}. Dette er en feil i programmet: "
                "kjør igjen med --feilsok og send utskriften til utviklerne."
            )
            click.echo(redact_ids(message), err=True)
            sys.exit(3)
        finally:
            signal.signal(signal.SIGTERM, previous)

    return option("--feilsok", "--debug", "debug", is_flag=True, help="Vis full feilsporing (for utviklerne).")(wrapper)


def _interrupt_on_sigterm(_signum: int, _frame: object) -> None:
    """SIGTERM is handled like Ctrl-C: clean up (stop workers, remove temporary files), then exit."""
    raise KeyboardInterrupt


@contextlib.contextmanager
def guarded(inputs: list[Path | None], outputs: list[Path] | None = None, suffix: str | None = None) -> Iterator[None]:
    """Check the outputs before any work, and refuse any write over an input while the block runs."""
    with protect_inputs(*inputs):
        for output in outputs or []:
            check_output_path(output, suffix)
        yield


dimensioning_option = option(
    "--dimensjonering",
    type=click.Choice(["snitt", "topp"]),
    default="snitt",
    show_default=True,
    help=(
        "snitt: kravet til avvisning gjelder for året sett under ett, med vintertopp og ferier; topp: "
        "det gjelder i hver måned. Begge regner med «modified offered load» (MOL: hvor mange senger som "
        "i snitt er opptatt på hver dag av året når etterspørselen varierer)."
    ),
)

verify_option = option(
    "--verifiser/--ikke-verifiser",
    "verify",
    default=True,
    show_default=True,
    help=(
        "Søk fram en fordeling og en delingsregel som holder kravene i simuleringen med kommunens egne "
        "regler (sesong, ferier, ledig-seng-prinsippet). Med --ikke-verifiser anbefales modellens plan "
        "uten søk; tallene er de samme simulerte tallene, og planen kalles ukontrollert."
    ),
)

#: The stay record a command reads (``kalibrer``, ``prognose``): optional, the synthetic example without it.
stays_argument = click.argument(
    "stays_path", metavar="[OPPHOLD]", required=False, type=click.Path(path_type=Path, dir_okay=False)
)


def case_option(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--case``/``--inndata INNDATA``: the input workbook a stay record belongs to."""
    return option(
        "--case", "--inndata", "case_path", metavar="INNDATA", type=click.Path(path_type=Path), help=help_text
    )


seed_option = option(
    "--startverdi",
    "--seed",
    "seed",
    metavar="HELTALL",
    type=click.IntRange(min=0),
    default=2024,
    show_default=True,
    help="Startverdi for tilfeldige tall i simuleringen (samme verdi gir samme tall).",
)


def load_input(input_path: Path | None, dimensjonering: str = "snitt") -> Case:
    """The case from INPUT (or the bundled Drammen case, said aloud), with the dimensioning mode set."""
    if input_path is None:
        click.echo("Ingen inndatafil oppgitt: bruker eksempelet Drammen kommune (data/drammen.xlsx).", err=True)
    case = load_case(input_path) if input_path else drammen()
    return case.replace(peak_dimensioning=dimensjonering == "topp")


def use_synthetic_stays(case: Case) -> Path:
    """The synthetic stay record (no stay file given), said aloud; refused for a case that is not Drammen's.

    The record is Drammen's: a case without its bed types and sites needs the kommune's own record.
    """
    from dimensioning.inputs.data import synthetic_stays_path

    example = drammen()
    missing = [n for n in example.bed_type_names if n not in case.bed_type_names]
    missing += [n for n in example.site_names if n not in case.site_names]
    if missing:
        named = join_nb([f"«{n}»" for n in missing[:4]]) + (" med flere" if len(missing) > 4 else "")
        raise DimensioningError(
            "Uten oppholdsfil brukes det syntetiske eksempelet, som hører til Drammen kommune, men "
            f"«{case.display_name}» har ikke {named}. "
            "Oppgi kommunens egen oppholdsfil (en tom lages med «dimension template --opphold --fra INNDATA "
            "opphold.xlsx»)."
        )
    path = synthetic_stays_path()
    click.echo(f"Ingen oppholdsfil oppgitt: bruker det syntetiske eksempelet ({path.name}).", err=True)
    return path


#: Each command and the module under ``dimensioning.cli`` that defines it (imported when it runs).
COMMAND_MODULES = {
    "solve": "solve",
    "report": "report",
    "plan": "plan",
    "sweep": "sweep",
    "simulate": "simulate",
    "check": "check",
    "kalibrer": "kalibrer",
    "prognose": "prognose",
    "template": "template",
    "web": "dimensioning.web.command",  # the layer above the CLI: the web app runs the commands' work too
}


class LazyGroup(click.Group):
    """A group that imports a command's module only when that command is asked for.

    ``dimension plan`` then loads what the plan needs, not the simulation check of ``solve`` or the
    browser of another command; ``dimension --help`` still lists every command (it imports them all).
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command, loaded or not, by name."""
        return sorted(set(COMMAND_MODULES) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command, its module imported first if it has not been."""
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            import importlib

            module = COMMAND_MODULES[cmd_name]
            importlib.import_module(module if "." in module else f"dimensioning.cli.{module}")  # registers on main
        return self.commands.get(cmd_name)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    options_metavar="[VALG]",
    subcommand_metavar="KOMMANDO [ARGUMENTER]...",
)
@click.version_option(__version__, "--versjon", "--version", prog_name="dimension", message="%(prog)s %(version)s")
def main() -> None:
    """Dimensjonering av korttidsplasser: køteori og optimering (MIP med HiGHS).

    Uten INNDATA brukes eksempelet Drammen kommune (data/drammen.xlsx). Lag din egen inndatafil
    med «dimension template min-kommune.xlsx».
    """
    keep_freed_memory()  # every command and its forked workers: see dimensioning.common.memory


def default_output(
    source: Path, what: str, suffix: str = "", *, dimensjonering: str = "snitt", verify: bool = True
) -> Path:
    """The default output of a command: ``reports/<input>-<what>[-topp][-ukontrollert]<suffix>``.

    Every command and mode has its own name, so ``dimension solve --dimensjonering topp`` or
    ``--ikke-verifiser`` never replaces the result the planner made a minute before with the defaults.
    """
    mode = ("-topp" if dimensjonering == "topp" else "") + ("" if verify else "-ukontrollert")
    return DEFAULT_REPORT_DIR / f"{safe_stem(source)}-{what}{mode}{suffix}"


def out_option(kind: str, help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The ``--ut``/``--out`` option of a command that writes.

    ``kind`` "file": the Excel file (parameter ``out_path``); "folder": the folder (``out_dir``).
    """
    if kind == "file":
        return option(
            "--ut",
            "--out",
            "out_path",
            metavar="FIL.xlsx",
            type=click.Path(path_type=Path, dir_okay=False),
            help=help_text,
        )
    return option(
        "--ut", "--out", "out_dir", metavar="MAPPE", type=click.Path(path_type=Path, file_okay=False), help=help_text
    )


simulation_options = [
    option(
        "--aar",
        "--years",
        "years",
        metavar="ÅR",
        type=click.FloatRange(min=0.1),
        default=10.0,
        show_default=True,
        help="Simulerte år (etter ett års innsvingning).",
    ),
    option(
        "--gjentak",
        "--replications",
        "replications",
        metavar="ANTALL",
        type=click.IntRange(min=2),
        default=20,
        show_default=True,
        help="Antall uavhengige gjentak (for konfidensintervall).",
    ),
    seed_option,
    option(
        "--prosesser",
        "--jobs",
        "jobs",
        metavar="ANTALL",
        type=click.IntRange(min=1),
        help="Antall prosesser (standard: alle kjerner).",
    ),
]

jobs_option = simulation_options[-1]


def rich_table(title: str, headers: tuple[str, ...]) -> Table:
    """A terminal table: the first column left-aligned, numbers right-aligned."""
    table = Table(title=title)
    for i, header in enumerate(headers):
        table.add_column(header, justify="left" if i == 0 else "right")
    return table


def read_base_tables(path: Path | None) -> dict:
    """Raw tables of the base workbook (validated once here, so a broken base fails early)."""
    from dimensioning.inputs.case import read_case_tables

    return read_case_tables(path or drammen_path())


#: Called with ``(done, total)`` beside every progress bar: the web app's jobs listen here.
PROGRESS_LISTENERS: list[Callable[[int, int], None]] = []


@contextlib.contextmanager
def progress_bar(total: int, label: str = "Scenarier") -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar: tasks done (scenarios, years), rate and time left (quiet when not a terminal)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("igjen"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True)) as progress:
        task = progress.add_task("sweep", total=total, rate="")
        started = time.perf_counter()
        first: list[int] = []

        def update(done: int, _total: int) -> None:
            if not first:
                first.append(done)
            elapsed = time.perf_counter() - started
            solved = done - first[0]
            rate = f"{number(solved / elapsed, 1)} per s" if elapsed > 0 and solved else ""
            progress.update(task, completed=done, rate=rate)
            for listener in PROGRESS_LISTENERS:
                listener(done, _total)

        yield update
