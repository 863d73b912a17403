"""Read-only views for the home page, monitoring and administration (what needs doing today).

Each function takes the :class:`Database`, the acting user and the trial, checks permissions
with :func:`oncotrial.services.access.can` / :func:`~oncotrial.services.access.require` like the
other services, and returns plain frozen dataclasses; nothing here writes to the database.
Site roles see the subjects of their sites only (``view`` at the subject's site); the enrolment
count against the protocol's target is a trial-wide figure without identities and is shown to
every role.

- :func:`enrolment_count`: enrolled subjects against ``enrolment.target``, by site.
- :func:`screening_log`: every screened patient with the outcome of the last eligibility decision
  and, for screen failures, the criteria not met (ICH E6(R3) 2.12.5, the screening log).
- :func:`visits_due`: planned visits whose window is open, near or past, without a visit date.
- :func:`sae_clock`: serious adverse events not yet reported to the sponsor, with the hours since
  the site became aware against the protocol's ``sae_report_within_hours``.
- :func:`signatures_due`: invalidated signatures, casebooks ready for sign-off, unsigned forms.
- :func:`sdv_worklist`: saved forms with items not yet source-data verified (monitors).
- :func:`lock_overview`: the database lock, casebook and form locks (``docs/data-model.md``).
- :func:`endpoint_summary`: the live endpoint table (``oncotrial analyze`` on the stored data).
- :func:`user_overview`, :func:`site_list`: accounts, grants and live sessions (administrators).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from oncotrial.context import TrialContext
from oncotrial.endpoints import EndpointAnalysis, EndpointRules, analyze_endpoints
from oncotrial.errors import InputError
from oncotrial.forms import Entry
from oncotrial.forms.model import FormSet, GroupDef
from oncotrial.forms.values import typed_value
from oncotrial.services.access import Actor, active_grants, as_utc, can, now_utc, require
from oncotrial.services.database import Database
from oncotrial.services.export import export_dataset
from oncotrial.services.lookup import (
    entry_hash,
    forms_of,
    instance_data,
    item_ref,
    subject_label,
    trial_state,
)
from oncotrial.store.models import (
    AppUser,
    DerivedCache,
    FormInstance,
    Query,
    SdvMark,
    Signature,
    Site,
    Subject,
    Visit,
    WebSession,
)

__all__ = [
    "CasebookLock",
    "DatabaseState",
    "EnrolmentCount",
    "FailedCriterion",
    "FormLock",
    "LockOverview",
    "SaeClock",
    "ScreeningEntry",
    "ScreeningLog",
    "SdvItem",
    "SdvPage",
    "SdvRow",
    "SignatureDue",
    "SiteRow",
    "UserRow",
    "VisitDue",
    "database_state",
    "endpoint_summary",
    "enrolment_count",
    "lock_overview",
    "sae_clock",
    "screening_log",
    "sdv_worklist",
    "signatures_due",
    "site_list",
    "user_overview",
    "visits_due",
]

Key = tuple[str, int, str]

#: Subject statuses after which no visit is due any more.
_FINISHED = frozenset({"withdrawn", "off_study", "screen_failed"})
#: A visit whose window opens within this many days is listed as upcoming.
UPCOMING_DAYS = 14


# --------------------------------------------------------------------------- helpers


def _visible_sites(session: Session, actor: Actor, action: str = "view") -> set[int]:
    """The sites where ``actor`` may do ``action`` (read from the grants now)."""
    return {s for s in session.scalars(select(Site.id)) if can(session, actor, action, s)}


def _require_any(session: Session, actor: Actor, actions: Iterable[str]) -> None:
    """Refuse an actor who holds none of ``actions`` anywhere."""
    wanted = list(actions)
    if any(can(session, actor, a) for a in wanted):
        return
    require(session, actor, wanted[0])  # raises with the roles that would allow it


def _site_codes(session: Session) -> dict[int, str]:
    return {s.id: s.code for s in session.scalars(select(Site))}


# --------------------------------------------------------------------------- enrolment


@dataclass(frozen=True, slots=True)
class EnrolmentCount:
    """Subjects enrolled in the whole trial against the protocol's target, by site code."""

    enrolled: int
    target: int
    by_site: tuple[tuple[str, int], ...]


