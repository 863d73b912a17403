"""A whole study into the trial database and back: :func:`load_study` and :func:`export_study`.

:func:`load_study` enters a :class:`~oncotrial.study.StudyData` (a synthetic cohort, or any
study in the exchange format) exactly as a research team would: a research coordinator
registers each screened patient, enters the screening forms and screens; an investigator
enrols the eligible ones; the coordinator then enters the visit forms (lesions and tumour
response, blood counts and chemistry, dosing, adverse events, medications, protocol
deviations, follow-up, death, end of treatment and of study). Every value goes through
:func:`save_form` with the forms' checks and the audit trail; nothing is written around the
services.

The forms are data (``<protocol>.forms.yaml``), and so is this mapping where it can be: the
screening forms are filled from a :class:`~oncotrial.eligibility.ScreeningRecord` through the
items' ``screening:`` paths (the inverse of :func:`oncotrial.forms.mapping.screening_record`),
and the visit forms from the shared records through the forms' ``record:`` entries (the
inverse of :func:`oncotrial.forms.mapping.records_for`). What a form requires and the study
does not hold is answered with a stated stand-in (:data:`STAND_INS`).

What the forms of NCT06478927 cannot hold, and how it is entered (``docs/data-model.md``):

* An adverse event's grade changes: the adverse-event form records the grade at onset, so a
  change of grade is a new row dated on the change, and the row before it ends that day with
  outcome ``not_recovered`` (the CDASH convention for a change in severity recorded as a new
  record). :func:`export_study` joins such rows back into one event with its grade history.
* A time without a UTC offset (an AE's ``aware_at``, ``reported_at``) is taken as UTC: the
  forms store times with their offset, and the export gives them back with it.
* Visit dates are not recorded (the study gives none), so the export has no ``visit``
  contacts beyond the study's own; a tumour assessment's ``visit`` label becomes the visit
  code (``SCR``, ``TA``), and a death's cause one of the form's codes (the words in
  ``cause_detail``).

:func:`export_study` reads the whole stored trial back as a :class:`StudyData`, with the
permissions and audit of ``oncotrial export json``: a statistician gets pseudonyms (and birth
dates reduced to the year), and ``source`` names the database and the hash of the last audit
row, so a report says which state of the trial it was made from.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from oncotrial.context import TrialContext
from oncotrial.eligibility import ScreeningRecord
from oncotrial.errors import InputError
from oncotrial.forms import FormDef, FormSet, canonical_text, rows_of
from oncotrial.forms.mapping import (
    FormRecord,
    SubjectForms,
    SubjectRecords,
    records_for,
    screening_record,
)
from oncotrial.forms.model import GroupDef, ItemDef, RecordMap
from oncotrial.records import (
    AdverseEvent,
    ConcomitantMedication,
    DiscontinuationLevel,
    DosingRecord,
    GradeChange,
    LesionMeasurement,
    NewTherapy,
    Outcome,
    SeriousCriterion,
    Subject,
)
from oncotrial.services.access import Actor, can, require
from oncotrial.services.database import Database
from oncotrial.services.demo import EXAMPLE_DAY, _answer, _at
from oncotrial.services.entry import save_form
from oncotrial.services.errors import NotFoundError
from oncotrial.services.export import _dataset, _subject_records
from oncotrial.services.lookup import find_subject, forms_of
from oncotrial.services.subjects import enrol, register_subject, screen_subject, subject_forms
from oncotrial.store.audit import append_event
from oncotrial.store.models import AuditLog, DerivedCache, RoleGrant, Site
from oncotrial.store.models import Subject as SubjectRow
from oncotrial.study import Baseline, ProtocolDeviation, ScreenedPatient, StudyData

__all__ = ["STAND_INS", "export_study", "load_study", "screening_answers"]

Answers = dict[str, Any]
#: Called after each patient: (patients done, patients in all).
Progress = Callable[[int, int], None]

#: Answers the forms require that a study does not hold, by form and item. A value that is a
#: path (``record:...``) is read from the screening record; the rest are fixed.
STAND_INS: dict[str, dict[str, str]] = {
    "consent": {"icf_version": "1.0", "consent_obtained_by": "study investigator",
                "copy_given": "yes"},
    "eligibility": {"attested_by": "study investigator",
                    "attested_on": "record:planned_enrolment_date"},
    "ecog": {"assessed_on": "record:lab_date"},
    "chemistry": {"collected_on": "record:lab_date"},
    "coagulation": {"collected_on": "record:lab_date"},
    "hepatitis": {"collected_on": "record:lab_date"},
    "ecg": {"interpretation": "normal"},
    "echocardiogram": {"method": "echo"},
    "hcc_history": {"diagnosis_date": "record:informed_consent_date"},  # or the first therapy
}


# -- the screening forms from a screening record (inverse of mapping.screening_record) --------


def _group_rows(group: GroupDef, rows: Sequence[Any]) -> list[Answers]:
    out = []
    for row in rows:
        answers = {}
        for item in group.items:
            if item.screening and (value := _at(row, item.screening.removesuffix("[]"))) \
                    is not None:
                answers[item.id] = _answer(item, value)
        out.append(answers)
    return out


def screening_answers(forms: FormSet, record: ScreeningRecord,
                      baseline: Baseline | None = None) -> dict[str, Answers]:
    """The screening forms' answers (form id -> nested answers) that give ``record`` back
    through the items' ``screening:`` paths, with the stand-ins of :data:`STAND_INS` and, on
    the HCC history form, the ``baseline`` facts (aetiology, macrovascular invasion,
    extrahepatic spread; for a patient without them, the aetiology the hepatitis serology
    shows, else ``other``, and ``no`` for both). Forms that none of the record's values
    reach are left out, except consent (entered first, always).
    """
    doc = record.model_dump(mode="json")
    out: dict[str, Answers] = {}
    for form in forms.forms:
        if not any(item.screening for _, item in form.items()):
            continue
        answers = _form_screening_answers(form, doc)
        if not answers and form.id != "consent":
            continue
        for item_id, stand_in in STAND_INS.get(form.id, {}).items():
            if answers.get(item_id) is None:
                value = (_at(doc, stand_in.removeprefix("record:"))
                         if stand_in.startswith("record:") else stand_in)
                answers[item_id] = canonical_text(value)
        out[form.id] = answers
    if "hcc_history" in out:
        out["hcc_history"].update(_baseline_answers(record, baseline))
        starts = [t.start_date for t in record.prior_therapies or () if t.start_date]
        if starts:  # diagnosed no later than the first treatment
            out["hcc_history"]["diagnosis_date"] = min(starts).isoformat()
    if "pregnancy" in out:
        potential = record.reproductive.reproductive_potential
        out["pregnancy"].setdefault("woman_of_childbearing_potential",
                                    "not_applicable" if record.sex == "M" or potential is None
                                    else canonical_text(potential))
    return out


def _form_screening_answers(form: FormDef, doc: Mapping[str, Any]) -> Answers:
    answers: Answers = {}
    for group_id, item in form.items():
        if item.screening and not group_id:
            value = _at(doc, item.screening.removesuffix("[]"))
            if value is not None:
                answers[item.id] = _answer(item, value)
    for group in form.groups():
        rows = _at(doc, group.screening) if group.screening else None
        if rows:
            answers[group.id] = _group_rows(group, rows)
    return answers


def _baseline_answers(record: ScreeningRecord, baseline: Baseline | None) -> Answers:
    if baseline is None or not baseline.aetiology:
        serology = record.hepatitis
        aetiology = tuple(code for code, result in (("hbv", serology.hbsag),
                                                    ("hcv", serology.anti_hcv))
                          if result == "positive") or ("other",)
    else:
        aetiology = baseline.aetiology
    mvi = None if baseline is None else baseline.macrovascular_invasion
    ehs = None if baseline is None else baseline.extrahepatic_spread
    answers: Answers = {"aetiology": ",".join(aetiology),
                        "macrovascular_invasion": canonical_text(bool(mvi)),
                        "extrahepatic_spread": canonical_text(bool(ehs))}
    if "other" in aetiology:
        answers["aetiology_other"] = "not described in the study data"
    return answers


# -- the visit forms from the shared records (inverse of mapping.records_for) -----------------


@dataclass(frozen=True, slots=True)
class _Target:
    """Where records of one type go: a form, and the group of its rows (None: the form)."""

    form: FormDef
    group: GroupDef | None
    record: RecordMap


def _targets(forms: FormSet) -> dict[str, list[_Target]]:
    out: dict[str, list[_Target]] = defaultdict(list)
    for form in forms.forms:
        if form.record is not None and not form.record.per_item:
            out[form.record.type].append(_Target(form, None, form.record))
        for group in form.groups():
            if group.record is not None:
                out[group.record.type].append(_Target(form, group, group.record))
    return out


def _target(targets: Mapping[str, list[_Target]], record_type: str,
            form_id: str | None = None) -> _Target:
    for target in targets.get(record_type, []):
        if form_id is None or target.form.id == form_id:
            return target
    raise NotFoundError(f"The forms of this trial have no form for {record_type} records"
                        + (f" named {form_id}." if form_id else "."))


def _item_value(item: ItemDef, value: object) -> object:
    if value is None:
        return None
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        # The forms store a time with its UTC offset; a naive time is taken as UTC.
        value = value.replace(tzinfo=dt.UTC)
    if isinstance(value, frozenset | set):
        value = sorted(str(getattr(v, "value", v)) for v in value)
    elif hasattr(value, "value") and not isinstance(value, dt.date):
        value = value.value  # an enum: its stored code
    if isinstance(value, float):
        value = str(int(value)) if value.is_integer() else repr(value)
    if item.units and item.type in ("decimal", "integer"):
        return {"value": canonical_text(value), "unit": item.units[0]}
    return canonical_text(value)


def _record_answers(target: _Target, record: object) -> tuple[Answers, Answers]:
    """(answers outside any group, answers of the group row) for one record."""
    top: Answers = {}
    row: Answers = {}
    for name, item_id in target.record.fields.items():
        item = target.form.item(item_id)
        value = _item_value(item, getattr(record, name))
        if value is None:
            continue
        (row if target.form.group_of(item_id) else top)[item_id] = value
    return top, row


def _rows_form(target: _Target, records: Sequence[object],
               extra_row: Callable[[Any], Answers] = lambda r: {},
               extra_top: Answers | None = None) -> Answers:
    assert target.group is not None
    answers: Answers = dict(extra_top or {})
    rows = []
    for record in records:
        top, row = _record_answers(target, record)
        answers.update(top)
        rows.append({**row, **extra_row(record)})
    answers[target.group.id] = rows
    return answers


def _form_answers(target: _Target, record: object, extra: Answers | None = None) -> Answers:
    top, _ = _record_answers(target, record)
    return {**top, **(extra or {})}


# -- loading -----------------------------------------------------------------------------


@dataclass
class _Subject:
    """Everything of one enrolled subject, grouped from the study's domains."""

    subject: Subject
    records: dict[str, list[Any]] = field(default_factory=lambda: defaultdict(list))


