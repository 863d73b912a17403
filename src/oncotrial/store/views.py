"""One SQL view per form, so that a statistician reads each domain as a tidy table in SQL.

Item values are stored one row per answer (``item_value``); these views turn them back into
one row per form (or per row of a repeating group), one column per item, typed. They are made
from the trial's forms file by :func:`refresh_views` (``oncotrial db upgrade`` runs it) and
hold no data of their own: dropping and making them again never touches a table.

Views, for every form ``<form>`` of the forms file:

``v_<form>``
    One row per form instance (also for a form saved without answers). Columns:
    ``form_instance_id``, ``subject`` (subject id, or the screening number before enrolment),
    ``pseudonym``, ``site_code``, ``visit_code``, ``occurrence``, ``visit_date`` (the actual
    visit date; these three are empty for subject-level log forms), ``form_status``, then one
    column per item outside repeating groups.
``v_<form>__<group>``
    One row per row of the repeating group ``<group>``: the same leading columns, then
    ``row_no`` (from 1), then one column per item of the group. Join it to ``v_<form>`` on
    ``form_instance_id``.
``vp_<form>`` and ``vp_<form>__<group>``
    The pseudonymised views for statisticians (AC-2): the same without the ``subject`` column,
    so a subject appears only by ``pseudonym``.

Item columns are named by the item id and typed by the item type: ``integer`` as an integer;
``decimal`` and ``lab`` as a number (``REAL`` on SQLite, ``numeric`` on PostgreSQL); ``date``
as an ISO date (text ``YYYY-MM-DD`` on SQLite, ``date`` on PostgreSQL); every other type
(text, code, boolean ``yes``/``no``, datetime) as the stored text. A value that does not fit
its type shows as NULL. Extra columns: ``<item>_unit`` for lab items and decimal items with
units; ``<item>_lln`` and ``<item>_uln`` (the laboratory's limits of normal) for lab items;
``<item>_none`` (1 when the answer was "none", else 0) for date items that allow "none". An
item whose column name would clash with a leading column or another column is named
``item_<item>``. Names longer than PostgreSQL's 63 characters are shortened with a hash
suffix. The prefixes ``v_`` and ``vp_`` belong to these views: :func:`refresh_views` drops
every view that starts with them.

The views use plain SQL only (no application functions), so any SQLite or PostgreSQL client,
R or pandas can read them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, inspect

from oncotrial.forms import FormDef, FormSet, ItemDef

__all__ = [
    "LEADING_COLUMNS",
    "VIEW_PREFIXES",
    "drop_views",
    "refresh_views",
    "view_names",
]

#: Prefixes of the generated views (identified, pseudonymised).
VIEW_PREFIXES: tuple[str, str] = ("v_", "vp_")
#: The columns every form view starts with, and the SQL that gives each.
LEADING_COLUMNS: tuple[tuple[str, str], ...] = (
    ("form_instance_id", "fi.id"),
    ("subject", "coalesce(s.subject_id, s.screening_number)"),
    ("pseudonym", "s.pseudonym"),
    ("site_code", "st.code"),
    ("visit_code", "v.code"),
    ("occurrence", "v.occurrence"),
    ("visit_date", "v.actual_on"),
    ("form_status", "fi.status"),
)
_IDENTIFYING = frozenset({"subject"})
_MAX_NAME = 63  # PostgreSQL's identifier limit (NAMEDATALEN - 1)

_PG_DECIMAL = r"^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$"
_PG_INTEGER = r"^\s*[-+]?[0-9]+\s*$"
_PG_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_SQLITE_DATE = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"


def fit_name(name: str) -> str:
    """``name`` shortened to 63 characters with a hash suffix when it is longer.

    >>> fit_name("v_vitals")
    'v_vitals'
    >>> len(fit_name("v_" + "x" * 80))
    63
    """
    if len(name) <= _MAX_NAME:
        return name
    return f"{name[:_MAX_NAME - 9]}_{hashlib.sha1(name.encode()).hexdigest()[:8]}"


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _view_name(form_id: str, group_id: str, pseudonymised: bool) -> str:
    prefix = VIEW_PREFIXES[1] if pseudonymised else VIEW_PREFIXES[0]
    return fit_name(prefix + form_id + (f"__{group_id}" if group_id else ""))


def view_names(forms: FormSet) -> list[str]:
    """The names of every view :func:`refresh_views` makes for ``forms``, in order."""
    names = []
    for pseudonymised in (False, True):
        for form in forms.forms:
            names.append(_view_name(form.id, "", pseudonymised))
            names += [_view_name(form.id, g.id, pseudonymised) for g in form.groups()]
    return names


# --------------------------------------------------------------------------- columns


@dataclass(frozen=True, slots=True)
class _Column:
    """One item column: its name, the stored field it pivots and how to type it."""

    name: str
    item_id: str
    source: str  # value | unit | lln | uln
    kind: str  # integer | number | date | none_flag | text | raw


def _item_columns(item: ItemDef) -> list[tuple[str, str, str]]:
    """(name suffix, source field, kind) for the columns of one item."""
    kind = {"integer": "integer", "decimal": "number", "lab": "number",
            "date": "date"}.get(item.type, "text")
    columns = [("", "value", kind)]
    if item.type == "lab" or (item.type == "decimal" and item.units):
        columns.append(("_unit", "unit", "text"))
    if item.type == "lab":
        columns += [("_lln", "lln", "raw"), ("_uln", "uln", "raw")]
    if item.type == "date" and item.none_allowed:
        columns.append(("_none", "value", "none_flag"))
    return columns


def _unique(name: str, taken: set[str]) -> str:
    candidate = fit_name(name)
    if candidate in taken:
        candidate = fit_name(f"item_{name}")
    n = 2
    while candidate in taken:
        candidate, n = fit_name(f"item_{name}_{n}"), n + 1
    taken.add(candidate)
    return candidate


def _columns(form: FormDef, group_id: str) -> list[_Column]:
    taken = {name for name, _ in LEADING_COLUMNS} | {"row_no"}
    columns = []
    for group, item in form.items():
        if group != group_id:
            continue
        for suffix, source, kind in _item_columns(item):
            columns.append(_Column(_unique(item.id + suffix, taken), item.id, source, kind))
    return columns


# --------------------------------------------------------------------------- SQL


def _typed(expr: str, kind: str, dialect: str) -> str:
    """``expr`` (the stored text) as the column's SQL type; NULL when it does not fit."""
    if kind in ("text", "raw"):
        return expr
    if kind == "none_flag":
        return f"CASE WHEN {expr} IS NULL THEN NULL WHEN lower({expr}) = 'none' THEN 1 ELSE 0 END"
    if dialect == "postgresql":
        pattern, sql_type = {"integer": (_PG_INTEGER, "bigint"), "number": (_PG_DECIMAL, "numeric"),
                             "date": (_PG_DATE, "date")}[kind]
        return f"CASE WHEN {expr} ~ {_literal(pattern)} THEN CAST(trim({expr}) AS {sql_type}) END"
    if kind == "date":
        return f"CASE WHEN {expr} GLOB {_literal(_SQLITE_DATE)} THEN {expr} END"
    allowed, sql_type = ("0-9+-", "INTEGER") if kind == "integer" else ("0-9.eE+-", "REAL")
    return (f"CASE WHEN trim({expr}) GLOB '*[0-9]*' AND NOT trim({expr}) GLOB "
            f"'*[^{allowed}]*' THEN CAST(trim({expr}) AS {sql_type}) END")


