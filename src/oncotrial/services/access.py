"""Users, roles, passwords and the permission check every service makes (AC-1..AC-5).

One account per person; roles are granted per site (or for every site) and revoking one takes
effect at the next call, because :func:`require` reads the grants from the database each time.
Passwords are hashed with argon2id (``argon2-cffi``); five failed log-ins or signings in a row
lock the account for 30 minutes (21 CFR 11.300(d)); every log-in, failure, lock-out, account
creation and role change is in the audit trail (ICH E6(R3) 4.2.2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from oncotrial.errors import InputError
from oncotrial.services.errors import AuthenticationError, NotFoundError, PermissionDenied
from oncotrial.store.audit import append_event
from oncotrial.store.models import AppUser, RoleGrant, Site

__all__ = [
    "PERMISSIONS",
    "ROLES",
    "Actor",
    "Policy",
    "can",
    "check_password_rules",
    "hash_password",
    "require",
    "verify_password",
]

#: The roles of ICH E6(R3) trial staff, and what each may do. ``view_identity`` is the right to
#: see names and hospital numbers; a statistician sees pseudonymised data only.
PERMISSIONS: Final[dict[str, frozenset[str]]] = {
    "investigator": frozenset({
        "view", "view_identity", "register", "enter_data", "screen", "enrol", "sign_form",
        "sign_casebook", "answer_query", "raise_query", "withdraw", "view_audit",
        # ICH E6(R3) Appendix C.1.3: the investigator keeps a copy of the site's data.
        "export"}),
    "sub_investigator": frozenset({
        "view", "view_identity", "register", "enter_data", "screen", "enrol", "sign_form",
        "answer_query", "raise_query", "withdraw", "view_audit"}),
    "research_coordinator": frozenset({
        "view", "view_identity", "register", "enter_data", "screen", "answer_query",
        "view_audit"}),
    "data_manager": frozenset({
        "view", "raise_query", "close_query", "lock", "unlock", "lock_database", "export",
        "view_audit"}),
    "monitor": frozenset({"view", "view_identity", "sdv", "raise_query", "close_query",
                          "view_audit"}),
    "statistician": frozenset({"view_pseudonymised", "export"}),
    "administrator": frozenset({"manage_users", "over_enrol", "unlock_database", "view",
                                "view_audit", "export"}),
}
ROLES: Final[tuple[str, ...]] = tuple(PERMISSIONS)

_HASHER = PasswordHasher()


@dataclass(frozen=True, slots=True)
class Policy:
    """Account rules: password length, lock-out and password age (AC-4)."""

    min_password_length: int = 12
    max_failed_attempts: int = 5
    lockout_minutes: int = 30
    password_max_age_days: int = 365


@dataclass(frozen=True, slots=True)
class Actor:
    """The person acting, as authenticated: who they are and whether they have signed in this
    session (21 CFR 11.200(a)(1): later signings need only the password)."""

    user_pk: int
    username: str
    full_name: str
    has_signed: bool = False

    def after_signing(self) -> Actor:
        """The same actor, marked as having signed in this session."""
        return replace(self, has_signed=True)


def hash_password(password: str) -> str:
    """An argon2id hash of the password (the password itself is never stored)."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches the hash."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_password_rules(password: str, username: str, policy: Policy = Policy()) -> None:
    """Refuse a weak password (AC-4): too short, no letter or no digit, or the user name in it.

    >>> check_password_rules("correct horse 42 battery", "alice")
    >>> check_password_rules("short1", "alice")
    Traceback (most recent call last):
    ...
    oncotrial.errors.InputError: The password has 6 characters; at least 12 are needed. ...
    """
    problems = []
    if len(password) < policy.min_password_length:
        problems.append(f"The password has {len(password)} characters; at least "
                        f"{policy.min_password_length} are needed.")
    if not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        problems.append("The password needs at least one letter and one digit.")
    if username and username.lower() in password.lower():
        problems.append("The password must not contain the user name.")
    if problems:
        raise InputError(" ".join(problems), field="password",
                         hint="Choose a longer passphrase with letters and digits.")


def active_grants(session: Session, user_pk: int) -> list[RoleGrant]:
    """The user's roles in force now (revoked grants are kept but not counted)."""
    return list(session.scalars(select(RoleGrant).where(
        RoleGrant.user_id == user_pk, RoleGrant.revoked_at.is_(None))))