def _by_subject(study: StudyData) -> dict[str, _Subject]:
    out = {s.subject_id: _Subject(s) for s in study.dataset.subjects}
    ds = study.dataset
    domains: dict[str, Iterable[Any]] = {
        "dosing": ds.dosing, "assessments": ds.assessments, "deaths": ds.deaths,
        "contacts": ds.contacts, "new_therapies": ds.new_therapies,
        "discontinuations": ds.discontinuations, "labs": study.labs, "lesions": study.lesions,
        "adverse_events": study.adverse_events, "conmeds": study.conmeds,
        "deviations": study.deviations}
    for name, records in domains.items():
        for record in records:
            if record.subject_id not in out:
                raise InputError(f"The study's {name} has a record of subject "
                                 f"{record.subject_id}, who is not among its subjects.",
                                 field=name, value=record.subject_id,
                                 hint="Check the study with oncotrial.study.parse_study.")
            out[record.subject_id].records[name].append(record)
    return out


def _last_date(study: StudyData) -> dt.date:
    days = [p.screened_on for p in study.screening]
    days += [s.enrolled_on for s in study.dataset.subjects]
    ds = study.dataset
    days += [d.end_on for d in ds.dosing] + [a.assessed_on for a in ds.assessments]
    days += [d.died_on for d in ds.deaths] + [c.contact_on for c in ds.contacts]
    days += [x.discontinued_on for x in ds.discontinuations]
    days += [lab.collected_on for lab in study.labs]
    days += [les.measured_on for les in study.lesions]
    for ae in study.adverse_events:
        days += [ae.resolved_on or ae.onset_on, ae.grade_history[-1].on]
    days += [d.identified_on for d in study.deviations]
    return max(days, default=dt.date.today())


