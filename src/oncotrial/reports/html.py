"""``render_html``: the report as one self-contained HTML page.

Everything is inline: the CSS (with print rules for the PDF: A4 pages, running header and
footer, page numbers, a page break before each section, listings on landscape pages, the
contents with page numbers) and every figure as SVG. The page loads nothing from anywhere:
no script, no font, no image URL. The template is ``reports/templates/report.html.j2``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import jinja2

from oncotrial.reports.model import Figure, Report, Table, format_cell

__all__ = ["LISTING_ROWS", "render_html"]

#: A listing longer than this is shown in part (its first rows) in the HTML and the PDF;
#: :func:`oncotrial.reports.write_report` writes every listing whole as CSV.
LISTING_ROWS = 100

#: Column kinds written right-aligned (numbers).
_NUMERIC = {"int", "n_pct", "pct", "share", "num1", "months", "ci_pct", "ci_months", "est_ci_pct",
            "est_ci_months", "median_range", "n_of"}


@dataclass(frozen=True, slots=True)
class _Cell:
    text: str
    numeric: bool


@dataclass(frozen=True, slots=True)
class _Row:
    cells: tuple[_Cell, ...]
    level: int
    strong: bool


@dataclass(frozen=True, slots=True)
class _TableView:
    table: Table
    head: tuple[_Cell, ...]
    rows: tuple[_Row, ...]
    shown: int
    total: int
    widths: tuple[float, ...]


def column_widths(head: tuple[str, ...], rows: list[tuple[str, ...]]) -> tuple[float, ...]:
    """Each column's share of the table width, in %, from the length of its longest text
    (at least 5 characters, at most 40: longer text wraps), the heading counting by its
    longest word. The page lays tables out with these fixed widths, so a table looks the
    same in every browser and the PDF needs no measuring pass.

    >>> column_widths(("Category", "n"), [("Treated", "22"), ("Not treated", "0")])
    (68.8, 31.2)
    """
    lengths = []
    for i, label in enumerate(head):
        longest = max((len(word) for word in label.split()), default=0)
        for row in rows:
            longest = max(longest, len(row[i]))
        lengths.append(min(max(longest, 5), 40))
    total = sum(lengths)
    return tuple(round(100 * n / total, 1) for n in lengths)


def _view(table: Table, limit: int | None) -> _TableView:
    kinds_default = tuple(c.kind for c in table.columns)
    rows = table.rows if limit is None else table.rows[:limit]
    out = []
    previous_group: object = object()
    for row in rows:
        kinds = row.kinds or kinds_default
        cells = []
        for i, (value, kind, col) in enumerate(zip(row.cells, kinds, table.columns,
                                                   strict=True)):
            text = format_cell(value, kind, col.denominator)
            if kind == "group" and i == 0:
                text, previous_group = ("" if value == previous_group else text), value
            cells.append(_Cell(text, kind in _NUMERIC))
        out.append(_Row(tuple(cells), row.level, row.strong))
    head = tuple(_Cell(c.label, c.kind in _NUMERIC) for c in table.columns)
    widths = column_widths(tuple(c.text for c in head),
                           [tuple(c.text for c in r.cells) for r in out])
    return _TableView(table, head, tuple(out), len(rows), len(table.rows), widths)


def _css_string(text: object) -> str:
    """A value as the text of a CSS string (quotes and backslashes escaped)."""
    return re.sub(r'(["\\])', r"\\\1", str(text)).replace("\n", " ")


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("oncotrial.reports", "templates"),
        autoescape=jinja2.select_autoescape(("html", "j2")),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["css_string"] = _css_string
    return env


def render_html(report: Report, *, listing_rows: int = LISTING_ROWS) -> str:
    """The report as a self-contained HTML page (inline CSS and SVG, no external URL).

    Listings longer than ``listing_rows`` show their first rows and say how many there are.
    The same page, printed by WeasyPrint, is the PDF (:func:`oncotrial.reports.render_pdf`).
    """
    views: dict[str, _TableView] = {}
    for table in report.tables():
        views[table.key] = _view(table, listing_rows if table.listing else None)
    contents = []
    for section in report.sections:
        entries = [(f"t-{item.key}" if isinstance(item, Table) else f"f-{item.key}",
                    item.number, item.title) for item in section.items]
        contents.append((f"s-{section.key}", section.number, section.title, entries))
    return _environment().get_template("report.html.j2").render(
        report=report, views=views, contents=contents, Figure=Figure, Table=Table,
        is_figure=lambda item: isinstance(item, Figure))
