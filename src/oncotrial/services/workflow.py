"""Review workflow: queries, source-data verification, signatures and locks.

Every action here is a workflow event in the audit trail (ICH E6(R3) 4.2.2(a)(iii)): the row
changes are audited by the database triggers, and each action also appends a named event
(``query_opened``, ``sdv_set``, ``signed``, ``form_locked``...) so a reviewer reads what
happened, not only which columns changed.

Signatures follow 21 CFR Part 11: the signer re-enters the password every time (the first
signing of a session also the user name, 11.200(a)); the signature shows printed name, time and
meaning (11.50); it is bound to the hash of the signed content, and any later change marks it
invalidated (11.70); failed signings count toward lock-out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from oncotrial.context import TrialContext
from oncotrial.errors import InputError
from oncotrial.services.access import (
    Actor,
    check_not_locked,
    find_user,
    now_utc,
    record_failure,
    require,
    verify_password,
)
from oncotrial.services.database import Database
from oncotrial.services.errors import AuthenticationError, NotFoundError, WorkflowError
from oncotrial.services.lookup import (
    ensure_database_open,
    ensure_writable,
    entry_hash,
    find_subject,
    instance_data,
    item_ref,
    subject_label,
    trial_state,
)
from oncotrial.store.audit import append_event
from oncotrial.store.models import FormInstance, Query, SdvMark, Signature, Site, Subject

__all__ = [
    "Page",
    "QueryView",
    "SignatureView",
    "answer_query",
    "close_query",
    "list_queries",
    "lock_casebook",
    "lock_database",
    "lock_form",
    "raise_query",
    "sign",
    "signatures",
    "unlock_casebook",
    "unlock_database",
    "unlock_form",
    "verify_items",
]

Key = tuple[str, int, str]


def _need_reason(reason: str, what: str) -> None:
    if not reason.strip():
        raise InputError(f"A reason is needed to {what}.", field="reason",
                         hint="Say why, as it will appear in the audit trail.")


def _instance(session: Session, form_instance_id: int) -> tuple[FormInstance, Subject]:
    inst = session.get(FormInstance, form_instance_id)
    if inst is None:
        raise NotFoundError(f"There is no form instance {form_instance_id}.",
                            field="form_instance_id", value=form_instance_id)
    subject = session.get(Subject, inst.subject_pk)
    assert subject is not None
    return inst, subject


# --------------------------------------------------------------------------- queries


@dataclass(frozen=True, slots=True)
class QueryView:
    """A query as a worklist shows it."""

    id: int
    subject: str
    visit: str
    form: str
    item: str
    status: str
    origin: str
    text: str
    raised_by: str
    raised_at: datetime
    answer: str | None
    answered_by: str | None


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list: the rows, the page number (from 1), its size and the total."""

    rows: tuple[QueryView, ...]
    page: int
    page_size: int
    total: int


def _query_view(q: Query, subject: Subject) -> QueryView:
    return QueryView(q.id, subject_label(subject), q.visit_ref, q.form_ref, q.item_ref,
                     q.status, q.origin, q.text, q.raised_by, q.raised_at, q.answer,
                     q.answered_by)


def raise_query(db: Database, actor: Actor, ctx: TrialContext, form_instance_id: int,
                key: Key, text: str) -> int:
    """Raise a manual query on an item (data managers, monitors, investigators)."""
    if not text.strip():
        raise InputError("The query text is empty.", field="text",
                         hint="Say what needs checking, e.g. 'ANC differs from source'.")
    with db.transaction(actor, reason="query raised") as session:
        inst, subject = _instance(session, form_instance_id)
        require(session, actor, "raise_query", subject.site_id)
        ensure_database_open(session, ctx)
        query = Query(subject_pk=subject.id, form_instance_id=inst.id, group_id=key[0],
                      row_no=key[1], item_id=key[2], origin="manual", check_code="",
                      status="open", text=text, raised_by=actor.username, raised_at=now_utc(),
                      subject_ref=inst.subject_ref, visit_ref=inst.visit_ref,
                      form_ref=inst.form_ref, item_ref=item_ref(*key))
        session.add(query)
        session.flush()
        append_event(session.connection(), "query_opened", table="query",
                     row_key=str(query.id), subject_ref=inst.subject_ref,
                     visit_ref=inst.visit_ref, form_ref=inst.form_ref,
                     item_ref=query.item_ref, new=text)
        return query.id


