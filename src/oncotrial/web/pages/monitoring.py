"""Monitoring: the SDV worklist, query management, form and casebook locks, and the database
lock.

Each action is a POST with the session's CSRF token that calls one service (which checks the
role and site again): :func:`~oncotrial.services.verify_items`, :func:`close_query`,
:func:`answer_query`, :func:`lock_form` / :func:`unlock_form`, :func:`lock_casebook` /
:func:`unlock_casebook`, :func:`lock_database` (data managers) and :func:`unlock_database`
(administrators, with a reason). After success the browser is sent back to the page with the
result named (303); a refused action shows the page again with the reason beside the form
that was sent and nothing changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response

from oncotrial.errors import OncotrialError
from oncotrial.services import (
    answer_query,
    close_query,
    list_queries,
    lock_casebook,
    lock_database,
    lock_form,
    unlock_casebook,
    unlock_database,
    unlock_form,
    verify_items,
)
from oncotrial.services.dashboard import lock_overview, sdv_worklist
from oncotrial.web.deps import check_csrf, may, page, redirect, render, roles_of, state, t_of
from oncotrial.web.i18n import Translator
from oncotrial.web.pages.home import (
    form_href,
    form_label,
    iso_minutes,
    item_label,
    split_visit_ref,
    subject_href,
    value_text,
    visit_label,
)
from oncotrial.web.problems import status_of

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

QUERY_PAGE_SIZE = 25
SDV_PAGE_SIZE = 10
STATUSES = ("open", "answered", "closed")

Status = Literal["open", "answered", "closed"]


def _done_message(t: Translator, done: str, n: str, ref: str) -> str | None:
    """The sentence for a successful action named in ``?done=`` (None for an unknown one)."""
    messages: dict[str, Callable[[], str]] = {
        "sdv": lambda: t("{n} items marked source-data verified.", n=n),
        "closed": lambda: t("Query #{id} closed.", id=ref),
        "answered": lambda: t("Query #{id} answered.", id=ref),
        "form_locked": lambda: t("Form locked: {form}.", form=ref),
        "form_unlocked": lambda: t("Form unlocked: {form}.", form=ref),
        "casebook_locked": lambda: t("Casebook of {subject} locked.", subject=ref),
        "casebook_unlocked": lambda: t("Casebook of {subject} unlocked.", subject=ref),
        "db_locked": lambda: t("The database is locked: no data can be changed until an "
                               "administrator unlocks it."),
        "db_unlocked": lambda: t("The database is unlocked."),
    }
    make = messages.get(done)
    return make() if make else None


def _int(text: str | None, default: int = 1) -> int:
    try:
        return max(int(text or default), 1)
    except ValueError:
        return default


def _show(request: Request, *, status_code: int = 200, errors: dict[str, str] | None = None,
          posted: dict[str, str] | None = None) -> Response:
    """Render the monitoring page for the query string of ``request``."""
    info = page(request)
    web = state(request)
    t = t_of(request)
    actor, ctx = info.actor, web.ctx
    roles = roles_of(request, actor)
    params = request.query_params
    errors = dict(errors or {})
    status_param = params.get("status", "open")
    status: Status | None = status_param if status_param in STATUSES else None  # type: ignore[assignment]
    subject_filter = (params.get("subject") or "").strip() or None
    query_page = _int(params.get("page"))
    sdv_page = _int(params.get("sdv_page"))
    values: dict[str, Any] = {}
    try:
        values["queries"] = list_queries(web.db, actor, ctx, status=status,
                                         subject=subject_filter, page=query_page,
                                         page_size=QUERY_PAGE_SIZE)
    except OncotrialError as exc:
        errors.setdefault("queries", exc.message)
        values["queries"] = list_queries(web.db, actor, ctx, status=status, page=1,
                                         page_size=QUERY_PAGE_SIZE)
    sdv_subject = (params.get("sdv_subject") or "").strip() or None
    if may(roles, "sdv"):
        try:
            values["sdv"] = sdv_worklist(web.db, actor, ctx, subject=sdv_subject,
                                         page=sdv_page, page_size=SDV_PAGE_SIZE)
        except OncotrialError as exc:
            errors.setdefault("sdv", exc.message)
            values["sdv"] = sdv_worklist(web.db, actor, ctx, page=1, page_size=SDV_PAGE_SIZE)
    values["locks"] = lock_overview(web.db, actor, ctx)
    done = params.get("done", "")
    message = _done_message(t, done, params.get("n", ""), params.get("ref", "")) if done \
        else None

    kept = {k: v for k, v in params.items() if k not in ("done", "n", "ref")}

    def link(**changes: object) -> str:
        return "/monitoring?" + urlencode({**kept, **{k: str(v) for k, v in changes.items()}})

    return render(request, "monitoring.html", status_code=status_code, errors=errors,
                  posted=posted or {}, message=message, status=status_param,
                  subject_filter=subject_filter or "", sdv_subject=sdv_subject or "",
                  link=link, qs=urlencode(kept),
                  may_sdv=may(roles, "sdv"), may_close=may(roles, "close_query"),
                  may_answer=may(roles, "answer_query"), may_lock=may(roles, "lock"),
                  may_unlock=may(roles, "unlock"),
                  may_lock_db=may(roles, "lock_database"),
                  may_unlock_db=may(roles, "unlock_database"),
                  forms=web.forms, subject_href=subject_href, form_href=form_href,
                  form_label=form_label, visit_label=visit_label, item_label=item_label,
                  value_text=value_text, split_visit_ref=split_visit_ref, iso=iso_minutes,
                  **values)


def _back(request: Request, done: str, anchor: str, n: object = "", ref: object = "") -> Response:
    """303 to the monitoring page (same filters) naming the action that succeeded."""
    keep = {k: v for k, v in request.query_params.items() if k not in ("done", "n", "ref")}
    query = urlencode({**keep, "done": done, "n": str(n), "ref": str(ref)})
    return redirect(f"/monitoring?{query}#{anchor}")


def _refused(request: Request, exc: OncotrialError, where: str,
             posted: dict[str, str] | None = None) -> Response:
    status, _, _ = status_of(exc)
    message = exc.message + (f" {exc.hint}" if exc.hint else "")
    return _show(request, status_code=status, errors={where: message}, posted=posted)


def _need_reason(request: Request, reason: str, where: str) -> Response | None:
    if reason.strip():
        return None
    t = t_of(request)
    return _show(request, status_code=422, errors={where: t(
        "Give a reason: it is kept in the audit trail.")}, posted={where: reason})


@router.get("/monitoring")
def monitoring(request: Request) -> Response:
    return _show(request)


@router.post("/monitoring/sdv/{form_instance_id}")
def verify(request: Request, form_instance_id: int,
           csrf_token: Annotated[str, Form()] = "",
           scope: Annotated[str, Form()] = "selected",
           item: Annotated[list[str] | None, Form()] = None) -> Response:
    info = page(request)
    check_csrf(request, csrf_token)
    web = state(request)
    keys: list[tuple[str, int, str]] | None = None
    if scope != "all":
        keys = []
        for value in item or []:
            group, _, rest = value.partition("|")
            row, _, item_id = rest.partition("|")
            if not item_id or not row.isdigit():
                continue
            keys.append((group, int(row), item_id))
        if not keys:
            t = t_of(request)
            return _show(request, status_code=422, errors={
                f"sdv-{form_instance_id}": t("Tick the items you checked against the "
                                              "source, or verify all items with the button.")})
    try:
        n = verify_items(web.db, info.actor, web.ctx, form_instance_id, keys)
    except OncotrialError as exc:
        return _refused(request, exc, f"sdv-{form_instance_id}")
    return _back(request, "sdv", "sdv", n=n)


@router.post("/monitoring/queries/{query_id}/close")
def close(request: Request, query_id: int, csrf_token: Annotated[str, Form()] = "",
          note: Annotated[str, Form()] = "") -> Response:
    info = page(request)
    check_csrf(request, csrf_token)
    web = state(request)
    try:
        close_query(web.db, info.actor, web.ctx, query_id, note.strip())
    except OncotrialError as exc:
        return _refused(request, exc, f"query-{query_id}")
    return _back(request, "closed", "queries", ref=query_id)


@router.post("/monitoring/queries/{query_id}/answer")
def answer(request: Request, query_id: int, csrf_token: Annotated[str, Form()] = "",
           answer: Annotated[str, Form()] = "") -> Response:
    info = page(request)
    check_csrf(request, csrf_token)
    web = state(request)
    where = f"query-{query_id}"
    if not answer.strip():
        t = t_of(request)
        return _show(request, status_code=422, errors={where: t(
            "Write the answer to the query.")})
    try:
        answer_query(web.db, info.actor, web.ctx, query_id, answer.strip())
    except OncotrialError as exc:
        return _refused(request, exc, where, posted={where: answer})
    return _back(request, "answered", "queries", ref=query_id)


@router.post("/monitoring/forms/{form_instance_id}/{action}")
def form_lock(request: Request, form_instance_id: int, action: str,
              csrf_token: Annotated[str, Form()] = "",
              reason: Annotated[str, Form()] = "",
              label: Annotated[str, Form()] = "") -> Response:
    info = page(request)
    check_csrf(request, csrf_token)
    web = state(request)
    where = f"form-{form_instance_id}"
    if action not in ("lock", "unlock"):
        raise HTTPException(status_code=404)
    if (refused := _need_reason(request, reason, where)) is not None:
        return refused
    try:
        if action == "lock":
            lock_form(web.db, info.actor, web.ctx, form_instance_id, reason.strip())
        else:
            unlock_form(web.db, info.actor, web.ctx, form_instance_id, reason.strip())
    except OncotrialError as exc:
        return _refused(request, exc, where, posted={where: reason})
    return _back(request, f"form_{action}ed", "locks", ref=label or form_instance_id)


@router.post("/monitoring/casebooks/{subject}/{action}")
def casebook_lock(request: Request, subject: str, action: str,
                  csrf_token: Annotated[str, Form()] = "",
                  reason: Annotated[str, Form()] = "") -> Response:
    info = page(request)
    check_csrf(request, csrf_token)
    web = state(request)
    where = f"casebook-{subject}"
    if action not in ("lock", "unlock"):
        raise HTTPException(status_code=404)
    if (refused := _need_reason(request, reason, where)) is not None:
        return refused
    try:
        if action == "lock":
            lock_casebook(web.db, info.actor, web.ctx, subject, reason.strip())
        else:
            unlock_casebook(web.db, info.actor, web.ctx, subject, reason.strip())
    except OncotrialError as exc:
        return _refused(request, exc, where, posted={where: reason})
    return _back(request, f"casebook_{action}ed", "locks", ref=subject)


@router.post("/monitoring/database/{action}")
def database_lock(request: Request, action: str, csrf_token: Annotated[str, Form()] = "",
                  reason: Annotated[str, Form()] = "") -> Response:
    info = page(request)
    check_csrf(request, csrf_token)
    web = state(request)
    if action not in ("lock", "unlock"):
        raise HTTPException(status_code=404)
    if (refused := _need_reason(request, reason, "database")) is not None:
        return refused
    try:
        if action == "lock":
            lock_database(web.db, info.actor, web.ctx, reason.strip())
        else:
            unlock_database(web.db, info.actor, web.ctx, reason.strip())
    except OncotrialError as exc:
        return _refused(request, exc, "database", posted={"database": reason})
    return _back(request, f"db_{action}ed", "database")
