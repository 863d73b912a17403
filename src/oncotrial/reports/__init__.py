"""The study report (shell): the tables, figures and listings of a clinical study report at a
data cut-off, as plain data, then as a self-contained HTML page and a PDF of the same page.

::

    report = build_report(study, ctx, cutoff=date(2026, 10, 31))   # plain data (Report)
    html = render_html(report)        # one page: inline CSS, inline SVG, no external URL
    pdf = render_pdf(report)          # WeasyPrint from the same HTML, vector figures
    write_report(report, Path("out"), pdf=True)   # report.html, report.pdf, listings/*.csv

``study`` is an :class:`oncotrial.study.StudyData` (from the database, the exchange format or
the synthetic cohort); ``ctx`` the trial context of its protocol. The numbers come from the
core: endpoints from :func:`oncotrial.endpoints.analyze_endpoints`, screening verdicts from
:func:`oncotrial.eligibility.screen`, TEAEs and lab grades from :mod:`oncotrial.ctcae`,
exposure from :mod:`oncotrial.dosing`, tumour sums from :mod:`oncotrial.recist`. See
``docs/reports.md``.
"""

from oncotrial.reports.build import REPORT_STEPS, build_report
from oncotrial.reports.html import LISTING_ROWS, render_html
from oncotrial.reports.model import Cell, Column, Figure, Report, Row, Section, Table, format_cell
from oncotrial.reports.output import listing_csv, write_report
from oncotrial.reports.pdf import render_pdf

__all__ = [
    "LISTING_ROWS",
    "REPORT_STEPS",
    "Cell",
    "Column",
    "Figure",
    "Report",
    "Row",
    "Section",
    "Table",
    "build_report",
    "format_cell",
    "listing_csv",
    "render_html",
    "render_pdf",
    "write_report",
]