def _query(session: Session, query_id: int) -> tuple[Query, Subject]:
    query = session.get(Query, query_id)
    if query is None:
        raise NotFoundError(f"There is no query {query_id}.", field="query", value=query_id)
    subject = session.get(Subject, query.subject_pk)
    assert subject is not None
    return query, subject


def answer_query(db: Database, actor: Actor, ctx: TrialContext, query_id: int,
                 answer: str) -> None:
    """Answer an open query (site staff)."""
    if not answer.strip():
        raise InputError("The answer is empty.", field="answer")
    with db.transaction(actor, reason="query answered") as session:
        query, subject = _query(session, query_id)
        require(session, actor, "answer_query", subject.site_id)
        ensure_database_open(session, ctx)
        if query.status == "closed":
            raise WorkflowError(f"Query {query_id} is closed.")
        query.status, query.answer = "answered", answer
        query.answered_by, query.answered_at = actor.username, now_utc()
        append_event(session.connection(), "query_answered", table="query",
                     row_key=str(query.id), subject_ref=query.subject_ref,
                     visit_ref=query.visit_ref, form_ref=query.form_ref,
                     item_ref=query.item_ref, new=answer)


def close_query(db: Database, actor: Actor, ctx: TrialContext, query_id: int,
                note: str = "") -> None:
    """Close a query (data managers and monitors)."""
    with db.transaction(actor, reason=note or "query closed") as session:
        query, subject = _query(session, query_id)
        require(session, actor, "close_query", subject.site_id)
        ensure_database_open(session, ctx)
        if query.status == "closed":
            raise WorkflowError(f"Query {query_id} is already closed.")
        query.status, query.closed_by, query.closed_at = "closed", actor.username, now_utc()
        append_event(session.connection(), "query_closed", table="query",
                     row_key=str(query.id), subject_ref=query.subject_ref,
                     visit_ref=query.visit_ref, form_ref=query.form_ref,
                     item_ref=query.item_ref, new=note)


def list_queries(db: Database, actor: Actor, ctx: TrialContext, *,
                 status: Literal["open", "answered", "closed"] | None = None,
                 subject: str | None = None, page: int = 1, page_size: int = 50) -> Page:
    """One page of queries the actor may see, oldest first (indexed by status and id)."""
    if page < 1 or not 1 <= page_size <= 500:
        raise InputError("Page numbers start at 1 and a page holds 1 to 500 rows.",
                         field="page")
    with db.transaction(actor, reason="") as session:
        sites = [s.id for s in session.scalars(select(Site))]
        allowed = [s for s in sites if _can_view(session, actor, s)]
        query = select(Query, Subject).join(Subject, Subject.id == Query.subject_pk).where(
            Subject.site_id.in_(allowed))
        if status is not None:
            query = query.where(Query.status == status)
        if subject is not None:
            query = query.where(Subject.id == find_subject(session, subject).id)
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.execute(query.order_by(Query.id).offset((page - 1) * page_size)
                               .limit(page_size)).all()
        return Page(tuple(_query_view(q, s) for q, s in rows), page, page_size, total)


def _can_view(session: Session, actor: Actor, site_pk: int) -> bool:
    from oncotrial.services.access import can

    return can(session, actor, "view", site_pk)


# --------------------------------------------------------------------------- SDV


