"""Accounts: log-in, creation, roles, password change, and the access report (AC-1..AC-4)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from oncotrial.errors import InputError
from oncotrial.services.access import (
    ROLES,
    Actor,
    as_utc,
    check_not_locked,
    check_password_rules,
    find_site,
    find_user,
    hash_password,
    now_utc,
    record_failure,
    require,
    verify_password,
)
from oncotrial.services.database import Database
from oncotrial.services.errors import AuthenticationError, NotFoundError
from oncotrial.store.audit import append_event
from oncotrial.store.models import AppUser, RoleGrant, Site

__all__ = [
    "AccessRow",
    "LoginResult",
    "access_report",
    "add_site",
    "authenticate",
    "change_password",
    "create_user",
    "grant_role",
    "revoke_role",
    "set_language",
]

#: The languages of the pages (BCP 47 tags).
LANGUAGES = ("en", "zh-CN")


@dataclass(frozen=True, slots=True)
class LoginResult:
    """A successful log-in: the actor, whether the password must be changed now (expired, or
    a one-time password), and the user's language."""

    actor: Actor
    password_expired: bool
    language: str = "en"


def authenticate(db: Database, username: str, password: str) -> LoginResult:
    """Check a user name and password; log success and failure (AT-6), lock after repeats.

    Raises:
        AuthenticationError: unknown user, wrong password, locked or inactive account. The
            failure is stored and audited before the error is raised.
    """
    failure: str | None = None
    if "\x00" in username or "\x00" in password:
        # No user name or password holds NUL (PostgreSQL text cannot): a failure like any other.
        username = username.replace("\x00", "\\0")
        password = ""
    with db.transaction(None, reason="log-in") as session:
        user = session.scalar(select(AppUser).where(AppUser.username == username))
        if user is None:
            append_event(session.connection(), "login_failed", table="app_user",
                         new=username, old="unknown user")
            failure = "Log-in failed: unknown user name or wrong password."
        else:
            try:
                check_not_locked(user)
            except AuthenticationError as exc:
                append_event(session.connection(), "login_failed", table="app_user",
                             row_key=str(user.id), new=username, old="account locked")
                failure = exc.message
            else:
                if verify_password(user.password_hash, password):
                    user.failed_logins = 0
                    user.locked_until = None
                    append_event(session.connection(), "login_success", table="app_user",
                                 row_key=str(user.id), new=username)
                    changed = as_utc(user.password_changed_at) or now_utc()
                    expired = user.must_change_password or now_utc() - changed > timedelta(
                        days=db.policy.password_max_age_days)
                    actor = Actor(user.id, user.username, user.full_name)
                    language = user.language
                else:
                    append_event(session.connection(), "login_failed", table="app_user",
                                 row_key=str(user.id), new=username, old="wrong password")
                    failure = record_failure(session, user, db.policy, "Log-in")
    if failure is not None:
        raise AuthenticationError(failure, field="password",
                                  hint="Check the user name and password; after 5 failures "
                                       "the account is locked for 30 minutes.")
    return LoginResult(actor, expired, language)


def add_site(db: Database, actor: Actor | None, code: str, name: str) -> int:
    """Add a site (administrators; ``actor`` None for the first set-up). Returns its key."""
    with db.transaction(actor, reason="site added") as session:
        if actor is not None:
            require(session, actor, "manage_users")
        if session.scalar(select(Site).where(Site.code == code)) is not None:
            raise InputError(f"Site {code!r} exists already.", field="site", value=code)
        site = Site(code=code, name=name)
        session.add(site)
        session.flush()
        return site.id


def _validate_role(role: str) -> None:
    if role not in ROLES:
        raise InputError(f"There is no role {role!r}.", field="role", value=role,
                         hint=f"Roles: {', '.join(ROLES)}.")


