"""The committee report (hovedutvalget): an A4 PDF in bokmål, from a Result only.

Layout with reportlab's platypus (paragraphs, tables and figures flow over pages; matplotlib's
PdfPages cannot set tables and running text). Fonts: DejaVu Sans from matplotlib's own data, so
every Norwegian letter and the thin space used as thousands separator print correctly.
"""

from __future__ import annotations

import io
from pathlib import Path
from xml.sax.saxutils import escape

import matplotlib
import numpy as np
import pandas as pd
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Image,
    KeepTogether,
    PageBreak,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus import (
    Paragraph as _Paragraph,
)

from dimensioning.common.labels import (
    FAMILY_LABELS,
    cold_time_sentence,
    cost_difference_phrase,
    holds_sentence,
    join_nb,
    larger_plan_sentence,
    number,
    percent,
    record_source,
    sharing_sentences,
    staff_use_sentence,
    turned_away_difference_phrase,
    ukp_figures,
    ukp_sentence,
)
from dimensioning.inputs.case import case_tables
from dimensioning.inputs.schema import PARAMETER_LABELS, SHEETS, column_doc, column_label, parameter_label
from dimensioning.inputs.workbook import write_bytes_atomic
from dimensioning.report import peers, plots
from dimensioning.report.summary import page_one_bullets
from dimensioning.results import Result
from dimensioning.workflows.explain import move_text

FONT, FONT_BOLD = "DejaVuSans", "DejaVuSans-Bold"
TEXT_WIDTH = 170 * mm


def _register_fonts() -> None:
    """Register DejaVu Sans (regular and bold) from matplotlib's bundled fonts."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont(FONT, str(folder / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(folder / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)


def Paragraph(text: str, style: ParagraphStyle, bulletText: str | None = None, markup: bool = False) -> _Paragraph:  # noqa: N802
    """Reportlab's Paragraph with its text escaped: a name or source from the user is never markup.

    ``markup=True`` for the few texts that carry the report's own tags (``<b>``), whose user parts
    are escaped where they are put in.
    """
    return _Paragraph(text if markup else escape(text), style, bulletText=bulletText)


def _styles() -> dict[str, ParagraphStyle]:
    """Paragraph styles of the report."""
    base = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=13, alignment=TA_LEFT, spaceAfter=4)
    return {
        "title": ParagraphStyle("title", parent=base, fontName=FONT_BOLD, fontSize=18, leading=22, spaceAfter=6),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=10, textColor=colors.HexColor("#444444")),
        "h1": ParagraphStyle(
            "h1", parent=base, fontName=FONT_BOLD, fontSize=13, leading=17, spaceBefore=8, spaceAfter=6
        ),
        "body": base,
        "bullet": ParagraphStyle("bullet", parent=base, leftIndent=10, bulletIndent=0),
        "small": ParagraphStyle("small", parent=base, fontSize=7, leading=8.6, spaceAfter=0),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.5, leading=9, spaceAfter=0),
        "caption": ParagraphStyle("caption", parent=base, fontSize=8, textColor=colors.HexColor("#444444")),
    }


def write_pdf(
    result: Result,
    folder: str | Path,
    sweep_table: pd.DataFrame | None = None,
    years: object | None = None,
    ahead: tuple[object, str] | None = None,
) -> dict[str, Path]:
    """Write the report as ``rapport.pdf`` and every figure as PNG into ``folder``.

    Args:
        result: A solved and evaluated case.
        folder: Output folder (created if missing).
        sweep_table: Optional sweep result (one row per scenario) for the sensitivity section.
        years: Optional :class:`~dimensioning.workflows.years.YearsResult` for the chapter «Behov fram mot …».
        ahead: Optional forecast and the name of its split (:func:`~dimensioning.simulation.forecast.forecast`)
            for the page «De neste ukene».

    Returns:
        Paths by name: ``"rapport"`` for the PDF and one entry per figure.
    """
    _register_fonts()
    folder = Path(folder)
    styles = _styles()
    if not result.has_optimum:  # no split meets every rule: why, and the alternatives compared
        story = _no_solution_summary(result, styles) + _comparison_section(result, styles)
        story += _assumptions_section(result, styles)
        return {"rapport": _build(story, folder)}
    figures = plots.write_figures(result, folder, sweep_table)
    story: list = []
    story += _summary(result, styles, figures)
    story += _more_section(result, styles)
    story += _allocation_section(result, styles, figures)
    story += _comparison_section(result, styles)
    story += _peers_section(result, styles, folder, years)
    story += _why_section(result, styles)
    story += _small_units_section(result, styles, figures)
    story += _staffing_section(result, styles, figures)
    if sweep_table is not None:
        story += _sensitivity_section(sweep_table, styles, figures)
    if years is not None:
        made = {
            name: plots.save_figure(fig, folder / f"{name}.png")
            for name, fig in plots.plan_figures(years, result.case.bed_type_names).items()
        }
        figures.update(made)
        story += _years_section(result, years, styles, made)
    if ahead is not None:
        story += _weeks_ahead_section(ahead, styles, folder, figures)
    story += _assumptions_section(result, styles)
    story += _method_section(result, styles)
    return {"rapport": _build(story, folder), **figures}


def _weeks_ahead_section(ahead: tuple[object, str], styles: dict, folder: Path, figures: dict[str, Path]) -> list:
    """«De neste ukene»: the forecast from the stay record's last day, its sentences and its fan chart."""
    from dimensioning.report.forecast_report import fan_chart, forecast_sentences

    forecast, name = ahead
    figures["neste-uker"] = plots.save_figure(fan_chart(forecast), folder / "neste-uker.png")
    lines = forecast_sentences(forecast, name)
    story = [PageBreak(), Paragraph("De neste ukene", styles["h1"]), Paragraph(lines[0], styles["body"])]
    story += [Paragraph(line, styles["bullet"], bulletText="•") for line in lines[1:9]]
    if len(lines) > 9:
        story.append(
            Paragraph(
                f"… og {len(lines) - 9} linjer til; «dimension prognose» gir hver dag og plasstype i en Excel-fil.",
                styles["caption"],
            )
        )
    story.append(_figure(figures["neste-uker"]))
    return story


