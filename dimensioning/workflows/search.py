r"""The split and the sharing rule chosen together, with the simulation as the judge.

The MIP chooses beds on analytic curves that see each type alone. The simulation of the case's
own rules (:mod:`~dimensioning.simulation.simulate`) sees what they do not: whole beds closed at each site,
and who takes whose free bed. This module searches around the MIP's plan until the simulated plan
holds, at least cost:

- a *state* is a split (beds per site and type) and a concrete sharing rule
  (:mod:`~dimensioning.inputs.sharing`): every open choice (``velg``) has a value;
- a state is *judged* by one simulation with a fixed seed (the same seed for every state, so
  states are compared on the same patients: common random numbers); it *holds* when every type's
  simulated share not served, and mean wait where there is a target, is at most its target (the
  point estimate, stricter than the report's test, which allows the 95 % interval);
- its *cost* is yearly staffing and bed cost plus the simulated cost of what patients miss
  (turned away or gave up, days waited, booked days not given), at the case's prices;
- *neighbours*: one more or one less bed kept back on an open ``reserverte_plasser``, an open
  ``ventende_kan_laane`` switched, one bed moved from one type to another (the pooled beds
  change by one; the model places them at the sites within every rule, :class:`~.solve.Placer`),
  and, while descending, every bed of a borrower moved to a lender it may borrow from (one shared
  set of beds: the saving of a unit's nurse minimum comes only with its last bed).

Phase 1 (repair) takes, while some target misses, the neighbour that misses least (fewest types
missing, then the smallest sum of relative excesses, then cost) while it improves. Phase 2
(descent) takes, while every target holds, the cheapest neighbour that still holds, while it is
cheaper. If no state within the total holds, phase 3 adds one bed at a time to the type that misses
most (where the total may grow, or to show what would hold) until the simulated plan holds: the
smallest total that holds *in simulation*.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dimensioning.common.labels import plural
from dimensioning.inputs.case import Case
from dimensioning.inputs.sharing import open_choices, rule_key, with_defaults

LOGGER = logging.getLogger(__name__)

Judge = Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame]
Place = Callable[[dict[str, int]], "pd.DataFrame | None"]


@dataclass(frozen=True)
class SearchOptions:
    """How far to search.

    Attributes:
        max_repair_steps: Most accepted steps while a target misses.
        max_descent_steps: Most accepted steps while every target holds.
        max_added_beds: Most beds phase 3 may add beyond the total.
        move_candidates: Bed moves judged per step (ranked by the analytic cost of the move).
        min_gain_nok: The least yearly saving for which the descent takes a step (a change worth
            less is not worth organising).
    """

    max_repair_steps: int = 40
    max_descent_steps: int = 12
    max_added_beds: int = 40
    move_candidates: int = 8
    min_gain_nok: float = 5_000.0


@dataclass(frozen=True)
class State:
    """A split and a concrete sharing rule, and what the judge said of them."""

    allocation: pd.DataFrame
    rule: pd.DataFrame
    change_nb: str
    table: pd.DataFrame = field(repr=False)
    cost_nok: float
    missing: int
    excess: float

    @property
    def holds(self) -> bool:
        """Every target holds in the judge's simulation (point estimates)."""
        return self.missing == 0

    def rank(self) -> tuple[int, float, float]:
        """Order for the repair phase: fewest types missing, least relative excess, then cost."""
        return (self.missing, round(self.excess, 12), round(self.cost_nok, 2))

    def pooled(self) -> dict[str, int]:
        """Beds per type over all sites."""
        return self.allocation.groupby("bed_type", sort=False)["beds"].sum().astype(int).to_dict()


@dataclass(frozen=True)
class SearchRecord:
    """The search: the state it ends in, whether it holds within the total, and the steps taken.

    Attributes:
        state: The state recommended.
        holds_within_total: It holds with the case's total.
        steps: One row per accepted step: ``step, phase, change_nb, beds, cost_nok, missing, excess``.
        judged: States judged in all.
        larger: When nothing holds within the total: the state phase 3 ended in (more beds), or
            None when no placement of more beds was found.
    """

    state: State
    holds_within_total: bool
    steps: pd.DataFrame
    judged: int
    larger: State | None = None


