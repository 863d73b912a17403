"""A whole study in the exchange format: the endpoint domains and the report's other domains.

:func:`dump_study` writes a :class:`~oncotrial.study.StudyData` as file contents keyed by file
name and :func:`parse_study` reads them back (pure, no I/O: the CLI reads and writes the
folder). The endpoint domains (``subjects``, ``dosing``, ``tumour_assessments``, ...) are
those of :mod:`oncotrial.endpoints.exchange`, read and written by its functions; this module
adds the domains of :data:`STUDY_DOMAINS` (``baseline``, ``labs``, ``lesions``,
``adverse_events``, ``conmeds``, ``protocol_deviations``), described by the same column
specifications, and ``screening.json``. ``docs/exchange-format.md`` documents every column; a
test checks it.

``screening.json`` is JSON only. A screening record (:class:`oncotrial.eligibility.
ScreeningRecord`) is a nested document (prior therapy lines with their drugs, lesions, ECGs,
one laboratory entry per analyte with its own unit and range, attestations); flattening it
into CSV rows would invent a second schema of the same facts, so the file keeps the record in
the JSON form the database stores (``ScreeningRecord.model_dump_json``).

An adverse event is one row per grade change (``adverse_events``): the rows of one event share
``subject_id`` and ``event_id`` and repeat the event's own columns, and ``grade_on``/``grade``
give its grade history (:class:`oncotrial.records.GradeChange`).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from pydantic import ValidationError

from oncotrial.eligibility import ScreeningRecord
from oncotrial.endpoints import DOMAINS, ColumnSpec, DomainSpec, dump_exchange
from oncotrial.endpoints.exchange import (
    Problems,
    build_dataset,
    dump_rows,
    read_domain,
    row_label,
)
from oncotrial.errors import InputError
from oncotrial.records import (
    ActionTaken,
    AdverseEvent,
    ConcomitantMedication,
    GradeChange,
    LabResult,
    LesionMeasurement,
    Outcome,
    Relationship,
    SeriousCriterion,
)
from oncotrial.study.model import (
    AETIOLOGIES,
    DEVIATION_CATEGORIES,
    ETHICS_REPORTED,
    Baseline,
    ProtocolDeviation,
    ScreenedPatient,
    StudyData,
)

__all__ = [
    "LESION_KINDS",
    "LESION_STATES",
    "LESION_STATUSES",
    "SCREENING_FILE",
    "STUDY_DOMAINS",
    "dump_study",
    "files_digest",
    "parse_study",
    "split_endpoint_files",
]

#: :attr:`LesionMeasurement.kind` codes (code list ``lesion_kind`` of the forms).
LESION_KINDS = ("target", "non_target", "new")
#: :attr:`LesionMeasurement.state` codes (code list ``lesion_state``).
LESION_STATES = ("measured", "too_small", "disappeared", "not_evaluable", "split", "merged")
#: :attr:`LesionMeasurement.status` codes (code list ``lesion_status``).
LESION_STATUSES = ("present", "absent", "unequivocal_progression", "equivocal")
#: :attr:`ConcomitantMedication.cyp3a_effect` codes.
CYP3A_EFFECTS = ("strong_inhibitor", "strong_inducer", "moderate_inducer")
#: The screening log's file: JSON only (see the module's documentation).
SCREENING_FILE = "screening.json"


def _code(values: Iterable[str]) -> str:
    return "code: " + "|".join(values)


_SID = ColumnSpec("subject_id", "text", True, "Subject identifier, as in subjects.")

#: The domains a study adds to the endpoint domains (:data:`oncotrial.endpoints.DOMAINS`).
STUDY_DOMAINS: tuple[DomainSpec, ...] = (
    DomainSpec("baseline", "enrolled subject (baseline facts of the HCC history form)", (
        _SID,
        ColumnSpec("aetiology", "list: " + "|".join(AETIOLOGIES), False,
                   "Aetiology of the underlying liver disease (several allowed)."),
        ColumnSpec("macrovascular_invasion", "bool", False,
                   "Macrovascular (portal or hepatic vein) invasion (BCLC 2022 stage C)."),
        ColumnSpec("extrahepatic_spread", "bool", False,
                   "Extrahepatic spread (BCLC 2022 stage C)."),
    )),
    DomainSpec("labs", "laboratory result", (
        _SID,
        ColumnSpec("analyte", "text", True,
                   "Analyte key of docs/clinical.md, for example anc, platelets, alt."),
        ColumnSpec("value", "number", True, "The result as reported, in unit."),
        ColumnSpec("unit", "text", False,
                   "The unit as reported, for example 10^9/L; empty for a ratio such as INR."),
        ColumnSpec("lln", "number", False, "The laboratory's lower limit of normal, in unit."),
        ColumnSpec("uln", "number", False, "The laboratory's upper limit of normal, in unit."),
        ColumnSpec("collected_on", "date", True, "Date the sample was collected."),
    )),
    DomainSpec("lesions", "lesion at one tumour assessment (RECIST 1.1 section 4.2)", (
        _SID,
        ColumnSpec("lesion_id", "text", True,
                   "The lesion's number, kept from visit to visit (T1, NT1, N1...)."),
        ColumnSpec("measured_on", "date", True, "Date of the scan."),
        ColumnSpec("diameter_mm", "number", False,
                   "Longest diameter (short axis for a lymph node) in mm; empty when not "
                   "measured."),
        ColumnSpec("kind", _code(LESION_KINDS), False, "Kind of lesion; empty means target."),
        ColumnSpec("organ", "text", False, "Organ and site."),
        ColumnSpec("nodal", "bool", False, "yes for a lymph node; empty means no."),
        ColumnSpec("method", "text", False, "Imaging method, CT or MRI; empty means CT."),
        ColumnSpec("state", _code(LESION_STATES), False,
                   "Target lesions: how it was measured (too_small counts as 5 mm, "
                   "disappeared as 0 mm); empty means measured."),
        ColumnSpec("status", _code(LESION_STATUSES), False,
                   "Non-target and new lesions: the reader's call."),
    )),
    DomainSpec("adverse_events", "grade change of an adverse event", (
        _SID,
        ColumnSpec("event_id", "text", True,
                   "Identifies the event within the subject; the rows of one event share it."),
        ColumnSpec("term", "text", True, "CTCAE v5.0 term."),
        ColumnSpec("verbatim", "text", False, "What the investigator wrote."),
        ColumnSpec("onset_on", "date", True,
                   "Onset date (imputed by docs/ctcae.md when the date written was partial)."),
        ColumnSpec("onset_as_reported", "text", False,
                   "The onset as written when it was a partial date, for example 2026-03."),
        ColumnSpec("grade_on", "date", True,
                   "From this date the event has this row's grade; the first row's is onset_on."),
        ColumnSpec("grade", "integer", True, "CTCAE v5.0 grade (1 to 5) from grade_on."),
        ColumnSpec("resolved_on", "date", False, "Date of resolution; empty while ongoing."),
        ColumnSpec("serious", "list: " + "|".join(c.value for c in SeriousCriterion), False,
                   "ICH E2A seriousness criteria met; empty when not serious."),
        ColumnSpec("relationship", _code(r.value for r in Relationship), False,
                   "Attribution to the study drug; empty when not yet assessed."),
        ColumnSpec("action_taken", _code(a.value for a in ActionTaken), False,
                   "Action taken with the study drug; empty means unknown."),
        ColumnSpec("outcome", _code(o.value for o in Outcome), False,
                   "Outcome; empty means not_recovered. fatal goes with grade 5."),
        ColumnSpec("aware_at", "datetime", False, "When the site learnt of the event."),
        ColumnSpec("reported_at", "datetime", False,
                   "When a serious event was reported to the sponsor."),
    )),
    DomainSpec("conmeds", "concomitant medication", (
        _SID,
        ColumnSpec("name", "text", True, "Medication name."),
        ColumnSpec("started_on", "date", False, "Start date; empty when not known."),
        ColumnSpec("stopped_on", "date", False, "Stop date; empty while ongoing."),
        ColumnSpec("indication", "text", False, "Why it is taken."),
        ColumnSpec("cyp3a_effect", _code(CYP3A_EFFECTS), False,
                   "Effect on CYP3A that the dose rules read; empty when none is known."),
        ColumnSpec("half_life_hours", "number", False, "Elimination half-life in hours."),
    )),
    DomainSpec("protocol_deviations", "protocol deviation (ICH E3 section 10.2)", (
        _SID,
        ColumnSpec("deviation_on", "date", True, "Date the deviation happened."),
        ColumnSpec("identified_on", "date", True,
                   "Date it was identified; on or after deviation_on."),
        ColumnSpec("category", _code(DEVIATION_CATEGORIES), True,
                   "Category (code list deviation_category of the forms)."),
        ColumnSpec("description", "text", True, "What happened."),
        ColumnSpec("major", "bool", True,
                   "yes for a major deviation (may affect the subject's safety or the "
                   "reliability of the data)."),
        ColumnSpec("corrective_action", "text", False,
                   "Corrective and preventive action; required for a major deviation."),
        ColumnSpec("reported_to_ethics", _code(ETHICS_REPORTED), False,
                   "Reported to the ethics committee; empty when not recorded."),
    )),
)

_ALL = {d.name: d for d in (*DOMAINS, *STUDY_DOMAINS)}
_ENDPOINT_NAMES = frozenset(d.name for d in DOMAINS)
#: Per-event columns of ``adverse_events`` (all but the grade change's own two).
_AE_EVENT_COLUMNS = tuple(c.name for c in STUDY_DOMAINS[3].columns
                          if c.name not in ("grade_on", "grade"))
_SCREENING_KEYS = ("screening_number", "screened_on", "subject_id", "record")


def files_digest(files: Mapping[str, str]) -> str:
    """``sha256:<hex>`` of the files in name order: each name, a NUL byte, its contents
    (UTF-8) and a NUL byte. The same files give the same digest whatever their order.

    >>> files_digest({"a.csv": "x\\n", "b.csv": ""}) == files_digest({"b.csv": "", "a.csv": "x\\n"})
    True
    >>> files_digest({"a.csv": "x"}) == "sha256:" + hashlib.sha256(b"a.csv\\0x\\0").hexdigest()
    True
    """
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode("utf-8") + b"\0" + files[name].encode("utf-8") + b"\0")
    return "sha256:" + digest.hexdigest()


# -- writing -------------------------------------------------------------------------------


def dump_study(study: StudyData, *, fmt: str = "csv") -> dict[str, str]:
    """Write a study as exchange-format file contents keyed by file name (``csv`` or ``json``
    for the tabular domains; ``screening.json`` is always JSON). Empty domains other than
    ``subjects`` are left out; :func:`parse_study` reads the files back to an equal study
    (with ``source`` naming the files' digest). ``source`` itself is not written.

    An adverse event without an ``event_id`` gets one (``AE1``, ``AE2``... within its
    subject), as does a second event of a subject with an id already used.

    >>> from oncotrial.endpoints import load_example_dataset
    >>> files = dump_study(StudyData(load_example_dataset(), baseline=(
    ...     Baseline("S01", ("hbv",), False, True),)))
    >>> print(files["baseline.csv"], end="")
    subject_id,aetiology,macrovascular_invasion,extrahepatic_spread
    S01,hbv,no,yes
    >>> parse_study(files).baseline == (Baseline("S01", ("hbv",), False, True),)
    True
    """
    out = dump_exchange(study.dataset, fmt=fmt)
    tables: dict[str, list[dict[str, object]]] = {
        "baseline": [{"subject_id": b.subject_id, "aetiology": b.aetiology,
                      "macrovascular_invasion": b.macrovascular_invasion,
                      "extrahepatic_spread": b.extrahepatic_spread} for b in study.baseline],
        "labs": [_fields(r, STUDY_DOMAINS[1]) for r in study.labs],
        "lesions": [_fields(r, STUDY_DOMAINS[2]) for r in study.lesions],
        "adverse_events": _ae_rows(study.adverse_events),
        "conmeds": [_fields(r, STUDY_DOMAINS[4]) for r in study.conmeds],
        "protocol_deviations": [_fields(r, STUDY_DOMAINS[5]) for r in study.deviations],
    }
    for spec in STUDY_DOMAINS:
        if tables[spec.name]:
            out[f"{spec.name}.{fmt}"] = dump_rows(spec, tables[spec.name], fmt=fmt)
    if study.screening:
        out[SCREENING_FILE] = json.dumps(
            [{"screening_number": p.screening_number, "screened_on": p.screened_on.isoformat(),
              "subject_id": p.subject_id, "record": p.record.model_dump(mode="json")}
             for p in study.screening], indent=2, ensure_ascii=False) + "\n"
    return out


def _fields(record: object, spec: DomainSpec) -> dict[str, object]:
    return {c.name: getattr(record, c.name) for c in spec.columns}


def _ae_rows(events: Sequence[AdverseEvent]) -> list[dict[str, object]]:
    given = {(e.subject_id, e.event_id) for e in events if e.event_id}
    used: dict[str, set[str]] = {}
    rows: list[dict[str, object]] = []
    for ae in events:
        ids = used.setdefault(ae.subject_id, set())
        event_id = ae.event_id
        if not event_id or event_id in ids:
            n = 1
            while f"AE{n}" in ids or (ae.subject_id, f"AE{n}") in given:
                n += 1
            event_id = f"AE{n}"
        ids.add(event_id)
        event = {"subject_id": ae.subject_id, "event_id": event_id, "term": ae.term,
                 "verbatim": ae.verbatim, "onset_on": ae.onset_on,
                 "onset_as_reported": ae.onset_as_reported, "resolved_on": ae.resolved_on,
                 "serious": ae.serious_criteria, "relationship": ae.relationship,
                 "action_taken": ae.action_taken, "outcome": ae.outcome,
                 "aware_at": ae.aware_at, "reported_at": ae.reported_at}
        for change in ae.grade_history:
            rows.append({**event, "grade_on": change.on, "grade": int(change.grade)})
    return rows


# -- reading -------------------------------------------------------------------------------


def parse_study(files: Mapping[str, str]) -> StudyData:
    """Read a study in the exchange format from file contents keyed by file name.

    The endpoint domains are read as :func:`oncotrial.endpoints.parse_exchange` reads them
    (only ``subjects`` is required); the domains of :data:`STUDY_DOMAINS` and
    ``screening.json`` may be left out. ``source`` is ``"exchange format, <digest>"``
    (:func:`files_digest`).

    Raises:
        InputError: listing every problem found in every file at once (unknown file or
            column, missing required value, unreadable date, number or code, a domain given
            twice, a row of a subject not in subjects, an adverse event whose rows disagree,
            a screening record the eligibility engine cannot read).

    >>> header = "subject_id,enrolled_on,measurable_disease_at_baseline\\n"
    >>> study = parse_study({
    ...     "subjects.csv": header + "001,2026-01-05,yes\\n",
    ...     "labs.csv": "subject_id,analyte,value,unit,collected_on\\n"
    ...                 "001,anc,1.4,10^9/L,2026-01-19\\n"})
    >>> study.labs[0].value, study.source.startswith("exchange format, sha256:")
    (1.4, True)
    >>> try:
    ...     parse_study({"subjects.csv": header, "labs.csv": "subject_id,analyte,value\\n"
    ...                  "002,anc,low\\n", "vitals.csv": ""})
    ... except InputError as exc:
    ...     print(exc.message[:68])
    The data set has 3 problems: labs.csv line 2: value is 'low'. It mus
    """
    problems = Problems()
    typed: dict[str, list[dict[str, object]]] = {}
    seen: dict[str, str] = {}
    screening: list[ScreenedPatient] = []
    for file_name in sorted(files):
        stem, _, ext = file_name.rpartition(".")
        if stem == "screening":
            if ext != "json":
                problems.add(file_name, "the screening log is JSON only: name it "
                             f"{SCREENING_FILE} (a screening record is a nested document, "
                             "see docs/exchange-format.md).")
            else:
                screening = _read_screening(files[file_name], problems)
            continue
        spec = _ALL.get(stem)
        if ext not in ("csv", "json") or spec is None:
            problems.add(file_name, "is not a domain file. Domain files are named "
                         "<domain>.csv or <domain>.json, with domain one of "
                         f"{', '.join(_ALL)}; and {SCREENING_FILE}.")
            continue
        if stem in seen:
            problems.add(file_name, f"gives {stem} a second time (also {seen[stem]}). "
                         "Keep one file per domain.")
            continue
        seen[stem] = file_name
        typed[stem] = read_domain(spec, file_name, files[file_name], problems)
    if "subjects" not in seen:
        problems.add("subjects.csv", "is missing. Every data set needs a subjects file.")
    problems.raise_if_any()
    dataset = build_dataset({k: v for k, v in typed.items() if k in _ENDPOINT_NAMES},
                            problems)
    rows = {spec.name: typed.get(spec.name, []) for spec in STUDY_DOMAINS}
    names = {name: seen.get(name, f"{name}.csv") for name in rows}
    study = StudyData(
        dataset=dataset,
        screening=tuple(screening),
        baseline=_build_rows(rows["baseline"], names["baseline"], problems, _baseline),
        labs=_build_rows(rows["labs"], names["labs"], problems, _lab),
        lesions=_build_rows(rows["lesions"], names["lesions"], problems, _lesion),
        adverse_events=_adverse_events(rows["adverse_events"], names["adverse_events"],
                                       problems),
        conmeds=_build_rows(rows["conmeds"], names["conmeds"], problems, _conmed),
        deviations=_build_rows(rows["protocol_deviations"], names["protocol_deviations"],
                               problems, _deviation),
        source=f"exchange format, {files_digest(files)}",
    )
    _check_study(study, problems)
    problems.raise_if_any()
    return study


def _build_rows(rows: list[dict[str, Any]], file_name: str, problems: Problems,
                make: Any) -> tuple[Any, ...]:
    out = []
    for index, row in enumerate(rows):
        try:
            out.append(make(row))
        except InputError as exc:
            problems.add(row_label(file_name, index), exc.message)
    return tuple(out)


def _baseline(r: Mapping[str, Any]) -> Baseline:
    return Baseline(r["subject_id"], r["aetiology"] or (), r["macrovascular_invasion"],
                    r["extrahepatic_spread"])


def _lab(r: Mapping[str, Any]) -> LabResult:
    return LabResult(r["subject_id"], r["analyte"], r["value"], r["unit"] or "", r["lln"],
                     r["uln"], r["collected_on"])


def _lesion(r: Mapping[str, Any]) -> LesionMeasurement:
    return LesionMeasurement(
        r["subject_id"], r["lesion_id"], r["measured_on"], r["diameter_mm"],
        kind=r["kind"] or "target", organ=r["organ"] or "", nodal=bool(r["nodal"]),
        method=r["method"] or "CT", state=r["state"] or "measured", status=r["status"] or "")


def _conmed(r: Mapping[str, Any]) -> ConcomitantMedication:
    return ConcomitantMedication(
        r["subject_id"], r["name"], r["started_on"], stopped_on=r["stopped_on"],
        indication=r["indication"] or "", cyp3a_effect=r["cyp3a_effect"] or "",
        half_life_hours=r["half_life_hours"])


def _deviation(r: Mapping[str, Any]) -> ProtocolDeviation:
    return ProtocolDeviation(
        r["subject_id"], r["deviation_on"], r["identified_on"], r["category"], r["description"],
        r["major"], corrective_action=r["corrective_action"] or "",
        reported_to_ethics=r["reported_to_ethics"])


def _adverse_events(rows: list[dict[str, Any]], file_name: str,
                    problems: Problems) -> tuple[AdverseEvent, ...]:
    groups: dict[tuple[str, str], list[int]] = {}
    for index, row in enumerate(rows):
        groups.setdefault((row["subject_id"], row["event_id"]), []).append(index)
    out = []
    for (subject_id, event_id), indexes in groups.items():
        first = rows[indexes[0]]
        lines = [row_label(file_name, i) for i in indexes]
        where = lines[0] if len(lines) == 1 else f"{lines[0]} and {len(lines) - 1} more"
        differ = [c for c in _AE_EVENT_COLUMNS
                  if any(rows[i][c] != first[c] for i in indexes[1:])]
        if differ:
            problems.add(where, f"event {event_id} of subject {subject_id} has different "
                         f"{', '.join(differ)} on its rows. The rows of one event share "
                         "every column but grade_on and grade.")
            continue
        # Rows may come in any order; a stable sort keeps same-day changes in file order.
        history = tuple(sorted((GradeChange(rows[i]["grade_on"], rows[i]["grade"])
                                for i in indexes), key=lambda c: c.on))
        try:
            out.append(AdverseEvent(
                subject_id, first["term"], first["verbatim"] or "", first["onset_on"], history,
                resolved_on=first["resolved_on"],
                serious_criteria=frozenset(SeriousCriterion(c) for c in first["serious"] or ()),
                relationship=None if first["relationship"] is None
                else Relationship(first["relationship"]),
                action_taken=ActionTaken(first["action_taken"] or ActionTaken.UNKNOWN),
                outcome=Outcome(first["outcome"] or Outcome.NOT_RECOVERED),
                aware_at=first["aware_at"], reported_at=first["reported_at"],
                onset_as_reported=first["onset_as_reported"], event_id=event_id))
        except InputError as exc:
            problems.add(where, exc.message)
    return tuple(out)


def _read_screening(text: str, problems: Problems) -> list[ScreenedPatient]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        problems.add(SCREENING_FILE, f"is not valid JSON ({exc.msg} at line {exc.lineno}). "
                     "It is an array of objects, one per screened patient.")
        return []
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        problems.add(SCREENING_FILE, "must be a JSON array of objects, one per screened "
                     "patient.")
        return []
    out = []
    for index, item in enumerate(data):
        where = f"{SCREENING_FILE} row {index + 1}"
        unknown = sorted(set(item) - set(_SCREENING_KEYS))
        if unknown:
            problems.add(where, f"has unknown key(s) {', '.join(unknown)}. The keys are "
                         f"{', '.join(_SCREENING_KEYS)}.")
        number, screened_on, subject_id = (item.get("screening_number"),
                                           item.get("screened_on"), item.get("subject_id"))
        ok = True
        if not isinstance(number, str) or not number.strip():
            problems.add(where, "screening_number is empty. It is required: the patient's "
                         "screening number.")
            ok = False
        day = _date_or_none(screened_on)
        if day is None:
            problems.add(where, f"screened_on is {screened_on!r}. It must be an ISO 8601 "
                         "date such as 2026-05-04.")
            ok = False
        if subject_id is not None and (not isinstance(subject_id, str) or not subject_id):
            problems.add(where, f"subject_id is {subject_id!r}. It is the enrolled subject's "
                         "identifier, or null for a patient not enrolled.")
            ok = False
        record = _screening_record(item.get("record"), where, problems)
        if ok and record is not None and isinstance(number, str) and day is not None:
            out.append(ScreenedPatient(number, day, record,
                                       subject_id if isinstance(subject_id, str) else None))
    return out


def _date_or_none(value: object) -> date | None:
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _screening_record(value: object, where: str, problems: Problems) -> ScreeningRecord | None:
    if not isinstance(value, dict):
        problems.add(where, "record must be an object: the screening record (docs/"
                     "eligibility.md).")
        return None
    try:
        return ScreeningRecord.model_validate(value)
    except ValidationError as exc:
        for error in exc.errors():
            path = ".".join(str(p) for p in error["loc"])
            problems.add(where, f"record.{path}: {error['msg']}")
    except InputError as exc:
        problems.add(where, f"record: {exc.message}")
    return None


def _check_study(study: StudyData, problems: Problems) -> None:
    """Rows of subjects not in subjects, a subject with two baselines, two screened patients
    with one screening number or one subject."""
    known = {s.subject_id for s in study.dataset.subjects}
    domains: tuple[tuple[str, Sequence[Any]], ...] = (
        ("baseline", study.baseline), ("labs", study.labs), ("lesions", study.lesions),
        ("adverse_events", study.adverse_events), ("conmeds", study.conmeds),
        ("protocol_deviations", study.deviations))
    for name, records in domains:
        for sid in sorted({r.subject_id for r in records} - known):
            problems.add(name, f"subject {sid} is not in subjects. Add the subject, or correct "
                         "the identifier.")
    for sid, count in sorted(Counter(b.subject_id for b in study.baseline).items()):
        if count > 1:
            problems.add("baseline", f"subject {sid} has {count} rows. A subject has one "
                         "baseline row.")
    for number, count in sorted(Counter(p.screening_number for p in study.screening).items()):
        if count > 1:
            problems.add(SCREENING_FILE, f"screening number {number} is listed {count} times.")
    linked = Counter(p.subject_id for p in study.screening if p.subject_id is not None)
    for sid, count in sorted(linked.items()):
        if sid not in known:
            problems.add(SCREENING_FILE, f"subject {sid} is not in subjects. Add the subject, "
                         "or set subject_id to null for a patient who was not enrolled.")
        if count > 1:
            problems.add(SCREENING_FILE, f"subject {sid} is linked to {count} screened "
                         "patients. Link the subject to the screening that enrolled it.")


def split_endpoint_files(files: Mapping[str, str]) -> dict[str, str]:
    """Only the endpoint domains' files of a study folder (what
    :func:`oncotrial.endpoints.parse_exchange` reads).

    >>> sorted(split_endpoint_files({"subjects.csv": "", "labs.csv": "", "screening.json": ""}))
    ['subjects.csv']
    """
    return {name: text for name, text in files.items()
            if name.rpartition(".")[0] in _ENDPOINT_NAMES}

