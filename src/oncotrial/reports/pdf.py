"""``render_pdf``: the report as PDF, printed by WeasyPrint from the same HTML.

The PDF is the HTML page (:func:`oncotrial.reports.render_html`) laid out by its print rules:
A4 pages with the protocol and the cut-off in the header, page numbers, a page break before
each section, listings on landscape pages and a contents list with page numbers. Figures stay
vector graphics (WeasyPrint draws the inline SVG), so text in them stays text.
"""

from __future__ import annotations

from oncotrial.reports.html import LISTING_ROWS, render_html
from oncotrial.reports.model import Report

__all__ = ["render_pdf"]


def render_pdf(report: Report, *, listing_rows: int = LISTING_ROWS) -> bytes:
    """The report as PDF bytes, from the HTML of :func:`render_html` (no network access:
    the page refers to no external resource)."""
    # Imported here: it loads Pango, and only the PDF needs it. It ships no type hints.
    import weasyprint  # type: ignore[import-untyped]

    html = render_html(report, listing_rows=listing_rows)
    # The page refers to nothing outside itself; the fetcher makes sure nothing is fetched
    # (only data: URIs would be read, and the page has none).
    fetcher = weasyprint.URLFetcher(allowed_protocols=("data",))
    document = weasyprint.HTML(string=html, base_url=None, url_fetcher=fetcher)
    # The document's title (the PDF's metadata title) is the HTML <title>.
    pdf: bytes = document.write_pdf()
    return pdf
