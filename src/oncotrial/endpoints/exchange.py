"""The exchange format: one CSV or JSON file per domain, ISO dates, units in column names.

The format is documented column by column in ``docs/exchange-format.md`` and described here by
:data:`DOMAINS`, which the parser, the writer and the documentation test all read. The functions
are pure: they take and return file *contents* keyed by file name, so the core does no I/O; the
CLI (or storage, reports, interop) reads and writes the files. The bundled example data set is
read with :mod:`importlib.resources`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import partial
from importlib import resources
from typing import Any

from oncotrial.endpoints.model import Dataset
from oncotrial.errors import InputError
from oncotrial.records import (
    Contact,
    Death,
    Discontinuation,
    DiscontinuationLevel,
    DiscontinuationReason,
    DosingRecord,
    NewTherapy,
    Response,
    Sex,
    Subject,
    TherapyType,
    TumourAssessment,
)

__all__ = [
    "DOMAINS",
    "ColumnSpec",
    "DomainSpec",
    "Problems",
    "build_dataset",
    "dump_exchange",
    "dump_rows",
    "example_files",
    "load_example_dataset",
    "parse_exchange",
    "read_domain",
    "row_label",
]


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One column of a domain file: name, kind, whether it must have a value, and meaning."""

    name: str
    # text, date, datetime, bool, number, integer, a coded value such as "code: CR|PR|..." or
    # a list of coded values such as "list: hbv|hcv|..." (written joined by ";")
    kind: str
    required: bool
    description: str


@dataclass(frozen=True, slots=True)
class DomainSpec:
    """One domain: its file stem, what one row is, and its columns."""

    name: str
    row: str
    columns: tuple[ColumnSpec, ...]
    required_file: bool = False

    @property
    def column_names(self) -> tuple[str, ...]:
        """The column names in documented order."""
        return tuple(c.name for c in self.columns)


def _codes(enum: type[StrEnum]) -> str:
    return "code: " + "|".join(m.value for m in enum)


_SID = ColumnSpec("subject_id", "text", True, "Subject identifier, as in subjects.")

DOMAINS: tuple[DomainSpec, ...] = (
    DomainSpec("subjects", "registered subject", (
        _SID,
        ColumnSpec("enrolled_on", "date", True, "Date of enrolment (registration)."),
        ColumnSpec("measurable_disease_at_baseline", "bool", True,
                   "At least one RECIST 1.1 measurable lesion at baseline."),
        ColumnSpec("sex", _codes(Sex), False, "Sex: M or F."),
        ColumnSpec("site_id", "text", False, "The site (hospital) that enrolled the subject."),
    ), required_file=True),
    DomainSpec("dosing", "stretch of days at one daily dose of the study drug", (
        _SID,
        ColumnSpec("start_on", "date", True, "First day of the stretch."),
        ColumnSpec("end_on", "date", True, "Last day of the stretch (inclusive)."),
        ColumnSpec("daily_dose_mg", "number", True,
                   "Dose taken each day, in mg; 0 for a hold."),
    )),
    DomainSpec("tumour_assessments", "tumour assessment (RECIST 1.1 time point)", (
        _SID,
        ColumnSpec("assessed_on", "date", True,
                   "Date of the assessment; for a multi-day assessment, the last scan's date."),
        ColumnSpec("visit", "text", False,
                   "Visit label, for example BASELINE, WEEK 8, UNSCHEDULED."),
        ColumnSpec("baseline", "bool", True, "yes for the baseline assessment."),
        ColumnSpec("overall_response", _codes(Response), False,
                   "RECIST 1.1 overall time-point response; empty at baseline."),
        ColumnSpec("new_lesion_on", "date", False,
                   "Date of the scan that first showed a new lesion (PD by new lesion)."),
    )),
    DomainSpec("deaths", "death", (
        _SID,
        ColumnSpec("died_on", "date", True, "Date of death."),
        ColumnSpec("cause", "text", False,
                   "Primary cause, for example disease progression, adverse event, other."),
    )),
    DomainSpec("contacts", "dated record of the subject's status", (
        _SID,
        ColumnSpec("contact_on", "date", True, "Date of the contact or record."),
        ColumnSpec("source", "text", True,
                   "What the record is: visit, lab, imaging, dispensing, adverse event, "
                   "survival follow-up."),
        ColumnSpec("alive", "bool", True, "yes when the record documents the subject alive."),
    )),
    DomainSpec("new_anticancer_therapy", "new anticancer therapy started on study", (
        _SID,
        ColumnSpec("started_on", "date", True, "Start date."),
        ColumnSpec("therapy_type", _codes(TherapyType), True, "Kind of therapy."),
        ColumnSpec("name", "text", False, "Drug or procedure."),
    )),
    DomainSpec("discontinuations", "end of treatment or end of study", (
        _SID,
        ColumnSpec("level", _codes(DiscontinuationLevel), True,
                   "treatment: stopped the study drug; study: left the study."),
        ColumnSpec("discontinued_on", "date", True, "Date of the discontinuation."),
        ColumnSpec("reason", _codes(DiscontinuationReason), True,
                   "Why. clinical_progression = symptomatic deterioration without imaging PD."),
    )),
)