def verify_items(db: Database, actor: Actor, ctx: TrialContext, form_instance_id: int,
                 keys: list[Key] | None = None) -> int:
    """Mark items source-data verified (monitors). ``keys`` None: every item of the form.

    A mark holds the hash of the value it verified; a later change of the value removes it
    (the save audits ``sdv_reset``). Returns the number of items marked.
    """
    with db.transaction(actor, reason="source-data verification") as session:
        inst, subject = _instance(session, form_instance_id)
        require(session, actor, "sdv", subject.site_id)
        ensure_database_open(session, ctx)
        data = instance_data(session, [inst.id])[inst.id]
        chosen = list(data) if keys is None else keys
        missing = [k for k in chosen if k not in data]
        if missing:
            raise InputError(f"No value to verify at {', '.join(item_ref(*k) for k in missing)}.",
                             field="keys")
        existing = {(m.group_id, m.row_no, m.item_id): m for m in session.scalars(
            select(SdvMark).where(SdvMark.form_instance_id == inst.id))}
        for key in chosen:
            mark = existing.get(key)
            digest = entry_hash(data[key])
            if mark is None:
                session.add(SdvMark(
                    form_instance_id=inst.id, group_id=key[0], row_no=key[1], item_id=key[2],
                    value_hash=digest, verified_by=actor.username, verified_at=now_utc(),
                    subject_ref=inst.subject_ref, visit_ref=inst.visit_ref,
                    form_ref=inst.form_ref, item_ref=item_ref(*key)))
            else:
                mark.value_hash, mark.verified_by = digest, actor.username
                mark.verified_at = now_utc()
            append_event(session.connection(), "sdv_set", table="sdv_mark",
                         subject_ref=inst.subject_ref, visit_ref=inst.visit_ref,
                         form_ref=inst.form_ref, item_ref=item_ref(*key), new=data[key].value)
        return len(chosen)


# --------------------------------------------------------------------------- signatures


@dataclass(frozen=True, slots=True)
class SignatureView:
    """What a signature shows (ES-1): printed name, UTC time, meaning, and its state."""

    id: int
    printed_name: str
    signed_at: datetime
    meaning: str
    content_hash: str
    invalidated_at: datetime | None
    invalidated_reason: str | None

    @property
    def valid(self) -> bool:
        """True until the signed content changes."""
        return self.invalidated_at is None

    def manifestation(self) -> str:
        """The line shown on screen, in casebooks and exports (21 CFR 11.50)."""
        state = "" if self.valid else f" - SIGNATURE INVALIDATED: {self.invalidated_reason}"
        return (f"Signed by {self.printed_name} on {self.signed_at:%Y-%m-%d %H:%M} UTC: "
                f"{self.meaning}{state}")


def _authenticate_signer(session: Session, db: Database, actor: Actor, password: str,
                         username: str | None) -> str | None:
    """Check the signing components (ES-3); return a failure sentence or None."""
    user = find_user(session, actor.username)
    check_not_locked(user)
    if not actor.has_signed and username != actor.username:
        failure = record_failure(session, user, db.policy, "Signing",
                                 "the first signing of a session needs your user name as well "
                                 "as your password (21 CFR 11.200(a))")
        append_event(session.connection(), "sign_failed", table="app_user",
                     row_key=str(user.id), new=actor.username, old="user name missing")
        return failure
    if not verify_password(user.password_hash, password):
        append_event(session.connection(), "sign_failed", table="app_user",
                     row_key=str(user.id), new=actor.username, old="wrong password")
        return record_failure(session, user, db.policy, "Signing")
    user.failed_logins = 0
    return None


def _casebook_content(session: Session, subject: Subject) -> str:
    import hashlib

    hashes = session.scalars(select(FormInstance.content_hash).where(
        FormInstance.subject_pk == subject.id).order_by(FormInstance.id)).all()
    return hashlib.sha256("|".join(hashes).encode()).hexdigest()


