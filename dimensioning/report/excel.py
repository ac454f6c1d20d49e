"""The Excel report: optimum beside today's split and the recommendations, in bokmål.

Reads only the :class:`~dimensioning.results.Result`; written atomically with pinned metadata,
so the same input gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from dimensioning.common.labels import (
    FAMILY_LABELS,
    dearer_or_cheaper,
    holds_sentence,
    larger_plan_sentence,
    number,
    percent,
    record_source,
    rules_phrase,
    sharing_rule_sentence,
    sharing_sentences,
    ukp_sentence,
    unbounded_queue_phrase,
    unbounded_types,
)
from dimensioning.inputs.case import case_tables
from dimensioning.inputs.schema import SHEETS, column_doc
from dimensioning.inputs.workbook import HEADER_FILL, save_workbook, style_table
from dimensioning.results import Result
from dimensioning.workflows.explain import move_text

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

    Sheets: ``Sammendrag``, ``Diagrammer`` (native Excel charts), ``Hvorfor``, ``Fordeling``,
    ``Deling`` (the recommendation's sharing rule, in the input sheet's columns), ``Delingsregel``
    (the rule in words and what it costs and saves), ``Sammenligning``, ``Kontroll`` (every figure
    of record per alternative and type, and whether each target holds), ``Referanse`` (the formulas:
    stationary Erlang B, MOL, the real year without and with sharing, computed, labelled as a
    reference), ``Bemanning``, ``Regelbrudd`` and ``Forutsetninger``. Every figure outside
    ``Referanse`` and ``Hvorfor`` comes from the evaluation of record.

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
        ("Deling", _sharing),
        ("Delingsregel", _sharing_words),
        ("Sammenligning", _comparison),
        ("Kontroll", _control),
        ("Referanse", _queueing),
        ("Bemanning", _staffing),
        ("Regelbrudd", _violations),
        ("Forutsetninger", _assumptions),
    )
    for title, write_sheet in sheets:
        if result.has_optimum or title not in {"Fordeling", "Hvorfor", "Deling", "Delingsregel"}:  # need an optimum
            write_sheet(workbook.create_sheet(title), result)
    if result.has_optimum and not result.case.key_figures.empty:
        _key_figures(workbook.create_sheet("Nøkkeltall", 2), result)
    return save_workbook(workbook, path)


def _key_figures(sheet: Worksheet, result: Result) -> None:
    """The Nokkeltall beside the kommune's own figures today and with the recommendation (:mod:`.peers`)."""
    from dimensioning.report import peers

    table = peers.peer_table(result)
    rows = peers.table_rows(table)
    sheet.append(rows[0])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    columns = [c for c in table.columns if c != "label"]
    for indicator, row in table.iterrows():
        values = [None if row[c] != row[c] else float(row[c]) for c in columns]
        sheet.append([row["label"], *values])
        unit = peers.KEY_FIGURES.get(indicator, ("", "plasser"))[1]
        shape = {"andel": "0.0 %", "per 1 000": "0.0"}.get(unit, "#,##0")
        for cell in sheet[sheet.max_row][1:]:
            cell.number_format = shape
    sheet.append([])
    sheet.append(["Kommunens egne tall er regnet av modellen; de andre er slik de er oppgitt i arket «Nokkeltall»."])
    for source in peers.sources(result):
        sheet.append([f"Kilde: {source}"])
    sheet.column_dimensions["A"].width = 48
    for k in range(2, len(rows[0]) + 1):
        sheet.column_dimensions[sheet.cell(row=1, column=k).column_letter].width = 18


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
        Col("ukp_days_per_year", "UKP-døgn per år", DAYS),
        Col("ukp_cost_nok", "Kostnad UKP-døgn (kr/år)", NOK),
        Col("ukp_mean_wait_days", "Snitt ventetid UKP over alle innlagte (døgn)", WAIT),
        Col("waiting_days_per_year", "Ventedøgn per år, alle som venter", DAYS),
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
        ("Tallene over er", f"{record_source(result)} (samme tall på alle ark, i terminalen og i rapporten)"),
        ("Totalt antall plasser (optimum)", result.optimum_total_beds),
        ("Totalen er", _total_rule(result.case)),
        (
            "Minste antall plasser som oppfyller alle krav (beregnet, uten deling, ikke kontrollert)",
            result.smallest_total_beds if result.verification is None else None,
        ),
        ("Løserstatus", status.label_nb),
        *([("Merknad om løsningen", status.stop_note_nb)] if status.stop_note_nb else []),
        ("Løser", status.solver),
        ("Gap (relativt, avrundet)", round(status.gap, 6)),
        (
            "Minstebemanning sykepleiere per enhet (årsverk)",
            round(result.case.settings.min_nurse_fte_per_unit, 2),
        ),
    ]
    for label, value in facts:
        cell = sheet.cell(row=row, column=1, value=label)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.cell(row=row, column=2, value=value)
        row += 1
    labels = [label for label, _ in facts] + list(costs["alternative"])
    # a long label wraps: column A stays narrow enough for the table to print legibly on A4
    sheet.column_dimensions["A"].width = min(40, max(len(str(label)) for label in labels) + 3)
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
        f"{number(costs.at[optimum, 'turned_away_per_year'])} pasienter per år ({record_source(result)}).",
        holds_sentence(result),
        *sharing_sentences(result),
    ]
    larger = larger_plan_sentence(result)
    if larger:
        lines.append(larger)
    ukp = ukp_sentence(result, result.alternatives)
    if ukp:
        lines.append(ukp)
    for name in result.alternatives[1:]:
        extra = costs.at[name, "total_cost_nok"] - best
        rules = rules_phrase(int(costs.at[name, "broken_rules"]))
        growing = unbounded_types(result, name)
        compared = unbounded_queue_phrase(growing) if growing else f"{dearer_or_cheaper(extra)} enn optimal fordeling"
        lines.append(
            f"{name}: {compared}, avviser {number(costs.at[name, 'turned_away_per_year'])} pasienter per år og {rules}."
        )
    return lines