def _pivot(form: FormDef, group_id: str, columns: list[_Column]) -> str:
    """The item rows of one form (and group) as one row per instance (and row number)."""
    picks = []
    for n, column in enumerate(columns):
        field = "nullif(iv.unit, '')" if column.source == "unit" else f"iv.{column.source}"
        picks.append(f"max(CASE WHEN iv.item_id = {_literal(column.item_id)} THEN {field} END) "
                     f"AS c{n}")
    select = ", ".join(["iv.form_instance_id AS form_instance_id", "iv.row_no AS row_no",
                        *picks])
    return (f"SELECT {select} FROM item_value iv WHERE iv.group_id = {_literal(group_id)} "
            "AND iv.form_instance_id IN (SELECT id FROM form_instance WHERE form_id = "
            f"{_literal(form.id)}) GROUP BY iv.form_instance_id, iv.row_no")


def _view_sql(form: FormDef, group_id: str, pseudonymised: bool, dialect: str,
              quote: Callable[[str], str]) -> str:
    columns = _columns(form, group_id)
    outputs = [f"{sql} AS {quote(name)}" for name, sql in LEADING_COLUMNS
               if not (pseudonymised and name in _IDENTIFYING)]
    if group_id:
        outputs.append("p.row_no AS row_no")
    outputs += [f"{_typed(f'p.c{n}', c.kind, dialect)} AS {quote(c.name)}"
                for n, c in enumerate(columns)]
    join = "JOIN" if group_id else "LEFT JOIN"
    return (f"SELECT {', '.join(outputs)} FROM form_instance fi "
            "JOIN subject s ON s.id = fi.subject_pk JOIN site st ON st.id = s.site_id "
            "LEFT JOIN visit v ON v.id = fi.visit_pk "
            f"{join} ({_pivot(form, group_id, columns)}) p ON p.form_instance_id = fi.id "
            f"WHERE fi.form_id = {_literal(form.id)}")


# --------------------------------------------------------------------------- DDL


def drop_views(connection: Connection) -> list[str]:
    """Drop every generated view (names starting ``v_`` or ``vp_``); tables are untouched.

    Run before a migration: SQLite cannot rebuild, and PostgreSQL cannot alter, a table that
    a view reads.
    """
    quote = connection.dialect.identifier_preparer.quote
    names = sorted(n for n in inspect(connection).get_view_names()
                   if n.startswith(VIEW_PREFIXES))
    for name in names:
        connection.exec_driver_sql(f"DROP VIEW IF EXISTS {quote(name)}")
    return names


def refresh_views(connection: Connection, forms: FormSet) -> list[str]:
    """Drop the generated views and make them again for ``forms``; return the names made.

    Views only: no table is created, altered or dropped. Run it inside a transaction (both
    back ends make views transactionally), after the schema is at the newest revision.
    """
    drop_views(connection)
    dialect = connection.dialect.name
    quote = connection.dialect.identifier_preparer.quote
    made = []
    for pseudonymised in (False, True):
        for form in forms.forms:
            for group_id in ("", *(g.id for g in form.groups())):
                name = _view_name(form.id, group_id, pseudonymised)
                sql = _view_sql(form, group_id, pseudonymised, dialect, quote)
                connection.exec_driver_sql(f"CREATE VIEW {quote(name)} AS {sql}")
                made.append(name)
    return made
