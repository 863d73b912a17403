"""Administration: accounts with their roles and sites, new accounts with a one-time password,
granting and revoking roles with a reason, sites, the access report, live sessions, and the
protocol's assumptions and clarifications (as ``oncotrial protocol assumptions`` lists them).

Only administrators (``manage_users``) see it: every service called here checks that again.
A new account gets a random one-time password, shown once on the page that answers the form
(never stored in clear, never sent again); its owner must change it at the first log-in.
"""

from __future__ import annotations

import json
import secrets
import string
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response
from pydantic import BaseModel

from oncotrial.errors import OncotrialError
from oncotrial.protocol import list_provenance
from oncotrial.services import (
    ROLES,
    access_report,
    add_site,
    create_user,
    grant_role,
    revoke_role,
)
from oncotrial.services.access import Policy, check_password_rules
from oncotrial.services.dashboard import database_state, site_list, user_overview
from oncotrial.web.deps import check_csrf, page, redirect, render, state, t_of
from oncotrial.web.i18n import LANGUAGES
from oncotrial.web.pages.home import iso_minutes
from oncotrial.web.problems import status_of

__all__ = ["one_time_password", "router"]

router = APIRouter(include_in_schema=False)

#: The value of "all sites" in the site lists (a site role needs its site chosen).
ALL_SITES = "*"
#: Characters of generated passwords: no 0/O, 1/l/I that are misread when read out.
_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")


def one_time_password(username: str = "", policy: Policy | None = None) -> str:
    """A random password that meets the account rules, in groups of four for reading out.

    >>> password = one_time_password("alice")
    >>> len(password), password.count("-")
    (19, 3)
    """
    while True:
        text = "-".join("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(4))
        try:
            check_password_rules(text, username, policy or Policy())
        except OncotrialError:
            continue
        return text


def _short(value: Any) -> str:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False,
                                                          default=str)
    return text if len(text) <= 120 else text[:117] + "..."


def _show(request: Request, *, status_code: int = 200, errors: dict[str, str] | None = None,
          posted: dict[str, str] | None = None, created: dict[str, str] | None = None
          ) -> Response:
    info = page(request)
    web = state(request)
    t = t_of(request)
    users = user_overview(web.db, info.actor, idle_minutes=web.idle_minutes)
    entries = list_provenance(web.ctx.protocol, sources=("assumption", "clarification"))
    assumptions: dict[str, list[dict[str, Any]]] = {}
    for e in entries:
        section = e.path.split(".")[0].split("[")[0]
        assumptions.setdefault(section, []).append({
            "path": e.path, "value": _short(e.value), "source": e.provenance.source,
            "ref": e.provenance.ref or "", "reason": e.provenance.reason or "",
            "confirm": e.provenance.needs_sponsor_confirmation})
    done = request.query_params.get("done", "")
    ref = request.query_params.get("ref", "")
    messages = {
        "granted": t("Role granted to {user}.", user=ref),
        "revoked": t("Role revoked from {user}; their next request is refused if it needed "
                     "the role.", user=ref),
        "site": t("Site {code} added.", code=ref),
    }
    return render(request, "admin.html", status_code=status_code, users=users,
                  sites=site_list(web.db, info.actor), access=access_report(web.db, info.actor),
                  live=sum(u.live_sessions for u in users), roles_all=ROLES,
                  languages=LANGUAGES, database=database_state(web.db, info.actor, web.ctx),
                  assumptions=assumptions, errors=errors or {}, posted=posted or {},
                  created=created, message=messages.get(done), iso=iso_minutes,
                  idle_minutes=web.idle_minutes)


def _refused(request: Request, exc: OncotrialError, form: str, fields: tuple[str, ...],
             posted: dict[str, str]) -> Response:
    """The page again with the service's reason beside the field it names (or the form)."""
    status, _, _ = status_of(exc)
    field = exc.field if exc.field in fields else None
    key = f"{form}.{field}" if field else form
    message = exc.message + (f" {exc.hint}" if exc.hint else "")
    return _show(request, status_code=status, errors={key: message}, posted=posted)