def _years_section(result: Result, years: object, styles: dict, figures: dict[str, Path]) -> list:
    """«Behov fram mot 2040»: the plan per year, the year the fixed total breaks, the coverage ratio."""
    from dimensioning.report.plan_report import plan_sentences

    per_year = years.per_year
    last = int(per_year["year"].max())
    total = int(result.case.settings.total_beds or result.optimum_total_beds)
    story = [PageBreak(), Paragraph(f"Behov fram mot {last}", styles["h1"])]
    story.append(
        Paragraph(
            "Etterspørselen per år følger befolkningsframskrivingen (arket «Befolkning») og ratene per "
            "aldersgruppe («Rater»), skalert slik at startåret gir dagens innleggelser. Tre strategier: "
            "<b>planen</b> (optimal over alle årene, med utbyggingene i «Utbygging», som ikke kan angres), "
            f"<b>fast total</b> ({number(total)} plasser, beste fordeling hvert år) og <b>dekningsgrad</b> "
            "(dagens plasser per innbygger over 80 år holdt fast, dagens fordeling). Årene framover er beregnet "
            "med modellens kurver (vintertopp og ferier, uten delingsregelen), ikke simulert: det de sier om "
            "at kravene holder, er en beregning. Anbefalingen på side 1 er kontrollert med simulering.",
            styles["body"],
            markup=True,
        )
    )
    for sentence in plan_sentences(years, total):
        story.append(Paragraph("• " + sentence, styles["body"]))
    for name in ("plan-senger", "plan-venting"):
        if name in figures:
            story.append(_figure(figures[name], TEXT_WIDTH * 0.9))
    return story


def _build(story: list, folder: Path) -> Path:
    """Lay out the story on A4 and write ``rapport.pdf`` atomically (no dates inside: byte-identical)."""
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title="Dimensjonering av korttidsplasser",
        author="dimensioning",
        invariant=1,
    )
    document.build(story, onFirstPage=_footer, onLaterPages=_footer)
    folder.mkdir(parents=True, exist_ok=True)
    return write_bytes_atomic(buffer.getvalue(), folder / "rapport.pdf")


def _no_solution_summary(result: Result, styles: dict) -> list:
    """Page 1 when no split meets every rule: why, what is needed, and what the best split breaks."""
    case = result.case
    lines = [line.strip() for line in result.infeasibility_nb.splitlines() if line.strip()]
    story = [
        Paragraph("Korttidsplasser: kravene kan ikke oppfylles", styles["title"]),
        Paragraph(
            f"{case.display_name} · sak til hovedutvalget · {len(case.site_names)} lokasjoner",
            styles["subtitle"],
        ),
        Spacer(1, 4 * mm),
        Paragraph("Dette bør du vite", styles["h1"]),
    ]
    story += [Paragraph(line.lstrip("- "), styles["bullet"], bulletText="•") for line in lines]
    story.append(
        Paragraph(
            "Sammenligningen på neste side viser likevel den beste fordelingen innenfor rammen (den bryter "
            "færrest krav) ved siden av alternativene, vurdert mot de samme kravene.",
            styles["body"],
        )
    )
    return story


def _footer(canvas: object, document: object) -> None:
    """Page number and source line at the foot of every page."""
    canvas.saveState()
    canvas.setFont(FONT, 7)
    canvas.setFillColor(colors.HexColor("#666666"))
    canvas.drawString(20 * mm, 10 * mm, "Dimensjonering av korttidsplasser – laget med dimensioning")
    canvas.drawRightString(A4[0] - 20 * mm, 10 * mm, f"Side {document.page}")
    canvas.restoreState()


def _figure(path: Path, width: float = TEXT_WIDTH) -> Image:
    """A PNG scaled to the text width, keeping its aspect ratio."""
    image = Image(str(path))
    ratio = image.imageHeight / image.imageWidth
    image.drawWidth, image.drawHeight = width, width * ratio
    return image


def _table(rows: list[list], widths: list[float] | None = None, header_rows: int = 1, font_size: float = 7.5) -> Table:
    """A compact table with a shaded header and thin rules."""
    table = Table(rows, colWidths=widths, repeatRows=header_rows, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, font_size),
                ("FONT", (0, 0), (-1, header_rows - 1), FONT_BOLD, font_size),
                ("BACKGROUND", (0, 0), (-1, header_rows - 1), colors.HexColor("#dde6f0")),
                ("LINEBELOW", (0, header_rows - 1), (-1, header_rows - 1), 0.6, colors.black),
                ("LINEBELOW", (0, header_rows), (-1, -1), 0.2, colors.HexColor("#bbbbbb")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (1, header_rows), (-1, -1), "RIGHT"),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ]
        )
    )
    return table