def _ready_to_sign(session: Session, subject: Subject, inst: FormInstance | None) -> None:
    where = [Query.subject_pk == subject.id, Query.status != "closed"]
    if inst is not None:
        where.append(Query.form_instance_id == inst.id)
    open_queries = session.scalar(select(func.count()).select_from(Query).where(*where)) or 0
    if open_queries:
        raise WorkflowError(
            f"{open_queries} quer{'y is' if open_queries == 1 else 'ies are'} still open; "
            "nothing can be signed while queries are open (21 CFR 11.10(f)).",
            hint="Answer and close the queries first.")
    incomplete = session.scalar(select(func.count()).select_from(FormInstance).where(
        FormInstance.subject_pk == subject.id, FormInstance.status != "complete")) or 0
    if inst is None and incomplete:
        raise WorkflowError(f"{incomplete} form(s) of {subject_label(subject)} are not "
                            "complete.", hint="Complete every form before signing the "
                            "casebook.")


def sign(db: Database, actor: Actor, ctx: TrialContext, subject: str, *, password: str,
         meaning: str, form_instance_id: int | None = None, username: str | None = None
         ) -> tuple[SignatureView, Actor]:
    """Sign a form (``form_instance_id``) or the whole casebook of a subject.

    Returns the signature and the actor marked as having signed in this session.

    Raises:
        AuthenticationError: wrong password or missing user name (counted toward lock-out,
            audited as ``sign_failed``).
        WorkflowError: open queries, incomplete forms (casebook), or a locked database.
    """
    if not meaning.strip():
        raise InputError("A signature needs its meaning (21 CFR 11.50(a)(3)).",
                         field="meaning", hint="For example: 'Investigator review and "
                         "approval of the Cycle 3 data'.")
    failure: str | None = None
    view: SignatureView | None = None
    with db.transaction(actor, reason=meaning) as session:
        row = find_subject(session, subject, for_update=True)
        action = "sign_form" if form_instance_id is not None else "sign_casebook"
        require(session, actor, action, row.site_id)
        ensure_database_open(session, ctx)
        failure = _authenticate_signer(session, db, actor, password, username)
        if failure is None:
            view = _sign(session, actor, row, meaning, form_instance_id)
    if failure is not None:
        raise AuthenticationError(failure, field="password",
                                  hint="Re-enter your password to sign; after 5 failures "
                                       "the account is locked.")
    assert view is not None
    return view, actor.after_signing()


def _sign(session: Session, actor: Actor, subject: Subject, meaning: str,
          form_instance_id: int | None) -> SignatureView:
    inst = None
    if form_instance_id is not None:
        inst, owner = _instance(session, form_instance_id)
        if owner.id != subject.id:
            raise InputError("That form belongs to another subject.", field="form_instance_id")
    _ready_to_sign(session, subject, inst)
    user = find_user(session, actor.username)
    digest = inst.content_hash if inst is not None else _casebook_content(session, subject)
    sig = Signature(subject_pk=subject.id, form_instance_id=None if inst is None else inst.id,
                    user_id=user.id, printed_name=user.full_name, meaning=meaning,
                    signed_at=now_utc(), content_hash=digest, subject_ref=subject.subject_ref,
                    visit_ref="" if inst is None else inst.visit_ref,
                    form_ref="casebook" if inst is None else inst.form_ref)
    session.add(sig)
    session.flush()
    append_event(session.connection(), "signed", table="signature", row_key=str(sig.id),
                 subject_ref=sig.subject_ref, visit_ref=sig.visit_ref, form_ref=sig.form_ref,
                 new=f"{user.full_name}: {meaning}")
    return SignatureView(sig.id, sig.printed_name, sig.signed_at, sig.meaning,
                         sig.content_hash, None, None)


def signatures(db: Database, actor: Actor, ctx: TrialContext, subject: str
               ) -> list[SignatureView]:
    """Every signature of a subject, valid and invalidated."""
    with db.transaction(actor, reason="") as session:
        row = find_subject(session, subject)
        require(session, actor, "view", row.site_id)
        sigs = session.scalars(select(Signature).where(Signature.subject_pk == row.id)
                               .order_by(Signature.id))
        return [SignatureView(s.id, s.printed_name, s.signed_at, s.meaning, s.content_hash,
                              s.invalidated_at, s.invalidated_reason) for s in sigs]


