"""The web application: FastAPI with server-rendered pages and the JSON API ``/api/v1``.

:func:`create_app` builds it from a :class:`~oncotrial.services.Database` and a
:class:`~oncotrial.context.TrialContext`; :func:`app_from_settings` is the factory that
``oncotrial serve`` gives uvicorn (one per worker process: no state is shared in the process,
sessions live in the database). Pages are plain HTML forms that work without JavaScript; the
live screening checklist uses htmx, vendored as one file (``static/htmx.min.js``) from the
``htmx.org`` package of the npm registry. ``docs/web.md`` describes pages and API.
"""

from __future__ import annotations

import gc
from importlib import resources
from pathlib import Path
from urllib.parse import urlparse

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from oncotrial import __version__
from oncotrial.context import TrialContext
from oncotrial.errors import OncotrialError
from oncotrial.services import Database
from oncotrial.services.trial import load_trial
from oncotrial.settings import load_settings
from oncotrial.web import problems
from oncotrial.web.deps import (
    CsrfFailed,
    LoginRequired,
    PasswordChangeRequired,
    WebState,
    render,
    t_of,
)
from oncotrial.web.sessions import IDLE_MINUTES

__all__ = ["app_from_settings", "create_app"]

_HERE = Path(str(resources.files("oncotrial.web")))

#: Sent with every response (OWASP secure headers).
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                "script-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
                                "form-action 'self'"),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _back(request: Request) -> str | None:
    """The page the user came from, when it is a page of this site."""
    referer = urlparse(request.headers.get("referer", ""))
    if referer.netloc != request.url.netloc or not referer.path.startswith("/"):
        return None
    return referer.path + (f"?{referer.query}" if referer.query else "")


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error_page(request: Request, status: int, title: str, detail: str,
                hint: str | None = None) -> Response:
    return render(request, "error.html", status_code=status, back=_back(request), title=title,
                  detail=detail, hint=hint)


async def _login_required(request: Request, exc: Exception) -> Response:
    if _is_api(request):
        return problems.problem_response(problems.Problem(
            type="/api/v1/problems/login_required", title="Log-in required", status=401,
            detail="Log in first (POST /api/v1/session).", code="login_required"))
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={target}", status_code=303)


async def _password_required(request: Request, exc: Exception) -> Response:
    if _is_api(request):
        return problems.problem_response(problems.Problem(
            type="/api/v1/problems/password_change_required", title="Password change "
            "required", status=403, code="password_change_required",
            detail="The password is a one-time or expired password.",
            hint="Change it first (POST /api/v1/session/password)."))
    return RedirectResponse("/password", status_code=303)


async def _csrf_failed(request: Request, exc: Exception) -> Response:
    if _is_api(request):
        return problems.problem_response(problems.Problem(
            type="/api/v1/problems/csrf", title="Form expired", status=403,
            detail="The form was not sent from this session's page (CSRF check).",
            code="csrf_failed", hint="Reload the page and submit again; send X-CSRF-Token "
                                     "with API calls."))
    t = t_of(request)
    return _error_page(request, 403, t("Form expired"), t(
        "The page was open too long or came from elsewhere. Go back, reload the page and "
        "submit again; nothing was saved."))


async def _invalid_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problem = problems.validation_problem(exc)
    if _is_api(request):
        return problems.problem_response(problem)
    return _error_page(request, 422, t_of(request)("Invalid input"),
                       "; ".join(f"{e.field}: {e.message}" for e in problem.errors))


async def _our_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OncotrialError)
    if _is_api(request):
        return problems.problem_response(problems.problem_of(exc))
    status, _, title = problems.status_of(exc)
    return _error_page(request, status, t_of(request)(title), exc.message, exc.hint)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if _is_api(request):
        return problems.problem_response(problems.Problem(
            type=f"/api/v1/problems/http_{exc.status_code}", title=str(exc.detail),
            status=exc.status_code, detail=str(exc.detail), code=f"http_{exc.status_code}"),
            headers=getattr(exc, "headers", None))
    title = t_of(request)("Page not found") if exc.status_code == 404 else str(exc.detail)
    return _error_page(request, exc.status_code, title, str(exc.detail))


#: Error class -> handler; Starlette picks the most specific class of an error.
_HANDLERS = [(LoginRequired, _login_required), (PasswordChangeRequired, _password_required),
             (CsrfFailed, _csrf_failed), (RequestValidationError, _invalid_request),
             (OncotrialError, _our_error), (StarletteHTTPException, _http_error)]


def create_app(db: Database, ctx: TrialContext, *, secure_cookies: bool = False,
               idle_minutes: int = IDLE_MINUTES) -> FastAPI:
    """The application for one database and one trial."""
    from oncotrial.web.api import router as api_router
    from oncotrial.web.pages import routers as page_routers

    app = FastAPI(title="oncotrial API", version=__version__,
                  description="The JSON API of oncotrial: subjects, forms, queries, "
                              "signatures, locks and results. Errors are RFC 9457 problem "
                              "details.",
                  openapi_url="/api/v1/openapi.json", docs_url="/api/v1/docs",
                  redoc_url=None)
    templates = Jinja2Templates(directory=str(_HERE / "templates"))
    templates.env.autoescape = True
    app.state.web = WebState(db, ctx, templates, secure_cookies, idle_minutes)
    app.mount("/static", StaticFiles(directory=str(_HERE / "static")), name="static")

    @app.middleware("http")
    async def _headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response: Response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if secure_cookies:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    for error, handler in _HANDLERS:
        app.add_exception_handler(error, handler)
    app.include_router(api_router)
    for router in page_routers():
        app.include_router(router)

    @app.get("/healthz", include_in_schema=False)
    async def _health() -> HTMLResponse:
        return HTMLResponse("ok")

    return app


def app_from_settings() -> FastAPI:
    """The application for ``ONCOTRIAL_DATABASE_URL`` and ``ONCOTRIAL_PROTOCOL_FILE`` (the
    factory that ``oncotrial serve`` gives uvicorn)."""
    settings = load_settings()
    db = Database.from_url(settings.database_url)
    ctx = load_trial(settings.protocol_file)
    app = create_app(db, ctx, secure_cookies=settings.environment == "production")
    # The protocol, the forms, the translations and the templates live as long as the
    # process: gc.freeze() moves them out of the collector's reach, so that a full collection
    # walks only what requests made (Python docs, gc.freeze). Without it one casebook in 4-5
    # paid a full collection of everything (docs/benchmarks.md, trial database).
    gc.collect()
    gc.freeze()
    return app
