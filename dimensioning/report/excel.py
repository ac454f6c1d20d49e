"""The Excel report: optimum beside today's split and the recommendations, in bokmål.

Reads only the :class:`~dimensioning.results.Result`; written atomically with pinned metadata,
so the same input gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..case import case_tables
from ..evaluate import targets_hold
from ..explain import move_text
from ..io_excel import HEADER_FILL, save_workbook, style_table
from ..labels import FAMILY_LABELS, dearer_or_cheaper, holds_sentence, number, percent, rules_phrase, ukp_sentence
from ..results import Result
from ..schema import SHEETS, column_doc

NOK = "#,##0"
FTE = "0.0"
SHARE = "0.0%"
LOAD = "0.00"
COUNT = "0"
DAYS = "#,##0"
WAIT = "0.00"


@dataclass(frozen=True)
class Col:
    """One report column: source field, bokmål header and number format."""

    field: str
    header: str
    fmt: str | None = None


def write_excel(result: Result, path: str | Path) -> Path:
    """Write the report workbook.

    Sheets: ``Sammendrag``, ``Diagrammer`` (native Excel charts), ``Fordeling``,
    ``Sammenligning``, ``Køteori``, ``Bemanning``, ``Regelbrudd`` and ``Forutsetninger``.

    Args:
        result: A solved and evaluated case.
        path: Target ``.xlsx`` (folders are created; an existing file is replaced atomically).

    Returns:
        The path written.
    """
    workbook = Workbook()
    (_summary if result.has_optimum else _no_solution)(workbook.active, result)
    sheets = (
        ("Diagrammer", _charts),
        ("Hvorfor", _why),
        ("Fordeling", _allocation),
        ("Sammenligning", _comparison),
        ("Køteori", _queueing),
        ("Kontroll", _control),
        ("Bemanning", _staffing),
        ("Regelbrudd", _violations),
        ("Forutsetninger", _assumptions),
    )
    for title, write_sheet in sheets:
        if result.has_optimum or title not in {"Fordeling", "Hvorfor"}:  # both need an optimum
            write_sheet(workbook.create_sheet(title), result)
    return save_workbook(workbook, path)


def _no_solution(sheet: Worksheet, result: Result) -> None:
    """First sheet when no allocation meets every rule: why, and the alternatives against the same rules."""
    sheet.title = "Ingen løsning"
    sheet.cell(row=1, column=1, value="Ingen fordeling oppfyller alle kravene").font = Font(bold=True, size=13)
    for offset, line in enumerate(result.infeasibility_nb.splitlines(), start=3):
        sheet.cell(row=offset, column=1, value=line.strip())
    row = 4 + len(result.infeasibility_nb.splitlines())
    sheet.cell(row=row, column=1, value="Alternativene i arbeidsboken, vurdert mot de samme kravene:").font = Font(
        bold=True
    )
    columns = [
        Col("alternative", "Alternativ"),
        Col("beds", "Senger", COUNT),
        Col("total_cost_nok", "Samlet kostnad (kr/år)", NOK),
        Col("turned_away_per_year", "Avviste pasienter per år", FTE),
        Col("broken_rules", "Regelbrudd", COUNT),
    ]
    _write_table(sheet, result.costs, columns, start_row=row + 1)
    sheet.column_dimensions["A"].width = 90
    for column in "BCDE":
        sheet.column_dimensions[column].width = 18


def _write_table(sheet: Worksheet, frame: pd.DataFrame, columns: list[Col], start_row: int = 1) -> None:
    """Write a frame with bokmål headers and number formats starting at ``start_row``."""
    headers = [c.header for c in columns]
    for j, header in enumerate(headers, start=1):
        cell = sheet.cell(row=start_row, column=j, value=header)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for i, record in enumerate(frame[[c.field for c in columns]].itertuples(index=False), start=1):
        for j, (value, col) in enumerate(zip(record, columns, strict=True), start=1):
            cell = sheet.cell(row=start_row + i, column=j, value=_cell(value))
            if col.fmt:
                cell.number_format = col.fmt
    if start_row == 1:
        style_table(sheet, headers)


def _cell(value: Any) -> Any:
    """Plain Python values for openpyxl (numpy scalars, NaN and booleans handled)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, bool):
        return "ja" if value else "nei"
    if hasattr(value, "item"):
        return value.item()
    return value