# --------------------------------------------------------------------------- locks


def _set_form_lock(db: Database, actor: Actor, ctx: TrialContext, form_instance_id: int,
                   locked: bool, reason: str) -> None:
    with db.transaction(actor, reason=reason) as session:
        inst, subject = _instance(session, form_instance_id)
        require(session, actor, "lock" if locked else "unlock", subject.site_id)
        ensure_database_open(session, ctx)
        if not locked:
            ensure_writable(session, ctx, subject)
        if inst.locked == locked:
            raise WorkflowError(f"The form is already {'locked' if locked else 'unlocked'}.")
        inst.locked = locked
        append_event(session.connection(), "form_locked" if locked else "form_unlocked",
                     table="form_instance", row_key=str(inst.id), subject_ref=inst.subject_ref,
                     visit_ref=inst.visit_ref, form_ref=inst.form_ref, new=reason)


def lock_form(db: Database, actor: Actor, ctx: TrialContext, form_instance_id: int,
              reason: str = "data review complete") -> None:
    """Lock a form against changes (data managers)."""
    _set_form_lock(db, actor, ctx, form_instance_id, True, reason)


def unlock_form(db: Database, actor: Actor, ctx: TrialContext, form_instance_id: int,
                reason: str) -> None:
    """Unlock a form, with a reason (data managers). Signatures stay until data change."""
    _need_reason(reason, "unlock a form")
    _set_form_lock(db, actor, ctx, form_instance_id, False, reason)


def _set_casebook_lock(db: Database, actor: Actor, ctx: TrialContext, subject: str,
                       locked: bool, reason: str) -> None:
    with db.transaction(actor, reason=reason) as session:
        row = find_subject(session, subject, for_update=True)
        require(session, actor, "lock" if locked else "unlock", row.site_id)
        ensure_database_open(session, ctx)
        if row.casebook_locked == locked:
            raise WorkflowError(f"The casebook is already {'locked' if locked else 'unlocked'}.")
        row.casebook_locked = locked
        append_event(session.connection(), "casebook_locked" if locked else "casebook_unlocked",
                     table="subject", row_key=str(row.id), subject_ref=row.subject_ref,
                     new=reason)


def lock_casebook(db: Database, actor: Actor, ctx: TrialContext, subject: str,
                  reason: str = "casebook review complete") -> None:
    """Lock every form of a subject (data managers)."""
    _set_casebook_lock(db, actor, ctx, subject, True, reason)


def unlock_casebook(db: Database, actor: Actor, ctx: TrialContext, subject: str,
                    reason: str) -> None:
    """Unlock a subject's casebook, with a reason."""
    _need_reason(reason, "unlock a casebook")
    _set_casebook_lock(db, actor, ctx, subject, False, reason)


def lock_database(db: Database, actor: Actor, ctx: TrialContext, reason: str) -> None:
    """Lock the whole trial before analysis (ICH E6(R3) 3.16.1(q),(r)): no edits after it."""
    _need_reason(reason, "lock the database")
    with db.transaction(actor, reason=reason) as session:
        require(session, actor, "lock_database")
        state = trial_state(session, ctx)
        if state.database_locked:
            raise WorkflowError("The database is already locked.")
        state.database_locked, state.locked_at = True, now_utc()
        state.locked_by, state.lock_reason = actor.username, reason
        append_event(session.connection(), "database_locked", table="trial_state",
                     row_key=str(state.id), new=reason)


def unlock_database(db: Database, actor: Actor, ctx: TrialContext, reason: str) -> None:
    """Unlock the trial database (administrators), with a documented reason."""
    _need_reason(reason, "unlock the database")
    with db.transaction(actor, reason=reason) as session:
        require(session, actor, "unlock_database")
        state = trial_state(session, ctx)
        if not state.database_locked:
            raise WorkflowError("The database is not locked.")
        state.database_locked = False
        append_event(session.connection(), "database_unlocked", table="trial_state",
                     row_key=str(state.id), new=reason)
