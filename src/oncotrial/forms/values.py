"""Form data as stored, its typed values, and the checks every write path runs (core, no I/O).

Stored values are canonical text: dates ``YYYY-MM-DD``, datetimes ISO 8601 with their UTC
offset, decimals as entered (``2.10``), booleans ``yes``/``no``, codes their code (several
comma separated). A lab result carries its unit and the laboratory's own limits
(:class:`Entry`). A form's data maps a :data:`Key` (group id, row, item id) to an entry.

:func:`check_form` is the one check of a form's answers. It returns the canonical data with
``errors`` (refuse the save) and ``warnings`` (save, and raise a query), each a
:class:`Finding` with a stable ``code``:

=========================  =================================================================
``forms.unknown_item``     the key names no item of the form (or a row outside a group)
``forms.required_missing`` a required item has no answer
``forms.bad_number``       not a number (or not a whole number for an integer item)
``forms.bad_date``         not a date YYYY-MM-DD (or "none" where it is not allowed)
``forms.bad_datetime``     not an ISO date and time with its UTC offset
``forms.bad_boolean``      not yes or no
``forms.bad_code``         not a code of the item's code list
``forms.future_date``      a date after today where the item refuses it
``forms.unit_missing``     several units are allowed and none was given
``forms.unit_unknown``     the unit is not one the item allows
``forms.bad_limits``       the lab's LLN/ULN are not numbers, are upside down, or not a lab item
``forms.implausible``      a lab value that is physically impossible (oncotrial.clinical)
``forms.out_of_range``     outside the item's hard limits (error)
``forms.unexpected_value`` outside the item's expected limits (warning)
``forms.too_few_rows``     a repeating group has fewer rows than min_rows
``forms.too_many_rows``    a repeating group has more rows than max_rows
``forms.check_failed``     a cross-field check of the form failed (its own severity)
=========================  =================================================================
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from oncotrial.clinical import analyte_key, check_plausible, convert, normalise_unit
from oncotrial.errors import ImplausibleValueError, InputError, UnitError
from oncotrial.forms._targets import closest
from oncotrial.forms.model import CheckDef, CodeDef, FormDef, ItemDef

__all__ = [
    "FINDING_CODES",
    "Entry",
    "Finding",
    "FormCheck",
    "FormData",
    "Key",
    "canonical_text",
    "check_form",
    "form_data",
    "nested_data",
    "rows_of",
    "typed_value",
]

Key = tuple[str, int, str]
"""(group id or ``""``, row number from 1 in a group or 0 outside groups, item id)."""

#: Every finding code :func:`check_form` gives, with its meaning.
FINDING_CODES: dict[str, str] = {
    "forms.unknown_item": "The key names no item of the form, or a row outside its group.",
    "forms.required_missing": "A required item has no answer.",
    "forms.bad_number": "The answer is not a number (or not a whole number).",
    "forms.bad_date": "The answer is not a date YYYY-MM-DD (or 'none' where it is not allowed).",
    "forms.bad_datetime": "The answer is not an ISO date and time with its UTC offset.",
    "forms.bad_boolean": "The answer is not yes or no.",
    "forms.bad_code": "The answer is not a code of the item's code list.",
    "forms.future_date": "The date is after today, and the item refuses future dates.",
    "forms.unit_missing": "Several units are allowed and none was given.",
    "forms.unit_unknown": "The unit is not one the item allows.",
    "forms.bad_limits": "The lab's limits of normal are not numbers or are upside down.",
    "forms.implausible": "The value is physically impossible for the analyte.",
    "forms.out_of_range": "The value is outside the item's hard limits: not saved.",
    "forms.unexpected_value": "The value is outside the expected limits: saved, query raised.",
    "forms.too_few_rows": "A repeating group has fewer rows than it needs.",
    "forms.too_many_rows": "A repeating group has more rows than it allows.",
    "forms.check_failed": "A cross-field check of the form failed.",
}


@dataclass(frozen=True, slots=True)
class Entry:
    """One stored answer: canonical text, and for a lab result its unit and limits of normal.

    >>> Entry("2.10", "10^9/L", lln=1.8, uln=6.3).unit
    '10^9/L'
    """

    value: str | None
    unit: str = ""
    lln: float | None = None
    uln: float | None = None


FormData = Mapping[Key, Entry]
"""A form's answers by key."""


