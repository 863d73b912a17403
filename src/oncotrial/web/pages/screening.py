"""Screening: the screening log, and one patient's screening forms beside the live
24-criterion checklist, with enrolment once every criterion is met.

``GET /screening/{ref}`` shows one screening form at a time (``?form=<form id>``; the forms of
visit SCR in the order of the forms file, consent first) with links to the others, and the
checklist of :func:`oncotrial.services.screen_subject` on ``?on=`` (default today, or the
enrolment date once enrolled). One form at a time keeps every field id unique on the page, so
each label, error message and "missing data" link (``?form=haematology#anc``) points at exactly
one field.

Live update, and why it never loses or half-saves data: each form posts on change with htmx
to ``POST /screening/{ref}/check``, which runs the form's checks on the posted values, takes
the valid ones in place of the stored form, and evaluates the criteria on that *preview*
(:func:`oncotrial.services.screening_view.preview_screening`). The check saves nothing and
audits nothing, so a correction of a saved form is never stored without its reason and a
half-typed value never reaches the database. The fragment says which values are not saved yet
and which are not valid; only the Save button (a plain HTML submit, which works without
JavaScript) stores the form through :func:`oncotrial.services.save_form`, with the version the
user edited and, for a saved form, the reason for the change. The Enrol button appears only
when the stored forms make the subject eligible and nothing typed is unsaved; enrolment screens
the stored forms again.

A rejected save shows the form again (422) with every typed value and each error beside its
field; a save that lost a race (409) shows the other person's values beside the user's, which
stay in the form for a deliberate second save.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from oncotrial.eligibility import ScreeningResult, Verdict
from oncotrial.eligibility.phrases import fmt_number
from oncotrial.errors import InputError, OncotrialError
from oncotrial.forms import Entry, FormDef, FormSet, check_form
from oncotrial.forms.values import Finding
from oncotrial.services import (
    ConflictError,
    FormRejected,
    PermissionDenied,
    enrol,
    save_form,
    screen_subject,
)
from oncotrial.services.entry import consent_form_ids
from oncotrial.services.screening_view import (
    SCREENING_VISIT,
    ScreeningSubject,
    enrolled_count,
    preview_screening,
    screening_log,
    screening_subject,
)
from oncotrial.web import problems
from oncotrial.web.deps import check_csrf, may, page, redirect, render, roles_of, state, t_of
from oncotrial.web.formview import FieldView, FormView, field_name, form_view, posted_data
from oncotrial.web.i18n import LANGUAGES, Translator

router = APIRouter(include_in_schema=False)

Key = tuple[str, int, str]


# --- words -------------------------------------------------------------------------------------


def status_label(t: Translator, status: str) -> str:
    """A subject status in the user's language."""
    labels = {
        "screened": t("In screening"),
        "screen_failed": t("Screen failure"),
        "enrolled": t("Enrolled"),
        "on_treatment": t("On treatment"),
        "off_treatment": t("Off treatment"),
        "follow_up": t("Follow-up"),
        "withdrawn": t("Withdrawn"),
        "off_study": t("Off study"),
    }
    return labels.get(status, status)


def eligibility_label(t: Translator, status: str | None) -> str:
    """The overall answer of screening in the user's language."""
    labels = {
        "eligible": t("Eligible"),
        "not_eligible": t("Not eligible"),
        "incomplete": t("Incomplete"),
    }
    return labels.get(status or "", t("Not decided"))


def verdict_key(verdict: Verdict) -> str:
    """The CSS class and word key of a verdict: met, not_met, missing, attest,
    not_applicable."""
    status = str(verdict.status)
    if status == "met" and verdict.code.endswith("_not_applicable"):
        return "not_applicable"
    if status == "needs_investigator":
        return "attest"
    return status


def verdict_label(t: Translator, key: str, kind: str) -> str:
    """The verdict word; for an exclusion criterion it says whether the patient is excluded
    (an exclusion criterion "met" means the patient is not excluded by it)."""
    if kind == "exclusion" and key == "met":
        return t("Met (not excluded)")
    if kind == "exclusion" and key == "not_met":
        return t("Not met (excluded)")
    labels = {
        "met": t("Met"),
        "not_met": t("Not met"),
        "missing": t("Missing data"),
        "attest": t("Attestation due"),
        "not_applicable": t("Not applicable"),
    }
    return labels.get(key, key)


