"""The «Flere beregninger» tab: each card runs one ``dimension`` command as a job in the session's folder.

The command is the terminal's own (:func:`.tasks.command`): the same validation, the same files, the
same sentences. Each job writes into its own subfolder; its download is those files, zipped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shiny import reactive, render, ui

from dimensioning.common.errors import DimensioningError
from dimensioning.web import tasks
from dimensioning.web.jobs import Job
from dimensioning.web.session import SessionFiles
from dimensioning.web.widgets import Page, job_outputs

#: Each card's key, what its progress line says, and the file name of its download.
JOBS = {
    "plan": ("Regner planen år for år", "plan.zip"),
    "sweep": ("Løser scenariene", "scenarier.zip"),
    "kalibrer": ("Kalibrerer fra oppholdene", "kalibrering.zip"),
    "prognose": ("Simulerer de neste ukene", "prognose.zip"),
    "rapport": ("Lager rapporten (med kontroll i simuleringen)", "rapport.zip"),
}


def register(page: Page) -> None:
    """Add the start, cancel, progress and download of every card to the session."""
    input, files, case = page.input, page.files, page.case  # noqa: A001 - Shiny's name
    uploads: dict[str, Path] = {}

    @reactive.effect
    @reactive.event(input.scenariofil)
    def _scenarios() -> None:
        _take(files, input.scenariofil()[0], "scenarier", (".xlsx",), uploads, "scenarier")

    @reactive.effect
    @reactive.event(input.oppholdsfil)
    def _stays() -> None:
        _take(files, input.oppholdsfil()[0], "opphold", (".xlsx", ".csv"), uploads, "opphold")

    @render.download_button(filename="scenariomal.xlsx")
    def scenariomal() -> Any:
        from dimensioning.inputs.template import write_sweep_template

        if case() is None:
            raise DimensioningError("Last inn en arbeidsbok først.")
        return str(write_sweep_template(case(), files.path("scenariomal.xlsx")))

    for key, (title, zip_name) in JOBS.items():
        _card(page, uploads, key, title, zip_name)


def _take(files: SessionFiles, info: dict, stem: str, suffixes: tuple[str, ...], uploads: dict, key: str) -> None:
    try:
        uploads[key] = files.take_upload(info, stem, suffixes)
    except DimensioningError as error:
        uploads.pop(key, None)
        ui.notification_show(str(error), type="error", duration=10)


def _argv(key: str, workbook: Path, folder: Path, uploads: dict[str, Path]) -> list[str]:
    """The command line of a card's job (every output inside ``folder``).

    Without an uploaded stay file, calibration and forecast do what the command does: the sheet
    «Belegg i dag», or the synthetic record when the workbook has Drammen's types and sites, or a
    message asking for the kommune's own record.
    """
    stays = uploads.get("opphold")
    if key == "plan":
        return ["plan", str(workbook), "--ut", str(folder / "plan.xlsx")]
    if key == "sweep":
        if "scenarier" not in uploads:
            raise DimensioningError("Velg en scenariofil først (last ned scenariomalen for et eksempel).")
        scenarios = uploads["scenarier"]
        return ["sweep", str(scenarios), "--grunnlag", str(workbook), "--ut", str(folder / "scenarier-resultat.xlsx")]
    if key in ("kalibrer", "prognose"):
        out = folder / ("kalibrert.xlsx" if key == "kalibrer" else "prognose.xlsx")
        return [key, *([str(stays)] if stays else []), "--inndata", str(workbook), "--ut", str(out)]
    return ["report", str(workbook), "--ut", str(folder / "rapport")]


def _card(page: Page, uploads: dict[str, Path], key: str, title: str, zip_name: str) -> None:
    files, workbook, case = page.files, page.workbook, page.case

    @reactive.effect
    @reactive.event(page.input[f"start_{key}"])
    def _start() -> None:
        if workbook() is None or case() is None:
            ui.notification_show("Last inn en arbeidsbok først.", type="warning")
            return
        folder = files.subfolder(key)
        try:
            argv = _argv(key, workbook(), folder, uploads)
        except DimensioningError as error:
            ui.notification_show(str(error), type="warning", duration=10)
            return
        files.start(key, Job(title, tasks.command, argv, folder))
        page.tick.set(page.tick() + 1)

    job_outputs(page, key, title, download=f"last_{key}")

    @page.output(id=f"last_{key}")
    @render.download_button(filename=zip_name)
    def _download() -> Any:
        job = files.jobs.get(key)
        names = job.state.value if job is not None and job.state.finished else []
        return str(tasks.zip_files(files.folder / key, names, files.path(zip_name)))
