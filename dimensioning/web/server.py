"""The page's server side: one call of the library per thing a planner does.

Loading a workbook is :func:`~dimensioning.inputs.case.load_case` (the CLI's validation). The first
view is :func:`~dimensioning.api.solve` without the simulation (about a second on Drammen); the
recommendation of record follows from a background job that runs exactly what ``dimension solve``
runs (:func:`.tasks.verified_solve`). A what-if is :func:`~dimensioning.workflows.evaluate.evaluate`
of the edited split under the edited case; its simulation, the plan, the sweep, the calibration, the
forecast and the report are jobs with progress and a cancel button.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from htmltools import TagList, tags
from shiny import reactive, render, ui
from shiny.types import SilentException

from dimensioning.common.errors import DimensioningError, InfeasibleError, redact_ids
from dimensioning.inputs.case import Case, load_case
from dimensioning.inputs.data import drammen_path
from dimensioning.web import tasks
from dimensioning.web.jobs import Job
from dimensioning.web.more import register as register_more
from dimensioning.web.session import SessionFiles, safe_name
from dimensioning.web.views import recommendation, whatif_table
from dimensioning.web.widgets import Page, job_outputs

SEED = 2024
POLL_S = 0.5


def server(input: Any, output: Any, session: Any) -> None:  # noqa: A002 - Shiny's own parameter names
    """Wire one browser session: its folder, its case, its results and its jobs."""
    files = SessionFiles()
    session.on_ended(files.close)
    workbook: reactive.Value[Path | None] = reactive.value(None)
    case: reactive.Value[Case | None] = reactive.value(None)
    message = reactive.value("")
    first: reactive.Value[Any] = reactive.value(None)  # the analytic first view
    record: reactive.Value[Any] = reactive.value(None)  # the verified recommendation
    tick = reactive.value(0)
    simulated_whatif: reactive.Value[Any] = reactive.value(None)

    def load(path: Path) -> None:
        for key in list(files.jobs):
            files.cancel(key)
        record.set(None)
        simulated_whatif.set(None)
        try:
            loaded = load_case(path)
        except DimensioningError as error:
            case.set(None)
            first.set(None)
            message.set(redact_ids(str(error)).replace(str(path), path.name))  # not the server's folder
            return
        message.set("")
        case.set(loaded)
        workbook.set(path)
        first.set(_first_view(loaded))
        job = Job("Kontroll med simulering", tasks.verified_solve, path, files.path("resultat.xlsx"), SEED)
        files.start("anbefaling", job)
        tick.set(tick() + 1)

    @reactive.effect
    @reactive.event(input.drammen)
    def _use_drammen() -> None:
        load(drammen_path())  # read only: every command protects its inputs from being written over

    @reactive.effect
    @reactive.event(input.arbeidsbok)
    def _upload() -> None:
        try:
            path = files.take_upload(input.arbeidsbok()[0], "inndata", (".xlsx", ".xlsm"))
        except DimensioningError as error:
            case.set(None)
            first.set(None)
            message.set(str(error))
            return
        load(path)

    @reactive.effect
    def _poll() -> None:
        reactive.invalidate_later(POLL_S)
        changed = False
        for key, job in list(files.jobs.items()):
            before = (job.state.done, job.state.running, job.state.error)
            state = job.poll()
            changed |= before != (state.done, state.running, state.error) or state.running
            if key == "anbefaling" and state.finished:
                with reactive.isolate():
                    if record() is None:
                        record.set(state.value)
            if key == "hvaom" and state.finished:
                with reactive.isolate():
                    if simulated_whatif() is not state.value:
                        simulated_whatif.set(state.value)
        if changed:
            with reactive.isolate():
                tick.set(tick() + 1)

    @reactive.calc
    def shown() -> Any:
        return record() or first()

    @render.ui
    def innlastet() -> Any:
        if message():
            return tags.div(message(), class_="feil", id="feil", role="alert")
        if case() is None:
            return tags.p("Ingen arbeidsbok lastet ennå.", class_="text-muted")
        loaded = case()
        return tags.p(
            f"Lastet: {loaded.display_name}, {len(loaded.site_names)} lokasjoner, "
            f"{len(loaded.bed_type_names)} plasstyper.",
            id="lastet",
        )

    @render.ui
    def overskrift() -> Any:
        if case() is None:
            return tags.div(
                tags.h3("Velkommen"),
                tags.p("Velg eksempelet Drammen eller last opp kommunens egen arbeidsbok i feltet til venstre."),
            )
        return tags.h2(f"Korttidsplasser – {case().display_name}", id="kommune")

    @render.ui
    def anbefaling() -> Any:
        result = shown()
        return None if result is None else recommendation(result, verified=record() is not None)

    @render.image(delete_file=False)
    def figur() -> Any:
        result = shown()
        if result is None or not result.has_optimum:
            return None
        from dimensioning.report.plots import save_figure, summary_figure

        name = "side-1-figur.png" if record() is not None else "side-1-figur-forelopig.png"
        path = save_figure(summary_figure(result), files.path(name))
        return {"src": str(path), "width": "720px", "alt": "Senger per plasstype i dag og anbefalt"}

    page = Page(input, output, files, case, workbook, tick)
    job_outputs(page, "anbefaling", "Kontrollerer anbefalingen med simulering")

    @render.ui
    def nedlastinger() -> Any:
        tick()
        if record() is None:
            return tags.p("Excel-filen kan lastes ned når anbefalingen er kontrollert.", class_="text-muted")
        return ui.download_button("excel", "Resultatet (Excel)", class_="btn-success btn-sm w-100")

    @render.download_button(filename=lambda: f"{_stem(case())}-resultat.xlsx")
    def excel() -> Any:
        return str(files.path("resultat.xlsx"))

    @render.download_button(filename="mal-ny-kommune.xlsx")
    def mal() -> Any:
        from dimensioning.inputs.examples import template_case
        from dimensioning.inputs.template import write_template

        return str(write_template(template_case(), files.path("mal-ny-kommune.xlsx")))

    @render.download_button(filename="drammen.xlsx")
    def eksempel() -> Any:
        return str(drammen_path())

    _whatif(page, shown, record, simulated_whatif)
    register_more(page)


def _first_view(case: Case) -> Any:
    """The analytic solve (no simulation): the page's first numbers, shown as preliminary."""
    from dimensioning.api import solve

    try:
        return solve(case)
    except InfeasibleError as error:
        return getattr(error, "result", None)