def _default_site(session: Session, nurse: Actor) -> str:
    grants = session.scalars(select(RoleGrant).where(
        RoleGrant.user_id == nurse.user_pk, RoleGrant.revoked_at.is_(None),
        RoleGrant.site_id.is_not(None))).all()
    for grant in grants:
        site = session.get(Site, grant.site_id)
        if site is not None:
            return site.code
    first = session.scalar(select(Site).order_by(Site.id))
    if first is None:
        raise NotFoundError("The database has no site; add one before loading a study.",
                            hint="oncotrial run makes the protocol's site and accounts.")
    return first.code


def _fallback_screening(study: StudyData, forms: FormSet) -> list[ScreenedPatient]:
    """Enrolled subjects without a screened patient (a study made by hand from the endpoint
    domains): the bundled example patient, screened so that it is eligible on the day."""
    from oncotrial.eligibility.record import example_record
    from oncotrial.services.demo import _shift

    linked = {p.subject_id for p in study.screening}
    out = []
    for subject in study.dataset.subjects:
        if subject.subject_id in linked:
            continue
        days = (subject.enrolled_on - EXAMPLE_DAY).days
        doc = _shift(example_record().model_dump(mode="json"), days)
        number = f"S-{subject.subject_id}"
        doc["subject_id"] = number
        out.append(ScreenedPatient(number, subject.enrolled_on,
                                   ScreeningRecord.model_validate(doc), subject.subject_id))
    return out


