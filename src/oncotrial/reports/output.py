"""``write_report``: the report's files in a folder (the one part of the package that writes).

``report.html`` always; ``report.pdf`` when asked; each listing whole as
``listings/<key>.csv`` (UTF-8, one header row), since the HTML and PDF show a long listing in
part; and ``findings.txt``, the data findings one a line (the page shows the first 50).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

from oncotrial.errors import InputError
from oncotrial.reports.html import render_html
from oncotrial.reports.model import Report
from oncotrial.reports.pdf import render_pdf

__all__ = ["listing_csv", "write_report"]


def listing_csv(report: Report, key: str) -> str:
    """A table or listing as CSV text: the column headings, then every row as printed."""
    table = report.table(key)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([c.label for c in table.columns])
    writer.writerows(table.text_rows())
    return buffer.getvalue()


def write_report(report: Report, out: Path, *, pdf: bool,
                 progress: Callable[[str], None] | None = None) -> list[Path]:
    """Write ``report.html`` (and ``report.pdf`` when ``pdf``), ``findings.txt`` and
    ``listings/<key>.csv`` into the folder ``out`` (made if missing); return the paths
    written. ``progress`` is
    called with the name of each step as it starts ("Writing report.html", "Writing
    report.pdf", "Writing the listings").

    Raises:
        InputError: ``out`` exists and is not a folder.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} is a file; the report needs a folder to write into.",
                         field="out", value=str(out),
                         hint="Give a folder name (it is made if it does not exist).")
    step = progress or (lambda _name: None)
    (out / "listings").mkdir(parents=True, exist_ok=True)
    written = []
    step("Writing report.html")
    html_path = out / "report.html"
    html_path.write_text(render_html(report), encoding="utf-8")
    written.append(html_path)
    if pdf:
        step("Writing report.pdf")
        pdf_path = out / "report.pdf"
        pdf_path.write_bytes(render_pdf(report))
        written.append(pdf_path)
    step("Writing the listings")
    findings_path = out / "findings.txt"
    findings_path.write_text("".join(f"{f}\n" for f in report.findings), encoding="utf-8")
    written.append(findings_path)
    for table in report.tables():
        if table.listing and table.key.startswith("listing_"):
            path = out / "listings" / f"{table.key}.csv"
            path.write_text(listing_csv(report, table.key), encoding="utf-8")
            written.append(path)
    return written