def enrolment_count(db: Database, actor: Actor, ctx: TrialContext) -> EnrolmentCount:
    """How many subjects are enrolled (trial-wide, no identities) against the target."""
    with db.transaction(actor, reason="") as session:
        _require_any(session, actor, ("view", "view_pseudonymised", "manage_users"))
        codes = _site_codes(session)
        counts: Counter[str] = Counter(
            codes.get(site_id, "") for site_id in session.scalars(
                select(Subject.site_id).where(Subject.subject_id.is_not(None))))
        return EnrolmentCount(sum(counts.values()), ctx.protocol.enrolment.target,
                              tuple(sorted(counts.items())))


# --------------------------------------------------------------------------- screening log


@dataclass(frozen=True, slots=True)
class FailedCriterion:
    """A criterion not met at the last eligibility decision: id, code and the sentence why."""

    criterion_id: str
    title: str
    code: str
    reason: str


@dataclass(frozen=True, slots=True)
class ScreeningEntry:
    """One screened patient: the outcome of the last eligibility decision.

    ``outcome``: ``enrolled``, ``not_eligible`` (a screen failure), ``incomplete`` (data or
    attestations due), ``eligible`` (awaiting enrolment) or ``not_screened`` (no decision yet).
    """

    screening_number: str
    subject_id: str | None
    site: str
    status: str
    consented_on: date | None
    decided_on: date | None
    enrolled_on: date | None
    outcome: str
    failed: tuple[FailedCriterion, ...]


@dataclass(frozen=True, slots=True)
class ScreeningLog:
    """The screening log of the subjects the actor may see, with counts by outcome and the
    number of screen failures per criterion not met (most frequent first)."""

    entries: tuple[ScreeningEntry, ...]
    counts: tuple[tuple[str, int], ...]
    reasons: tuple[tuple[str, int], ...]


OUTCOMES = ("enrolled", "eligible", "incomplete", "not_eligible", "not_screened")


def _failed_criteria(result: dict[str, Any]) -> tuple[FailedCriterion, ...]:
    verdicts = result.get("verdicts") or {}
    out = []
    for cid, verdict in verdicts.items():
        if isinstance(verdict, dict) and verdict.get("status") == "not_met":
            out.append(FailedCriterion(str(verdict.get("criterion_id", cid)),
                                       str(verdict.get("title", "")),
                                       str(verdict.get("code", "")),
                                       str(verdict.get("reason", ""))))
    return tuple(out)


def screening_log(db: Database, actor: Actor, ctx: TrialContext) -> ScreeningLog:
    """Every screened patient the actor may see (``view`` at the site), newest first."""
    with db.transaction(actor, reason="") as session:
        require(session, actor, "view")
        sites = _visible_sites(session, actor)
        codes = _site_codes(session)
        subjects = session.scalars(select(Subject).where(Subject.site_id.in_(sites))
                                   .order_by(Subject.id.desc())).all()
        cached = {c.subject_pk: c.result.get("result") for c in session.scalars(
            select(DerivedCache).where(DerivedCache.kind == "eligibility",
                                       DerivedCache.subject_pk.in_([s.id for s in subjects])))}
        entries = []
        for subject in subjects:
            result = cached.get(subject.id)
            decided_on = None
            failed: tuple[FailedCriterion, ...] = ()
            if subject.subject_id is not None:
                outcome = "enrolled"
            elif isinstance(result, dict):
                status = str(result.get("status", ""))
                outcome = status if status in OUTCOMES else "incomplete"
                failed = _failed_criteria(result) if outcome == "not_eligible" else ()
            else:
                outcome = "not_screened"
            if isinstance(result, dict) and result.get("on"):
                decided_on = date.fromisoformat(str(result["on"]))
            entries.append(ScreeningEntry(subject.screening_number, subject.subject_id,
                                          codes.get(subject.site_id, ""), subject.status,
                                          subject.consented_on, decided_on,
                                          subject.enrolled_on, outcome, failed))
        counts = Counter(e.outcome for e in entries)
        reasons = Counter(f.criterion_id for e in entries for f in e.failed)
        return ScreeningLog(tuple(entries), tuple((o, counts.get(o, 0)) for o in OUTCOMES),
                            tuple(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))))