def _summary(sheet: Worksheet, result: Result) -> None:
    """Key facts and one line per alternative: beds, FTE, costs, patients turned away, breaches."""
    sheet.title = "Sammendrag"
    status = result.status
    costs = result.costs.copy()
    best = float(costs.loc[costs["alternative"] == result.optimum_name, "total_cost_nok"].iloc[0])
    costs["difference_nok"] = costs["total_cost_nok"] - best
    columns = [
        Col("alternative", "Alternativ"),
        Col("beds", "Senger", COUNT),
        Col("staff_fte", "Årsverk i pleien", FTE),
        Col("staffing_cost_nok", "Bemanningskostnad (kr/år)", NOK),
        Col("bed_cost_nok", "Plasskostnad utenom pleien (kr/år)", NOK),
        Col("turned_away_per_year", "Avviste pasienter per år", FTE),
        Col("turned_away_cost_nok", "Kostnad avviste (kr/år)", NOK),
        Col("ukp_days_per_year", "UKP-døgn per år (beregnet)", DAYS),
        Col("ukp_cost_nok", "Kostnad UKP-døgn (kr/år)", NOK),
        Col("ukp_mean_wait_days", "Snitt ventetid UKP over alle innlagte (døgn)", WAIT),
        Col("waiting_days_per_year", "Ventedøgn per år, alle som venter (beregnet)", DAYS),
        Col("unmet_booked_days_per_year", "Bookede døgn som ikke kan gis per år", DAYS),
        Col("waiting_cost_nok", "Kostnad ventedøgn og bookede døgn (kr/år)", NOK),
        Col("total_cost_nok", "Samlet kostnad (kr/år)", NOK),
        Col("difference_nok", "Merkostnad mot optimum (kr/år)", NOK),
        Col("broken_rules", "Regelbrudd", COUNT),
    ]
    _write_table(sheet, costs, columns)
    row = len(costs) + 3
    facts = [
        ("Kommune", result.case.display_name),
        ("Totalt antall plasser (optimum)", result.optimum_total_beds),
        ("Totalen er", _total_rule(result.case)),
        (
            "Minste antall plasser som oppfyller alle krav (beregnet, uten ledig-seng-prinsippet)",
            result.smallest_total_beds,
        ),
        ("Løserstatus", status.label_nb),
        ("Løser", status.solver),
        ("Gap (relativt, avrundet)", round(status.gap, 6)),
        (
            "Minstebemanning sykepleiere per enhet (årsverk)",
            round(result.case.settings.min_nurse_fte_per_unit, 2),
        ),
    ]
    for label, value in facts:
        sheet.cell(row=row, column=1, value=label).font = Font(bold=True)
        sheet.cell(row=row, column=2, value=value)
        row += 1
    labels = [label for label, _ in facts] + list(costs["alternative"])
    sheet.column_dimensions["A"].width = max(len(str(label)) for label in labels) + 3
    sheet.cell(row=row + 1, column=1, value="Hovedfunn").font = Font(bold=True)
    for offset, line in enumerate(_findings(result), start=2):
        sheet.cell(row=row + offset, column=1, value=line)


def _total_rule(case: object) -> str:
    """How the total is set, in words."""
    settings = case.settings
    if not settings.total_is_free:
        return f"fast: {settings.total_beds} plasser"
    low, high = settings.total_bounds(int(case.sites["beds"].sum()))
    return f"fri mellom {low} og {high} plasser, {number(settings.cost_per_bed)} kr per plass og år"


