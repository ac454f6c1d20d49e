"""What the page shows of a result, as HTML built with htmltools (every text from a workbook is escaped).

Each view reads a :class:`~dimensioning.results.Result` (or an evaluation) only, through the same
sentence and table functions as the terminal, the Excel file and the PDF, so a number on the page is
the number of record. Cells carry their raw value in ``data-verdi`` so that a test (or a planner's
own script) can read the page without parsing Norwegian number formatting.
"""

from __future__ import annotations

import pandas as pd
from htmltools import Tag, TagList, tags

from dimensioning.common.labels import (
    holds_sentence,
    number,
    percent,
    record_source,
    sharing_sentences,
    staff_use_sentence,
    ukp_sentence,
)
from dimensioning.report.summary import comparison_rows, page_one_bullets
from dimensioning.results import Result


def table(headers: list[str], rows: list[list[object]], table_id: str, caption: str = "") -> Tag:
    """A plain table: the first column is the row's name, the rest right-aligned."""
    head = tags.thead(tags.tr(*[tags.th(h, scope="col") for h in headers]))
    body = tags.tbody(
        *[tags.tr(tags.th(str(row[0]), scope="row"), *[_cell(value) for value in row[1:]]) for row in rows]
    )
    return tags.table(tags.caption(caption) if caption else None, head, body, id=table_id, class_="table table-sm tall")


def _cell(value: object) -> Tag:
    if isinstance(value, tuple):  # (shown, raw)
        return tags.td(value[0], data_verdi=str(value[1]))
    return tags.td(str(value))


def split_table(allocation: pd.DataFrame, bed_types: list[str], sites: list[str], table_id: str) -> Tag:
    """Beds per site (rows) and type (columns), with sums; ``data-verdi`` holds each count."""
    beds = allocation.pivot_table(index="site", columns="bed_type", values="beds", aggfunc="sum").reindex(
        index=sites, columns=bed_types, fill_value=0
    )
    beds = beds.fillna(0).astype(int)
    rows: list[list[object]] = [
        [site, *[(number(beds.at[site, t]), int(beds.at[site, t])) for t in bed_types], int(beds.loc[site].sum())]
        for site in sites
    ]
    totals = [(number(beds[t].sum()), int(beds[t].sum())) for t in bed_types]
    rows.append(["Sum", *totals, int(beds.to_numpy().sum())])
    return table(["Lokasjon", *bed_types, "Sum"], rows, table_id)


def recommendation(result: Result, verified: bool) -> TagList:
    """The recommendation: page 1's bullets, the split per site, the comparison, the sentences."""
    case = result.case
    source = record_source(result)
    parts: list[object] = []
    if verified:
        parts.append(
            tags.p(
                f"Tallene er {source}e med kommunens egne regler (vintertopp, ferier, delingsregelen): de samme "
                "som «dimension solve» gir.",
                class_="status ferdig",
                id="status-anbefaling",
            )
        )
    else:
        parts.append(
            tags.p(
                "Foreløpig: modellens plan med beregnede tall (køteori, uten simulering). Kontrollen med "
                "simulering pågår, og tallene under blir erstattet når den er ferdig.",
                class_="status forelopig",
                id="status-anbefaling",
            )
        )
    if not result.has_optimum:
        parts.append(tags.p(result.infeasibility_nb, class_="feil"))
    else:
        parts.append(tags.ul(*[tags.li(b) for b in page_one_bullets(result)], id="hovedpunkter"))
        parts.append(tags.h3("Anbefalt fordeling per lokasjon"))
        parts.append(split_table(result.allocation, case.bed_type_names, case.site_names, "fordeling"))
    headers, rows, legend, _ = comparison_rows(result)
    parts.append(tags.h3("Sammenligning med alternativene"))
    parts.append(table(headers, rows, "sammenligning", legend))
    sentences = [holds_sentence(result), *sharing_sentences(result), staff_use_sentence(result)]
    if result.has_optimum:
        decision = [n for n in (result.optimum_name, case.reference_name) if n]
        sentences.insert(0, ukp_sentence(result, decision))
    parts.append(tags.div(*[tags.p(s) for s in sentences if s], id="forklaring"))
    return TagList(*parts)


def whatif_table(
    base: tuple[pd.Series, pd.DataFrame],
    edited: tuple[pd.Series, pd.DataFrame],
    bed_types: list[str],
    base_name: str,
    table_id: str = "hvaom-tall",
) -> Tag:
    """A what-if beside the split it started from: cost, share not served per type, UKP days.

    ``base`` and ``edited`` are each one evaluation's cost row and its queueing rows (one per type).
    """
    rows: list[list[object]] = []
    costs = [base[0], edited[0]]
    rows.append(["Kostnad (mill. kr/år)", *[(number(c.total_cost_nok / 1e6, 1), c.total_cost_nok) for c in costs]])
    for bed_type in bed_types:
        shares = [q.set_index("bed_type").at[bed_type, "share_not_served"] for q in (base[1], edited[1])]
        rows.append([f"Uten plass: {bed_type}", *[(percent(s, 1), s) for s in shares]])
    rows.append(["UKP-døgn per år", *[(number(c.ukp_days_per_year), c.ukp_days_per_year) for c in costs]])
    rows.append(["Avviste per år", *[(number(c.turned_away_per_year), c.turned_away_per_year) for c in costs]])
    rows.append(["Regelbrudd", *[(str(int(c.broken_rules)), int(c.broken_rules)) for c in costs]])
    rows.append(["Senger i alt", *[(number(c.beds), int(c.beds)) for c in costs]])
    simulated = (edited[1]["record_source"] == "simulert").all()
    caption = (
        "Tallene er simulerte med kommunens egne regler, som på fanen «Anbefaling»."
        if simulated
        else "Tallene er beregnet med køteori for å vise endringen med én gang. Regnemåten tar ikke med "
        "delingsregelen, så de er ikke tallene på fanen «Anbefaling» (simulert): sammenlign kolonnene med "
        "hverandre, og trykk «Simuler hva om» for tallene med kommunens egne regler."
    )
    return table(["", base_name, "Hva om"], rows, table_id, caption)
