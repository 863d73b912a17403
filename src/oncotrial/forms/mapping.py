"""The one mapping from stored form data to the shared records (core, pure).

Everything the core derives (eligibility, grades, responses, endpoint dates, dose
recommendations) is computed from what the forms store, through these two functions:

* :func:`records_for` gives a subject's :class:`SubjectRecords`: the :class:`Subject` once
  enrolled, and every record the forms' ``record:`` entries declare (lab results, lesions,
  tumour assessments, dosing, adverse events, concomitant medications, deaths, contacts,
  new therapies, discontinuations).
* :func:`screening_record` gives the :class:`~oncotrial.eligibility.ScreeningRecord` the
  eligibility engine reads, from the ``screening:`` paths.

Rules: a record is made when at least one of its mapped items is answered (and its ``when``
condition holds); codes become the record's enums (``possible`` ->
``Relationship.POSSIBLE``); a date answered "none" is no date. Every visit with a date is a
:class:`Contact` (``source="visit"``). The subject's sex and measurable disease come from the
items marked ``subject:``; without an answer, disease counts as measurable when a target lesion
was recorded (RECIST 1.1 section 3.1: measurable disease is at least one target lesion).

Stored data that cannot make a record raise :class:`~oncotrial.errors.InputError` naming the
subject, the form and the item.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ValidationError

from oncotrial.eligibility import ScreeningRecord
from oncotrial.errors import InputError
from oncotrial.forms._targets import (
    RECORD_TYPES,
    coerce,
    entry_model,
    list_row_model,
    nullable_fields,
    record_field_types,
    required_record_fields,
    screening_target,
    to_enum,
)
from oncotrial.forms.model import FormDef, FormSet, ItemDef, RecordMap, When
from oncotrial.forms.values import Entry, FormData, rows_of, typed_value
from oncotrial.records import (
    AdverseEvent,
    ConcomitantMedication,
    Contact,
    Death,
    Discontinuation,
    DosingRecord,
    LabResult,
    LesionMeasurement,
    NewTherapy,
    Sex,
    Subject,
    TumourAssessment,
)

__all__ = ["FormRecord", "SubjectForms", "SubjectRecords", "records_for", "screening_record"]


@dataclass(frozen=True, slots=True)
class FormRecord:
    """One stored form instance: which form, at which visit (None for a log form), its data."""

    form_id: str
    visit_code: str | None
    visit_date: dt.date | None
    data: FormData


@dataclass(frozen=True, slots=True)
class SubjectForms:
    """Everything stored for one subject: enrolment date (None before enrolment), site and
    form instances in the order they should apply (a later answer replaces an earlier one)."""

    subject_id: str
    enrolled_on: dt.date | None
    instances: Sequence[FormRecord]
    site_id: str = ""


@dataclass(frozen=True, slots=True)
class SubjectRecords:
    """The shared records of one subject, as the core packages read them."""

    subject: Subject | None
    labs: tuple[LabResult, ...] = ()
    lesions: tuple[LesionMeasurement, ...] = ()
    assessments: tuple[TumourAssessment, ...] = ()
    dosing: tuple[DosingRecord, ...] = ()
    adverse_events: tuple[AdverseEvent, ...] = ()
    conmeds: tuple[ConcomitantMedication, ...] = ()
    deaths: tuple[Death, ...] = ()
    contacts: tuple[Contact, ...] = ()
    new_therapies: tuple[NewTherapy, ...] = ()
    discontinuations: tuple[Discontinuation, ...] = ()


#: Record type -> the field of :class:`SubjectRecords` that collects it.
BUCKETS: dict[str, str] = {
    "LabResult": "labs", "LesionMeasurement": "lesions", "TumourAssessment": "assessments",
    "DosingRecord": "dosing", "AdverseEvent": "adverse_events",
    "ConcomitantMedication": "conmeds", "Death": "deaths", "Contact": "contacts",
    "NewTherapy": "new_therapies", "Discontinuation": "discontinuations"}


@dataclass(frozen=True, slots=True)
class _Scope:
    """The answers one record reads: a group row and the form's items outside groups."""

    subject_id: str
    form: FormDef
    instance: FormRecord
    group: str = ""
    row: int = 0

    def entry(self, item_id: str) -> Entry | None:
        group = self.form.group_of(item_id)
        return self.instance.data.get((group, self.row if group else 0, item_id))

    def typed(self, item_id: str) -> object:
        item = self.form.item(item_id)
        try:
            return typed_value(item, self.entry(item_id))
        except InputError as exc:
            raise self.error(exc.message, item_id, exc.hint) from None

    def where(self, item_id: str | None = None) -> str:
        visit = f" at {self.instance.visit_code}" if self.instance.visit_code else ""
        row = f", row {self.row}" if self.group else ""
        item = f", item {item_id}" if item_id else ""
        return f"Subject {self.subject_id}, form {self.form.id}{visit}{row}{item}"

    def error(self, message: str, item_id: str | None, hint: str | None) -> InputError:
        return InputError(f"{self.where(item_id)}: {message}", field=item_id,
                          value=self.form.id, hint=hint)


