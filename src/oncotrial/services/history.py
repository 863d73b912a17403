"""Reading a subject's casebook for the web pages: header, visit schedule, queries per item,
signatures per form, and the audit history of one item.

Read-only use cases that the casebook pages need beyond :func:`~oncotrial.services.
load_casebook`. Each takes ``(db, actor, ctx, ...)`` and checks role and site itself, like every
service: a site role sees its own sites; a statistician sees the pseudonymised view only (no
screening number, no initials, no site, no staff names of the site); the audit history needs
``view_audit`` (21 CFR 11.10(e): the trail is available for review and copying).

The visit schedule combines the stored visit rows (planned date, window, actual date) with the
protocol's visit list: a protocol visit not yet stored is shown with its window when its
anchor date is known (enrolment date; first dose: the actual date of the first visit anchored
at enrolment on day 0 or later), and "not scheduled" otherwise. A visit's status is

* ``done``: its actual date is recorded or a form of it is saved;
* ``missed``: stored as missed, or the window is over and the subject is off study;
* ``overdue``: the window is over and nothing is recorded;
* ``due``: today is inside the window;
* ``upcoming``: the window starts after today;
* ``not_scheduled``: no window is known yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from oncotrial.context import TrialContext
from oncotrial.protocol.model import Visit as ProtocolVisit
from oncotrial.services.access import Actor, as_utc, can, now_utc, require, sees_identity
from oncotrial.services.database import Database
from oncotrial.services.errors import NotFoundError
from oncotrial.services.lookup import find_subject, item_ref, subject_label, trial_state, visit_ref
from oncotrial.store.models import (
    AppUser,
    AuditLog,
    FormInstance,
    Query,
    Signature,
    Site,
    Subject,
    SubjectIdentity,
    Visit,
)

__all__ = [
    "VISIT_STATUSES",
    "AuditEntry",
    "FormSignature",
    "ItemQuery",
    "SubjectHeader",
    "VisitRow",
    "form_queries",
    "item_history",
    "subject_header",
    "subject_signatures",
    "visit_schedule",
]

Key = tuple[str, int, str]

#: The statuses of a visit in the schedule, in the order a page explains them.
VISIT_STATUSES = ("done", "due", "overdue", "missed", "upcoming", "not_scheduled")

#: Subject statuses after which no further visit will take place.
_ENDED = frozenset({"screen_failed", "withdrawn", "off_study"})

#: Audit actions of the row triggers; item history shows the item_value rows of these and the
#: named workflow events (query, SDV) of the other tables.
_ROW_ACTIONS = ("insert", "update", "delete")


# --------------------------------------------------------------------------- access


def _find(session: Session, ref: str) -> Subject:
    """A subject by subject id, screening number or pseudonym."""
    return find_subject(session, ref)


def _viewer(session: Session, actor: Actor, subject: Subject) -> bool:
    """Check the actor may see the subject; True when only the pseudonymised view."""
    return not sees_identity(session, actor, subject.site_id)


# --------------------------------------------------------------------------- header


@dataclass(frozen=True, slots=True)
class SubjectHeader:
    """Who the casebook is about, as the actor may see it.

    ``key`` is the reference the other services take (subject id or screening number); a page
    passes it on but never shows it when ``pseudonymised``.
    """

    key: str
    label: str
    pseudonymised: bool
    subject_id: str | None
    screening_number: str | None
    initials: str | None
    site_code: str | None
    site_name: str | None
    status: str
    consented_on: date | None
    enrolled_on: date | None
    casebook_locked: bool
    database_locked: bool


def subject_header(db: Database, actor: Actor, ctx: TrialContext, subject: str
                   ) -> SubjectHeader:
    """The header of a casebook; ``subject`` is a subject id, screening number or pseudonym.

    Raises:
        NotFoundError: no such subject.
        PermissionDenied: the actor has no role at the subject's site (nor a statistician's).
    """
    with db.transaction(actor, reason="") as session:
        row = _find(session, subject)
        pseudo = _viewer(session, actor, row)
        locked = trial_state(session, ctx).database_locked
        key = subject_label(row)
        if pseudo:
            return SubjectHeader(key, row.pseudonym, True, None, None, None, None, None,
                                 row.status, None, row.enrolled_on, row.casebook_locked,
                                 locked)
        site = session.get(Site, row.site_id)
        initials = None
        if can(session, actor, "view_identity", row.site_id):
            identity = session.get(SubjectIdentity, row.id)
            initials = identity.initials if identity is not None else None
        return SubjectHeader(
            key, key, False, row.subject_id, row.screening_number, initials or None,
            site.code if site else None, site.name if site else None, row.status,
            row.consented_on, row.enrolled_on, row.casebook_locked, locked)


# --------------------------------------------------------------------------- visit schedule


@dataclass(frozen=True, slots=True)
class VisitRow:
    """One visit of the schedule: planned date and window, actual date, status, and how many
    forms of it are saved."""

    code: str
    occurrence: int
    name: str
    ref: str
    planned_on: date | None
    window_start_on: date | None
    window_end_on: date | None
    actual_on: date | None
    status: str
    stored: bool
    forms_saved: int

    @property
    def out_of_window(self) -> bool:
        """True when the actual date lies outside the window."""
        day, start, end = self.actual_on, self.window_start_on, self.window_end_on
        return day is not None and ((start is not None and day < start)
                                    or (end is not None and day > end))


def _anchors(ctx: TrialContext, subject: Subject, visits: list[Visit]) -> dict[str, date]:
    """The anchor dates known now: enrolment and first dose."""
    out: dict[str, date] = {}
    if subject.enrolled_on is not None:
        out["enrolment"] = subject.enrolled_on
    first = sorted((v for v in ctx.protocol.visits if v.anchor == "enrolment" and v.day >= 0),
                   key=lambda v: v.day)
    if first:
        for row in visits:
            if row.code == first[0].code and row.occurrence == 1 and row.actual_on:
                out["first_dose"] = row.actual_on
    return out


def _derived(visit: ProtocolVisit, occurrence: int, anchors: dict[str, date]
             ) -> tuple[date | None, date | None, date | None]:
    """Planned date and window of a visit not stored yet, when its anchor date is known."""
    anchor = anchors.get(visit.anchor)
    if anchor is None or (occurrence > 1 and visit.repeat_every_days is None):
        return None, None, None
    shift = (occurrence - 1) * (visit.repeat_every_days or 0)
    return (anchor + timedelta(days=visit.day + shift),
            anchor + timedelta(days=visit.window.start_day + shift),
            anchor + timedelta(days=visit.window.end_day + shift))


def _status(stored: str, actual: date | None, saved: int, start: date | None,
            end: date | None, subject_status: str, today: date) -> str:
    if actual is not None or saved:
        return "done"
    if stored == "missed":
        return "missed"
    if end is not None and end < today:
        return "missed" if subject_status in _ENDED else "overdue"
    if start is not None and start <= today:
        return "due"
    if start is not None:
        return "upcoming"
    return "not_scheduled"


def visit_schedule(db: Database, actor: Actor, ctx: TrialContext, subject: str, *,
                   today: date | None = None) -> list[VisitRow]:
    """The subject's visits in protocol order: every stored visit, then for each protocol
    visit its next occurrence not stored yet (with its window when the anchor is known).

    Raises:
        NotFoundError, PermissionDenied: as :func:`subject_header`.
    """
    day = today or now_utc().date()
    with db.transaction(actor, reason="") as session:
        row = _find(session, subject)
        _viewer(session, actor, row)
        visits = list(session.scalars(select(Visit).where(Visit.subject_pk == row.id)
                                      .order_by(Visit.code, Visit.occurrence)))
        saved = dict(session.execute(
            select(FormInstance.visit_pk, func.count()).where(
                FormInstance.subject_pk == row.id, FormInstance.visit_pk.is_not(None),
                FormInstance.saved_at.is_not(None)).group_by(FormInstance.visit_pk)).all())
        anchors = _anchors(ctx, row, visits)
        out: list[VisitRow] = []
        known = {v.code: v for v in ctx.protocol.visits}
        for pv in ctx.protocol.visits:
            mine = [v for v in visits if v.code == pv.code]
            for v in mine:
                start, end, planned = v.window_start_on, v.window_end_on, v.planned_on
                if start is None and end is None:
                    planned, start, end = _derived(pv, v.occurrence, anchors)
                count = int(saved.get(v.id, 0))
                out.append(VisitRow(v.code, v.occurrence, pv.name, v.visit_ref, planned,
                                    start, end, v.actual_on,
                                    _status(v.status, v.actual_on, count, start, end,
                                            row.status, day), True, count))
            if mine and pv.repeat_every_days is None:
                continue
            occurrence = max((v.occurrence for v in mine), default=0) + 1
            planned, start, end = _derived(pv, occurrence, anchors)
            out.append(VisitRow(pv.code, occurrence, pv.name, visit_ref(pv.code, occurrence),
                                planned, start, end, None,
                                _status("planned", None, 0, start, end, row.status, day),
                                False, 0))
        for v in visits:  # unscheduled visits and codes the protocol no longer lists
            if v.code not in known:
                count = int(saved.get(v.id, 0))
                name = "Unscheduled visit" if v.code == "UNS" else v.code
                out.append(VisitRow(v.code, v.occurrence, name, v.visit_ref, v.planned_on,
                                    v.window_start_on, v.window_end_on, v.actual_on,
                                    _status(v.status, v.actual_on, count, v.window_start_on,
                                            v.window_end_on, row.status, day), True, count))
        return out


# --------------------------------------------------------------------------- queries


@dataclass(frozen=True, slots=True)
class ItemQuery:
    """A query on one item of a form, with who raised, answered and closed it, and when."""

    id: int
    key: Key
    item_ref: str
    status: str
    origin: str
    text: str
    raised_by: str
    raised_by_name: str
    raised_at: datetime
    answer: str | None
    answered_by: str | None
    answered_at: datetime | None
    closed_by: str | None
    closed_at: datetime | None


def _names(session: Session, usernames: set[str]) -> dict[str, str]:
    if not usernames:
        return {}
    return dict(session.execute(select(AppUser.username, AppUser.full_name).where(
        AppUser.username.in_(usernames))).all())


def _instance(session: Session, form_instance_id: int) -> tuple[FormInstance, Subject]:
    inst = session.get(FormInstance, form_instance_id)
    subject = None if inst is None else session.get(Subject, inst.subject_pk)
    if inst is None or subject is None:
        raise NotFoundError(f"There is no form instance {form_instance_id}.",
                            field="form_instance_id", value=form_instance_id)
    return inst, subject


def form_queries(db: Database, actor: Actor, ctx: TrialContext, form_instance_id: int
                 ) -> list[ItemQuery]:
    """Every query of one form (open, answered and closed), oldest first.

    Raises:
        NotFoundError: no such form instance.
        PermissionDenied: the actor may not view the subject's site (statisticians see no
            queries: they name site staff and discuss source documents).
    """
    with db.transaction(actor, reason="") as session:
        inst, subject = _instance(session, form_instance_id)
        require(session, actor, "view", subject.site_id)
        rows = list(session.scalars(select(Query).where(Query.form_instance_id == inst.id)
                                    .order_by(Query.id)))
        names = _names(session, {q.raised_by for q in rows})
        return [ItemQuery(q.id, (q.group_id, q.row_no, q.item_id), q.item_ref, q.status,
                          q.origin, q.text, q.raised_by, names.get(q.raised_by, q.raised_by),
                          q.raised_at, q.answer, q.answered_by, as_utc(q.answered_at),
                          q.closed_by, as_utc(q.closed_at)) for q in rows]


# --------------------------------------------------------------------------- signatures


@dataclass(frozen=True, slots=True)
class FormSignature:
    """A signature with what it signs: a form (``form_instance_id``) or the casebook (None)."""

    id: int
    form_instance_id: int | None
    form_ref: str
    visit_ref: str
    printed_name: str
    signed_at: datetime
    meaning: str
    invalidated_at: datetime | None
    invalidated_reason: str | None

    @property
    def valid(self) -> bool:
        return self.invalidated_at is None


def subject_signatures(db: Database, actor: Actor, ctx: TrialContext, subject: str
                       ) -> list[FormSignature]:
    """Every signature of a subject, of forms and of the casebook, valid and invalidated
    (ES-1, ES-2), oldest first. A statistician sees them too (no subject identity in them).

    Raises:
        NotFoundError, PermissionDenied: as :func:`subject_header`.
    """
    with db.transaction(actor, reason="") as session:
        row = _find(session, subject)
        _viewer(session, actor, row)
        return [FormSignature(s.id, s.form_instance_id, s.form_ref, s.visit_ref,
                              s.printed_name, s.signed_at, s.meaning, as_utc(s.invalidated_at),
                              s.invalidated_reason)
                for s in session.scalars(select(Signature).where(
                    Signature.subject_pk == row.id).order_by(Signature.id))]


# --------------------------------------------------------------------------- audit history


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One row of an item's audit history (AT-2, AT-7): when (UTC), who (user id and printed
    name), what, the old and new value, the reason and the software version."""

    id: int
    at: datetime
    user_id: str
    user_name: str
    action: str
    table: str
    old_value: str | None
    new_value: str | None
    reason: str
    software_version: str