def _findings(result: Result) -> list[str]:
    """A few plain sentences comparing the optimum with each alternative."""
    costs = result.costs.set_index("alternative")
    optimum = result.optimum_name
    best = costs.at[optimum, "total_cost_nok"]
    lines = [
        f"Optimal fordeling koster {number(best / 1e6, 1)} mill. kr per år og avviser "
        f"{number(costs.at[optimum, 'turned_away_per_year'])} pasienter per år (beregnet med vintertopp og ferier).",
        holds_sentence(result),
    ]
    ukp = ukp_sentence(result, result.alternatives)
    if ukp:
        lines.append(ukp)
    for name in result.alternatives[1:]:
        extra = costs.at[name, "total_cost_nok"] - best
        rules = rules_phrase(int(costs.at[name, "broken_rules"]))
        lines.append(
            f"{name}: {dearer_or_cheaper(extra)} enn optimal fordeling, avviser "
            f"{number(costs.at[name, 'turned_away_per_year'])} pasienter per år og {rules}."
        )
    return lines


def _why(sheet: Worksheet, result: Result) -> None:
    """Why this split: one bed more or less per type, then the moves from the reference alternative."""
    columns = [
        Col("bed_type", "Plasstype"),
        Col("site", "Lokasjon (der sengen legges til eller tas fra)"),
        Col("beds", "Senger i anbefalingen", COUNT),
        Col("cost_one_more_nok", "Én seng mer: endring i kostnad (kr/år)", NOK),
        Col("turned_away_one_more", "Én seng mer: endring i avviste per år", FTE),
        Col("cost_one_less_nok", "Én seng mindre: endring i kostnad (kr/år)", NOK),
        Col("turned_away_one_less", "Én seng mindre: endring i avviste per år", FTE),
    ]
    _write_table(sheet, result.marginal, columns)
    row = len(result.marginal) + 3
    if result.moves is None or result.moves.empty:
        return
    reference = result.case.reference_name
    title = f"Fra «{reference}» til anbefalingen, steg for steg (virkningene summerer seg til hele forskjellen)"
    sheet.cell(row=row, column=1, value=title).font = Font(bold=True)
    steps = result.moves.assign(text=[move_text(r) for r in result.moves.itertuples()])
    move_columns = [
        Col("step", "Steg", COUNT),
        Col("text", "Flytting"),
        Col("cost_change_nok", "Endring i kostnad (kr/år)", NOK),
        Col("turned_away_change", "Endring i avviste per år", FTE),
    ]
    _write_table(sheet, steps, move_columns, start_row=row + 1)
    sheet.column_dimensions["B"].width = 60


def _allocation(sheet: Worksheet, result: Result) -> None:
    """The optimum as a site × bed-type matrix with totals."""
    table = result.allocation.pivot(index="site", columns="bed_type", values="beds")
    table = table.reindex(index=result.case.site_names, columns=result.case.bed_type_names)
    table["Sum"] = table.sum(axis=1)
    table.loc["Sum"] = table.sum(axis=0)
    frame = table.reset_index().rename(columns={"site": "Lokasjon"})
    columns = [Col("Lokasjon", "Lokasjon")] + [Col(c, c, COUNT) for c in frame.columns[1:]]
    _write_table(sheet, frame, columns)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)


def _comparison(sheet: Worksheet, result: Result) -> None:
    """Beds per type (all sites) and per site and type, one column per alternative."""
    names = result.alternatives
    comp = result.comparison
    per_type = comp.pivot_table(
        index="bed_type", columns="alternative", values="beds", aggfunc="sum", sort=False
    ).reindex(index=result.case.bed_type_names, columns=names)
    per_type.loc["Totalt"] = per_type.sum()
    per_type = per_type.reset_index().assign(site="Alle lokasjoner")
    per_site = comp.pivot_table(
        index=["site", "bed_type"], columns="alternative", values="beds", aggfunc="sum", sort=False
    ).reindex(columns=names)
    per_site = per_site[per_site.sum(axis=1) > 0].reset_index()
    frame = pd.concat([per_type, per_site], ignore_index=True)
    columns = [Col("site", "Lokasjon"), Col("bed_type", "Plasstype")]
    columns += [Col(n, n, COUNT) for n in names]
    _write_table(sheet, frame, columns)