def records_for(forms: FormSet, subject: SubjectForms) -> SubjectRecords:
    """The shared records of one subject from its stored forms.

    Raises:
        InputError: stored data cannot make a record (names the subject, form and item).

    >>> from oncotrial.forms.loader import parse_forms
    >>> forms = parse_forms(DEMO_FORMS)
    >>> stored = SubjectForms("HCH-001", dt.date(2026, 3, 2), [FormRecord(
    ...     "death", None, None, {("", 0, "died_on"): Entry("2026-09-01")})])
    >>> records_for(forms, stored).deaths
    (Death(subject_id='HCH-001', died_on=datetime.date(2026, 9, 1), cause=''),)
    """
    buckets: dict[str, list[Any]] = {name: [] for name in BUCKETS.values()}
    for instance in subject.instances:
        form = _form(forms, subject.subject_id, instance)
        for type_name, record in _instance_records(form, subject.subject_id, instance):
            buckets[BUCKETS[type_name]].append(record)
        if instance.visit_code is not None and instance.visit_date is not None:
            buckets["contacts"].append(Contact(subject.subject_id, instance.visit_date, "visit"))
    buckets["contacts"] = list(dict.fromkeys(buckets["contacts"]))  # one per visit and day
    return SubjectRecords(_subject(forms, subject, buckets["lesions"]),
                          **{name: tuple(records) for name, records in buckets.items()})


def _form(forms: FormSet, subject_id: str, instance: FormRecord) -> FormDef:
    try:
        return forms.form(instance.form_id)
    except InputError as exc:
        raise InputError(f"Subject {subject_id}: stored form {instance.form_id!r} is not in "
                         f"form set {forms.version}.", field="form_id", value=instance.form_id,
                         hint=exc.hint) from None


def _instance_records(form: FormDef, subject_id: str,
                      instance: FormRecord) -> Iterator[tuple[str, object]]:
    if form.record is not None:
        yield from _records(form.record, _Scope(subject_id, form, instance))
    for group in form.groups():
        if group.record is None:
            continue
        for row in rows_of(instance.data, group.id):
            scope = _Scope(subject_id, form, instance, group.id, row)
            yield from _records(group.record, scope)


def _records(rec: RecordMap, scope: _Scope) -> Iterator[tuple[str, object]]:
    if rec.when is not None and not _holds(rec.when, scope):
        return
    if rec.per_item:
        for lab in _lab_results(rec, scope):
            yield "LabResult", lab
        return
    record = _record(rec, scope)
    if record is not None:
        yield rec.type, record


def _holds(when: When, scope: _Scope) -> bool:
    entry = scope.entry(when.item)
    if entry is None or entry.value is None:
        return False
    answers = {part.strip() for part in entry.value.split(",")}
    return bool(answers & set(when.in_))


def _lab_items(scope: _Scope) -> Iterator[ItemDef]:
    for group, item in scope.form.items():
        if item.type == "lab" and group == scope.group:
            yield item


def _lab_results(rec: RecordMap, scope: _Scope) -> Iterator[LabResult]:
    answered = [i for i in _lab_items(scope) if _answered(scope.entry(i.id))]
    if not answered:
        return
    collected_on = scope.typed(rec.date or "")
    if not isinstance(collected_on, dt.date):
        raise scope.error("the laboratory results have no collection date.", rec.date,
                          "Enter the date the samples were collected.")
    for item in answered:
        entry = scope.entry(item.id)
        assert entry is not None
        value = scope.typed(item.id)
        assert isinstance(value, Decimal)
        try:
            yield LabResult(scope.subject_id, item.analyte_name or item.id, float(value),
                            "" if entry.unit in ("", "1") else entry.unit, entry.lln,
                            entry.uln, collected_on)
        except InputError as exc:
            raise scope.error(exc.message, item.id, exc.hint) from None


