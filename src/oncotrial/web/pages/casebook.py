"""The subject casebook: visit schedule, forms, queries, source-data verification, signatures,
locks and the audit history of any item.

Routes (``{ref}`` is a subject id, a screening number, or for a statistician the pseudonym;
``?visit=CODE&occurrence=N`` names the visit of a form, absent for log forms):

* ``GET  /subjects/{ref}``: header, visit schedule with windows and status, the forms of each
  visit and the log forms with their state, signatures; "Sign casebook" (investigators),
  "Lock/Unlock casebook" (data managers), "Record visit date" (site staff).
* ``POST /subjects/{ref}/sign``, ``/lock``, ``/unlock``, ``/visits/{code}``.
* ``GET  /subjects/{ref}/forms/{form_id}``: the form with its stored values; beside each item
  its queries, SDV state and a link to its history. Editable for site staff until locked.
* ``POST /subjects/{ref}/forms/{form_id}``: save (``version`` and, once saved, ``reason``).
  422 with every typed value and each error beside its field when refused; 409 when someone
  saved first, with the stored and the typed values side by side.
* ``POST /subjects/{ref}/forms/{form_id}/queries`` (raise: ``item``, ``text``),
  ``.../queries/{id}/answer`` (``answer``), ``.../queries/{id}/close`` (``note``),
  ``.../sdv`` (``item`` repeated, or ``all``), ``.../sign``, ``.../lock``, ``.../unlock``.
* ``GET  /subjects/{ref}/forms/{form_id}/items/{item}/history``: the audit rows of one item.
  ``{item}`` is the item's field name: ``anc`` for an item outside groups,
  ``<group>.<row>.<item>`` in a repeating group (``lesions.2.diameter_mm``).

Every POST checks the CSRF token and, when done, redirects (303) back to the page with
``?done=<what>`` (a fixed code, shown as a translated sentence); a refused action renders the
page again with the reason beside the action and what was typed kept.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from oncotrial.errors import InputError, OncotrialError, UnknownTermError
from oncotrial.forms import Entry, FormDef, FormSet, check_form
from oncotrial.forms.model import ItemDef
from oncotrial.services import (
    AuthenticationError,
    Casebook,
    CasebookForm,
    ConflictError,
    FormRejected,
    NotFoundError,
    PermissionDenied,
    WorkflowError,
    answer_query,
    close_query,
    load_casebook,
    lock_casebook,
    lock_form,
    raise_query,
    record_visit,
    save_form,
    sign,
    unlock_casebook,
    unlock_form,
    verify_items,
)
from oncotrial.services.access import now_utc
from oncotrial.services.history import (
    FormSignature,
    ItemQuery,
    SubjectHeader,
    VisitRow,
    form_queries,
    item_history,
    subject_header,
    subject_signatures,
    visit_schedule,
)
from oncotrial.services.lookup import visit_ref
from oncotrial.web.deps import (
    COOKIE,
    check_csrf,
    may,
    page,
    redirect,
    render,
    roles_of,
    state,
    t_of,
)
from oncotrial.web.formview import FormView, field_name, form_view, key_of, posted_data
from oncotrial.web.i18n import Translator
from oncotrial.web.problems import status_of
from oncotrial.web.sessions import mark_signed

router = APIRouter(include_in_schema=False)

Key = tuple[str, int, str]


# --------------------------------------------------------------------------- small helpers


def when(moment: datetime | None) -> str:
    """A time as ISO 8601 with its UTC offset, to the minute."""
    return "" if moment is None else moment.isoformat(timespec="minutes")


def day(value: date | None) -> str:
    return "" if value is None else value.isoformat()


def casebook_url(ref: str, **params: Any) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return f"/subjects/{quote(ref, safe='')}" + (f"?{query}" if query else "")


def form_url(ref: str, form_id: str, visit: str | None, occurrence: int, suffix: str = "",
             **params: Any) -> str:
    """The URL of a form page (``suffix``: a sub-path such as ``/sdv``)."""
    # A casebook page draws a few hundred of these: the visit part is formatted directly,
    # urlencode only runs for the rare extra parameters.
    parts = [f"visit={quote(visit, safe='')}&occurrence={occurrence}"] if visit else []
    extra = {k: v for k, v in params.items() if v not in (None, "")}
    if extra:
        parts.append(urlencode(extra))
    return (f"/subjects/{quote(ref, safe='')}/forms/{quote(form_id, safe='')}{suffix}"
            + (f"?{'&'.join(parts)}" if parts else ""))


def _occurrence(value: str | int | None) -> int:
    try:
        number = int(value or 1)
    except (TypeError, ValueError):
        number = 1
    return max(number, 1)


def _form_of(forms: FormSet, form_id: str, visit: str | None) -> FormDef:
    """The form, refused (404) when it is not collected at ``visit`` (or, without a visit,
    is not a log form)."""
    try:
        form = forms.form(form_id)
    except UnknownTermError as exc:
        raise NotFoundError(exc.message, field="form", value=form_id, hint=exc.hint) from exc
    log = {f.id for f in forms.log()}
    if visit is None and form.id not in log:
        raise NotFoundError(f"The form {form_id!r} is collected at a visit; name it with "
                            "?visit=CODE.", field="visit", value=None)
    if visit is not None and form.id not in forms.schedule.get(visit, []):
        raise NotFoundError(f"The form {form_id!r} is not collected at visit {visit!r}.",
                            field="visit", value=visit)
    return form


def _instance(casebook: Casebook, form_id: str, visit: str | None, occurrence: int
              ) -> CasebookForm | None:
    ref = visit_ref(visit, occurrence) if visit else ""
    for cf in casebook.forms:
        if cf.form_id == form_id and cf.visit == ref:
            return cf
    return None


def _item_defs(form: FormDef) -> dict[tuple[str, str], ItemDef]:
    return {(group, item.id): item for group, item in form.items()}


def display(forms: FormSet, item: ItemDef | None, entry: Entry | None, lang: str,
            t: Translator) -> str:
    """A stored value as people read it: code labels, yes/no, unit and limits of normal."""
    if entry is None or entry.value is None:
        return ""
    value = entry.value
    if item is not None and item.type == "code" and item.code_list:
        labels = {c.code: c.label.text(lang) for c in forms.code_list(item.code_list)}
        value = ", ".join(labels.get(v.strip(), v.strip()) for v in value.split(","))
    elif item is not None and item.type == "boolean":
        value = {"yes": t("Yes"), "no": t("No")}.get(value, value)
    text = f"{value} {entry.unit}".strip() if entry.unit else value
    if entry.lln is not None or entry.uln is not None:
        low = "" if entry.lln is None else f"{entry.lln:g}"
        high = "" if entry.uln is None else f"{entry.uln:g}"
        text += " " + t("(normal {low}–{high})", low=low, high=high)
    return text


def _item_label(form: FormDef, key: Key, lang: str, t: Translator) -> str:
    group, row, item_id = key
    item = _item_defs(form).get((group, item_id))
    label = item.label.text(lang) if item else item_id
    if not group:
        return label
    group_label = next((g.label.text(lang) for g in form.groups() if g.id == group), group)
    return t("{group}, row {row}: {item}", group=group_label, row=row, item=label)


def visit_label(t: Translator, code: str, occurrence: int, name: str) -> str:
    """``TA #2 Tumour assessment`` in the user's language (protocol visit names are
    translated in the page catalogue)."""
    title = t(name)
    return t("{code} #{n} · {name}", code=code, n=occurrence, name=title) if occurrence > 1 \
        else t("{code} · {name}", code=code, name=title)


def _error_text(t: Translator, exc: OncotrialError) -> str:
    """The sentence shown beside a refused action, in the user's language where the case is
    known; otherwise the service's own message and hint."""
    if isinstance(exc, AuthenticationError):
        if "locked" in exc.message:
            return t("The account is locked after repeated failures. Try again in 30 minutes "
                     "or ask an administrator.")
        return t("Signing failed: the password (or, at the first signing of a session, the "
                 "user name) is wrong. After 5 failed attempts the account is locked.")
    known = {
        "reason": t("A reason is needed; it is kept in the audit trail with the change."),
        "text": t("Write the query: say what needs checking."),
        "answer": t("Write the answer to the query."),
        "meaning": t("Say what the signature means."),
    }
    if isinstance(exc, InputError) and exc.field in known and not isinstance(exc, FormRejected):
        return known[str(exc.field)]
    return f"{exc.message} {exc.hint}".strip() if exc.hint else exc.message