def _moment(text: str) -> datetime:
    """The audit row's time (ISO 8601 text in UTC, ``Z``) as an aware datetime."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return as_utc(moment) or moment


def item_history(db: Database, actor: Actor, ctx: TrialContext, form_instance_id: int,
                 key: Key) -> list[AuditEntry]:
    """The audit trail of one item of one form, oldest first: every value it had (the
    trigger-written rows of ``item_value``) and the workflow events on it (queries, SDV).

    Raises:
        NotFoundError: no such form instance.
        PermissionDenied: the actor may not view the audit trail at the subject's site.
    """
    with db.transaction(actor, reason="") as session:
        inst, subject = _instance(session, form_instance_id)
        require(session, actor, "view_audit", subject.site_id)
        rows = session.scalars(select(AuditLog).where(
            AuditLog.subject_ref == inst.subject_ref, AuditLog.visit_ref == inst.visit_ref,
            AuditLog.form_ref == inst.form_ref, AuditLog.item_ref == item_ref(*key),
            or_(AuditLog.table_name == "item_value",
                AuditLog.action.not_in(_ROW_ACTIONS))).order_by(AuditLog.id))
        return [AuditEntry(r.id, _moment(r.at), r.user_id, r.user_name, r.action,
                           r.table_name, r.old_value, r.new_value, r.reason,
                           r.software_version) for r in rows]