# --------------------------------------------------------------------------- visits


@dataclass(frozen=True, slots=True)
class VisitDue:
    """A planned visit without a visit date or any saved form.

    ``state``: ``overdue`` (the window closed ``days`` days ago), ``due`` (the window is open;
    ``days`` left until it closes) or ``upcoming`` (the window opens in ``days`` days).
    """

    subject: str
    code: str
    occurrence: int
    planned_on: date | None
    window_start_on: date | None
    window_end_on: date | None
    state: Literal["overdue", "due", "upcoming"]
    days: int


def visits_due(db: Database, actor: Actor, ctx: TrialContext, *, today: date | None = None,
               upcoming_days: int = UPCOMING_DAYS) -> list[VisitDue]:
    """Planned visits of the actor's subjects that are overdue, due now or coming up, most
    urgent first. A visit counts as done once its date is recorded or one of its forms is
    saved."""
    day = today or now_utc().date()
    with db.transaction(actor, reason="") as session:
        require(session, actor, "view")
        sites = _visible_sites(session, actor)
        rows = session.execute(
            select(Visit, Subject).join(Subject, Subject.id == Visit.subject_pk).where(
                Subject.site_id.in_(sites), Visit.actual_on.is_(None),
                Visit.status != "done", Visit.window_end_on.is_not(None))).all()
        with_forms = set(session.scalars(select(FormInstance.visit_pk).where(
            FormInstance.visit_pk.in_([v.id for v, _ in rows]))))
        out = []
        for visit, subject in rows:
            if visit.id in with_forms or subject.status in _FINISHED:
                continue
            start = visit.window_start_on or visit.planned_on or visit.window_end_on
            end = visit.window_end_on
            assert start is not None and end is not None
            state: Literal["overdue", "due", "upcoming"]
            if end < day:
                state, days = "overdue", (day - end).days
            elif start <= day:
                state, days = "due", (end - day).days
            elif (start - day).days <= upcoming_days:
                state, days = "upcoming", (start - day).days
            else:
                continue
            out.append(VisitDue(subject_label(subject), visit.code, visit.occurrence,
                                visit.planned_on, visit.window_start_on, visit.window_end_on,
                                state, days))
        order = {"overdue": 0, "due": 1, "upcoming": 2}
        return sorted(out, key=lambda v: (order[v.state], -v.days if v.state == "overdue"
                                          else v.days, v.subject))


# --------------------------------------------------------------------------- SAEs


@dataclass(frozen=True, slots=True)
class SaeClock:
    """A serious adverse event not yet reported to the sponsor, with its clock: the site
    became aware at ``aware_at``; the report is due at ``due_at`` (``within_hours`` later)."""

    subject: str
    form_id: str
    row_no: int
    term: str
    grade: str | None
    onset_on: str | None
    aware_at: datetime
    due_at: datetime
    hours_since: float
    within_hours: int
    overdue: bool


def _ae_groups(forms: FormSet) -> list[tuple[str, GroupDef]]:
    """(form id, group) of every repeating group whose rows are AdverseEvent records."""
    return [(form.id, group) for form in forms.forms for group in form.groups()
            if group.record is not None and group.record.type == "AdverseEvent"]