class Search:
    """The search of this module for one case, with a judge and a placer given by the caller."""

    def __init__(
        self,
        case: Case,
        judge: Judge,
        place: Place,
        fixed_cost: Callable[[pd.DataFrame], float],
        options: SearchOptions | None = None,
        place_more: Place | None = None,
    ) -> None:
        self.case = case
        self.judge = judge
        self.place = place
        self.place_more = place_more
        self.fixed_cost = fixed_cost
        self.options = options or SearchOptions()
        self.types = list(case.bed_type_names)
        self.choices = open_choices(case.sharing)
        self._seen: dict[tuple, State] = {}
        self._placed: dict[tuple, pd.DataFrame | None] = {}
        away, wait = case.shortfall_prices
        self._away_price = dict(zip(self.types, away, strict=True))
        self._wait_price = dict(zip(self.types, wait, strict=True))
        self._kind = case.bed_types["when_full"].reindex(self.types).to_dict()

    # --- judging --------------------------------------------------------------------------------

    def state(self, allocation: pd.DataFrame, rule: pd.DataFrame, change_nb: str) -> State:
        """Judge a split and a rule (cached: the same pair is simulated once)."""
        key = (tuple(allocation["beds"].astype(int)), rule_key(rule))
        if key in self._seen:
            seen = self._seen[key]
            return State(seen.allocation, seen.rule, change_nb, seen.table, seen.cost_nok, seen.missing, seen.excess)
        table = self.judge(allocation, rule)
        missing, excess = shortfall(table)
        cost = self.fixed_cost(allocation) + self.shortfall_cost(table)
        state = State(allocation.reset_index(drop=True), rule, change_nb, table, cost, missing, excess)
        self._seen[key] = state
        return state

    def shortfall_cost(self, table: pd.DataFrame) -> float:
        """Yearly NOK of what patients miss in the judge's simulation, at the case's prices."""
        total = 0.0
        for r in table.itertuples():
            kind = self._kind[r.bed_type]
            if kind == "planlagt":
                total += self._wait_price[r.bed_type] * _finite(r.unmet_booked_days_sim)
                continue
            total += self._away_price[r.bed_type] * _finite(r.turned_away_sim)
            if kind == "venter":
                total += self._wait_price[r.bed_type] * _finite(r.waiting_days_sim)
        return total

    # --- neighbours -----------------------------------------------------------------------------

    def rule_neighbours(self, state: State, lenders: list[str] | None = None) -> list[tuple[pd.DataFrame, str]]:
        """One more or one less bed kept back, or the waiting flag switched, on every open choice.

        With ``lenders``, only the choices of those lenders (in repair: the types that miss).
        """
        out = []
        rule = state.rule
        pooled = state.pooled()
        for c in self.choices.itertuples():
            if lenders is not None and c.lender not in lenders:
                continue
            i = int(np.flatnonzero((rule["bed_type"] == c.bed_type) & (rule["lender"] == c.lender))[0])
            if c.what == "reserve_beds":
                now = int(rule.at[i, "reserve_beds"])
                for step in (+1, -1):
                    value = now + step
                    if 0 <= value <= max(pooled.get(c.lender, 0), 0):
                        changed = rule.copy()
                        changed.at[i, "reserve_beds"] = float(value)
                        out.append(
                            (changed, f"{c.lender} holder av {plural(value, 'seng', 'senger')} for {c.bed_type}")
                        )
            else:
                now = bool(rule.at[i, "waiting_may_borrow"])
                changed = rule.copy()
                changed["waiting_may_borrow"] = changed["waiting_may_borrow"].astype(object)
                changed.at[i, "waiting_may_borrow"] = not now
                word = "kan" if not now else "kan ikke"
                out.append((changed, f"ventende {c.bed_type}-pasienter {word} låne {c.lender}-senger"))
        return out

    def moves(self, state: State, receivers: list[str] | None = None) -> list[tuple[pd.DataFrame, str]]:
        """One bed from one type to another (placed by the model), the most promising first.

        Ranked by the analytic change in yearly cost of the move (the MIP's own curves and the
        staffing cost), so the judge simulates the few moves most likely to pay.
        """
        pooled = state.pooled()
        curve = self.case.shortfall_cost_curve
        index = {t: i for i, t in enumerate(self.types)}
        per_bed = self._staffing_per_bed()
        ranked = []
        for r in receivers or self.types:
            for d in self.types:
                if d == r or pooled.get(d, 0) <= 0:
                    continue
                cr, cd = pooled.get(r, 0), pooled[d]
                if cr + 1 >= curve.shape[0]:
                    continue
                gain = curve[cr + 1, index[r]] - curve[cr, index[r]]
                loss = curve[cd - 1, index[d]] - curve[cd, index[d]]
                ranked.append((gain + loss + per_bed[r] - per_bed[d], d, r))
        ranked.sort(key=lambda item: (round(item[0], 6), index[item[1]], index[item[2]]))
        out = []
        for _, d, r in ranked:
            if len(out) >= self.options.move_candidates:
                break
            allocation = self._placed_for({**pooled, d: pooled[d] - 1, r: pooled.get(r, 0) + 1})
            if allocation is not None:
                out.append((allocation, f"én seng fra {d} til {r}"))
        return out

    def merges(self, state: State) -> list[tuple[pd.DataFrame, pd.DataFrame, str]]:
        """Every bed of a borrower moved to a lender it may borrow from (one shared set of beds).

        Such a plan is many single-bed moves away, each dearer on the way: the nurse minimum of a
        unit is saved only when its last bed goes. Only where the lender's beds meet every need of
        the borrower's patients (``krever_*`` in ``Plasstyper``: a palliative patient needing a bath
        and a room for relatives is never planned into a bed without them). Tried with the rule as
        it is and, where the pair's beds kept back are an open choice, with none kept back.
        """
        pooled = state.pooled()
        out = []
        open_reserve = {(c.bed_type, c.lender) for c in self.choices.itertuples() if c.what == "reserve_beds"}
        needs = self.case.bed_types[[c for c in self.case.bed_types.columns if c.startswith("needs_")]].astype(bool)
        for r in state.rule.itertuples():
            t, u = r.bed_type, r.lender
            if pooled.get(t, 0) <= 0 or (needs.loc[t] & ~needs.loc[u]).any():
                continue
            allocation = self._placed_for({**pooled, t: 0, u: pooled.get(u, 0) + pooled[t]})
            if allocation is None:
                continue
            text = f"alle {t}-sengene til {u} ({t} bruker ledige {u}-senger)"
            out.append((allocation, state.rule, text))
            if (t, u) in open_reserve and r.reserve_beds > 0:
                rule = state.rule.copy()
                rule.loc[(rule["bed_type"] == t) & (rule["lender"] == u), "reserve_beds"] = 0.0
                out.append((allocation, rule, text + f", {u} holder ingen senger av"))
        return out

    def add_bed(self, state: State, receiver: str) -> pd.DataFrame | None:
        """The state's split with one more bed of ``receiver`` (the total grows by one; new premises allowed)."""
        if self.place_more is None:
            return None
        pooled = state.pooled()
        pooled = {t: int(pooled.get(t, 0)) + (t == receiver) for t in self.types}
        key = ("more", *pooled.values())
        if key not in self._placed:
            self._placed[key] = self.place_more(pooled)
        return self._placed[key]

    def _placed_for(self, pooled: dict[str, int]) -> pd.DataFrame | None:
        key = tuple(int(pooled.get(t, 0)) for t in self.types)
        if key not in self._placed:
            self._placed[key] = self.place({t: int(pooled.get(t, 0)) for t in self.types})
        return self._placed[key]

    def _staffing_per_bed(self) -> dict[str, float]:
        """Yearly care-staff cost of one more bed of each type (pleiefaktor × mean cost per FTE)."""
        skills = self.case.skills
        per_fte = float((skills["share"] * skills["cost_per_fte"]).sum())
        factor = self.case.bed_types["care_fte_per_bed"].reindex(self.types).astype(float)
        return (factor * per_fte + float(self.case.settings.cost_per_bed)).to_dict()

    # --- the phases -----------------------------------------------------------------------------

    def run(self, allocation: pd.DataFrame, rule: pd.DataFrame | None = None) -> SearchRecord:
        """Search from a split (the MIP's) and a rule (default: the case's, open choices at the free-bed principle)."""
        state = self.state(allocation, with_defaults(self.case.sharing if rule is None else rule), "modellens plan")
        steps = [_step(0, "start", state)]
        for _ in range(self.options.max_repair_steps):
            if state.holds:
                break
            missing = _missing_types(state.table)
            neighbours = self.rule_neighbours(state, missing)
            candidates = [self.state(state.allocation, r, text) for r, text in neighbours]
            candidates += [self.state(a, state.rule, text) for a, text in self.moves(state, missing)]
            better = [c for c in candidates if c.rank() < state.rank()]
            if not better:
                break
            state = min(better, key=State.rank)
            steps.append(_step(len(steps), "reparasjon", state))
        holds_within = state.holds
        larger = None
        if state.holds:
            for _ in range(self.options.max_descent_steps):
                candidates = [self.state(state.allocation, r, text) for r, text in self.rule_neighbours(state)]
                candidates += [self.state(a, state.rule, text) for a, text in self.moves(state)]
                candidates += [self.state(a, r, text) for a, r, text in self.merges(state)]
                cheaper = [c for c in candidates if c.holds and c.cost_nok < state.cost_nok - self.options.min_gain_nok]
                if not cheaper:
                    break
                state = min(cheaper, key=lambda c: (round(c.cost_nok, 2), c.rank()))
                steps.append(_step(len(steps), "billigere", state))
        else:
            larger = self._grow(state, steps)
        return SearchRecord(state, holds_within, pd.DataFrame(steps), len(self._seen), larger)

    def _grow(self, state: State, steps: list[dict]) -> State | None:
        """Phase 3: one bed at a time to the type that misses most, the rule following, until it holds."""
        for _ in range(self.options.max_added_beds):
            worst = _worst_type(state.table)
            allocation = self.add_bed(state, worst)
            if allocation is None:
                return None
            state = self.state(allocation, state.rule, f"én seng til {worst} (flere plasser)")
            steps.append(_step(len(steps), "flere plasser", state))
            for rule, text in self.rule_neighbours(state, [worst]):  # the rule may need to follow the beds
                candidate = self.state(state.allocation, rule, text)
                if candidate.rank() < state.rank():
                    state = candidate
                    steps.append(_step(len(steps), "flere plasser", state))
            if state.holds:
                return state
        return None


