"""The simulation's event loop, one source compiled by numba and runnable as plain Python.

:func:`event_loop` is written in the subset of Python that numba compiles (arrays and scalars,
inner functions that do not escape), so the same source is both the reference loop
(:data:`event_loop` as plain Python) and the fast one (:data:`event_loop_compiled`, about two
orders of magnitude faster). ``tests/test_simulate.py`` checks that both give the same numbers on
the same draws, and ``benchmarks/simulate.py`` prints both speeds. numba was chosen over a
hand-written C extension: it compiles this loop as it stands, caches the machine code on disk, and
ships as a wheel for every platform the project supports.

The rules of the loop are the module docstring of :mod:`~dimensioning.simulation.simulate`.
"""

from __future__ import annotations

import numpy as np

from ..common.imports import import_numba

numba = import_numba()

DAYS = 365
BOOKED = 2  # ved_fullt planlagt
LOSS = 0  # ved_fullt avvises


def event_loop(  # noqa: C901 - one loop, kept whole so that numba compiles it as it stands
    times: np.ndarray,
    types: np.ndarray,
    stays: np.ndarray,
    patience: np.ndarray,
    capacity: np.ndarray,
    reserve: np.ndarray,
    waiting_borrow: np.ndarray,
    kind: np.ndarray,
    months: np.ndarray,
    warm: int,
    days: int,
    thresholds: np.ndarray,
) -> tuple:
    """Run one replication's events (arrivals drawn beforehand) and return the counts and stays.

    Args:
        times: ``(N,)`` arrival times in days, sorted.
        types: ``(N,)`` the arriving patient's type.
        stays: ``(N,)`` length of stay (days).
        patience: ``(N,)`` patience (days; inf: waits until served; booked stays: the horizon).
        capacity: ``(365, S, T)`` beds open per day of year, site and type.
        reserve: ``(T, T)`` beds lender ``u`` keeps back from borrower ``t``; -1: may not borrow.
        waiting_borrow: ``(T, T)`` waiting patients of ``t`` may take ``u``'s free beds.
        kind: ``(T,)`` 0 avvises, 1 venter, 2 planlagt.
        months: ``(365,)`` month (0-11) of each day of year.
        warm: Days of warm-up (not counted).
        days: Days simulated in all.
        thresholds: Waits (days) whose exceedance is counted.

    Returns:
        ``counts`` ``(8, 12, T)``: arrivals, demand days, turned away (or gave up, or booking
        lost), overflowed, waiting days, waited, unmet booked days, and nothing (reserved);
        ``over`` ``(K, 12, T)``; ``lent`` ``(T,)``; ``bed_days`` ``(12, S, T)`` (occupied
        bed-days after the warm-up, by month of year, site and bed type); the stays ``site, bed_type, start, end,
        patient_type, arrived`` (each ``(M,)``); and the counted waits ``wait_type, wait_days``.
    """
    n = times.size
    n_sites = capacity.shape[1]
    n_types = capacity.shape[2]
    occupied = np.zeros((n_sites, n_types), dtype=np.int64)
    counts = np.zeros((8, 12, n_types))
    over = np.zeros((thresholds.size, 12, n_types))
    lent = np.zeros(n_types)
    bed_days = np.zeros((12, n_sites, n_types))
    # departures: a binary heap ordered by (time, site, bed type)
    heap_time = np.empty(n + 1)
    heap_site = np.empty(n + 1, dtype=np.int64)
    heap_type = np.empty(n + 1, dtype=np.int64)
    # one first-come-first-served queue per type, holding arrival indices
    queue = np.empty((n_types, n + 1), dtype=np.int64)
    head = np.zeros(n_types, dtype=np.int64)
    tail = np.zeros(n_types, dtype=np.int64)
    stay_site = np.empty(n, dtype=np.int64)
    stay_type = np.empty(n, dtype=np.int64)
    stay_start = np.empty(n)
    stay_end = np.empty(n)
    stay_patient = np.empty(n, dtype=np.int64)
    stay_arrived = np.empty(n)
    wait_type = np.empty(n, dtype=np.int64)
    wait_days = np.empty(n)
    # heap size, stays recorded, waits recorded, patients waiting
    state = np.zeros(4, dtype=np.int64)

    def before(i: int, j: int) -> bool:
        if heap_time[i] != heap_time[j]:
            return heap_time[i] < heap_time[j]
        if heap_site[i] != heap_site[j]:
            return heap_site[i] < heap_site[j]
        return heap_type[i] < heap_type[j]

    def swap(i: int, j: int) -> None:
        heap_time[i], heap_time[j] = heap_time[j], heap_time[i]
        heap_site[i], heap_site[j] = heap_site[j], heap_site[i]
        heap_type[i], heap_type[j] = heap_type[j], heap_type[i]

    def push(time: float, site: int, bed_type: int) -> None:
        i = state[0]
        heap_time[i], heap_site[i], heap_type[i] = time, site, bed_type
        state[0] = i + 1
        while i > 0:
            parent = (i - 1) // 2
            if not before(i, parent):
                break
            swap(i, parent)
            i = parent

    def pop() -> None:
        last = state[0] - 1
        swap(0, last)
        state[0] = last
        i = 0
        while True:
            left, right, smallest = 2 * i + 1, 2 * i + 2, i
            if left < last and before(left, smallest):
                smallest = left
            if right < last and before(right, smallest):
                smallest = right
            if smallest == i:
                break
            swap(i, smallest)
            i = smallest

    def find_bed(t: int, now: float, borrow: bool, waiting: bool) -> tuple[int, int]:
        day = int(now) % DAYS
        best_site, best_free, bed_type = -1, 0, t
        for s in range(n_sites):
            free = capacity[day, s, t] - occupied[s, t]
            if free > best_free:
                best_site, best_free = s, free
        if best_site < 0 and borrow:
            for u in range(n_types):
                if reserve[t, u] < 0 or (waiting and not waiting_borrow[t, u]):
                    continue
                total = 0
                for s in range(n_sites):
                    free = capacity[day, s, u] - occupied[s, u]
                    if free > 0:
                        total += free
                if total <= reserve[t, u]:
                    continue
                for s in range(n_sites):
                    free = capacity[day, s, u] - occupied[s, u]
                    if free > best_free:
                        best_site, best_free, bed_type = s, free, u
        return best_site, bed_type

    def record_wait(t: int, arrived: float, wait: float, gave_up: bool, stay: float) -> None:
        if arrived < warm:
            return
        month = months[int(arrived) % DAYS]
        counts[4, month, t] += wait
        if wait > 0:
            counts[5, month, t] += 1
        for j in range(thresholds.size):
            if wait > thresholds[j]:
                over[j, month, t] += 1
        if gave_up:
            counts[2, month, t] += 1
            if kind[t] == BOOKED:
                counts[6, month, t] += stay
        k = state[2]
        wait_type[k], wait_days[k] = t, wait
        state[2] = k + 1

    def admit(t: int, site: int, bed_type: int, start: float, stay: float, arrived: float) -> None:
        if bed_type != t and arrived >= warm:
            counts[3, months[int(arrived) % DAYS], t] += 1
            lent[bed_type] += 1
        occupied[site, bed_type] += 1
        push(start + stay, site, bed_type)
        # the stay's bed-days after the warm-up and before the end, day by day
        first, last = max(start, float(warm)), min(start + stay, float(days))
        day = int(first)
        while day < last:
            bed_days[months[day % DAYS], site, bed_type] += min(last, day + 1.0) - max(first, float(day))
            day += 1
        k = state[1]
        stay_site[k], stay_type[k], stay_start[k], stay_end[k] = site, bed_type, start, start + stay
        stay_patient[k], stay_arrived[k] = t, arrived
        state[1] = k + 1

    def serve_queues(now: float) -> None:
        for borrow in (False, True):
            for t in range(n_types):
                if kind[t] == LOSS:
                    continue
                while head[t] < tail[t]:
                    j = queue[t, head[t]]
                    arrived, give_up, stay = times[j], times[j] + patience[j], stays[j]
                    if give_up <= now:
                        head[t] += 1
                        state[3] -= 1
                        record_wait(t, arrived, give_up - arrived, True, stay)
                        continue
                    site, bed_type = find_bed(t, now, borrow, True)
                    if site < 0:
                        break
                    head[t] += 1
                    state[3] -= 1
                    record_wait(t, arrived, now - arrived, False, stay)
                    admit(t, site, bed_type, now, stay, arrived)

    day_mark = 0
    for i in range(n):
        a, t, stay = times[i], types[i], stays[i]
        # departures and day starts (more beds may open) up to this arrival, in time order
        while True:
            next_departure = heap_time[0] if state[0] > 0 else np.inf
            busy = state[3] > 0
            next_day = day_mark + 1.0 if busy else np.inf
            if min(next_departure, next_day) > a:
                break
            if next_departure <= next_day:
                s, u = heap_site[0], heap_type[0]
                pop()
                occupied[s, u] -= 1
                if busy:
                    serve_queues(next_departure)
            else:
                day_mark = day_mark + 1
                serve_queues(float(day_mark))
        day_mark = max(day_mark, int(a))
        if state[3] > 0:
            serve_queues(a)
        counted = a >= warm
        month = months[int(a) % DAYS]
        if counted:
            counts[0, month, t] += 1
            counts[1, month, t] += stay
        queued = kind[t] != LOSS
        # a patient arriving while its own beds are full may borrow (waiting patients ahead of it
        # have already taken every bed they may use)
        site, bed_type = find_bed(t, a, True, False)
        if site < 0:
            if queued:
                queue[t, tail[t]] = i
                tail[t] += 1
                state[3] += 1
            elif counted:
                counts[2, month, t] += 1
            continue
        if queued:
            record_wait(t, a, 0.0, False, stay)
        admit(t, site, bed_type, a, stay, a)
    end = float(days)
    for t in range(n_types):  # still waiting at the end: waited until then, or gave up before
        for q in range(head[t], tail[t]):
            j = queue[t, q]
            arrived, give_up, stay = times[j], times[j] + patience[j], stays[j]
            if kind[t] == BOOKED and give_up > end:
                # a booking whose fate is not known at the end is left out of the booked days
                if arrived >= warm:
                    counts[1, months[int(arrived) % DAYS], t] -= stay
                continue
            record_wait(t, arrived, min(give_up, end) - arrived, give_up <= end, stay)
    m, w = state[1], state[2]
    return (
        counts,
        over,
        lent,
        bed_days,
        stay_site[:m],
        stay_type[:m],
        stay_start[:m],
        stay_end[:m],
        stay_patient[:m],
        stay_arrived[:m],
        wait_type[:w],
        wait_days[:w],
    )


# nogil: replications run in threads (no process start-up, no copies of the arrays)
event_loop_compiled = numba.njit(cache=True, nogil=True)(event_loop)