def _fact_text(t: Translator, value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return t("yes") if value else t("no")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (int, float)):
        return fmt_number(value)
    return str(value)


_CODE_ENDINGS = ("_below_min", "_above_max", "_not_allowed", "_too_old", "_too_recent",
                 "_after_reference", "_none", "_within_limits", "_in_window", "_allowed")


def _facts(t: Translator, verdict: Verdict) -> list[tuple[str, str]]:
    """The facts of a verdict as (name, text); for a verdict decided by one field, the facts
    of that field only (its value, unit, date and threshold)."""
    decided_by = verdict.code.split(".")[-1]
    for ending in _CODE_ENDINGS:
        if decided_by.endswith(ending):
            decided_by = decided_by[: -len(ending)]
            break
    facts = dict(verdict.facts)
    chosen = {k: v for k, v in facts.items()
              if k == decided_by or k.startswith(decided_by + "_")}
    return [(k, _fact_text(t, v)) for k, v in (chosen or facts).items()]


# --- the checklist -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionRow:
    """One criterion as the checklist shows it."""

    id: str
    title: str
    kind: str
    key: str
    verdict: str
    reason: str
    facts: list[tuple[str, str]]
    code: str
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class MissingRow:
    """A record entry screening needs, with the link to its field and the criteria needing it."""

    path: str
    label: str
    href: str
    criteria: tuple[str, ...]


@dataclass(frozen=True)
class MissingGroup:
    """The missing entries of one form (``form`` empty: entries no form field holds)."""

    form: str
    href: str
    items: list[MissingRow]


@dataclass
class Checklist:
    """The checklist of one subject on one day, ready for ``_checklist.html``."""

    on: dt.date
    status: str | None
    status_label: str
    counts: dict[str, int] = field(default_factory=dict)
    inclusion: list[CriterionRow] = field(default_factory=list)
    exclusion: list[CriterionRow] = field(default_factory=list)
    missing: list[MissingGroup] = field(default_factory=list)
    problem: str = ""
    unsaved: list[str] = field(default_factory=list)
    invalid: list[tuple[str, str, str]] = field(default_factory=list)
    missing_by_form: dict[str, int] = field(default_factory=dict)

    @property
    def missing_count(self) -> int:
        return sum(len(g.items) for g in self.missing)

    @property
    def eligible(self) -> bool:
        return self.status == "eligible" and not self.unsaved and not self.problem


def _lang_query(request: Request) -> dict[str, str]:
    lang = request.query_params.get("lang") or ""
    return {"lang": lang} if lang in LANGUAGES else {}


def _q(request: Request) -> str:
    """``?lang=...`` when the page was asked for in a language (kept on form actions)."""
    query = _lang_query(request)
    return f"?{urlencode(query)}" if query else ""


def screening_url(request: Request, ref: str, **params: str) -> str:
    """The screening page of ``ref`` with ``params`` (and the page's ``?lang=``)."""
    query = {**{k: v for k, v in params.items() if v}, **_lang_query(request)}
    return f"/screening/{ref}" + (f"?{urlencode(query)}" if query else "")


def _field_index(forms: FormSet, lang: str) -> dict[str, tuple[FormDef, str, str]]:
    """Screening path -> (form, field anchor, label) for the forms of the screening visit."""
    index: dict[str, tuple[FormDef, str, str]] = {}
    for form in forms.forms_at(SCREENING_VISIT):
        for group_id, item in form.items():
            if item.screening and not group_id:
                index.setdefault(item.screening.removesuffix("[]"),
                                 (form, field_name(("", 0, item.id)), item.label.text(lang)))
        for group in form.groups():
            if group.screening:
                index.setdefault(group.screening,
                                 (form, f"group-{group.id}", group.label.text(lang)))
    return index


def _locate(index: Mapping[str, tuple[FormDef, str, str]], path: str, t: Translator
            ) -> tuple[FormDef, str, str] | None:
    if path in index:
        return index[path]
    parent, _, last = path.rpartition(".")
    if parent in index:
        form, anchor, label = index[parent]
        if last in ("uln", "lln"):
            return form, f"{anchor}__{last}", t("{item}: {limit}", item=label,
                                                limit=last.upper())
        return form, anchor, label
    for known, found in index.items():
        if known.startswith(path + "."):
            return found
    return None


