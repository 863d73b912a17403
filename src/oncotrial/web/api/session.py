"""Log-in and log-out for API clients, and who is logged in."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from oncotrial.services import authenticate, change_password
from oncotrial.web.api._common import problems
from oncotrial.web.deps import COOKIE, check_csrf, page, roles_of, session_of, state
from oncotrial.web.sessions import end_session, revoke_user_sessions, start_session

router = APIRouter(tags=["session"])


class Credentials(BaseModel):
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)


class PasswordChange(BaseModel):
    old_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=1, max_length=200)


class Me(BaseModel):
    username: str
    full_name: str
    language: str
    roles: list[str]
    csrf_token: str = Field(description="Send it as X-CSRF-Token with POST, PUT and DELETE.")
    must_change_password: bool


@router.post("/session", response_model=Me, responses=problems())
def log_in(request: Request, credentials: Credentials) -> Response:
    """Log in; the session cookie is set and the CSRF token returned."""
    web = state(request)
    result = authenticate(web.db, credentials.username, credentials.password)
    token = start_session(web.db, result.actor)
    request.cookies[COOKIE] = token  # so that session_of finds the new session
    if hasattr(request.state, "session"):
        del request.state.session
    info = session_of(request)
    assert info is not None
    me = Me(username=info.actor.username, full_name=info.actor.full_name,
            language=info.language, roles=sorted(roles_of(request, info.actor)),
            csrf_token=info.csrf_token, must_change_password=info.must_change_password)
    response = JSONResponse(me.model_dump())
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict",
                        secure=web.secure_cookies, path="/")
    return response


@router.get("/session", response_model=Me, responses=problems())
def who_am_i(request: Request) -> Me:
    """The logged-in user, roles and CSRF token."""
    info = session_of(request)
    if info is None:
        page(request)  # raises LoginRequired: a 401 problem
        raise AssertionError
    return Me(username=info.actor.username, full_name=info.actor.full_name,
              language=info.language, roles=sorted(roles_of(request, info.actor)),
              csrf_token=info.csrf_token, must_change_password=info.must_change_password)


@router.delete("/session", status_code=204, responses=problems())
def log_out(request: Request) -> Response:
    """End the session now."""
    info = session_of(request)
    if info is not None:
        check_csrf(request, None)
        end_session(state(request).db, request.cookies.get(COOKIE), info.actor)
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.post("/session/password", status_code=204, responses=problems())
def new_password(request: Request, change: PasswordChange) -> Response:
    """Change one's password; every session of the user ends (log in again)."""
    info = session_of(request)
    if info is None:
        page(request)
        raise AssertionError
    check_csrf(request, None)
    web = state(request)
    change_password(web.db, info.actor, change.old_password, change.new_password)
    revoke_user_sessions(web.db, info.actor, info.actor.user_pk, "password changed")
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path="/")
    return response