def _done_messages(t: Translator, params: Mapping[str, str]) -> list[str]:
    """The status sentences after a successful POST (``?done=...``)."""

    def number(name: str) -> int:
        try:
            return int(params.get(name, "0"))
        except ValueError:
            return 0

    done = params.get("done", "")
    fixed = {
        "query_raised": t("The query was raised."),
        "query_answered": t("The answer was saved; the query is now answered."),
        "query_closed": t("The query was closed."),
        "signed": t("Signed. The signature is listed below."),
        "locked": t("Locked: no change can be made until a data manager unlocks it."),
        "unlocked": t("Unlocked. The reason is in the audit trail."),
        "visit_recorded": t("The visit date was recorded."),
    }
    out: list[str] = []
    if done == "saved":
        out.append(t("Saved as version {version}.", version=number("version")))
        if number("queries"):
            out.append(t("{n} value(s) outside the expected range raised a query: see the "
                         "items marked below.", n=number("queries")))
        if number("invalidated"):
            out.append(t("{n} signature(s) were invalidated by the change.",
                         n=number("invalidated")))
        if number("sdv_reset"):
            out.append(t("Source-data verification was removed from {n} changed item(s).",
                         n=number("sdv_reset")))
    elif done == "unchanged":
        out.append(t("Nothing was changed, so nothing was saved."))
    elif done == "verified":
        out.append(t("{n} item(s) marked source-data verified.", n=number("n")))
    elif done in fixed:
        out.append(fixed[done])
    if number("answered") and done != "query_answered":
        out.append(t("{n} query answer(s) saved.", n=number("answered")))
    if done == "visit_recorded" and params.get("out_of_window"):
        out.append(t("The date is outside the visit window; a protocol deviation may be "
                     "needed."))
    return out


