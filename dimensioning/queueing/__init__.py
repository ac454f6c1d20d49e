"""Queueing: the pure, vectorised curves (no Pyomo, no input reading).

:mod:`.erlang` holds the stationary formulas (Erlang B and C, Erlang A with patience, the modified
offered load, trunk reservation, the free-bed fixed point); :mod:`.seasons` the real year built
from them (seasons, closures, waiting and booked types). ``from dimensioning import queueing``
gives the formulas of :mod:`.erlang` under their own names.
"""

from dimensioning.queueing import erlang as _erlang
from dimensioning.queueing.erlang import *  # noqa: F403

__all__ = list(_erlang.__all__)