@dataclass(frozen=True, slots=True)
class Finding:
    """What :func:`check_form` found: a stable ``code``, where (``key``; a key with an empty
    item id names a whole group), the check's id for ``forms.check_failed``, a sentence for
    the person entering the data and how to fix it."""

    code: str
    key: Key | None
    check_id: str | None
    message: str
    hint: str
    severity: str = "error"


@dataclass(frozen=True, slots=True)
class FormCheck:
    """The result of :func:`check_form`: canonical data, errors (refuse the save), warnings."""

    data: Mapping[Key, Entry]
    errors: tuple[Finding, ...]
    warnings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        """True when the form may be saved (warnings may remain)."""
        return not self.errors


# --- building form data ----------------------------------------------------------------------


def canonical_text(value: object) -> str | None:
    """A Python value as stored text: dates ISO, booleans yes/no, lists comma separated.

    >>> canonical_text(dt.date(2026, 3, 1)), canonical_text(True), canonical_text(["a", "b"])
    ('2026-03-01', 'yes', 'a,b')
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ",".join(str(canonical_text(v)) for v in value)
    return str(value)


def _entry(value: object) -> Entry:
    if isinstance(value, Entry):
        return value
    if isinstance(value, Mapping):
        unknown = set(value) - {"value", "unit", "lln", "uln"}
        if unknown:
            raise InputError(f"An answer has unknown keys {sorted(unknown)}.",
                             field="form_data", value=value,
                             hint="An answer is a value, or {value, unit, lln, uln}.")
        return Entry(canonical_text(value.get("value")), str(value.get("unit") or ""),
                     _limit(value.get("lln")), _limit(value.get("uln")))
    return Entry(canonical_text(value))


def _limit(value: object) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(str(value))
    except ValueError:
        raise InputError(f"Limit of normal {value!r} is not a number.", field="lln",
                         value=value, hint="Enter the limit as printed on the report.") from None


def form_data(nested: Mapping[str, Any]) -> dict[Key, Entry]:
    """Form data from a nested mapping: item id -> answer, group id -> list of rows.

    An answer is a value (text, number, date, boolean, a list of codes) or a mapping
    ``{value, unit, lln, uln}``; a row is a mapping of item id -> answer; an empty list is
    no answer (a group without rows).

    >>> data = form_data({"anc": {"value": "2.1", "unit": "10^9/L", "lln": 1.8},
    ...                   "lesions": [{"lesion_id": "T1", "diameter": 23}]})
    >>> data[("", 0, "anc")]
    Entry(value='2.1', unit='10^9/L', lln=1.8, uln=None)
    >>> data[("lesions", 1, "diameter")].value
    '23'

    Raises:
        InputError: a row is not a mapping, or an answer has unknown keys.
    """
    out: dict[Key, Entry] = {}
    for name, value in nested.items():
        if isinstance(value, list) and not value:
            continue  # a group without rows, or no codes chosen
        if isinstance(value, list) and all(isinstance(r, Mapping) for r in value):
            for row, fields in enumerate(value, start=1):
                for item_id, answer in fields.items():
                    out[(name, row, item_id)] = _entry(answer)
        elif isinstance(value, list) and any(isinstance(r, Mapping) for r in value):
            raise InputError(f"Group {name!r} mixes rows and plain values.", field=name,
                             hint="Give a group as a list of rows, each a mapping.")
        else:
            out[("", 0, name)] = _entry(value)
    return out


def nested_data(data: FormData) -> dict[str, Any]:
    """The inverse of :func:`form_data`: answers as values or ``{value, unit, lln, uln}``,
    groups as lists of rows in row order.

    >>> nested_data({("", 0, "weight"): Entry("70.5", "kg"), ("g", 1, "x"): Entry("a")})
    {'weight': {'value': '70.5', 'unit': 'kg'}, 'g': [{'x': 'a'}]}
    """
    out: dict[str, Any] = {}
    groups: dict[str, dict[int, dict[str, Any]]] = {}
    for (group, row, item_id), entry in sorted(data.items()):
        plain: Any = entry.value
        if entry.unit or entry.lln is not None or entry.uln is not None:
            plain = {k: v for k, v in (("value", entry.value), ("unit", entry.unit),
                                       ("lln", entry.lln), ("uln", entry.uln))
                     if v is not None and v != ""}
        if group:
            groups.setdefault(group, {}).setdefault(row, {})[item_id] = plain
        else:
            out[item_id] = plain
    for group, rows in groups.items():
        out[group] = [rows[r] for r in sorted(rows)]
    return out


def rows_of(data: FormData, group_id: str) -> list[int]:
    """The row numbers of ``group_id`` that have any answer, in order."""
    return sorted({row for (group, row, _), entry in data.items()
                   if group == group_id and entry.value is not None})


# --- typed values ----------------------------------------------------------------------------


class _Bad(InputError):
    """An answer that does not parse: the finding code and how to fix it (turned into a
    :class:`Finding` by the callers; never escapes this module)."""

    def __init__(self, code: str, problem: str, hint: str) -> None:
        super().__init__(problem, hint=hint)
        self.code, self.problem, self.fix = code, problem, hint


def _number(text: str) -> Decimal:
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise _Bad("forms.bad_number", f"{text!r} is not a number",
                   "Enter digits with a point for decimals, e.g. 2.10.") from None
    if not number.is_finite():
        raise _Bad("forms.bad_number", f"{text!r} is not a finite number", "Enter the number.")
    return number


def _integer(text: str) -> int:
    number = _number(text)
    if number != number.to_integral_value() or "." in text or "e" in text.lower():
        raise _Bad("forms.bad_number", f"{text!r} is not a whole number",
                   "Enter a whole number.")
    return int(number)


def _date(text: str) -> dt.date:
    try:
        if len(text) != 10:
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise _Bad("forms.bad_date", f"{text!r} is not a date",
                   "Write the date as YYYY-MM-DD, e.g. 2026-03-01.") from None


def _datetime(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise _Bad("forms.bad_datetime", f"{text!r} is not a date and time with its UTC offset",
                   "Write it as YYYY-MM-DDTHH:MM+08:00.")
    return value


_BOOLEANS = {"yes": True, "y": True, "true": True, "no": False, "n": False, "false": False}


def _boolean(text: str) -> bool:
    try:
        return _BOOLEANS[text.lower()]
    except KeyError:
        raise _Bad("forms.bad_boolean", f"{text!r} is not yes or no",
                   "Answer yes or no.") from None


def _codes(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _parse(item: ItemDef, text: str) -> object:
    """The typed value of non-empty ``text`` (raises :class:`_Bad`)."""
    if item.type == "date" and item.none_allowed and text.lower() == "none":
        return "none"
    parse: dict[str, Callable[[str], object]] = {
        "text": str, "integer": _integer, "decimal": _number, "lab": _number, "date": _date,
        "datetime": _datetime, "boolean": _boolean,
        "code": _codes if item.multiple else str}
    return parse[item.type](text)


Typed = dt.date | dt.datetime | Decimal | int | bool | str | list[str] | None
"""What :func:`typed_value` gives."""


def typed_value(item: ItemDef, entry: Entry | None) -> Typed:
    """The typed value of a stored answer: a date, datetime, Decimal (decimal and lab items,
    in the entry's unit), int, bool, code or text; a list of codes for a ``multiple`` item;
    ``"none"`` for a date item that allows it; None when there is no answer.

    >>> from oncotrial.forms.model import ItemDef
    >>> item = ItemDef(id="onset", type="date", label={"en": "Onset", "zh": "发生日期"})
    >>> typed_value(item, Entry("2026-03-01"))
    datetime.date(2026, 3, 1)

    Raises:
        InputError: the stored text does not fit the item's type.
    """
    if entry is None or entry.value is None or not entry.value.strip():
        return None
    try:
        value = _parse(item, entry.value.strip())
    except _Bad as bad:
        raise InputError(f"{item.label.en} ({item.id}): {bad.problem}.", field=item.id,
                         value=entry.value, hint=bad.fix) from None
    return cast(Typed, value)


# --- checking a form -------------------------------------------------------------------------


class _Context:
    """What one run of :func:`check_form` collects."""

    def __init__(self, form: FormDef, today: dt.date,
                 code_lists: Mapping[str, Sequence[CodeDef]]) -> None:
        self.form, self.today, self.code_lists = form, today, code_lists
        self.findings: list[Finding] = []

    def add(self, code: str, key: Key | None, message: str, hint: str, *,
            severity: str = "error", check_id: str | None = None) -> None:
        self.findings.append(Finding(code, key, check_id, message, hint, severity))


def _where(form: FormDef, key: Key) -> str:
    group, row, item_id = key
    name = form.item(item_id).label.en if form.has_item(item_id) else item_id
    if group:
        return f"{form.group(group).label.en} row {row}, {name}"
    return name


def check_form(form: FormDef, data: FormData, *, today: dt.date,
               code_lists: Mapping[str, Sequence[CodeDef]]) -> FormCheck:
    """Check one form's answers and give them back in canonical form.

    The rules: every key names an item (rows from 1 in groups, 0 outside); every answer
    parses for its item's type; dates are not after ``today`` where the item says so; a lab
    or decimal value has one of the item's units (filled in when only one is allowed), a lab
    value is physically possible and its LLN is not above its ULN; numbers within ``range``
    (else an error) and ``expected`` (else a warning), both in the item's first unit; required
    items are answered (in every row of a group); groups have ``min_rows`` to ``max_rows``
    rows; then the form's checks. Empty answers are left out of ``data``.

    >>> from oncotrial.forms.model import FormDef
    >>> form = FormDef.model_validate({
    ...     "id": "vitals", "label": {"en": "Vital signs", "zh": "生命体征"},
    ...     "sections": [{"id": "main", "label": {"en": "Vital signs", "zh": "生命体征"},
    ...                   "items": [{"id": "weight", "type": "decimal", "units": ["kg"],
    ...                              "required": True, "range": {"min": 20, "max": 300},
    ...                              "label": {"en": "Weight", "zh": "体重"}}]}]})
    >>> result = check_form(form, form_data({"weight": "70.5"}), today=dt.date(2026, 3, 1),
    ...                     code_lists={})
    >>> result.ok, result.data[("", 0, "weight")]
    (True, Entry(value='70.5', unit='kg', lln=None, uln=None))
    >>> [f.code for f in check_form(form, form_data({"weight": "7000"}),
    ...                             today=dt.date(2026, 3, 1), code_lists={}).errors]
    ['forms.out_of_range']
    """
    ctx = _Context(form, today, code_lists)
    canonical: dict[Key, Entry] = {}
    for key, entry in data.items():
        item = _item_for(ctx, key)
        if item is None:
            continue
        clean = _canonical_entry(ctx, item, key, entry)
        if clean is not None:
            canonical[key] = clean
    answered = {key for key, entry in data.items() if (entry.value or "").strip()}
    _required(ctx, canonical, answered)
    _row_counts(ctx, canonical)
    for check in form.checks:
        _run_check(ctx, check, canonical)
    return FormCheck(canonical,
                     tuple(f for f in ctx.findings if f.severity == "error"),
                     tuple(f for f in ctx.findings if f.severity != "error"))


def _item_for(ctx: _Context, key: Key) -> ItemDef | None:
    group, row, item_id = key
    form = ctx.form
    if not form.has_item(item_id) or form.group_of(item_id) != group:
        where = f"group {group!r}" if group else "outside groups"
        options = [i.id for g, i in form.items() if g == group]
        ctx.add("forms.unknown_item", key, f"Form {form.id!r} has no item {item_id!r} "
                f"{where}.", closest(item_id, options))
        return None
    if (group and row < 1) or (not group and row != 0):
        ctx.add("forms.unknown_item", key, f"{_where(form, key)}: row {row} is not a row here.",
                "Rows of a group count from 1; items outside groups have row 0.")
        return None
    return form.item(item_id)


def _canonical_entry(ctx: _Context, item: ItemDef, key: Key, entry: Entry) -> Entry | None:
    text = (entry.value or "").strip()
    if not text:
        return None
    try:
        value = _parse(item, text)
        if item.type == "code":
            text = _check_codes(ctx, item, value)
        unit = _unit(item, entry.unit)
        _limits_of_normal(item, entry)
    except _Bad as bad:
        ctx.add(bad.code, key, f"{_where(ctx.form, key)}: {bad.problem}.", bad.fix)
        return None
    clean = Entry(_canonical_text(item, text, value), unit, entry.lln, entry.uln)
    _value_checks(ctx, item, key, value, clean)
    return clean


def _canonical_text(item: ItemDef, text: str, value: object) -> str:
    if item.type in ("text", "decimal", "lab", "code"):
        return text
    return str(canonical_text(value))


def _check_codes(ctx: _Context, item: ItemDef, value: object) -> str:
    known = [c.code for c in ctx.code_lists.get(item.code_list or "", ())]
    by_fold = {c.casefold(): c for c in known}
    codes = value if isinstance(value, list) else [value]
    out: list[str] = []
    for code in codes:
        found = by_fold.get(str(code).casefold())
        if found is None:
            raise _Bad("forms.bad_code", f"{code!r} is not one of the answers",
                       closest(str(code), known))
        if found not in out:
            out.append(found)
    return ",".join(out)


def _unit(item: ItemDef, given: str) -> str:
    given = given.strip()
    if item.type not in ("lab", "decimal"):
        if given:
            raise _Bad("forms.unit_unknown", f"unit {given!r} was given for an answer without "
                       "units", "Leave the unit empty.")
        return ""
    if not item.units:
        if given and normalise_unit(given) != "1":
            raise _Bad("forms.unit_unknown", f"unit {given!r} was given for a result without "
                       "units", "Leave the unit empty.")
        return ""
    if not given:
        if len(item.units) == 1:
            return item.units[0]
        raise _Bad("forms.unit_missing", "the unit is missing",
                   f"Choose one of: {', '.join(item.units)}.")
    return _match_unit(item, given)


def _match_unit(item: ItemDef, given: str) -> str:
    normal = normalise_unit(given)
    for unit in item.units:
        if unit == given or (normal is not None and normalise_unit(unit) == normal):
            return unit
        if item.analyte_name is None and unit.casefold() == given.casefold():
            return unit
    raise _Bad("forms.unit_unknown", f"unit {given!r} is not allowed here",
               f"Choose one of: {', '.join(item.units)}.")


def _limits_of_normal(item: ItemDef, entry: Entry) -> None:
    if entry.lln is None and entry.uln is None:
        return
    if item.type != "lab":
        raise _Bad("forms.bad_limits", "limits of normal were given for an answer that is not "
                   "a laboratory result", "Leave LLN and ULN empty.")
    for name, limit in (("LLN", entry.lln), ("ULN", entry.uln)):
        if limit is not None and (isinstance(limit, bool) or not _finite(limit)):
            raise _Bad("forms.bad_limits", f"the {name} {limit!r} is not a number",
                       "Enter the limit as printed on the report.")
    if entry.lln is not None and entry.uln is not None and entry.lln > entry.uln:
        raise _Bad("forms.bad_limits", f"the LLN {entry.lln:g} is above the ULN {entry.uln:g}",
                   "Check the reference range on the laboratory report.")


def _finite(value: float) -> bool:
    try:
        return Decimal(str(value)).is_finite()
    except InvalidOperation:
        return False


def _value_checks(ctx: _Context, item: ItemDef, key: Key, value: object,
                  clean: Entry) -> None:
    if isinstance(value, dt.date) and item.not_future:
        day = value.date() if isinstance(value, dt.datetime) else value
        if day > ctx.today:
            ctx.add("forms.future_date", key, f"{_where(ctx.form, key)}: {day} is after today "
                    f"({ctx.today}).", "Correct the date; it cannot be in the future.")
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        _number_checks(ctx, item, key, float(value), clean.unit)


def _number_checks(ctx: _Context, item: ItemDef, key: Key, number: float, unit: str) -> None:
    analyte = item.analyte_name
    if item.type == "lab" and analyte is not None:
        try:
            check_plausible(analyte_key(analyte), number, unit or "1")
        except (ImplausibleValueError, UnitError) as exc:
            ctx.add("forms.implausible", key, f"{_where(ctx.form, key)}: {exc.message}",
                    exc.hint or "Check the value and its unit.")
            return
    first = _in_first_unit(item, number, unit)
    if first is None:
        return
    shown = f"{number:g}" + (f" {unit}" if unit else "")
    first_unit = f" {item.units[0]}" if item.units else ""
    if item.range is not None and not item.range.contains(first):
        ctx.add("forms.out_of_range", key, f"{_where(ctx.form, key)}: {shown} is outside the "
                f"allowed limits ({item.range.describe()}{first_unit}).",
                "Check the value and its unit; a value outside these limits cannot be saved.")
    elif item.expected is not None and not item.expected.contains(first):
        ctx.add("forms.unexpected_value", key, f"{_where(ctx.form, key)}: {shown} is outside "
                f"the expected limits ({item.expected.describe()}{first_unit}).",
                "Confirm the value against the source document.", severity="warning")


def _in_first_unit(item: ItemDef, number: float, unit: str) -> float | None:
    """The number in the item's first unit; None when it cannot be converted (HBV DNA)."""
    if not item.units or unit == item.units[0] or item.analyte_name is None:
        return number
    try:
        return convert(number, unit, item.units[0], analyte=item.analyte_name)
    except UnitError:
        return None


def _required(ctx: _Context, data: Mapping[Key, Entry], answered: set[Key]) -> None:
    """Required items without an answer (an answer that did not parse is reported already)."""
    for group, item in ctx.form.items():
        if not item.required:
            continue
        rows = rows_of(data, group) if group else [0]
        for row in rows:
            key = (group, row, item.id)
            if key not in data and key not in answered:
                ctx.add("forms.required_missing", key,
                        f"{_where(ctx.form, key)} is required.", "Enter the answer.")


def _row_counts(ctx: _Context, data: Mapping[Key, Entry]) -> None:
    for group in ctx.form.groups():
        count = len(rows_of(data, group.id))
        key: Key = (group.id, 0, "")
        if count < group.min_rows:
            ctx.add("forms.too_few_rows", key, f"{group.label.en}: {count} rows, at least "
                    f"{group.min_rows} needed.", "Add the missing rows.")
        if group.max_rows is not None and count > group.max_rows:
            ctx.add("forms.too_many_rows", key, f"{group.label.en}: {count} rows, at most "
                    f"{group.max_rows} allowed.", "Remove the extra rows.")


# --- cross-field checks ----------------------------------------------------------------------

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b, "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b, ">=": lambda a, b: a >= b, ">": lambda a, b: a > b}


def _run_check(ctx: _Context, check: CheckDef, data: Mapping[Key, Entry]) -> None:
    anchor = check.left or check.item or ""
    group = ctx.form.group_of(anchor)
    for row in (rows_of(data, group) if group else [0]):
        if check.kind == "compare":
            failed = _compare_fails(ctx.form, check, data, group, row)
        else:
            failed = _required_if_fails(check, data, group, row)
        if failed:
            key = (group, row, anchor)
            ctx.add("forms.check_failed", key, check.message.en,
                    f"Check {_names(ctx.form, check)}.", severity=check.severity,
                    check_id=check.id)


def _names(form: FormDef, check: CheckDef) -> str:
    ids = dict.fromkeys(check.item_ids())
    return " and ".join(form.item(i).label.en for i in ids)


def _comparable(form: FormDef, item_id: str, data: Mapping[Key, Entry], group: str,
                row: int) -> object:
    item = form.item(item_id)
    entry = data.get((group, row, item_id))
    value = _safe_typed(item, entry)
    if isinstance(value, Decimal) and entry is not None:
        first = _in_first_unit(item, float(value), entry.unit)
        return None if first is None else Decimal(str(first))
    if isinstance(value, list):
        return ",".join(value)
    return None if value == "none" and item.type == "date" else value


def _safe_typed(item: ItemDef, entry: Entry | None) -> object:
    try:
        return typed_value(item, entry)
    except InputError:
        return None


def _compare_fails(form: FormDef, check: CheckDef, data: Mapping[Key, Entry], group: str,
                   row: int) -> bool:
    left = _comparable(form, check.left or "", data, group, row)
    if check.right is not None:
        right = _comparable(form, check.right, data, group, row)
    else:
        right = _constant(form.item(check.left or ""), check.value)
    if left is None or right is None:
        return False
    try:
        return not _OPS[check.op or "=="](left, right)
    except TypeError:
        return False


def _constant(item: ItemDef, value: object) -> object:
    text = canonical_text(value)
    if text is None:
        return None
    try:
        return _parse(item, text)
    except _Bad:
        return None


def _required_if_fails(check: CheckDef, data: Mapping[Key, Entry], group: str,
                       row: int) -> bool:
    assert check.when is not None and check.item is not None
    condition = data.get((group, row, check.when.item))
    if condition is None or condition.value is None:
        return False
    answers = set(_codes(condition.value))
    if not answers & set(check.when.in_):
        return False
    return (group, row, check.item) not in data