def load_study(db: Database, ctx: TrialContext, study: StudyData, *, nurse: Actor,
               investigator: Actor, today: dt.date | None = None,
               progress: Progress | None = None, administrator: Actor | None = None,
               site: str | None = None) -> dict[str, str]:
    """Enter a whole study through the services; return subject id given -> the study's id.

    Every screened patient is registered (under its screening number, at ``site`` when
    given, else at the subject's own site, else at the nurse's), its screening forms entered
    by ``nurse`` from its screening record, and screened on the day it was screened: screen
    failures stay recorded as failed. ``investigator`` enrols the study's subjects in order
    of enrolment (beyond the protocol's target only with an ``administrator``), and ``nurse``
    enters their visit forms. ``today`` is the day the forms' "not in the future" checks use
    (default: today, or the study's last date when that is later, as a synthetic cohort's
    may be).
    ``progress(done, total)`` is called after each patient.

    Raises:
        InputError: a record the forms cannot hold (names the subject and the form).
        FormRejected, WorkflowError: as :func:`save_form` and :func:`enrol` raise them.
    """
    forms = forms_of(ctx)
    today = today or max(dt.date.today(), _last_date(study))
    subjects = _by_subject(study)
    baselines = {b.subject_id: b for b in study.baseline}
    screened = sorted([*study.screening, *_fallback_screening(study, forms)],
                      key=lambda p: (p.screened_on, p.screening_number))
    with db.sessions() as session:
        default_site = site or _default_site(session, nurse)
    total = len(screened) + len(subjects)
    done = 0
    for patient in screened:
        linked = subjects.get(patient.subject_id or "")
        where = site or (linked.subject.site_id if linked is not None
                         and linked.subject.site_id else default_site)
        _screen_patient(db, ctx, forms, nurse, patient, where,
                        baselines.get(patient.subject_id or ""), today)
        done += 1
        if progress:
            progress(done, total)
    numbers = {p.subject_id: p.screening_number for p in screened if p.subject_id}
    names: dict[str, str] = {}
    for entry in sorted(subjects.values(), key=lambda e: (e.subject.enrolled_on,
                                                          e.subject.subject_id)):
        sid = _enrol(db, ctx, investigator, administrator, numbers[entry.subject.subject_id],
                     entry.subject.enrolled_on)
        _VisitEntry(db, ctx, forms, nurse, sid, entry, today).enter_all()
        names[sid] = entry.subject.subject_id
        done += 1
        if progress:
            progress(done, total)
    return names


def _screen_patient(db: Database, ctx: TrialContext, forms: FormSet, nurse: Actor,
                    patient: ScreenedPatient, site: str, baseline: Baseline | None,
                    today: dt.date) -> None:
    number = patient.screening_number
    record = patient.record if patient.record.subject_id == number else \
        patient.record.model_copy(update={"subject_id": number})
    answers = screening_answers(forms, record, baseline)
    register_subject(db, nurse, ctx, site=site, screening_number=number)
    for form_id in ["consent", *(f for f in answers if f != "consent")]:
        save_form(db, nurse, ctx, number, form_id, answers[form_id], visit="SCR", today=today)
    screen_subject(db, nurse, ctx, number, on=patient.screened_on)


def _enrol(db: Database, ctx: TrialContext, investigator: Actor, administrator: Actor | None,
           number: str, enrolled_on: dt.date) -> str:
    with db.sessions() as session:
        count = len(session.scalars(select(SubjectRow.id).where(
            SubjectRow.subject_id.is_not(None))).all())
    if count >= ctx.protocol.enrolment.target and administrator is not None:
        return enrol(db, administrator, ctx, number, enrolled_on=enrolled_on,
                     over_enrolment_reason="synthetic cohort larger than the protocol's "
                                           "target, loaded for a demonstration").subject_id
    return enrol(db, investigator, ctx, number, enrolled_on=enrolled_on).subject_id


