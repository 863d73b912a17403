"""What every request of the web application needs: the database, the trial, the session,
the language, CSRF checks and template rendering (shell)."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from oncotrial import __version__
from oncotrial.context import TrialContext
from oncotrial.errors import OncotrialError
from oncotrial.forms import FormSet
from oncotrial.services import Actor, AuthenticationError, Database, PermissionDenied
from oncotrial.services.access import PERMISSIONS
from oncotrial.services.lookup import forms_of
from oncotrial.web.i18n import LANGUAGES, Translator, negotiate, translator
from oncotrial.web.sessions import SessionInfo, load_session

__all__ = ["COOKIE", "PRE_COOKIE", "LoginRequired", "WebState", "check_csrf", "page",
           "render", "session_of", "state"]

#: The session cookie (HttpOnly, SameSite=Strict) and the pre-log-in CSRF cookie.
COOKIE = "oncotrial_session"
PRE_COOKIE = "oncotrial_pre"


@dataclass
class WebState:
    """What the application was started with."""

    db: Database
    ctx: TrialContext
    templates: Jinja2Templates
    secure_cookies: bool
    idle_minutes: int

    @property
    def forms(self) -> FormSet:
        return forms_of(self.ctx)


class LoginRequired(OncotrialError):
    """No live session: pages send the browser to the log-in page."""

    def __init__(self) -> None:
        super().__init__("Log in first.", hint="Log in (POST /api/v1/session for the API).")


class PasswordChangeRequired(OncotrialError):
    """A one-time or expired password: nothing but the password page until it is changed."""

    def __init__(self) -> None:
        super().__init__("The password must be changed first.", hint="Change the password.")


class CsrfFailed(OncotrialError):
    """A form was posted without this session's CSRF token."""

    def __init__(self) -> None:
        super().__init__("The form was not sent from this session's page (CSRF check).",
                         hint="Reload the page and submit again.")


def state(request: Request) -> WebState:
    web: WebState = request.app.state.web
    return web


def session_of(request: Request) -> SessionInfo | None:
    """The request's live session (looked up once per request), or None."""
    if not hasattr(request.state, "session"):
        web = state(request)
        request.state.session = load_session(web.db, request.cookies.get(COOKIE),
                                             idle_minutes=web.idle_minutes)
    info: SessionInfo | None = request.state.session
    return info


def language_of(request: Request) -> str:
    """The user's language; before log-in ``?lang=`` or ``Accept-Language``."""
    query = request.query_params.get("lang")
    info = session_of(request)
    if info is not None and query not in LANGUAGES:
        return info.language
    return negotiate(query, request.headers.get("accept-language"))


def t_of(request: Request) -> Translator:
    return translator(language_of(request))


def page(request: Request) -> SessionInfo:
    """The live session of a page that needs a log-in (else :class:`LoginRequired`)."""
    info = session_of(request)
    if info is None:
        raise LoginRequired()
    if info.must_change_password and request.url.path not in ("/password", "/logout"):
        raise PasswordChangeRequired()
    return info


def roles_of(request: Request, actor: Actor) -> set[str]:
    """The roles the user holds now (any site): for showing links, never for deciding access
    (every service checks again)."""
    from sqlalchemy import select

    from oncotrial.store.models import RoleGrant

    with state(request).db.sessions() as session:
        return set(session.scalars(select(RoleGrant.role).where(
            RoleGrant.user_id == actor.user_pk, RoleGrant.revoked_at.is_(None))))


def may(roles: set[str], action: str) -> bool:
    """Whether one of ``roles`` allows ``action`` (for links and buttons only)."""
    return any(action in PERMISSIONS.get(role, frozenset()) for role in roles)


def check_csrf(request: Request, posted: str | None) -> None:
    """Refuse a state-changing request without this session's CSRF token (form field
    ``csrf_token`` or header ``X-CSRF-Token``)."""
    info = session_of(request)
    expected = info.csrf_token if info else request.cookies.get(PRE_COOKIE, "")
    given = posted or request.headers.get("x-csrf-token", "")
    if not expected or not given or not hmac.compare_digest(expected, given):
        raise CsrfFailed()


def pre_token(request: Request) -> str:
    """The CSRF token of the log-in form (a cookie set with the page)."""
    return request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(24)


#: The main navigation: (path, label, the actions any one of which shows the link, "|" between
#: them, or "" for everyone).
NAV = [
    ("/", "Home", ""),
    ("/screening", "Screening", "screen"),
    ("/subjects", "Subjects", "view"),
    ("/monitoring", "Monitoring", "raise_query|unlock_database"),
    ("/results", "Results", "export"),
    ("/admin", "Administration", "manage_users"),
]


def render(request: Request, template: str, status_code: int = 200, **values: Any
           ) -> HTMLResponse:
    """Render ``template`` with what every page shows: the user, the language, the CSRF
    token, the navigation, the software version."""
    web = state(request)
    info = session_of(request)
    lang = language_of(request)
    t = translator(lang)
    roles = roles_of(request, info.actor) if info else set()
    nav = [(path, t(label)) for path, label, actions in NAV
           if info is not None and (not actions or any(may(roles, a) for a in actions.split("|"))
                                    or (actions == "view" and may(roles, "view_pseudonymised")))]
    context = {
        "request": request, "_": t, "t": t, "lang": lang, "label_lang": t.label_key,
        "languages": LANGUAGES, "user": info.actor if info else None, "roles": roles,
        "csrf": info.csrf_token if info else pre_token(request), "nav": nav,
        "path": request.url.path,
        "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        "version": __version__, "protocol": web.ctx.protocol,
        "now": datetime.now(UTC), **values,
    }
    response = web.templates.TemplateResponse(request, template, context,
                                              status_code=status_code)
    if info is None and PRE_COOKIE not in request.cookies:
        response.set_cookie(PRE_COOKIE, str(context["csrf"]), httponly=True,
                            samesite="strict", secure=web.secure_cookies, path="/")
    return response


def redirect(path: str) -> Response:
    """After a successful POST: see the result with GET (303)."""
    return RedirectResponse(path, status_code=303)


__all__ += [
    "AuthenticationError",
    "PermissionDenied",
    "language_of",
    "may",
    "redirect",
    "roles_of",
    "t_of",
]
