"""The long work the web page starts, each a module-level function a :class:`~.jobs.Job` runs.

The verified recommendation and a what-if's simulation call the library as ``dimension solve`` does
(:func:`dimensioning.api.solve` with the same options); the sweep, the plan, the calibration, the
forecast and the committee report run the command itself (:func:`command`), so the page gets the
same files, the same numbers and the same bokmål messages as the terminal.
"""

from __future__ import annotations

import contextlib
import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

from dimensioning.common.errors import DimensioningError

Progress = Callable[[int, int], None]


def verified_solve(workbook: Path, excel: Path, seed: int, *, progress: Progress) -> object:
    """What ``dimension solve INNDATA`` computes and writes: the simulation's search, the Excel file.

    The search has no count to report, so ``progress`` is not called (the page shows elapsed time).
    """
    from dimensioning.api import solve
    from dimensioning.common.errors import InfeasibleError
    from dimensioning.inputs.case import load_case
    from dimensioning.report import write_excel
    from dimensioning.workflows.verify import VerifyOptions

    case = load_case(workbook)
    try:
        result = solve(case, verify=VerifyOptions(seed=seed, improve=True))
    except InfeasibleError as error:
        if getattr(error, "result", None) is None:
            raise
        write_excel(error.result, excel)
        return error.result
    write_excel(result, excel)
    return result


def simulated_evaluation(case: object, allocation: object, name: str, seed: int, *, progress: Progress) -> object:
    """A hand-made split judged like the recommendation: simulated with the case's own rules (no count to report)."""
    from dimensioning.workflows.evaluate import evaluate, of_record, with_simulated_targets
    from dimensioning.workflows.verify import VerifyOptions, simulated_table

    analytic = evaluate(case, allocation, name)
    simulated = simulated_table(case, analytic.allocation, name, VerifyOptions(seed=seed))
    return of_record(case, with_simulated_targets(analytic, simulated), simulated)


def command(argv: list[str], folder: Path, *, progress: Progress) -> list[str]:
    """Run ``dimension <argv>`` in this process; its files land in ``folder``, its words come back.

    Returns the names of the files written into ``folder``. A command that fails raises its own
    bokmål message (what the terminal would print).
    """
    from dimensioning.cli import shell

    before = {p.name for p in folder.iterdir()}
    said, printed = io.StringIO(), io.StringIO()  # the command's notes and messages; its tables
    shell.PROGRESS_LISTENERS.append(progress)
    try:
        with contextlib.redirect_stderr(said), contextlib.redirect_stdout(printed):
            shell.main.main(args=argv, prog_name="dimension", standalone_mode=False)
    except SystemExit as stop:
        if stop.code == 130:
            raise KeyboardInterrupt from None
        if stop.code not in (0, None):
            message = file_names(said.getvalue().strip())
            raise DimensioningError(message or "Beregningen ga ikke noe resultat.") from None
    finally:
        shell.PROGRESS_LISTENERS.remove(progress)
    print(file_names(printed.getvalue() + said.getvalue()), end="")
    return sorted(p.name for p in folder.iterdir() if p.name not in before and not p.name.startswith("."))


_PATH = re.compile(r"(?:/[^\s«»()/:]+)+/([^\s«»()/:]+\.(?:xlsx|xlsm|csv|png|pdf|jsonl))")


def file_names(text: str) -> str:
    """``text`` with every file named by its name alone: the page never shows the server's folders."""
    return _PATH.sub(r"\1", text)


def zip_files(folder: Path, names: list[str], target: Path) -> Path:
    """The files (and folders) ``names`` of ``folder`` in one zip, for one download."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            path = folder / name
            for item in sorted(path.rglob("*")) if path.is_dir() else [path]:
                if item.is_file():
                    archive.write(item, item.relative_to(folder).as_posix())
    return target
