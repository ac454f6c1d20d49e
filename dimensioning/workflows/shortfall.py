"""When the targets cannot all hold: the fairest shortfall, and what staff the kommune lacks.

:func:`fair_share_split` is the split the plan and the fixed total use in a year whose beds
cannot meet every target; :func:`staff_limit_report` says, when ``tilgjengelige_aarsverk`` is
what stops the plan, which targets break within the staff there is and what one more FTE of each
skill group is worth, in kroner and in patients.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dimensioning.common.labels import join_nb, number, percent
from dimensioning.inputs.case import Case
from dimensioning.model import BuildOptions, build_model, model_data, update_params
from dimensioning.model.params import ModelData
from dimensioning.solve import (
    SolveOptions,
    SolveStatus,
    Termination,
    allocation_from_model,
    persistent_solver,
    run_solver,
)
from dimensioning.workflows.evaluate import evaluate


def fair_share_split(
    data: ModelData, m: Any, solver: Any, options: SolveOptions | None, steps: int = 7
) -> tuple[pd.DataFrame, SolveStatus, bool] | None:
    r"""The split of :func:`best_split` on a built sweep-mode model of ``data``: ``(split, status, holds)``.

    ``holds`` says whether every target holds (the share is 1). None when no share, not even 0,
    gives a split within the rules (a building rule breaks). The model is left with the last
    share tried: give it its data again before another use.
    """

    def attempt(share: float, optimum: bool = False) -> tuple[pd.DataFrame, SolveStatus] | None:
        """The split at this share (the optimum, or any split within the rules), None if there is none."""
        needed = {t: int(np.floor(share * c + 1e-9)) for t, c in data.min_beds_for_target.items()}
        beds_needed = sum(max(n, data.min_stable_beds.get(t, 0)) for t, n in needed.items())
        if beds_needed > data.total_beds_max:
            return None  # more beds than the total: no solve needed to know
        update_params(m, dataclasses.replace(data, min_beds_for_target=needed))
        status = run_solver(m, options, solver, first_solution=not optimum)
        if status.termination is Termination.INFEASIBLE:
            return None
        return allocation_from_model(m), status

    best = attempt(1.0, optimum=True)
    if best is not None:
        return best[0], best[1], True
    low, high = 0.0, 1.0
    if attempt(0.0) is None:
        return None
    # feasibility only grows harder with the share: find the largest share that holds, then its optimum
    for _ in range(steps):
        middle = 0.5 * (low + high)
        if attempt(middle) is None:
            high = middle
        else:
            low = middle
    split, status = attempt(low, optimum=True)
    return split, status, False


@dataclass(frozen=True)
class StaffLimitReport:
    """What the staff limit costs: the best split within it, and the worth of one more FTE per group.

    Attributes:
        split: The fair-share split within the FTE the kommune can staff (``site, bed_type, beds``).
        broken: Per bed type whose target breaks in it: ``bed_type, beds, share_not_served,
            max_blocking, turned_away_per_year, waiting_days_per_year`` (computed, the real year).
        one_more_fte: Per limited skill group: ``skill, available_fte, cost_saved_nok,
            patients_served`` (a year, with one FTE more of that group; NaN where one FTE changes
            nothing the model can use).
        asked_total: The case's own total (``totalt_antall_plasser``; 0 when the total is free).
    """

    split: pd.DataFrame
    broken: pd.DataFrame
    one_more_fte: pd.DataFrame
    asked_total: int = 0

    def sentences_nb(self) -> list[str]:
        """The report in bokmål: the beds the staff can run, which targets break, what one more FTE does."""
        beds = int(self.split["beds"].sum())
        lines = []
        if self.asked_total and beds < self.asked_total:
            lines.append(
                f"Med årsverkene kommunen kan bemanne kan den drive {number(beds)} plasser, ikke "
                f"{number(self.asked_total)}."
            )
        if len(self.broken):
            parts = [
                f"{r.bed_type} ({number(r.beds)} senger, {percent(r.share_not_served)} uten plass mot kravet "
                f"{percent(r.max_blocking)})"
                for r in self.broken.itertuples()
            ]
            lines.append(
                "Innenfor årsverkene holder ikke kravet for "
                f"{join_nb(parts)} (beregnet; så langt årsverkene rekker, får hver plasstype samme andel av "
                "sengene kravet trenger)."
            )
        else:
            lines.append(f"Med {number(beds)} plasser holder alle kravene innenfor årsverkene (beregnet).")
        for r in self.one_more_fte.itertuples():
            if not np.isfinite(r.cost_saved_nok):
                continue
            saved = r.cost_saved_nok
            if abs(saved) < 1_000 and abs(r.patients_served) < 0.05:
                lines.append(f"Ett årsverk mer {r.skill} endrer ikke hvilke senger som kan drives (beregnet).")
                continue
            money = (
                f"sparer {number(saved / 1e6, 2)} mill. kr i året"
                if saved >= 0
                else f"koster {number(-saved / 1e6, 2)} mill. kr mer i året"
            )
            lines.append(
                f"Ett årsverk mer {r.skill} (fra {number(r.available_fte, 1)}) gir "
                f"{number(r.patients_served, 1)} flere pasienter plass i året og {money} (beregnet)."
            )
        return lines


def staff_limit_report(case: Case, options: SolveOptions | None = None) -> StaffLimitReport | None:
    """The best split within ``tilgjengelige_aarsverk`` and the worth of one more FTE (None without a limit).

    The split is :func:`fair_share_split` of the case with its staff limits (every other rule kept);
    one more FTE of a group is the same split with that group's limit one higher: the yearly cost
    it saves (staff, the patients turned away and waiting, at their prices) and the patients a year
    it gives a bed.
    """
    data = model_data(case)
    if not data.available_fte:
        return None
    # staff that cannot be hired cannot run beds either: the total may fall below the case's own
    data = dataclasses.replace(data, total_beds=0)
    m = build_model(data, BuildOptions(sweep=True))
    solver = persistent_solver()
    found = fair_share_split(data, m, solver, options)
    if found is None:
        return None
    split, status, holds = found
    base = evaluate(case, split, "innenfor årsverkene", checker=None, free_bed=False)
    queue = base.queueing
    broken = queue[~queue["target_holds"]] if "target_holds" in queue else queue.iloc[0:0]
    broken = broken.assign(share_not_served=broken["blocking_year"])[
        ["bed_type", "beds", "share_not_served", "max_blocking", "turned_away_per_year", "waiting_days_per_year"]
    ]
    rows = []
    for skill, available in data.available_fte.items():
        more = dataclasses.replace(data, available_fte={**data.available_fte, skill: available + 1.0})
        again = fair_share_split(more, m, solver, options)
        if again is None:
            rows.append(
                {"skill": skill, "available_fte": available, "cost_saved_nok": np.nan, "patients_served": np.nan}
            )
            continue
        better = evaluate(case, again[0], "ett årsverk mer", checker=None, free_bed=False)
        rows.append(
            {
                "skill": skill,
                "available_fte": available,
                "cost_saved_nok": status.objective_nok - again[1].objective_nok,
                "patients_served": float(
                    base.costs.iloc[0]["turned_away_per_year"] - better.costs.iloc[0]["turned_away_per_year"]
                ),
            }
        )
    update_params(m, data)
    total = int(case.settings.total_beds or 0)
    return StaffLimitReport(split, broken.reset_index(drop=True), pd.DataFrame(rows), total)