def decision_name(result: Result) -> str | None:
    """The alternative the recommendation is compared with (``Om: referansealternativ``, else the last)."""
    return result.case.reference_name


def key_sentences(result: Result) -> list[str]:
    """Three to five sentences a politician can repeat, computed from the result."""
    case, optimum = result.case, result.optimum_name
    costs = result.costs.set_index("alternative")
    queue = result.queueing.set_index(["alternative", "bed_type"])
    decision = decision_name(result)
    verification = result.verification
    if verification is not None and verification.options.improve:
        opening = (
            f"Anbefalingen fordeler {number(result.optimum_total_beds)} korttidsplasser og velger hvem som kan "
            "bruke hvem sine ledige senger, slik at kravene holder i simuleringen og summen av bemanning og "
            "kostnaden ved avviste og ventende pasienter blir lavest av det søket fant: "
        )
    else:
        opening = (
            f"Modellen fordeler {number(result.optimum_total_beds)} korttidsplasser slik at summen av "
            "bemanningskostnad og kostnaden ved avviste og ventende pasienter blir lavest mulig på modellens "
            "kurver: "
        )
    sentences = [
        opening + f"{number(costs.at[optimum, 'total_cost_nok'] / 1e6, 1)} mill. kr per år "
        f"({record_source(result)}), innenfor reglene for enheter, rom og bemanning i inndataene."
    ]
    sentences.append(holds_sentence(result))
    ukp = ukp_sentence(result, [optimum, decision] if decision else [optimum])
    if ukp:
        sentences.append(ukp)
    sentences += sharing_sentences(result)[:1]
    larger = larger_plan_sentence(result)
    if larger:
        sentences.append(larger)
    if decision:
        saving = costs.at[decision, "total_cost_nok"] - costs.at[optimum, "total_cost_nok"]
        fewer = costs.at[decision, "turned_away_per_year"] - costs.at[optimum, "turned_away_per_year"]
        missed = [t for t in case.bed_type_names if not queue.at[(decision, t), "target_holds"]]
        verdict = f"; «{decision}» bommer på kravet for {join_nb(missed)} ({record_source(result)})" if missed else ""
        sentences.append(
            f"Sammenlignet med «{decision}» {cost_difference_phrase(saving)} og "
            f"{turned_away_difference_phrase(fewer)}{verdict}."
        )
        gaps = []
        for bed_type in case.bed_type_names:
            a, b = int(queue.at[(decision, bed_type), "beds"]), int(queue.at[(optimum, bed_type), "beds"])
            if abs(a - b) >= 2:
                gaps.append((abs(a - b), bed_type, a, b))
        for _, bed_type, a, b in sorted(gaps, reverse=True)[:2]:
            source = queue.at[(optimum, bed_type), "record_source"]
            if case.bed_types.at[bed_type, "when_full"] == "venter":
                sentences.append(
                    f"{bed_type}: med {a} senger venter de som ikke får plass straks, i snitt "
                    f"{number(queue.at[(decision, bed_type), 'mean_wait_if_waiting_days'], 1)} døgn og "
                    f"{percent(queue.at[(decision, bed_type), 'share_not_served'])} gir opp å vente; med {b} senger "
                    f"{number(queue.at[(optimum, bed_type), 'mean_wait_if_waiting_days'], 1)} døgn og "
                    f"{percent(queue.at[(optimum, bed_type), 'share_not_served'])} ({source})."
                )
                continue
            sentences.append(
                f"{bed_type}: med {a} senger får {percent(queue.at[(decision, bed_type), 'share_not_served'])} av "
                f"pasientene ikke plass i løpet av året; med {b} senger "
                f"{percent(queue.at[(optimum, bed_type), 'share_not_served'])} ({source})."
            )
    sentences.append(
        f"Små enheter er dyre: hver enhet trenger minst {number(case.settings.min_nurse_fte_per_unit, 1)} "
        "sykepleierårsverk for å ha sykepleier på hver vakt, uansett hvor mange senger den har."
    )
    return sentences[:6]


