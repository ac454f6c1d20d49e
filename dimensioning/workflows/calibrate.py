r"""Calibration: a validated stay record in, estimates with their uncertainty and a calibrated case out.

Per bed type, each estimate with a 95 % interval and the number of stays behind it
(:func:`calibrate`):

- **Admissions.** Carried admissions per year :math:`n/T` (exact Poisson interval). For a loss
  type (``avvises``) the patients turned away are not in the record, so the *offered* demand is
  found from the carried one with the loss model at the bed count then (the case's first
  alternative, or the most beds seen occupied):
  :math:`\sum_{d \in m} r_m \bigl(1 - B(o_d c, r_m L)\bigr) = \text{carried}_m` for each month *m*
  (continued Erlang B, pointwise stationary, the case's open shares :math:`o_d` for holiday
  closures), which is :math:`a(1 - B(c, a)) = \text{carried}` in a flat year. For a type that
  waits with a patience (``gir_opp_etter_dager``), those who gave up are missing likewise:
  :math:`\lambda_m (1 - P_{ab}) = \text{carried}_m` with Erlang A. Booked types keep what was
  carried.
- **Length of stay.** A lognormal fitted by maximum likelihood to whole-day stays, exactly: a stay
  of *d* date-days has the likelihood :math:`G(d+1) - 2G(d) + G(d-1)` with
  :math:`G(x) = \int_0^x F` (a uniform time of day of admission and discharge), and a stay still
  in at the cut-off is right-censored (:math:`S(d)`). Mean :math:`e^{\mu + \sigma^2/2}` and CV
  :math:`\sqrt{e^{\sigma^2} - 1}`, intervals by the delta method from the observed information.
  The plain mean of the closed stays is shown beside it: it is biased low when long stays are
  still open.
- **Seasonal index.** Offered admissions per day in each calendar month over the yearly mean,
  smoothed with the circular weights (1/4, 1/2, 1/4) over the neighbouring months (the raw index
  of two years has a standard error of about 1/√n per month), normalised to mean 1 over the days.
- **Trend.** Admissions in the second half of the window against the first, corrected for the
  seasonal index: :math:`(n_2/E_2) / (n_1/E_1)` per year between the halves' midpoints
  (interval from :math:`\operatorname{se}\ln = \sqrt{1/n_1 + 1/n_2}`).
- **Waits** (``meldt_utskrivningsklar`` given): mean days from reported ready to admitted, the
  share waiting more than 1 and 7 days.

Fit check (:attr:`Calibration.occupancy`): the distribution of the daily count of occupied beds
(midnight census, after a warm-up of three mean stays, since stays that began before the record
are missing) against the model's (each day the truncated Poisson of Erlang's loss model for loss
types, or a birth-death queue with patience for waiting types, at the month's fitted load on the
beds open that day; mixed over the days), and observed against predicted mean occupancy and share
of days with every open bed taken.

Nothing patient-level leaves this module: every table is per bed type, month or bed count.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from dimensioning import queueing
from dimensioning.common.errors import InputError, ValidationIssue
from dimensioning.common.labels import MONTH_NAMES_NB, MONTHS, join_nb, number, percent
from dimensioning.inputs.case import Case
from dimensioning.inputs.schema import MIN_LOS_DAYS
from dimensioning.inputs.stays import Stays
from dimensioning.queueing.seasons import DAYS, MONTH_OF_DAY

Z95 = 1.959963984540054
SMOOTHING = np.array([0.25, 0.5, 0.25])
WAIT_LIMITS = (1, 7)
MIN_STAYS = 5


@dataclass(frozen=True)
class Calibration:
    """Estimates from a stay record (aggregates only; no patient-level row).

    Attributes:
        estimates: Per bed type: ``bed_type, stays, open_stays, beds_then, carried_per_year``
            (+ ``_low``, ``_high``), ``offered_per_year`` (+ bounds), ``blocking_then``,
            ``los_days`` (+ bounds), ``los_cv`` (+ bounds), ``los_closed_mean_days``, ``trend_per_year``
            (+ bounds), ``waits_observed``, ``mean_wait_days`` (+ bounds), ``share_wait_over_1``,
            ``share_wait_over_7``, ``model_mean_wait_days`` (the model's, for waiting types), ``note``.
        seasonal: ``bed_type, month, admissions, exposure_days, raw_index, index, index_low, index_high``.
        occupancy: ``bed_type, beds_occupied, observed_share, model_share`` (the fit check).
        fit: Per bed type: ``observed_mean_occupied, model_mean_occupied, observed_share_full,
            model_share_full, census_days``.
        los_histogram: ``bed_type, days, stays`` (closed stays per whole day, for the figure).
        quality: :func:`data_quality` of the record.
        first_day, last_day: The window read.
        stays: Stays used.
    """

    estimates: pd.DataFrame
    seasonal: pd.DataFrame
    occupancy: pd.DataFrame
    fit: pd.DataFrame
    los_histogram: pd.DataFrame
    first_day: pd.Timestamp
    last_day: pd.Timestamp
    stays: int
    quality: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["item", "value", "detail"]))

    @property
    def period_nb(self) -> str:
        """The window as Norwegian dates."""
        return f"{self.first_day:%d.%m.%Y}-{self.last_day:%d.%m.%Y}"


def data_quality(stays: Stays, case: Case, until: pd.Timestamp | None = None) -> pd.DataFrame:
    """What a planner should know about a stay file before anything is estimated from it.

    Aggregates only (no patient, no row of a stay): rows read and skipped, stays and those still
    in, overlapping stays of one patient (a second admission before the first discharge: a
    transfer between types, or a double registration), stays longer than a year, and per type the
    days the record has more beds occupied than the case keeps open then (its first alternative
    and ``Kapasitet``), which the calibration then takes from the record (:func:`record_beds`).

    Returns:
        ``item, value, detail`` in bokmål, one row per check.
    """
    frame = stays.frame
    last = (pd.Timestamp(until) if until is not None else stays.last_day).normalize()
    frame = frame[frame["admitted"] <= last]
    ordered = frame.sort_values(["patient", "admitted"])
    previous_end = ordered.groupby("patient")["discharged"].shift().fillna(last + pd.Timedelta(days=1))
    follows = ordered.groupby("patient").cumcount() > 0
    overlapping = int((follows & (ordered["admitted"] < previous_end)).sum())
    length = (frame["discharged"].fillna(last) - frame["admitted"]).dt.days
    rows = [
        ("Rader lest", stays.rows_read, f"{stays.rows_skipped} tomme rader hoppet over"),
        ("Opphold", len(frame), f"{int(frame['discharged'].isna().sum())} ikke avsluttet ved slutten av perioden"),
        (
            "Overlappende opphold for samme pasient",
            overlapping,
            "innskrevet på nytt før forrige opphold var avsluttet (overflytting eller dobbeltregistrering?)",
        ),
        (
            "Opphold lengre enn ett år",
            int((length > 365).sum()),
            "regnes med som de er; sjekk om de er korttidsopphold",
        ),
    ]
    days = pd.date_range(stays.first_day.normalize(), last, freq="D")
    beds_then = _beds_then(case, frame, days)
    shares = case.type_open_shares
    day_of_year = calendar_day(days)
    for t in case.bed_type_names:
        own = frame[frame["bed_type"] == t]
        if own.empty or len(days) == 0:
            continue
        census, _ = _census(own, days, 0)
        open_beds = np.floor(beds_then[t] * shares[t].to_numpy()[day_of_year] + 1e-9)
        over = census > open_beds
        detail = ""
        if over.any():
            first_day, last_day = days[np.flatnonzero(over)[0]], days[np.flatnonzero(over)[-1]]
            detail = (
                f"opptil {int((census - open_beds).max())} senger flere enn caset holder åpne (første gang "
                f"{first_day:%d.%m.%Y}, siste {last_day:%d.%m.%Y}); noen få er ventet: en stengt seng stenges når "
                "pasienten reiser, og en type som låner senger kan ha flere pasienter enn egne senger"
            )
        rows.append((f"Dager med flere senger belagt enn caset har: {t}", int(over.sum()), detail))
    return pd.DataFrame(rows, columns=["item", "value", "detail"])


# the shortest record that is calibrated: a season needs months, a trend two halves
MIN_RECORD_DAYS = 90


def calibrate(stays: Stays, case: Case, until: pd.Timestamp | None = None) -> Calibration:
    """Estimate demand, length of stay, season, trend and waits per bed type (module docstring).

    Args:
        stays: The validated record.
        case: The case the record belongs to (its types, sites, open shares and today's beds).
        until: Cut-off date (default: the last date in the record); stays admitted after it are
            left out and stays discharged after it count as still in.
    """
    frame = stays.frame
    first = stays.first_day.normalize()
    last = (pd.Timestamp(until) if until is not None else stays.last_day).normalize()
    frame = frame[frame["admitted"] <= last].copy()
    frame.loc[frame["discharged"] > last, "discharged"] = pd.NaT
    days = pd.date_range(first, last, freq="D")
    if frame.empty:
        message = f"ingen opphold er innskrevet til og med {last:%d.%m.%Y} (se --til-og-med)"
        raise InputError("opphold", [ValidationIssue("Opphold", None, "innskrevet", message)])
    if len(days) < MIN_RECORD_DAYS:
        message = (
            f"oppholdene dekker {len(days)} dager; kalibreringen trenger minst {MIN_RECORD_DAYS} dager "
            "(helst to år, så sesongen kan skilles fra tilfeldigheter)"
        )
        raise InputError("opphold", [ValidationIssue("Opphold", None, "innskrevet", message)])
    years = len(days) / 365.25
    shares = case.type_open_shares
    beds_then = _beds_then(case, frame, days)
    rows, seasonal, occupancy, fit, histograms = [], [], [], [], []
    for t in case.bed_type_names:
        own = frame[frame["bed_type"] == t]
        row = {"bed_type": t, "stays": len(own), "open_stays": int(own["discharged"].isna().sum())}
        if len(own) < MIN_STAYS:
            rows.append({**row, "note": f"for få opphold ({len(own)}): verdiene i caset beholdes"})
            continue
        los = _fit_los(own, last)
        if not np.isfinite(los["los_days"]) or los["los_days"] < MIN_LOS_DAYS:
            note = (
                f"oppholdene er i snitt kortere enn {number(MIN_LOS_DAYS, 1)} døgn (samme dag inn og ut?): "
                "liggetiden kan ikke beregnes, verdiene i caset beholdes"
            )
            rows.append({**row, "note": note})
            continue
        month_counts, exposure = _monthly(own, days)
        carried = len(own) / years
        low, high = _poisson_interval(len(own))
        case_share = shares[t].to_numpy() if t in shares else np.ones(DAYS)
        # the beds and closures the record itself shows, where the case's are fewer
        beds, open_share, contradictions = record_beds(own, days, beds_then[t], case_share, los["los_days"])
        row.update(
            beds_then=beds,
            beds_in_case=beds_then[t],
            carried_per_year=carried,
            carried_per_year_low=low / years,
            carried_per_year_high=high / years,
            **los,
        )
        kind = case.bed_types.at[t, "when_full"]
        patience = case.bed_types.at[t, "patience_days"]
        patience = None if patience is None or pd.isna(patience) else float(patience)
        try:
            offered_month = _offered_by_month(
                case, t, month_counts, exposure, beds, los["los_days"], open_share, patience
            )
        except Saturated as full:
            note = (
                f"oppholdene viser fulle senger nesten hele tiden i {full.months}: hvor mange som ble avvist eller ga "
                f"opp, kan ikke leses av oppholdene (det ville gitt mer enn {number(MAX_OFFERED_OVER_CARRIED)} ganger "
                "så mange som ble lagt inn); verdiene i caset beholdes"
            )
            rows.append({**row, "note": "; ".join([*contradictions, note])})
            continue
        index, raw = _seasonal_index(offered_month, exposure)
        offered = float(np.sum(offered_month * exposure) / exposure.sum() * 365.25)
        scale = offered / carried
        row.update(
            offered_per_year=offered,
            offered_per_year_low=row["carried_per_year_low"] * scale,
            offered_per_year_high=row["carried_per_year_high"] * scale,
            blocking_then=max(0.0, 1.0 - 1.0 / scale) if scale > 0 else 0.0,
        )
        row.update(_trend(own, first, last, index))
        row.update(_waits(own))
        if kind == "venter" and beds > 0:
            row["model_mean_wait_days"] = _model_mean_wait(
                case, t, offered, open_share, beds, los["los_days"], patience
            )
        notes = list(contradictions)
        if kind == "venter" and patience is not None and not row.get("waits_observed", False):
            notes.append(
                "oppholdene har ingen «meldt_utskrivningsklar», så de som ga opp å vente kan ikke skilles fra dem som "
                f"fikk plass: antatt at pasientene i snitt gir opp etter {number(patience, 1)} døgn, som i caset"
            )
        row["note"] = "; ".join(notes)
        rows.append(row)
        se = np.where(month_counts > 0, 1.0 / np.sqrt(np.maximum(month_counts, 1)), np.nan)
        smoothed_se = np.sqrt(np.convolve(np.tile(se**2 * raw**2, 3), SMOOTHING**2, "same")[12:24]) / index
        for m in range(12):
            seasonal.append(
                {
                    "bed_type": t,
                    "month": m + 1,
                    "admissions": int(month_counts[m]),
                    "exposure_days": int(exposure[m]),
                    "raw_index": raw[m],
                    "index": index[m],
                    "index_low": index[m] * math.exp(-Z95 * smoothed_se[m]),
                    "index_high": index[m] * math.exp(Z95 * smoothed_se[m]),
                }
            )
        census, counted = _census(own, days, warmup=int(math.ceil(3 * los["los_days"])))
        occupancy_rows, fit_row = _occupancy_fit(
            kind, census, counted, open_share, beds, offered, los["los_days"], index, patience
        )
        fit_row = {"bed_type": t, **fit_row}
        occupancy_rows = [{"bed_type": t, **r} for r in occupancy_rows]
        occupancy += occupancy_rows
        fit.append(fit_row)
        closed = (own["discharged"] - own["admitted"]).dt.days.dropna().astype(int)
        counts = closed.value_counts().sort_index()
        histograms += [{"bed_type": t, "days": int(d), "stays": int(n)} for d, n in counts.items()]
    if not seasonal:  # no type could be estimated: say why instead of writing an empty calibration
        reasons = "; ".join(f"{r['bed_type']}: {r['note']}" for r in rows)
        message = f"ingen plasstype kan kalibreres fra denne filen ({reasons})"
        raise InputError("opphold", [ValidationIssue("Opphold", None, None, message)])
    return Calibration(
        estimates=pd.DataFrame(rows),
        seasonal=pd.DataFrame(seasonal),
        occupancy=pd.DataFrame(occupancy),
        fit=pd.DataFrame(fit),
        los_histogram=pd.DataFrame(histograms, columns=["bed_type", "days", "stays"]),
        first_day=first,
        last_day=last,
        stays=len(frame),
        quality=data_quality(stays, case, until),
    )


def _beds_then(case: Case, frame: pd.DataFrame, days: pd.DatetimeIndex) -> dict[str, int]:
    """Beds per type in the record's time: the case's first alternative, else the most seen occupied."""
    if case.alternative_names:
        name = case.alternative_names[0]
        rows = case.alternatives[case.alternatives["alternative"] == name]
        beds = rows.groupby("bed_type")["beds"].sum()
        if beds.sum() > 0:
            return {t: int(beds.get(t, 0)) for t in case.bed_type_names}
    return {t: int(_census(frame[frame["bed_type"] == t], days, 0)[0].max(initial=0)) for t in case.bed_type_names}


def record_beds(
    own: pd.DataFrame, days: pd.DatetimeIndex, case_beds: int, case_share: np.ndarray, los: float
) -> tuple[int, np.ndarray, list[str]]:
    """The beds and open shares the estimate uses: the case's, unless the record shows more.

    A stay record cannot hold more patients than there were beds open. Where it does, again and
    again, the case's beds or closures are not those of the record's time, and inverting the loss
    model on them diverges (the carried flow would need an infinite offered one):

    - more beds occupied than the case's beds on more than ``OVER_BEDS_SHARE`` of the days: the
      most seen is taken as the beds then (a few days over are patients in a borrowed bed);
    - more occupied during a closure (a run of days the case keeps fewer beds open) than the
      case keeps open, on most of its days once the stays of its first days have ended (a closed
      bed closes when its patient leaves): that closure is taken as not in the record (open
      share 1 for its days).

    Returns:
        The beds, the ``(365,)`` open share by day of year and one bokmål sentence per
        contradiction (which days, how many beds).
    """
    census, _ = _census(own, days, 0)
    peak = int(census.max(initial=0))
    notes = []
    beds = case_beds
    over = float(np.mean(census > case_beds))
    if peak > case_beds and over > OVER_BEDS_SHARE:
        day = days[int(np.argmax(census))]
        notes.append(
            f"oppholdene viser flere enn de {case_beds} sengene caset har på {percent(over)} av dagene, opptil "
            f"{peak} ({day:%d.%m.%Y}): regnet med {peak} senger"
        )
        beds = peak
    share = case_share.copy()
    day_of_year = calendar_day(days)
    reduced = case_share[day_of_year] < 1.0 - 1e-12
    edges = np.flatnonzero(np.diff(np.r_[0, reduced.astype(int), 0]))
    drain = int(math.ceil(los))
    for start, stop in zip(edges[::2], edges[1::2], strict=True):  # each closure in the record's time
        later = slice(start + drain, stop)  # the days after the stays at its start have ended
        if stop - start - drain < 1:
            continue
        open_beds = np.floor(beds * case_share[day_of_year[later]] + 1e-9)
        if np.mean(census[later] > open_beds) <= 0.5:
            continue
        share[day_of_year[start:stop]] = 1.0
        notes.append(
            f"stengingen {days[start]:%d.%m.%Y}-{days[stop - 1]:%d.%m.%Y} finnes ikke i oppholdene (opptil "
            f"{int(census[later].max())} senger belagt, caset holder {int(open_beds.min())} åpne): regnet som åpen"
        )
    return beds, share, notes


# more days than this over the case's beds: the record had more beds (fewer: borrowed beds)
OVER_BEDS_SHARE = 0.02


def calendar_day(dates: pd.DatetimeIndex) -> np.ndarray:
    """Day of the case's 365-day year (0 = 1 January) of each date: 1 July is day 181 in a leap year too.

    29 February is read as 28 February, so a closure «01.07-31.07» is 1-31 July in every year.
    """
    before_march = dates.month.to_numpy() <= 2
    leap = dates.is_leap_year
    return np.minimum(dates.day_of_year.to_numpy() - 1 - np.where(leap & ~before_march, 1, 0), DAYS - 1) - np.where(
        leap & (dates.month.to_numpy() == 2) & (dates.day.to_numpy() == 29), 1, 0
    )


class Saturated(Exception):
    """The record's beds are full so often that the loss inversion has no finite answer (:func:`_offered_by_month`)."""

    def __init__(self, months: str) -> None:
        super().__init__(months)
        self.months = months


# offered over carried above this (two in three turned away) is not an estimate but a record
# whose beds were full all month: the loss model's inversion is refused there
MAX_OFFERED_OVER_CARRIED = 3.0


def _poisson_interval(count: int) -> tuple[float, float]:
    """Exact (Garwood) 95 % interval of a Poisson count."""
    low = stats.chi2.ppf(0.025, 2 * count) / 2 if count > 0 else 0.0
    high = stats.chi2.ppf(0.975, 2 * (count + 1)) / 2
    return float(low), float(high)


def _lognormal_g(x: np.ndarray, mu: float, sigma: float) -> np.ndarray:
    r""":math:`G(x) = \int_0^x F(t)\,dt = x\Phi(z) - e^{\mu + \sigma^2/2}\Phi(z - \sigma)`, 0 for x <= 0."""
    x = np.asarray(x, dtype=float)
    out = np.zeros_like(x)
    positive = x > 0
    z = (np.log(x[positive]) - mu) / sigma
    out[positive] = x[positive] * special.ndtr(z) - math.exp(mu + sigma**2 / 2) * special.ndtr(z - sigma)
    return out


def whole_day_pmf(days: np.ndarray, mu: float, sigma: float) -> np.ndarray:
    """Probability that a lognormal stay spans ``days`` date-days: :math:`G(d+1) - 2G(d) + G(d-1)`."""
    days = np.asarray(days, dtype=float)
    mass = _lognormal_g(days + 1.0, mu, sigma) - 2 * _lognormal_g(days, mu, sigma)
    return mass + _lognormal_g(days - 1.0, mu, sigma)


def _los_loglik(params: np.ndarray, closed: np.ndarray, still_in: np.ndarray) -> float:
    """Log-likelihood of whole-day stays (closed) and right-censored ones (still in) under a lognormal."""
    mu, log_sigma = params
    sigma = math.exp(log_sigma)
    values, counts = np.unique(closed, return_counts=True)
    mass = whole_day_pmf(values, mu, sigma)
    total = float(np.sum(counts * np.log(np.maximum(mass, 1e-300))))
    if still_in.size:
        z = (np.log(np.maximum(still_in, 0.5)) - mu) / sigma
        total += float(np.sum(special.log_ndtr(-z)))
    return total


def _fit_los(own: pd.DataFrame, last: pd.Timestamp) -> dict[str, float]:
    """Censored, whole-day lognormal fit of length of stay (module docstring), with 95 % intervals."""
    closed = (own["discharged"] - own["admitted"]).dt.days.dropna().to_numpy(dtype=float)
    open_rows = own[own["discharged"].isna()]
    still_in = ((last - open_rows["admitted"]).dt.days.to_numpy(dtype=float)) + 0.5
    logs = np.log(np.maximum(closed, 0.5)) if closed.size else np.array([0.0])
    start = np.array([logs.mean(), math.log(max(logs.std(), 0.1))])

    def negative(p: np.ndarray) -> float:
        return -_los_loglik(p, closed, still_in)

    found = optimize.minimize(negative, start, method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-9})
    mu, log_sigma = found.x
    sigma = math.exp(log_sigma)
    cov = _inverse_hessian(negative, found.x)
    mean = math.exp(mu + sigma**2 / 2)
    gradient = np.array([1.0, sigma**2])  # d ln(mean) / d(mu, ln sigma)
    se_log_mean = math.sqrt(max(float(gradient @ cov @ gradient), 0.0))
    se_log_sigma = math.sqrt(max(float(cov[1, 1]), 0.0))

    def cv(s: float) -> float:
        return math.sqrt(math.expm1(s**2))

    return {
        "los_days": mean,
        "los_days_low": mean * math.exp(-Z95 * se_log_mean),
        "los_days_high": mean * math.exp(Z95 * se_log_mean),
        "los_cv": cv(sigma),
        "los_cv_low": cv(sigma * math.exp(-Z95 * se_log_sigma)),
        "los_cv_high": cv(sigma * math.exp(Z95 * se_log_sigma)),
        "los_mu": mu,
        "los_sigma": sigma,
        "los_closed_mean_days": float(closed.mean()) if closed.size else float("nan"),
    }


def _inverse_hessian(function: object, point: np.ndarray, step: float = 1e-4) -> np.ndarray:
    """Inverse of the central-difference Hessian (the observed information's inverse)."""
    n = len(point)
    hessian = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            e_i, e_j = np.eye(n)[i] * step, np.eye(n)[j] * step
            hessian[i, j] = (
                function(point + e_i + e_j)
                - function(point + e_i - e_j)
                - function(point - e_i + e_j)
                + function(point - e_i - e_j)
            ) / (4 * step * step)
    try:
        return np.linalg.inv(hessian)
    except np.linalg.LinAlgError:
        return np.full((n, n), np.nan)


def _monthly(own: pd.DataFrame, days: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    """Admissions and days observed per calendar month (January first)."""
    counts = np.bincount(own["admitted"].dt.month.to_numpy() - 1, minlength=12).astype(float)
    exposure = np.bincount(days.month.to_numpy() - 1, minlength=12).astype(float)
    return counts, exposure


def _offered_by_month(
    case: Case,
    t: str,
    counts: np.ndarray,
    exposure: np.ndarray,
    beds: int,
    los: float,
    open_share: np.ndarray,
    patience: float | None = None,
) -> np.ndarray:
    """Offered admissions per day in each calendar month: carried, corrected for who is not in the record.

    Loss types: the patients turned away (continued Erlang B on each day's open beds). Waiting
    types with a patience (``gir_opp_etter_dager``): the patients who gave up, by the model's own
    real-year queue (:func:`_give_up_factor`). Others: as carried.
    """
    carried = np.divide(counts, exposure, out=np.zeros(12), where=exposure > 0)
    kind = case.bed_types.at[t, "when_full"]
    gives_up = kind == "venter" and patience is not None
    if (kind != "avvises" and not gives_up) or beds <= 0:
        return carried
    if gives_up:
        yearly = float(np.sum(carried * exposure) / exposure.sum() * 365.25)
        return carried * _give_up_factor(case, t, yearly, open_share, beds, los, patience)
    offered = carried.copy()
    full = []
    for m in range(12):
        if carried[m] <= 0:
            continue
        shares = open_share[np.equal(MONTH_OF_DAY, m)]

        def gap(rate: float, shares: np.ndarray = shares, target: float = carried[m]) -> float:
            blocking = queueing.erlang_b_continuous(shares * beds, np.full(shares.size, rate * los))
            return float(np.mean(rate * (1.0 - blocking))) - target

        if gap(carried[m]) >= 0:  # nobody turned away at this load (e.g. stays shorter than a day)
            continue
        high = carried[m] * MAX_OFFERED_OVER_CARRIED
        if gap(high) < 0:  # bounded: a month whose beds were always full has no estimate
            full.append(MONTH_NAMES_NB[m])
            continue
        offered[m] = optimize.brentq(gap, carried[m], high, xtol=1e-12)
    if full:
        raise Saturated(join_nb(full))
    return offered


def _scaled_queue(
    case: Case, t: str, share: np.ndarray, los: float, patience: float | None, beds: int
) -> tuple[float, Callable[[float], tuple[np.ndarray, np.ndarray, np.ndarray]]]:
    """The model's real-year queue of a waiting type at ``beds``, with its arrivals scaled by *k*.

    :func:`~.seasons.waiting_curves` on the case's daily arrivals and modified offered loads (its
    season and closures) times *k*, with the fitted length of stay. Returns the case's arrivals per
    year (*k* = 1) and the curves as a function of *k*.
    """
    from dimensioning.queueing.seasons import arrivals_per_day, waiting_curves

    rate = arrivals_per_day(case)[t].to_numpy(dtype=float)
    load = case.mol_loads[t].to_numpy(dtype=float) * los / float(case.bed_types.at[t, "los_days"])
    return float(rate.sum()), lambda k: waiting_curves(beds, k * rate, k * load, share, los, patience)


def _give_up_factor(
    case: Case, t: str, carried: float, share: np.ndarray, beds: int, los: float, patience: float
) -> float:
    """Offered over carried (per year) for a waiting type: the level whose real-year queue carries what was carried.

    The queue carries patients from month to month, so one factor for the year
    (:func:`_scaled_queue`). Returns 1 when even an unbounded demand could not be carried (the
    record has more than the model's beds can hold).
    """
    total, curves = _scaled_queue(case, t, share, los, patience, beds)

    def gap(k: float) -> float:
        return k * total - float(curves(k)[1][beds].sum()) - carried

    low = carried / total
    high = low * 2.0
    while gap(high) < 0 and high < low * 64:
        high *= 2.0
    if gap(high) < 0:
        return 1.0
    return optimize.brentq(gap, low, high, xtol=1e-10) / low


def _model_mean_wait(
    case: Case, t: str, offered: float, share: np.ndarray, beds: int, los: float, patience: float | None
) -> float:
    """The model's mean wait over all arrivals (days) at the beds then, with the fitted demand and stay.

    To set beside the observed mean wait from ``meldt_utskrivningsklar`` (:func:`_scaled_queue`).
    """
    total, curves = _scaled_queue(case, t, share, los, patience, beds)
    return float(curves(offered / max(total, 1e-12))[0][beds].sum() / offered)


def _seasonal_index(per_day: np.ndarray, exposure: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Smoothed and raw monthly index, each with mean 1 over the days (months never seen: 1)."""
    seen = exposure > 0
    mean = float(np.sum(per_day * exposure) / exposure.sum())
    raw = np.where(seen, per_day / mean, 1.0) if mean > 0 else np.ones(12)
    smoothed = np.convolve(np.tile(raw, 3), SMOOTHING, "same")[12:24]
    days = np.bincount(MONTH_OF_DAY, minlength=12)
    smoothed = smoothed / (np.sum(smoothed * days) / days.sum())
    return smoothed, raw


def _trend(own: pd.DataFrame, first: pd.Timestamp, last: pd.Timestamp, index: np.ndarray) -> dict[str, float]:
    """Yearly change in admissions, second half of the window against the first, season removed."""
    middle = first + (last - first) / 2
    halves = []
    for start, end in ((first, middle), (middle + pd.Timedelta(days=1), last)):
        days = pd.date_range(start, end, freq="D")
        expected = float(np.sum(index[days.month.to_numpy() - 1]))
        count = int(((own["admitted"] >= start) & (own["admitted"] <= end)).sum())
        halves.append((count, expected, days.size))
    (n1, e1, d1), (n2, e2, d2) = halves
    if n1 == 0 or n2 == 0:
        return {"trend_per_year": float("nan"), "trend_per_year_low": float("nan"), "trend_per_year_high": float("nan")}
    gap_years = (d1 + d2) / 2 / 365.25
    log_ratio = math.log((n2 / e2) / (n1 / e1))
    se = math.sqrt(1 / n1 + 1 / n2)
    return {
        "trend_per_year": math.exp(log_ratio / gap_years) - 1,
        "trend_per_year_low": math.exp((log_ratio - Z95 * se) / gap_years) - 1,
        "trend_per_year_high": math.exp((log_ratio + Z95 * se) / gap_years) - 1,
    }


def _waits(own: pd.DataFrame) -> dict[str, float]:
    """Observed waits from reported ready to admitted (days), where the record gives them."""
    ready = own.dropna(subset=["ready"])
    if ready.empty:
        return {"waits_observed": 0}
    waits = np.maximum((ready["admitted"] - ready["ready"]).dt.days.to_numpy(dtype=float), 0.0)
    mean, se = float(waits.mean()), float(waits.std(ddof=1) / math.sqrt(waits.size)) if waits.size > 1 else 0.0
    out = {
        "waits_observed": int(waits.size),
        "mean_wait_days": mean,
        "mean_wait_days_low": max(0.0, mean - Z95 * se),
        "mean_wait_days_high": mean + Z95 * se,
    }
    for limit in WAIT_LIMITS:
        out[f"share_wait_over_{limit}"] = float(np.mean(waits > limit))
    return out


def _census(own: pd.DataFrame, days: pd.DatetimeIndex, warmup: int) -> tuple[np.ndarray, pd.DatetimeIndex]:
    """Occupied beds at midnight of each day (a stay from day a to day b holds the nights a..b-1), after warm-up.

    Returns the counts and their days.
    """
    first = days[0]
    n = len(days)
    start = (own["admitted"] - first).dt.days.to_numpy()
    end = (own["discharged"] - first).dt.days.to_numpy(dtype=float)
    end = np.where(np.isnan(end), n, end).astype(int)
    change = np.zeros(n + 1)
    np.add.at(change, np.clip(start, 0, n), 1)
    np.add.at(change, np.clip(end, 0, n), -1)
    census = np.cumsum(change)[:n]
    warmup = min(warmup, n // 3)
    return census[warmup:], days[warmup:]


def _occupancy_fit(
    kind: str,
    census: np.ndarray,
    dates: pd.DatetimeIndex,
    share: np.ndarray,
    beds: int,
    offered: float,
    los: float,
    index: np.ndarray,
    patience: float | None,
) -> tuple[list[dict], dict]:
    """Observed daily census distribution against the model's, day by day.

    Each counted day has its own stationary distribution: the fitted offered load of its month
    (offered × seasonal index × stay) on the beds open that day (the case's closures), the
    truncated Poisson for a loss type and the birth-death queue with patience for a waiting type;
    the model's distribution is their mix over the counted days (pointwise stationary). A day is
    full when every bed open that day is taken.
    """
    patience = patience if kind == "venter" else None
    day_of_year = calendar_day(dates)
    nominal = beds if beds > 0 else int(census.max(initial=1))
    open_beds = np.maximum(1, np.floor(share[day_of_year] * nominal + 1e-9).astype(int))
    months = dates.month.to_numpy() - 1
    top = int(max(census.max(initial=0), nominal))
    model = np.zeros(top + 1)
    full = 0.0
    pairs, weights = np.unique(np.stack([months, open_beds]), axis=1, return_counts=True)
    for (month, servers), weight in zip(pairs.T, weights, strict=True):
        load = offered * index[month] * los / 365.25
        if kind == "venter":
            dist = _queue_occupancy(load, int(servers), los, patience)
        else:
            dist = _loss_occupancy(load, int(servers))
        model[: dist.size] += weight * dist[: top + 1]
        full += weight * dist[-1]
    model /= max(weights.sum(), 1)
    full /= max(weights.sum(), 1)
    observed = np.bincount(census.astype(int), minlength=top + 1)[: top + 1] / max(census.size, 1)
    rows = [
        {"beds_occupied": n, "observed_share": float(observed[n]), "model_share": float(model[n])}
        for n in range(top + 1)
    ]
    counts = np.arange(top + 1)
    fit = {
        "beds": beds,
        "census_days": int(census.size),
        "observed_mean_occupied": float(census.mean()) if census.size else float("nan"),
        "model_mean_occupied": float(counts @ model),
        "observed_share_full": float(np.mean(census >= open_beds)) if census.size else float("nan"),
        "model_share_full": float(full),
    }
    return rows, fit


def _loss_occupancy(load: float, beds: int) -> np.ndarray:
    """Erlang's loss model: the truncated Poisson distribution of busy beds, 0..beds."""
    n = np.arange(beds + 1)
    log_p = n * math.log(max(load, 1e-300)) - special.gammaln(n + 1)
    p = np.exp(log_p - log_p.max())
    return p / p.sum()


def _queue_occupancy(load: float, beds: int, los: float, patience: float | None) -> np.ndarray:
    """Busy beds in the birth-death queue with ``beds`` servers and exponential patience (Erlang A/C)."""
    if beds <= 0:
        return np.array([1.0])
    theta = 0.0 if patience is None else los / patience  # abandonment rate per waiting patient, in service times
    extra = int(max(50, 10 * math.sqrt(max(load, 1)) + 5 * load)) if theta > 0 or load < beds else 0
    n_max = beds + extra
    log_p = np.zeros(n_max + 1)
    for n in range(1, n_max + 1):
        death = min(n, beds) + theta * max(n - beds, 0)
        log_p[n] = log_p[n - 1] + math.log(max(load, 1e-300)) - math.log(death)
    p = np.exp(log_p - log_p.max())
    p /= p.sum()
    busy = np.zeros(beds + 1)
    np.add.at(busy, np.minimum(np.arange(n_max + 1), beds), p)
    return busy


def calibrated_case(case: Case, calibration: Calibration) -> Case:
    """The case with the estimates written into ``Plasstyper`` and ``Sesong`` and their ``kilde``.

    ``innleggelser_per_aar`` gets the offered admissions, ``liggetid_dager`` and ``liggetid_cv``
    the fitted stay, ``Sesong`` the smoothed index; ``kilde`` says «beregnet fra N opphold
    DATO-DATO». Types with too few stays keep their values.
    """
    bed_types = case.bed_types.copy()
    season = case.season.copy()
    estimates = calibration.estimates.set_index("bed_type")
    months = list(MONTHS)
    for t in case.bed_type_names:
        e = estimates.loc[t] if t in estimates.index else None
        if e is None or pd.isna(e.get("offered_per_year", np.nan)):
            continue
        source = f"Beregnet fra {int(e['stays'])} opphold {calibration.period_nb} (dimension kalibrer)"
        bed_types.at[t, "arrivals_per_year"] = round(float(e["offered_per_year"]), 1)
        bed_types.at[t, "los_days"] = round(float(e["los_days"]), 2)
        bed_types.at[t, "los_cv"] = round(float(e["los_cv"]), 2)
        bed_types.at[t, "source"] = f"{source}. Tidligere: {bed_types.at[t, 'source']}"
        index = calibration.seasonal[calibration.seasonal["bed_type"] == t]["index"].to_numpy()
        if index.size == 12:
            season.loc[t, months] = np.round(index, 3)
            season.loc[t, "source"] = f"{source}: glattet månedsindeks."
    return case.replace(bed_types=bed_types, season=season)