# --------------------------------------------------------------------------- form states


@dataclass(frozen=True)
class Badge:
    """A state shown as a small label: its CSS class and text."""

    kind: str
    text: str


def form_badges(t: Translator, cf: CasebookForm | None, sigs: list[FormSignature]
                ) -> list[Badge]:
    """The state of a form: not started / saved vN / locked / SDV / open queries / signed /
    signature invalidated."""
    if cf is None:
        return [Badge("muted", t("not started"))]
    out = [Badge("ok" if cf.status == "complete" else "warning",
                  t("saved v{n}", n=cf.version) if cf.saved_at else t("not saved"))]
    if cf.locked:
        out.append(Badge("", t("locked")))
    if cf.values:
        done = len(cf.verified & set(cf.values))
        if done == len(cf.values):
            out.append(Badge("ok", t("SDV complete")))
        elif done:
            out.append(Badge("muted", t("SDV {n} of {total}", n=done, total=len(cf.values))))
    if cf.open_queries:
        out.append(Badge("bad", t("open queries: {n}", n=cf.open_queries)))
    mine = [s for s in sigs if s.form_instance_id == cf.form_instance_id]
    if any(s.valid for s in mine):
        out.append(Badge("ok", t("signed")))
    elif mine:
        out.append(Badge("bad", t("signature invalidated")))
    return out


@dataclass(frozen=True)
class FormLink:
    """A form of a visit (or a log form) as the casebook lists it."""

    form_id: str
    label: str
    url: str
    badges: list[Badge]
    saved_at: str


@dataclass(frozen=True)
class VisitBlock:
    """A visit of the schedule with its forms."""

    visit: VisitRow
    label: str
    forms: list[FormLink]
    open: bool


# --------------------------------------------------------------------------- casebook page


def _casebook_context(request: Request, ref: str) -> dict[str, Any]:
    info = page(request)
    web = state(request)
    t = t_of(request)
    lang = t.label_key
    header = subject_header(web.db, info.actor, web.ctx, ref)
    casebook = load_casebook(web.db, info.actor, web.ctx, header.key)
    schedule = visit_schedule(web.db, info.actor, web.ctx, header.key)
    sigs = subject_signatures(web.db, info.actor, web.ctx, header.key)
    forms = web.forms
    stored = {(cf.form_id, cf.visit): cf for cf in casebook.forms}
    blocks = []
    for row in schedule:
        links = []
        for form_id in forms.schedule.get(row.code, []):
            cf = stored.get((form_id, visit_ref(row.code, row.occurrence)))
            links.append(FormLink(form_id, forms.form(form_id).label.text(lang),
                                  form_url(ref, form_id, row.code, row.occurrence),
                                  form_badges(t, cf, sigs), when(cf.saved_at if cf else None)))
        blocks.append(VisitBlock(row, visit_label(t, row.code, row.occurrence, row.name),
                                 links, row.status in ("due", "overdue")
                                 or (row.stored and row.status == "done")))
    log_links = []
    for form in forms.log():
        cf = stored.get((form.id, ""))
        log_links.append(FormLink(form.id, form.label.text(lang),
                                  form_url(ref, form.id, None, 1), form_badges(t, cf, sigs),
                                  when(cf.saved_at if cf else None)))
    labels = {cf.form_instance_id: (forms.form(cf.form_id).label.text(lang), cf.visit)
              for cf in casebook.forms}
    roles = roles_of(request, info.actor)
    return {"header": header, "casebook": casebook, "blocks": blocks, "log_links": log_links,
            "may_enter": may(roles, "enter_data"), "may_lock": may(roles, "lock"),
            "may_unlock": may(roles, "unlock"), "may_sign_casebook": may(roles, "sign_casebook"),
            "next_unscheduled": 1 + max((r.occurrence for r in schedule if r.code == "UNS"),
                                        default=0),
            "open_queries": sum(cf.open_queries for cf in casebook.forms),
            "incomplete": sum(1 for cf in casebook.forms if cf.status != "complete"),
            "signatures": sigs, "signed_what": labels, "ref": ref,
            "has_signed": info.actor.has_signed, "messages": _done_messages(
                t, request.query_params), "errors": {}, "typed": {}}


def _pseudonym_redirect(request: Request, ref: str, header: SubjectHeader) -> Response | None:
    """A statistician who names a subject by its id or screening number is sent to the
    pseudonym's address, so that no page shown to them carries the identifier."""
    if not header.pseudonymised or ref == header.label:
        return None
    path = request.url.path.replace(f"/subjects/{quote(ref, safe='')}",
                                    f"/subjects/{quote(header.label, safe='')}", 1)
    query = f"?{request.url.query}" if request.url.query else ""
    return redirect(path + query)


@router.get("/subjects/{ref}")
def casebook_page(request: Request, ref: str) -> Response:
    values = _casebook_context(request, ref)
    moved = _pseudonym_redirect(request, ref, values["header"])
    return moved or _render_casebook(request, values)


