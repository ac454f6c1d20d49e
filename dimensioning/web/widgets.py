"""Pieces the page's tabs share: a job's view with its progress and cancel button, and file inputs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from htmltools import tags
from shiny import reactive, render, ui

from dimensioning.common.labels import number
from dimensioning.web.session import SessionFiles


@dataclass(frozen=True)
class Page:
    """One browser session's side of the page: Shiny's inputs and outputs, its folder, its state."""

    input: Any
    output: Any
    files: SessionFiles
    case: Any  # reactive value: the loaded Case, or None
    workbook: Any  # reactive value: the workbook's path in the session folder, or None
    tick: Any  # reactive value: bumped when a job has news, so that job views redraw


def file_input(input_id: str, label: str, accept: list[str]) -> Any:
    """A file upload in bokmål."""
    return ui.input_file(input_id, label, accept=accept, button_label="Velg fil …", placeholder="Ingen fil valgt")


def job_outputs(page: Page, key: str, title: str, download: str | None = None) -> None:
    """Register the view of the job ``key`` (output ``jobb_<key>``) and its cancel button."""

    @page.output(id=f"jobb_{key}")
    @render.ui
    def _view() -> Any:
        page.tick()
        view = job_view(page.files, key, title, download)
        return view if view is not None else tags.span()

    @reactive.effect
    @reactive.event(page.input[f"avbryt_{key}"])
    def _cancel() -> None:
        page.files.cancel(key)
        page.tick.set(page.tick() + 1)


def job_view(files: SessionFiles, key: str, title: str, download: str | None = None) -> Any:
    """A job's progress, its cancel button, then its output or its message."""
    job = files.jobs.get(key)
    if job is None:
        return None
    state = job.state
    parts: list[Any] = []
    if job.cancelling:
        parts.append(tags.p("Avbryter … (stopper arbeidet og rydder bort halvferdige filer)", class_="text-muted"))
    elif state.running:
        bar = (
            tags.progress(value=str(state.done), max=str(state.total))
            if state.total > 1
            else tags.progress()  # no count to show: an indeterminate bar
        )
        count = f" {state.done} av {state.total}," if state.total > 1 else ""
        parts += [
            tags.p(f"{title} …{count} {number(state.elapsed_s)} s", class_="mb-1"),
            bar,
            ui.input_action_button(f"avbryt_{key}", "Avbryt", class_="btn-sm btn-outline-danger ms-2"),
        ]
    elif state.cancelled:
        parts.append(tags.p("Avbrutt. Ingen fil er halvveis skrevet.", class_="text-muted"))
    elif state.error:
        parts.append(tags.div(state.error, class_="feil", role="alert"))
    elif download:
        parts.append(ui.download_button(download, "Last ned resultatet", class_="btn-success btn-sm"))
    if state.output.strip() and not state.running:
        parts.append(tags.pre(state.output, class_="utskrift"))
    return tags.div(*parts, class_="jobb", id=f"jobb-{key}")
