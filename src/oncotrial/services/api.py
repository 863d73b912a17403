"""Read queries of the JSON API that the other services do not offer (shell).

One subject's summary, one form's stored values and version, one item's audit history, one
query, and the accounts with their roles. Each function takes the database, the acting user and
the trial context like every service, checks role and site from the database, and reads in one
transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from oncotrial.context import TrialContext
from oncotrial.errors import InputError, UnknownTermError
from oncotrial.forms import Entry, FormDef, FormSet
from oncotrial.services.access import Actor, as_utc, require, sees_identity
from oncotrial.services.database import Database
from oncotrial.services.errors import NotFoundError
from oncotrial.services.lookup import (
    find_subject,
    forms_of,
    instance_data,
    instance_of,
    subject_label,
    visit_of,
    visit_ref,
)
from oncotrial.services.subjects import SubjectSummary
from oncotrial.services.workflow import QueryView
from oncotrial.store.models import AppUser, AuditLog, Query, RoleGrant, Site, Subject

__all__ = [
    "AuditEntry",
    "FormValues",
    "UserView",
    "find_form",
    "form_values",
    "get_query",
    "item_history",
    "list_users",
    "subject_summary",
]

Key = tuple[str, int, str]


def find_form(forms: FormSet, form_id: str, visit: str | None) -> FormDef:
    """The form ``form_id``, checked to be collected at ``visit`` (None: a log form).

    Raises:
        NotFoundError: no such form.
        InputError: the form is not collected at that visit (or needs one).
    """
    try:
        form = forms.form(form_id)
    except UnknownTermError as exc:
        raise NotFoundError(exc.message, field="form_id", value=form_id, hint=exc.hint) from None
    is_log = any(f.id == form.id for f in forms.log())
    if visit is None and not is_log:
        raise InputError(f"{form.label.text('en')} is collected at a visit; name the visit.",
                         field="visit", hint="Add ?visit=SCR (or the visit's code).")
    if visit is not None and all(f.id != form.id for f in forms.forms_at(visit)):
        raise InputError(f"{form.label.text('en')} is not collected at visit {visit}.",
                         field="visit", value=visit,
                         hint="See the visit schedule of the forms file for where it belongs.")
    return form


def _readable(session: Session, actor: Actor, subject: Subject) -> bool:
    """True when the actor sees identities; False for the pseudonymised view; else refused."""
    return sees_identity(session, actor, subject.site_id)


def subject_summary(db: Database, actor: Actor, ctx: TrialContext, subject: str
                    ) -> SubjectSummary:
    """One subject as the list shows it (statisticians: the pseudonymised summary)."""
    with db.transaction(actor, reason="") as session:
        row = find_subject(session, subject)
        if not _readable(session, actor, row):
            return SubjectSummary("", None, row.pseudonym, "", row.status, None, None)
        site = session.get(Site, row.site_id)
        return SubjectSummary(row.screening_number, row.subject_id, row.pseudonym,
                              site.code if site else "", row.status, row.consented_on,
                              row.enrolled_on)


@dataclass(frozen=True, slots=True)
class FormValues:
    """One form of one subject as stored: version 0 and no values when never saved."""

    subject: str
    form_id: str
    visit: str | None
    occurrence: int
    visit_on: date | None
    form_instance_id: int | None
    version: int
    status: str
    locked: bool
    saved_at: datetime | None
    saved_by: str | None
    values: dict[Key, Entry]


def form_values(db: Database, actor: Actor, ctx: TrialContext, subject: str, form_id: str, *,
                visit: str | None = None, occurrence: int = 1) -> FormValues:
    """The stored values and version of one form (what an edit starts from)."""
    if occurrence < 1:
        raise InputError(f"Visit occurrence {occurrence} must be 1 or more.",
                         field="occurrence", value=occurrence)
    form = find_form(forms_of(ctx), form_id, visit)
    with db.transaction(actor, reason="") as session:
        row = find_subject(session, subject)
        identified = _readable(session, actor, row)
        label = subject_label(row) if identified else row.pseudonym
        visit_row = None if visit is None else visit_of(session, row, visit, occurrence)
        visit_on = None if visit_row is None else visit_row.actual_on
        inst = None
        if visit is None or visit_row is not None:
            inst = instance_of(session, row, visit_row, form.id)
        if inst is None:
            return FormValues(label, form.id, visit, occurrence, visit_on, None, 0, "new",
                              False, None, None, {})
        data = instance_data(session, [inst.id])[inst.id]
        return FormValues(label, form.id, visit, occurrence, visit_on, inst.id, inst.version,
                          inst.status, inst.locked, inst.saved_at,
                          inst.saved_by if identified else None, data)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One row of an item's audit history: when, who, what, old and new value, why."""

    id: int
    at: str
    user_id: str
    user_name: str
    action: str
    table: str
    old_value: str | None
    new_value: str | None
    reason: str