def _queueing(sheet: Worksheet, result: Result) -> None:
    """Per alternative and type: load, beds, blocking against its target, occupancy."""
    columns = [
        Col("alternative", "Alternativ"),
        Col("bed_type", "Plasstype"),
        Col("arrivals_per_year", "Innleggelser per år", COUNT),
        Col("load_beds", "Belastning a (senger)", LOAD),
        Col("beds", "Senger c", COUNT),
        Col("min_beds_for_target", "Minste antall senger for kravet", COUNT),
        Col("blocking_prob", "Andel avvist B(c, a)", SHARE),
        Col("blocking_mol", "Andel avvist med sesong (MOL)", SHARE),
        Col("blocking_worst_month", "Andel avvist verste måned (MOL)", SHARE),
        Col("blocking_year", "Andel avvist i året (sesong og ferier)", SHARE),
        Col("blocking_year_worst_month", "Andel avvist verste måned (sesong og ferier)", SHARE),
        Col("blocking_shared", "Andel avvist i året med ledig-seng-prinsippet", SHARE),
        Col("borrowed_share", "Andel som får seng av annen type", SHARE),
        Col("max_blocking", "Krav: maks andel avvist", SHARE),
        Col("occupancy_share", "Belegg a(1-B)/c", SHARE),
        Col("turned_away_per_year", "Ikke fått plass per år (avvist, gitt opp, bookede opphold)", FTE),
        Col("turned_away_cost_nok", "Kostnad avviste (kr/år)", NOK),
        Col("when_full", "Ved fullt"),
        Col("wait_place", "Ventested"),
        Col("p_wait", "Andel som må vente", SHARE),
        Col("mean_wait_days", "Snitt ventetid over alle innlagte (døgn)", WAIT),
        Col("mean_wait_if_waiting_days", "Snitt ventetid for dem som venter (døgn)", WAIT),
        Col("waiting_days_per_year", "Ventedøgn per år", DAYS),
        Col("unmet_booked_days_per_year", "Bookede døgn som ikke kan gis per år", DAYS),
        Col("waiting_cost_nok", "Kostnad ventedøgn og bookede døgn (kr/år)", NOK),
    ]
    _write_table(sheet, result.queueing, columns)


def _control(sheet: Worksheet, result: Result) -> None:
    """Does each target hold? Per alternative and type: computed and simulated, then the loop's steps."""
    verification = result.verification
    queue = result.queueing
    columns = [
        Col("alternative", "Alternativ"),
        Col("bed_type", "Plasstype"),
        Col("beds", "Senger", COUNT),
        Col("max_blocking", "Krav: maks andel avvist", SHARE),
        Col("blocking_year", "Beregnet: andel avvist i året (sesong og ferier)", SHARE),
        Col("blocking_shared", "Beregnet med ledig-seng-prinsippet", SHARE),
    ]
    frame = queue.copy()
    if verification is None:
        frame["holds"] = np.concatenate(
            [
                targets_hold(result.case, rows["blocking_shared"].to_numpy(), rows["mean_wait_days"].to_numpy())
                for _, rows in frame.groupby("alternative", sort=False)
            ]
        )
        columns.append(Col("holds", "Holder kravet (beregnet)"))
        _write_table(sheet, frame, columns)
        note = "Ikke kontrollert med simulering (kjørt med --ikke-verifiser)."
        sheet.cell(row=len(frame) + 3, column=1, value=note)
        return
    simulated = verification.simulated.drop(columns="max_blocking")
    frame = frame.merge(simulated, on=["alternative", "bed_type"], how="left")
    columns += [
        Col("blocking_sim", "Simulert: andel avvist i året", SHARE),
        Col("blocking_ci", "± (95 %-intervall)", SHARE),
        Col("worst_month_sim", "Simulert: verste måned", SHARE),
        Col("borrowed_sim", "Simulert: andel som får seng av annen type", SHARE),
        Col("lent_per_year", "Simulert: opphold fra andre typer i disse sengene per år", FTE),
        Col("waiting_days_sim", "Simulert: ventedøgn per år", DAYS),
        Col("mean_wait_sim", "Simulert: snitt ventetid over alle innlagte (døgn)", WAIT),
        Col("mean_wait_ci", "± (95 %-intervall, døgn)", WAIT),
        Col("p_wait_sim", "Simulert: andel som må vente", SHARE),
        Col("wait_p90_sim", "Simulert: 90-persentil ventetid (døgn)", WAIT),
        Col("share_wait_over_7_sim", "Simulert: andel som venter mer enn 7 døgn", SHARE),
        Col("unmet_booked_days_sim", "Simulert: bookede døgn utsatt per år", DAYS),
        Col("max_mean_wait_days", "Krav: maks snitt ventetid (døgn)", WAIT),
        Col("holds", "Holder kravet i simuleringen"),
    ]
    _write_table(sheet, frame, columns)
    row = len(frame) + 3
    options = verification.options
    lines = [
        holds_sentence(result),
        f"Simulering: {number(options.replications)} gjentak × {number(options.years)} år etter ett års "
        f"innsvingning, startverdi {options.seed}. Et krav holder når simulert andel minus intervallet er "
        "høyst kravet.",
        "Kontrollens steg: bommer en plasstype på kravet i simuleringen, økes belastningen modellen regner med "
        "(faktor) til den beregnede avvisningen er lik den simulerte, og modellen løses på nytt.",
    ]
    for offset, line in enumerate(lines):
        sheet.cell(row=row + offset, column=1, value=line)
    steps = [
        Col("iteration", "Steg", COUNT),
        Col("bed_type", "Plasstype"),
        Col("beds", "Senger", COUNT),
        Col("max_blocking", "Krav", SHARE),
        Col("blocking_sim", "Simulert andel avvist", SHARE),
        Col("blocking_ci", "± (95 %)", SHARE),
        Col("load_factor", "Belastningsfaktor i modellen", LOAD),
        Col("holds", "Holder kravet"),
    ]
    _write_table(sheet, verification.iterations, steps, start_row=row + len(lines) + 1)