@router.get("/admin")
def admin(request: Request) -> Response:
    return _show(request)


@router.post("/admin/users")
def new_user(request: Request, csrf_token: Annotated[str, Form()] = "",
             username: Annotated[str, Form()] = "", full_name: Annotated[str, Form()] = "",
             role: Annotated[str, Form()] = "", site: Annotated[str, Form()] = "",
             language: Annotated[str, Form()] = "en") -> Response:
    info = page(request)
    check_csrf(request, csrf_token)
    web = state(request)
    t = t_of(request)
    name = username.strip().lower()
    posted = {"new.username": name, "new.full_name": full_name, "new.role": role,
              "new.site": site, "new.language": language}
    errors = {}
    if role not in ROLES:
        errors["new.role"] = t("Choose the role of the new account.")
    if not site:
        errors["new.site"] = t("Choose the site, or all sites.")
    if errors:
        return _show(request, status_code=422, posted=posted, errors=errors)
    password = one_time_password(name, web.db.policy)
    try:
        create_user(web.db, info.actor, name, full_name.strip(), password,
                    {role: None if site == ALL_SITES else site}, one_time=True,
                    language=language)
    except OncotrialError as exc:
        return _refused(request, exc, "new", ("username", "full_name", "role", "site",
                                               "language"), posted)
    return _show(request, created={"username": name, "full_name": full_name.strip(),
                                   "password": password})


@router.post("/admin/roles/{action}")
def change_role(request: Request, action: str, csrf_token: Annotated[str, Form()] = "",
                username: Annotated[str, Form()] = "", role: Annotated[str, Form()] = "",
                site: Annotated[str, Form()] = "",
                reason: Annotated[str, Form()] = "") -> Response:
    info = page(request)
    check_csrf(request, csrf_token)
    web = state(request)
    t = t_of(request)
    if action not in ("grant", "revoke"):
        raise HTTPException(status_code=404)
    posted = {f"{action}.username": username, f"{action}.role": role,
              f"{action}.site": site, f"{action}.reason": reason}
    errors = {}
    if action == "grant" and not site:
        errors["grant.site"] = t("Choose the site, or all sites.")
    if not reason.strip():
        errors[f"{action}.reason"] = t("Give a reason: it is kept in the audit trail and the "
                                       "access report.")
    if errors:
        return _show(request, status_code=422, posted=posted, errors=errors)
    try:
        if action == "grant":
            grant_role(web.db, info.actor, username, role, None if site == ALL_SITES else site,
                       reason.strip())
        else:
            revoke_role(web.db, info.actor, username, role, reason.strip())
    except OncotrialError as exc:
        return _refused(request, exc, action, ("username", "role", "site"), posted)
    return redirect(f"/admin?{urlencode({'done': f'{action}ed', 'ref': username})}#roles")


@router.post("/admin/sites")
def new_site(request: Request, csrf_token: Annotated[str, Form()] = "",
             code: Annotated[str, Form()] = "", name: Annotated[str, Form()] = "") -> Response:
    info = page(request)
    check_csrf(request, csrf_token)
    web = state(request)
    t = t_of(request)
    posted = {"site.code": code, "site.name": name}
    errors = {}
    if not code.strip():
        errors["site.code"] = t("Enter the site's code, e.g. HCH.")
    if not name.strip():
        errors["site.name"] = t("Enter the site's name.")
    if errors:
        return _show(request, status_code=422, posted=posted, errors=errors)
    try:
        add_site(web.db, info.actor, code.strip().upper(), name.strip())
    except OncotrialError as exc:
        return _refused(request, exc, "site", ("site",), posted)
    return redirect(f"/admin?{urlencode({'done': 'site', 'ref': code.strip().upper()})}#sites")