def require(session: Session, actor: Actor, action: str, site_pk: int | None = None) -> str:
    """Check, from the database now, that ``actor`` may do ``action`` at ``site_pk``.

    Returns the role that allows it. ``site_pk`` None asks for the right at any site.

    Raises:
        PermissionDenied: naming the action and the roles that would allow it.
    """
    user = session.get(AppUser, actor.user_pk)
    if user is None or not user.active:
        raise PermissionDenied(f"The account {actor.username!r} is not active.",
                               hint="Ask an administrator to reactivate it.")
    for grant in active_grants(session, actor.user_pk):
        in_site = grant.site_id is None or site_pk is None or grant.site_id == site_pk
        if in_site and action in PERMISSIONS.get(grant.role, frozenset()):
            return grant.role
    allowed = sorted(r for r, acts in PERMISSIONS.items() if action in acts)
    raise PermissionDenied(
        f"{actor.full_name} ({actor.username}) may not {action.replace('_', ' ')} here.",
        field="role", value=action,
        hint=f"This needs one of these roles at the subject's site: {', '.join(allowed)}.")


def sees_identity(session: Session, actor: Actor, site_pk: int) -> bool:
    """Whether ``actor`` sees a subject of the site with its ids (True) or pseudonymised
    only (False, a statistician).

    Raises:
        PermissionDenied: the actor may see neither.
    """
    if can(session, actor, "view", site_pk):
        return True
    if can(session, actor, "view_pseudonymised", site_pk):
        return False
    require(session, actor, "view", site_pk)  # raises, naming the roles needed
    raise AssertionError  # pragma: no cover


def can(session: Session, actor: Actor, action: str, site_pk: int | None = None) -> bool:
    """Like :func:`require`, as a yes or no."""
    try:
        require(session, actor, action, site_pk)
    except PermissionDenied:
        return False
    return True


def now_utc() -> datetime:
    """The server's time in UTC (never the browser's)."""
    return datetime.now(UTC)


def as_utc(moment: datetime | None) -> datetime | None:
    """A stored time as UTC-aware (SQLite gives back naive datetimes, written in UTC)."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)  # SQLite returns naive datetimes; they are UTC
    return moment


def record_failure(session: Session, user: AppUser, policy: Policy, what: str,
                   cause: str = "wrong password") -> str:
    """Count a failed log-in or signing (ES-5); lock the account at the limit. Returns the
    sentence to show."""
    user.failed_logins += 1
    message = f"{what} failed: {cause}."
    if user.failed_logins >= policy.max_failed_attempts:
        user.locked_until = now_utc() + timedelta(minutes=policy.lockout_minutes)
        message += (f" The account is locked for {policy.lockout_minutes} minutes after "
                    f"{user.failed_logins} failed attempts.")
        append_event(session.connection(), "account_locked", table="app_user",
                     row_key=str(user.id), new=user.username)
    return message


def check_not_locked(user: AppUser) -> None:
    """Refuse a locked or inactive account."""
    locked_until = as_utc(user.locked_until)
    if not user.active:
        raise AuthenticationError(f"The account {user.username!r} is deactivated.",
                                  hint="Ask an administrator.")
    if locked_until is not None and locked_until > now_utc():
        raise AuthenticationError(
            f"The account {user.username!r} is locked until "
            f"{locked_until:%Y-%m-%d %H:%M} UTC after repeated failed attempts.",
            hint="Wait, or ask an administrator to unlock it.")


def find_user(session: Session, username: str) -> AppUser:
    """The account with this user name."""
    user = session.scalar(select(AppUser).where(AppUser.username == username))
    if user is None:
        raise NotFoundError(f"There is no user {username!r}.", field="username", value=username)
    return user


def find_site(session: Session, code: str) -> Site:
    """The site with this code."""
    site = session.scalar(select(Site).where(Site.code == code))
    if site is None:
        known = ", ".join(session.scalars(select(Site.code))) or "none yet"
        raise NotFoundError(f"There is no site {code!r} (sites: {known}).", field="site",
                            value=code, hint="Add the site first: oncotrial user add --help.")
    return site
