"""Command line: a thin bokmål shell over the library API."""

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
import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from . import __version__
from .api import solve
from .case import Case, load_case
from .cli_nb import install as install_bokmal
from .cli_nb import option
from .errors import (
    DimensioningError,
    InfeasibleError,
    InputError,
    Interrupted,
    count_words,
    file_error,
    redact_ids,
    safe_stem,
    shown,
)
from .examples import EXAMPLES, drammen, drammen_path, example, template_case
from .io_excel import check_output_path, outputs_together, protect_inputs
from .io_template import read_back, write_stays_template, write_sweep_template, write_template
from .labels import (
    holds_sentence,
    larger_plan_sentence,
    number,
    percent,
    record_source,
    sharing_sentences,
    ukp_figures,
    ukp_sentence,
)
from .report import write_excel
from .results import Result
from .scenarios import read_scenarios

DEFAULT_REPORT_DIR = Path("reports")
install_bokmal()
LOGGER = logging.getLogger(__name__)


def _handle_errors(command: Callable[..., Any]) -> Callable[..., Any]:
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


def _load(input_path: Path | None, dimensjonering: str = "snitt") -> Case:
    """The case from INPUT (or the bundled Drammen case, said aloud), with the dimensioning mode set."""
    if input_path is None:
        click.echo("Ingen inndatafil oppgitt: bruker eksempelet Drammen kommune (data/drammen.xlsx).", err=True)
    case = load_case(input_path) if input_path else drammen()
    return case.replace(peak_dimensioning=dimensjonering == "topp")


def _solve_with_status(case: Case, verify: bool = False, seed: int = 2024) -> Result:
    """Solve with a status line on the terminal (large cases take a while; nothing shown when piped)."""
    from .verify import VerifyOptions

    sites, types = len(case.site_names), len(case.bed_type_names)
    text = f"Bygger og løser modellen ({sites} lokasjoner × {types} plasstyper)"
    if verify:
        text += " og kontrollerer med simulering"
    with Console(stderr=True).status(f"{text} …"):
        # the simulation is the evaluation of record either way; --ikke-verifiser only skips the search
        return solve(case, verify=VerifyOptions(seed=seed, improve=verify))


