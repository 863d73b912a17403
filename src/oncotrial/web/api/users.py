"""Administration: accounts, roles and the access report (administrators only).

A new account gets a one-time password, returned once in the response and never stored in
clear; the user must change it at the first log-in. Roles are granted per site (or for every
site) and revoking one takes effect at the user's next request (AC-2).
"""

from __future__ import annotations

import secrets
import string
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from oncotrial.services import ROLES, access_report, create_user, grant_role, revoke_role
from oncotrial.services.access import as_utc
from oncotrial.services.api import UserView, list_users
from oncotrial.web.api._common import PLAIN, SOME, Reader, Writer, problems
from oncotrial.web.deps import state

router = APIRouter(tags=["users"])

Role = Literal["investigator", "sub_investigator", "research_coordinator", "data_manager",
               "monitor", "statistician", "administrator"]
assert set(Role.__args__) == set(ROLES)  # type: ignore[attr-defined]

Username = Annotated[str, Path(min_length=1, max_length=80, pattern=PLAIN)]


class Grant(BaseModel):
    role: Role
    site: str | None = Field(default=None, min_length=1, max_length=20, pattern=SOME,
                             description="Site code; null: every site.")


class UserOut(BaseModel):
    username: str
    full_name: str
    active: bool
    language: str
    must_change_password: bool
    locked_until: datetime | None
    roles: list[Grant] = Field(description="Roles in force now.")

    @classmethod
    def of(cls, u: UserView) -> UserOut:
        return cls(username=u.username, full_name=u.full_name, active=u.active,
                   language=u.language, must_change_password=u.must_change_password,
                   locked_until=u.locked_until,
                   roles=[Grant.model_validate({"role": r, "site": s}) for r, s in u.roles])


@router.get("/users", response_model=list[UserOut], responses=problems())
def users(request: Request, info: Reader) -> list[UserOut]:
    """Every account with its roles."""
    web = state(request)
    return [UserOut.of(u) for u in list_users(web.db, info.actor)]


class UserIn(BaseModel):
    username: str = Field(min_length=2, max_length=80, pattern=r"^[a-z0-9][a-z0-9._-]+$",
                          description="Lower-case letters, digits, '.', '_' or '-'.")
    full_name: str = Field(min_length=1, max_length=200, pattern=SOME,
                           description="Printed with the person's signatures.")
    roles: list[Grant] = Field(default_factory=list, max_length=20)
    language: Literal["en", "zh-CN"] = "en"


class NewUserOut(UserOut):
    one_time_password: str = Field(description="Shown once; the user must change it at the "
                                               "first log-in.")


def _one_time_password() -> str:
    """A random password that meets the rules (letters and digits, 16 characters)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        word = "".join(secrets.choice(alphabet) for _ in range(16))
        if any(c.isalpha() for c in word) and any(c.isdigit() for c in word):
            return word


@router.post("/users", status_code=201, response_model=NewUserOut,
             responses=problems(400, 404))
def new_user(request: Request, info: Writer, body: UserIn) -> NewUserOut:
    """Create an account with roles and a one-time password."""
    web = state(request)
    password = _one_time_password()
    while body.username in password.lower():  # pragma: no cover - 1 in ~10^20
        password = _one_time_password()
    roles: dict[str, str | None] = {}
    for grant in body.roles:
        roles[grant.role] = grant.site
    create_user(web.db, info.actor, body.username, body.full_name, password, roles,
                one_time=True, language=body.language)
    made = list_users(web.db, info.actor, body.username)[0]
    return NewUserOut(**UserOut.of(made).model_dump(), one_time_password=password)


class GrantIn(Grant):
    reason: str = Field(min_length=1, max_length=2000, pattern=SOME,
                        description="Why (audit trail).")


@router.post("/users/{username}/roles", response_model=UserOut,
             responses=problems(400, 404))
def grant(request: Request, info: Writer, username: Username, body: GrantIn) -> UserOut:
    """Grant a role at a site (or every site)."""
    web = state(request)
    grant_role(web.db, info.actor, username, body.role, body.site, body.reason)
    return UserOut.of(list_users(web.db, info.actor, username)[0])


@router.delete("/users/{username}/roles/{role}", response_model=UserOut,
               responses=problems(404))
def revoke(request: Request, info: Writer, username: Username, role: Role,
           reason: Annotated[str, Query(min_length=1, max_length=2000, pattern=SOME,
                                        description="Why (audit trail).")]) -> UserOut:
    """Revoke every active grant of the role from the user, at once."""
    web = state(request)
    revoke_role(web.db, info.actor, username, role, reason)
    return UserOut.of(list_users(web.db, info.actor, username)[0])


class AccessRowOut(BaseModel):
    username: str
    full_name: str
    role: str
    site: str
    granted_at: datetime
    granted_by: str
    revoked_at: datetime | None
    revoked_by: str | None


@router.get("/access-report", response_model=list[AccessRowOut], responses=problems())
def report(request: Request, info: Reader) -> list[AccessRowOut]:
    """Every grant ever made, active and revoked, with who and when (periodic review)."""
    web = state(request)
    return [AccessRowOut(username=r.username, full_name=r.full_name, role=r.role, site=r.site,
                         granted_at=as_utc(r.granted_at) or r.granted_at,
                         granted_by=r.granted_by, revoked_at=as_utc(r.revoked_at),
                         revoked_by=r.revoked_by) for r in access_report(web.db, info.actor)]
