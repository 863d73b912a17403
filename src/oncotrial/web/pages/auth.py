"""Log-in, log-out, changing one's password and language."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from oncotrial.errors import InputError
from oncotrial.services import AuthenticationError, authenticate, change_password, set_language
from oncotrial.web.deps import (
    COOKIE,
    PRE_COOKIE,
    check_csrf,
    page,
    redirect,
    render,
    session_of,
    state,
    t_of,
)
from oncotrial.web.sessions import end_session, revoke_user_sessions, start_session

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only a path of this site (no open redirect)."""
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    if session_of(request) is not None:
        return redirect(_safe_next(next))
    return render(request, "login.html", next=_safe_next(next), username="", error=None)


@router.post("/login")
def login(request: Request, username: Annotated[str, Form()] = "",
          password: Annotated[str, Form()] = "", csrf_token: Annotated[str, Form()] = "",
          next: Annotated[str, Form()] = "/") -> Response:
    check_csrf(request, csrf_token)
    web = state(request)
    t = t_of(request)
    try:
        result = authenticate(web.db, username.strip(), password)
    except AuthenticationError as exc:
        message = t("Log-in failed: unknown user name or wrong password.")
        if "locked" in exc.message:
            message = t("The account is locked after repeated failures. Try again in 30 "
                        "minutes or ask an administrator.")
        return render(request, "login.html", status_code=401, next=_safe_next(next),
                      username=username, error=message)
    token = start_session(web.db, result.actor)
    target = "/password" if result.password_expired else _safe_next(next)
    response = redirect(target)
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict",
                        secure=web.secure_cookies, path="/")
    response.delete_cookie(PRE_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    info = session_of(request)
    if info is not None:
        check_csrf(request, csrf_token)
        end_session(state(request).db, request.cookies.get(COOKIE), info.actor)
    response = redirect("/login")
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/password")
def password_page(request: Request) -> Response:
    info = page(request)
    return render(request, "password.html", forced=info.must_change_password, errors={})


@router.post("/password")
def password_change(request: Request, old_password: Annotated[str, Form()] = "",
                    new_password: Annotated[str, Form()] = "",
                    repeat_password: Annotated[str, Form()] = "",
                    csrf_token: Annotated[str, Form()] = "") -> Response:
    info = page(request)
    check_csrf(request, csrf_token)
    t = t_of(request)
    errors: dict[str, str] = {}
    if new_password != repeat_password:
        errors["repeat_password"] = t("The two new passwords differ. Type the same password "
                                      "twice.")
    else:
        web = state(request)
        try:
            change_password(web.db, info.actor, old_password, new_password)
        except AuthenticationError:
            errors["old_password"] = t("The current password is wrong.")
        except InputError as exc:
            errors[exc.field or "new_password"] = t(
                "At least 12 characters, with a letter and a digit, not your user name.") \
                + f" ({exc.message})"
        else:
            revoke_user_sessions(web.db, info.actor, info.actor.user_pk, "password changed")
            response = redirect("/login?changed=1")
            response.delete_cookie(COOKIE, path="/")
            return response
    return render(request, "password.html", status_code=422,
                  forced=info.must_change_password, errors=errors)


@router.post("/language")
def language(request: Request, language: Annotated[str, Form()] = "en",
             csrf_token: Annotated[str, Form()] = "",
             next: Annotated[str, Form()] = "/") -> Response:
    info = session_of(request)
    check_csrf(request, csrf_token)
    if info is not None:
        set_language(state(request).db, info.actor, language)
        return redirect(_safe_next(next))
    target = _safe_next(next)
    separator = "&" if "?" in target else "?"
    return redirect(f"{target}{separator}lang={language}")
