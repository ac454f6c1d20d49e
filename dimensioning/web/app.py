"""The web app: the page's layout and the ASGI application (Shiny for Python), in bokmål.

Shiny was chosen over Dash, Streamlit, Panel and NiceGUI because every browser session gets its own
server-side state and an end-of-session hook (the session's folder is deleted there), uploads and
downloads are built in, and its reactive graph recomputes a what-if only when an input it reads
changes. It is the web framework of the peers a planner might compare us with (PathSimR, the NHS
New Hospital Programme model). The server logic is in :mod:`.server`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from shiny import App, ui

from dimensioning.web.session import MAX_UPLOAD_BYTES
from dimensioning.web.widgets import file_input

TITLE = "Dimensjonering av korttidsplasser"

STYLE = """
body { font-size: 15px; }
table.tall { width: auto; margin-bottom: 0.3rem; }
table.tall td { text-align: right; font-variant-numeric: tabular-nums; padding-left: 1.2rem; }
table.tall caption { caption-side: bottom; font-size: 0.85rem; color: #555; }
.status.forelopig { background: #fff6db; padding: 0.4rem 0.6rem; border-left: 4px solid #d9a400; }
.status.ferdig { background: #e8f4ea; padding: 0.4rem 0.6rem; border-left: 4px solid #2e7d32; }
.feil { background: #fdecea; padding: 0.5rem 0.7rem; border-left: 4px solid #c62828; white-space: pre-wrap; }
pre.utskrift { max-height: 22rem; overflow: auto; font-size: 0.8rem; background: #f6f6f6; padding: 0.5rem; }
.jobb { margin: 0.4rem 0 1rem 0; }
.hva-grid input { width: 5.5rem; }
.hva-grid td, .hva-grid th { padding: 0.15rem 0.4rem; }
"""


def _sidebar() -> Any:
    return ui.sidebar(
        ui.h5("Inndata"),
        ui.input_action_button("drammen", "Bruk eksempelet Drammen", class_="btn-primary w-100"),
        file_input("arbeidsbok", "… eller last opp kommunens egen arbeidsbok (.xlsx)", [".xlsx", ".xlsm"]),
        ui.output_ui("innlastet"),
        ui.hr(),
        ui.h6("Maler"),
        ui.download_button("mal", "Tom mal for en ny kommune", class_="btn-outline-secondary btn-sm w-100"),
        ui.download_button("eksempel", "Drammen-eksempelet utfylt", class_="btn-outline-secondary btn-sm w-100 mt-1"),
        ui.hr(),
        ui.h6("Last ned resultatet"),
        ui.output_ui("nedlastinger"),
        width=330,
    )


def _recommendation_panel() -> Any:
    return ui.nav_panel(
        "Anbefaling",
        ui.output_ui("overskrift"),
        ui.output_ui("jobb_anbefaling"),
        ui.output_ui("anbefaling"),
        ui.output_image("figur", height="auto"),
        value="anbefaling",
    )


def _whatif_panel() -> Any:
    return ui.nav_panel(
        "Hva om",
        ui.p(
            "Endre senger per lokasjon og plasstype, etterspørselen eller kravet for en plasstype: kostnaden, "
            "andelen uten plass og UKP-døgnene regnes på nytt med én gang (køteori). «Simuler» prøver "
            "fordelingen med kommunens egne regler."
        ),
        ui.output_ui("hvaom_skjema"),
        ui.div(
            ui.input_numeric("hva_total", "Totalt antall plasser", value=None, min=1, step=1),
            ui.input_action_button("hva_los", "Finn beste fordeling med endringene", class_="btn-outline-primary"),
            ui.input_action_button("hva_simuler", "Simuler hva om", class_="btn-outline-primary ms-2"),
            class_="d-flex align-items-end gap-2 flex-wrap",
        ),
        ui.output_ui("hvaom_tall"),
        ui.output_ui("jobb_hvaom"),
        value="hvaom",
    )


def _job_card(key: str, title: str, text: str, *inputs: Any) -> Any:
    return ui.card(
        ui.card_header(title),
        ui.p(text),
        *inputs,
        ui.div(ui.input_action_button(f"start_{key}", "Start", class_="btn-outline-primary")),
        ui.output_ui(f"jobb_{key}"),
    )


def _more_panel() -> Any:
    return ui.nav_panel(
        "Flere beregninger",
        ui.layout_columns(
            _job_card(
                "plan",
                "Plan fram mot 2040",
                "Fordeling, avvisning, UKP-døgn, årsverk og kostnad per år med befolkningsframskrivingen "
                "(arkene «Befolkning» og «Rater»).",
            ),
            _job_card(
                "sweep",
                "Scenarier",
                "Løs hvert scenario i en scenariofil (lag en fra denne arbeidsboka under).",
                ui.download_button("scenariomal", "Scenariomal for denne arbeidsboka", class_="btn-sm btn-link"),
                file_input("scenariofil", "Scenariofil (.xlsx)", [".xlsx"]),
            ),
            _job_card(
                "kalibrer",
                "Kalibrering fra oppholdsdata",
                "Etterspørsel, liggetid og sesong fra kommunens egne opphold. Filen må ha pseudonyme "
                "løpenumre: fødselsnumre avvises, og ingen pasientdata lagres etter at økten er slutt.",
                file_input("oppholdsfil", "Oppholdsfil (.xlsx eller .csv)", [".xlsx", ".csv"]),
            ),
            _job_card(
                "prognose",
                "De neste ukene",
                "Prognose for belegg og kø fra pasientene som ligger inne og venter i dag (oppholdsfilen over, "
                "eller arket «Belegg i dag»).",
            ),
            _job_card(
                "rapport",
                "Rapport til hovedutvalget",
                "PDF med side 1, figurene som PNG, og planen når arbeidsboka har befolkningen.",
            ),
            col_widths=[6, 6, 6, 6, 12],
        ),
        value="flere",
    )


def _about_panel() -> Any:
    return ui.nav_panel(
        "Om",
        ui.h4("Om verktøyet"),
        ui.p(
            "Hver nettleserøkt arbeider i sin egen midlertidige mappe, som slettes når fanen lukkes. Ingen "
            "opplastet fil, ingen pasientdata og ingen resultater blir liggende på serveren eller sendes videre."
        ),
        ui.p(f"Største fil som kan lastes opp: {MAX_UPLOAD_BYTES // (1024 * 1024)} MB."),
        ui.p("Samme beregning som kommandolinjen «dimension»: samme tall, samme filer, samme meldinger."),
        value="om",
    )


app_ui = ui.page_navbar(
    _recommendation_panel(),
    _whatif_panel(),
    _more_panel(),
    _about_panel(),
    title=TITLE,
    id="faner",
    sidebar=_sidebar(),
    header=ui.tags.style(STYLE),
    lang="nb",
    window_title=TITLE,
)


def limit_uploads(app: Callable[..., Awaitable[None]], limit: int) -> Callable[..., Awaitable[None]]:
    """ASGI middleware: refuse a request body over ``limit`` bytes (413) before it reaches Shiny."""

    async def guarded(scope: dict, receive: Callable[[], Awaitable[dict]], send: Callable[[dict], Awaitable[None]]):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await _too_large(send)
        seen = 0

        async def counted() -> dict:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise ValueError("opplastingen er for stor")
            return message

        return await app(scope, counted, send)

    return guarded


async def _too_large(send: Callable[[dict], Awaitable[None]]) -> None:
    text = f"Filen er for stor: grensen er {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.".encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8")]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": text})


def make_app() -> Any:
    """The ASGI application: the page, its server and the upload limit."""
    from dimensioning.web.server import server

    return limit_uploads(App(app_ui, server), MAX_UPLOAD_BYTES + 64 * 1024)