_BY_NAME = {d.name: d for d in DOMAINS}
_TRUE = {"yes", "y", "true", "1"}
_FALSE = {"no", "n", "false", "0"}


class Problems:
    """Collects every problem in the files, so the user can fix them all at once.

    >>> problems = Problems()
    >>> problems.add("deaths.csv line 2", "died_on is empty")
    >>> problems.items
    ['deaths.csv line 2: died_on is empty.']
    """

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, text: str) -> None:
        """One problem: where it is (file and line, or domain) and a sentence."""
        text = text if text.endswith(".") else text + "."
        self.items.append(f"{where}: {text}")

    def raise_if_any(self) -> None:
        """Raise one :class:`InputError` listing every problem (the first 50), if any."""
        if self.items:
            _raise(self)


def _cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):  # a JSON array for a list column
        return ";".join(t for t in (_cell(v) for v in value) if t is not None) or None
    text = str(value).strip()
    return text or None


def _read_rows(file_name: str, text: str, problems: Problems) -> list[dict[str, str | None]]:
    if file_name.endswith(".json"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            problems.add(file_name, f"is not valid JSON ({exc.msg} at line {exc.lineno}). "
                         "A domain file in JSON is an array of objects, one per row.")
            return []
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            problems.add(file_name, "must be a JSON array of objects, one per row.")
            return []
        return [{str(k): _cell(v) for k, v in row.items()} for row in data]
    # A byte-order mark (spreadsheet exports) and spaces around header names are not data.
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    if reader.fieldnames is not None:
        reader.fieldnames = [name.strip() for name in reader.fieldnames]
    rows = []
    for row in reader:
        if None in row:
            problems.add(f"{file_name} line {reader.line_num}",
                         "has more cells than the header has columns.")
        rows.append({k: _cell(v) for k, v in row.items() if k is not None})
    return rows


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _parse_date(text: str) -> date:
    """Only the calendar form YYYY-MM-DD: week dates and compact forms are refused."""
    if not _ISO_DATE.fullmatch(text):
        raise ValueError(text)
    return date.fromisoformat(text)


def _parse_bool(text: str) -> bool:
    low = text.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ValueError(text)


def _parse_datetime(text: str) -> datetime:
    """ISO 8601 date and time, ``2026-05-04T09:30:00`` with an optional UTC offset."""
    if not _ISO_DATE.match(text) or "T" not in text:
        raise ValueError(text)
    return datetime.fromisoformat(text)


def _parse_integer(text: str) -> int:
    if not re.fullmatch(r"[+-]?\d+", text):
        raise ValueError(text)
    return int(text)


def _parse_code(codes: tuple[str, ...], text: str) -> str:
    for code in codes:
        if text.upper() == code.upper():
            return code
    raise ValueError(text)


def _parse_list(codes: tuple[str, ...], text: str) -> tuple[str, ...]:
    return tuple(_parse_code(codes, part.strip()) for part in text.split(";") if part.strip())


_PARSERS: dict[str, Callable[[str], object]] = {
    "date": _parse_date, "datetime": _parse_datetime, "number": float,
    "integer": _parse_integer, "bool": _parse_bool}


def _parser(kind: str) -> Callable[[str], object]:
    if kind.startswith("code: "):
        return partial(_parse_code, tuple(kind.removeprefix("code: ").split("|")))
    if kind.startswith("list: "):
        return partial(_parse_list, tuple(kind.removeprefix("list: ").split("|")))
    return _PARSERS.get(kind, str)


_HOW = {
    "date": "an ISO 8601 date such as 2026-05-04",
    "datetime": "an ISO 8601 date and time such as 2026-05-04T09:30:00+08:00",
    "number": "a number such as 125",
    "integer": "a whole number such as 3",
    "bool": "yes or no",
}


def _how(kind: str) -> str:
    if kind.startswith("list: "):
        return "codes from " + kind.removeprefix("list: ") + ", separated by ;"
    return _HOW.get(kind, kind.replace("code: ", "one of "))


def row_label(file_name: str, index: int) -> str:
    """Where row ``index`` (0-based) of a domain file is, as problems name it.

    >>> row_label("labs.csv", 0), row_label("labs.json", 0)
    ('labs.csv line 2', 'labs.json row 1')
    """
    if file_name.endswith(".csv"):
        return f"{file_name} line {index + 2}"
    return f"{file_name} row {index + 1}"


def read_domain(spec: DomainSpec, file_name: str, text: str,
                problems: Problems) -> list[dict[str, object]]:
    """The rows of one domain file as typed values keyed by column name (None when empty).

    Every problem (unreadable file, unknown column, missing required value, a value of the
    wrong kind) goes to ``problems``; a bad cell reads as None.

    >>> problems = Problems()
    >>> read_domain(DOMAINS[3], "deaths.csv", "subject_id,died_on\\n001,2026-07-01\\n", problems)
    [{'subject_id': '001', 'died_on': datetime.date(2026, 7, 1), 'cause': None}]
    """
    return _typed_rows(spec, file_name, _read_rows(file_name, text, problems), problems)


def _typed_rows(
    spec: DomainSpec, file_name: str, rows: list[dict[str, str | None]], problems: Problems
) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    known = set(spec.column_names)
    if rows:
        unknown = sorted(set(rows[0]) - known)
        if unknown:
            problems.add(file_name, f"has unknown column(s) {', '.join(unknown)}. "
                         f"The columns of {spec.name} are {', '.join(spec.column_names)}.")
    parsers = {col.name: _parser(col.kind) for col in spec.columns}
    for index, row in enumerate(rows):
        where = row_label(file_name, index)
        typed: dict[str, object] = {}
        for col in spec.columns:
            text = row.get(col.name)
            if text is None:
                if col.required:
                    problems.add(where, f"{col.name} is empty. It is required: {col.description}")
                typed[col.name] = None
                continue
            try:
                typed[col.name] = parsers[col.name](text)
            except ValueError:
                problems.add(where, f"{col.name} is {text!r}. It must be {_how(col.kind)}.")
                typed[col.name] = None
        out.append(typed)
    return out


def parse_exchange(files: Mapping[str, str]) -> Dataset:
    """Read a data set in the exchange format from file contents keyed by file name.

    ``docs/exchange-format.md``: one file per domain named ``<domain>.csv`` or
    ``<domain>.json`` (the domains are in :data:`DOMAINS`); CSV with a header row, or a JSON
    array of objects with the same keys; ISO 8601 dates; ``yes``/``no`` booleans; empty cells
    for missing values. Only ``subjects`` is required.

    Raises:
        InputError: listing every problem found (unknown file or column, missing required
            value, unreadable date, number or code, a domain given twice).

    >>> header = "subject_id,enrolled_on,measurable_disease_at_baseline\\n"
    >>> ds = parse_exchange({
    ...     "subjects.csv": header + "001,2026-01-05,yes\\n",
    ...     "deaths.json": '[{"subject_id": "001", "died_on": "2026-07-01"}]'})
    >>> ds.subjects[0].enrolled_on, ds.subjects[0].measurable_disease_at_baseline
    (datetime.date(2026, 1, 5), True)
    >>> ds.deaths[0].died_on
    datetime.date(2026, 7, 1)
    >>> try:
    ...     parse_exchange({"subjects.csv": header + "001,05/01/2026,yes\\n"})
    ... except InputError as exc:
    ...     print(exc.message)
    The data set has 1 problem: subjects.csv line 2: enrolled_on is '05/01/2026'.
    It must be an ISO 8601 date such as 2026-05-04.
    """
    problems = Problems()
    typed: dict[str, list[dict[str, object]]] = {d.name: [] for d in DOMAINS}
    seen: dict[str, str] = {}
    for file_name in sorted(files):
        stem, _, ext = file_name.rpartition(".")
        spec = _BY_NAME.get(stem)
        if ext not in ("csv", "json") or spec is None:
            problems.add(file_name, "is not a domain file. Domain files are named "
                         f"<domain>.csv or <domain>.json, with domain one of "
                         f"{', '.join(d.name for d in DOMAINS)}.")
            continue
        if stem in seen:
            problems.add(file_name, f"gives {stem} a second time (also {seen[stem]}). "
                         "Keep one file per domain.")
            continue
        seen[stem] = file_name
        typed[stem] = read_domain(spec, file_name, files[file_name], problems)
    for spec in DOMAINS:
        if spec.required_file and spec.name not in seen:
            problems.add(f"{spec.name}.csv", "is missing. Every data set needs a subjects file.")
    problems.raise_if_any()
    dataset = build_dataset(typed, problems)
    problems.raise_if_any()
    return dataset


def build_dataset(typed: Mapping[str, list[dict[str, object]]], problems: Problems) -> Dataset:
    """The :class:`Dataset` from typed rows of the endpoint domains (:func:`read_domain`'s
    output keyed by domain name; a missing domain has no rows), with the structural problems
    (a subject listed twice, a row of an unknown subject, a stretch ending before it starts)
    added to ``problems``. Call it only when reading found no problem.
    """
    rows = {d.name: list(typed.get(d.name, ())) for d in DOMAINS}
    try:
        dataset = _build(rows)
    except (TypeError, ValueError) as exc:  # pragma: no cover - _typed_rows caught these
        raise InputError(f"The data set could not be read: {exc}.") from exc
    _check_references(dataset, problems)
    return dataset


def _raise(problems: Problems) -> None:
    count = len(problems.items)
    shown = problems.items[:50]
    more = f" (and {count - 50} more)" if count > 50 else ""
    raise InputError(
        f"The data set has {count} problem{'s' if count != 1 else ''}: "
        + " ".join(shown) + more,
        field="data",
        value=count,
        hint="Correct the files (docs/exchange-format.md describes every column) and run again.",
    )


def _build(t: Mapping[str, list[dict[str, Any]]]) -> Dataset:
    def resp(v: str | None) -> Response | None:
        return None if v is None else Response(v)

    return Dataset(
        subjects=tuple(Subject(r["subject_id"], r["enrolled_on"],
                               r["measurable_disease_at_baseline"],
                               sex=None if r.get("sex") is None else Sex(r["sex"]),
                               site_id=r.get("site_id") or "") for r in t["subjects"]),
        dosing=tuple(DosingRecord(r["subject_id"], r["start_on"], r["end_on"],
                                  r["daily_dose_mg"]) for r in t["dosing"]),
        assessments=tuple(TumourAssessment(r["subject_id"], r["assessed_on"],
                                           resp(r["overall_response"]), bool(r["baseline"]),
                                           r["new_lesion_on"], r["visit"] or "")
                          for r in t["tumour_assessments"]),
        deaths=tuple(Death(r["subject_id"], r["died_on"], r["cause"] or "")
                     for r in t["deaths"]),
        contacts=tuple(Contact(r["subject_id"], r["contact_on"], r["source"], r["alive"])
                       for r in t["contacts"]),
        new_therapies=tuple(NewTherapy(r["subject_id"], r["started_on"],
                                       TherapyType(r["therapy_type"]), r["name"] or "")
                            for r in t["new_anticancer_therapy"]),
        discontinuations=tuple(Discontinuation(r["subject_id"],
                                               DiscontinuationLevel(r["level"]),
                                               r["discontinued_on"],
                                               DiscontinuationReason(r["reason"]))
                               for r in t["discontinuations"]),
    )


def _check_references(dataset: Dataset, problems: Problems) -> None:
    """Structural problems that make derivation impossible; clinical plausibility is left to
    :func:`oncotrial.endpoints.check_dataset`."""
    counts = Counter(s.subject_id for s in dataset.subjects)
    known = set(counts)
    for sid in sorted(i for i, c in counts.items() if c > 1):
        problems.add("subjects", f"subject {sid} is listed more than once.")
    domains = (("dosing", dataset.dosing), ("tumour_assessments", dataset.assessments),
               ("deaths", dataset.deaths), ("contacts", dataset.contacts),
               ("new_anticancer_therapy", dataset.new_therapies),
               ("discontinuations", dataset.discontinuations))
    for name, records in domains:
        for sid in sorted({r.subject_id for r in records} - known):
            problems.add(name, f"subject {sid} is not in subjects. Add the subject, or correct "
                         "the identifier.")
    for d in dataset.dosing:
        if d.end_on < d.start_on:
            problems.add("dosing", f"subject {d.subject_id}: end_on {d.end_on} is before "
                         f"start_on {d.start_on}.")
        if d.daily_dose_mg < 0:
            problems.add("dosing", f"subject {d.subject_id}: daily_dose_mg is "
                         f"{d.daily_dose_mg:g}. A dose cannot be negative; use 0 for a hold.")
    for a in dataset.assessments:
        if not a.baseline and a.overall_response is None:
            problems.add("tumour_assessments", f"subject {a.subject_id}: the post-baseline "
                         f"assessment on {a.assessed_on} has no overall_response. Enter the "
                         "RECIST 1.1 response, or NE if it could not be evaluated.")


def dump_exchange(dataset: Dataset, *, fmt: str = "csv") -> dict[str, str]:
    """Write a data set as exchange-format file contents keyed by file name (``csv`` or
    ``json``); :func:`parse_exchange` reads them back to an equal data set. Empty domains
    other than ``subjects`` are left out.

    >>> from oncotrial.records import Subject
    >>> files = dump_exchange(Dataset((Subject("001", date(2026, 1, 5), True),)))
    >>> print(files["subjects.csv"], end="")
    subject_id,enrolled_on,measurable_disease_at_baseline,sex,site_id
    001,2026-01-05,yes,,
    >>> parse_exchange(files) == Dataset((Subject("001", date(2026, 1, 5), True),))
    True
    """
    if fmt not in ("csv", "json"):
        raise InputError(f"The format is {fmt!r}. It must be csv or json.", field="fmt",
                         value=fmt, hint="Choose csv or json.")
    records = {
        "subjects": dataset.subjects, "dosing": dataset.dosing,
        "tumour_assessments": dataset.assessments, "deaths": dataset.deaths,
        "contacts": dataset.contacts, "new_anticancer_therapy": dataset.new_therapies,
        "discontinuations": dataset.discontinuations,
    }
    out: dict[str, str] = {}
    for spec in DOMAINS:
        rows = records[spec.name]
        if not rows and not spec.required_file:
            continue
        table = [{c.name: getattr(r, c.name) for c in spec.columns} for r in rows]
        out[f"{spec.name}.{fmt}"] = dump_rows(spec, table, fmt=fmt)
    return out


def dump_rows(spec: DomainSpec, rows: Sequence[Mapping[str, object]], *, fmt: str) -> str:
    """One domain file's contents from rows of values keyed by column name: CSV (header row,
    ``yes``/``no``, ISO dates, codes as written, lists joined by ``;``, empty cells for None)
    or a JSON array of objects (booleans, numbers and null as themselves, lists as arrays).

    >>> print(dump_rows(DOMAINS[3], [{"subject_id": "001", "died_on": date(2026, 7, 1)}],
    ...                 fmt="csv"), end="")
    subject_id,died_on,cause
    001,2026-07-01,
    """
    if fmt == "json":
        native = [{c.name: _native(row.get(c.name)) for c in spec.columns} for row in rows]
        return json.dumps(native, indent=2) + "\n"
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(spec.column_names), lineterminator="\n")
    writer.writeheader()
    writer.writerows({c.name: _text(row.get(c.name)) for c in spec.columns} for row in rows)
    return buf.getvalue()


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, frozenset | set):
        return ";".join(sorted(_text(v) for v in value))
    if isinstance(value, tuple | list):
        return ";".join(_text(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, date):  # also a datetime
        return value.isoformat()
    if isinstance(value, float):  # shortest text that reads back to the same number
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def _native(value: object) -> object:
    """JSON keeps booleans, numbers and null as themselves, lists as arrays; dates and codes
    become text."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, frozenset | set):
        return sorted(_text(v) for v in value)
    if isinstance(value, tuple | list):
        return [_text(v) for v in value]
    return _text(value)


def example_files() -> dict[str, str]:
    """The bundled example data set (``endpoints/data/example/``) as file contents keyed by
    file name, ready for :func:`parse_exchange` or to be written to a folder.

    >>> sorted(example_files())[:3]
    ['contacts.csv', 'deaths.csv', 'discontinuations.csv']
    """
    folder = resources.files("oncotrial.endpoints").joinpath("data").joinpath("example")
    return {
        entry.name: entry.read_text(encoding="utf-8")
        for entry in folder.iterdir()
        if entry.name.endswith((".csv", ".json"))
    }


def load_example_dataset() -> Dataset:
    """The bundled example data set: 12 fictitious subjects, one for each row of the PFS
    censoring table in ``docs/endpoints.md``.

    >>> ds = load_example_dataset()
    >>> len(ds.subjects)
    12
    """
    return parse_exchange(example_files())
