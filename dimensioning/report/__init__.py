"""Reports that read only a :class:`~dimensioning.results.Result`."""

from __future__ import annotations

from dimensioning.report.excel import write_excel


def write_pdf(result, folder, sweep_table=None, years=None, ahead=None):  # noqa: ANN001, ANN201 - thin lazy wrapper
    """Write the committee report (PDF and PNG figures); see :func:`.pdf.write_pdf`."""
    from dimensioning.report.pdf import write_pdf as _write_pdf

    return _write_pdf(result, folder, sweep_table, years, ahead)


__all__ = ["write_excel", "write_pdf"]
