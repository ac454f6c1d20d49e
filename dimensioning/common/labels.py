"""Bokmål labels: the only place where Norwegian text for reports and the CLI is defined."""

from __future__ import annotations

import pandas as pd

OPTIMUM = "Optimal fordeling (modell)"
BEST_WITHIN = "Beste innenfor rammen (bryter krav)"

# Restriction families: (short label, unit, explanation of the rule).
FAMILY_LABELS: dict[str, tuple[str, str, str]] = {
    "total_beds": ("Totalt antall plasser", "senger", "summen av plassene skal være totalen"),
    "site_capacity": ("Kapasitet per lokasjon", "senger", "plassene skal få plass på lokasjonen"),
    "single_rooms": ("Enerom", "senger", "typer som krever enerom skal få enerom"),
    "bath_rooms": ("Enerom med bad", "senger", "typer som krever bad skal få enerom med bad"),
    "screened_rooms": (
        "Skjermede oppholdsrom",
        "enheter",
        "hver enhet som krever skjerming trenger et eget skjermet oppholdsrom",
    ),
    "facilities": (
        "Fasiliteter",
        "senger",
        "typen krever basseng, treningssal, legekontor eller overnatting som lokasjonen mangler",
    ),
    "min_unit": ("Minste enhet", "senger", "en enhet skal ha minst så mange senger som plasstypen krever"),
    "max_sites": (
        "Maks antall lokasjoner",
        "lokasjoner",
        "plasstypen kan bare være ved så mange lokasjoner",
    ),
    "policy_min": ("Føring (minst)", "senger", "føringen krever minst så mange senger"),
    "policy_max": ("Føring (høyst)", "senger", "føringen tillater høyst så mange senger"),
    "blocking_target": (
        "Krav til avvisning",
        "senger",
        "andelen pasienter som ikke får plass, skal holde seg under kravet",
    ),
    "stable_queue": (
        "Køen må ikke vokse uten grense",
        "senger",
        "pasientene venter uten å gi opp, så de åpne sengene må gi flere liggedøgn i året enn pasientene trenger",
    ),
    "staff_available": (
        "Tilgjengelige årsverk",
        "årsverk",
        "planen kan ikke trenge flere årsverk i faggruppen enn kommunen kan bemanne (arket Bemanning)",
    ),
    "max_moved": (
        "Flyttede senger",
        "senger",
        "ikke flere senger enn grensen for flyttede plasser (Parametre) flyttes fra referansealternativet",
    ),
}

SENSE_WORDS = {"<=": "høyst", ">=": "minst", "==": "nøyaktig"}


def violation_message(
    family: str, site: str, bed_type: str, sense: str, value: float, bound: float, detail: str = ""
) -> str:
    """One sentence in bokmål that says which rule is broken, where, and by how much."""
    label, unit, explanation = FAMILY_LABELS.get(family, (family, "", ""))
    where = " / ".join(part for part in (site, bed_type) if part)
    if family == "staff_available":
        where, detail = detail, ""  # the skill group is where it breaks
    where = f" ({where})" if where else ""
    if detail:
        explanation = f"lokasjonen mangler {detail}"
    decimals = 1 if unit == "årsverk" else 0
    amount = with_unit(value, unit, decimals)
    return f"{label}{where}: {amount}, skal være {SENSE_WORDS[sense]} {number(bound, decimals)} – {explanation}"


SINGULAR_UNITS = {"senger": "seng", "enheter": "enhet", "lokasjoner": "lokasjon", "rom": "rom"}


def with_unit(value: float, unit: str, decimals: int = 0) -> str:
    """``1 seng``, ``2 senger``, ``1,5 senger``: a number and its unit in the right form."""
    text = number(value, decimals)
    word = SINGULAR_UNITS.get(unit, unit) if text == "1" else unit
    return f"{text} {word}".strip()


#: The months as the input sheets (Sesong) and the reports abbreviate them.
MONTHS = ("jan", "feb", "mar", "apr", "mai", "jun", "jul", "aug", "sep", "okt", "nov", "des")

MONTH_NAMES_NB = (
    "januar",
    "februar",
    "mars",
    "april",
    "mai",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "desember",
)

UNBOUNDED = "ubegrenset"
"""What a figure that grows without bound reads as (a queue without patience below its stable beds)."""


def number(value: float, decimals: int = 0) -> str:
    """Format a number the Norwegian way: decimal comma and a thin space between thousands.

    ``inf`` reads «ubegrenset» (a queue that grows without bound) and NaN «–» (no value).
    """
    if value != value:
        return "–"
    if value in (float("inf"), float("-inf")):
        return UNBOUNDED if value > 0 else f"−{UNBOUNDED}"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u2009").replace(".", ",")