def _row_values(group: GroupDef, data: dict[Key, Entry], row: int) -> dict[str, Any]:
    """The typed values of one row, by record field (a value that does not parse: None)."""
    assert group.record is not None
    items = {item.id: item for item in group.items}
    out: dict[str, Any] = {}
    for name, item_id in group.record.fields.items():
        if item_id in items:
            try:
                out[name] = typed_value(items[item_id], data.get((group.id, row, item_id)))
            except InputError:
                out[name] = None
    return out


def sae_clock(db: Database, actor: Actor, ctx: TrialContext, *,
              now: datetime | None = None) -> list[SaeClock]:
    """Serious AEs of the actor's subjects awaiting their report to the sponsor, the most
    urgent first. An AE is serious when it has a seriousness criterion; it is reported when
    the form's ``reported_at`` (the record field) is filled in."""
    moment = now or now_utc()
    hours = ctx.sae_report_within_hours
    groups = _ae_groups(forms_of(ctx))
    with db.transaction(actor, reason="") as session:
        require(session, actor, "view")
        sites = _visible_sites(session, actor)
        out = []
        for form_id, group in groups:
            rows = session.execute(
                select(FormInstance, Subject).join(Subject, Subject.id == FormInstance.subject_pk)
                .where(FormInstance.form_id == form_id, Subject.site_id.in_(sites))).all()
            data = instance_data(session, [inst.id for inst, _ in rows])
            for inst, subject in rows:
                for row in sorted({k[1] for k in data[inst.id] if k[0] == group.id}):
                    v = _row_values(group, data[inst.id], row)
                    aware = v.get("aware_at")
                    if not v.get("serious_criteria") or not isinstance(aware, datetime) \
                            or v.get("reported_at"):
                        continue
                    aware = aware if aware.tzinfo else aware.replace(tzinfo=moment.tzinfo)
                    due = aware + timedelta(hours=hours)
                    grade, onset = v.get("grade"), v.get("onset_on")
                    out.append(SaeClock(
                        subject_label(subject), form_id, row, str(v.get("term") or ""),
                        None if grade is None else str(grade),
                        None if onset is None else str(onset), aware, due,
                        (moment - aware).total_seconds() / 3600, hours, moment > due))
        return sorted(out, key=lambda s: (s.due_at, s.subject))


# --------------------------------------------------------------------------- signatures


@dataclass(frozen=True, slots=True)
class SignatureDue:
    """A signature to give.

    ``kind``: ``form_invalidated`` (a form's signature was invalidated by a change),
    ``casebook_invalidated`` (the casebook's), ``casebook_ready`` (the subject's participation
    ended and the casebook has no valid signature) or ``forms_unsigned`` (``count`` saved
    forms of the subject with no valid signature).
    """

    subject: str
    kind: Literal["form_invalidated", "casebook_invalidated", "casebook_ready",
                  "forms_unsigned"]
    form_id: str | None
    visit: str | None
    occurrence: int
    count: int
    since: datetime | None
    reason: str


