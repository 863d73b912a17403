"""The forms model: every case report form of a trial as a validated, frozen pydantic object.

A forms file (``<protocol stem>.forms.yaml``, documented field by field in ``docs/forms.md``)
declares the trial's visits -> forms -> sections -> items and repeating groups, with each
item's type, units, code list, limits and labels in English and Simplified Chinese, the
cross-field checks, and where the stored values go: the shared records of
:mod:`oncotrial.records` (``record:``), the subject (``subject:``) and the screening record of
:mod:`oncotrial.eligibility` (``screening:``).

Everything that can be checked inside the file is checked when it is built: ids, references
between forms, code lists and checks, analytes and units (:mod:`oncotrial.clinical`), record
fields and screening paths. The checks against the protocol (its registry id and visit codes)
are made by :func:`oncotrial.forms.load_forms` when a protocol is given.

>>> label = Label(en="Haematology", zh="血常规")
>>> label.text("zh"), label.text("en")
('血常规', 'Haematology')
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from oncotrial.clinical import accepted_units, analyte_key, convert, normalise_unit
from oncotrial.errors import UnitError, UnknownTermError
from oncotrial.forms import _integrity
from oncotrial.forms._targets import (
    RECORD_TYPES,
    closest,
    coerce,
    record_field_types,
    required_record_fields,
)

__all__ = [
    "ITEM_TYPES",
    "RECORD_TYPE_NAMES",
    "UNSCHEDULED",
    "CheckDef",
    "CodeDef",
    "FormDef",
    "FormSet",
    "GroupDef",
    "ItemDef",
    "Label",
    "Limits",
    "RecordMap",
    "SectionDef",
    "SubjectIds",
    "When",
]

ItemType = Literal["text", "integer", "decimal", "date", "datetime", "boolean", "code", "lab"]
#: The item types, in the order ``docs/forms.md`` lists them.
ITEM_TYPES: tuple[str, ...] = ("text", "integer", "decimal", "date", "datetime", "boolean",
                               "code", "lab")
RecordType = Literal["LabResult", "LesionMeasurement", "TumourAssessment", "DosingRecord",
                     "AdverseEvent", "ConcomitantMedication", "Death", "Contact", "NewTherapy",
                     "Discontinuation"]
#: The record types a form or group may map to (classes of :mod:`oncotrial.records`).
RECORD_TYPE_NAMES: tuple[str, ...] = tuple(RECORD_TYPES)
#: The visit code of an unscheduled visit, allowed in a schedule without being a protocol visit.
UNSCHEDULED = "UNS"

SNAKE = r"^[a-z][a-z0-9_]*$"
_NUMERIC = frozenset({"integer", "decimal", "lab"})

Problem = tuple[tuple[str | int, ...], str, str]
"""(place relative to the model, what is wrong, how to fix it)."""


def problem(message: str, hint: str = "") -> PydanticCustomError:
    """A validation error that carries its fix; the loader prints both."""
    return PydanticCustomError("forms", "{message}", {"message": message, "hint": hint})


def report(title: str, problems: list[Problem], data: object) -> None:
    """Raise every problem at once, each at its own place (nothing when the list is empty)."""
    if problems:
        raise ValidationError.from_exception_data(title, [
            InitErrorDetails(type=problem(message, hint), loc=loc, input=data)
            for loc, message, hint in problems])


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Label(_Model):
    """A text shown to people, in English and Simplified Chinese; both are required."""

    en: str = Field(description="English text.")
    zh: str = Field(description="Simplified Chinese text.")

    @field_validator("en", "zh")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise problem("the text is empty", "Write the label in both English (en) and "
                                               "Simplified Chinese (zh).")
        return value

    def text(self, lang: str = "en") -> str:
        """The text in ``lang`` (``zh``, ``zh-CN``... give Chinese; anything else English)."""
        return self.zh if lang.lower().startswith("zh") else self.en


class CodeDef(_Model):
    """One entry of a code list: the stored code and its labels."""

    code: str = Field(description="The stored code.")
    en: str = Field(description="English label.")
    zh: str = Field(description="Simplified Chinese label.")

    @field_validator("code")
    @classmethod
    def _plain_code(cls, value: str) -> str:
        if not value.strip() or value != value.strip():
            raise problem(f"code {value!r} is empty or has spaces around it",
                          "Write the code without leading or trailing spaces.")
        if "," in value:
            raise problem(f"code {value!r} contains a comma",
                          "Commas separate several codes in one answer; use another character.")
        return value

    @field_validator("en", "zh")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise problem("the label is empty", "Give the code a label in en and zh.")
        return value

    @property
    def label(self) -> Label:
        """The labels as a :class:`Label`."""
        return Label(en=self.en, zh=self.zh)


class SubjectIds(_Model):
    """How subject ids are made at enrolment: ``pattern`` with ``{n}``, counted from 1.

    >>> SubjectIds(pattern="HCH-{n:03d}").subject_id(7)
    'HCH-007'
    """

    pattern: str = Field(description="Python format text with one field n, e.g. HCH-{n:03d}.")

    @field_validator("pattern")
    @classmethod
    def _formats(cls, value: str) -> str:
        try:
            first, second = value.format(n=1), value.format(n=2)
        except (KeyError, IndexError, ValueError):
            raise problem(f"pattern {value!r} is not a format with the one field {{n}}",
                          "Write it like HCH-{n:03d}.") from None
        if first == second:
            raise problem(f"pattern {value!r} gives the same id for every subject",
                          "Put {n} (or {n:03d}) in it.")
        return value

    def subject_id(self, n: int) -> str:
        """The id of the ``n``-th subject enrolled (n from 1)."""
        return self.pattern.format(n=n)


class Limits(_Model):
    """Lower and upper limits of a number (either may be left out), both inclusive.

    >>> Limits(min=0, max=100).contains(100.0), Limits(min=0.5).contains(0.4)
    (True, False)
    """

    min: float | None = Field(default=None, description="Lowest allowed value (inclusive).")
    max: float | None = Field(default=None, description="Highest allowed value (inclusive).")

    @model_validator(mode="after")
    def _ordered(self) -> Limits:
        if self.min is None and self.max is None:
            raise problem("limits need min, max or both", "Add min: or max:, or remove this.")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise problem(f"min {self.min:g} is above max {self.max:g}", "Swap them.")
        return self

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies within the limits."""
        return not ((self.min is not None and value < self.min)
                    or (self.max is not None and value > self.max))

    def describe(self) -> str:
        """The limits in words, e.g. ``from 0 to 100``."""
        if self.min is not None and self.max is not None:
            return f"from {self.min:g} to {self.max:g}"
        return f"at least {self.min:g}" if self.min is not None else f"at most {self.max:g}"