def percent(share: float, decimals: int = 1) -> str:
    """Format a share as a Norwegian percentage, e.g. ``0.053 -> '5,3 %'``."""
    return f"{number(100 * share, decimals)} %"


def join_nb(items: list[str]) -> str:
    """``A``, ``A og B``, ``A, B og C``: a list in a sentence."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " og " + items[-1]


def plural(n: float, one: str, many: str) -> str:
    """``1 regel``, ``3 regler``, ``0 regler``: the number (Norwegian format) and the right noun."""
    return f"{number(n)} {one if round(n) == 1 else many}"


def rules_phrase(broken: int) -> str:
    """``bryter ingen regler``, ``bryter 1 regel``, ``bryter 5 regler``."""
    return "bryter ingen regler" if broken == 0 else f"bryter {plural(broken, 'regel', 'regler')}"


def cost_difference_phrase(difference_nok: float, subject: str = "den") -> str:
    """How much cheaper or dearer, said the right way round.

    ``difference_nok`` is what the other alternative costs minus what ``subject`` costs, so a
    positive number means ``subject`` saves money.
    """
    if difference_nok != difference_nok:
        return f"kan {subject} ikke sammenlignes på kostnad"
    if abs(difference_nok) == float("inf"):
        if difference_nok > 0:
            return f"unngår {subject} en kø som vokser uten grense"
        return f"har {subject} en kø som vokser uten grense"
    amount = number(abs(difference_nok) / 1e6, 1)
    if amount == "0,0":
        return f"koster {subject} om lag det samme"
    if difference_nok > 0:
        return f"sparer {subject} {amount} mill. kr per år"
    return f"koster {subject} {amount} mill. kr mer per år"


def unbounded_types(result: object, name: str) -> list[str]:
    """The types whose queue grows without bound in one plan of a result (``queue_unbounded``)."""
    queue = result.queueing
    if "queue_unbounded" not in queue:
        return []
    rows = queue[(queue["alternative"] == name) & queue["queue_unbounded"].astype(bool)]
    return list(rows["bed_type"])


def unbounded_queue_phrase(types: list[str]) -> str:
    """``køen for Forsterket (USK) vokser uten grense, så kostnaden har ingen øvre grense``."""
    return f"køen for {join_nb(types)} vokser uten grense, så kostnaden har ingen øvre grense"


def turned_away_difference_phrase(fewer: float) -> str:
    """``avviser 42 færre pasienter per år`` or ``avviser 4 flere ...``, never «-4 færre»."""
    if round(fewer) == 0:
        return "avviser om lag like mange pasienter"
    word = "færre" if fewer > 0 else "flere"
    return f"avviser {number(abs(fewer))} {word} pasienter per år"


def dearer_or_cheaper(difference_nok: float) -> str:
    """``3,1 mill. kr dyrere per år`` or ``0,4 mill. kr billigere per år`` than the optimum."""
    amount = number(abs(difference_nok) / 1e6, 1)
    if amount == "0,0":
        return "om lag like dyr"
    return f"{amount} mill. kr {'dyrere' if difference_nok > 0 else 'billigere'} per år"


def real_year_sentence(queueing_rows: object) -> str:
    """Whether the targets hold on the model's own curves (nothing simulated), type by type.

    ``queueing_rows`` has ``bed_type, share_not_served, max_blocking`` for one plan. Types
    without a target (``maks_avvisning`` = 1) are left out. Said to be computed and not checked,
    since the simulation of the case's own rules is the judge.
    """
    missed = [
        f"{r.bed_type} {_beyond(r.share_not_served, r.max_blocking)} (krav {percent(r.max_blocking, 0)})"
        for r in queueing_rows.itertuples()
        if r.max_blocking < 1 and r.share_not_served > r.max_blocking + 1e-9
    ]
    if not missed:
        return (
            "Kravene til avvisning holder i det virkelige året med vintertopp og ferier (beregnet, ikke "
            "kontrollert med simulering)."
        )
    return (
        "I det virkelige året med vintertopp og ferier avvises flere enn kravet for "
        + ", ".join(missed)
        + " (beregnet, ikke kontrollert med simulering)."
    )


def record_source(result: object) -> str:
    """Where the figures of record come from: «simulert» or «beregnet» (one word for every page)."""
    queue = result.queueing
    if "record_source" in queue.columns and len(queue):
        return str(queue["record_source"].iloc[0])
    return "beregnet"


def holds_sentence(result: object) -> str:
    """Whether the recommendation meets every target: by the simulation of record, else computed.

    Page 1 and the terminal only say that every target holds when the simulated real year says so.
    """
    verification = getattr(result, "verification", None)
    queue = result.queueing
    if verification is None:
        sentence = real_year_sentence(queue[queue["alternative"] == result.optimum_name])
    else:
        sentence = verification_sentence(verification, result.optimum_name)
    return " ".join([sentence, *unpriced_queue_sentences(result)])


def unpriced_queue_sentences(result: object) -> list[str]:
    """Waiting types that nothing in the case asks to be short: no patience, wait target or wait price.

    Such a type is held only by the rule that its queue must not grow without bound, so the
    recommendation gives it the fewest beds that keep it stable; the planner must see the wait it
    leaves.
    """
    types, queue = result.case.bed_types, result.queueing
    rows = queue[queue["alternative"] == result.optimum_name].set_index("bed_type")
    lines = []
    for t in result.case.bed_type_names:
        row = types.loc[t]
        if row["when_full"] != "venter" or not pd.isna(row["patience_days"]):
            continue
        if not pd.isna(row["max_mean_wait_days"]) or float(row["cost_per_waiting_day"]) > 0:
            continue
        wait = float(rows.at[t, "mean_wait_if_waiting_days"])
        lines.append(
            f"{t}: pasientene venter uten å gi opp, og inndataene har verken krav til ventetid eller kostnad per "
            f"ventedøgn; anbefalingen gir derfor bare nok senger til at køen ikke vokser uten grense, og de som "
            f"venter, venter i snitt {number(wait, 1)} døgn ({record_source(result)})."
        )
    return lines


def verification_sentence(verification: object, optimum_name: str) -> str:
    """What the simulation of the recommendation says, type by type, and what the loop did."""
    options = verification.options
    how = (
        f"Simulert {number(options.replications)} × {number(options.years)} år med kommunens egne regler "
        "(vintertopp, ferier med hele senger stengt, delingsregelen)"
    )
    rows = verification.simulated[verification.simulated["alternative"] == optimum_name]
    if not verification.options.improve:
        missed = rows[~rows["holds"]]
        verdict = (
            "alle kravene til avvisning holder for modellens plan"
            if missed.empty
            else "modellens plan bommer på kravet for " + ", ".join(_missed_part(r) for r in missed.itertuples())
        )
        return (
            f"{how}: {verdict}. Planen er ikke kontrollert: den er modellens egen, ikke søkt fram i "
            "simuleringen (--ikke-verifiser)."
        )
    loops = int(verification.iterations["iteration"].max())
    tightened = list(dict.fromkeys(verification.iterations.loc[verification.iterations["load_factor"] > 1, "bed_type"]))
    done = (
        f" Kontrollen strammet inn kravet for {', '.join(tightened)} og løste modellen "
        f"{plural(loops, 'gang', 'ganger')} til."
        if loops and tightened
        else ""
    )
    missed = rows[~rows["holds"]]
    if missed.empty:
        return f"{how}: alle kravene til avvisning holder for anbefalingen.{done}"
    parts = [_missed_part(r) for r in missed.itertuples()]
    sentence = f"{how}: anbefalingen bommer på kravet for {', '.join(parts)}.{done}"
    if not verification.holds:  # the loop found no plan that holds
        sentence += (
            " Ingen fordeling og delingsregel innenfor reglene og antallet plasser holder alle kravene i "
            "simuleringen; dette er den som bommer minst."
        )
    for r in missed.itertuples():
        if r.lent_per_year >= 1:
            sentence += (
                f" {r.bed_type}-sengene tar imot {number(r.lent_per_year)} opphold i året fra andre plasstyper "
                "(ledig-seng-prinsippet)."
            )
    return sentence


def simulated_target_message(r: object) -> str:
    """A target the simulation says is missed, as a rule broken (one row of «Regelbrudd»)."""
    return f"Krav til avvisning ({r.bed_type}, simulert): {_missed_part(r)}"


def _missed_part(r: object) -> str:
    """One type's simulated miss: its share not served, or its mean wait when that is what misses."""
    wait_target = getattr(r, "max_mean_wait_days", float("nan"))
    share_holds = r.max_blocking >= 1 or r.blocking_sim - r.blocking_ci <= r.max_blocking + 1e-12
    if share_holds and wait_target == wait_target:  # not NaN: the waiting target is what misses
        return (
            f"{r.bed_type} snitt ventetid {number(r.mean_wait_sim, 2)} ± {number(r.mean_wait_ci, 2)} døgn "
            f"(krav {number(wait_target, 2)})"
        )
    return (
        f"{r.bed_type} {_beyond(r.blocking_sim, r.max_blocking)} ± {number(100 * r.blocking_ci, 1)} "
        f"(krav {percent(r.max_blocking, 0)})"
    )


