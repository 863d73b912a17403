"""The study report as plain data: sections of numbered tables, figures and listings.

A :class:`Report` holds every number the report shows, as rows of cells (numbers, strings, or
small tuples such as a confidence interval), and every figure as SVG text. It is built by
:func:`oncotrial.reports.build_report` and rendered by :func:`oncotrial.reports.render_html`
and :func:`oncotrial.reports.render_pdf`; tests read the numbers straight from the rows, and
:func:`oncotrial.records.to_plain` turns the whole report into JSON-ready data.

A cell holds the value, not its text: a count is an ``int``, a rate a fraction between 0 and
1, a median in months a ``float`` (None when not reached), an interval a ``(lower, upper)``
tuple. The column's ``kind`` (or the row's own ``kinds``) says how to write it
(:func:`format_cell`), so the HTML, the PDF and the golden files read the same value.

Numbering follows the CSR convention of ICH E3 (section 14: tables and figures; appendix
16.2: patient data listings): ``Table 14.1.1``, ``Figure 14.2.1``, ``Listing 16.2.1``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from oncotrial.errors import UnknownTermError

__all__ = [
    "KINDS",
    "Cell",
    "Column",
    "Figure",
    "Report",
    "Row",
    "Section",
    "Table",
    "format_cell",
]

#: A cell's value: a number, a string, None (nothing to show) or a tuple of numbers
#: (an interval ``(lower, upper)``, an estimate with its interval, a median with its range).
Cell = str | int | float | None | tuple[float | int | None, ...]

#: Every way a cell can be written (see :func:`format_cell`).
KINDS = ("text", "group", "int", "n_pct", "pct", "share", "num1", "months", "ci_pct", "ci_months",
         "est_ci_pct", "est_ci_months", "median_range", "n_of")

DASH = "\u2013"  # en dash, as ranges and intervals are printed


@dataclass(frozen=True, slots=True)
class Column:
    """A table column: its heading, how its cells are written, and for ``n_pct`` cells the
    denominator of the percentage (the N of the population in the heading)."""

    label: str
    kind: str = "text"
    denominator: int | None = None


@dataclass(frozen=True, slots=True)
class Row:
    """One row: its cells in column order, its indent ``level`` (0 for a heading row such as
    a system organ class, 1 for a preferred term under it) and ``kinds`` to override the
    columns' kinds for this row (empty: use the columns')."""

    cells: tuple[Cell, ...]
    level: int = 0
    strong: bool = False
    kinds: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Table:
    """A numbered table or listing: ``key`` is its stable name (tests and golden files use
    it), ``number`` its CSR number, ``population`` the analysis set and its N.

    ``rows`` holds every row; a ``listing`` may be shown in part when it is long
    (:func:`oncotrial.reports.render_html` says so under it) and is written whole as CSV."""

    key: str
    number: str
    title: str
    population: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    footnotes: tuple[str, ...] = ()
    listing: bool = False

    def cell(self, row_label: str, column: int | str) -> Cell:
        """The cell in the row whose first cell is ``row_label`` (the first such row) and the
        column given by index or heading.

        Raises:
            UnknownTermError: no such row or column.
        """
        index = column if isinstance(column, int) else self._column_index(column)
        for row in self.rows:
            if row.cells and row.cells[0] == row_label:
                return row.cells[index]
        raise UnknownTermError(
            "row", row_label, [str(r.cells[0]) for r in self.rows[:5] if r.cells],
            message=f"{self.number} {self.title} has no row {row_label!r}.",
            hint="Use the row's first cell as it is printed.")

    def _column_index(self, label: str) -> int:
        for i, col in enumerate(self.columns):
            if col.label == label:
                return i
        raise UnknownTermError(
            "column", label, [c.label for c in self.columns],
            message=f"{self.number} {self.title} has no column {label!r}.",
            hint=f"Its columns are: {', '.join(c.label for c in self.columns)}.")

    def text_rows(self) -> list[list[str]]:
        """Every row written as the report prints it."""
        out = []
        for row in self.rows:
            kinds = row.kinds or tuple(c.kind for c in self.columns)
            out.append([format_cell(value, kind, col.denominator)
                        for value, kind, col in zip(row.cells, kinds, self.columns, strict=True)])
        return out


@dataclass(frozen=True, slots=True)
class Figure:
    """A numbered figure: the SVG text (inline in the HTML, vector in the PDF), its caption
    and the data drawn that a test may check (``data``, plain values)."""

    key: str
    number: str
    title: str
    caption: str
    svg: str
    data: Mapping[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True, slots=True)
class Section:
    """A numbered section of the report with its tables and figures, in reading order."""

    key: str
    number: str
    title: str
    intro: str
    items: tuple[Table | Figure, ...]


@dataclass(frozen=True, slots=True)
class Report:
    """The study report at a data cut-off: plain data, rendered by ``render_html`` and
    ``render_pdf``.

    ``source`` says what the data were read from (the database and the hash of its audit
    trail, or an exchange-format folder and the digest of its files), ``software_version``
    is ``oncotrial.__version__`` and ``findings`` are data problems the report met and how
    it treated them (shown on the first page)."""

    title: str
    protocol_id: str
    protocol_title: str
    cutoff_on: date
    software_version: str
    source: str
    sections: tuple[Section, ...]
    findings: tuple[str, ...] = ()

    def tables(self) -> Iterator[Table]:
        """Every table and listing, in order."""
        for section in self.sections:
            yield from (item for item in section.items if isinstance(item, Table))

    def figures(self) -> Iterator[Figure]:
        """Every figure, in order."""
        for section in self.sections:
            yield from (item for item in section.items if isinstance(item, Figure))

    def table(self, key: str) -> Table:
        """The table or listing named ``key``.

        Raises:
            UnknownTermError: no table has that key (the message lists some that do).
        """
        for table in self.tables():
            if table.key == key:
                return table
        keys = [t.key for t in self.tables()]
        raise UnknownTermError("table", key, keys[:5], message=f"The report has no table {key!r}.",
                               hint=f"Its tables are: {', '.join(keys)}.")

    def figure(self, key: str) -> Figure:
        """The figure named ``key``.

        Raises:
            UnknownTermError: no figure has that key.
        """
        for figure in self.figures():
            if figure.key == key:
                return figure
        keys = [f.key for f in self.figures()]
        raise UnknownTermError("figure", key, keys[:5],
                               message=f"The report has no figure {key!r}.",
                               hint=f"Its figures are: {', '.join(keys)}.")


def _num(value: float | int | None, missing: str = DASH) -> str:
    """A count as it is, any other number with one decimal."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return missing
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return f"{value:.1f}"