def _summary(result: Result, styles: dict, figures: dict[str, Path]) -> list:
    """Page 1: one figure, at most five bullets, the split per site; nothing about the solver."""
    case = result.case
    story = [
        Paragraph("Korttidsplasser: anbefalt fordeling", styles["title"]),
        Paragraph(
            f"{case.display_name} · sak til hovedutvalget · {number(result.optimum_total_beds)} plasser ved "
            f"{len(case.site_names)} lokasjoner",
            styles["subtitle"],
        ),
        Spacer(1, 2 * mm),
        _figure(figures["side-1"], width=TEXT_WIDTH * 0.92),
    ]
    story += [Paragraph(s, styles["bullet"], bulletText="•") for s in page_one_bullets(result)]
    if result.status.stopped:  # the committee must know the answer could differ on another machine
        story.append(Paragraph(f"{result.status.stop_note_nb} Se «Om beregningen» bakerst.", styles["caption"]))
    story.append(Paragraph("Anbefaling: senger per plasstype og lokasjon", styles["h1"]))
    table = result.allocation.pivot(index="site", columns="bed_type", values="beds").reindex(
        index=case.site_names, columns=case.bed_type_names
    )
    column = (TEXT_WIDTH - 52 * mm) / (len(case.bed_type_names) + 1)
    rows = [
        [
            "Lokasjon",
            *[_cell_text(plots.short_name(t), right=True, width=column) for t in case.bed_type_names],
            _cell_text("Sum", right=True, width=column),
        ]
    ]
    for site, values in table.iterrows():
        rows.append([site, *[number(v) for v in values], number(values.sum())])
    rows.append(["Sum", *[number(v) for v in table.sum()], number(table.to_numpy().sum())])
    widths = [52 * mm] + [(TEXT_WIDTH - 52 * mm) / (len(case.bed_type_names) + 1)] * (len(case.bed_type_names) + 1)
    story.append(_table(rows, widths, font_size=8))
    costs = result.costs.set_index("alternative").loc[result.optimum_name]
    story.append(Spacer(1, 2 * mm))
    story.append(
        Paragraph(
            f"Kostnaden på {number(costs['total_cost_nok'] / 1e6, 1)} mill. kr i året er bemanning "
            f"{number(costs['staffing_cost_nok'] / 1e6, 1)} mill. kr ({number(costs['staff_fte'], 1)} årsverk), "
            f"avviste pasienter {number(costs['turned_away_cost_nok'] / 1e6, 1)} mill. kr og ventedøgn og bookede "
            f"døgn som ikke kan gis {number(costs['waiting_cost_nok'] / 1e6, 1)} mill. kr ({record_source(result)}). "
            "Tallene bygger på forutsetningene bakerst i rapporten; der kildene ikke gir tall, er verdiene merket "
            "som antakelser og kan endres i inndatafilen.",
            styles["caption"],
        )
    )
    return story


def _peers_section(result: Result, styles: dict, folder: Path, years: object | None) -> list:
    """«Sammenlignet med andre kommuner»: the Nokkeltall beside today, the recommendation and the plan."""
    table = peers.peer_table(result, years)
    if table.empty:
        return []
    figure = plots.save_figure(peers.peer_figure(result, table), folder / "nokkeltall.png")
    rows = peers.table_rows(table)
    first = 48 * mm
    width = (TEXT_WIDTH - first) / max(1, len(rows[0]) - 1)
    rows[0] = [_cell_text(rows[0][0], width=first)] + [_cell_text(c, right=True, width=width) for c in rows[0][1:]]
    rows[1:] = [[Paragraph(r[0], styles["small"]), *r[1:]] for r in rows[1:]]
    story = [
        PageBreak(),
        Paragraph("Sammenlignet med andre kommuner", styles["h1"]),
        Paragraph(
            "Nøkkeltallene kommunen har lagt inn (arket «Nokkeltall»), ved siden av kommunens egne tall i dag, med "
            "anbefalingen og i planens siste år. Kommunens egne tall er regnet av modellen; de andre er slik de er "
            "oppgitt, med kilde under.",
            styles["body"],
        ),
        _table(rows, [first] + [width] * (len(rows[0]) - 1), font_size=7.5),
        Spacer(1, 3 * mm),
        _figure(figure),
    ]
    story += [Paragraph(f"Kilde: {s}", styles["caption"]) for s in peers.sources(result)]
    return story


def _more_section(result: Result, styles: dict) -> list:
    """Page 2: the sentences behind page 1's bullets (targets, waiting, sharing rule, the reference)."""
    story = [PageBreak(), Paragraph("Mer om anbefalingen", styles["h1"])]
    extra = [cold_time_sentence(result), staff_use_sentence(result)]
    story += [Paragraph(s, styles["bullet"], bulletText="•") for s in [*key_sentences(result), *extra] if s]
    return story


def _method_section(result: Result, styles: dict) -> list:
    """Appendix: how the recommendation was computed (the solver and its status live here, not on page 1)."""
    verification = result.verification
    lines = [
        f"Fordelingen er funnet med en blandet heltallsmodell, løst {result.status.label_nb} med "
        f"{result.status.solver} på {number(result.status.runtime_s, 1)} s.",
        (
            "Anbefalingen er søkt fram i simulering: modellens fordeling ble simulert med kommunens egne regler, "
            "og kravene ble strammet inn for plasstypene som bommet, til den simulerte planen holdt."
            if verification is not None and verification.options.improve
            else (
                "Anbefalingen er kontrollert i simulering med kommunens egne regler."
                if verification is not None
                else "Anbefalingen er ikke kontrollert i simulering; tallene er regnet på modellens kurver."
            )
        ),
    ]
    if result.status.stop_note_nb:
        lines.append(result.status.stop_note_nb)
    return [Spacer(1, 6 * mm), Paragraph("Om beregningen", styles["h1"])] + [
        Paragraph(line, styles["body"]) for line in lines
    ]


def _totals_sentence(result: Result) -> str:
    """Say whether the alternatives have the same number of beds, and which differ, from the result."""
    totals = result.costs.set_index("alternative")["beds"]
    if totals.nunique() == 1:
        return f"Alle alternativene har {number(totals.iloc[0])} plasser til sammen."
    listed = "; ".join(f"{name} {number(beds)}" for name, beds in totals.items())
    return f"Alternativene har ulikt antall plasser til sammen: {listed}."