def ukp_figures(result: object, name: str) -> dict[str, float | str] | None:
    """UKP days a year, their cost and the mean wait of those who wait, for one plan, from the record.

    Discharge-ready patients (UKP) are the patients of types that wait in hospital (``ved_fullt``
    venter, ``ventested`` sykehus). The figures are the evaluation of record's (simulated when the
    result is, else computed on the model's curves), the same as in ``costs``. None when no type
    waits in hospital.
    """
    hospital = result.case.ukp_types
    if not hospital:
        return None
    queue = result.queueing.set_index(["alternative", "bed_type"])
    days = [float(queue.at[(name, t), "waiting_days_per_year"]) for t in hospital]
    cost = [float(queue.at[(name, t), "waiting_cost_nok"]) for t in hospital]
    waited = [float(queue.at[(name, t), "p_wait"]) * float(queue.at[(name, t), "arrivals_per_year"]) for t in hospital]
    total_waited = sum(w for w in waited if w == w)
    return {
        "days": sum(days),
        "cost_nok": sum(cost),
        "wait_if_waiting": sum(days) / total_waited if total_waited > 0 else 0.0,
        "waited": total_waited,
        "source": record_source(result),
    }


def ukp_sentence(result: object, names: list[str]) -> str:
    """The sentence a politician can repeat about discharge-ready patients, for one or two plans.

    "Med «X» venter utskrivningsklare pasienter som ikke får plass straks, i snitt 2,9 døgn på
    sykehuset (2 530 UKP-døgn i året); det koster kommunen 14,5 mill. kr i året." Empty when no
    type waits in hospital.
    """
    parts = []
    source = ""
    for name in names:
        figures = ukp_figures(result, name)
        if figures is None:
            return ""
        source = figures["source"]
        label = "anbefalingen" if name == result.optimum_name else f"«{name}»"
        if figures["days"] == float("inf"):
            parts.append(f"med {label} vokser køen av utskrivningsklare pasienter på sykehuset uten grense")
            continue
        parts.append(
            f"med {label} venter de utskrivningsklare pasientene som ikke får plass straks, i snitt "
            f"{number(figures['wait_if_waiting'], 1)} døgn på sykehuset ({number(figures['days'])} UKP-døgn i året); "
            f"det koster kommunen {number(figures['cost_nok'] / 1e6, 1)} mill. kr i året"
        )
    if not parts:
        return ""
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + f" ({source})."