def _staffing(sheet: Worksheet, result: Result) -> None:
    """FTE per unit by skill group, with the minimum-nurse rule applied."""
    staffing = result.staffing
    wide = staffing.pivot_table(
        index=["alternative", "site", "bed_type"], columns="skill", values="fte", sort=False
    ).reset_index()
    cost = staffing.groupby(["alternative", "site", "bed_type"], sort=False)["cost_nok"].sum()
    skills = list(result.case.skills.index)
    wide["total_fte"] = wide[skills].sum(axis=1)
    wide = wide.merge(cost.reset_index(), on=["alternative", "site", "bed_type"])
    beds = result.comparison.set_index(["alternative", "site", "bed_type"])["beds"]
    wide["beds"] = [beds[k] for k in zip(wide["alternative"], wide["site"], wide["bed_type"], strict=True)]
    columns = [
        Col("alternative", "Alternativ"),
        Col("site", "Lokasjon"),
        Col("bed_type", "Plasstype"),
        Col("beds", "Senger", COUNT),
    ]
    columns += [Col(s, f"{s.capitalize()} (årsverk)", FTE) for s in skills]
    columns += [Col("total_fte", "Sum årsverk", FTE), Col("cost_nok", "Kostnad (kr/år)", NOK)]
    _write_table(sheet, wide, columns)


def _violations(sheet: Worksheet, result: Result) -> None:
    """Every broken rule per alternative, in words."""
    frame = result.violations.copy()
    frame["rule"] = frame["family"].map(lambda f: FAMILY_LABELS.get(f, (f,))[0])
    columns = [
        Col("alternative", "Alternativ"),
        Col("rule", "Regel"),
        Col("site", "Lokasjon"),
        Col("bed_type", "Plasstype"),
        Col("value", "Verdi", COUNT),
        Col("bound", "Grense", COUNT),
        Col("amount", "Avvik", COUNT),
        Col("message_nb", "Forklaring"),
    ]
    _write_table(sheet, frame, columns)
    if frame.empty:
        sheet.cell(row=2, column=1, value="Ingen regelbrudd.")