def build_checklist(request: Request, ref: str, result: ScreeningResult | None, *,
                    on: dt.date, on_text: str = "", current: str = "", problem: str = "",
                    unsaved: list[str] | None = None,
                    invalid: list[tuple[str, str, str]] | None = None) -> Checklist:
    """The checklist view of a screening result (or of the problem that stopped it).

    Links to fields of the ``current`` form (the one on the page) are anchors only, so
    following one keeps what is typed; the others open their form."""
    t = t_of(request)
    web = state(request)
    lang = t.label_key
    if result is None:
        return Checklist(on, None, eligibility_label(t, None), problem=problem,
                         unsaved=unsaved or [], invalid=invalid or [])
    criteria = {c.id: c for c in web.ctx.protocol.criteria.all()}
    rows: dict[str, list[CriterionRow]] = {"inclusion": [], "exclusion": []}
    for verdict in result.verdicts.values():
        criterion = criteria.get(verdict.criterion_id)
        title = verdict.title
        if t.language == "zh-CN" and criterion is not None:
            translated = criterion.translations.get("zh-CN")
            title = translated.title if translated is not None else title
        key = verdict_key(verdict)
        chinese = t.language != "en"
        rows.setdefault(verdict.kind, []).append(CriterionRow(
            verdict.criterion_id, title, verdict.kind, key,
            verdict_label(t, key, verdict.kind),
            t.code_meaning(verdict.code) if chinese else verdict.reason,
            _facts(t, verdict) if chinese else [], verdict.code, verdict.warnings))
    index = _field_index(web.forms, lang)
    groups: dict[str, MissingGroup] = {}
    unlinked = MissingGroup("", "", [])
    by_form: dict[str, int] = {}
    for path in result.missing():
        needed_by = tuple(v.criterion_id for v in result.verdicts.values()
                          if path in v.missing)
        found = _locate(index, path, t)
        if found is None:
            unlinked.items.append(MissingRow(path, path, "", needed_by))
            continue
        form, anchor, label = found
        by_form[form.id] = by_form.get(form.id, 0) + 1
        href = screening_url(request, ref, form=form.id, on=on_text)
        group = groups.setdefault(form.id, MissingGroup(form.label.text(lang), href, []))
        group.items.append(MissingRow(path, label, ("" if form.id == current else href)
                                      + f"#{anchor}", needed_by))
    order = [f.id for f in screening_forms(web.forms)]
    missing = [groups[f] for f in order if f in groups]
    if unlinked.items:
        missing.append(unlinked)
    counts = {key: sum(1 for r in rows["inclusion"] + rows["exclusion"] if r.key == key)
              for key in ("met", "not_applicable", "not_met", "missing", "attest")}
    status = str(result.status)
    return Checklist(on, status, eligibility_label(t, status), counts, rows["inclusion"],
                     rows["exclusion"], missing, problem, unsaved or [], invalid or [],
                     by_form)


# --- the page ----------------------------------------------------------------------------------


def screening_forms(forms: FormSet) -> list[FormDef]:
    """The forms of the screening visit, the consent form(s) first."""
    consent = consent_form_ids(forms)
    scheduled = forms.forms_at(SCREENING_VISIT)
    return [f for f in scheduled if f.id in consent] + \
        [f for f in scheduled if f.id not in consent]


def _default_form(subject: ScreeningSubject, forms: list[FormDef]) -> str:
    if subject.consented_on is None:
        return forms[0].id
    for form in forms:
        if form.id not in subject.forms:
            return form.id
    return forms[0].id