def _why(sheet: Worksheet, result: Result) -> None:
    """Why this split: one bed more or less per type, then the moves from the reference alternative."""
    columns = [
        Col("bed_type", "Plasstype"),
        Col("site", "Lokasjon (der sengen legges til eller tas fra)"),
        Col("beds", "Senger i anbefalingen", COUNT),
        Col("cost_one_more_nok", "Én seng mer: endring i kostnad (kr/år, beregnet)", NOK),
        Col("turned_away_one_more", "Én seng mer: endring i avviste per år (beregnet)", FTE),
        Col("cost_one_less_nok", "Én seng mindre: endring i kostnad (kr/år, beregnet)", NOK),
        Col("turned_away_one_less", "Én seng mindre: endring i avviste per år (beregnet)", FTE),
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
        Col("cost_change_nok", "Endring i kostnad (kr/år, beregnet)", NOK),
        Col("turned_away_change", "Endring i avviste per år (beregnet)", FTE),
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
    """Reference: the formulas per alternative and type (computed, not the evaluation of record)."""
    columns = [
        Col("alternative", "Alternativ"),
        Col("bed_type", "Plasstype"),
        Col("arrivals_per_year", "Innleggelser per år", COUNT),
        Col("load_beds", "Belastning a (senger)", LOAD),
        Col("beds", "Senger c", COUNT),
        Col("min_beds_for_target", "Referanse: minste antall senger for kravet (beregnet)", COUNT),
        Col("blocking_prob", "Referanse: andel avvist B(c, a) uten sesong", SHARE),
        Col("blocking_mol", "Referanse: andel avvist med sesong (MOL)", SHARE),
        Col("blocking_worst_month", "Referanse: verste måned (MOL)", SHARE),
        Col("blocking_year", "Referanse: andel avvist i året, sesong og ferier, uten deling", SHARE),
        Col("blocking_year_worst_month", "Referanse: verste måned, sesong og ferier, uten deling", SHARE),
        Col("blocking_shared", "Referanse: andel avvist i året med ledig-seng-prinsippet (formel)", SHARE),
        Col("borrowed_share", "Referanse: andel som får seng av annen type (formel)", SHARE),
        Col("max_blocking", "Krav: maks andel avvist", SHARE),
        Col("occupancy_share_computed", "Referanse: belegg a(1-B)/c", SHARE),
        Col("turned_away_per_year_computed", "Referanse: ikke fått plass per år (modellens kurve)", FTE),
        Col("waiting_days_per_year_computed", "Referanse: ventedøgn per år (modellens kurve)", DAYS),
        Col("mean_wait_days_computed", "Referanse: snitt ventetid over alle innlagte (døgn, modellens kurve)", WAIT),
        Col("unmet_booked_days_per_year_computed", "Referanse: bookede døgn ikke gitt per år (modellens kurve)", DAYS),
        Col("when_full", "Ved fullt"),
        Col("wait_place", "Ventested"),
    ]
    _write_table(sheet, result.queueing, columns)
    note = (
        "Referanse: formlene modellen bruker, beregnet. Tallene det står «holder» eller «bommer» om, og alle "
        f"tall på de andre arkene, er {record_source(result)}e (arket «Kontroll»)."
    )
    sheet.cell(row=len(result.queueing) + 3, column=1, value=note)


def _sharing(sheet: Worksheet, result: Result) -> None:
    """The recommendation's sharing rule in the columns of the input sheet ``Deling`` (it can be fed back)."""
    verification = result.verification
    rule = result.case.sharing if verification is None or verification.rule is None else verification.rule
    given = result.case.sharing.set_index(["bed_type", "lender"])
    frame = rule.copy()
    frame["reserve_beds"] = frame["reserve_beds"].map(lambda v: None if v != v else int(v))
    frame["waiting_may_borrow"] = frame["waiting_may_borrow"].map(lambda v: None if v is None else bool(v))
    sources = []
    for r in frame.itertuples():
        chosen = given.loc[(r.bed_type, r.lender)]
        picked = pd.isna(chosen["reserve_beds"]) or chosen["waiting_may_borrow"] is None
        sources.append(f"Valgt av modellen. {r.source}".strip() if picked and verification is not None else r.source)
    frame["source"] = sources
    columns = [
        Col("bed_type", "plasstype"),
        Col("lender", "kan_bruke"),
        Col("reserve_beds", "reserverte_plasser", COUNT),
        Col("waiting_may_borrow", "ventende_kan_laane"),
        Col("source", "kilde"),
    ]
    _write_table(sheet, frame, columns)


def _sharing_words(sheet: Worksheet, result: Result) -> None:
    """The sharing rule in words a ward manager can apply, and what keeping beds back costs and saves."""
    verification = result.verification
    rule = result.case.sharing if verification is None or verification.rule is None else verification.rule
    sheet.cell(row=1, column=1, value="Hvem kan bruke hvem sine ledige senger").font = Font(bold=True, size=13)
    row = 3
    for r in rule.itertuples():
        if r.reserve_beds != r.reserve_beds:
            text = f"{r.bed_type} → {r.lender}: velges av modellen (ikke valgt uten simulering)"
        else:
            text = sharing_rule_sentence(r.bed_type, r.lender, int(r.reserve_beds), r.waiting_may_borrow is not False)
        sheet.cell(row=row, column=1, value=text)
        row += 1
    effects = getattr(verification, "rule_effects", None)
    if effects is not None and not effects.empty:
        # the pairs where the beds kept back change something a planner would notice
        spread = effects.groupby(["lender", "bed_type"], sort=False).agg(
            share=("lender_share", lambda v: v.max() - v.min()), ukp=("ukp_days_per_year", lambda v: v.max() - v.min())
        )
        matters = spread[(spread["share"] >= 0.01) | (spread["ukp"] >= 50)].index
        effects = effects[[(a, b) in matters for a, b in zip(effects["lender"], effects["bed_type"], strict=True)]]
    if effects is not None and not effects.empty:
        row += 1
        title = "Hva det koster og sparer å holde av senger (anbefalingen, simulert, de andre reglene som valgt)"
        sheet.cell(row=row, column=1, value=title).font = Font(bold=True)
        columns = [
            Col("lender", "Långiver"),
            Col("bed_type", "Låntaker"),
            Col("reserve_beds", "Senger holdt av", COUNT),
            Col("lender_share", "Långiverens andel uten plass", SHARE),
            Col("borrower_share", "Låntakerens andel uten plass", SHARE),
            Col("ukp_days_per_year", "UKP-døgn per år", DAYS),
            Col("total_cost_nok", "Samlet kostnad (kr/år)", NOK),
            Col("chosen", "Valgt"),
        ]
        _write_table(sheet, effects, columns, start_row=row + 1)
    sheet.column_dimensions["A"].width = 100


def _control(sheet: Worksheet, result: Result) -> None:
    """Does each target hold? Per alternative and type: the evaluation of record, then how it was reached."""
    verification = result.verification
    source = record_source(result)
    frame = result.queueing
    if verification is not None:
        extra = verification.simulated[
            ["alternative", "bed_type", "borrowed_sim", "wait_p90_sim", "share_wait_over_7_sim"]
        ]
        frame = frame.merge(extra, on=["alternative", "bed_type"], how="left")
    columns = [
        Col("alternative", "Alternativ"),
        Col("bed_type", "Plasstype"),
        Col("beds", "Senger", COUNT),
        Col("max_blocking", "Krav: maks andel uten plass", SHARE),
        Col("share_not_served", f"Andel uten plass i året ({source})", SHARE),
        Col("share_not_served_ci", "± (95 %-intervall)", SHARE),
        Col("share_worst_month", f"Verste måned ({source})", SHARE),
        Col("turned_away_per_year", "Avvist eller gitt opp per år", FTE),
        Col("waiting_days_per_year", "Ventedøgn per år", DAYS),
        Col("mean_wait_days", "Snitt ventetid over alle innlagte (døgn)", WAIT),
        Col("mean_wait_ci", "± (95 %-intervall, døgn)", WAIT),
        Col("p_wait", "Andel som må vente", SHARE),
        Col("unmet_booked_days_per_year", "Bookede døgn ikke gitt per år", DAYS),
        Col("lent_per_year", "Opphold fra andre typer i disse sengene per år", FTE),
        Col("occupancy_share", f"Belegg ({source})", SHARE),
    ]
    if verification is not None:
        columns += [
            Col("borrowed_sim", "Andel som får seng av annen type", SHARE),
            Col("wait_p90_sim", "90-persentil ventetid (døgn)", WAIT),
            Col("share_wait_over_7_sim", "Andel som venter mer enn 7 døgn", SHARE),
        ]
    columns += [Col("max_mean_wait_days", "Krav: maks snitt ventetid (døgn)", WAIT)]
    columns.append(Col("target_holds", f"Holder kravet ({source})"))
    frame = frame.assign(max_mean_wait_days=frame["bed_type"].map(result.case.bed_types["max_mean_wait_days"]))
    _write_table(sheet, frame, columns)
    row = len(frame) + 3
    if verification is None:
        note = "Ikke simulert: tallene er modellens egne kurver (beregnet), uten delingsregelen."
        sheet.cell(row=row, column=1, value=note)
        return
    options = verification.options
    lines = [
        holds_sentence(result),
        f"Simulering: {number(options.replications)} gjentak × {number(options.years)} år etter ett års "
        f"innsvingning, startverdi {options.seed}. Et krav holder når simulert andel minus intervallet er "
        "høyst kravet. Søket godtar bare planer der selve det simulerte tallet er høyst kravet.",
        "Slik ble anbefalingen funnet: modellens plan ble simulert; bommet en plasstype, ble belastningen "
        "modellen regner med økt og modellen løst på nytt; deretter ble senger flyttet og delingsregelen "
        "valgt, steg for steg, med simuleringen som dommer (de samme pasientene i hver simulering).",
    ]
    for offset, line in enumerate(lines):
        sheet.cell(row=row + offset, column=1, value=line)
    row += len(lines) + 1
    steps = verification.steps
    if steps is not None and not steps.empty:
        phase = {
            "start": "start",
            "reparasjon": "mot kravene",
            "billigere": "billigere",
            "flere plasser": "flere plasser",
        }
        columns = [
            Col("step", "Steg", COUNT),
            Col("phase_nb", "Fase"),
            Col("change_nb", "Endring"),
            Col("beds", "Senger i alt", COUNT),
            Col("cost_nok", "Kostnad (kr/år, simulert)", NOK),
            Col("missing", "Krav som bommer", COUNT),
        ]
        _write_table(sheet, steps.assign(phase_nb=steps["phase"].map(phase)), columns, start_row=row)
        row += len(steps) + 2
    iterations = [
        Col("iteration", "Omløsning", COUNT),
        Col("bed_type", "Plasstype"),
        Col("beds", "Senger", COUNT),
        Col("max_blocking", "Krav", SHARE),
        Col("blocking_sim", "Simulert andel uten plass", SHARE),
        Col("blocking_ci", "± (95 %)", SHARE),
        Col("load_factor", "Belastningsfaktor i modellen", LOAD),
        Col("holds", "Holder kravet"),
    ]
    _write_table(sheet, verification.iterations, iterations, start_row=row)


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
    source = record_source(result)
    blocks = (
        ("beds", "Senger per plasstype", "Senger", COUNT),
        (
            "share_not_served",
            f"Andel pasienter som ikke får plass, per plasstype ({source}), og kravet",
            "Andel uten plass",
            SHARE,
        ),
    )
    targets = result.case.bed_types["max_blocking"]
    row = 1
    for index, (field, title, axis, fmt) in enumerate(blocks):
        top = row
        series = list(names) + (["Krav"] if field == "share_not_served" else [])
        sheet.cell(row=row, column=1, value="Plasstype").font = Font(bold=True)
        for j, name in enumerate(series, start=2):
            sheet.cell(row=row, column=j, value=name).font = Font(bold=True)
        for i, bed_type in enumerate(types, start=1):
            sheet.cell(row=row + i, column=1, value=bed_type)
            for j, name in enumerate(series, start=2):
                value = float(targets[bed_type]) if name == "Krav" else queue.at[(name, bed_type), field]
                cell = sheet.cell(row=row + i, column=j, value=_cell(value))
                cell.number_format = fmt
        chart = BarChart()
        chart.type, chart.grouping, chart.title = "col", "clustered", title
        chart.y_axis.title = axis
        chart.y_axis.numFmt = "0%" if fmt == SHARE else "0"
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        chart.add_data(
            Reference(sheet, min_col=2, max_col=1 + len(series), min_row=top, max_row=top + len(types)),
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
