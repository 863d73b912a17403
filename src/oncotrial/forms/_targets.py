"""Where form values go: the shared record types, the screening record's paths, and the one
conversion from a form's typed value to a record field (core, no I/O).

The loader uses these to refuse a forms file whose ``record:``, ``subject:`` or ``screening:``
entries cannot work; :mod:`oncotrial.forms.mapping` uses the same functions to build records,
so what loads is what maps.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import functools
import types
import typing
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError

from oncotrial.eligibility import ScreeningRecord
from oncotrial.errors import InputError
from oncotrial.records import (
    AdverseEvent,
    ConcomitantMedication,
    Contact,
    Death,
    Discontinuation,
    DosingRecord,
    Grade,
    LabResult,
    LesionMeasurement,
    NewTherapy,
    TumourAssessment,
)

__all__ = [
    "AUTOMATIC_FIELDS",
    "RECORD_TYPES",
    "accepts",
    "closest",
    "coerce",
    "entry_model",
    "list_row_model",
    "nullable_fields",
    "record_field_types",
    "required_record_fields",
    "screening_target",
    "to_enum",
]

#: ``record.type`` names to the shared record classes of :mod:`oncotrial.records`.
RECORD_TYPES: dict[str, type[Any]] = {
    cls.__name__: cls for cls in (
        LabResult, LesionMeasurement, TumourAssessment, DosingRecord, AdverseEvent,
        ConcomitantMedication, Death, Contact, NewTherapy, Discontinuation)}

#: Fields the mapping fills itself: the subject, and the visit code of a tumour assessment.
AUTOMATIC_FIELDS = frozenset({"subject_id"})

#: Fields that are not entered on a form (the AE grade history is built from ``grade``).
_HIDDEN = {"AdverseEvent": frozenset({"grade_history", "event_id"})}


def closest(name: str, candidates: Iterable[str]) -> str:
    """A 'Did you mean ...?' sentence, or what is allowed when nothing is close.

    >>> closest("haematolgy", ["haematology", "chemistry"])
    "Did you mean 'haematology'?"
    >>> closest("zzz", ["b", "a"])
    'Allowed: a, b.'
    """
    options = sorted(set(candidates))
    match = difflib.get_close_matches(name, options, n=1, cutoff=0.5)
    if match:
        return f"Did you mean {match[0]!r}?"
    if not options:
        return "There is nothing to choose from here."
    shown = ", ".join(options[:12]) + (", ..." if len(options) > 12 else "")
    return f"Allowed: {shown}."


def _unwrap_optional(tp: Any) -> Any:
    """``X | None`` -> X (one non-None member); anything else unchanged."""
    if get_origin(tp) in (typing.Union, types.UnionType):
        members = [a for a in get_args(tp) if a is not type(None)]
        if len(members) == 1:
            return members[0]
    return tp


def record_field_types(type_name: str) -> dict[str, Any]:
    """The fields a form may fill for record type ``type_name``, with their types (a new dict
    each call; the type hints are read once per type).

    ``subject_id`` is filled by the mapping; an adverse event takes ``grade`` (the CTCAE grade
    at onset) in place of its grade history.

    >>> sorted(record_field_types("Death"))
    ['cause', 'died_on']
    >>> record_field_types("AdverseEvent")["grade"].__name__
    'Grade'
    """
    return dict(_record_field_types(type_name))


@functools.cache
def _type_hints(type_name: str) -> dict[str, Any]:
    return typing.get_type_hints(RECORD_TYPES[type_name])


@functools.cache
def _record_field_types(type_name: str) -> dict[str, Any]:
    cls = RECORD_TYPES[type_name]
    hints = _type_hints(type_name)
    hidden = _HIDDEN.get(type_name, frozenset())
    out = {f.name: _unwrap_optional(hints[f.name]) for f in dataclasses.fields(cls)
           if f.name not in AUTOMATIC_FIELDS and f.name not in hidden}
    if type_name == "AdverseEvent":
        out["grade"] = Grade
    return out


def required_record_fields(type_name: str) -> frozenset[str]:
    """Fields of ``type_name`` without a default, which a mapping must give.

    >>> sorted(required_record_fields("Death"))
    ['died_on']
    """
    cls = RECORD_TYPES[type_name]
    hidden = _HIDDEN.get(type_name, frozenset())
    required = {f.name for f in dataclasses.fields(cls)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
                and f.name not in AUTOMATIC_FIELDS and f.name not in hidden}
    if type_name == "AdverseEvent":
        required.add("grade")
    if type_name == "TumourAssessment":
        required.discard("visit")
    return frozenset(required)


def nullable_fields(type_name: str) -> frozenset[str]:
    """Fields of ``type_name`` that may be None (a lesion not measured, a baseline assessment
    without a response), so an unanswered item is no error for them.

    >>> sorted(nullable_fields("TumourAssessment"))
    ['new_lesion_on', 'overall_response']
    """
    hints = _type_hints(type_name)
    return frozenset(name for name, tp in hints.items()
                     if get_origin(tp) in (typing.Union, types.UnionType)
                     and type(None) in get_args(tp))


def to_enum(cls: type[Enum], value: object) -> Enum:
    """The member of ``cls`` a code names: by value, else by name, else the enum's ``parse``.

    >>> from oncotrial.records import Sex, Response
    >>> to_enum(Sex, "F"), to_enum(Sex, "female"), to_enum(Response, "non_cr_non_pd")
    (<Sex.FEMALE: 'F'>, <Sex.FEMALE: 'F'>, <Response.NON_CR_NON_PD: 'NON-CR/NON-PD'>)

    Raises:
        InputError: the code names no member.
    """
    if isinstance(value, cls):
        return value
    try:
        return cls(value)
    except ValueError:
        pass
    name = str(value).strip().upper().replace("-", "_").replace("/", "_").replace(" ", "_")
    if name in cls.__members__:
        return cls.__members__[name]
    parse = getattr(cls, "parse", None)
    if callable(parse):
        try:
            member = parse(value)
        except InputError:
            pass
        else:
            if isinstance(member, cls):
                return member
    allowed = ", ".join(str(m.value) for m in cls)
    raise InputError(f"{value!r} is not one of {cls.__name__}: {allowed}.",
                     field=cls.__name__, value=value,
                     hint=f"Use one of the codes {allowed} in the code list.")


_YES = frozenset({"yes", "true", "y", "1"})
_NO = frozenset({"no", "false", "n", "0"})


def _bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise ValueError(f"{value!r} is not yes or no")


def _number(value: object) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    return number


def _date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        raise ValueError(f"{value!r} is a date and time, not a date")
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip())


def _datetime(value: object) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value).strip())


def _text(value: object) -> str:
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    if isinstance(value, str | int | float | Decimal) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"{value!r} is not text")


def _codes(value: object) -> list[object]:
    if isinstance(value, list | tuple | frozenset | set):
        return list(value)
    return [part.strip() for part in str(value).split(",") if part.strip()]


def _int(value: object) -> int:
    number = _number(value)
    if number != number.to_integral_value():
        raise ValueError(f"{value!r} is not a whole number")
    return int(number)


def _float(value: object) -> float:
    return float(_number(value))


_SIMPLE: dict[Any, Any] = {
    bool: _bool, int: _int, float: _float, str: _text, dt.date: _date, dt.datetime: _datetime}


def coerce(tp: Any, value: object) -> object:
    """Convert a form value (typed or text) or a YAML constant to a record field's type.

    ``None`` stays None; the words yes/no give booleans; codes give enum members
    (:func:`to_enum`); a set of enum members is read from a list or comma-separated codes.

    >>> from oncotrial.records import SeriousCriterion
    >>> coerce(float, Decimal("2.10")), coerce(bool, "no"), coerce(dt.date, "2026-03-01")
    (2.1, False, datetime.date(2026, 3, 1))
    >>> sorted(c.value for c in coerce(frozenset[SeriousCriterion],
    ...                                 "life_threatening,results_in_death"))
    ['life_threatening', 'results_in_death']

    Raises:
        ValueError: the value does not fit (an :class:`InputError` for an unknown code).
    """
    if value is None:
        return None
    tp = _unwrap_optional(tp)
    if isinstance(tp, type) and issubclass(tp, Enum):
        return to_enum(tp, value)
    if get_origin(tp) is frozenset:
        (member,) = get_args(tp)
        return frozenset(coerce(member, v) for v in _codes(value))
    convert = _SIMPLE.get(tp)
    if convert is None:
        raise ValueError(f"a field of type {tp!r} cannot be filled from a form")
    return convert(value)


# --- the screening record's paths ------------------------------------------------------------


def _models_in(tp: Any) -> list[type[BaseModel]]:
    return [a for a in (tp, *get_args(tp)) if isinstance(a, type) and issubclass(a, BaseModel)]


def _list_member(tp: Any) -> Any | None:
    """X for ``list[X]`` or ``list[X] | None``; None when ``tp`` is not a list."""
    for candidate in (tp, *get_args(tp)):
        if get_origin(candidate) is list:
            return get_args(candidate)[0]
    return None


def _dict_value(tp: Any) -> Any | None:
    for candidate in (tp, *get_args(tp)):
        if get_origin(candidate) is dict:
            return get_args(candidate)[1]
    return None


def screening_target(path: str, model: type[BaseModel] = ScreeningRecord) -> Any:
    """The type annotation at dotted ``path`` of ``model`` (default :class:`ScreeningRecord`).

    A key under a mapping field (``attestations.recovered_from_surgery``) is any name.

    >>> screening_target("labs.anc"), screening_target("imaging.date")
    (oncotrial.eligibility.record.LabEntry | None, datetime.date | None)

    Raises:
        InputError: a part of the path is not a field (the hint suggests the nearest one).
    """
    current: Any = model
    done: list[str] = []
    for part in path.split("."):
        mapped = _dict_value(current)
        if mapped is not None and done:
            current = mapped
            done.append(part)
            continue
        models = _models_in(current)
        if _list_member(current) is not None:
            raise InputError(
                f"{'.'.join(done)} is a list, so {path!r} cannot go inside it.",
                field="screening", value=path,
                hint="Give the list's path to a repeating group, and the row's keys to its items.")
        if not models:
            raise InputError(
                f"{'.'.join(done)} is a single value, so {path!r} cannot go inside it.",
                field="screening", value=path, hint="Name the field itself.")
        fields = models[0].model_fields
        if part not in fields:
            where = ".".join(done) or models[0].__name__
            raise InputError(f"{where} has no field {part!r}.", field="screening", value=path,
                             hint=closest(part, fields))
        current = fields[part].annotation
        done.append(part)
    return current


def entry_model(annotation: Any) -> type[BaseModel] | None:
    """The model of a result entry with a ``value`` (LabEntry, ViralLoad) at ``annotation``.

    >>> entry_model(screening_target("hepatitis.hbv_dna")).__name__
    'ViralLoad'
    """
    for model in _models_in(annotation):
        if "value" in model.model_fields:
            return model
    return None


def list_row_model(annotation: Any) -> type[BaseModel] | None:
    """The row model of a list field (``list[Lesion] | None`` -> Lesion), or None.

    >>> list_row_model(screening_target("imaging.lesions")).__name__
    'Lesion'
    """
    member = _list_member(annotation)
    if member is None:
        return None
    models = _models_in(member)
    return models[0] if models else None


def accepts(annotation: Any, value: object) -> bool:
    """Whether the screening record accepts ``value`` at a field of type ``annotation``.

    >>> accepts(screening_target("imaging.date"), dt.date(2026, 1, 2))
    True
    >>> accepts(screening_target("cns_metastases"), "brain")
    False
    """
    for enum_cls in [a for a in (annotation, *get_args(annotation))
                     if isinstance(a, type) and issubclass(a, Enum)]:
        try:
            to_enum(enum_cls, value)
            return True
        except InputError:
            pass
    try:
        _adapter(annotation).validate_python(value)
    except ValidationError:
        return False
    return True


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def _adapter(annotation: Any) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(annotation)
    if adapter is None:
        adapter = _ADAPTERS[annotation] = TypeAdapter(annotation)
    return adapter
