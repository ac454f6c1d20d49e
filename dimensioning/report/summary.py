"""Page 1 in words: at most five short bullets a committee secretary can read out, from a Result only.

The bullets answer, in order: what we recommend, what it costs against today and the reference,
what holds and what does not, why this split, and what the committee is asked to decide. Every
number is read from the result (the evaluation of record), so it is the same number as in the
tables, the Excel file and the terminal. No solver, no input-column name.
"""

from __future__ import annotations

import pandas as pd

from dimensioning.common.labels import join_nb, number, percent, record_source, ukp_figures
from dimensioning.results import Result

#: At most this many bed types named per direction in the first bullet.
MOST_CHANGES_NAMED = 3


def page_one_bullets(result: Result) -> list[str]:
    """The bullets of page 1 (at most five), see the module docstring."""
    bullets = [_recommend(result), _cost(result), _holds(result), _why(result), _decide(result)]
    return [b for b in bullets if b][:5]


def today_name(result: Result) -> str | None:
    """Today's split: the case's first alternative, if it has one."""
    names = result.case.alternative_names
    return names[0] if names else None


def _beds_by_type(result: Result, name: str) -> pd.Series:
    rows = result.queueing[result.queueing["alternative"] == name].set_index("bed_type")["beds"]
    return rows.reindex(result.case.bed_type_names).fillna(0).astype(int)


def _recommend(result: Result) -> str:
    """What we recommend: the total, and the largest changes from today's split."""
    total = number(result.optimum_total_beds)
    sites = len(result.case.site_names)
    recommended = _beds_by_type(result, result.optimum_name)
    today = today_name(result)
    head = f"Vi anbefaler {total} korttidsplasser ved {sites} lokasjoner, fordelt som i figuren og tabellen"
    if today is None:
        listed = ", ".join(f"{t} {number(v)}" for t, v in recommended.items())
        return f"{head}: {listed}."
    now = _beds_by_type(result, today)
    change = recommended - now
    more = change[change > 0].sort_values(ascending=False, kind="stable").head(MOST_CHANGES_NAMED)
    fewer = change[change < 0].sort_values(kind="stable").head(MOST_CHANGES_NAMED)
    parts = []
    if len(more):
        parts.append("flere " + join_nb([f"{t} ({number(now[t])} → {number(recommended[t])})" for t in more.index]))
    if len(fewer):
        parts.append("færre " + join_nb([f"{t} ({number(now[t])} → {number(recommended[t])})" for t in fewer.index]))
    if not parts:
        return f"{head}: samme antall per plasstype som i dag."
    return f"{head}: {', og '.join(parts)} enn i dag."


def _difference(amount_nok: float) -> str:
    """«11,5 mill. kr mindre», «4,4 mill. kr mer» or «det samme» (amount = other minus recommended)."""
    if amount_nok != amount_nok or abs(amount_nok) == float("inf"):
        return "ikke sammenlignbart (en kø som vokser uten grense)"
    shown = number(abs(amount_nok) / 1e6, 1)
    if shown == "0,0":
        return "om lag det samme"
    return f"{shown} mill. kr {'mindre' if amount_nok > 0 else 'mer'}"


def _cost(result: Result) -> str:
    """What it costs a year, against today and the reference."""
    costs = result.costs.set_index("alternative")["total_cost_nok"]
    mine = costs[result.optimum_name]
    sentence = (
        f"Det koster {number(mine / 1e6, 1)} mill. kr i året i bemanning og i avviste og ventende pasienter "
        f"({record_source(result)})"
    )
    compared = []
    today, reference = today_name(result), result.case.reference_name
    if today is not None:
        compared.append(f"{_difference(costs[today] - mine)} enn «{today}»")
    if reference is not None and reference != today:
        compared.append(f"{_difference(costs[reference] - mine)} enn «{reference}»")
    return sentence + (": " + " og ".join(compared) if compared else "") + "."