def _cell_text(text: str, right: bool = False, width: float | None = None) -> Paragraph:
    """A header cell that wraps between words and never inside one.

    With the column ``width`` known, the font shrinks (7 to 5 pt) until the longest word fits; a
    word too long even then is hyphenated at a syllable-free break with a visible hyphen, never
    split silently (reportlab would write «Lindrend|e»).
    """
    size = 7.0
    usable = (width - 13) if width else None  # reportlab pads a cell by 6 pt on each side
    if usable:
        while size > 5.0 and max(stringWidth(w, FONT_BOLD, size) for w in text.split()) > usable:
            size -= 0.25
        text = " ".join(_hyphenate(word, usable, size) for word in text.split())
    else:
        text = escape(text)
    style = ParagraphStyle("hc", fontName=FONT_BOLD, fontSize=size, leading=size + 1.5, alignment=2 if right else 0)
    return Paragraph(text, style, markup=True)


def _hyphenate(word: str, usable: float, size: float) -> str:
    """Break a word that cannot fit into pieces that do, each ending in a hyphen."""
    if stringWidth(word, FONT_BOLD, size) <= usable:
        return escape(word)
    pieces, piece = [], ""
    for char in word:
        if stringWidth(piece + char + "-", FONT_BOLD, size) > usable and piece:
            pieces.append(piece + "-")
            piece = char
        else:
            piece += char
    return "<br/>".join(escape(p) for p in [*pieces, piece])


def _allocation_section(result: Result, styles: dict, figures: dict[str, Path]) -> list:
    """The split of beds for every alternative, and the yearly cost of each."""
    return [
        PageBreak(),
        Paragraph("Fordeling av korttidsplasser", styles["h1"]),
        Paragraph(
            "Senger per plasstype, fordelt på lokasjon, for hvert alternativ og modellens optimale fordeling. "
            + _totals_sentence(result),
            styles["body"],
        ),
        _figure(figures["fordeling"]),
        Spacer(1, 3 * mm),
        Paragraph("Årlig kostnad per alternativ", styles["h1"]),
        _figure(figures["kostnad"]),
        Paragraph(
            "Kostnad for avviste pasienter: antall avviste per år ganget med kostnaden per avvist pasient. "
            "Kostnad for ventende pasienter: ventedøgn per år ganget med kostnaden per ventedøgn (for "
            "utskrivningsklare pasienter statens døgnpris), og bookede døgn som ikke kan gis.",
            styles["caption"],
        ),
    ]


def _why_section(result: Result, styles: dict) -> list:
    """Why this split: what one bed more or less is worth, and each move from the reference."""
    marginal = result.marginal
    if marginal is None or marginal.empty:
        return []
    story = [
        PageBreak(),
        Paragraph("Hvorfor denne fordelingen", styles["h1"]),
        Paragraph(
            "Hva én seng mer eller mindre av hver plasstype betyr i anbefalingen: endringen i årlig kostnad "
            "(bemanning og avviste pasienter) og i antall avviste pasienter per år. Negative tall betyr "
            "lavere kostnad eller færre avviste.",
            styles["body"],
        ),
    ]
    rows = [["Plasstype", "Senger", "Én mer: mill. kr", "Én mer: avviste", "Én mindre: mill. kr", "Én mindre: avviste"]]
    for r in marginal.itertuples():
        rows.append(
            [
                r.bed_type,
                number(r.beds),
                _signed(r.cost_one_more_nok / 1e6, 2),
                _signed(r.turned_away_one_more, 1),
                _signed(r.cost_one_less_nok / 1e6, 2),
                _signed(r.turned_away_one_less, 1),
            ]
        )
    header = [_cell_text(h, right=i > 0, width=(TEXT_WIDTH - 40 * mm) / 5) for i, h in enumerate(rows[0])]
    rows[0] = header
    story.append(_table(rows, [40 * mm] + [(TEXT_WIDTH - 40 * mm) / 5] * 5, font_size=8))
    steps = result.moves
    if steps is not None and not steps.empty:
        story += [
            Spacer(1, 4 * mm),
            Paragraph(f"Fra «{result.case.reference_name}» til anbefalingen, steg for steg", styles["h1"]),
            Paragraph(
                "Hvert steg flytter senger og viser hva det endrer, regnet fra stegene før. Summen av stegene er "
                "hele forskjellen mellom alternativet og anbefalingen.",
                styles["body"],
            ),
        ]
        cell = styles["small"]
        move_rows = [["", "Flytting", "Mill. kr/år", "Avviste/år"]]
        for r in steps.itertuples():
            move_rows.append(
                [
                    str(r.step),
                    Paragraph(move_text(r), cell),
                    _signed(r.cost_change_nok / 1e6, 2),
                    _signed(r.turned_away_change, 1),
                ]
            )
        move_rows.append(
            [
                "",
                "Sum",
                _signed(steps["cost_change_nok"].sum() / 1e6, 2),
                _signed(steps["turned_away_change"].sum(), 1),
            ]
        )
        story.append(_table(move_rows, [8 * mm, TEXT_WIDTH - 58 * mm, 25 * mm, 25 * mm], font_size=8))
    return story


def _signed(value: float, decimals: int) -> str:
    """A change with its sign: «+1,59», «−3,7», «–» for none."""
    if value != value:  # NaN: no bed to take
        return "–"
    text = number(abs(value), decimals)
    if text == number(0, decimals):
        return text
    return ("+" if value > 0 else "−") + text