def _stem(case: Case | None) -> str:
    """The kommune's name as a file-name stem: «Drammen kommune» gives ``drammen-kommune``."""
    return safe_name(case.display_name if case is not None else "resultat").lower()


def _whatif(page: Page, shown: Any, record: Any, simulated: Any) -> None:  # noqa: C901 - one tab's outputs
    """The «Hva om» tab: a grid of beds, demand and targets per type; evaluated at every change."""
    from dimensioning.workflows.evaluate import evaluate

    input, files, tick = page.input, page.files, page.tick  # noqa: A001 - Shiny's name

    @render.ui
    def hvaom_skjema() -> Any:
        result = shown()
        if result is None or not result.has_optimum:
            return tags.p("Last inn en arbeidsbok først.", class_="text-muted")
        c = result.case
        beds = result.allocation.set_index(["site", "bed_type"])["beds"]
        head = tags.tr(tags.th("Lokasjon"), *[tags.th(t) for t in c.bed_type_names])
        rows = [
            tags.tr(
                tags.th(site),
                *[
                    tags.td(ui.input_numeric(f"hva_s{i}_t{j}", None, int(beds.get((site, t), 0)), min=0, step=1))
                    for j, t in enumerate(c.bed_type_names)
                ],
            )
            for i, site in enumerate(c.site_names)
        ]
        demand = tags.tr(
            tags.th("Innleggelser per år"),
            *[
                tags.td(ui.input_numeric(f"hva_inn_t{j}", None, float(c.bed_types.at[t, "arrivals_per_year"]), min=0))
                for j, t in enumerate(c.bed_type_names)
            ],
        )
        target = tags.tr(
            tags.th("Høyeste andel uten plass (%)"),
            *[
                tags.td(
                    ui.input_numeric(
                        f"hva_krav_t{j}", None, round(100 * float(c.bed_types.at[t, "max_blocking"]), 2), min=0, max=100
                    )
                )
                for j, t in enumerate(c.bed_type_names)
            ],
        )
        return tags.table(tags.thead(head), tags.tbody(*rows, demand, target), class_="hva-grid", id="hvaom-skjema")

    def edited() -> tuple[Case, pd.DataFrame] | None:
        result = shown()
        if result is None or not result.has_optimum:
            return None
        c = result.case
        cells = []
        for i, site in enumerate(c.site_names):
            for j, bed_type in enumerate(c.bed_type_names):
                value = _read(input, f"hva_s{i}_t{j}")
                if value is None:  # the grid is not in the browser yet, or a cell is being typed
                    return None
                cells.append((site, bed_type, max(0, int(value))))
        bed_types = c.bed_types.copy()
        for j, bed_type in enumerate(c.bed_type_names):
            arrivals = _read(input, f"hva_inn_t{j}")
            target = _read(input, f"hva_krav_t{j}")
            if arrivals is not None and arrivals >= 0:
                bed_types.at[bed_type, "arrivals_per_year"] = float(arrivals)
            if target is not None and 0 <= target <= 100:
                bed_types.at[bed_type, "max_blocking"] = float(target) / 100
        return c.replace(bed_types=bed_types), pd.DataFrame(cells, columns=["site", "bed_type", "beds"])

    @reactive.calc
    def base() -> Any:
        result = shown()
        return None if result is None or not result.has_optimum else evaluate(result.case, result.allocation, "")

    @render.ui
    def hvaom_tall() -> Any:
        pair = edited()
        if pair is None or base() is None:
            return None
        edited_case, allocation = pair
        if int(allocation["beds"].sum()) == 0:
            return tags.p("Fordelingen har ingen senger.", class_="feil")
        now = evaluate(edited_case, allocation, "Hva om")
        parts = [whatif_table(_figures(base()), _figures(now), edited_case.bed_type_names, "Anbefalingen (beregnet)")]
        if simulated() is not None and record() is not None:
            name = record().optimum_name
            parts.append(
                whatif_table(
                    _figures_of(record(), name),
                    _figures(simulated()),
                    edited_case.bed_type_names,
                    "Anbefalingen (simulert)",
                    table_id="hvaom-simulert",
                )
            )
        broken = now.violations
        if len(broken):
            parts.append(tags.p("Regler som brytes: " + "; ".join(broken["message_nb"].astype(str)[:8]) + "."))
        return TagList(*parts)

    @reactive.effect
    @reactive.event(input.hva_los)
    def _resolve() -> None:
        pair = edited()
        if pair is None:
            return
        from dimensioning.api import solve

        edited_case, _ = pair
        total = input.hva_total()
        if total:
            edited_case = edited_case.replace(settings=_with_total(edited_case, int(total)))
        try:
            result = solve(edited_case)
        except DimensioningError as error:
            ui.notification_show(redact_ids(str(error))[:600], type="error", duration=12)
            return
        beds = result.allocation.set_index(["site", "bed_type"])["beds"]
        for i, site in enumerate(edited_case.site_names):
            for j, bed_type in enumerate(edited_case.bed_type_names):
                ui.update_numeric(f"hva_s{i}_t{j}", value=int(beds.get((site, bed_type), 0)))

    @reactive.effect
    @reactive.event(input.hva_simuler)
    def _simulate() -> None:
        pair = edited()
        if pair is None:
            return
        simulated.set(None)
        files.start("hvaom", Job("Simulering av hva om", tasks.simulated_evaluation, *pair, "Hva om", SEED))
        tick.set(tick() + 1)

    job_outputs(page, "hvaom", "Simulerer hva om")


def _read(input: Any, key: str) -> Any:  # noqa: A002
    """An input's value, None while the browser has not sent it yet (the dependency is kept)."""
    try:
        return input[key]()
    except SilentException:
        return None


def _with_total(case: Case, total: int) -> Any:
    from dataclasses import replace

    return replace(case.settings, total_beds=total, total_min=None, total_max=None)


def _figures(evaluation: Any) -> tuple[pd.Series, pd.DataFrame]:
    return evaluation.costs.iloc[0], evaluation.queueing


def _figures_of(result: Any, name: str) -> tuple[pd.Series, pd.DataFrame]:
    costs = result.costs[result.costs["alternative"] == name].iloc[0]
    return costs, result.queueing[result.queueing["alternative"] == name]