def _render_casebook(request: Request, values: dict[str, Any], status_code: int = 200
                     ) -> Response:
    return render(request, "casebook.html", status_code=status_code, when=when, day=day,
                  casebook_url=casebook_url, **values)


def _casebook_refused(request: Request, ref: str, where: str, exc: OncotrialError,
                      typed: dict[str, str]) -> Response:
    values = _casebook_context(request, ref)
    values["messages"] = []
    values["errors"] = {where: _error_text(t_of(request), exc)}
    values["typed"] = typed
    return _render_casebook(request, values, status_of(exc)[0])


def _session_signed(request: Request, actor_has_signed: bool) -> None:
    token = request.cookies.get(COOKIE)
    if actor_has_signed and token:
        mark_signed(state(request).db, token)


@router.post("/subjects/{ref}/sign")
def casebook_sign(request: Request, ref: str, password: Annotated[str, Form()] = "",
                  username: Annotated[str, Form()] = "", meaning: Annotated[str, Form()] = "",
                  csrf_token: Annotated[str, Form()] = "") -> Response:
    info = page(request)
    check_csrf(request, csrf_token)
    web = state(request)
    header = subject_header(web.db, info.actor, web.ctx, ref)
    try:
        _, actor = sign(web.db, info.actor, web.ctx, header.key, password=password,
                        meaning=meaning, username=username.strip() or None)
    except (InputError, AuthenticationError) as exc:
        return _casebook_refused(request, ref, "sign", exc, {"meaning": meaning,
                                                               "username": username})
    _session_signed(request, actor.has_signed)
    return redirect(casebook_url(ref, done="signed") + "#signatures")


@router.post("/subjects/{ref}/lock")
def casebook_lock(request: Request, ref: str, reason: Annotated[str, Form()] = "",
                  csrf_token: Annotated[str, Form()] = "") -> Response:
    info = page(request)
    check_csrf(request, csrf_token)
    web = state(request)
    header = subject_header(web.db, info.actor, web.ctx, ref)
    try:
        lock_casebook(web.db, info.actor, web.ctx, header.key,
                      reason=reason.strip() or t_of(request)("casebook review complete"))
    except InputError as exc:
        return _casebook_refused(request, ref, "lock", exc, {"reason": reason})
    return redirect(casebook_url(ref, done="locked"))


@router.post("/subjects/{ref}/unlock")
def casebook_unlock(request: Request, ref: str, reason: Annotated[str, Form()] = "",
                    csrf_token: Annotated[str, Form()] = "") -> Response:
    info = page(request)
    check_csrf(request, csrf_token)
    web = state(request)
    header = subject_header(web.db, info.actor, web.ctx, ref)
    try:
        unlock_casebook(web.db, info.actor, web.ctx, header.key, reason=reason)
    except InputError as exc:
        return _casebook_refused(request, ref, "unlock", exc, {"reason": reason})
    return redirect(casebook_url(ref, done="unlocked"))


@router.post("/subjects/{ref}/visits/{code}")
def visit_date(request: Request, ref: str, code: str, occurrence: int = 1,
               actual_on: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "",
               csrf_token: Annotated[str, Form()] = "") -> Response:
    info = page(request)
    check_csrf(request, csrf_token)
    web = state(request)
    t = t_of(request)
    header = subject_header(web.db, info.actor, web.ctx, ref)
    where = f"visit-{visit_ref(code, occurrence)}"
    typed = {f"{where}-date": actual_on, f"{where}-reason": reason}
    try:
        on = date.fromisoformat(actual_on.strip())
    except ValueError:
        exc = InputError(t("Enter the date of the visit as YYYY-MM-DD, e.g. 2026-03-09."))
        return _casebook_refused(request, ref, where, exc, typed)
    try:
        result = record_visit(web.db, info.actor, web.ctx, header.key, code, actual_on=on,
                              occurrence=_occurrence(occurrence), reason=reason)
    except InputError as exc:
        return _casebook_refused(request, ref, where, exc, typed)
    return redirect(casebook_url(ref, done="visit_recorded",
                                 out_of_window="1" if result.out_of_window else None)
                    + f"#{where}")


# --------------------------------------------------------------------------- form page


@dataclass
class ItemInfo:
    """One item of the form page: where it is, its stored value, SDV, queries, history."""

    key: Key
    name: str
    label: str
    value: str
    stored: bool
    verified: bool
    queries: list[ItemQuery]
    history: str

    @property
    def open_queries(self) -> list[ItemQuery]:
        return [q for q in self.queries if q.status != "closed"]

    @property
    def closed_queries(self) -> list[ItemQuery]:
        return [q for q in self.queries if q.status == "closed"]


@dataclass
class Review:
    """A section of the read-only view: its label and items."""

    label: str
    items: list[ItemInfo] = field(default_factory=list)


