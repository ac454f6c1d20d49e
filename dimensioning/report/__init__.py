"""Reports that read only a :class:`~dimensioning.results.Result`."""

from __future__ import annotations

from .excel import write_excel

__all__ = ["write_excel"]