def item_history(db: Database, actor: Actor, ctx: TrialContext, subject: str, form_id: str,
                 item: str, *, visit: str | None = None, occurrence: int = 1
                 ) -> list[AuditEntry]:
    """Every audit row of one item of one form, oldest first: its values, source-data
    verification and queries (21 CFR 11.10(e))."""
    form = find_form(forms_of(ctx), form_id, visit)
    with db.transaction(actor, reason="") as session:
        row = find_subject(session, subject)
        require(session, actor, "view_audit", row.site_id)
        rows = session.scalars(select(AuditLog).where(
            AuditLog.subject_ref == row.subject_ref, AuditLog.form_ref == form.id,
            AuditLog.visit_ref == visit_ref(visit, occurrence), AuditLog.item_ref == item)
            .order_by(AuditLog.id)).all()
        return [AuditEntry(r.id, r.at, r.user_id, r.user_name, r.action, r.table_name,
                           r.old_value, r.new_value, r.reason) for r in rows]


def get_query(db: Database, actor: Actor, ctx: TrialContext, query_id: int) -> QueryView:
    """One query, for those who may see its subject."""
    with db.transaction(actor, reason="") as session:
        query = session.get(Query, query_id)
        if query is None:
            raise NotFoundError(f"There is no query {query_id}.", field="query",
                                value=query_id)
        subject = session.get(Subject, query.subject_pk)
        assert subject is not None
        require(session, actor, "view", subject.site_id)
        return QueryView(query.id, subject_label(subject), query.visit_ref, query.form_ref,
                         query.item_ref, query.status, query.origin, query.text,
                         query.raised_by, query.raised_at, query.answer, query.answered_by)


@dataclass(frozen=True, slots=True)
class UserView:
    """An account with its roles in force (role, site code or None for every site)."""

    username: str
    full_name: str
    active: bool
    language: str
    must_change_password: bool
    locked_until: datetime | None
    roles: tuple[tuple[str, str | None], ...]


def list_users(db: Database, actor: Actor, username: str | None = None) -> list[UserView]:
    """Every account (or the one named) with its active roles (administrators)."""
    with db.transaction(actor, reason="") as session:
        require(session, actor, "manage_users")
        query = select(AppUser).order_by(AppUser.username)
        if username is not None:
            query = query.where(AppUser.username == username)
        users = session.scalars(query).all()
        if username is not None and not users:
            raise NotFoundError(f"There is no user {username!r}.", field="username",
                                value=username)
        sites = {s.id: s.code for s in session.scalars(select(Site))}
        grants: dict[int, list[tuple[str, str | None]]] = {}
        for grant in session.scalars(select(RoleGrant).where(RoleGrant.revoked_at.is_(None))
                                     .order_by(RoleGrant.id)):
            site = None if grant.site_id is None else sites.get(grant.site_id)
            grants.setdefault(grant.user_id, []).append((grant.role, site))
        return [UserView(u.username, u.full_name, u.active, u.language,
                         u.must_change_password, as_utc(u.locked_until),
                         tuple(grants.get(u.id, []))) for u in users]

