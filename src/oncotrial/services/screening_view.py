"""Read helpers of the screening pages: one subject's screening forms, a preview of the
checklist with values not yet saved, the screening log, and where a user may register.

These only read. :func:`preview_screening` evaluates the criteria on the stored screening
forms with some forms replaced by values the user is still typing; it neither saves nor
audits anything, because it is not the eligibility decision: the decision is
:func:`oncotrial.services.screen_subject` on the stored forms (audited), and enrolment screens
the stored forms again. Every function checks role and site like the other services.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from oncotrial.context import TrialContext
from oncotrial.eligibility import ScreeningResult, screen
from oncotrial.errors import OncotrialError
from oncotrial.forms import Entry, FormRecord, screening_record
from oncotrial.services.access import Actor, as_utc, can, require
from oncotrial.services.database import Database
from oncotrial.services.lookup import (
    find_subject,
    forms_of,
    instance_data,
    instance_of,
    trial_state,
    visit_of,
)
from oncotrial.services.subjects import subject_forms
from oncotrial.store.models import Site, Subject, SubjectIdentity

__all__ = [
    "LogEntry",
    "ScreeningSubject",
    "StoredForm",
    "enrolled_count",
    "preview_screening",
    "register_sites",
    "screening_log",
    "screening_subject",
]

Key = tuple[str, int, str]
#: The visit whose forms screening reads.
SCREENING_VISIT = "SCR"


@dataclass(frozen=True, slots=True)
class StoredForm:
    """One saved screening form: its version (what a correction must name), lock and values."""

    form_id: str
    version: int
    locked: bool
    saved_at: datetime | None
    saved_by: str | None
    data: dict[Key, Entry]


@dataclass(frozen=True, slots=True)
class ScreeningSubject:
    """A subject as the screening page shows it, with the saved screening forms by form id.

    ``initials`` is empty for a user who may not see identifying details.
    """

    screening_number: str
    subject_id: str | None
    status: str
    site: str
    consented_on: date | None
    enrolled_on: date | None
    initials: str
    writable: bool
    forms: dict[str, StoredForm] = field(default_factory=dict)


def _site_code(session: Session, site_pk: int) -> str:
    site = session.get(Site, site_pk)
    return site.code if site else ""


def screening_subject(db: Database, actor: Actor, ctx: TrialContext,
                      subject: str) -> ScreeningSubject:
    """The subject and its saved forms of the screening visit (needs the right to screen at
    the subject's site)."""
    forms = forms_of(ctx)
    with db.transaction(actor, reason="") as session:
        row = find_subject(session, subject)
        require(session, actor, "screen", row.site_id)
        initials = ""
        if can(session, actor, "view_identity", row.site_id):
            identity = session.get(SubjectIdentity, row.id)
            initials = identity.initials if identity else ""
        visit = visit_of(session, row, SCREENING_VISIT, 1)
        stored: dict[str, StoredForm] = {}
        instances = [inst for form in forms.forms_at(SCREENING_VISIT)
                     if visit is not None
                     and (inst := instance_of(session, row, visit, form.id)) is not None]
        data = instance_data(session, [inst.id for inst in instances])
        for inst in instances:
            stored[inst.form_id] = StoredForm(inst.form_id, inst.version, inst.locked,
                                              as_utc(inst.saved_at), inst.saved_by,
                                              data[inst.id])
        writable = not (row.casebook_locked or trial_state(session, ctx).database_locked)
        return ScreeningSubject(row.screening_number, row.subject_id, row.status,
                                _site_code(session, row.site_id), row.consented_on,
                                row.enrolled_on, initials, writable, stored)


def _merged(session: Session, row: Subject,
            unsaved: Mapping[str, Mapping[Key, Entry]]) -> list[FormRecord]:
    stored = subject_forms(session, row)
    records = [i for i in stored.instances if i.visit_code in (None, SCREENING_VISIT)]
    visit_date = next((i.visit_date for i in records if i.visit_code == SCREENING_VISIT),
                      None)
    for form_id, data in unsaved.items():
        replacement = FormRecord(form_id, SCREENING_VISIT, visit_date, dict(data))
        for n, record in enumerate(records):
            if record.form_id == form_id and record.visit_code == SCREENING_VISIT:
                records[n] = replacement
                break
        else:
            records.append(replacement)
    return records


def preview_screening(db: Database, actor: Actor, ctx: TrialContext, subject: str,
                      unsaved: Mapping[str, Mapping[Key, Entry]], *,
                      on: date) -> ScreeningResult:
    """The checklist on ``on`` if the forms in ``unsaved`` (form id -> canonical data, as
    :func:`oncotrial.forms.check_form` gives it) were saved as they are; nothing is saved or
    audited (the decision itself is :func:`~oncotrial.services.screen_subject`).

    Raises:
        InputError: the values do not make a screening record (names form and item).
    """
    forms = forms_of(ctx)
    with db.transaction(actor, reason="") as session:
        row = find_subject(session, subject)
        require(session, actor, "screen", row.site_id)
        record = screening_record(forms, row.screening_number, _merged(session, row, unsaved))
        return screen(record, ctx.protocol, on=on)


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One line of the screening log: the subject, its status and, when the stored forms
    decide it, why the subject is not eligible (criterion id and result code)."""

    screening_number: str
    subject_id: str | None
    site: str
    status: str
    consented_on: date | None
    enrolled_on: date | None
    eligibility: str | None
    failed: tuple[tuple[str, str], ...]
    open_items: int
    problem: str = ""


def _log_entry(session: Session, ctx: TrialContext, row: Subject, on: date) -> LogEntry:
    forms = forms_of(ctx)
    when = row.enrolled_on or on
    eligibility: str | None = None
    failed: tuple[tuple[str, str], ...] = ()
    open_items = 0
    problem = ""
    try:
        records = _merged(session, row, {})
        record = screening_record(forms, row.screening_number, records)
        result = screen(record, ctx.protocol, on=when)
    except OncotrialError as exc:
        problem = exc.message
    else:
        eligibility = str(result.status)
        failed = tuple((v.criterion_id, v.code) for v in result.by_status("not_met"))
        open_items = len(result.by_status("missing")) + \
            len(result.by_status("needs_investigator"))
    return LogEntry(row.screening_number, row.subject_id, _site_code(session, row.site_id),
                    row.status, row.consented_on, row.enrolled_on, eligibility, failed,
                    open_items, problem)


def screening_log(db: Database, actor: Actor, ctx: TrialContext, *,
                  on: date) -> list[LogEntry]:
    """Every screened subject the actor may see, with the verdict of the stored screening
    forms (on the enrolment date once enrolled, else on ``on``); nothing is audited."""
    with db.transaction(actor, reason="") as session:
        require(session, actor, "view")
        rows = session.scalars(select(Subject).order_by(Subject.id)).all()
        return [_log_entry(session, ctx, row, on) for row in rows
                if can(session, actor, "view", row.site_id)]


def enrolled_count(db: Database, actor: Actor, ctx: TrialContext) -> int:
    """How many subjects of the trial are enrolled (against the protocol's target)."""
    with db.transaction(actor, reason="") as session:
        require(session, actor, "screen")
        return session.scalar(select(func.count()).select_from(Subject).where(
            Subject.subject_id.is_not(None))) or 0


def register_sites(db: Database, actor: Actor) -> list[str]:
    """The codes of the sites where the actor may register patients (empty: none)."""
    with db.transaction(actor, reason="") as session:
        sites = session.scalars(select(Site).order_by(Site.code)).all()
        return [s.code for s in sites if can(session, actor, "register", s.id)]