def _beyond(share: float, target: float) -> str:
    """A share just above its target, with enough decimals that it does not read as the target."""
    for decimals in (1, 2, 3):
        if number(100 * share, decimals) != number(100 * target, decimals):
            return percent(share, decimals)
    return percent(share, 3)


def sharing_rule_sentence(borrower: str, lender: str, reserve: int, waiting: bool) -> str:
    """One row of a sharing rule in words a ward manager can apply.

    «Forsterket (USK)-pasienter kan legges i ledig Demens-seng bare når minst 4 Demens-senger står
    ledige; pasienter som allerede venter, venter på egen seng.»
    """
    if reserve <= 0:
        text = f"{borrower}-pasienter kan legges i ledig {lender}-seng når egne senger er fulle"
    else:
        text = (
            f"{borrower}-pasienter kan legges i ledig {lender}-seng bare når minst "
            f"{plural(reserve + 1, f'{lender}-seng', f'{lender}-senger')} står ledige"
        )
    if not waiting:
        text += f"; {borrower}-pasienter som allerede venter, venter på egen seng"
    return text + "."


def sharing_sentences(result: object) -> list[str]:
    """The recommendation's sharing rule in words: the pairs that keep beds back or keep waiting patients out."""
    verification = getattr(result, "verification", None)
    rule = getattr(verification, "rule", None)
    if rule is None or rule.empty:
        return []
    rows = [r for r in rule.itertuples() if r.reserve_beds > 0 or not r.waiting_may_borrow]
    if not rows:
        return ["Delingsregel: ledig-seng-prinsippet uten senger holdt av (alle som kan låne, får en ledig seng)."]
    sentences = [
        "Delingsregel: "
        + " ".join(
            sharing_rule_sentence(r.bed_type, r.lender, int(r.reserve_beds), bool(r.waiting_may_borrow)) for r in rows
        )
    ]
    effect = rule_effect_sentence(getattr(verification, "rule_effects", None))
    if effect:
        sentences[0] += " " + effect
    return sentences