def readable_headers() -> dict[tuple[str, str], str]:
    """``(sheet, column) -> header`` a politician can read: the schema's description and unit."""
    headers = {}
    for spec in SHEETS:
        for doc in column_doc(spec.row_model):
            text = doc["description"].split(" (")[0].split(". ")[0]
            unit = doc["unit"] if doc["unit"] and doc["unit"] not in text else ""
            headers[(spec.name, doc["header"])] = f"{text} ({unit})" if unit else text
    return headers


def _charts(sheet: Worksheet, result: Result) -> None:
    """Native Excel charts: beds and share turned away per bed type, one bar per alternative."""
    names = result.alternatives
    types = result.case.bed_type_names
    queue = result.queueing.set_index(["alternative", "bed_type"])
    blocks = (
        ("beds", "Senger per plasstype", "Senger", COUNT),
        ("blocking_prob", "Andel pasienter som avvises, per plasstype", "Andel avvist", SHARE),
    )
    row = 1
    for index, (field, title, axis, fmt) in enumerate(blocks):
        top = row
        sheet.cell(row=row, column=1, value="Plasstype").font = Font(bold=True)
        for j, name in enumerate(names, start=2):
            sheet.cell(row=row, column=j, value=name).font = Font(bold=True)
        for i, bed_type in enumerate(types, start=1):
            sheet.cell(row=row + i, column=1, value=bed_type)
            for j, name in enumerate(names, start=2):
                cell = sheet.cell(row=row + i, column=j, value=_cell(queue.at[(name, bed_type), field]))
                cell.number_format = fmt
        chart = BarChart()
        chart.type, chart.grouping, chart.title = "col", "clustered", title
        chart.y_axis.title = axis
        chart.y_axis.numFmt = "0%" if fmt == SHARE else "0"
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        chart.add_data(
            Reference(sheet, min_col=2, max_col=1 + len(names), min_row=top, max_row=top + len(types)),
            titles_from_data=True,
        )
        chart.set_categories(Reference(sheet, min_col=1, min_row=top + 1, max_row=top + len(types)))
        chart.width, chart.height = 26, 11
        sheet.add_chart(chart, f"{get_column_letter(len(names) + 3)}{1 + index * 24}")
        row = top + len(types) + 3
    sheet.column_dimensions["A"].width = max(len(t) for t in types) + 3
    for j in range(2, len(names) + 2):
        sheet.column_dimensions[get_column_letter(j)].width = 16


def _assumptions(sheet: Worksheet, result: Result) -> None:
    """Every input table echoed with its source, then derived values, one block after another."""
    case = result.case
    row = 1
    sheet.cell(row=row, column=1, value="Alle inndata med kilde").font = Font(bold=True, size=13)
    row += 2
    derived = pd.DataFrame(
        {
            "Plasstype": case.bed_type_names,
            "Belastning a (senger)": case.load_beds.round(3).to_numpy(),
            "Minste antall senger for kravet": case.min_beds_for_target.to_numpy(),
        }
    )
    blocks = dict(case_tables(case))
    blocks["Avledet: belastning og minste antall senger"] = derived
    readable = readable_headers()
    for title, frame in blocks.items():
        sheet.cell(row=row, column=1, value=title).font = Font(bold=True, size=12)
        row += 1
        columns = [Col(c, readable.get((title, c), c)) for c in frame.columns]
        _write_table(sheet, frame, columns, start_row=row)
        row += len(frame) + 2
    nurse = case.settings
    sheet.cell(row=row, column=1, value="Avledet: minstebemanning").font = Font(bold=True, size=12)
    sheet.cell(
        row=row + 1,
        column=1,
        value=(
            f"{number(nurse.nurses_per_shift, 1)} sykepleier per vakt × "
            f"{number(nurse.staffed_hours_per_week, 1)} t / {number(nurse.hours_per_fte_week, 1)} t "
            f"× (1 + {percent(nurse.absence_uplift, 0)}) = "
            f"{number(nurse.min_nurse_fte_per_unit, 2)} sykepleierårsverk per enhet"
        ),
    )
    for letter in "ABCDEFGHIJKLMNOP":
        sheet.column_dimensions[letter].width = 22
    sheet.freeze_panes = "A2"
