"""One browser session's own folder, files and jobs; nothing in it outlives the session.

Every session works in a fresh temporary folder (mode 0700) that is deleted, with every job it
started, when the browser tab closes. Uploaded files are copied in under a safe name and Shiny's
copy is removed at once; the workbook is validated by :func:`~dimensioning.inputs.case.load_case`,
the same call and the same cell-level messages as the command line.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from dimensioning.common.errors import DimensioningError, redact_ids
from dimensioning.web.jobs import Job

#: The largest file a planner may upload (a workbook or a stay file); Excel unpacks it further, up to
#: the CLI's own limit (``inputs.workbook.MAX_UNPACKED_BYTES``).
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


@dataclass
class SessionFiles:
    """The session's folder and the jobs running in it."""

    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="dimensjonering-")))
    jobs: dict[str, Job] = field(default_factory=dict)

    def path(self, name: str) -> Path:
        """A file in the session's folder."""
        return self.folder / name

    def subfolder(self, name: str) -> Path:
        """A fresh, empty folder for one job's files (an earlier run's files are removed)."""
        target = self.folder / name
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir()
        return target

    def take_upload(self, info: dict, kind: str, suffixes: tuple[str, ...]) -> Path:
        """Move an uploaded file into the subfolder ``kind``, under its own name made safe.

        The name is kept (letters, digits, ``-`` and ``_``) so that a message names the file the
        planner chose; an earlier upload of the same kind is removed.
        """
        original = Path(info["datapath"])
        name = redact_ids(Path(str(info.get("name", ""))).name)
        try:
            suffix = Path(name).suffix.lower()
            if suffix not in suffixes:
                raise DimensioningError(
                    f"«{name}» er ikke en fil av riktig type: velg en {' eller '.join(suffixes)}-fil."
                )
            if int(info.get("size") or original.stat().st_size) > MAX_UPLOAD_BYTES:
                raise DimensioningError(
                    f"«{name}» er større enn {MAX_UPLOAD_BYTES // (1024 * 1024)} MB, som er grensen for opplasting."
                )
            target = self.subfolder(kind) / f"{safe_name(Path(name).stem)}{suffix}"
            shutil.copyfile(original, target)
            return target
        finally:
            original.unlink(missing_ok=True)

    def start(self, key: str, job: Job) -> None:
        """Run ``job`` under ``key``, cancelling the one that ran there before."""
        self.cancel(key)
        self.jobs[key] = job

    def cancel(self, key: str) -> None:
        """Stop the job under ``key`` (if any)."""
        job = self.jobs.get(key)
        if job is not None and job.state.running:
            job.cancel()

    def close(self) -> None:
        """The session has ended: stop every job, then delete every file (in a thread: the page is gone)."""
        jobs = list(self.jobs.values())

        def stop_and_delete() -> None:
            for job in jobs:
                job.stop()
            shutil.rmtree(self.folder, ignore_errors=True)

        threading.Thread(target=stop_and_delete, daemon=True).start()


def safe_name(stem: str) -> str:
    """A file-name stem of letters, digits, ``-`` and ``_`` only (at most 60 characters)."""
    cleaned = re.sub(r"[^\w-]+", "-", stem, flags=re.UNICODE).strip("-")
    return cleaned[:60] or "fil"