def _record_cell(row: pd.Series) -> str:
    """«17,5 % ±1,0 bommer»: the share not served of record, its 95 % interval, and a word when the target is missed."""
    text = percent(row["share_not_served"])
    if row["share_not_served_ci"] > 0:
        text += f" ±{number(100 * row['share_not_served_ci'], 1)}"
    return text if row["target_holds"] else f"{text} bommer"


def _share_or_dash(share: float) -> str:
    """A share, or a dash where there is none (a type without beds has no occupancy)."""
    return "–" if share != share else percent(share)


def comparison_rows(result: Result) -> list[list[str]]:
    """The comparison table as text rows (alternatives as columns); also used by the tests."""
    names = result.alternatives
    case = result.case
    queue = result.queueing.set_index(["alternative", "bed_type"])
    costs = result.costs.set_index("alternative")
    fte = result.staffing.groupby(["alternative", "skill"])["fte"].sum()
    rows = [["", *names]]
    rows.append(["Senger per plasstype", *[""] * len(names)])
    for t in case.bed_type_names:
        rows.append([f"  {t}", *[number(queue.at[(n, t), "beds"]) for n in names]])
    source = record_source(result)
    rows.append([f"Andel som ikke får plass i året, {source}", *[""] * len(names)])
    for t in case.bed_type_names:
        rows.append([f"  {t}", *[_record_cell(queue.loc[(n, t)]) for n in names]])
    rows.append([f"Verste måned, {source}", *[""] * len(names)])
    for t in case.bed_type_names:
        rows.append([f"  {t}", *[percent(queue.at[(n, t), "share_worst_month"]) for n in names]])
    rows.append(["Belegg", *[""] * len(names)])
    for t in case.bed_type_names:
        rows.append([f"  {t}", *[_share_or_dash(queue.at[(n, t), "occupancy_share"]) for n in names]])
    rows.append(["Årsverk", *[""] * len(names)])
    for skill in case.skills.index:
        rows.append([f"  {skill}", *[number(fte.get((n, skill), 0.0), 1) for n in names]])
    rows.append(["Avviste pasienter per år", *[number(costs.at[n, "turned_away_per_year"]) for n in names]])
    ukp = {n: ukp_figures(result, n) for n in names}
    if all(ukp.values()):
        rows.append(["Utskrivningsklare (UKP)", *[""] * len(names)])
        rows.append([f"  UKP-døgn per år, {source}", *[number(ukp[n]["days"]) for n in names]])
        rows.append(["  Kostnad, mill. kr/år", *[number(ukp[n]["cost_nok"] / 1e6, 1) for n in names]])
        rows.append(["  Snitt ventetid (døgn)", *[number(ukp[n]["wait_if_waiting"], 1) for n in names]])
    if (result.case.bed_types["when_full"] == "planlagt").any():
        rows.append(["Bookede døgn ikke gitt", *[number(costs.at[n, "unmet_booked_days_per_year"]) for n in names]])
    rows.append(["Kostnad (mill. kr/år)", *[number(costs.at[n, "total_cost_nok"] / 1e6, 1) for n in names]])
    rows.append(["Regelbrudd", *[number(costs.at[n, "broken_rules"]) for n in names]])
    return rows


def _comparison_section(result: Result, styles: dict) -> list:
    """The four alternatives side by side, then the rules each breaks."""
    rows = comparison_rows(result)
    names = result.alternatives
    rows[0] = ["", *[_cell_text(n, right=True, width=(TEXT_WIDTH - 38 * mm) / len(names)) for n in names]]
    widths = [38 * mm] + [(TEXT_WIDTH - 38 * mm) / len(names)] * len(names)
    table = _table(rows, widths)
    section_rows = [i for i, r in enumerate(rows) if i and r[1] == ""]
    table.setStyle(TableStyle([("FONT", (0, i), (0, i), FONT_BOLD, 7.5) for i in section_rows]))
    story = [PageBreak(), Paragraph("Sammenligning av alternativene", styles["h1"]), table, Spacer(1, 4 * mm)]
    story.append(Paragraph("Regler som brytes", styles["h1"]))
    violations = result.violations
    for name in names[1:] if result.has_optimum else names:
        broken = violations[violations["alternative"] == name]
        if broken.empty:
            story.append(Paragraph(f"<b>{escape(name)}</b>: bryter ingen regler.", styles["body"], markup=True))
            continue
        story.append(Paragraph(f"<b>{escape(name)}</b>:", styles["body"], markup=True))
        story += [Paragraph(m, styles["bullet"], bulletText="–") for m in broken["message_nb"]]
    return story