def signatures_due(db: Database, actor: Actor, ctx: TrialContext) -> list[SignatureDue]:
    """Signatures due on the actor's subjects: invalidated ones first, then casebooks ready
    for sign-off, then the count of unsigned saved forms per subject."""
    with db.transaction(actor, reason="") as session:
        require(session, actor, "view")
        sites = _visible_sites(session, actor)
        subjects = {s.id: s for s in session.scalars(
            select(Subject).where(Subject.site_id.in_(sites)))}
        ids = list(subjects)
        sigs: dict[int | None, list[Signature]] = defaultdict(list)
        casebook: dict[int, list[Signature]] = defaultdict(list)
        for sig in session.scalars(select(Signature).where(Signature.subject_pk.in_(ids))
                                   .order_by(Signature.id)):
            if sig.form_instance_id is None:
                casebook[sig.subject_pk].append(sig)
            else:
                sigs[sig.form_instance_id].append(sig)
        instances = session.execute(
            select(FormInstance, Visit).outerjoin(Visit, Visit.id == FormInstance.visit_pk)
            .where(FormInstance.subject_pk.in_(ids), FormInstance.status == "complete")
            .order_by(FormInstance.id)).all()
        invalid, ready, unsigned = [], [], []
        per_subject: Counter[int] = Counter()
        for inst, visit in instances:
            mine = sigs.get(inst.id, [])
            if any(s.invalidated_at is None for s in mine):
                continue
            label = subject_label(subjects[inst.subject_pk])
            if mine:
                last = mine[-1]
                invalid.append(SignatureDue(
                    label, "form_invalidated", inst.form_id,
                    None if visit is None else visit.code,
                    1 if visit is None else visit.occurrence, 1, last.invalidated_at,
                    last.invalidated_reason or ""))
            else:
                per_subject[inst.subject_pk] += 1
        for pk, subject in sorted(subjects.items()):
            label = subject_label(subject)
            mine = casebook.get(pk, [])
            if not any(s.invalidated_at is None for s in mine):
                if mine:
                    invalid.append(SignatureDue(label, "casebook_invalidated", None, None, 1, 1,
                                                mine[-1].invalidated_at,
                                                mine[-1].invalidated_reason or ""))
                elif subject.status in ("withdrawn", "off_study") and subject.subject_id:
                    ready.append(SignatureDue(label, "casebook_ready", None, None, 1, 1, None,
                                              subject.status))
            if per_subject.get(pk):
                unsigned.append(SignatureDue(label, "forms_unsigned", None, None, 1,
                                             per_subject[pk], None, ""))
        return invalid + ready + unsigned


# --------------------------------------------------------------------------- SDV


@dataclass(frozen=True, slots=True)
class SdvItem:
    """One answer not yet verified (or changed since it was)."""

    key: Key
    ref: str
    value: str | None
    unit: str


@dataclass(frozen=True, slots=True)
class SdvRow:
    """A saved form with items to verify."""

    form_instance_id: int
    subject: str
    form_id: str
    visit: str | None
    occurrence: int
    saved_at: datetime | None
    saved_by: str | None
    total: int
    verified: int
    unverified: tuple[SdvItem, ...]


@dataclass(frozen=True, slots=True)
class SdvPage:
    """One page of the SDV worklist (oldest saves first) and the total count of forms."""

    rows: tuple[SdvRow, ...]
    page: int
    page_size: int
    total: int


def sdv_worklist(db: Database, actor: Actor, ctx: TrialContext, *, subject: str | None = None,
                 page: int = 1, page_size: int = 20) -> SdvPage:
    """Saved forms at the actor's sites (``sdv``, monitors) with items not yet verified."""
    page = max(page, 1)
    with db.transaction(actor, reason="") as session:
        require(session, actor, "sdv")
        sites = _visible_sites(session, actor, "sdv")
        query = (select(FormInstance, Subject, Visit)
                 .join(Subject, Subject.id == FormInstance.subject_pk)
                 .outerjoin(Visit, Visit.id == FormInstance.visit_pk)
                 .where(Subject.site_id.in_(sites), FormInstance.status == "complete"))
        if subject:
            from oncotrial.services.lookup import find_subject

            query = query.where(Subject.id == find_subject(session, subject).id)
        rows = session.execute(query.order_by(FormInstance.saved_at, FormInstance.id)).all()
        ids = [inst.id for inst, _, _ in rows]
        data = instance_data(session, ids)
        marks: dict[int, dict[Key, str]] = defaultdict(dict)
        for mark in session.scalars(select(SdvMark).where(SdvMark.form_instance_id.in_(ids))):
            marks[mark.form_instance_id][(mark.group_id, mark.row_no, mark.item_id)] = \
                mark.value_hash
        pending = []
        for inst, subj, visit in rows:
            values = {k: e for k, e in data[inst.id].items() if e.value is not None}
            done = marks.get(inst.id, {})
            todo = tuple(SdvItem(k, item_ref(*k), e.value, e.unit) for k, e in values.items()
                         if done.get(k) != entry_hash(e))
            if todo:
                pending.append(SdvRow(inst.id, subject_label(subj), inst.form_id,
                                      None if visit is None else visit.code,
                                      1 if visit is None else visit.occurrence,
                                      inst.saved_at, inst.saved_by, len(values),
                                      len(values) - len(todo), todo))
        start = (page - 1) * page_size
        return SdvPage(tuple(pending[start:start + page_size]), page, page_size, len(pending))