def excess_by_type(table: pd.DataFrame) -> pd.Series:
    """Per type (table order), how far its simulated share and mean wait are above their targets, relative.

    0 where both hold (point estimates); no target (``maks_avvisning`` 1, no ``maks_ventetid_dager``)
    counts as holding.
    """
    values = [
        (_relative_excess(r.blocking_sim, r.max_blocking) if r.max_blocking < 1 else 0.0)
        + _relative_excess(r.mean_wait_sim, r.max_mean_wait_days)
        for r in table.itertuples()
    ]
    return pd.Series(values, index=table["bed_type"].to_numpy(), dtype=float)


def shortfall(table: pd.DataFrame) -> tuple[int, float]:
    """Types missing a target (point estimates) and the sum of their relative excesses."""
    excess = excess_by_type(table)
    return int((excess > 0).sum()), float(excess.sum())


def _missing_types(table: pd.DataFrame) -> list[str]:
    excess = excess_by_type(table)
    return list(excess.index[excess > 0])


def _relative_excess(value: float, target: float) -> float:
    """How far a simulated figure is above its target, relative to the target (0 when within or no target)."""
    if target != target or value != value:  # NaN: no target, or no figure
        return 0.0
    if target <= 0:
        return max(0.0, float(value))
    return max(0.0, (float(value) - float(target)) / float(target))


def _worst_type(table: pd.DataFrame) -> str:
    """The type that misses its target by the most (relative; the first in table order on a tie)."""
    return str(excess_by_type(table).idxmax())


def _finite(value: float) -> float:
    return 0.0 if value != value else float(value)


def _step(number: int, phase: str, state: State) -> dict:
    return {
        "step": number,
        "phase": phase,
        "change_nb": state.change_nb,
        "beds": int(state.allocation["beds"].sum()),
        "cost_nok": state.cost_nok,
        "missing": state.missing,
        "excess": state.excess,
    }