def _small_units_section(result: Result, styles: dict, figures: dict[str, Path]) -> list:
    """The Erlang curves per type, with a worked example in words."""
    case = result.case
    queue = result.queueing.set_index(["alternative", "bed_type"])
    examples = []
    for bed_type in case.bed_type_names:
        used = sorted({int(queue.at[(n, bed_type), "beds"]) for n in result.alternatives} - {0})
        if len(used) >= 2:
            low, high = used[0], used[-1]
            load = float(case.load_beds[bed_type])
            from dimensioning import queueing

            examples.append(
                f"{bed_type} (belastning {number(load, 1)} senger, jevn etterspørsel): med {low} senger avvises "
                f"{percent(float(queueing.erlang_b(low, load)), 0)} og belegget er "
                f"{percent(float(queueing.occupancy(low, load)), 0)}; med {high} senger avvises "
                f"{percent(float(queueing.erlang_b(high, load)), 0)}, men belegget faller til "
                f"{percent(float(queueing.occupancy(high, load)), 0)}."
            )
    return [
        PageBreak(),
        Paragraph("Hvorfor små enheter er dyre", styles["h1"]),
        Paragraph(
            "Pasienter kommer ikke jevnt. En enhet må ha ledige senger for toppene, og jo mindre enheten er, "
            "desto større del av sengene må stå tomme i snitt for å holde avvisningen nede. Kurvene viser, for "
            "hver plasstype og dens etterspørsel, andelen pasienter som avvises (heltrukket) og belegget "
            "(stiplet) mot antall senger (Erlangs tapsformel). Merkene viser hvor alternativene ligger; "
            "den prikkete linjen er kravet til avvisning. Kurvene og eksemplene under gjelder jevn etterspørsel "
            "uten ferier og uten lån av ledige senger; tallene for kommunens virkelige år står i sammenligningen "
            "av alternativene.",
            styles["body"],
        ),
        _figure(figures["sma-enheter"]),
        *[Paragraph(e, styles["bullet"], bulletText="•") for e in examples[:4]],
    ]


def _staffing_section(result: Result, styles: dict, figures: dict[str, Path]) -> list:
    """FTE per site and skill group, with the minimum-nurse effect explained."""
    case = result.case
    return [
        KeepTogether(
            [
                Paragraph("Bemanning", styles["h1"]),
                Paragraph(
                    f"Pleiefaktoren gir årsverk per seng, fordelt på faggrupper etter fagandelen. Hver enhet må "
                    f"i tillegg ha minst {number(case.settings.min_nurse_fte_per_unit, 2)} sykepleierårsverk "
                    "(en sykepleier på hver vakt hele året). Det skraverte feltet er sykepleiere som trengs "
                    "utover fagandelen fordi enheten er liten.",
                    styles["body"],
                ),
                _figure(figures["bemanning"]),
            ]
        )
    ]


def _sensitivity_section(table: pd.DataFrame, styles: dict, figures: dict[str, Path]) -> list:
    """The sweep in words: what each swept parameter changes, the figures, and every scenario without a plan."""
    from dimensioning.report.sweep_report import GRID_PREFIX, _label, swept_parameters

    story = [PageBreak(), Paragraph("Følsomhet", styles["h1"])]
    names = [n for n in figures if n.startswith("folsomhet")]
    failed = table[table["status"] != "optimal"]
    story.append(
        Paragraph(
            f"Beregnet for {len(table)} scenarier"
            + (f"; {len(failed)} av dem har ingen gyldig fordeling (se tabellen under)." if len(failed) else ".")
            + " For hver verdi av parameteren som varieres, viser figurene snittet over de andre.",
            styles["body"],
        )
    )
    grid = table[table["scenario"].astype(str).str.startswith(GRID_PREFIX)]
    grid = grid if len(grid) else table
    ok = grid[grid["status"] == "optimal"]
    for axis in swept_parameters(grid):
        rows = ok[ok[axis].notna()]
        label = _label(axis)
        label = label[:1].lower() + label[1:]
        tried = pd.to_numeric(grid[axis].dropna())
        decimals = 0 if np.allclose(tried, np.round(tried)) else 2
        unsolved = sorted(set(tried) - set(pd.to_numeric(rows[axis])))
        none = (
            f" Med {join_nb([number(v, decimals) for v in unsolved])} finnes ingen gyldig fordeling."
            if unsolved
            else ""
        )
        if rows.empty:
            story.append(
                Paragraph(
                    f"{label[:1].upper()}{label[1:]}: ingen verdi gir en gyldig fordeling.",
                    styles["bullet"],
                    bulletText="•",
                )
            )
            continue
        data = (
            rows.assign(_x=pd.to_numeric(rows[axis])).groupby("_x")[["total_cost_nok", "turned_away_per_year"]].mean()
        )
        low, high = data.index.min(), data.index.max()
        if low == high:
            text = (
                f"Bare {label} = {number(low, decimals)} gir en gyldig fordeling: "
                f"{number(data['total_cost_nok'].iloc[0] / 1e6, 1)} mill. kr i året og "
                f"{number(data['turned_away_per_year'].iloc[0])} pasienter uten plass."
            )
        else:
            text = (
                f"Når {label} går fra {number(low, decimals)} til {number(high, decimals)}, går den samlede "
                f"kostnaden fra {number(data['total_cost_nok'].iloc[0] / 1e6, 1)} til "
                f"{number(data['total_cost_nok'].iloc[-1] / 1e6, 1)} mill. kr i året, og pasientene uten plass fra "
                f"{number(data['turned_away_per_year'].iloc[0])} til {number(data['turned_away_per_year'].iloc[-1])} "
                "i året."
            )
        story.append(Paragraph(text + none, styles["bullet"], bulletText="•"))
    story += [_figure(figures[n], TEXT_WIDTH * 0.9) for n in names]
    if not names:
        story.append(Paragraph("Sveipet har ingen tallparameter som varierer.", styles["body"]))
    named = table[~table["scenario"].astype(str).str.startswith(GRID_PREFIX)]
    if len(named):
        widths = [70 * mm, 30 * mm, 30 * mm, TEXT_WIDTH - 130 * mm]
        heads = ["Scenario", "Kostnad (mill. kr/år)", "Uten plass per år", "Status"]
        rows = [[_cell_text(h, right=0 < k < 3, width=w) for k, (h, w) in enumerate(zip(heads, widths, strict=True))]]
        for r in named.itertuples():
            solved = r.status == "optimal"
            rows.append(
                [
                    Paragraph(escape(str(r.scenario)), styles["small"], markup=True),
                    number(r.total_cost_nok / 1e6, 1) if solved else "–",
                    number(r.turned_away_per_year) if solved else "–",
                    Paragraph(escape("løst" if solved else str(r.status)), styles["small"], markup=True),
                ]
            )
        story += [Spacer(1, 3 * mm), Paragraph("De navngitte scenariene", styles["h1"])]
        story.append(_table(rows, widths, font_size=8))
    if len(failed):
        rows = [["Scenario", "Hvorfor ingen løsning"]]
        changes = [c for c in table.columns if c.startswith("endring: ")]
        for (_, row), r in zip(failed.iterrows(), failed.itertuples(), strict=True):
            reason = str(getattr(r, "konflikt", "") or r.status)
            name = str(r.scenario)
            if name.startswith(GRID_PREFIX):  # a grid point is its values
                said = [f"{_label(c)} = {_show(row[c])}" for c in changes if row[c] == row[c] and row[c] is not None]
                name = f"{name} ({'; '.join(said)})"
            rows.append(
                [
                    Paragraph(escape(name), styles["small"], markup=True),
                    Paragraph(escape(reason[:600]), styles["small"], markup=True),
                ]
            )
        story += [Spacer(1, 3 * mm), Paragraph("Scenarier uten løsning", styles["h1"])]
        story.append(_table(rows, [55 * mm, TEXT_WIDTH - 55 * mm], font_size=8))
    return story