# --------------------------------------------------------------------------- locks


@dataclass(frozen=True, slots=True)
class DatabaseState:
    """Whether the trial database is locked for analysis, since when, by whom and why."""

    locked: bool
    locked_at: datetime | None
    locked_by: str | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class CasebookLock:
    """A subject's casebook: lock state, forms saved and locked, queries not closed."""

    subject: str
    status: str
    locked: bool
    forms: int
    forms_locked: int
    open_queries: int


@dataclass(frozen=True, slots=True)
class FormLock:
    """A form that is locked, or ready to lock (every item verified, no query open)."""

    form_instance_id: int
    subject: str
    form_id: str
    visit: str | None
    occurrence: int
    locked: bool


@dataclass(frozen=True, slots=True)
class LockOverview:
    """The database lock, every casebook of the actor's subjects, and the forms locked or
    ready to lock."""

    database: DatabaseState
    casebooks: tuple[CasebookLock, ...]
    forms: tuple[FormLock, ...]


def _database_state(session: Session, ctx: TrialContext) -> DatabaseState:
    state = trial_state(session, ctx)
    return DatabaseState(state.database_locked, as_utc(state.locked_at), state.locked_by,
                         state.lock_reason)


def database_state(db: Database, actor: Actor, ctx: TrialContext) -> DatabaseState:
    """The database lock as every role may see it."""
    with db.transaction(actor, reason="") as session:
        _require_any(session, actor, ("view", "view_pseudonymised", "manage_users"))
        return _database_state(session, ctx)


def lock_overview(db: Database, actor: Actor, ctx: TrialContext) -> LockOverview:
    """Locks of the actor's subjects (``view`` at the site)."""
    with db.transaction(actor, reason="") as session:
        require(session, actor, "view")
        database = _database_state(session, ctx)
        sites = _visible_sites(session, actor)
        subjects = {s.id: s for s in session.scalars(
            select(Subject).where(Subject.site_id.in_(sites)).order_by(Subject.id))}
        rows = session.execute(
            select(FormInstance, Visit).outerjoin(Visit, Visit.id == FormInstance.visit_pk)
            .where(FormInstance.subject_pk.in_(list(subjects)),
                   FormInstance.status == "complete").order_by(FormInstance.id)).all()
        open_by_form: Counter[int] = Counter()
        open_by_subject: Counter[int] = Counter()
        for q in session.scalars(select(Query).where(Query.subject_pk.in_(list(subjects)),
                                                     Query.status != "closed")):
            open_by_form[q.form_instance_id] += 1
            open_by_subject[q.subject_pk] += 1
        ids = [inst.id for inst, _ in rows]
        data = instance_data(session, ids)
        verified: dict[int, dict[Key, str]] = defaultdict(dict)
        for mark in session.scalars(select(SdvMark).where(SdvMark.form_instance_id.in_(ids))):
            verified[mark.form_instance_id][(mark.group_id, mark.row_no, mark.item_id)] = \
                mark.value_hash
        forms_total: Counter[int] = Counter()
        forms_locked: Counter[int] = Counter()
        listed = []
        for inst, visit in rows:
            forms_total[inst.subject_pk] += 1
            forms_locked[inst.subject_pk] += int(inst.locked)
            values = {k: e for k, e in data[inst.id].items() if e.value is not None}
            marks = verified.get(inst.id, {})
            ready = bool(values) and all(marks.get(k) == entry_hash(e)
                                         for k, e in values.items()) \
                and not open_by_form.get(inst.id)
            if inst.locked or ready:
                listed.append(FormLock(inst.id, subject_label(subjects[inst.subject_pk]),
                                       inst.form_id, None if visit is None else visit.code,
                                       1 if visit is None else visit.occurrence, inst.locked))
        casebooks = tuple(CasebookLock(subject_label(s), s.status, s.casebook_locked,
                                       forms_total.get(pk, 0), forms_locked.get(pk, 0),
                                       open_by_subject.get(pk, 0))
                          for pk, s in subjects.items())
        return LockOverview(database, casebooks, tuple(listed))