class _VisitEntry:
    """The visit and log forms of one enrolled subject, entered form by form."""

    def __init__(self, db: Database, ctx: TrialContext, forms: FormSet, actor: Actor,
                 sid: str, entry: _Subject, today: dt.date) -> None:
        self.db, self.ctx, self.forms, self.actor = db, ctx, forms, actor
        self.sid, self.subject, self.records, self.today = sid, entry.subject, entry.records, \
            today
        self.targets = _targets(forms)
        # What screening stored: its forms' slots are taken, and a study lab result that the
        # screening forms already hold (the baseline blood tests) is not entered twice.
        with db.sessions() as session:
            stored = subject_forms(session, find_subject(session, sid))
        self.taken: set[tuple[str, int, str]] = {
            (i.visit_code, 1, i.form_id) for i in stored.instances if i.visit_code}
        self.screened_labs = {replace(lab, subject_id=entry.subject.subject_id)
                              for lab in records_for(forms, stored).labs}
        self.unscheduled = 0
        self.first_dose = min((d.start_on for d in self.records["dosing"]
                               if d.daily_dose_mg > 0), default=self.subject.enrolled_on)

    def save(self, form_id: str, answers: Answers, visit: str | None = None,
             occurrence: int = 1) -> None:
        if visit is not None:
            self.taken.add((visit, occurrence, form_id))
        save_form(self.db, self.actor, self.ctx, self.sid, form_id, answers, visit=visit,
                  occurrence=occurrence, today=self.today)

    def slot(self, form_id: str, wanted: Sequence[tuple[str, int]]) -> tuple[str, int]:
        """The first wanted visit that collects the form and is free, else a new UNS."""
        for code, occurrence in wanted:
            if (code, occurrence, form_id) not in self.taken and any(
                    f.id == form_id for f in self.forms.forms_at(code)):
                return code, occurrence
        self.unscheduled += 1
        return "UNS", self.unscheduled

    def enter_all(self) -> None:
        self.tumour()
        self.labs()
        self.dosing()
        self.adverse_events()
        self.conmeds()
        self.deviations()
        self.follow_up()

    # tumour assessments and lesions
    def tumour(self) -> None:
        target = _target(self.targets, "TumourAssessment")
        measurable = canonical_text(self.subject.measurable_disease_at_baseline)
        visits: dict[dt.date, tuple[str, int]] = {}
        assessments = sorted(self.records["assessments"], key=lambda a: a.assessed_on)
        occurrence = 0
        for a in assessments:
            extra = {"assessed_by": "investigator",
                     "baseline": canonical_text(a.baseline)}
            if a.baseline:
                visit = self.slot(target.form.id, [("SCR", 1)])
                extra["measurable_disease_at_baseline"] = measurable
            else:
                occurrence += 1
                visit = self.slot(target.form.id, [("TA", occurrence)])
            visits.setdefault(a.assessed_on, visit)
            self.save(target.form.id, _form_answers(target, a, extra), *visit)
        lesions = _target(self.targets, "LesionMeasurement")
        records: list[LesionMeasurement] = list(self.records["lesions"])
        if not any(a.baseline for a in assessments) and self.subject.\
                measurable_disease_at_baseline and not any(x.kind == "target" for x in records):
            # Without a baseline tumour response the flag is read from the target lesions
            # (RECIST 1.1 section 3.1), as the demo trial does: a baseline target lesion.
            records.append(LesionMeasurement(self.subject.subject_id, "T1",
                                             self.subject.enrolled_on, 42.0, organ="liver"))
        scans: dict[tuple[dt.date, str], list[LesionMeasurement]] = defaultdict(list)
        for lesion in records:
            scans[(lesion.measured_on, lesion.method)].append(lesion)
        for (day, _), rows in sorted(scans.items()):
            wanted = [visits[day]] if day in visits else []
            if day <= self.subject.enrolled_on:
                wanted.append(("SCR", 1))
            visit = self.slot(lesions.form.id, wanted)
            answers = _rows_form(lesions, rows)
            for row in answers[lesions.group.id if lesions.group else ""]:
                # The measurement state is a target lesion's; the record's default
                # ("measured") on a non-target or new lesion is no answer.
                if row.get("kind") != "target" and row.get("state") == "measured":
                    del row["state"]
            self.save(lesions.form.id, answers, *visit)

    # laboratory results
    def lab_visits(self, day: dt.date) -> list[tuple[str, int]]:
        """Where a blood sample of ``day`` belongs by the visit schedule (cycles of 28 days
        from the first dose: Day 1, Day 15 of cycles 1 and 2)."""
        if day <= self.subject.enrolled_on and day < self.first_dose:
            return [("SCR", 1)]
        offset = (day - self.first_dose).days
        cycle, day_in_cycle = offset // 28 + 1, offset % 28 + 1
        if day_in_cycle >= 26:
            cycle, day_in_cycle = cycle + 1, day_in_cycle - 28
        if cycle == 1 and day_in_cycle <= 7:
            return [("C1D1", 1)]
        if day_in_cycle <= 4:
            return [("CD1", cycle - 1)]
        if 13 <= day_in_cycle <= 17 and cycle <= 2:
            return [("CD15", cycle)]
        return []

    def labs(self) -> None:
        analytes: dict[str, tuple[FormDef, ItemDef]] = {}
        for form in self.forms.forms:
            if form.record is not None and form.record.per_item:
                for group, item in form.items():
                    if item.type == "lab" and not group:
                        analytes.setdefault(item.analyte_name or item.id, (form, item))
        samples: dict[tuple[dt.date, str], Answers] = defaultdict(dict)
        for lab in self.records["labs"]:
            if lab in self.screened_labs:
                continue
            if lab.analyte not in analytes:
                raise InputError(f"Subject {self.subject.subject_id}: the forms have no item "
                                 f"for laboratory analyte {lab.analyte!r}.",
                                 field="analyte", value=lab.analyte,
                                 hint="Use an analyte of the laboratory forms.")
            form, item = analytes[lab.analyte]
            answer: Answers = {"value": _number(lab.value), "unit": lab.unit}
            answer |= {k: v for k, v in (("lln", lab.lln), ("uln", lab.uln)) if v is not None}
            sample = samples[(lab.collected_on, form.id)]
            if item.id in sample:  # a second result of one analyte on one day
                sample = samples[(lab.collected_on, form.id + "#" + str(len(samples)))]
            sample[item.id] = answer
        for (day, key), answers in sorted(samples.items()):
            form_id = key.split("#")[0]
            record = self.forms.form(form_id).record
            assert record is not None and record.date is not None
            visit = self.slot(form_id, self.lab_visits(day))
            self.save(form_id, {record.date: day.isoformat(), **answers}, *visit)

    # dosing, by cycle
    def dosing(self) -> None:
        target = _target(self.targets, "DosingRecord")
        rows = sorted(self.records["dosing"], key=lambda d: d.start_on)
        cycles: dict[int, list[DosingRecord]] = defaultdict(list)
        for d in rows:
            cycles[max(0, (d.start_on - self.first_dose).days) // 28 + 1].append(d)
        previous: float | None = None
        reasons: dict[int, str] = {}
        for n, d in enumerate(rows):
            dose = d.daily_dose_mg
            reasons[n] = "as_planned" if previous in (None, dose) or (
                previous == 0 and dose > 0) else "adverse_event"
            previous = dose
        index = {id(d): n for n, d in enumerate(rows)}
        for cycle, stretch in sorted(cycles.items()):
            wanted = [("C1D1", 1)] if cycle == 1 else [("CD1", cycle - 1)]
            visit = self.slot(target.form.id, wanted)
            self.save(target.form.id, _rows_form(
                target, stretch, lambda d: {"change_reason": reasons[index[id(d)]]}), *visit)

    # adverse events: one row per grade change
    def adverse_events(self) -> None:
        events: list[AdverseEvent] = self.records["adverse_events"]
        if not events:
            return
        target = _target(self.targets, "AdverseEvent")
        rows = [row for ae in sorted(events, key=lambda e: e.onset_on) for row in split_ae(ae)]
        assert target.group is not None
        limit = target.group.max_rows
        if limit is not None and len(rows) > limit:
            raise InputError(f"Subject {self.subject.subject_id} has {len(rows)} adverse-event "
                             f"rows (grade changes included); the form holds {limit}.",
                             field="adverse_events", value=len(rows))
        self.save(target.form.id, _rows_form(
            target, rows, lambda ae: {"serious": canonical_text(ae.serious)}))

    def conmeds(self) -> None:
        meds: list[ConcomitantMedication] = self.records["conmeds"]
        if meds:
            target = _target(self.targets, "ConcomitantMedication")
            self.save(target.form.id, _rows_form(
                target, meds, lambda m: {"ongoing": canonical_text(m.stopped_on is None)}))

    def deviations(self) -> None:
        """The protocol deviations log form: one row of its ``deviations`` group each."""
        found: list[ProtocolDeviation] = self.records["deviations"]
        if found:
            rows = [{key: value for key, value in _deviation_answers(d).items()
                     if value is not None} for d in found]
            self.save(_DEVIATION_FORM, {_DEVIATION_GROUP: rows})

    def follow_up(self) -> None:
        therapies: list[NewTherapy] = self.records["new_therapies"]
        if therapies:
            target = _target(self.targets, "NewTherapy")
            self.save(target.form.id, _rows_form(target, therapies))
        contact = _target(self.targets, "Contact", "survival_follow_up")
        previous = None
        for n, c in enumerate(sorted(self.records["contacts"], key=lambda r: r.contact_on), 1):
            new = any((previous is None or t.started_on > previous) and t.started_on
                      <= c.contact_on for t in therapies)
            self.save(contact.form.id, _form_answers(contact, c, {
                "method": "phone", "new_anticancer_therapy": canonical_text(new)}), "SURV", n)
            previous = c.contact_on
        for death in self.records["deaths"]:
            target = _target(self.targets, "Death")
            self.save(target.form.id, {
                "died_on": death.died_on.isoformat(), "cause": _death_cause(death.cause),
                "cause_detail": death.cause or None, "source": "records"})
        last_dose = max((d.end_on for d in self.records["dosing"] if d.daily_dose_mg > 0),
                        default=None)
        for stop in self.records["discontinuations"]:
            if stop.level is DiscontinuationLevel.TREATMENT:
                target = _target(self.targets, "Discontinuation", "end_of_treatment")
                day = min(last_dose or stop.discontinued_on, stop.discontinued_on)
                self.save(target.form.id, _form_answers(target, stop, {
                    "last_dose_on": day.isoformat()}), "EOT")
            else:
                target = _target(self.targets, "Discontinuation", "disposition")
                self.save(target.form.id, _form_answers(target, stop))


#: The log form and group of protocol deviations (forms file, ``protocol_deviations``).
_DEVIATION_FORM, _DEVIATION_GROUP = "protocol_deviations", "deviations"
_DEVIATION_ITEMS = ("deviation_on", "identified_on", "category", "description", "major",
                    "corrective_action", "reported_to_ethics")


def _deviation_answers(d: ProtocolDeviation) -> dict[str, str | None]:
    """A deviation as the answers of its log form row (stored text; empty text is None)."""
    return {"deviation_on": canonical_text(d.deviation_on),
            "identified_on": canonical_text(d.identified_on), "category": d.category,
            "description": d.description, "major": canonical_text(d.major),
            "corrective_action": d.corrective_action or None,
            "reported_to_ethics": d.reported_to_ethics}


def _deviations(subject_id: str, stored: SubjectForms) -> list[ProtocolDeviation]:
    """The rows of the subject's protocol deviations log form (its last saved instance)."""
    for instance in reversed(stored.instances):
        if instance.form_id != _DEVIATION_FORM:
            continue
        out = []
        for row in rows_of(instance.data, _DEVIATION_GROUP):
            answer = {item: (entry.value if (entry := instance.data.get(
                (_DEVIATION_GROUP, row, item))) else None) for item in _DEVIATION_ITEMS}
            out.append(ProtocolDeviation(
                subject_id, dt.date.fromisoformat(str(answer["deviation_on"])),
                dt.date.fromisoformat(str(answer["identified_on"])), str(answer["category"]),
                str(answer["description"] or ""), answer["major"] == "yes",
                corrective_action=str(answer["corrective_action"] or ""),
                reported_to_ethics=None if answer["reported_to_ethics"] is None
                else str(answer["reported_to_ethics"])))
        return out
    return []


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


_DEATH_CAUSES = {"disease_progression": ("progress",), "adverse_event": ("adverse", "toxic"),
                 "unknown": ("unknown",)}


def _death_cause(text: str) -> str:
    """The death-cause code a free-text cause reads as (``other`` when none fits).

    >>> _death_cause("disease progression"), _death_cause("Adverse event"), _death_cause("")
    ('disease_progression', 'adverse_event', 'unknown')
    """
    low = text.lower()
    if not low.strip():
        return "unknown"
    for code, words in _DEATH_CAUSES.items():
        if any(w in low for w in words):
            return code
    return "other"


def split_ae(ae: AdverseEvent) -> list[AdverseEvent]:
    """An adverse event as the form's rows: one per grade change, each dated on its change;
    every row but the last ends on the next change's day with outcome ``not_recovered`` (and
    without the criterion "results in death", which belongs to the last).

    >>> ae = AdverseEvent.new("S1", "Fatigue", "tired", dt.date(2026, 3, 1), 1).with_grade(
    ...     dt.date(2026, 3, 8), 2)
    >>> [(r.onset_on.day, int(r.grade), r.resolved_on and r.resolved_on.day, r.outcome.value)
    ...  for r in split_ae(ae)]
    [(1, 1, 8, 'not_recovered'), (8, 2, None, 'not_recovered')]
    >>> join_ae_rows(split_ae(ae)) == [ae]
    True
    """
    changes = ae.grade_history
    if len(changes) == 1:
        return [ae]
    rows = []
    for n, change in enumerate(changes):
        last = n == len(changes) - 1
        rows.append(replace(
            ae, onset_on=change.on, grade_history=(GradeChange(change.on, change.grade),),
            resolved_on=ae.resolved_on if last else changes[n + 1].on,
            outcome=ae.outcome if last else Outcome.NOT_RECOVERED,
            # a death is the last row's: an earlier grade did not result in it
            serious_criteria=ae.serious_criteria if last
            else ae.serious_criteria - {SeriousCriterion.DEATH},
            onset_as_reported=ae.onset_as_reported if n == 0 else None))
    return rows


def join_ae_rows(rows: Sequence[AdverseEvent]) -> list[AdverseEvent]:
    """The inverse of :func:`split_ae`: rows of one subject with the same term and verbatim
    where one ends (outcome ``not_recovered``) on the day the next begins are one event whose
    grade changed that day."""
    out: list[AdverseEvent] = []
    open_: dict[tuple[str, str, str, dt.date], int] = {}
    for row in sorted(rows, key=lambda r: (r.subject_id, r.onset_on)):
        key = (row.subject_id, row.term, row.verbatim, row.onset_on)
        at = open_.pop(key, None)
        if at is None:
            out.append(row)
            at = len(out) - 1
        else:
            first = out[at]
            out[at] = replace(
                row, onset_on=first.onset_on, onset_as_reported=first.onset_as_reported,
                grade_history=(*first.grade_history, *row.grade_history),
                event_id=first.event_id)
        current = out[at]
        if current.outcome is Outcome.NOT_RECOVERED and current.resolved_on is not None:
            open_[(row.subject_id, row.term, row.verbatim, current.resolved_on)] = at
    return out


# -- export --------------------------------------------------------------------------------


def _audit_head(session: Session) -> str:
    head = session.scalar(select(AuditLog.hash).order_by(AuditLog.id.desc()).limit(1))
    return head or "(empty)"


def _scr_instances(session: Session, row: SubjectRow
                   ) -> tuple[SubjectForms, list[FormRecord]]:
    stored = subject_forms(session, row)
    return stored, [i for i in stored.instances if i.visit_code in (None, "SCR")]


def _screened_on(session: Session, row: SubjectRow) -> dt.date | None:
    cached = session.scalar(select(DerivedCache).where(
        DerivedCache.subject_pk == row.id, DerivedCache.kind == "eligibility"))
    if cached is not None:
        result = (cached.result or {}).get("result")
        on = result.get("on") if isinstance(result, dict) else None
        if isinstance(on, str):
            return dt.date.fromisoformat(on)
    return row.enrolled_on or row.consented_on


def _baseline(subject_id: str, stored: SubjectForms) -> Baseline | None:
    """The baseline facts of the HCC history form (its last saved instance)."""
    for instance in reversed(stored.instances):
        if instance.form_id != "hcc_history":
            continue
        answer = {item: (entry.value if (entry := instance.data.get(("", 0, item))) else None)
                  for item in ("aetiology", "macrovascular_invasion", "extrahepatic_spread")}
        codes = tuple(c.strip() for c in (answer["aetiology"] or "").split(",") if c.strip())
        mvi, ehs = (None if answer[k] is None else answer[k] == "yes"
                    for k in ("macrovascular_invasion", "extrahepatic_spread"))
        return Baseline(subject_id, codes, mvi, ehs)
    return None


def _year_only(record: ScreeningRecord) -> ScreeningRecord:
    if record.birth_date is None:
        return record
    return record.model_copy(update={"birth_date": dt.date(record.birth_date.year, 7, 1)})


def _screening(session: Session, ctx: TrialContext, actor: Actor
               ) -> tuple[list[ScreenedPatient], list[Baseline], dict[str, str],
                          list[ProtocolDeviation]]:
    """Screened patients, baselines, subject label -> site code and protocol deviations, as
    the actor may see them (pseudonyms where the actor may not see identities)."""
    forms = forms_of(ctx)
    patients, baselines, sites = [], [], {}
    deviations: list[ProtocolDeviation] = []
    rights: dict[int, tuple[bool, bool, bool]] = {}
    codes = {s.id: s.code for s in session.scalars(select(Site))}
    for row in session.scalars(select(SubjectRow).order_by(SubjectRow.id)):
        if row.site_id not in rights:
            rights[row.site_id] = (can(session, actor, "export", row.site_id),
                                   can(session, actor, "view", row.site_id),
                                   can(session, actor, "view_pseudonymised", row.site_id))
        may_export, sees, pseudo = rights[row.site_id]
        if not may_export or not (sees or pseudo):
            continue
        stored, scr = _scr_instances(session, row)
        number = row.screening_number if sees else row.pseudonym
        sid = row.subject_id if sees else (row.pseudonym if row.subject_id else None)
        try:
            record = screening_record(forms, number, scr)
        except InputError:
            record = ScreeningRecord(subject_id=number)  # answers that make no record yet
        on = _screened_on(session, row)
        if on is not None:
            patients.append(ScreenedPatient(number, on, record if sees else _year_only(record),
                                            sid))
        if sid is not None:
            sites[sid] = codes.get(row.site_id, "")
            baseline = _baseline(sid, stored)
            if baseline is not None:
                baselines.append(baseline)
            deviations += _deviations(sid, stored)
    return patients, baselines, sites, deviations


def export_study(db: Database, actor: Actor, ctx: TrialContext) -> StudyData:
    """The whole stored trial as a :class:`StudyData`, as the actor may see it.

    The endpoint domains are those of :func:`oncotrial.services.export_dataset`; the screened
    patients come from the screening forms (:func:`oncotrial.forms.mapping.screening_record`,
    screened on the day of the stored eligibility decision), the baseline facts from the HCC
    history form, labs, lesions, adverse events (grade changes joined by
    :func:`join_ae_rows`) and medications from the forms' records, the protocol deviations
    from the rows of the protocol deviations log form. Needs the ``export``
    right; statisticians get pseudonyms and birth years. Audited like ``export json``;
    ``source`` is ``database <url without password>, audit trail head <hash>``.
    """
    with db.transaction(actor, reason="export") as session:
        require(session, actor, "export")
        records: list[SubjectRecords] = _subject_records(session, ctx, actor)
        screening, baselines, sites, deviations = _screening(session, ctx, actor)
        dataset = _dataset(records)
        dataset = replace(dataset, subjects=tuple(
            replace(s, site_id=sites.get(s.subject_id, s.site_id)) for s in dataset.subjects))
        head = _audit_head(session)
        append_event(session.connection(), "export", table="workflow",
                     new=f"study data, {len(dataset.subjects)} subjects, "
                         f"{len(screening)} screened")
    url = db.engine.url.render_as_string(hide_password=True)
    return StudyData(
        dataset=dataset,
        screening=tuple(screening),
        baseline=tuple(baselines),
        labs=tuple(x for r in records for x in r.labs),
        lesions=tuple(x for r in records for x in r.lesions),
        adverse_events=tuple(join_ae_rows([x for r in records for x in r.adverse_events])),
        conmeds=tuple(x for r in records for x in r.conmeds),
        deviations=tuple(deviations),
        source=f"database {url}, audit trail head {head}",
    )