def _float(value: float | int | None) -> float | None:
    return None if value is None else float(value)


def _pct(value: float | int | None, missing: str = "NE") -> str:
    return missing if value is None else f"{100 * value:.1f}"


def _interval(lower: float | int | None, upper: float | int | None, scale: str) -> str:
    if scale == "pct":
        return f"{_pct(lower)}{DASH}{_pct(upper)}"
    return f"{_num(lower, 'NR')}{DASH}{_num(upper, 'NR')}"


def _tuple(value: Cell, size: int) -> tuple[float | int | None, ...]:
    if isinstance(value, tuple | list) and len(value) == size:
        return tuple(value)
    return (None,) * size


def _n_pct(value: Cell, denominator: int | None) -> str:
    if value is None:
        return DASH
    if not isinstance(value, int | float) or not denominator:
        return str(value)
    if value == 0:
        return "0"
    return f"{value:g} ({100 * value / denominator:.1f})"


def _est_ci(value: Cell, scale: str) -> str:
    if value is None:
        return DASH
    est, lower, upper = _tuple(value, 3)
    if scale == "pct":
        if est is None:
            return "NE"
        return f"{_pct(est)} ({_interval(lower, upper, 'pct')})"
    return f"{_num(est, 'NR')} ({_interval(lower, upper, 'months')})"


def _number_or_none(value: Cell) -> float | int | None:
    return value if isinstance(value, int | float) else None


def _w_text(value: Cell, kind: str, denominator: int | None) -> str:
    return "" if value is None else str(value)