def _items(forms: FormSet, form: FormDef, cf: CasebookForm | None, queries: list[ItemQuery],
           ref: str, visit: str | None, occurrence: int, t: Translator
           ) -> tuple[dict[str, ItemInfo], list[Review]]:
    """Every item with a value or a query, and the read-only sections (every item outside
    groups, and the stored rows of groups)."""
    lang = t.label_key
    values = cf.values if cf else {}
    verified = cf.verified if cf else frozenset()
    defs = _item_defs(form)
    by_key: dict[Key, list[ItemQuery]] = {}
    for q in queries:
        by_key.setdefault(q.key, []).append(q)

    def info(key: Key) -> ItemInfo:
        name = field_name(key)
        return ItemInfo(key, name, _item_label(form, key, lang, t),
                        display(forms, defs.get((key[0], key[2])), values.get(key), lang, t),
                        key in values, key in verified, by_key.get(key, []),
                        form_url(ref, form.id, visit, occurrence,
                                 f"/items/{quote(name, safe='')}/history"))

    infos: dict[str, ItemInfo] = {}
    sections = []
    for section in form.sections:
        review = Review(section.label.text(lang))
        for item in section.items:
            one = info(("", 0, item.id))
            infos[one.name] = one
            review.items.append(one)
        for group in section.groups:
            keys = sorted({k for k in (*values, *by_key) if k[0] == group.id},
                          key=lambda k: (k[1], [i.id for i in group.items].index(k[2])
                                         if k[2] in [i.id for i in group.items] else 99))
            for key in keys:
                one = info(key)
                infos[one.name] = one
                review.items.append(one)
        sections.append(review)
    return infos, sections


@dataclass
class FormPage:
    """What the form page needs besides the form view."""

    ref: str
    form: FormDef
    visit: str | None
    occurrence: int
    header: SubjectHeader
    instance: CasebookForm | None
    signatures: list[FormSignature]
    queries: list[ItemQuery]


def _load_form_page(request: Request, ref: str, form_id: str, visit: str | None,
                    occurrence: int) -> FormPage:
    info = page(request)
    web = state(request)
    form = _form_of(web.forms, form_id, visit)
    header = subject_header(web.db, info.actor, web.ctx, ref)
    casebook = load_casebook(web.db, info.actor, web.ctx, header.key)
    cf = _instance(casebook, form.id, visit, occurrence)
    sigs = [s for s in subject_signatures(web.db, info.actor, web.ctx, header.key)
            if cf is not None and s.form_instance_id == cf.form_instance_id]
    queries = [] if cf is None or header.pseudonymised else form_queries(
        web.db, info.actor, web.ctx, cf.form_instance_id)
    return FormPage(ref, form, visit, occurrence, header, cf, sigs, queries)


def _visit_title(request: Request, visit: str | None, occurrence: int) -> str:
    t = t_of(request)
    if visit is None:
        return t("Log form (not tied to a visit)")
    names = {v.code: v.name for v in state(request).ctx.protocol.visits}
    return visit_label(t, visit, occurrence, names.get(visit, visit))


def _render_form(request: Request, fp: FormPage, *, status_code: int = 200,
                 data: Mapping[Key, Entry] | None = None, findings: tuple[Any, ...] = (),
                 errors: dict[str, str] | None = None, typed: dict[str, str] | None = None,
                 conflict: list[tuple[str, str, str]] | None = None,
                 version: int | None = None) -> Response:
    info = page(request)
    web = state(request)
    t = t_of(request)
    roles = roles_of(request, info.actor)
    cf = fp.instance
    shown = dict(cf.values) if data is None and cf is not None else dict(data or {})
    view: FormView = form_view(web.forms, fp.form, shown, t.label_key, findings=findings)
    infos, sections = _items(web.forms, fp.form, cf, fp.queries, fp.ref, fp.visit,
                             fp.occurrence, t)
    locked = bool(cf and cf.locked) or fp.header.casebook_locked or fp.header.database_locked
    editable = may(roles, "enter_data") and not locked and not fp.header.pseudonymised
    group_items = [i for i in infos.values() if i.key[0] and (i.stored or i.queries)]
    summary = _error_summary(fp.form, findings, errors or {}, t) if status_code == 422 else []
    review = not fp.header.pseudonymised
    flags = {f"can_{name}": review and may(roles, action) for name, action in (
        ("raise", "raise_query"), ("answer", "answer_query"), ("close", "close_query"),
        ("sdv", "sdv"), ("sign", "sign_form"), ("lock", "lock"), ("unlock", "unlock"))}
    return render(
        request, "form_edit.html", status_code=status_code, fp=fp, view=view, infos=infos,
        sections=sections, group_items=group_items, editable=editable, locked=locked,
        header=fp.header,
        form_version=cf.version if version is None and cf else (version or 0),
        badges_now=form_badges(t, cf, fp.signatures), visit_title=_visit_title(
            request, fp.visit, fp.occurrence), errors=errors or {}, typed=typed or {},
        conflict=conflict, messages=[] if status_code != 200 else _done_messages(
            t, request.query_params), has_signed=info.actor.has_signed, when=when,
        form_url=form_url, casebook_url=casebook_url, ref=fp.ref, summary=summary,
        may_audit=review and may(roles, "view_audit"), **flags)


