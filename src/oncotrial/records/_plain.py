"""Results as plain data: one serialisation for every record and derived result (core).

Every derived result of the core (an eligibility verdict, a time-point response, a best overall
response, a CTCAE grade, a dose recommendation, an endpoint row) is a frozen dataclass built
eagerly with three common fields:

* ``code``: a stable machine code such as ``E5.not_met.hbv_hcv_coinfection`` or
  ``dose.hold.heme_grade3_day1``. The web pages and the database store and translate codes,
  never sentences; ``docs/result-codes.md`` lists each code with its meaning.
* ``facts``: the values, thresholds and dates the result used, as a flat mapping of JSON
  scalars (and ISO dates).
* ``reason``: the sentence for people.

Serialisation is pydantic's ``TypeAdapter`` over the standard dataclasses (not written by hand:
pydantic already knows dates, enums, tuples, frozensets and nested dataclasses). A result goes
to JSON and back to an equal object: ``from_json(type(r), to_json(r)) == r``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields
from datetime import date, datetime
from typing import Any, Protocol, TypeVar, runtime_checkable

from pydantic import TypeAdapter

__all__ = [
    "Fact",
    "Facts",
    "Result",
    "code_matches",
    "from_json",
    "from_plain",
    "slot_constructor",
    "to_json",
    "to_plain",
]

#: One fact a result used: a JSON scalar or a date. Dates come back from JSON as ISO strings
#: (``"2026-03-01"``), which is how they are stored and shown.
Fact = str | int | float | bool | date | datetime | None
#: The facts of a result, by name (``value``, ``threshold``, ``unit``, ``collected_on``...).
Facts = Mapping[str, Fact]

T = TypeVar("T")


@runtime_checkable
class Result(Protocol):
    """What every derived result has: a stable ``code``, the ``facts`` it used, a ``reason``."""

    @property
    def code(self) -> str: ...

    @property
    def facts(self) -> Facts: ...

    @property
    def reason(self) -> str: ...


_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(cls: type[Any]) -> TypeAdapter[Any]:
    """One pydantic adapter per type, built on first use (building one costs milliseconds)."""
    adapter = _ADAPTERS.get(cls)
    if adapter is None:
        adapter = _ADAPTERS[cls] = TypeAdapter(cls)
    return adapter


def to_plain(obj: Any) -> Any:
    """The object as JSON-ready Python data (dicts, lists, strings, numbers, None).

    >>> from oncotrial.records import Death
    >>> to_plain(Death("HCH-001", date(2026, 5, 1), "disease progression"))
    {'subject_id': 'HCH-001', 'died_on': '2026-05-01', 'cause': 'disease progression'}
    """
    return _adapter(type(obj)).dump_python(obj, mode="json")


def from_plain(cls: type[T], data: Any) -> T:
    """Rebuild a ``cls`` from :func:`to_plain` output; the record's own checks run again.

    >>> from oncotrial.records import Death
    >>> from_plain(Death, {"subject_id": "HCH-001", "died_on": "2026-05-01"}).died_on
    datetime.date(2026, 5, 1)
    """
    result: T = _adapter(cls).validate_python(data)
    return result


def to_json(obj: Any) -> str:
    """The object as a JSON document (UTF-8 text, keys in field order)."""
    return _adapter(type(obj)).dump_json(obj).decode()


def from_json(cls: type[T], text: str | bytes) -> T:
    """Rebuild a ``cls`` from :func:`to_json` output."""
    result: T = _adapter(cls).validate_json(text)
    return result


def code_matches(code: str, pattern: str) -> bool:
    """Whether a result code fits a catalogue pattern, where ``{...}`` stands for one part.

    Criterion ids are the protocol's own (``I11``, ``E5``), so the catalogue writes
    ``{criterion}.not_met.hbv_hcv_coinfection``.

    >>> code_matches("E5.not_met.hbv_hcv_coinfection", "{criterion}.not_met.hbv_hcv_coinfection")
    True
    >>> code_matches("E5.met", "{criterion}.not_met")
    False
    """
    parts, wanted = code.split("."), pattern.split(".")
    return len(parts) == len(wanted) and all(
        w == p or (w.startswith("{") and w.endswith("}") and bool(p))
        for p, w in zip(parts, wanted, strict=True))




def slot_constructor(cls: type[T]) -> Callable[..., T]:
    """A positional constructor for a frozen slots dataclass, for derivation loops.

    The ``__init__`` that ``dataclass(frozen=True)`` generates sets every field through
    ``object.__setattr__``; for a result with many fields that costs as much as deriving it
    (a screening makes 24 verdicts a record, a RECIST cohort 200,000 time points). This
    constructor sets each slot through its member descriptor instead. The object is an ordinary
    instance of the same frozen class, equal to ``cls(*values)``; no ``__post_init__`` runs, so
    use it only for results the core builds itself, never for input records. It is generated
    the way the ``dataclasses`` module generates ``__init__``, from the class's field names.

    >>> from oncotrial.records import Death
    >>> new_death = slot_constructor(Death)
    >>> new_death("HCH-001", date(2026, 5, 1), "") == Death("HCH-001", date(2026, 5, 1), "")
    True
    """
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    setters = {f"_set_{name}": cls.__dict__[name].__set__ for name in names}
    body = "".join(f"    _set_{name}(obj, {name})\n" for name in names)
    source = f"def new({', '.join(names)}):\n    obj = _new(_cls)\n{body}    return obj\n"
    namespace: dict[str, Any] = {"_new": object.__new__, "_cls": cls, **setters}
    exec(source, namespace)  # the technique of the dataclasses module's generated __init__
    constructor: Callable[..., T] = namespace["new"]
    return constructor