def _answered(entry: Entry | None) -> bool:
    return entry is not None and entry.value is not None and bool(entry.value.strip())


def _record(rec: RecordMap, scope: _Scope) -> object | None:
    if rec.fields and not any(_answered(scope.entry(i)) for i in rec.fields.values()):
        return None
    types = record_field_types(rec.type)
    values: dict[str, object] = {}
    for name, item_id in rec.fields.items():
        values[name] = _field_value(scope, types[name], item_id)
    for name, constant in rec.constants.items():
        values[name] = coerce(types[name], constant)
    missing = [n for n in sorted(required_record_fields(rec.type) - nullable_fields(rec.type))
               if values.get(n) is None]
    if missing:
        raise scope.error(f"{rec.type} needs {', '.join(missing)}, which "
                          f"{'has' if len(missing) == 1 else 'have'} no answer.",
                          rec.fields.get(missing[0]),
                          "Enter the answer, or clear the other answers of this record.")
    if "visit" in types and "visit" not in values:
        values["visit"] = scope.instance.visit_code or ""
    nullable = nullable_fields(rec.type)
    return _construct(rec, scope, {k: v for k, v in values.items()
                                   if v is not None or k in nullable})


def _field_value(scope: _Scope, tp: Any, item_id: str) -> object:
    value = scope.typed(item_id)
    if value == "none" and scope.form.item(item_id).type == "date":
        return None
    try:
        return coerce(tp, value)
    except ValueError as exc:
        raise scope.error(str(exc), item_id, "Correct the answer.") from None


def _construct(rec: RecordMap, scope: _Scope, values: dict[str, Any]) -> object:
    try:
        if rec.type == "AdverseEvent":
            core = [values.pop(n) for n in ("term", "verbatim", "onset_on", "grade")]
            return AdverseEvent.new(scope.subject_id, *core, **values)
        return RECORD_TYPES[rec.type](subject_id=scope.subject_id, **values)
    except InputError as exc:
        item_id = rec.fields.get(exc.field or "")
        raise scope.error(exc.message, item_id, exc.hint) from None


def _subject(forms: FormSet, subject: SubjectForms,
             lesions: Iterable[LesionMeasurement]) -> Subject | None:
    if subject.enrolled_on is None:
        return None
    answers: dict[str, object] = {}
    for instance in subject.instances:
        form = _form(forms, subject.subject_id, instance)
        scope = _Scope(subject.subject_id, form, instance)
        for group, item in form.items():
            if item.subject is not None and not group:
                value = scope.typed(item.id)
                if value is not None:
                    answers[item.subject] = _subject_value(scope, item, value)
    measurable = answers.get("measurable_disease_at_baseline")
    if measurable is None:
        measurable = any(lesion.kind == "target" for lesion in lesions)
    sex = answers.get("sex")
    return Subject(subject.subject_id, subject.enrolled_on, bool(measurable),
                   sex=sex if isinstance(sex, Sex) else None, site_id=subject.site_id)


def _subject_value(scope: _Scope, item: ItemDef, value: object) -> object:
    try:
        if item.subject == "sex":
            return to_enum(Sex, value)
        return coerce(bool, value)
    except ValueError as exc:
        raise scope.error(str(exc), item.id, "Correct the answer.") from None


# --- the screening record --------------------------------------------------------------------


def screening_record(forms: FormSet, subject_id: str,
                     instances: Iterable[FormRecord]) -> ScreeningRecord:
    """The screening record of one subject from its screening forms' ``screening:`` paths.

    Lab items give ``{value, unit, lln, uln}`` (and ``collected_on``, the date of the form's
    lab results); a date answered "none" gives ``none``; a group gives a list of rows; a path
    ending in ``[]`` splits the answer on commas into a list. Later instances replace earlier
    answers at the same path.

    Raises:
        InputError: the answers do not make a valid screening record (names the forms and
            items), or stored data do not parse.

    >>> from oncotrial.forms.loader import parse_forms
    >>> forms = parse_forms(DEMO_FORMS)
    >>> record = screening_record(forms, "SCR-001", [FormRecord("ecog", "SCR", None,
    ...                                              {("", 0, "ecog"): Entry("1")})])
    >>> record.subject_id, record.ecog
    ('SCR-001', 1)
    """
    doc: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for instance in instances:
        form = _form(forms, subject_id, instance)
        scope = _Scope(subject_id, form, instance)
        for path, value, item_id in _screening_values(scope):
            _put(doc, path.split("."), value)
            sources[path] = f"{form.id}.{item_id}"
    doc["subject_id"] = subject_id
    try:
        return ScreeningRecord.model_validate(doc)
    except ValidationError as exc:
        raise _screening_error(subject_id, exc, sources) from None