def _w_int(value: Cell, kind: str, denominator: int | None) -> str:
    return _num(_number_or_none(value))


def _w_n_pct(value: Cell, kind: str, denominator: int | None) -> str:
    return _n_pct(value, denominator)


def _w_pct(value: Cell, kind: str, denominator: int | None) -> str:
    return _pct(_number_or_none(value), "NE" if kind == "pct" else "")


def _w_num(value: Cell, kind: str, denominator: int | None) -> str:
    return _num(_number_or_none(value), "NR" if kind == "months" else DASH)


def _w_ci(value: Cell, kind: str, denominator: int | None) -> str:
    if value is None:
        return DASH
    lower, upper = _tuple(value, 2)
    return _interval(lower, upper, "pct" if kind == "ci_pct" else "months")


def _w_est_ci(value: Cell, kind: str, denominator: int | None) -> str:
    return _est_ci(value, "pct" if kind == "est_ci_pct" else "months")


def _w_median_range(value: Cell, kind: str, denominator: int | None) -> str:
    median, low, high = _tuple(value, 3)
    if median is None:
        return DASH
    values = (median, low, high)
    if all(isinstance(v, int) or (isinstance(v, float) and v.is_integer()) for v in values):
        return f"{int(median)} ({int(low or 0)}{DASH}{int(high or 0)})"
    return f"{_num(float(median))} ({_num(_float(low))}{DASH}{_num(_float(high))})"


def _w_n_of(value: Cell, kind: str, denominator: int | None) -> str:
    x, n = _tuple(value, 2)
    return DASH if x is None or n is None else f"{x}/{n}"


_WRITERS: dict[str, Callable[[Cell, str, int | None], str]] = {
    "text": _w_text, "group": _w_text, "int": _w_int, "n_pct": _w_n_pct, "pct": _w_pct,
    "share": _w_pct, "num1": _w_num, "months": _w_num, "ci_pct": _w_ci, "ci_months": _w_ci,
    "est_ci_pct": _w_est_ci, "est_ci_months": _w_est_ci, "median_range": _w_median_range,
    "n_of": _w_n_of,
}


def format_cell(value: Cell, kind: str, denominator: int | None = None) -> str:
    """Write a cell as the report prints it.

    Kinds: ``text`` as is (``group`` too: the HTML leaves out a group label that repeats the
    row above); ``int`` a count; ``n_pct`` a count with its percentage of ``denominator``
    (one decimal; 0 alone); ``pct`` a fraction as a percentage (NE when missing); ``share``
    the same, blank when missing; ``num1`` one decimal; ``months`` one decimal, None is "NR"
    (not reached); ``ci_pct`` and ``ci_months`` an interval ``(lower, upper)``;
    ``est_ci_pct`` and ``est_ci_months`` an estimate with its interval; ``median_range``
    ``(median, min, max)`` (without decimals when all three are whole numbers); ``n_of``
    ``(x, n)`` as "x/n". A cell that does not apply (None) is a dash; inside a value, NE marks
    a rate that cannot be estimated and NR a time not reached.

    Raises:
        UnknownTermError: ``kind`` is not one of :data:`KINDS`.

    >>> format_cell(3, "n_pct", 22), format_cell(0, "n_pct", 22)
    ('3 (13.6)', '0')
    >>> format_cell((0.0023, 0.4128), "ci_pct"), format_cell((1.1, None), "ci_months")
    ('0.2–41.3', '1.1–NR')
    >>> format_cell((57.5, 41, 74), "median_range"), format_cell((5.0, 1, 10), "median_range")
    ('57.5 (41.0–74.0)', '5 (1–10)')
    >>> format_cell(None, "months"), format_cell((None, None, None), "est_ci_months")
    ('NR', 'NR (NR–NR)')
    >>> format_cell((0.614, 0.266, 0.835), "est_ci_pct")
    '61.4 (26.6–83.5)'
    """
    writer = _WRITERS.get(kind)
    if writer is None:
        raise UnknownTermError("cell kind", kind, list(KINDS),
                               message=f"{kind!r} is not a kind of report cell.",
                               hint=f"Use one of: {', '.join(KINDS)}.")
    return writer(value, kind, denominator)