def _error_summary(form: FormDef, findings: tuple[Any, ...], errors: Mapping[str, str],
                   t: Translator) -> list[tuple[str, str]]:
    """Links to every field in error (page anchor, label), for the summary at the top."""
    out: list[tuple[str, str]] = []
    for finding in findings:
        key = finding.key
        if key is None or finding.severity == "warning":
            continue
        anchor = field_name(key) if key[2] else f"group-{key[0]}"
        label = _item_label(form, key, t.label_key, t) if key[2] else next(
            (g.label.text(t.label_key) for g in form.groups() if g.id == key[0]), key[0])
        if (anchor, label) not in out:
            out.append((anchor, label))
    if "reason" in errors:
        out.append(("reason", t("Reason for change")))
    return out


@router.get("/subjects/{ref}/forms/{form_id}")
def form_page(request: Request, ref: str, form_id: str, visit: str | None = None,
              occurrence: int = 1) -> Response:
    fp = _load_form_page(request, ref, form_id, visit or None, _occurrence(occurrence))
    return _pseudonym_redirect(request, ref, fp.header) or _render_form(request, fp)


def _conflict_rows(request: Request, fp: FormPage, typed: Mapping[Key, Entry]
                   ) -> list[tuple[str, str, str]]:
    """Item, stored value, typed value: every item where they differ."""
    web = state(request)
    t = t_of(request)
    stored = fp.instance.values if fp.instance else {}
    defs = _item_defs(fp.form)
    rows = []
    for key in sorted(set(stored) | set(typed)):
        item = defs.get((key[0], key[2]))
        mine = typed.get(key)
        if mine is not None and not mine.unit and item is not None and len(item.units) == 1:
            mine = Entry(mine.value, item.units[0], mine.lln, mine.uln)  # as the save would
        old = display(web.forms, item, stored.get(key), t.label_key, t)
        new = display(web.forms, item, mine, t.label_key, t)
        if old != new:
            rows.append((_item_label(fp.form, key, t.label_key, t), old, new))
    return rows


def _unchanged(request: Request, fp: FormPage, data: Mapping[Key, Entry]) -> bool:
    """True when the posted values are the stored ones (in canonical form): then nothing is
    saved, and no reason for change is needed (e.g. only a query was answered)."""
    if fp.instance is None:
        return False
    result = check_form(fp.form, data, today=now_utc().date(),
                        code_lists=state(request).forms.code_lists)
    return not result.errors and dict(result.data) == dict(fp.instance.values)


def _answers(posted: Mapping[str, str]) -> dict[int, str]:
    """Query answers typed in the entry form (fields ``answer-<query id>``)."""
    out = {}
    for name, value in posted.items():
        number = name.removeprefix("answer-")
        if name.startswith("answer-") and number.isdigit() and value.strip():
            out[int(number)] = value.strip()
    return out


def _answer_all(request: Request, fp: FormPage, answers: dict[int, str],
                params: dict[str, Any]) -> Response:
    """Answer the queries typed in the entry form, then go back to the form."""
    info = page(request)
    web = state(request)
    for query_id, text in answers.items():
        try:
            answer_query(web.db, info.actor, web.ctx, _query_of(fp, query_id).id, text)
        except (PermissionDenied, NotFoundError):
            raise
        except OncotrialError as exc:
            fresh = _load_form_page(request, fp.ref, fp.form.id, fp.visit, fp.occurrence)
            return _render_form(request, fresh, status_code=status_of(exc)[0],
                                errors={f"query-{query_id}": _error_text(t_of(request), exc)},
                                typed={f"answer-{query_id}": text})
    if answers:
        params["answered"] = len(answers)
    return redirect(form_url(fp.ref, fp.form.id, fp.visit, fp.occurrence, **params))


def _save(request: Request, ref: str, form_id: str, visit: str | None, occurrence: int,
          posted: dict[str, str]) -> Response:
    info = page(request)
    check_csrf(request, posted.get("csrf_token"))
    web = state(request)
    t = t_of(request)
    fp = _load_form_page(request, ref, form_id, visit, occurrence)
    data, problems = posted_data(fp.form, posted)
    reason = posted.get("reason", "").strip()
    try:
        version = int(posted.get("version", "0") or 0)
    except ValueError:
        version = 0
    answers = _answers(posted)
    typed = {"reason": posted.get("reason", ""),
             **{k: v for k, v in posted.items() if k.startswith("answer-")}}
    errors: dict[str, str] = {}
    if problems:
        return _render_form(request, fp, status_code=422, data=data, findings=problems,
                            errors=errors, typed=typed, version=version)
    if version and _unchanged(request, fp, data):
        return _answer_all(request, fp, answers,
                           {"done": "query_answered" if answers else "unchanged"})
    if version and not reason:
        errors["reason"] = t("This form was saved before: say why you change it (it is kept "
                             "in the audit trail with the change).")
    try:
        saved = save_form(web.db, info.actor, web.ctx, fp.header.key, fp.form.id, data,
                          visit=visit, occurrence=occurrence, expected_version=version,
                          reason=reason)
    except FormRejected as exc:
        return _render_form(request, fp, status_code=422, data=data, findings=exc.findings,
                            errors=errors, typed=typed, version=version)
    except ConflictError:
        current = fp.instance.version if fp.instance else 0
        errors["conflict"] = t("Someone else saved this form after you opened it. Nothing of "
                               "yours was saved. Compare the stored values with yours below; "
                               "to keep yours, check them and save again.")
        return _render_form(request, fp, status_code=409, data=data, errors=errors,
                            typed=typed, conflict=_conflict_rows(request, fp, data),
                            version=current)
    except (WorkflowError, InputError) as exc:
        if exc.field != "reason" or "reason" not in errors:
            errors["form"] = _error_text(t, exc)
        return _render_form(request, fp, status_code=422 if exc.field == "reason" else 409,
                            data=data, errors=errors, typed=typed, version=version)
    return _answer_all(request, fp, answers, {
        "done": "saved", "version": saved.version, "queries": saved.queries_raised or None,
        "invalidated": saved.signatures_invalidated or None,
        "sdv_reset": saved.sdv_reset or None})


