"""The trial database schema: SQLAlchemy 2 typed models (shell).

Item values are stored one row per item (``item_value``): each answer of a form has its own row
keyed by form instance, group, row number and item id, so that the audit trail, queries and
source-data verification all point at one row, and a changed value touches one row only. The
shared records of :mod:`oncotrial.records` are not stored: they are rebuilt from the item rows
by the one mapping of :mod:`oncotrial.forms.mapping`. Statisticians read each form as a tidy
table through the ``v_<form>`` views (``docs/data-model.md``).

Audited tables carry ``subject_ref``, ``visit_ref``, ``form_ref`` and ``item_ref`` where they
apply: the audit triggers (:mod:`oncotrial.store.audit`) copy them into every audit row, so
that an audit row names subject, visit, form and item without a join (21 CFR 11.10(e)).

Constraint names follow :data:`NAMING_CONVENTION`, so that migrations can name what they alter
(and SQLite's batch mode can rebuild a table with the same names).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

__all__ = [
    "AUDITED_TABLES",
    "NAMING_CONVENTION",
    "AppUser",
    "AuditLog",
    "Base",
    "DerivedCache",
    "FormInstance",
    "ItemValue",
    "Query",
    "RoleGrant",
    "SdvMark",
    "Signature",
    "Site",
    "Subject",
    "SubjectIdentity",
    "TrialState",
    "UtcDateTime",
    "Visit",
    "WebSession",
]

#: Constraint names: ``pk_<table>``, ``fk_<table>_<column>_<referred table>``,
#: ``uq_<table>_<columns>``,
#: ``ix_<columns>``, ``ck_<table>_<name>``.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A moment stored in UTC and read back as an aware UTC ``datetime`` on every back end.

    SQLite keeps no time zone, so without this a time read back would be naive and ambiguous
    (21 CFR 11.50(a)(2): the date and time of a signature must be unambiguous). A naive
    moment is refused on the way in rather than guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"a stored time needs its time zone: {value.isoformat()}")
        moment = value.astimezone(UTC)
        return moment.replace(tzinfo=None) if dialect.name == "sqlite" else moment

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Site(Base):
    """A participating site (hospital)."""

    __tablename__ = "site"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class AppUser(Base):
    """One account per person (21 CFR 11.100, 11.300): login name, printed name, password hash."""

    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    password_changed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    #: A one-time password (set by an administrator or ``make run``) must be changed at log-in.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False,
                                                       server_default="0")
    #: The language of the user's pages: ``en`` or ``zh-CN``.
    language: Mapped[str] = mapped_column(String(10), default="en", server_default="en")
    grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="user", foreign_keys="RoleGrant.user_id", lazy="selectin")


class WebSession(Base):
    """A server-side log-in session of the web application (revocable at once: delete or set
    ``revoked_at``). The browser holds only a random token; the row keeps its SHA-256, so a
    copy of the database gives no usable session. Not audited row by row: log-in, log-out and
    failures are workflow events of the audit trail."""

    __tablename__ = "web_session"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    #: Whether the user has signed in this session (21 CFR 11.200(a)(1)(i)).
    has_signed: Mapped[bool] = mapped_column(Boolean, default=False)


class RoleGrant(Base):
    """A role of a user at one site (``site_id`` None: every site). Revoked grants are kept."""

    __tablename__ = "role_grant"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    role: Mapped[str] = mapped_column(String(40))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    granted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    granted_by: Mapped[str] = mapped_column(String(80))
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_by: Mapped[str | None] = mapped_column(String(80))
    user: Mapped[AppUser] = relationship(back_populates="grants", foreign_keys=[user_id])


class Subject(Base):
    """A screened patient: screening number, subject id once enrolled, status, pseudonym.

    ``status``: screened, screen_failed, enrolled, on_treatment, off_treatment, follow_up,
    withdrawn, off_study. ``pseudonym`` is what a statistician sees instead of the ids.
    """

    __tablename__ = "subject"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    screening_number: Mapped[str] = mapped_column(String(40), unique=True)
    subject_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    pseudonym: Mapped[str] = mapped_column(String(40), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="screened")
    consented_on: Mapped[date | None] = mapped_column(Date)
    enrolled_on: Mapped[date | None] = mapped_column(Date)
    over_enrolment_reason: Mapped[str | None] = mapped_column(Text)
    casebook_locked: Mapped[bool] = mapped_column(Boolean, default=False)
    subject_ref: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class SubjectIdentity(Base):
    """Identifying details, apart from trial data; visible to site roles only (AC-2)."""

    __tablename__ = "subject_identity"
    subject_pk: Mapped[int] = mapped_column(ForeignKey("subject.id"), primary_key=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    initials: Mapped[str] = mapped_column(String(10), default="")
    birth_date: Mapped[date | None] = mapped_column(Date)
    hospital_number: Mapped[str] = mapped_column(String(60), default="")
    phone: Mapped[str] = mapped_column(String(60), default="")
    subject_ref: Mapped[str] = mapped_column(String(40))


class Visit(Base):
    """A visit of a subject: protocol visit code, occurrence, planned window, actual date."""

    __tablename__ = "visit"
    __table_args__ = (UniqueConstraint("subject_pk", "code", "occurrence"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    subject_pk: Mapped[int] = mapped_column(ForeignKey("subject.id"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    occurrence: Mapped[int] = mapped_column(Integer, default=1)
    planned_on: Mapped[date | None] = mapped_column(Date)
    window_start_on: Mapped[date | None] = mapped_column(Date)
    window_end_on: Mapped[date | None] = mapped_column(Date)
    actual_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="planned")
    subject_ref: Mapped[str] = mapped_column(String(40))
    visit_ref: Mapped[str] = mapped_column(String(40))


class FormInstance(Base):
    """One form of one subject at one visit (``visit_pk`` None: a subject-level log form).

    ``version`` is the optimistic-concurrency counter: a save names the version it edited and
    fails with a conflict when another save came first. ``content_hash`` is the SHA-256 of the
    canonical item values, which signatures bind to (21 CFR 11.70).
    """

    __tablename__ = "form_instance"
    __table_args__ = (UniqueConstraint("subject_pk", "visit_pk", "form_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    subject_pk: Mapped[int] = mapped_column(ForeignKey("subject.id"), index=True)
    visit_pk: Mapped[int | None] = mapped_column(ForeignKey("visit.id"), index=True)
    form_id: Mapped[str] = mapped_column(String(60))
    form_version: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="in_progress")
    saved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    saved_by: Mapped[str | None] = mapped_column(String(80))
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    subject_ref: Mapped[str] = mapped_column(String(40))
    visit_ref: Mapped[str] = mapped_column(String(40))
    form_ref: Mapped[str] = mapped_column(String(60))
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class ItemValue(Base):
    """One answer: the canonical text of the value, its unit and the laboratory's range."""

    __tablename__ = "item_value"
    __table_args__ = (UniqueConstraint("form_instance_id", "group_id", "row_no", "item_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    form_instance_id: Mapped[int] = mapped_column(ForeignKey("form_instance.id"), index=True)
    group_id: Mapped[str] = mapped_column(String(60), default="")
    row_no: Mapped[int] = mapped_column(Integer, default=0)
    item_id: Mapped[str] = mapped_column(String(60))
    value: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(30), default="")
    lln: Mapped[float | None] = mapped_column(Float)
    uln: Mapped[float | None] = mapped_column(Float)
    subject_ref: Mapped[str] = mapped_column(String(40))
    visit_ref: Mapped[str] = mapped_column(String(40))
    form_ref: Mapped[str] = mapped_column(String(60))
    item_ref: Mapped[str] = mapped_column(String(140))


class Query(Base):
    """A data query on one item: open -> answered -> closed (or re-opened)."""

    __tablename__ = "query"
    __table_args__ = (Index("ix_query_status_id", "status", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    subject_pk: Mapped[int] = mapped_column(ForeignKey("subject.id"), index=True)
    form_instance_id: Mapped[int] = mapped_column(ForeignKey("form_instance.id"), index=True)
    group_id: Mapped[str] = mapped_column(String(60), default="")
    row_no: Mapped[int] = mapped_column(Integer, default=0)
    item_id: Mapped[str] = mapped_column(String(60), default="")
    origin: Mapped[str] = mapped_column(String(10))
    check_code: Mapped[str] = mapped_column(String(80), default="")
    status: Mapped[str] = mapped_column(String(10), default="open")
    text: Mapped[str] = mapped_column(Text)
    raised_by: Mapped[str] = mapped_column(String(80))
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime())
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(80))
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closed_by: Mapped[str | None] = mapped_column(String(80))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    subject_ref: Mapped[str] = mapped_column(String(40))
    visit_ref: Mapped[str] = mapped_column(String(40))
    form_ref: Mapped[str] = mapped_column(String(60))
    item_ref: Mapped[str] = mapped_column(String(140))


class SdvMark(Base):
    """Source-data verification of one item, valid while the item's value hash is unchanged."""

    __tablename__ = "sdv_mark"
    __table_args__ = (UniqueConstraint("form_instance_id", "group_id", "row_no", "item_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    form_instance_id: Mapped[int] = mapped_column(ForeignKey("form_instance.id"), index=True)
    group_id: Mapped[str] = mapped_column(String(60), default="")
    row_no: Mapped[int] = mapped_column(Integer, default=0)
    item_id: Mapped[str] = mapped_column(String(60))
    value_hash: Mapped[str] = mapped_column(String(64))
    verified_by: Mapped[str] = mapped_column(String(80))
    verified_at: Mapped[datetime] = mapped_column(UtcDateTime())
    subject_ref: Mapped[str] = mapped_column(String(40))
    visit_ref: Mapped[str] = mapped_column(String(40))
    form_ref: Mapped[str] = mapped_column(String(60))
    item_ref: Mapped[str] = mapped_column(String(140))


class Signature(Base):
    """An electronic signature of a form or a casebook (21 CFR 11.50, 11.70).

    ``content_hash`` is the hash of what was signed; when the content changes the signature is
    marked ``invalidated_at`` (never deleted), with the reason.
    """

    __tablename__ = "signature"
    id: Mapped[int] = mapped_column(primary_key=True)
    subject_pk: Mapped[int] = mapped_column(ForeignKey("subject.id"), index=True)
    form_instance_id: Mapped[int | None] = mapped_column(ForeignKey("form_instance.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    printed_name: Mapped[str] = mapped_column(String(200))
    meaning: Mapped[str] = mapped_column(String(200))
    signed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    content_hash: Mapped[str] = mapped_column(String(64))
    invalidated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    invalidated_reason: Mapped[str | None] = mapped_column(Text)
    subject_ref: Mapped[str] = mapped_column(String(40))
    visit_ref: Mapped[str] = mapped_column(String(40))
    form_ref: Mapped[str] = mapped_column(String(60))


class TrialState(Base):
    """One row per trial: the database lock before analysis (ICH E6(R3) 3.16.1(q))."""

    __tablename__ = "trial_state"
    id: Mapped[int] = mapped_column(primary_key=True)
    protocol_id: Mapped[str] = mapped_column(String(40), unique=True)
    database_locked: Mapped[bool] = mapped_column(Boolean, default=False)
    locked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    locked_by: Mapped[str | None] = mapped_column(String(80))
    lock_reason: Mapped[str | None] = mapped_column(Text)


class DerivedCache(Base):
    """A derived result (eligibility, grades, responses) cached with its inputs' hash."""

    __tablename__ = "derived_cache"
    __table_args__ = (UniqueConstraint("subject_pk", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    subject_pk: Mapped[int] = mapped_column(ForeignKey("subject.id"))
    kind: Mapped[str] = mapped_column(String(40))
    inputs_hash: Mapped[str] = mapped_column(String(64))
    software_version: Mapped[str] = mapped_column(String(40))
    result: Mapped[dict[str, object]] = mapped_column(JSON)


class AuditLog(Base):
    """The audit trail: append-only, hash-chained; written by database triggers only.

    ``at`` is the database server's UTC time as ISO 8601 text with ``Z``; ``hash`` is the
    SHA-256 of the previous row's hash and this row's fields (:func:`oncotrial.store.audit.
    row_hash`).
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_subject_ref_id", "subject_ref", "id"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(80))
    user_name: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    table_name: Mapped[str] = mapped_column(String(40))
    row_key: Mapped[str] = mapped_column(String(40))
    subject_ref: Mapped[str] = mapped_column(String(40))
    visit_ref: Mapped[str] = mapped_column(String(40))
    form_ref: Mapped[str] = mapped_column(String(60))
    item_ref: Mapped[str] = mapped_column(String(140))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    software_version: Mapped[str] = mapped_column(String(40))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


#: Tables whose every insert, update and delete the database itself writes to the audit trail.
AUDITED_TABLES: tuple[str, ...] = (
    "site", "app_user", "role_grant", "subject", "subject_identity", "visit", "form_instance",
    "item_value", "query", "sdv_mark", "signature", "trial_state",
)