@click.group(
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


@main.command("solve", options_metavar="[VALG]")
@click.argument("input_path", metavar="[INNDATA]", required=False, type=click.Path(path_type=Path))
@out_option("file", "Excel-rapporten som skrives (standard: reports/<case>-resultat.xlsx).")
@dimensioning_option
@verify_option
@seed_option
@_handle_errors
def solve_command(input_path: Path | None, out_path: Path | None, dimensjonering: str, verify: bool, seed: int) -> None:
    """Finn optimal fordeling og sammenlign med alternativene i INNDATA (standard: eksempelet Drammen)."""
    out_path = out_path or DEFAULT_REPORT_DIR / f"{safe_stem(input_path or drammen_path())}-resultat.xlsx"
    with guarded([input_path or drammen_path()], [out_path], ".xlsx"):
        case = _load(input_path, dimensjonering)
        try:
            result = _solve_with_status(case, verify, seed)
        except InfeasibleError as error:
            if getattr(error, "result", None) is not None:
                write_excel(error.result, out_path)
                _print_summary(error.result)
                error.args = (f"{error}\nSammenligningen av alternativene er likevel skrevet til {out_path}.",)
            raise
        write_excel(result, out_path)
    _print_summary(result)
    click.echo(f"Rapport skrevet til {out_path}")


@main.command("report", options_metavar="[VALG]")
@click.argument("input_path", metavar="[INNDATA]", required=False, type=click.Path(path_type=Path))
@option(
    "--scenarioresultat",
    "--sweep",
    "sweep_path",
    metavar="FIL.xlsx",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Resultatfil fra dimension sweep: gir et kapittel om følsomhet.",
)
@out_option("folder", "Mappe for PDF og figurer (standard: reports/<case>-rapport).")
@option(
    "--plan/--uten-plan",
    "with_plan",
    default=True,
    show_default=True,
    help="Ta med kapitlet «Behov fram mot …» når inndatafilen har arkene «Befolkning» og «Rater».",
)
@dimensioning_option
@verify_option
@seed_option
@_handle_errors
def report_command(
    input_path: Path | None,
    sweep_path: Path | None,
    out_dir: Path | None,
    with_plan: bool,
    dimensjonering: str,
    verify: bool,
    seed: int,
) -> None:
    """Lag rapporten til hovedutvalget (PDF og PNG-figurer) fra INNDATA (standard: eksempelet Drammen)."""
    from .report import write_pdf
    from .report.sweep_report import read_sweep_table

    out_dir = out_dir or DEFAULT_REPORT_DIR / f"{safe_stem(input_path or drammen_path())}-rapport"
    with guarded([input_path or drammen_path(), sweep_path], [out_dir / "rapport.pdf"]):
        case = _load(input_path, dimensjonering)
        sweep_table = read_sweep_table(sweep_path) if sweep_path else None
        try:
            result = _solve_with_status(case, verify, seed)
        except InfeasibleError as error:
            if getattr(error, "result", None) is not None:
                written = write_pdf(error.result, out_dir)
                error.args = (
                    f"{error}\nRapporten med sammenligningen av alternativene er likevel skrevet til "
                    f"{written['rapport']}.",
                )
            raise
        years = None
        if with_plan and not case.population.empty and not case.rates.empty and case.alternative_names:
            from .years import plan_years, planning_years

            with progress_bar(len(planning_years(case)), "År i planen") as update:
                years = plan_years(case, progress=update)
        written = write_pdf(result, out_dir, sweep_table, years)
    click.echo(f"Rapport skrevet til {written['rapport']}")
    click.echo(f"{len(written) - 1} figurer (PNG) i {out_dir}")


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


alternative_option = option(
    "--alternativ",
    "alternative",
    metavar="NAVN",
    help="Alternativ fra arket Alternativer (standard: optimal fordeling).",
)


def with_simulation_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Shared options of the simulation commands, defined once."""
    for decorator in reversed(simulation_options):
        command = decorator(command)
    return command


def _allocation_for(case: Case, name: str | None) -> tuple[str, Any]:
    """The allocation to simulate: a named alternative, or the optimum."""
    if name:
        rows = case.alternatives[case.alternatives["alternative"] == name]
        if rows.empty:
            known = ", ".join(case.alternative_names)
            msg = f"Fant ikke alternativet «{name}» (kjente: {known})."
            raise DimensioningError(msg)
        return name, rows[["site", "bed_type", "beds"]]
    result = solve(case)
    return result.optimum_name, result.allocation


def _simulation_setup(
    input_path: Path | None, alternative: str | None, dimensjonering: str, **simulation: Any
) -> tuple[Case, str, Any, Any]:
    """Case, allocation (named alternative or optimum) and options shared by simulate and check."""
    from .simulate import SimulationOptions

    case = _load(input_path, dimensjonering)
    name, allocation = _allocation_for(case, alternative)
    return case, name, allocation, SimulationOptions(**simulation)


def _table(title: str, headers: tuple[str, ...]) -> Table:
    """A terminal table: the first column left-aligned, numbers right-aligned."""
    table = Table(title=title)
    for i, header in enumerate(headers):
        table.add_column(header, justify="left" if i == 0 else "right")
    return table


@main.command("simulate", options_metavar="[VALG]")
@click.argument("input_path", metavar="[INNDATA]", required=False, type=click.Path(path_type=Path))
@alternative_option
@option(
    "--ledig-seng",
    "lift",
    metavar="PLASSTYPE",
    multiple=True,
    help="Plasstype som sammenlignes med ledig seng-prinsippet (standard: alle reserverte).",
)
@out_option("folder", "Mappe for Excel og figurer (standard: reports/<case>-simulering).")
@with_simulation_options
@dimensioning_option
@_handle_errors
def simulate_command(
    input_path: Path | None,
    alternative: str | None,
    lift: tuple[str, ...],
    out_dir: Path | None,
    years: float,
    replications: int,
    seed: int,
    jobs: int | None,
    dimensjonering: str,
) -> None:
    """Simuler en fordeling med sesong, ferier og ledig seng-prinsippet (95 % konfidensintervall)."""
    out_dir = out_dir or DEFAULT_REPORT_DIR / f"{safe_stem(input_path or drammen_path())}-simulering"
    with guarded([input_path or drammen_path()], [out_dir / "simulering.xlsx"]):
        _simulate(input_path, alternative, lift, out_dir, dimensjonering, years, replications, seed, jobs)


def _simulate(
    input_path: Path | None,
    alternative: str | None,
    lift: tuple[str, ...],
    out_dir: Path,
    dimensjonering: str,
    years: float,
    replications: int,
    seed: int,
    jobs: int | None,
) -> None:
    """The work of ``dimension simulate`` (inside the overwrite guard)."""
    from .report.simulation_report import monthly_figure, write_simulation_excel, write_simulation_figures
    from .simulate import compare_reservation, simulate

    case, name, allocation, options = _simulation_setup(
        input_path, alternative, dimensjonering, years=years, replications=replications, seed=seed, jobs=jobs
    )
    reserved = [t for t in case.bed_type_names if case.bed_types.at[t, "reserved"]]
    lift_types = list(lift) or reserved
    unknown = [t for t in lift_types if t not in case.bed_type_names]
    if unknown:
        msg = f"Ukjent plasstype i --ledig-seng: {', '.join(unknown)}."
        raise DimensioningError(msg)
    started = time.perf_counter()
    result = simulate(case, allocation, options)
    comparison = compare_reservation(case, allocation, lift_types, options) if lift_types else None
    elapsed = time.perf_counter() - started
    sheets = {"Per plasstype": result.per_type, "Per måned": result.per_month, "Per lokasjon": result.per_site}
    if comparison is not None:
        sheets["Reservert mot ledig seng"] = comparison
    path = write_simulation_excel(sheets, out_dir / "simulering.xlsx")
    figures = write_simulation_figures(
        {"simulert-avvisning-per-maaned": monthly_figure(result.per_month, case.bed_type_names)}, out_dir
    )
    table = _table(
        f"Simulering av «{name}»: {number(years, 0)} år × {replications} gjentak",
        ("Plasstype", "Andel avvist", "I annen seng", "Belegg"),
    )
    for row in result.per_type.itertuples():
        table.add_row(
            row.bed_type,
            f"{percent(row.blocking)} ± {percent(row.blocking_ci)}",
            percent(row.overflow_share),
            "-" if np.isnan(row.occupancy) else percent(row.occupancy),
        )
    Console(width=120).print(table)
    queues = result.per_type[result.per_type["mean_wait_days"].notna()]
    if len(queues):
        waits = _table(
            "Ventende pasienter (simulert)",
            ("Plasstype", "Ventedøgn per år", "Snitt ventetid", "90-persentil", "Venter > 7 døgn", "Gir opp"),
        )
        for row in queues.itertuples():
            waits.add_row(
                row.bed_type,
                f"{number(row.waiting_days_per_year)} ± {number(row.waiting_days_per_year_ci)}",
                f"{number(row.mean_wait_days, 2)} ± {number(row.mean_wait_days_ci, 2)} døgn",
                f"{number(row.wait_p90_days, 1)} døgn",
                percent(row.share_wait_over_7),
                f"{percent(row.blocking)} ± {percent(row.blocking_ci)}",
            )
        Console(width=120).print(waits)
    click.echo(f"{number(result.events)} hendelser på {number(elapsed, 1)} s. Resultater: {path}; figur: {figures[0]}")


@main.command("plan", options_metavar="[VALG]")
@click.argument("input_path", metavar="[INNDATA]", required=False, type=click.Path(path_type=Path))
@option("--fra", "first_year", type=click.IntRange(1900, 2200), metavar="ÅR", help="Første år (standard: startaar).")
@option("--til", "last_year", type=click.IntRange(1900, 2200), metavar="ÅR", help="Siste år (standard: sluttaar).")
@option(
    "--aar",
    "--år",
    "chosen_years",
    metavar="ÅR,ÅR,...",
    help="Bare disse årene, f.eks. 2025,2030,2035,2040 (hvert års fordeling gjelder til neste år i lista).",
)
@option(
    "--scenarier",
    "scenarios_path",
    metavar="FIL.xlsx",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Scenariofil (som for dimension sweep): planen for hvert scenario, f.eks. befolkningsvekst "
    "(vekstfaktor), diskonteringsrente eller Utbygging:navn:tidligst_aar.",
)
@out_option("file", "Excel-filen som skrives (standard: reports/<case>-plan.xlsx).")
@jobs_option
@dimensioning_option
@_handle_errors
def plan_command(
    input_path: Path | None,
    first_year: int | None,
    last_year: int | None,
    chosen_years: str | None,
    scenarios_path: Path | None,
    out_path: Path | None,
    jobs: int | None,
    dimensjonering: str,
) -> None:
    """Behov fram mot 2040: fordeling, avvisning, UKP-døgn, årsverk og kostnad per år.

    Krever arkene «Befolkning» og «Rater» (og en fordeling i «Alternativer» som regnes som dagens).
    Sammenligner tre strategier per år: planen (optimal over alle årene, med utbyggingene i
    «Utbygging», som ikke kan angres), dagens total med den beste fordelingen hvert år, og
    dekningsgrad (dagens plasser per 1 000 innbyggere over 80 år holdt fast, dagens fordeling).
    """
    from .report.plan_report import plan_sentences, write_plan_excel
    from .years import FIXED_TOTAL, PLAN, plan_years, planning_years

    if scenarios_path is not None:

        def prepare(case: Case) -> tuple[Case, list[int]]:
            # the command's years and dimensioning hold for every scenario, each on its own years
            case = case.replace(peak_dimensioning=dimensjonering == "topp")
            return case, _plan_years_asked(case, planning_years(case), first_year, last_year, chosen_years)

        _plan_scenarios(input_path, scenarios_path, out_path, jobs, prepare)
        return
    out_path = out_path or DEFAULT_REPORT_DIR / f"{safe_stem(input_path or drammen_path())}-plan.xlsx"
    with guarded([input_path or drammen_path()], [out_path], ".xlsx"):
        case = _load(input_path, dimensjonering)
        if case.population.empty or case.rates.empty:
            raise DimensioningError(
                "Inndatafilen har ikke arkene «Befolkning» og «Rater», som planen for årene framover trenger. "
                "«dimension template --eksempel drammen drammen.xlsx» viser hvordan de fylles ut."
            )
        if not case.alternative_names:
            raise DimensioningError(
                "Planen trenger dagens fordeling: legg den inn som første fordeling i «Alternativer»."
            )
        chosen = _plan_years_asked(case, planning_years(case), first_year, last_year, chosen_years)
        with progress_bar(len(chosen), "År") as update:
            result = plan_years(case, chosen, jobs=jobs, progress=update)
        write_plan_excel(result, case, out_path)
    titles = {
        PLAN: "Plan: senger per plasstype og år (optimal over årene, med utbygging)",
        FIXED_TOTAL: f"Fast total ({number(case.settings.total_beds or 0)} plasser), beste fordeling hvert år",
    }
    for strategy, title in titles.items():
        if not (result.per_year["strategy"] == strategy).any():
            continue
        table = _table(title, ("År", *case.bed_type_names, "Senger", "UKP-døgn", "Kostnad (mill. kr)", "Holder"))
        per_type = result.per_type[result.per_type["strategy"] == strategy].set_index(["year", "bed_type"])
        for row in result.per_year[result.per_year["strategy"] == strategy].itertuples():
            cells = [
                f"{int(per_type.at[(row.year, t), 'beds'])}{'' if per_type.at[(row.year, t), 'holds'] else ' *'}"
                for t in case.bed_type_names
            ]
            table.add_row(
                str(row.year),
                *cells,
                str(row.beds),
                number(row.ukp_days_per_year),
                number(row.total_cost_nok / 1e6, 1),
                "ja" if row.meets_targets else "nei",
            )
        Console(width=150).print(table)
    click.echo("* = plasstypen bommer på kravet det året (beregnet med vintertopp og ferier).")
    for sentence in plan_sentences(result, int(case.settings.total_beds or 0)):
        click.echo(sentence)
    click.echo(f"Plan skrevet til {out_path}")


def _plan_scenarios(
    input_path: Path | None,
    scenarios_path: Path,
    out_path: Path | None,
    jobs: int | None,
    prepare: Callable[[Case], tuple[Case, list[int]]],
) -> None:
    """``dimension plan --scenarier``: the plan for every scenario, one row each, on the years asked."""
    from .report.plan_report import write_plan_sweep_excel
    from .years import plan_sweep

    out_path = out_path or DEFAULT_REPORT_DIR / f"{safe_stem(scenarios_path)}-planscenarier.xlsx"
    with guarded([scenarios_path, input_path or drammen_path()], [out_path], ".xlsx"):
        base = read_base_tables(input_path)
        scenarios = read_scenarios(scenarios_path, base, years=True)
        with progress_bar(len(scenarios)) as update:
            table = plan_sweep(base, scenarios, jobs=jobs, progress=update, prepare=prepare)
        write_plan_sweep_excel(table, out_path)
    summary = _table(
        "Planen per scenario",
        ("Scenario", "Dagens total holder ikke fra", "Planen åpner", "Senger siste år", "UKP-døgn siste år", "Status"),
    )
    for row in table.itertuples():
        ok = row.status == "ok"
        summary.add_row(
            row.scenario,
            str(int(row.first_break_year))
            if ok and row.first_break_year == row.first_break_year and row.first_break_year is not None
            else "–",
            (row.openings or "ingen") if ok else "–",
            number(row.plan_beds_last) if ok else "–",
            number(row.plan_ukp_days_last) if ok else "–",
            row.status,
        )
    Console(width=150).print(summary)
    for row in table[table["status"] != "ok"].itertuples():
        click.echo(f"{row.scenario}: {row.reason}")
    click.echo(f"Planscenarier skrevet til {out_path}")


def _print_data_quality(quality: pd.DataFrame, path: Path) -> None:
    """The stay file's data-quality summary (aggregates only), before the estimates."""
    table = _table(f"Datakvalitet i {redact_ids(path.name)}", ("Kontroll", "Antall", "Merknad"))
    for row in quality.itertuples():
        table.add_row(row.item, number(row.value), row.detail)
    Console(width=150).print(table)


def _plan_years_asked(
    case: Case, default: list[int], first_year: int | None, last_year: int | None, chosen: str | None
) -> list[int]:
    """The years ``dimension plan`` computes: ``--aar``, or ``--fra``..``--til`` (every year), or the defaults."""
    known = sorted(int(y) for y in case.population["year"].unique())
    if chosen:
        try:
            years = sorted({int(part) for part in chosen.replace(";", ",").split(",") if part.strip()})
        except ValueError:
            message = f"--aar må være årstall skilt med komma, f.eks. 2025,2030,2040 (fikk «{chosen}»)."
            raise DimensioningError(message) from None
        if not years:
            raise DimensioningError("--aar må ha minst ett årstall.")
    elif first_year or last_year:
        first, last = first_year or default[0], last_year or default[-1]
        if first > last:
            raise DimensioningError(f"--fra {first} er etter --til {last}.")
        years = list(range(first, last + 1))
    else:
        years = default
    if years[0] < known[0] or years[-1] > known[-1]:
        raise DimensioningError(
            f"Befolkningen er gitt for {known[0]}-{known[-1]}; velg år innenfor det (fikk {years[0]}-{years[-1]})."
        )
    return years


@main.command("kalibrer", options_metavar="[VALG]")
@click.argument("stays_path", metavar="[OPPHOLD]", required=False, type=click.Path(path_type=Path, dir_okay=False))
@option(
    "--case",
    "--inndata",
    "case_path",
    metavar="INNDATA",
    type=click.Path(path_type=Path),
    help="Inndatafilen oppholdene hører til; den nye inndatafilen er en kopi med de beregnede verdiene "
    "(standard: eksempelet Drammen).",
)
@option(
    "--til-og-med",
    "until",
    metavar="DATO",
    help="Siste dag som regnes med (dd.mm.åååå; standard: siste dato i filen). Senere opphold tas ikke med.",
)
@out_option("file", "Ny inndatafil (standard: reports/<opphold>-kalibrert.xlsx); beregningen og figurene legges ved.")
@_handle_errors
def calibrate_command(
    stays_path: Path | None, case_path: Path | None, until: str | None, out_path: Path | None
) -> None:
    """Beregn etterspørsel, liggetid og sesong fra kommunens egne opphold (OPPHOLD.xlsx eller .csv).

    Én rad per opphold: pasient (pseudonymt løpenummer, aldri fødselsnummer), plasstype, lokasjon,
    innskrevet, utskrevet (tom: fortsatt innlagt) og eventuelt meldt_utskrivningsklar. Skriver en ny
    inndatafil med verdiene i «Plasstyper» og «Sesong», en beregningsfil med alle estimater og
    konfidensintervaller, og figurer som sammenligner det observerte med modellen. Uten OPPHOLD brukes
    et SYNTETISK eksempel for Drammen (simulert, ingen ekte pasienter).
    """
    from .calibrate import calibrate, calibrated_case
    from .examples import synthetic_stays_path
    from .report.calibration_report import estimates_frame, write_calibration_excel, write_calibration_figures
    from .stays import parse_date, read_stays

    if stays_path is None:
        stays_path = synthetic_stays_path()
        click.echo(f"Ingen oppholdsfil oppgitt: bruker det syntetiske eksempelet ({stays_path.name}).", err=True)
    out_path = out_path or DEFAULT_REPORT_DIR / f"{safe_stem(stays_path)}-kalibrert.xlsx"
    details = out_path.with_name(f"{out_path.stem}-beregning.xlsx")
    cutoff = None
    if until:
        day, problem = parse_date(until)
        if problem or day is None:
            raise DimensioningError(f"--til-og-med: {problem or 'mangler dato'}")
        cutoff = day
    with guarded([stays_path, case_path or drammen_path()], [out_path, details], ".xlsx"):
        case = load_case(case_path) if case_path else drammen()
        stays = read_stays(stays_path, case.bed_type_names, case.site_names)
        calibration = calibrate(stays, case, None if cutoff is None else pd.Timestamp(cutoff))
        _print_data_quality(calibration.quality, stays_path)
        new_case = calibrated_case(case, calibration)
        try:  # never write an input file that the tool's own validation refuses
            read_back(new_case)
        except InputError as refused:
            problems = "\n".join(f"  - {issue}" for issue in refused.issues)
            raise DimensioningError(
                "Kalibreringen ga tall som verktøyet selv ikke godtar som inndata, så ingen fil er skrevet:\n"
                f"{problems}\nSjekk oppholdsfilen og at caset har de sengene og stengingene som gjaldt i perioden."
            ) from refused
        write_template(new_case, out_path)
        write_calibration_excel(calibration, details)
        figures = write_calibration_figures(calibration, out_path.parent, out_path.stem)
    table = _table(
        f"Beregnet fra {number(calibration.stays)} opphold {calibration.period_nb}",
        (
            "Plasstype",
            "Opphold",
            "Etterspørsel per år (95 % KI)",
            "Uten plass da",
            "Liggetid (95 % KI)",
            "CV",
            "Belagt: observert / modell",
        ),
    )
    fit = calibration.fit.set_index("bed_type") if not calibration.fit.empty else None
    for row in estimates_frame(calibration).itertuples():
        if row.offered_per_year != row.offered_per_year:
            table.add_row(row.bed_type, number(row.stays), "–", "–", "–", "–", row.note or "")
            continue
        occupied = (
            f"{number(fit.at[row.bed_type, 'observed_mean_occupied'], 1)} / "
            f"{number(fit.at[row.bed_type, 'model_mean_occupied'], 1)}"
        )
        table.add_row(
            row.bed_type,
            number(row.stays),
            f"{number(row.offered_per_year)} ({number(row.offered_per_year_low)}-{number(row.offered_per_year_high)})",
            percent(row.blocking_then),
            f"{number(row.los_days, 1)} ({number(row.los_days_low, 1)}-{number(row.los_days_high, 1)}) døgn",
            number(row.los_cv, 2),
            occupied,
        )
    Console(width=150).print(table)
    for row in estimates_frame(calibration).itertuples():
        if row.note and row.offered_per_year == row.offered_per_year:
            click.echo(f"Merk, {row.bed_type}: {row.note}.")
    for row in estimates_frame(calibration).itertuples():
        if row.model_mean_wait_days == row.model_mean_wait_days and row.waits_observed:
            click.echo(
                f"Ventetid {row.bed_type}: observert {number(row.mean_wait_days, 1)} døgn "
                f"({number(row.mean_wait_days_low, 1)}-{number(row.mean_wait_days_high, 1)}) for de innlagte, "
                f"{percent(row.share_wait_over_7)} over 7 døgn; modellen {number(row.model_mean_wait_days, 1)} døgn."
            )
    click.echo(f"Ny inndatafil skrevet til {out_path} (oppholdsfilen og {case_path or 'eksempelet'} er ikke endret).")
    click.echo(
        f"Estimater, intervaller og tilpasning: {details}; figurer: {', '.join(p.name for p in figures.values())}"
    )


@main.command("check", options_metavar="[VALG]")
@click.argument("input_path", metavar="[INNDATA]", required=False, type=click.Path(path_type=Path))
@alternative_option
@out_option("folder", "Mappe for Excel og figur (standard: reports/<case>-sjekk).")
@with_simulation_options
@dimensioning_option
@_handle_errors
def check_command(
    input_path: Path | None,
    alternative: str | None,
    out_dir: Path | None,
    years: float,
    replications: int,
    seed: int,
    jobs: int | None,
    dimensjonering: str,
) -> None:
    """Sammenlign formlene for avvisning med simulering, for hver plasstype.

    Erlang B: andelen som avvises når etterspørselen er jevn over året. SIPP ("stationary
    independent period by period"): Erlang B regnet måned for måned med månedens etterspørsel og
    åpne senger. MOL ("modified offered load"): som SIPP, men med hvor mange senger som faktisk er
    opptatt hver dag når pasienter blir liggende inn i neste periode. Simulert: en hendelsesstyrt
    simulering av hver pasient, med 95 % konfidensintervall.
    """
    from .report.simulation_report import check_figure, write_simulation_excel, write_simulation_figures
    from .simulate import analytic_check

    out_dir = out_dir or DEFAULT_REPORT_DIR / f"{safe_stem(input_path or drammen_path())}-sjekk"
    with guarded([input_path or drammen_path()], [out_dir / "sjekk.xlsx"]):
        case, name, allocation, options = _simulation_setup(
            input_path, alternative, dimensjonering, years=years, replications=replications, seed=seed, jobs=jobs
        )
        check = analytic_check(case, allocation, options)
        path = write_simulation_excel({"Analytisk mot simulert": check}, out_dir / "sjekk.xlsx")
        figures = write_simulation_figures({"analytisk-mot-simulert": check_figure(check)}, out_dir)
    table = _table(
        f"Avvisning for «{name}»: analytisk mot simulert (uten overløp)",
        ("Plasstype", "Senger", "Erlang B", "SIPP", "MOL", "Simulert", "Simulert − MOL"),
    )
    for row in check.itertuples():
        table.add_row(
            row.bed_type,
            str(row.beds),
            _percent_or_dash(row.erlang_b),
            _percent_or_dash(row.sipp),
            percent(row.mol),
            f"{percent(row.simulated)} ± {percent(row.simulated_ci)}",
            percent(row.difference_mol),
        )
    Console(width=120).print(table)
    queues = check[check["wait_simulated"].notna()]
    if len(queues):
        waits = _table(
            "Ventetid (snitt over alle innlagte): Erlang A mot simulert kø (uten overløp)",
            ("Plasstype", "Senger", "Erlang A", "Modellen (sesong, ferier)", "Simulert"),
        )
        for row in queues.itertuples():
            waits.add_row(
                row.bed_type,
                str(row.beds),
                f"{number(row.wait_erlang_a, 2)} døgn",
                f"{number(row.wait_model, 2)} døgn",
                f"{number(row.wait_simulated, 2)} ± {number(row.wait_simulated_ci, 2)} døgn",
            )
        Console(width=120).print(waits)
        click.echo(
            "For plasstyper som venter viser kolonnene Erlang B, MOL og Simulert andelen som gir opp å vente "
            "(Erlang A). Erlang A forutsetter eksponentiell liggetid; med lognormal liggetid vises avviket som det er."
        )
    click.echo(f"Resultater: {path}; figur: {figures[0]}")


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
@_handle_errors
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
            write_sweep_template(base, out_path)
            click.echo(f"Scenariofil for «{base.display_name}» skrevet til {out_path}")
        elif example_name:
            write_template(example(example_name), out_path)
            click.echo(f"Eksempelet «{example_name}» skrevet til {out_path}")
        else:
            write_template(template_case(), out_path)
            click.echo(f"Inndatamal skrevet til {out_path}. Fyll inn kommunens tall; arket «Les meg» forklarer alt.")


@main.command("sweep", options_metavar="[VALG]")
@click.argument("scenarios_path", metavar="SCENARIOFIL", type=click.Path(path_type=Path, dir_okay=False))
@option(
    "--grunnlag",
    "--base",
    "base_path",
    metavar="INNDATA",
    type=click.Path(path_type=Path),
    help="Inndatafilen scenariene endrer (standard: eksempelet Drammen).",
)
@out_option("file", "Resultatfil (standard: reports/<scenariofil>-resultat.xlsx). Figurene legges ved siden av.")
@option(
    "--prosesser",
    "--jobs",
    "jobs",
    metavar="ANTALL",
    type=click.IntRange(min=1),
    help="Antall prosesser (standard: alle kjerner).",
)
@option(
    "--klynge",
    "--scheduler",
    "scheduler",
    metavar="ADRESSE",
    help="Adressen til en Dask-planlegger: kjør scenariene på en klynge i stedet for på denne maskinen.",
)
@_handle_errors
def sweep_command(
    scenarios_path: Path,
    base_path: Path | None,
    out_path: Path | None,
    jobs: int | None,
    scheduler: str | None,
) -> None:
    """Løs hvert scenario i SCENARIOFIL (arkene Scenarier og Rutenett) og skriv én rad per scenario."""
    # imported here: matplotlib and the process pool are not needed by `dimension solve`
    from .report.sweep_report import write_sweep_excel, write_sweep_figures
    from .sweep import sweep

    out_path = out_path or DEFAULT_REPORT_DIR / f"{safe_stem(scenarios_path)}-resultat.xlsx"
    journal = out_path.with_name(out_path.name + ".delvis.jsonl")
    with guarded([scenarios_path, base_path or drammen_path()], [out_path], ".xlsx"):
        check_output_path(journal)
        base = read_base_tables(base_path)
        scenarios = read_scenarios(scenarios_path, base)
        with progress_bar(len(scenarios)) as update:
            try:
                run = sweep(base, scenarios, jobs=jobs, journal=journal, scheduler=scheduler, progress=update)
            except KeyboardInterrupt:
                message = f"Avbrutt. Ferdige scenarier er lagret i {journal}; kjør samme kommando for å fortsette."
                click.echo(message, err=True)
                sys.exit(130)
        write_sweep_excel(run.table, scenarios, out_path)
        figures = write_sweep_figures(run.table, scenarios, out_path.parent, out_path.stem)
    journal.unlink(missing_ok=True)
    if run.unreadable_journal_lines:
        lines = count_words(run.unreadable_journal_lines, "linje", "linjer")
        message = f"{lines} i journalen fra et avbrutt kjør kunne ikke leses; de scenariene ble løst på nytt."
        click.echo(message, err=True)
    failed = run.table[run.table["status"] != "optimal"]
    click.echo(
        f"{len(scenarios)} scenarier ({run.resumed} hentet fra et avbrutt kjør, {run.solved} løst nå), "
        f"{len(failed)} uten løsning."
    )
    for row in failed.head(20).itertuples():
        click.echo(f"  - {row.scenario}: {row.status}. {str(row.konflikt)[:300]}")
    click.echo(f"Resultater skrevet til {out_path}")
    for figure in figures:
        click.echo(f"Figur: {figure}")


def read_base_tables(path: Path | None) -> dict:
    """Raw tables of the base workbook (validated once here, so a broken base fails early)."""
    from .case import read_case_tables

    return read_case_tables(path or drammen_path())


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

        yield update


def _percent_or_dash(share: float) -> str:
    """A share, or a dash where the formula does not apply (NaN)."""
    return "–" if share != share else percent(share)


def _print_summary(result: Result) -> None:
    """A short table in the terminal: beds per type for every alternative, then cost lines."""
    console = Console(width=140)
    names = result.alternatives
    table = Table(title=f"Korttidsplasser – {result.case.display_name} ({result.status.label_nb})")
    table.add_column("Plasstype")
    for name in names:
        table.add_column(name, justify="right")
    beds = result.comparison.pivot_table(
        index="bed_type", columns="alternative", values="beds", aggfunc="sum", sort=False
    )
    source = record_source(result)
    blocking = result.queueing.set_index(["alternative", "bed_type"])["share_not_served"]
    rules = "vintertopp, ferier og delingsregelen" if source == "simulert" else "vintertopp og ferier, uten deling"
    legend = (
        "Senger per plasstype (andel som ikke får plass i parentes: avvist, gir opp å vente "
        f"eller bookede døgn ikke gitt; {source} med {rules})."
    )
    for bed_type in result.case.bed_type_names:
        cells = [f"{int(beds.at[bed_type, n])} ({percent(blocking[n, bed_type], 0)})" for n in names]
        table.add_row(bed_type, *cells)
    costs = result.costs.set_index("alternative")
    table.add_section()
    table.add_row("Kostnad (mill. kr/år)", *[number(costs.at[n, "total_cost_nok"] / 1e6, 1) for n in names])
    table.add_row(f"Avviste per år ({source})", *[number(costs.at[n, "turned_away_per_year"]) for n in names])
    ukp = {n: ukp_figures(result, n) for n in names}
    if all(ukp.values()):
        table.add_row(f"UKP-døgn per år ({source})", *[number(ukp[n]["days"]) for n in names])
        table.add_row(
            f"Kostnad UKP-døgn (mill. kr/år, {source})", *[number(ukp[n]["cost_nok"] / 1e6, 1) for n in names]
        )
        table.add_row(
            f"Snitt ventetid UKP for dem som venter (døgn, {source})",
            *[number(ukp[n]["wait_if_waiting"], 1) for n in names],
        )
    if (costs["unmet_booked_days_per_year"] > 0).any() or (result.case.bed_types["when_full"] == "planlagt").any():
        table.add_row(
            f"Bookede døgn som ikke kan gis ({source})",
            *[number(costs.at[n, "unmet_booked_days_per_year"]) for n in names],
        )
    table.add_row("Regelbrudd", *[str(int(costs.at[n, "broken_rules"])) for n in names])
    console.print(table)
    console.print(legend)
    if all(ukp.values()):
        decision = result.case.reference_name
        shown_names = [n for n in (result.optimum_name if result.has_optimum else None, decision) if n]
        console.print(ukp_sentence(result, shown_names or names[:1]))
    if not result.has_optimum:
        return
    console.print(holds_sentence(result))
    for sentence in sharing_sentences(result):
        console.print(sentence)
    larger = larger_plan_sentence(result)
    if larger:
        console.print(larger)
    if result.smallest_total_beds is not None and result.verification is None:
        console.print(
            f"Minste antall plasser som oppfyller alle kravene (beregnet, ikke kontrollert med simulering): "
            f"{result.smallest_total_beds} (optimum: {result.optimum_total_beds})."
        )
    console.print(f"Løst på {number(result.status.runtime_s, 2)} s med {result.status.solver}.")
    if result.status.stop_note_nb:
        console.print(result.status.stop_note_nb)


if __name__ == "__main__":
    main()