def create_user(db: Database, actor: Actor | None, username: str, full_name: str,
                password: str, roles: dict[str, str | None] | None = None, *,
                one_time: bool = False, language: str = "en") -> int:
    """Create an account with roles (role -> site code, or None for every site).

    ``actor`` None is the first administrator, made from the command line before anyone can
    log in; every other account is made by an administrator. With ``one_time`` the password
    must be changed at the first log-in. Returns the user's key.
    """
    _validate_language(language)
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{1,79}", username):
        raise InputError(f"The user name {username!r} is not usable.", field="username",
                         value=username, hint="Use 2-80 lower-case letters, digits, '.', '_' "
                         "or '-', starting with a letter or digit.")
    if not full_name.strip():
        raise InputError("The full name is empty; signatures print it (21 CFR 11.50).",
                         field="full_name", hint="Enter the person's full name.")
    check_password_rules(password, username, db.policy)
    for role in roles or {}:
        _validate_role(role)
    with db.transaction(actor, reason="account created") as session:
        if actor is not None:
            require(session, actor, "manage_users")
        elif session.scalar(select(func.count()).select_from(AppUser)):
            raise AuthenticationError("Only the first account can be made without an "
                                      "administrator.", hint="Log in as an administrator.")
        if session.scalar(select(AppUser).where(AppUser.username == username)) is not None:
            raise InputError(f"The user name {username!r} is taken; accounts are never "
                             "shared or reused (21 CFR 11.100(a)).", field="username",
                             value=username, hint="Choose another user name.")
        moment = now_utc()
        user = AppUser(username=username, full_name=full_name.strip(),
                       password_hash=hash_password(password), active=True, failed_logins=0,
                       password_changed_at=moment, created_at=moment, email="",
                       must_change_password=one_time, language=language)
        session.add(user)
        session.flush()
        by = actor.username if actor else "system"
        for role, site_code in (roles or {}).items():
            site_pk = find_site(session, site_code).id if site_code else None
            session.add(RoleGrant(user_id=user.id, role=role, site_id=site_pk,
                                  granted_at=moment, granted_by=by))
        return user.id


def _validate_language(language: str) -> None:
    if language not in LANGUAGES:
        raise InputError(f"There is no language {language!r}.", field="language",
                         value=language, hint=f"Languages: {', '.join(LANGUAGES)}.")


def set_language(db: Database, actor: Actor, language: str) -> None:
    """Set the language of one's own pages (``en`` or ``zh-CN``)."""
    _validate_language(language)
    with db.transaction(actor, reason="language changed") as session:
        find_user(session, actor.username).language = language


def grant_role(db: Database, actor: Actor, username: str, role: str,
               site_code: str | None, reason: str) -> None:
    """Grant a role at a site (None: every site); audited with the reason (AC-3)."""
    _validate_role(role)
    with db.transaction(actor, reason=reason) as session:
        require(session, actor, "manage_users")
        user = find_user(session, username)
        site_pk = find_site(session, site_code).id if site_code else None
        session.add(RoleGrant(user_id=user.id, role=role, site_id=site_pk,
                              granted_at=now_utc(), granted_by=actor.username))


def revoke_role(db: Database, actor: Actor, username: str, role: str, reason: str) -> int:
    """Revoke every active grant of ``role`` from the user, at once (AC-2). Returns how many."""
    with db.transaction(actor, reason=reason) as session:
        require(session, actor, "manage_users")
        user = find_user(session, username)
        grants = session.scalars(select(RoleGrant).where(
            RoleGrant.user_id == user.id, RoleGrant.role == role,
            RoleGrant.revoked_at.is_(None))).all()
        if not grants:
            raise NotFoundError(f"{username} has no active role {role!r}.", field="role")
        for grant in grants:
            grant.revoked_at = now_utc()
            grant.revoked_by = actor.username
        return len(grants)


def change_password(db: Database, actor: Actor, old_password: str, new_password: str) -> None:
    """Change one's own password after re-entering the old one."""
    check_password_rules(new_password, actor.username, db.policy)
    failure = None
    with db.transaction(actor, reason="password changed") as session:
        user = find_user(session, actor.username)
        check_not_locked(user)
        if not verify_password(user.password_hash, old_password):
            failure = record_failure(session, user, db.policy, "Password change")
        else:
            user.password_hash = hash_password(new_password)
            user.password_changed_at = now_utc()
            user.must_change_password = False
    if failure:
        raise AuthenticationError(failure, field="old_password")


@dataclass(frozen=True, slots=True)
class AccessRow:
    """One grant for the periodic access review (AC-3)."""

    username: str
    full_name: str
    role: str
    site: str
    granted_at: datetime
    granted_by: str
    revoked_at: datetime | None
    revoked_by: str | None


def access_report(db: Database, actor: Actor) -> list[AccessRow]:
    """Every grant ever made, active and revoked, with who and when (AC-3)."""
    with db.transaction(actor, reason="access review") as session:
        require(session, actor, "manage_users")
        rows = session.execute(
            select(AppUser.username, AppUser.full_name, RoleGrant, Site.code)
            .join(RoleGrant, RoleGrant.user_id == AppUser.id)
            .outerjoin(Site, Site.id == RoleGrant.site_id)
            .order_by(AppUser.username, RoleGrant.granted_at)).all()
        return [AccessRow(u, n, g.role, code or "all sites", g.granted_at, g.granted_by,
                          g.revoked_at, g.revoked_by) for u, n, g, code in rows]