# --------------------------------------------------------------------------- results


def endpoint_summary(db: Database, actor: Actor, ctx: TrialContext, *,
                     cutoff: date) -> EndpointAnalysis | None:
    """The live endpoint table of the enrolled subjects at ``cutoff`` (``export``: the
    statistician, data manager, administrator, investigator), derived by the protocol's
    endpoint rules as ``oncotrial analyze`` derives it; None before anyone is enrolled.

    Raises:
        PermissionDenied: the actor may not export the trial's data.
        InputError: a subject's records cannot be derived at this cut-off.
    """
    dataset = export_dataset(db, actor, ctx)
    if not dataset.subjects:
        return None
    return analyze_endpoints(dataset, cutoff=cutoff,
                             rules=EndpointRules.from_protocol(ctx.protocol))


# --------------------------------------------------------------------------- administration


@dataclass(frozen=True, slots=True)
class UserRow:
    """An account as the administration page lists it: active roles (role, site code or ""
    for every site), state and the number of live sessions."""

    username: str
    full_name: str
    active: bool
    locked_until: datetime | None
    must_change_password: bool
    language: str
    roles: tuple[tuple[str, str], ...]
    live_sessions: int
    last_seen_at: datetime | None


def user_overview(db: Database, actor: Actor, *, idle_minutes: int = 30) -> list[UserRow]:
    """Every account with its active roles and live sessions (administrators). A session is
    live when it was neither revoked nor idle longer than ``idle_minutes``."""
    moment = now_utc()
    with db.transaction(actor, reason="") as session:
        require(session, actor, "manage_users")
        codes = _site_codes(session)
        live: Counter[int] = Counter()
        seen: dict[int, datetime] = {}
        for row in session.scalars(select(WebSession).where(WebSession.revoked_at.is_(None))):
            last = as_utc(row.last_seen_at)
            if last is not None and moment - last <= timedelta(minutes=idle_minutes):
                live[row.user_id] += 1
                seen[row.user_id] = max(seen.get(row.user_id, last), last)
        out = []
        for user in session.scalars(select(AppUser).order_by(AppUser.username)):
            grants = active_grants(session, user.id)
            locked = as_utc(user.locked_until)
            out.append(UserRow(
                user.username, user.full_name, user.active,
                locked if locked is not None and locked > moment else None,
                user.must_change_password, user.language,
                tuple(sorted((g.role, codes.get(g.site_id, "") if g.site_id else "")
                             for g in grants)),
                live.get(user.id, 0), seen.get(user.id)))
        return out


@dataclass(frozen=True, slots=True)
class SiteRow:
    """A site: code, name and the number of subjects registered there."""

    code: str
    name: str
    subjects: int


def site_list(db: Database, actor: Actor) -> list[SiteRow]:
    """Every site (anyone who may manage users or view data)."""
    with db.transaction(actor, reason="") as session:
        _require_any(session, actor, ("manage_users", "view"))
        count: Counter[int] = Counter(session.scalars(select(Subject.site_id)))
        return [SiteRow(s.code, s.name, count.get(s.id, 0))
                for s in session.scalars(select(Site).order_by(Site.code))]