def _parse_day(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def _screening_day(subject: ScreeningSubject, text: str | None) -> dt.date:
    return _parse_day(text) or subject.enrolled_on or dt.date.today()


@dataclass
class FormState:
    """What the page shows of the current form besides its fields."""

    form_id: str
    view: FormView
    version: int
    saved: bool
    locked: bool
    reason: str = ""
    error: str = ""
    reason_error: str = ""
    conflict: list[tuple[str, str, str]] = field(default_factory=list)
    conflict_by: str = ""
    summary: list[tuple[str, str]] = field(default_factory=list)


def _with_raw_limits(view: FormView, posted: Mapping[str, str]) -> FormView:
    """The view with the LLN and ULN exactly as typed (a limit that is not a number is kept
    as text beside its error, not dropped)."""

    def fix(f: FieldView) -> FieldView:
        lln = posted.get(f"{f.name}__lln", f.lln)
        uln = posted.get(f"{f.name}__uln", f.uln)
        return replace(f, lln=lln, uln=uln) if (lln, uln) != (f.lln, f.uln) else f

    sections = tuple(replace(s, fields=tuple(fix(f) for f in s.fields),
                             groups=tuple(replace(g, rows=tuple(tuple(fix(f) for f in row)
                                                                for row in g.rows))
                                          for g in s.groups)) for s in view.sections)
    return replace(view, sections=sections)


def _entry_text(entry: Entry | None) -> str:
    if entry is None or entry.value is None:
        return "—"
    return f"{entry.value} {entry.unit}".strip()


def _conflict_rows(form: FormDef, theirs: Mapping[Key, Entry], yours: Mapping[Key, Entry],
                   lang: str) -> list[tuple[str, str, str]]:
    labels = {item.id: item.label.text(lang) for _, item in form.items()}
    rows = []
    for key in sorted(set(theirs) | set(yours)):
        if theirs.get(key) != yours.get(key):
            group, row, item = key
            label = labels.get(item, item) + (f" ({group} {row})" if group else "")
            rows.append((label, _entry_text(theirs.get(key)), _entry_text(yours.get(key))))
    return rows


def _screening_page(request: Request, ref: str, *, form_id: str | None = None,
                    on_text: str | None = None, posted: Mapping[Key, Entry] | None = None,
                    posted_raw: Mapping[str, str] | None = None,
                    findings: tuple[Finding, ...] = (), status_code: int = 200,
                    form_error: str = "", reason_error: str = "", reason: str = "",
                    conflict: tuple[Mapping[Key, Entry], str] | None = None,
                    enrol_error: str = "", enrol_date: str = "",
                    enrol_reason: str = "") -> Response:
    info = page(request)
    web = state(request)
    t = t_of(request)
    lang = t.label_key
    subject = screening_subject(web.db, info.actor, web.ctx, ref)
    ref = subject.screening_number
    forms = screening_forms(web.forms)
    ids = [f.id for f in forms]
    current = form_id if form_id in ids else _default_form(subject, forms)
    form = forms[ids.index(current)]
    on = _screening_day(subject, on_text)
    stored = subject.forms.get(current)
    data = dict(posted) if posted is not None else (dict(stored.data) if stored else {})
    view = form_view(web.forms, form, data, lang, findings=findings)
    if posted_raw is not None:
        view = _with_raw_limits(view, posted_raw)
    state_ = FormState(current, view, stored.version if stored else 0, stored is not None,
                       bool(stored and stored.locked) or not subject.writable, reason,
                       form_error, reason_error)
    state_.summary = [(f"{f.message} {f.hint}".strip(),
                       f"#{field_name(f.key)}" if f.key and f.key[2] else "")
                      for f in findings if f.severity != "warning"]
    if reason_error:
        state_.summary.append((reason_error, "#_reason"))
    if conflict is not None and stored is not None:
        state_.conflict = _conflict_rows(form, stored.data, conflict[0], lang)
        state_.conflict_by = conflict[1]
    problem = ""
    result: ScreeningResult | None = None
    try:
        result = screen_subject(web.db, info.actor, web.ctx, ref, on=on)
    except PermissionDenied:
        raise
    except OncotrialError as exc:
        problem = exc.message
    checklist = build_checklist(request, ref, result, on=on, on_text=on_text or "",
                                current=current, problem=problem)
    roles = roles_of(request, info.actor)
    count = enrolled_count(web.db, info.actor, web.ctx)
    target = web.ctx.protocol.enrolment.target
    position = ids.index(current)
    nav = [(f.id, f.label.text(lang), subject.forms.get(f.id),
            checklist.missing_by_form.get(f.id, 0),
            screening_url(request, ref, form=f.id, on=on_text or "")) for f in forms]
    return render(
        request, "screening.html", status_code=status_code, subject=subject, ref=ref,
        status_text=status_label(t, subject.status), form=form, fs=state_, form_nav=nav,
        saved_count=sum(1 for f in forms if f.id in subject.forms),
        previous=nav[position - 1] if position > 0 else None,
        following=nav[position + 1] if position + 1 < len(nav) else None,
        position=position + 1, checklist=checklist, on=on, on_text=on_text or "",
        may_enrol=may(roles, "enrol"), may_over_enrol=may(roles, "over_enrol"),
        may_edit=may(roles, "enter_data") and subject.writable,
        enrolled_count=count, target=target, over_target=count >= target,
        enrol_error=enrol_error, enrol_date=enrol_date or on.isoformat(),
        enrol_reason=enrol_reason, q=_q(request), typed=posted is not None,
        wide=bool(form.groups()),
        saved_notice=_saved_notice(request, t, forms, lang),
        enrolled_notice=request.query_params.get("enrolled", ""))


def _saved_notice(request: Request, t: Translator, forms: list[FormDef], lang: str) -> str:
    saved = request.query_params.get("saved")
    labels = {f.id: f.label.text(lang) for f in forms}
    if saved not in labels:
        return ""
    if request.query_params.get("unchanged"):
        return t("{form}: nothing changed, nothing saved.", form=labels[saved])
    queries = request.query_params.get("queries", "0")
    notice = t("{form} saved.", form=labels[saved])
    if queries.isdigit() and int(queries):
        notice += " " + t("{n} value(s) outside the expected range: a query was raised on "
                          "each.", n=int(queries))
    return notice


async def _fields(request: Request) -> dict[str, str]:
    """The posted form fields (text only)."""
    form = await request.form()
    return {name: value for name, value in form.multi_items() if isinstance(value, str)}


Fields = Annotated[dict[str, str], Depends(_fields)]


@router.get("/screening")
def screening_log_page(request: Request) -> Response:
    info = page(request)
    web = state(request)
    t = t_of(request)
    today = dt.date.today()
    entries = screening_log(web.db, info.actor, web.ctx, on=today)
    roles = roles_of(request, info.actor)
    return render(request, "screening_log.html", entries=entries, today=today,
                  status_label=lambda s: status_label(t, s),
                  eligibility_label=lambda s: eligibility_label(t, s),
                  may_screen=may(roles, "screen"), q=_q(request))


@router.get("/screening/{ref}")
def screening_page(request: Request, ref: str) -> Response:
    return _screening_page(request, ref, form_id=request.query_params.get("form"),
                           on_text=request.query_params.get("on"))


def _canonical(forms: FormSet, form: FormDef, data: Mapping[Key, Entry]
               ) -> tuple[dict[Key, Entry], tuple[Finding, ...]]:
    checked = check_form(form, data, today=dt.date.today(), code_lists=forms.code_lists)
    return dict(checked.data), checked.errors


@router.post("/screening/{ref}/forms/{form_id}")
def save_screening_form(request: Request, ref: str, form_id: str, fields: Fields) -> Response:
    info = page(request)
    check_csrf(request, fields.get("csrf_token"))
    web = state(request)
    t = t_of(request)
    subject = screening_subject(web.db, info.actor, web.ctx, ref)
    ref = subject.screening_number
    forms = screening_forms(web.forms)
    form = next((f for f in forms if f.id == form_id), None)
    if form is None:
        raise InputError(f"{form_id!r} is not a form of the screening visit.", field="form",
                         value=form_id, hint="Open the form from the screening page.")
    data, limit_findings = posted_data(form, fields)
    version = int(fields["_version"]) if fields.get("_version", "").isdigit() else 0
    reason = fields.get("_reason", "").strip()
    on_text = fields.get("_on", "")
    again = partial(_screening_page, request, ref, form_id=form_id, on_text=on_text,
                    posted=data, posted_raw=fields, reason=reason)
    if limit_findings:
        _, errors = _canonical(web.forms, form, data)
        return again(findings=limit_findings + errors, status_code=422)
    stored = subject.forms.get(form_id)
    if stored is not None and stored.version == version:
        canonical, errors = _canonical(web.forms, form, data)
        if not errors and canonical == stored.data:
            return redirect(screening_url(request, ref, form=form_id, on=on_text,
                                          saved=form_id, unchanged="1"))
    try:
        saved = save_form(web.db, info.actor, web.ctx, ref, form_id, data,
                          visit=SCREENING_VISIT, expected_version=version, reason=reason)
    except FormRejected as exc:
        return again(findings=exc.findings, status_code=422)
    except ConflictError:
        fresh = screening_subject(web.db, info.actor, web.ctx, ref).forms.get(form_id)
        by = (fresh.saved_by or "") if fresh else ""
        return again(status_code=409, conflict=(data, by),
                     form_error=t("Someone else ({user}) saved this form after you opened it. "
                                  "Nothing of yours was saved. Their values and yours are "
                                  "listed below; your values are still in the form.",
                                  user=by or "?"))
    except OncotrialError as exc:
        status, _, _ = problems.status_of(exc)
        message = f"{exc.message} {exc.hint or ''}".strip()
        if exc.field == "reason":
            return again(status_code=422, reason_error=message)
        return again(status_code=status, form_error=message)
    return redirect(screening_url(request, ref, form=form_id, on=on_text, saved=form_id,
                                  queries=str(saved.queries_raised)))


@router.post("/screening/{ref}/check")
def check_screening(request: Request, ref: str, fields: Fields) -> Response:
    """The checklist fragment with the posted form's valid values in place of the stored
    ones (nothing saved); for htmx."""
    info = page(request)
    check_csrf(request, fields.get("csrf_token"))
    web = state(request)
    t = t_of(request)
    lang = t.label_key
    subject = screening_subject(web.db, info.actor, web.ctx, ref)
    ref = subject.screening_number
    on = _screening_day(subject, fields.get("_on"))
    forms = screening_forms(web.forms)
    form = next((f for f in forms if f.id == fields.get("_form")), None)
    unsaved: dict[str, dict[Key, Entry]] = {}
    unsaved_labels: list[str] = []
    invalid: list[tuple[str, str, str]] = []
    if form is not None:
        data, limit_findings = posted_data(form, fields)
        canonical, errors = _canonical(web.forms, form, data)
        labels = {item.id: item.label.text(lang) for _, item in form.items()}
        for finding in (*limit_findings, *errors):
            if finding.key is None or finding.code == "forms.required_missing":
                continue
            invalid.append((labels.get(finding.key[2], finding.key[2]),
                            f"{finding.message} {finding.hint}".strip(),
                            f"#{field_name(finding.key)}"))
        stored = subject.forms.get(form.id)
        if canonical != (stored.data if stored else {}):
            unsaved[form.id] = canonical
            unsaved_labels.append(form.label.text(lang))
    problem = ""
    result: ScreeningResult | None = None
    try:
        result = preview_screening(web.db, info.actor, web.ctx, ref, unsaved, on=on)
    except PermissionDenied:
        raise
    except OncotrialError as exc:
        problem = exc.message
    checklist = build_checklist(request, ref, result, on=on, on_text=fields.get("_on", ""),
                                current=form.id if form else "", problem=problem,
                                unsaved=unsaved_labels, invalid=invalid)
    roles = roles_of(request, info.actor)
    count = enrolled_count(web.db, info.actor, web.ctx)
    target = web.ctx.protocol.enrolment.target
    return render(request, "screening_check.html", subject=subject, ref=ref,
                  checklist=checklist, on=on, may_enrol=may(roles, "enrol"),
                  may_over_enrol=may(roles, "over_enrol"), enrolled_count=count,
                  target=target, over_target=count >= target, enrol_error="",
                  enrol_date=on.isoformat(), enrol_reason="", q=_q(request))


@router.post("/screening/{ref}/enrol")
def enrol_subject(request: Request, ref: str, fields: Fields) -> Response:
    info = page(request)
    check_csrf(request, fields.get("csrf_token"))
    web = state(request)
    t = t_of(request)
    subject = screening_subject(web.db, info.actor, web.ctx, ref)
    ref = subject.screening_number
    text = fields.get("enrolled_on", "").strip()
    reason = fields.get("over_enrolment_reason", "").strip()
    on_text = fields.get("_on", "")
    again = partial(_screening_page, request, ref, on_text=on_text, enrol_date=text,
                    enrol_reason=reason)
    day = _parse_day(text)
    if day is None:
        return again(status_code=422,
                     enrol_error=t("The enrolment date {value} is not a date. Enter it as "
                                   "YYYY-MM-DD, e.g. 2026-03-02.", value=repr(text)))
    try:
        done = enrol(web.db, info.actor, web.ctx, ref, enrolled_on=day,
                     over_enrolment_reason=reason or None)
    except OncotrialError as exc:
        status, _, _ = problems.status_of(exc)
        return again(status_code=status, enrol_error=f"{exc.message} {exc.hint or ''}".strip())
    return redirect(screening_url(request, ref, on=day.isoformat(), enrolled=done.subject_id))