def _screening_values(scope: _Scope) -> Iterator[tuple[str, object, str]]:
    collected_on = _lab_date(scope)
    for group, item in scope.form.items():
        if item.screening is None or group:
            continue
        path = item.screening.removesuffix("[]")
        value = _screening_value(scope, item, screening_target(path), collected_on)
        if value is not None:
            yield path, value, item.id
    for group_def in scope.form.groups():
        if group_def.screening is None:
            continue
        row_model = list_row_model(screening_target(group_def.screening))
        rows = [_screening_row(_Scope(scope.subject_id, scope.form, scope.instance,
                                      group_def.id, row), row_model, collected_on)
                for row in rows_of(scope.instance.data, group_def.id)]
        yield group_def.screening, rows, group_def.id


def _screening_row(scope: _Scope, row_model: type[BaseModel] | None,
                   collected_on: dt.date | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in scope.form.group(scope.group).items:
        if item.screening is None or row_model is None:
            continue
        path = item.screening.removesuffix("[]")
        value = _screening_value(scope, item, screening_target(path, row_model), collected_on)
        if value is not None:
            _put(out, path.split("."), value)
    return out


def _lab_date(scope: _Scope) -> dt.date | None:
    rec = scope.form.record
    if rec is None or not rec.per_item or rec.date is None:
        return None
    value = scope.typed(rec.date)
    return value if isinstance(value, dt.date) else None


def _screening_value(scope: _Scope, item: ItemDef, annotation: Any,
                     collected_on: dt.date | None) -> object:
    value = scope.typed(item.id)
    if value is None:
        return None
    if (item.screening or "").endswith("[]"):
        parts = value if isinstance(value, list) else str(value).split(",")
        return [str(p).strip() for p in parts if str(p).strip()]
    number = float(value) if isinstance(value, Decimal) else value
    model = entry_model(annotation) if item.type == "lab" else None
    if model is None:
        return ",".join(number) if isinstance(number, list) else number
    entry = scope.entry(item.id)
    assert entry is not None
    full = {"value": number, "unit": entry.unit, "lln": entry.lln, "uln": entry.uln,
            "collected_on": collected_on}
    return {k: v for k, v in full.items() if k in model.model_fields and v is not None}


def _put(doc: dict[str, Any], parts: list[str], value: object) -> None:
    """Set ``value`` at the path ``parts`` of nested dicts, merging with a mapping there."""
    node = doc
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    last = parts[-1]
    if isinstance(value, dict) and isinstance(node.get(last), dict):
        node[last] = {**node[last], **value}
    else:
        node[last] = value


def _screening_error(subject_id: str, exc: ValidationError,
                     sources: Mapping[str, str]) -> InputError:
    lines = []
    for error in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in error["loc"])
        source = _source_of(loc, sources)
        lines.append(f"{source or loc}: {error['msg']}")
    return InputError(
        f"The screening answers of subject {subject_id} do not make a screening record: "
        + "; ".join(lines) + ".", field="screening", value=subject_id,
        hint="Correct these answers on the screening forms.")


def _source_of(loc: str, sources: Mapping[str, str]) -> str | None:
    best = max((p for p in sources if loc == p or loc.startswith(p + ".")), key=len, default="")
    return f"form {sources[best]} ({loc})" if best else None


#: A small forms file for the examples in this module's docstrings.
DEMO_FORMS = """
forms_version: 1
protocol: DEMO-1
version: "1.0"
subject_ids: {pattern: "D-{n:03d}"}
schedule: {SCR: [ecog]}
log_forms: [death]
forms:
  - id: ecog
    label: {en: ECOG, zh: ECOG评分}
    sections:
      - id: main
        label: {en: ECOG, zh: ECOG评分}
        items:
          - {id: ecog, type: integer, label: {en: ECOG, zh: ECOG评分}, screening: ecog,
             range: {min: 0, max: 5}}
  - id: death
    label: {en: Death, zh: 死亡}
    record: {type: Death, fields: {died_on: died_on}}
    sections:
      - id: main
        label: {en: Death, zh: 死亡}
        items:
          - {id: died_on, type: date, required: true, label: {en: Date of death, zh: 死亡日期}}
"""