class When(_Model):
    """A condition on another item: its answer is one of ``in``."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    item: str = Field(description="Item id whose answer is tested.")
    in_: list[str] = Field(alias="in", min_length=1,
                           description="Answers (codes, yes/no) for which the condition holds.")


Op = Literal["<", "<=", "==", "!=", ">=", ">"]
_SCALARS = (bool, int, float, dt.date, str)


def _scalar_problem(loc: tuple[str | int, ...], value: object) -> list[Problem]:
    if value is None or isinstance(value, _SCALARS):
        return []
    return [(loc, f"{value!r} is not a single value",
             "Give one text, number, yes/no or date (YYYY-MM-DD).")]


class CheckDef(_Model):
    """A cross-field check of one form: ``compare`` two answers, or ``required_if``."""

    id: str = Field(pattern=SNAKE, description="Unique in the form, snake_case.")
    kind: Literal["compare", "required_if"] = Field(description="What the check does.")
    left: str | None = Field(default=None, description="compare: the item on the left.")
    op: Op | None = Field(default=None, description="compare: the comparison.")
    right: str | None = Field(default=None, description="compare: the item on the right.")
    value: Any = Field(
        default=None, description="compare: a fixed value on the right, instead of right.")
    item: str | None = Field(default=None, description="required_if: the item that is required.")
    when: When | None = Field(default=None, description="required_if: when it is required.")
    severity: Literal["error", "warning"] = Field(
        default="error", description="error refuses the save; warning saves and raises a query.")
    message: Label = Field(description="What is wrong, for the person entering the data.")

    @model_validator(mode="after")
    def _complete(self) -> CheckDef:
        needs = {"compare": ("left", "op"), "required_if": ("item", "when")}[self.kind]
        refuses = {"compare": ("item", "when"),
                   "required_if": ("left", "op", "right", "value")}[self.kind]
        problems: list[Problem] = [
            ((name,), f"a {self.kind} check needs {name!r}", f"Add {name}:.")
            for name in needs if getattr(self, name) is None]
        problems += [((name,), f"a {self.kind} check has no {name!r}", "Remove it.")
                     for name in refuses if getattr(self, name) is not None]
        problems += _scalar_problem(("value",), self.value)
        if self.kind == "compare" and (self.right is None) == (self.value is None):
            problems.append((("right",), "a compare check needs exactly one of right and value",
                             "Name the other item in right:, or give a fixed value:."))
        report("CheckDef", problems, self)
        return self

    def item_ids(self) -> tuple[str, ...]:
        """Every item the check reads or requires."""
        names = (self.left, self.right, self.item, self.when.item if self.when else None)
        return tuple(n for n in names if n is not None)


class RecordMap(_Model):
    """Where a form's (or a group row's) answers go: one shared record of
    :mod:`oncotrial.records` (or, with ``per_item``, one LabResult per ``lab`` item)."""

    type: RecordType = Field(description="The record class of oncotrial.records.")
    per_item: bool = Field(default=False,
                           description="LabResult only: every lab item gives one result.")
    date: str | None = Field(default=None,
                             description="per_item: the date item that dates every result.")
    fields: dict[str, str] = Field(default_factory=dict,
                                   description="Record field -> item id that gives it.")
    constants: dict[str, Any] = Field(
        default_factory=dict, description="Record field -> fixed value.")
    when: When | None = Field(default=None,
                              description="Make the record only when this condition holds.")

    @model_validator(mode="after")
    def _fits_the_record(self) -> RecordMap:
        problems = _per_item_problems(self)
        if not self.per_item:
            problems += _field_problems(self)
        report("RecordMap", problems, self)
        return self


def _per_item_problems(rec: RecordMap) -> list[Problem]:
    if rec.type == "LabResult" and not rec.per_item:
        return [(("per_item",), "a LabResult mapping works per lab item",
                 "Set per_item: true and date: <the date item>.")]
    if rec.per_item and rec.type != "LabResult":
        return [(("per_item",), f"per_item is for LabResult, not {rec.type}", "Remove it.")]
    if rec.per_item:
        problems: list[Problem] = []
        if rec.date is None:
            problems.append((("date",), "a per-item LabResult mapping needs the date item",
                             "Add date: <id of the collection date item>."))
        for name in ("fields", "constants"):
            if getattr(rec, name):
                problems.append(((name,), f"a per-item LabResult mapping takes no {name}",
                                 "Remove it: analyte, value, unit and limits come from each "
                                 "lab item."))
        return problems
    if rec.date is not None:
        return [(("date",), "date is for per-item LabResult mappings",
                 "Map the date as a field instead, e.g. fields: {onset_on: onset_date}.")]
    return []


def _field_problems(rec: RecordMap) -> list[Problem]:
    types = record_field_types(rec.type)
    problems: list[Problem] = []
    for group in ("fields", "constants"):
        for name in getattr(rec, group):
            if name == "subject_id":
                problems.append(((group, name), "subject_id is filled in for every record",
                                 "Remove it."))
            elif name not in types:
                problems.append(((group, name), f"{rec.type} has no field {name!r}",
                                 closest(name, types)))
    for name in set(rec.fields) & set(rec.constants):
        problems.append((("constants", name), f"{name!r} is given both as a field and a constant",
                         "Keep one of them."))
    for name, value in rec.constants.items():
        if name in types:
            problems += _constant_problem(rec.type, name, types[name], value)
    missing = sorted(required_record_fields(rec.type) - set(rec.fields) - set(rec.constants))
    if missing:
        problems.append((("fields",), f"{rec.type} needs {', '.join(missing)}",
                         "Map each to an item in fields:, or give it in constants:."))
    return problems


def _constant_problem(type_name: str, name: str, tp: Any, value: object) -> list[Problem]:
    if value is None or not isinstance(value, _SCALARS):
        return [(("constants", name), f"{value!r} does not fit {type_name}.{name}: a constant "
                 "is one value", "Give one text, number, yes/no or date (YYYY-MM-DD).")]
    try:
        coerce(tp, value)
    except ValueError as exc:
        return [(("constants", name), f"{value!r} does not fit {type_name}.{name}: {exc}",
                 "Correct the constant.")]
    return []


class ItemDef(_Model):
    """One question of a form: its type, label, and what a valid answer is."""

    id: str = Field(pattern=SNAKE, description="Unique in the form, snake_case.")
    type: ItemType = Field(description="What kind of answer.")
    label: Label = Field(description="The question.")
    required: bool = Field(default=False, description="The form cannot be saved without it.")
    help: Label | None = Field(default=None, description="Help text shown with the question.")
    not_future: bool = Field(default=False, description="Dates only: refuse a date after today.")
    none_allowed: bool = Field(default=False,
                               description="Dates only: the answer 'none' is allowed.")
    code_list: str | None = Field(default=None, description="code items: a key of code_lists.")
    multiple: bool = Field(default=False,
                           description="code items: several codes, comma separated.")
    analyte: str | None = Field(default=None,
                                description="lab (and decimal) items: analyte key of "
                                            "oncotrial.clinical; lab default: the item id.")
    units: list[str] = Field(default_factory=list,
                             description="Allowed units, the first is the default.")
    range: Limits | None = Field(default=None,
                                 description="Hard limits in the first unit: refuse the save.")
    expected: Limits | None = Field(
        default=None, description="Soft limits in the first unit: save and raise a query.")
    screening: str | None = Field(default=None,
                                  description="Dotted path in the screening record.")
    subject: Literal["measurable_disease_at_baseline", "sex"] | None = Field(
        default=None, description="Feeds this field of the Subject record.")

    @model_validator(mode="after")
    def _consistent(self) -> ItemDef:
        problems = _option_problems(self) + _unit_problems(self)
        report("ItemDef", problems, self)
        return self

    @property
    def analyte_name(self) -> str | None:
        """The analyte as declared (``analyte``, or the id of a lab item), or None."""
        if self.analyte is not None:
            return self.analyte
        return self.id if self.type == "lab" else None

    @property
    def default_unit(self) -> str:
        """The first allowed unit, or ``""`` when the item has none."""
        return self.units[0] if self.units else ""


_ONLY_FOR: dict[str, tuple[frozenset[str], str]] = {
    "not_future": (frozenset({"date", "datetime"}), "date and datetime items"),
    "none_allowed": (frozenset({"date"}), "date items"),
    "multiple": (frozenset({"code"}), "code items"),
    "code_list": (frozenset({"code"}), "code items"),
    "analyte": (frozenset({"lab", "decimal"}), "lab and decimal items"),
    "units": (frozenset({"lab", "decimal"}), "lab and decimal items"),
    "range": (_NUMERIC, "integer, decimal and lab items"),
    "expected": (_NUMERIC, "integer, decimal and lab items"),
}


def _option_problems(item: ItemDef) -> list[Problem]:
    problems: list[Problem] = [
        ((name,), f"{name} is for {what}, not a {item.type} item", "Remove it.")
        for name, (types, what) in _ONLY_FOR.items()
        if getattr(item, name) and item.type not in types]
    if item.type == "code" and item.code_list is None:
        problems.append((("code_list",), "a code item needs its code list",
                         "Add code_list: <a key of code_lists>."))
    if item.subject == "sex" and item.type != "code":
        problems.append((("subject",), "sex is fed by a code item", "Make the item a code item "
                                                                    "with a code list of M, F."))
    if item.subject == "measurable_disease_at_baseline" and item.type not in ("boolean", "code"):
        problems.append((("subject",), "measurable disease is a yes/no answer",
                         "Make the item a boolean item."))
    return problems


def _unit_problems(item: ItemDef) -> list[Problem]:
    if item.type not in ("lab", "decimal"):
        return []
    duplicates = sorted({u for u in item.units if item.units.count(u) > 1})
    if duplicates:
        return [(("units",), f"unit {duplicates[0]!r} is listed twice", "List each unit once.")]
    analyte = item.analyte_name
    if analyte is None:
        if len(item.units) > 1 and (item.range or item.expected):
            return [(("analyte",), "limits in the first unit need an analyte to convert the "
                                   "other units", "Add analyte: <key>, or keep one unit.")]
        return []
    try:
        key = analyte_key(analyte)
    except UnknownTermError as exc:
        if item.analyte is None:
            return [(("analyte",), f"a lab item's analyte is its id, and {analyte!r} is not an "
                     "analyte of oncotrial.clinical",
                     f"Add analyte: <key> (docs/clinical.md). {exc.hint or ''}".strip())]
        return [(("analyte",), f"{analyte!r} is not an analyte of oncotrial.clinical",
                 exc.hint or "Set analyte: to an analyte key (docs/clinical.md).")]
    return _analyte_unit_problems(item, key)


def _analyte_unit_problems(item: ItemDef, key: str) -> list[Problem]:
    accepted = accepted_units(key)
    if not item.units:
        if accepted[0] == "1":
            return []
        return [(("units",), f"a {key} result needs its units",
                 f"Add units: [{', '.join(accepted)}] (the first is the default).")]
    problems: list[Problem] = []
    for i, unit in enumerate(item.units):
        normal = normalise_unit(unit)
        if normal not in accepted:
            problems.append((("units", i), f"{unit!r} is not a unit of {key}",
                             f"Accepted units: {', '.join(accepted)}."))
    if problems or not (item.range or item.expected):
        return problems
    for i, unit in enumerate(item.units[1:], start=1):
        try:
            convert(1.0, unit, item.units[0], analyte=key)
        except UnitError:
            problems.append((("units", i), f"{key} in {unit} cannot be converted to "
                                           f"{item.units[0]}, so limits in the first unit "
                                           "cannot apply to it",
                             "Remove range/expected, or keep one unit."))
    return problems


class GroupDef(_Model):
    """A repeating group: rows of the same items (lesions, medications, ECG tracings)."""

    id: str = Field(pattern=SNAKE, description="Unique in the form, snake_case.")
    label: Label = Field(description="Title of the group.")
    min_rows: int = Field(default=0, ge=0, description="Fewest rows allowed.")
    max_rows: int | None = Field(default=None, ge=1, description="Most rows allowed.")
    screening: str | None = Field(default=None,
                                  description="Path of a list in the screening record.")
    record: RecordMap | None = Field(default=None, description="Each row gives one record.")
    items: list[ItemDef] = Field(min_length=1, description="The items of one row.")

    @model_validator(mode="after")
    def _rows(self) -> GroupDef:
        if self.max_rows is not None and self.min_rows > self.max_rows:
            raise problem(f"min_rows {self.min_rows} is above max_rows {self.max_rows}",
                          "Swap them.")
        return self


class SectionDef(_Model):
    """A titled part of a form with its items and repeating groups."""

    id: str = Field(pattern=SNAKE, description="Unique in the form, snake_case.")
    label: Label = Field(description="Title of the section.")
    items: list[ItemDef] = Field(default_factory=list, description="Items outside groups.")
    groups: list[GroupDef] = Field(default_factory=list, description="Repeating groups.")

    @model_validator(mode="after")
    def _not_empty(self) -> SectionDef:
        if not self.items and not self.groups:
            raise problem("the section has no items and no groups", "Add items or remove it.")
        return self


class FormDef(_Model):
    """One case report form: sections of items and groups, checks, and its record mapping.

    >>> form = FormDef.model_validate({
    ...     "id": "vitals", "label": {"en": "Vital signs", "zh": "生命体征"},
    ...     "sections": [{"id": "main", "label": {"en": "Vital signs", "zh": "生命体征"},
    ...                   "items": [{"id": "weight", "type": "decimal", "units": ["kg"],
    ...                              "label": {"en": "Weight", "zh": "体重"}}]}]})
    >>> [(group, item.id) for group, item in form.items()]
    [('', 'weight')]
    """

    id: str = Field(pattern=SNAKE, description="Unique in the file, snake_case.")
    label: Label = Field(description="Title of the form.")
    record: RecordMap | None = Field(default=None,
                                     description="The form gives one record (or lab results).")
    sections: list[SectionDef] = Field(min_length=1, description="The parts of the form.")
    checks: list[CheckDef] = Field(default_factory=list, description="Cross-field checks.")

    # The look-up tables are cached properties, not pydantic private attributes: a private
    # attribute is read through BaseModel.__getattr__ (about 1.5-3 us a read, measured with
    # pydantic 2.14), and exporting 5,000 subjects reads them about a million times. A cached
    # property lives in the instance's __dict__ and is neither a field nor compared.
    @functools.cached_property
    def _items(self) -> dict[str, tuple[str, ItemDef]]:
        out: dict[str, tuple[str, ItemDef]] = {}
        for group_id, item in self.items():
            out.setdefault(item.id, (group_id, item))
        return out

    @functools.cached_property
    def _groups(self) -> dict[str, GroupDef]:
        out: dict[str, GroupDef] = {}
        for section in self.sections:
            for group in section.groups:
                out.setdefault(group.id, group)
        return out

    def items(self) -> Iterator[tuple[str, ItemDef]]:
        """Every item with its group id (``""`` outside groups), in the order of the form."""
        for section in self.sections:
            for item in section.items:
                yield "", item
            for group in section.groups:
                for item in group.items:
                    yield group.id, item

    def groups(self) -> tuple[GroupDef, ...]:
        """Every repeating group, in the order of the form."""
        return tuple(self._groups.values())

    def item(self, item_id: str) -> ItemDef:
        """The item ``item_id``.

        Raises:
            UnknownTermError: the form has no such item (with the closest ids).
        """
        return self._lookup(item_id)[1]

    def group_of(self, item_id: str) -> str:
        """The group id of item ``item_id`` (``""`` outside groups)."""
        return self._lookup(item_id)[0]

    def group(self, group_id: str) -> GroupDef:
        """The repeating group ``group_id``.

        Raises:
            UnknownTermError: the form has no such group.
        """
        try:
            return self._groups[group_id]
        except KeyError:
            raise UnknownTermError(
                "group", group_id, message=f"Form {self.id!r} has no group {group_id!r}.",
                hint=closest(group_id, self._groups)) from None

    def _lookup(self, item_id: str) -> tuple[str, ItemDef]:
        try:
            return self._items[item_id]
        except KeyError:
            raise UnknownTermError(
                "item", item_id, message=f"Form {self.id!r} has no item {item_id!r}.",
                hint=closest(item_id, self._items)) from None

    def has_item(self, item_id: str) -> bool:
        """Whether the form has an item ``item_id``."""
        return item_id in self._items


class FormSet(_Model):
    """Every form of one trial: the whole forms file. See ``docs/forms.md``."""

    forms_version: Literal[1] = Field(description="Version of the file format.")
    protocol: str = Field(min_length=1, description="Registry id of the protocol.")
    version: str = Field(min_length=1, description="Version of this form set.")
    subject_ids: SubjectIds = Field(description="How subject ids are made at enrolment.")
    code_lists: dict[str, list[CodeDef]] = Field(default_factory=dict,
                                                 description="Named lists of codes.")
    schedule: dict[str, list[str]] = Field(description="Visit code -> form ids at that visit.")
    log_forms: list[str] = Field(default_factory=list,
                                 description="Subject-level forms, not tied to a visit.")
    forms: list[FormDef] = Field(min_length=1, description="The forms.")

    @functools.cached_property
    def _forms(self) -> dict[str, FormDef]:
        # A cached property rather than a private attribute: see FormDef._items.
        out: dict[str, FormDef] = {}
        for form in self.forms:
            out.setdefault(form.id, form)
        return out

    @model_validator(mode="after")
    def _consistent(self) -> FormSet:
        report("FormSet", _integrity.problems(self), self)
        return self

    def form(self, form_id: str) -> FormDef:
        """The form ``form_id``.

        Raises:
            UnknownTermError: there is no such form (with the closest ids).
        """
        try:
            return self._forms[form_id]
        except KeyError:
            raise UnknownTermError("form", form_id, message=f"There is no form {form_id!r}.",
                                   hint=closest(form_id, self._forms)) from None

    def forms_at(self, visit_code: str) -> tuple[FormDef, ...]:
        """The forms collected at visit ``visit_code``, in schedule order (none for a visit
        the schedule does not list)."""
        return tuple(self._forms[f] for f in self.schedule.get(visit_code, ()))

    def log(self) -> tuple[FormDef, ...]:
        """The subject-level (log) forms."""
        return tuple(self._forms[f] for f in self.log_forms)

    def code_list(self, name: str) -> tuple[CodeDef, ...]:
        """The code list ``name``.

        Raises:
            UnknownTermError: there is no such code list.
        """
        try:
            return tuple(self.code_lists[name])
        except KeyError:
            raise UnknownTermError("code list", name, message=f"There is no code list {name!r}.",
                                   hint=closest(name, self.code_lists)) from None

    def item_count(self) -> int:
        """How many items all forms have together (group items counted once)."""
        return sum(1 for form in self.forms for _ in form.items())