def _holds(result: Result) -> str:
    """Which targets hold with the recommendation and today's split, and the days in hospital."""
    queue = result.queueing.set_index(["alternative", "bed_type"])
    types = result.case.bed_type_names

    def missed(name: str) -> list[str]:
        return [t for t in types if not bool(queue.at[(name, t), "target_holds"])]

    mine = missed(result.optimum_name)
    sentence = (
        "Alle kravene holder med anbefalingen"
        if not mine
        else f"Med anbefalingen holder ikke kravet for {join_nb(mine)}"
    )
    today = today_name(result)
    if today is not None:
        theirs = missed(today)
        sentence += (
            f"; med «{today}» holder ikke kravet for {join_nb(theirs)}" if theirs else f"; med «{today}» holder de også"
        )
    sentence += f" ({record_source(result)})."
    days = result.costs.set_index("alternative")
    if result.case.ukp_types and "ukp_days_per_year" in days:
        ukp = days.at[result.optimum_name, "ukp_days_per_year"]
        cost = days.at[result.optimum_name, "ukp_cost_nok"]
        text = (
            f" Utskrivningsklare pasienter venter til sammen {_days(ukp)} i året på sykehuset "
            f"({number(cost / 1e6, 1)} mill. kr)"
        )
        if today is not None:
            text += f", mot {_days(days.at[today, 'ukp_days_per_year'])} med «{today}»"
        sentence += text + "."
    return sentence


def _days(value: float) -> str:
    if value == float("inf"):
        return "ubegrenset mange døgn"
    return f"{number(value)} døgn"


def _why(result: Result) -> str:
    """Why this split, in one sentence: the beds the targets need, and where the rest stand."""
    rows = result.queueing[result.queueing["alternative"] == result.optimum_name]
    needed = int(rows["min_beds_for_target"].clip(lower=0).sum())
    total = int(result.optimum_total_beds)
    needed = min(needed, total)
    free = total - needed
    if free <= 0:
        return (
            f"Hvorfor: kravene til avvisning og ventetid trenger alle de {number(total)} plassene (beregnet på "
            "modellens kurver); fordelingen er den billigste som holder dem."
        )
    return (
        f"Hvorfor: kravene til avvisning og ventetid trenger {number(needed)} av de {number(total)} plassene; "
        f"de {number(free)} andre står der de sparer mest bemanning og avviste og ventende pasienter "
        "(beregnet på modellens kurver; kapitlet «Hvorfor denne fordelingen»)."
    )


def _decide(result: Result) -> str:
    """What the committee is asked to decide."""
    rule = getattr(getattr(result, "verification", None), "rule", None)
    shared = rule is not None and len(rule) > 0
    return "Hovedutvalget bes ta stilling til fordelingen per lokasjon og plasstype i tabellen" + (
        " og til regelen for hvem som kan bruke hvem sine ledige senger (side 2)." if shared else "."
    )


def comparison_rows(result: Result) -> tuple[list[str], list[list[str]], str, int]:
    """The comparison of every alternative as text cells, for the terminal and the web page alike.

    Returns the header (``Plasstype`` and one column per alternative), the rows (beds per type with
    the share not served, then cost, turned away, UKP days, booked days not given and broken rules,
    each from the evaluation of record), the legend, and how many rows are bed types.
    """
    names = result.alternatives
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
    rows = [
        [bed_type, *[f"{int(beds.at[bed_type, n])} ({percent(blocking[n, bed_type], 0)})" for n in names]]
        for bed_type in result.case.bed_type_names
    ]
    type_rows = len(rows)
    costs = result.costs.set_index("alternative")
    rows.append(["Kostnad (mill. kr/år)", *[number(costs.at[n, "total_cost_nok"] / 1e6, 1) for n in names]])
    rows.append([f"Avviste per år ({source})", *[number(costs.at[n, "turned_away_per_year"]) for n in names]])
    ukp = {n: ukp_figures(result, n) for n in names}
    if all(ukp.values()):
        rows.append([f"UKP-døgn per år ({source})", *[number(ukp[n]["days"]) for n in names]])
        cost = [number(ukp[n]["cost_nok"] / 1e6, 1) for n in names]
        rows.append([f"Kostnad UKP-døgn (mill. kr/år, {source})", *cost])
        rows.append(
            [
                f"Snitt ventetid UKP for dem som venter (døgn, {source})",
                *[number(ukp[n]["wait_if_waiting"], 1) for n in names],
            ]
        )
    if (costs["unmet_booked_days_per_year"] > 0).any() or (result.case.bed_types["when_full"] == "planlagt").any():
        rows.append(
            [
                f"Bookede døgn som ikke kan gis ({source})",
                *[number(costs.at[n, "unmet_booked_days_per_year"]) for n in names],
            ]
        )
    rows.append(["Regelbrudd", *[str(int(costs.at[n, "broken_rules"])) for n in names]])
    return ["Plasstype", *names], rows, legend, type_rows
