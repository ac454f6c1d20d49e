r"""Who may use whose free bed: the sharing rule of a plan (sheet ``Deling``).

A rule is a table with one row per (borrower, lender) pair: ``bed_type`` (the patient's type),
``lender`` (the type whose free beds it may take), ``reserve_beds`` :math:`r_{t,u}` and
``waiting_may_borrow``. A patient of type :math:`t` whose own beds are full may take a free bed of
lender :math:`u` only while more than :math:`r_{t,u}` of :math:`u`'s open beds are free, counted
over all sites (trunk reservation: the lender keeps :math:`r_{t,u}` beds for its own patients).
With ``waiting_may_borrow`` false, only a patient who arrives while its own beds are full may
borrow; patients already waiting wait for a bed of their own type.

The short form (``kan_bruke_andre`` and ``reservert`` in ``Plasstyper``) expands to rows with
:math:`r = 0` and waiting patients allowed, which is the free-bed principle as practised. A cell
left empty or ``velg`` is chosen by the model with the split (:mod:`~dimensioning.workflows.verify`); until
then it counts as the free-bed principle (:func:`with_defaults`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

COLUMNS = ["bed_type", "lender", "reserve_beds", "waiting_may_borrow", "source"]
SHORT_FORM_SOURCE = "kan_bruke_andre/reservert i «Plasstyper»"


def sharing_rows(case: Any) -> pd.DataFrame:
    """The rule in force for a case: the ``Deling`` sheet, or the short form expanded (see module)."""
    types = case.bed_type_names
    given = case.sharing_input
    if given is not None and not given.empty:
        frame = given.reindex(columns=COLUMNS).copy()
    else:
        bt = case.bed_types
        rows = [
            {"bed_type": t, "lender": u, "reserve_beds": 0, "waiting_may_borrow": True, "source": SHORT_FORM_SOURCE}
            for t in types
            if bool(bt.at[t, "may_overflow"])
            for u in types
            if u != t and not bool(bt.at[u, "reserved"])
        ]
        frame = pd.DataFrame(rows, columns=COLUMNS)
    return _ordered(frame, types)


def _ordered(frame: pd.DataFrame, types: list[str]) -> pd.DataFrame:
    """Rows in case order (borrower, then lender); reserve as float (NaN = chosen), waiting as object."""
    rank = {t: i for i, t in enumerate(types)}
    frame = frame.assign(
        _b=frame["bed_type"].map(rank),
        _l=frame["lender"].map(rank),
        reserve_beds=pd.to_numeric(frame["reserve_beds"], errors="coerce").astype(float),
        waiting_may_borrow=[None if v is None or pd.isna(v) else bool(v) for v in frame["waiting_may_borrow"]],
        source=frame["source"].fillna("").astype(str),
    )
    frame["waiting_may_borrow"] = frame["waiting_may_borrow"].astype(object)
    return frame.sort_values(["_b", "_l"]).drop(columns=["_b", "_l"]).reset_index(drop=True)[COLUMNS]


def open_choices(rule: pd.DataFrame) -> pd.DataFrame:
    """The cells the model chooses: ``bed_type, lender, what`` (``reserve_beds`` or ``waiting_may_borrow``)."""
    rows = []
    for r in rule.itertuples():
        if pd.isna(r.reserve_beds):
            rows.append((r.bed_type, r.lender, "reserve_beds"))
        if r.waiting_may_borrow is None:
            rows.append((r.bed_type, r.lender, "waiting_may_borrow"))
    return pd.DataFrame(rows, columns=["bed_type", "lender", "what"])


def with_defaults(rule: pd.DataFrame) -> pd.DataFrame:
    """A rule with every open choice at the free-bed principle: 0 beds kept back, waiting patients may borrow."""
    return rule.assign(
        reserve_beds=rule["reserve_beds"].fillna(0.0),
        waiting_may_borrow=pd.Series(
            [True if v is None else bool(v) for v in rule["waiting_may_borrow"]], index=rule.index, dtype=object
        ),
    )


def with_choices(
    rule: pd.DataFrame, reserve: dict[tuple[str, str], int], waiting: dict[tuple[str, str], bool]
) -> pd.DataFrame:
    """The rule with chosen values set for some pairs (fixed cells are never changed here: callers choose open ones)."""
    out = rule.copy()
    for i, r in enumerate(out.itertuples()):
        key = (r.bed_type, r.lender)
        if key in reserve:
            out.iat[i, out.columns.get_loc("reserve_beds")] = float(reserve[key])
        if key in waiting:
            out.iat[i, out.columns.get_loc("waiting_may_borrow")] = bool(waiting[key])
    return out


def rule_arrays(types: list[str], rule: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """``(T, T)`` beds kept back (-1 where the borrower may not use the lender's beds) and waiting flags.

    Open choices count as the free-bed principle (:func:`with_defaults`).
    """
    index = {t: i for i, t in enumerate(types)}
    n = len(types)
    reserve = np.full((n, n), -1, dtype=np.int64)
    waiting = np.zeros((n, n), dtype=bool)
    for r in with_defaults(rule).itertuples():
        t, u = index[r.bed_type], index[r.lender]
        reserve[t, u] = int(r.reserve_beds)
        waiting[t, u] = bool(r.waiting_may_borrow)
    return reserve, waiting


def lifted(case: Any, rule: pd.DataFrame, lenders: frozenset[str]) -> pd.DataFrame:
    """The rule with some reserved types' beds opened (``dimension simulate --ledig-seng``).

    Every type that borrows at all, or may under the short form, may then take their free beds,
    with 0 kept back, also while waiting.
    """
    if not lenders:
        return rule
    borrowers = set(rule["bed_type"]) | {t for t in case.bed_type_names if bool(case.bed_types.at[t, "may_overflow"])}
    have = set(zip(rule["bed_type"], rule["lender"], strict=True))
    extra = [
        {"bed_type": t, "lender": u, "reserve_beds": 0.0, "waiting_may_borrow": True, "source": "ledig seng"}
        for t in case.bed_type_names
        if t in borrowers
        for u in case.bed_type_names
        if u in lenders and u != t and (t, u) not in have
    ]
    if not extra:
        return rule
    return _ordered(pd.concat([rule, pd.DataFrame(extra, columns=COLUMNS)], ignore_index=True), case.bed_type_names)


def rule_key(rule: pd.DataFrame) -> tuple:
    """A hashable form of a concrete rule (for caches and for telling two rules apart)."""
    concrete = with_defaults(rule)
    return tuple((r.bed_type, r.lender, int(r.reserve_beds), bool(r.waiting_may_borrow)) for r in concrete.itertuples())