def _assumptions_section(result: Result, styles: dict) -> list:
    """Every input with its source, sheet by sheet."""
    story = [PageBreak(), Paragraph("Forutsetninger og kilder", styles["h1"])]
    story.append(
        Paragraph(
            "Alle tall modellen bruker, med kilde. «Antakelse» betyr at kildene ikke gir tallet; "
            "verdien kan endres i inndatafilen. " + result.case.source_note,
            styles["body"],
        )
    )
    cell = styles["small"]
    for sheet, frame in case_tables(result.case).items():
        if frame.empty or sheet == "Alternativer":
            continue
        columns = [c for c in frame.columns if c != "kilde"]
        shown = columns[:5] if len(columns) > 6 else columns
        story += [Paragraph(sheet, styles["h1"]), _input_table(frame, [*shown, "kilde"], cell)]
        rest = [c for c in columns if c not in shown]
        for first in range(0, len(rest), 6):
            story += [Spacer(1, 2 * mm), _input_table(frame, [columns[0], *rest[first : first + 6]], cell)]
    story.append(Paragraph("Reglene modellen bruker", styles["h1"]))
    story += [
        Paragraph(f"<b>{escape(label)}</b>: {escape(explanation)}", styles["bullet"], bulletText="•", markup=True)
        for label, _unit, explanation in FAMILY_LABELS.values()
    ]
    return story


def _input_table(frame: pd.DataFrame, columns: list[str], style: ParagraphStyle) -> Table:
    """One block of an input sheet: the name column wide, ``kilde`` widest, the rest shared.

    Headers are the columns' bokmål labels (:func:`~dimensioning.inputs.schema.column_label`),
    wrapped between words only.
    """
    first, source = 32 * mm, (60 * mm if "kilde" in columns else 0)
    middle = (TEXT_WIDTH - first - source) / max(1, len(columns) - 1 - (1 if source else 0))
    widths = [first] + [middle] * (len(columns) - 1 - (1 if source else 0)) + ([source] if source else [])
    rows = [[_cell_text(column_label(c), width=w) for c, w in zip(columns, widths, strict=True)]]
    for record in frame.itertuples(index=False):
        values = dict(zip(frame.columns, record, strict=True))
        years = values.get("enhet") == "år"  # a year is 2025, never «2 025»
        cells = []
        for c in columns:
            value = values.get(c)
            if c in NAMED_ENTRY_COLUMNS and value in PARAMETER_LABELS:
                value = parameter_label(value)  # «startaar» reads «Første planår»; a user's name stays
            cells.append(Paragraph(_show(value, years or c in YEAR_COLUMNS), style))
        rows.append(cells)
    return _table(rows, widths)


#: Columns whose values name an input entry (``Parametre: navn``, ``Om: felt``): shown by their label.
NAMED_ENTRY_COLUMNS = frozenset({"navn", "felt"})

#: Input columns that hold a year (unit «år» in the schema): printed without a thousands separator.
YEAR_COLUMNS = frozenset(doc["header"] for spec in SHEETS for doc in column_doc(spec.row_model) if doc["unit"] == "år")


def _show(value: object, year: bool = False) -> str:
    """A cell value in Norwegian notation (``year``: a whole number printed as a year)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nei"
    if year and isinstance(value, int | float) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, float):
        return number(value, 0) if value.is_integer() else f"{value:g}".replace(".", ",")
    if isinstance(value, int):
        return number(value)
    return str(value)  # escaped by Paragraph
