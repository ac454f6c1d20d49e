"""Imports that cost seconds when done the obvious way.

numba checks SciPy's version by importing ``scipy``. Pyomo, once imported, watches for ``scipy`` with an
import hook and answers it by importing ``scipy.stats``, ``sparse``, ``spatial`` and ``integrate``: about
0.8 s on two cores, in every process that builds a model and simulates (``dimension solve``, each worker of
``dimension plan`` and of a sweep), for modules nothing on those paths reads. :func:`import_numba`
imports numba with that hook set aside, so only bare ``scipy`` loads; Pyomo's own deferred ``scipy`` stays
unresolved and still loads its submodules if Pyomo ever asks for them.
"""

from __future__ import annotations

import sys
from types import ModuleType


def import_numba() -> ModuleType:
    """numba, imported without Pyomo's SciPy hook pulling in ``scipy.stats`` and its siblings."""
    if "numba" in sys.modules:
        return sys.modules["numba"]
    # Imported first so that Pyomo has made its deferred ``scipy`` before numba loads the real one
    # (were ``scipy`` loaded first, a later Pyomo import would load the submodules at once).
    from pyomo.common import dependencies

    finder = getattr(dependencies, "_DeferredImportCallbackFinder", None)
    hooked = finder is not None and finder in sys.meta_path
    if hooked:
        sys.meta_path.remove(finder)
    try:
        import numba
    finally:
        if hooked:
            sys.meta_path.insert(0, finder)
    return numba