def rule_effect_sentence(effects: object) -> str:
    """What the beds kept back cost and save, for the pair where they matter most, against keeping none back."""
    if effects is None or len(effects) == 0:
        return ""
    best = None
    for (lender, borrower), rows in effects.groupby(["lender", "bed_type"], sort=False):
        chosen, none = rows[rows["chosen"]], rows[rows["reserve_beds"] == 0]
        if chosen.empty or none.empty or int(chosen["reserve_beds"].iloc[0]) == 0:
            continue
        gain = float(none["lender_share"].iloc[0] - chosen["lender_share"].iloc[0])
        if best is None or gain > best[0]:
            best = (gain, lender, borrower, chosen.iloc[0], none.iloc[0])
    if best is None or best[0] < 0.005:
        return ""
    _, lender, borrower, chosen, none = best
    cost = float(chosen["total_cost_nok"] - none["total_cost_nok"])
    ukp = float(chosen["ukp_days_per_year"] - none["ukp_days_per_year"])
    ukp_text = f", {number(abs(ukp))} {'flere' if ukp > 0 else 'færre'} UKP-døgn" if abs(ukp) >= 1 else ""
    return (
        f"Å holde av {plural(int(chosen['reserve_beds']), 'seng', 'senger')} for {borrower} gjør at "
        f"{percent(chosen['lender_share'])} av {lender}-pasientene ikke får plass, mot "
        f"{percent(none['lender_share'])} uten; det koster {number(abs(cost) / 1e6, 1)} mill. kr i året "
        f"{'mer' if cost > 0 else 'mindre'}{ukp_text} (simulert)."
    )


def cold_time_sentence(result: object) -> str:
    """«Kalde senger»: what one day more (or less) before a freed bed is filled again means (computed)."""
    table = getattr(result, "cold_time", None)
    if table is None or len(table) == 0:
        return ""
    rows = table.set_index("change")
    more = rows.loc[1.0]
    text = (
        "Kalde senger: står hver ledige seng ett døgn lenger tom før neste pasient legges inn, får "
        f"{number(more['turned_away_change'])} flere pasienter i året ikke plass"
        + (
            f" og utskrivningsklare pasienter venter {number(more['ukp_days_change'])} flere UKP-døgn"
            if abs(more["ukp_days_change"]) >= 0.5
            else ""
        )
        + f"; det koster {number(more['cost_change_nok'] / 1e6, 1)} mill. kr i året"
    )
    if -1.0 in rows.index:
        less = rows.loc[-1.0]
        text += (
            f", og ett døgn kortere sparer {number(-less['cost_change_nok'] / 1e6, 1)} mill. kr og gir "
            f"{number(-less['turned_away_change'])} flere pasienter plass"
        )
    return text + " (beregnet, med anbefalingen)."


def staff_use_sentence(result: object) -> str:
    """Where ``tilgjengelige_aarsverk`` limits a skill group: how much of it the recommendation uses."""
    skills = result.case.skills
    if "available_fte" not in skills or skills["available_fte"].isna().all():
        return ""
    staffing = result.staffing[result.staffing["alternative"] == result.optimum_name]
    used = staffing.groupby("skill")["fte"].sum()
    parts = [
        f"{number(float(used.get(k, 0.0)), 1)} {k}årsverk av {number(float(v), 1)}"
        for k, v in skills["available_fte"].items()
        if v == v
    ]
    return f"Bemanning: anbefalingen trenger {join_nb(parts)} som kommunen kan bemanne." if parts else ""


def larger_plan_sentence(result: object) -> str:
    """When no plan within the total holds: the smallest total that holds in simulation, with its split."""
    verification = getattr(result, "verification", None)
    larger = getattr(verification, "larger", None)
    if verification is None or verification.holds or larger is None:
        return ""
    allocation, _rule = larger
    pooled = allocation.groupby("bed_type", sort=False)["beds"].sum()
    split = ", ".join(f"{t} {number(b)}" for t, b in pooled.items())
    return (
        f"Med {number(int(pooled.sum()))} plasser (simulert, nye eller utvidede lokaler der det trengs) holder "
        f"alle kravene: {split}."
    )