@router.post("/subjects/{ref}/forms/{form_id}")
async def form_save(request: Request, ref: str, form_id: str, visit: str | None = None,
                    occurrence: int = 1) -> Response:
    form = await request.form()
    posted = {name: value for name, value in form.items() if isinstance(value, str)}
    return await run_in_threadpool(_save, request, ref, form_id, visit or None,
                                   _occurrence(occurrence), posted)


def _form_action(request: Request, ref: str, form_id: str, visit: str | None,
                 occurrence: int, csrf_token: str, where: str, typed: dict[str, str],
                 action: Callable[[FormPage], dict[str, Any]]) -> Response:
    """Run one action of the form page; redirect back with ``?done=`` or show the refusal
    beside the action (``where``)."""
    page(request)
    check_csrf(request, csrf_token)
    fp = _load_form_page(request, ref, form_id, visit, occurrence)
    try:
        done = action(fp)
    except (PermissionDenied, NotFoundError):
        raise
    except OncotrialError as exc:
        return _render_form(request, fp, status_code=status_of(exc)[0],
                            errors={where: _error_text(t_of(request), exc)}, typed=typed)
    anchor = f"#{where}" if where.startswith(("item-", "query-")) else ""
    return redirect(form_url(ref, fp.form.id, visit, occurrence, **done) + anchor)


def _instance_id(fp: FormPage) -> int:
    if fp.instance is None:
        raise WorkflowError("The form has not been saved yet.",
                            hint="Enter and save the form first.")
    return fp.instance.form_instance_id


def _key(fp: FormPage, name: str) -> Key:
    key = key_of(name)
    if key is None or (key[0], key[2]) not in _item_defs(fp.form):
        raise NotFoundError(f"The form has no item {name!r}.", field="item", value=name,
                            hint="Items are named like anc, or lesions.2.diameter_mm in a "
                                 "table.")
    return key


def _query_of(fp: FormPage, query_id: int) -> ItemQuery:
    for q in fp.queries:
        if q.id == query_id:
            return q
    raise NotFoundError(f"The form has no query {query_id}.", field="query", value=query_id)


@router.post("/subjects/{ref}/forms/{form_id}/queries")
def query_raise(request: Request, ref: str, form_id: str, visit: str | None = None,
                occurrence: int = 1, item: Annotated[str, Form()] = "",
                text: Annotated[str, Form()] = "",
                csrf_token: Annotated[str, Form()] = "") -> Response:
    info = page(request)
    web = state(request)

    def act(fp: FormPage) -> dict[str, Any]:
        raise_query(web.db, info.actor, web.ctx, _instance_id(fp), _key(fp, item), text)
        return {"done": "query_raised"}

    return _form_action(request, ref, form_id, visit or None, _occurrence(occurrence),
                        csrf_token, f"item-{item}", {f"raise-{item}": text}, act)


@router.post("/subjects/{ref}/forms/{form_id}/queries/{query_id}/answer")
def query_answer(request: Request, ref: str, form_id: str, query_id: int,
                 visit: str | None = None, occurrence: int = 1,
                 answer: Annotated[str, Form()] = "",
                 csrf_token: Annotated[str, Form()] = "") -> Response:
    info = page(request)
    web = state(request)

    def act(fp: FormPage) -> dict[str, Any]:
        answer_query(web.db, info.actor, web.ctx, _query_of(fp, query_id).id, answer)
        return {"done": "query_answered"}

    return _form_action(request, ref, form_id, visit or None, _occurrence(occurrence),
                        csrf_token, f"query-{query_id}", {f"answer-{query_id}": answer}, act)


@router.post("/subjects/{ref}/forms/{form_id}/queries/{query_id}/close")
def query_close(request: Request, ref: str, form_id: str, query_id: int,
                visit: str | None = None, occurrence: int = 1,
                note: Annotated[str, Form()] = "",
                csrf_token: Annotated[str, Form()] = "") -> Response:
    info = page(request)
    web = state(request)

    def act(fp: FormPage) -> dict[str, Any]:
        close_query(web.db, info.actor, web.ctx, _query_of(fp, query_id).id, note)
        return {"done": "query_closed"}

    return _form_action(request, ref, form_id, visit or None, _occurrence(occurrence),
                        csrf_token, f"query-{query_id}", {f"close-{query_id}": note}, act)


