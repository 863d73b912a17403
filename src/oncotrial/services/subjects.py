"""Subjects: register at screening, screen, enrol, visits, withdraw, close out.

Each function is one use case: it takes the database, the acting user and the
:class:`~oncotrial.context.TrialContext`, checks role and site, runs in one transaction and
returns a typed result or raises a clear error (:mod:`oncotrial.services.errors`).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from oncotrial.context import TrialContext
from oncotrial.eligibility import ScreeningResult, screen
from oncotrial.errors import InputError
from oncotrial.forms.mapping import FormRecord, SubjectForms, screening_record
from oncotrial.records import to_plain
from oncotrial.services.access import Actor, can, find_site, require
from oncotrial.services.database import Database
from oncotrial.services.errors import NotFoundError, PermissionDenied, WorkflowError
from oncotrial.services.lookup import (
    ensure_database_open,
    ensure_enrolled_for,
    ensure_writable,
    find_subject,
    forms_of,
    instance_data,
    subject_label,
    visit_of,
    visit_ref,
)
from oncotrial.store.audit import append_event
from oncotrial.store.models import (
    DerivedCache,
    FormInstance,
    Site,
    Subject,
    SubjectIdentity,
    Visit,
)

__all__ = [
    "Enrolment",
    "SubjectSummary",
    "close_out",
    "enrol",
    "list_subjects",
    "record_visit",
    "register_subject",
    "screen_subject",
    "subject_forms",
    "withdraw",
]

STATUSES = ("screened", "screen_failed", "enrolled", "on_treatment", "off_treatment",
            "follow_up", "withdrawn", "off_study")


@dataclass(frozen=True, slots=True)
class SubjectSummary:
    """A subject as a list shows it."""

    screening_number: str
    subject_id: str | None
    pseudonym: str
    site: str
    status: str
    consented_on: date | None
    enrolled_on: date | None


def register_subject(db: Database, actor: Actor, ctx: TrialContext, *, site: str,
                     screening_number: str, full_name: str = "", initials: str = "",
                     birth_date: date | None = None, hospital_number: str = "") -> str:
    """Register a patient for screening; identifying details go to their own table.

    Returns the screening number. No trial data can be entered before consent (V-3).
    """
    if not screening_number.strip():
        raise InputError("The screening number is empty.", field="screening_number",
                         hint="Enter the number from the screening log, e.g. S-001.")
    with db.transaction(actor, reason="subject registered") as session:
        site_row = find_site(session, site)
        require(session, actor, "register", site_row.id)
        ensure_database_open(session, ctx)
        taken = session.scalar(select(Subject).where(
            Subject.screening_number == screening_number))
        if taken is not None:
            raise InputError(f"Screening number {screening_number!r} is already registered.",
                             field="screening_number", value=screening_number,
                             hint="Each screened patient gets a new number.")
        subject = Subject(site_id=site_row.id, screening_number=screening_number,
                          pseudonym="P-" + secrets.token_hex(4).upper(), status="screened",
                          subject_ref=screening_number, casebook_locked=False)
        session.add(subject)
        session.flush()
        session.add(SubjectIdentity(subject_pk=subject.id, full_name=full_name,
                                    initials=initials, birth_date=birth_date,
                                    hospital_number=hospital_number, phone="",
                                    subject_ref=screening_number))
        session.add(Visit(subject_pk=subject.id, code="SCR", occurrence=1, status="planned",
                          subject_ref=screening_number, visit_ref="SCR"))
        return screening_number


def subject_forms(session: Session, subject: Subject) -> SubjectForms:
    """Everything stored for one subject, in the shape :mod:`oncotrial.forms.mapping` reads."""
    rows = session.execute(
        select(FormInstance, Visit).outerjoin(Visit, Visit.id == FormInstance.visit_pk)
        .where(FormInstance.subject_pk == subject.id).order_by(FormInstance.id)).all()
    data = instance_data(session, [inst.id for inst, _ in rows])
    records = tuple(FormRecord(inst.form_id, None if visit is None else visit.code,
                               None if visit is None else visit.actual_on, data[inst.id])
                    for inst, visit in rows)
    return SubjectForms(subject_label(subject), subject.enrolled_on, records)


def _screen(session: Session, ctx: TrialContext, subject: Subject, on: date
            ) -> ScreeningResult:
    forms = forms_of(ctx)
    stored = subject_forms(session, subject)
    # Screening reads the screening visit's forms (and log forms), not later visits' results.
    screening = [i for i in stored.instances if i.visit_code in (None, "SCR")]
    record = screening_record(forms, subject.screening_number, screening)
    return screen(record, ctx.protocol, on=on)


def screen_subject(db: Database, actor: Actor, ctx: TrialContext, subject: str, *,
                   on: date) -> ScreeningResult:
    """Screen a subject from the stored screening forms against every criterion.

    The verdicts are derived, never typed in; the decision is cached with the hash of its
    inputs and audited (AT-6) when it differs from the cached one, so that looking at the
    checklist again does not fill the trail with repeats.
    """
    with db.transaction(actor, reason="eligibility decision") as session:
        row = find_subject(session, subject, for_update=True)  # one decision at a time
        require(session, actor, "screen", row.site_id)
        result = _screen(session, ctx, row, on)
        if row.subject_id is None and row.status in ("screened", "screen_failed"):
            status = "screen_failed" if result.code == "eligibility.not_eligible" else "screened"
            if row.status != status:
                row.status = status  # audited: the subject row changes
        if _cache(session, row, "eligibility", to_plain(result), db.software_version):
            append_event(session.connection(), "eligibility_decision", table="subject",
                         row_key=str(row.id), subject_ref=row.subject_ref, new=result.code)
        return result


def _cache(session: Session, subject: Subject, kind: str, result: object,
           version: str) -> bool:
    """Cache a derived result with the hash of what it says; True when it is new or changed
    (or the software version changed)."""
    text = json.dumps(result, sort_keys=True, default=str)
    digest = hashlib.sha256(text.encode()).hexdigest()
    cached = session.scalar(select(DerivedCache).where(
        DerivedCache.subject_pk == subject.id, DerivedCache.kind == kind))
    if cached is None:
        session.add(DerivedCache(subject_pk=subject.id, kind=kind, inputs_hash=digest,
                                 software_version=version, result={"result": result}))
        return True
    if (cached.inputs_hash, cached.software_version) == (digest, version):
        return False
    cached.inputs_hash, cached.software_version = digest, version
    cached.result = {"result": result}
    return True


@dataclass(frozen=True, slots=True)
class Enrolment:
    """An enrolment: the subject id given, the date, and the count enrolled so far."""

    subject_id: str
    enrolled_on: date
    enrolled_count: int
    target: int
    over_enrolment_reason: str | None


def enrol(db: Database, actor: Actor, ctx: TrialContext, subject: str, *, enrolled_on: date,
          over_enrolment_reason: str | None = None) -> Enrolment:
    """Enrol an eligible subject and give the subject id (``HCH-001``).

    Refused unless every criterion is ``met`` on the enrolment date; stops at the protocol's
    target unless an administrator records an over-enrolment reason.
    """
    forms = forms_of(ctx)
    with db.transaction(actor, reason="enrolment") as session:
        row = find_subject(session, subject, for_update=True)
        # Investigators enrol; an administrator (who may not enrol within the target) may
        # enrol beyond it with a recorded reason.
        may_enrol = can(session, actor, "enrol", row.site_id)
        if not may_enrol and not can(session, actor, "over_enrol"):
            require(session, actor, "enrol", row.site_id)
        ensure_writable(session, ctx, row)
        if row.subject_id is not None:
            raise WorkflowError(f"{row.screening_number} is already enrolled as "
                                f"{row.subject_id}.")
        result = _screen(session, ctx, row, enrolled_on)
        if not result.eligible:
            raise WorkflowError(
                f"{row.screening_number} cannot be enrolled: {result.reason}",
                field="eligibility", value=result.code,
                hint="Every criterion must be met; complete or correct the screening forms.")
        count = session.scalar(select(func.count()).select_from(Subject).where(
            Subject.subject_id.is_not(None))) or 0
        target = ctx.protocol.enrolment.target
        if count >= target:
            _check_over_enrolment(session, actor, count, target, over_enrolment_reason)
            row.over_enrolment_reason = over_enrolment_reason
        elif not may_enrol:
            require(session, actor, "enrol", row.site_id)
        row.subject_id = forms.subject_ids.subject_id(count + 1)
        row.enrolled_on = enrolled_on
        row.status = "enrolled"
        _plan_first_dose(session, ctx, row, enrolled_on)
        append_event(session.connection(), "enrolment", table="subject", row_key=str(row.id),
                     subject_ref=row.subject_ref, new=row.subject_id)
        return Enrolment(row.subject_id, enrolled_on, count + 1, target,
                         over_enrolment_reason)


def _check_over_enrolment(session: Session, actor: Actor, count: int, target: int,
                          reason: str | None) -> None:
    if not (reason or "").strip():
        raise WorkflowError(
            f"The trial has reached its target of {target} subjects ({count} enrolled).",
            field="over_enrolment_reason",
            hint="An administrator may enrol beyond the target with a recorded reason.")
    try:
        require(session, actor, "over_enrol")
    except PermissionDenied as exc:
        raise PermissionDenied(
            f"Enrolling beyond the target of {target} needs an administrator.",
            hint=exc.hint) from exc


def _plan_first_dose(session: Session, ctx: TrialContext, subject: Subject,
                     enrolled_on: date) -> None:
    for visit in ctx.protocol.visits:
        if visit.anchor != "enrolment" or visit_of(session, subject, visit.code, 1):
            continue
        session.add(Visit(
            subject_pk=subject.id, code=visit.code, occurrence=1,
            planned_on=enrolled_on + timedelta(days=visit.day),
            window_start_on=enrolled_on + timedelta(days=visit.window.start_day),
            window_end_on=enrolled_on + timedelta(days=visit.window.end_day),
            status="planned", subject_ref=subject.subject_ref,
            visit_ref=visit_ref(visit.code)))


@dataclass(frozen=True, slots=True)
class VisitResult:
    """A recorded visit, with a warning when its date is outside the protocol window."""

    code: str
    occurrence: int
    actual_on: date
    window_start_on: date | None
    window_end_on: date | None
    out_of_window: bool


def _known_visit(ctx: TrialContext, code: str) -> None:
    codes = [v.code for v in ctx.protocol.visits] + ["UNS"]
    if code not in codes:
        raise NotFoundError(f"There is no visit {code!r} in {ctx.protocol_id}.", field="visit",
                            value=code, hint=f"Visits: {', '.join(codes)}.")


def record_visit(db: Database, actor: Actor, ctx: TrialContext, subject: str, code: str, *,
                 actual_on: date, occurrence: int = 1, reason: str = "") -> VisitResult:
    """Record (or correct, with a reason) the date a visit took place."""
    _known_visit(ctx, code)
    if occurrence < 1:
        raise InputError(f"Visit occurrence {occurrence} must be 1 or more.",
                         field="occurrence", value=occurrence)
    with db.transaction(actor, reason=reason) as session:
        row = find_subject(session, subject, for_update=True)
        require(session, actor, "enter_data", row.site_id)
        ensure_writable(session, ctx, row)
        if row.consented_on is None:
            raise WorkflowError(f"{subject_label(row)} has no recorded consent: no visit can "
                                "be recorded before consent (ICH E6(R3) 2.8).",
                                hint="Enter the informed consent form first.")
        ensure_enrolled_for(ctx, row, code)
        visit = visit_of(session, row, code, occurrence)
        if visit is None:
            visit = Visit(subject_pk=row.id, code=code, occurrence=occurrence,
                          status="planned", subject_ref=row.subject_ref,
                          visit_ref=visit_ref(code, occurrence))
            session.add(visit)
        elif visit.actual_on is not None and visit.actual_on != actual_on \
                and not reason.strip():
            raise WorkflowError("The visit date is already saved; a correction needs a reason "
                                "(ICH E6(R3) 4.2.4).", field="reason",
                                hint="Say why the date changes.")
        visit.actual_on = actual_on
        visit.status = "done"
        start, end = visit.window_start_on, visit.window_end_on
        out = (start is not None and actual_on < start) or (end is not None and actual_on > end)
        return VisitResult(code, occurrence, actual_on, start, end, bool(out))


def _set_status(db: Database, actor: Actor, ctx: TrialContext, subject: str, status: str,
                action: str, reason: str) -> SubjectSummary:
    if not reason.strip():
        raise InputError(f"A reason is needed to {action.replace('_', ' ')}.", field="reason",
                         hint="Say why, as it will appear in the audit trail.")
    with db.transaction(actor, reason=reason) as session:
        row = find_subject(session, subject, for_update=True)
        require(session, actor, "withdraw", row.site_id)
        ensure_writable(session, ctx, row)
        old = row.status
        row.status = status
        append_event(session.connection(), action, table="subject", row_key=str(row.id),
                     subject_ref=row.subject_ref, old=old, new=status)
        return _summary(session, row)


def withdraw(db: Database, actor: Actor, ctx: TrialContext, subject: str, *,
             reason: str) -> SubjectSummary:
    """Withdraw a subject (consent withdrawn, investigator decision...). Data kept."""
    return _set_status(db, actor, ctx, subject, "withdrawn", "withdrawal", reason)


def close_out(db: Database, actor: Actor, ctx: TrialContext, subject: str, *,
              reason: str) -> SubjectSummary:
    """Close a subject's participation (off study)."""
    return _set_status(db, actor, ctx, subject, "off_study", "close_out", reason)


def _summary(session: Session, row: Subject) -> SubjectSummary:
    site = session.get(Site, row.site_id)
    return SubjectSummary(row.screening_number, row.subject_id, row.pseudonym,
                          site.code if site else "", row.status, row.consented_on,
                          row.enrolled_on)


def list_subjects(db: Database, actor: Actor, ctx: TrialContext) -> list[SubjectSummary]:
    """The subjects the actor may see (site roles: their sites; statisticians: pseudonyms)."""
    with db.transaction(actor, reason="") as session:
        rows = session.scalars(select(Subject).order_by(Subject.id)).all()
        out = []
        for row in rows:
            if can(session, actor, "view", row.site_id):
                out.append(_summary(session, row))
            elif can(session, actor, "view_pseudonymised", row.site_id):
                out.append(SubjectSummary("", None, row.pseudonym, "", row.status, None, None))
        return out
