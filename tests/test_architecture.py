"""The package shows the pipeline: stages import only the stages below them, and no module imports itself back.

The contract itself is data in ``pyproject.toml`` (``[tool.importlinter]``); this test runs it, and
walks the import graph for circles (which a layers contract does not see inside one stage).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_stages_import_only_the_stages_below_them():
    # import-linter's own command (from the test extras), so its report is what a developer sees
    command = [str(Path(sys.executable).parent / "lint-imports"), "--config", str(ROOT / "pyproject.toml")]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 kept, 0 broken" in run.stdout


def _cycle(graph: grimp.ImportGraph) -> list[str] | None:
    """One import circle among the modules (lazy imports inside functions included), or None."""
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if not imported.startswith("dimensioning"):
                continue
            if state.get(imported) == 1:
                return [*path[path.index(imported) :], imported]
            if imported not in state and (found := visit(imported)):
                return found
        path.pop()
        state[module] = 2
        return None

    for module in sorted(graph.modules):
        if module not in state and (found := visit(module)):
            return found
    return None


def test_no_module_imports_itself_back():
    graph = grimp.build_graph("dimensioning")
    # the package root only re-exports lazily (importlib), so it may sit on top of everything
    graph.remove_module("dimensioning")
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_the_walk_finds_a_circle_when_there_is_one():
    graph = grimp.ImportGraph()
    for module in ("dimensioning.a", "dimensioning.b", "dimensioning.c"):
        graph.add_module(module)
    graph.add_import(importer="dimensioning.a", imported="dimensioning.b")
    graph.add_import(importer="dimensioning.b", imported="dimensioning.c")
    assert _cycle(graph) is None
    graph.add_import(importer="dimensioning.c", imported="dimensioning.a")
    assert _cycle(graph) == ["dimensioning.a", "dimensioning.b", "dimensioning.c", "dimensioning.a"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc options")
def test_freed_memory_is_kept_for_reuse_in_a_fresh_process():
    """keep_freed_memory sets glibc's options (the CLI calls it); a second call does nothing more."""
    code = "from dimensioning.common.memory import keep_freed_memory as k; print(k(), k())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "True"]