@router.post("/subjects/{ref}/forms/{form_id}/sdv")
async def form_sdv(request: Request, ref: str, form_id: str, visit: str | None = None,
                   occurrence: int = 1) -> Response:
    form = await request.form()
    names = [v for v in form.getlist("item") if isinstance(v, str)]
    every = form.get("all") == "1"
    token = form.get("csrf_token")
    return await run_in_threadpool(_sdv, request, ref, form_id, visit or None,
                                   _occurrence(occurrence), names, every,
                                   token if isinstance(token, str) else "")


def _sdv(request: Request, ref: str, form_id: str, visit: str | None, occurrence: int,
         names: list[str], every: bool, csrf_token: str) -> Response:
    info = page(request)
    web = state(request)
    t = t_of(request)

    def act(fp: FormPage) -> dict[str, Any]:
        if not every and not names:
            raise InputError(t("Tick the items you verified against the source, or choose "
                               "'Verify every item'."), field="item")
        keys = None if every else [_key(fp, n) for n in names]
        count = verify_items(web.db, info.actor, web.ctx, _instance_id(fp), keys)
        return {"done": "verified", "n": count}

    return _form_action(request, ref, form_id, visit, occurrence, csrf_token, "sdv", {}, act)


@router.post("/subjects/{ref}/forms/{form_id}/sign")
def form_sign(request: Request, ref: str, form_id: str, visit: str | None = None,
              occurrence: int = 1, password: Annotated[str, Form()] = "",
              username: Annotated[str, Form()] = "", meaning: Annotated[str, Form()] = "",
              csrf_token: Annotated[str, Form()] = "") -> Response:
    info = page(request)
    web = state(request)

    def act(fp: FormPage) -> dict[str, Any]:
        _, actor = sign(web.db, info.actor, web.ctx, fp.header.key, password=password,
                        meaning=meaning, form_instance_id=_instance_id(fp),
                        username=username.strip() or None)
        _session_signed(request, actor.has_signed)
        return {"done": "signed"}

    return _form_action(request, ref, form_id, visit or None, _occurrence(occurrence),
                        csrf_token, "sign", {"meaning": meaning, "username": username}, act)


@router.post("/subjects/{ref}/forms/{form_id}/lock")
def form_lock(request: Request, ref: str, form_id: str, visit: str | None = None,
              occurrence: int = 1, reason: Annotated[str, Form()] = "",
              csrf_token: Annotated[str, Form()] = "") -> Response:
    info = page(request)
    web = state(request)

    def act(fp: FormPage) -> dict[str, Any]:
        lock_form(web.db, info.actor, web.ctx, _instance_id(fp),
                  reason=reason.strip() or t_of(request)("data review complete"))
        return {"done": "locked"}

    return _form_action(request, ref, form_id, visit or None, _occurrence(occurrence),
                        csrf_token, "lock", {"lock-reason": reason}, act)


@router.post("/subjects/{ref}/forms/{form_id}/unlock")
def form_unlock(request: Request, ref: str, form_id: str, visit: str | None = None,
                occurrence: int = 1, reason: Annotated[str, Form()] = "",
                csrf_token: Annotated[str, Form()] = "") -> Response:
    info = page(request)
    web = state(request)

    def act(fp: FormPage) -> dict[str, Any]:
        unlock_form(web.db, info.actor, web.ctx, _instance_id(fp), reason=reason)
        return {"done": "unlocked"}

    return _form_action(request, ref, form_id, visit or None, _occurrence(occurrence),
                        csrf_token, "unlock", {"unlock-reason": reason}, act)


# --------------------------------------------------------------------------- item history


@router.get("/subjects/{ref}/forms/{form_id}/items/{item}/history")
def history_page(request: Request, ref: str, form_id: str, item: str,
                 visit: str | None = None, occurrence: int = 1) -> Response:
    info = page(request)
    web = state(request)
    t = t_of(request)
    fp = _load_form_page(request, ref, form_id, visit or None, _occurrence(occurrence))
    key = _key(fp, item)
    if fp.instance is None:
        raise NotFoundError(t("This form has not been saved yet, so its items have no "
                              "history."), field="form", value=form_id)
    rows = item_history(web.db, info.actor, web.ctx, fp.instance.form_instance_id, key)
    defs = _item_defs(fp.form)
    current = display(web.forms, defs.get((key[0], key[2])), fp.instance.values.get(key),
                      t.label_key, t)
    return render(request, "item_history.html", fp=fp, header=fp.header, rows=rows,
                  item_label=_item_label(fp.form, key, t.label_key, t), current=current,
                  visit_title=_visit_title(request, fp.visit, fp.occurrence), when=when,
                  form_url=form_url, casebook_url=casebook_url, ref=ref, item_name=item)
