"""The clinical pages of one subject: tumour assessment, labs and adverse events, dosing.

* ``/subjects/{ref}/tumour``: lesions per scan, and for each follow-up scan the sum of
  diameters, change from baseline, nadir and the RECIST 1.1 time-point response with its
  reason; baseline checks; the spider line as server-made SVG. ``/tumour/enter`` enters the
  ``tumour_lesions`` form of the screening scan or of tumour assessment N.
* ``/subjects/{ref}/labs``: every laboratory value with its unit, limits of normal and CTCAE
  v5.0 grade; grades of 2 or more without an AE suggested as AEs (one click pre-fills the AE
  form); AE entry by CTCAE term; the AE list with the SAE reporting clock. ``/labs/enter``
  enters a laboratory form at a visit; ``/labs/ae`` records an AE.
* ``/subjects/{ref}/dosing``: the dosing diary and capsule accountability, and today's
  recommendation of the protocol's dose rules with its code and reason. ``/dosing/enter``
  enters the dosing diary or capsule accountability at a visit.

Every read and write goes through the services (:mod:`oncotrial.services.clinical_view`,
``save_form``, ``report_ae``), which check role and site; every POST checks the CSRF token.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from oncotrial.ctcae import LabGrade, bundled_dictionary
from oncotrial.errors import InputError, UnknownTermError
from oncotrial.forms import Entry, FormSet
from oncotrial.forms.values import Finding
from oncotrial.recist import SpiderPoint, TimepointResponse
from oncotrial.services import ConflictError, FormRejected, report_ae, save_form
from oncotrial.services.clinical_view import (
    SubjectClinical,
    ae_terms,
    dosing_view,
    lab_forms,
    labs_view,
    load_subject_clinical,
    tumour_view,
    visit_label,
)
from oncotrial.web.deps import WebState, check_csrf, page, redirect, render, state, t_of
from oncotrial.web.formview import FormView, form_view, localise_findings, posted_data
from oncotrial.web.i18n import Translator

router = APIRouter(include_in_schema=False)

Key = tuple[str, int, str]

#: The forms each page enters itself (the rest through the casebook's form pages).
TUMOUR_FORM = "tumour_lesions"
DOSING_FORMS = ("dosing", "capsule_accountability")
#: Empty rows offered below the filled ones (a scan has several lesions; no script adds rows:
#: the "More rows" button posts the form back with more, saving nothing).
EXTRA_ROWS = {TUMOUR_FORM: 4, "dosing": 2}
AE_ITEMS = ("term", "verbatim", "onset_on", "grade", "resolved_on", "serious",
            "serious_criteria", "aware_at", "relationship", "action_taken", "outcome")


# --- shared ----------------------------------------------------------------------------------


def _load(request: Request, ref: str) -> tuple[WebState, SubjectClinical]:
    """The application state and the subject as the logged-in user may see it."""
    info = page(request)
    web = state(request)
    return web, load_subject_clinical(web.db, info.actor, web.ctx, ref)


def visit_name(t: Translator, code: str, occurrence: int) -> str:
    """A visit as the site names it, in the user's language."""
    if code == "SCR":
        return t("Screening")
    if code == "TA":
        return t("Tumour assessment {n}", n=occurrence)
    if code == "EOT":
        return t("End of treatment")
    if code == "UNS":
        return t("Unscheduled visit {n}", n=occurrence)
    return visit_label(code, occurrence)


def _num(value: float | None, digits: int = 1) -> str:
    """A number without trailing zeros (12, 12.5, -30.1)."""
    if value is None:
        return ""
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _visit_choices(forms: FormSet, clinical: SubjectClinical, form_id: str, t: Translator
                   ) -> list[tuple[str, str]]:
    """Concrete visits where ``form_id`` is collected: (``CODE.N``, name), the recorded ones
    and the next of each repeating visit."""
    used: dict[str, int] = {}
    for stored in clinical.forms:
        if stored.visit_code:
            used[stored.visit_code] = max(used.get(stored.visit_code, 0), stored.occurrence)
    out: list[tuple[str, str]] = []
    for code, form_ids in forms.schedule.items():
        if form_id not in form_ids:
            continue
        repeats = code in ("CD1", "CD15", "TA", "UNS")
        last = used.get(code, 0) + 1 if repeats else 1
        if code == "CD15":
            last = max(2, used.get(code, 0))
        for n in range(1, max(last, 1) + 1):
            out.append((f"{code}.{n}", visit_name(t, code, n)))
    order = {"SCR": 0, "C1D1": 1}

    def key(choice: tuple[str, str]) -> tuple[int, int, int]:
        code, n = choice[0].rsplit(".", 1)
        cycle = {"CD1": int(n) + 1, "CD15": int(n)}.get(code, 0)
        day = {"CD1": 1, "CD15": 15}.get(code, 0)
        rank = order.get(code, 2 if code in ("CD1", "CD15") else 3)
        return rank, cycle * 100 + day if rank == 2 else int(n), 0
    return sorted(out, key=key)


def _next_choice(clinical: SubjectClinical, form_id: str, choices: list[tuple[str, str]]
                 ) -> str:
    """The visit to offer first: the one after the last visit where the form is saved."""
    saved = {f"{s.visit_code}.{s.occurrence}" for s in clinical.of_form(form_id)}
    values = [value for value, _ in choices]
    done = [i for i, value in enumerate(values) if value in saved]
    if not done:
        return values[0] if values else ""
    return values[min(done[-1] + 1, len(values) - 1)]


def _parse_pick(pick: str | None, form: str | None, at: str | None) -> tuple[str | None,
                                                                            str | None]:
    """``form|CODE.N`` from the visit pickers (one select for form and visit)."""
    if pick and "|" in pick:
        chosen, _, where = pick.partition("|")
        return chosen, where
    return form, at


def _parse_at(at: str | None, visit: str | None, occurrence: str | None
              ) -> tuple[str | None, int]:
    if at and "." in at:
        code, _, n = at.rpartition(".")
        return code, int(n) if n.isdigit() else 1
    occ = int(occurrence) if occurrence and occurrence.isdigit() else 1
    return visit or None, max(occ, 1)


# --- entry of a form at a visit (tumour lesions, labs, dosing) --------------------------------


@dataclass(frozen=True)
class EntrySpec:
    """Which page enters which forms."""

    section: str
    title: str
    form_ids: tuple[str, ...]


def _entry_spec(forms: FormSet, section: str) -> EntrySpec:
    if section == "tumour":
        return EntrySpec("tumour", "Tumour assessment", (TUMOUR_FORM,))
    if section == "labs":
        return EntrySpec("labs", "Labs and adverse events",
                         tuple(f.id for f in lab_forms(forms)))
    return EntrySpec("dosing", "Dosing", DOSING_FORMS)


def _prefill_lesions(clinical: SubjectClinical, visit: str, occurrence: int
                     ) -> dict[Key, Entry]:
    """A new follow-up scan starts with the lesions of the previous scan (number, kind,
    organ, lymph node), so that each keeps its number; the measurements are left empty."""
    scans = [s for s in clinical.of_form(TUMOUR_FORM) if s.visit_code in ("SCR", "TA")
             and not (s.visit_code == visit and s.occurrence == occurrence)]
    if visit != "TA" or not scans:
        return {}
    previous = max(scans, key=lambda s: (s.visit_code == "TA", s.occurrence))
    out: dict[Key, Entry] = {}
    method = previous.data.get(("", 0, "method"))
    if method is not None:
        out[("", 0, "method")] = method
    for (group, row, item), entry in previous.data.items():
        if group == "lesions" and item in ("lesion_id", "kind", "organ", "nodal"):
            out[(group, row, item)] = entry
            if item == "kind" and entry.value == "target":
                out[(group, row, "state")] = Entry("measured")
    return out


def _entry_page(request: Request, ref: str, section: str, form_id: str | None,
                visit: str | None, occurrence: int, *, data: Mapping[Key, Entry] | None = None,
                findings: tuple[Finding, ...] = (), status_code: int = 200,
                reason: str = "", reason_error: str = "", conflict: str = "",
                extra_rows: int | None = None) -> Response:
    web, clinical = _load(request, ref)
    t = t_of(request)
    forms = web.forms
    spec = _entry_spec(forms, section)
    form_id = form_id or spec.form_ids[0]
    if form_id not in spec.form_ids:
        return render(request, "error.html", status_code=404, title=t("Page not found"),
                      detail=t("This page does not enter that form."))
    form = forms.form(form_id)
    choices = _visit_choices(forms, clinical, form_id, t)
    visit_warning = ""
    if visit is None or f"{visit}.{occurrence}" not in {c for c, _ in choices}:
        if visit is not None:
            visit_warning = t("{form} is not collected at {visit}; choose one of its visits.",
                              form=form.label.text(t.label_key),
                              visit=visit_name(t, visit, occurrence))
        first, _, n = choices[0][0].rpartition(".")
        visit, occurrence = first, int(n)
    stored = clinical.instance(form_id, visit, occurrence)
    if data is None:
        data = dict(stored.data) if stored else (
            _prefill_lesions(clinical, visit, occurrence) if form_id == TUMOUR_FORM else {})
    extra = extra_rows if extra_rows is not None else EXTRA_ROWS.get(form_id, 1)
    view: FormView = form_view(forms, form, data, t.label_key,
                               findings=localise_findings(form, findings, t.label_key),
                               extra_rows=extra)
    baseline = tumour_view(web.ctx, clinical) if form_id == TUMOUR_FORM else None
    advice = None
    if form_id in DOSING_FORMS:
        rec = dosing_view(web.ctx, clinical, on=dt.date.today()).recommendation
        if rec is not None:
            advice = {"action": _actions(t).get(rec.action.value, rec.action.value),
                      "dose": rec.dose_mg, "code": rec.code}
    return render(request, "clinical_entry.html", status_code=status_code, ref=ref,
                  clinical=clinical, section=section, spec=spec, form=form, view=view,
                  visit=visit, occurrence=occurrence,
                  visit_title=visit_name(t, visit, occurrence), choices=choices,
                  form_version=stored.version if stored else 0,
                  locked=bool(stored and stored.locked),
                  reason=reason, reason_error=reason_error, conflict=conflict,
                  visit_warning=visit_warning, extra_rows=extra,
                  has_groups=any(True for _ in form.groups()),
                  tumour=baseline, advice=advice, num=_num, back=f"/subjects/{ref}/{section}",
                  form_choices=[(f, forms.form(f).label.text(t.label_key))
                                for f in spec.form_ids])


async def _save_entry(request: Request, ref: str, section: str) -> Response:
    info = page(request)
    posted = await request.form()
    check_csrf(request, str(posted.get("csrf_token", "")))
    web = state(request)
    t = t_of(request)
    fields = {k: str(v) for k, v in posted.items() if isinstance(v, str)}
    form_id = fields.get("_form", "")
    spec = _entry_spec(web.forms, section)
    if form_id not in spec.form_ids:
        return render(request, "error.html", status_code=404, title=t("Page not found"),
                      detail=t("This page does not enter that form."))
    form = web.forms.form(form_id)
    visit = fields.get("_visit") or None
    occurrence = int(fields["_occurrence"]) if fields.get("_occurrence", "").isdigit() else 1
    version = int(fields["_version"]) if fields.get("_version", "").isdigit() else 0
    reason = fields.get("_reason", "").strip()
    data, problems = posted_data(form, fields)

    def again(findings: tuple[Finding, ...] = (), status: int = 422, reason_error: str = "",
              conflict: str = "") -> Response:
        return _entry_page(request, ref, section, form_id, visit, occurrence, data=data,
                           findings=findings, status_code=status, reason=reason,
                           reason_error=reason_error, conflict=conflict)

    if fields.get("_more"):
        more = int(fields["_more"]) if fields["_more"].isdigit() else 1
        return _entry_page(request, ref, section, form_id, visit, occurrence, data=data,
                           reason=reason, extra_rows=min(more, 30))
    if problems:
        return again(problems)
    if version and not reason:
        return again(reason_error=t("This form is already saved: say why the data change, "
                                    "e.g. 'transcription error, see lab report'."))
    try:
        saved = save_form(web.db, info.actor, web.ctx, ref, form_id, data, visit=visit,
                          occurrence=occurrence, expected_version=version or None,
                          reason=reason)
    except FormRejected as exc:
        return again(exc.findings)
    except ConflictError:
        return again(status=409, conflict=t(
            "Someone else saved this form after you opened it; nothing was overwritten. "
            "Reload the form, check their change and enter yours again."))
    query = {"saved": form_id, "at": f"{visit}.{occurrence}"}
    if saved.queries_raised:
        query["queries"] = str(saved.queries_raised)
    return redirect(f"/subjects/{ref}/{section}?{urlencode(query)}#saved")


def _saved_notice(request: Request, t: Translator, forms: FormSet) -> str | None:
    form_id = request.query_params.get("saved")
    if not form_id:
        return None
    if form_id == "ae":
        return t("The adverse event was saved.")
    try:
        label = forms.form(form_id).label.text(t.label_key)
    except InputError:  # a stale link: no notice
        return None
    code, occurrence = _parse_at(request.query_params.get("at"), None, None)
    where = visit_name(t, code, occurrence) if code else ""
    text = t("Saved: {form} at {visit}.", form=label, visit=where)
    queries = request.query_params.get("queries", "")
    if queries.isdigit() and int(queries):
        text += " " + t("{n} value(s) outside the expected range: a query was raised for each.",
                        n=int(queries))
    return text


@router.get("/subjects/{ref}/tumour/enter")
def tumour_enter(request: Request, ref: str, at: str | None = None, visit: str | None = None,
                 occurrence: str | None = None) -> Response:
    code, occ = _parse_at(at, visit, occurrence)
    return _entry_page(request, ref, "tumour", TUMOUR_FORM, code, occ)


@router.post("/subjects/{ref}/tumour/enter")
async def tumour_save(request: Request, ref: str) -> Response:
    return await _save_entry(request, ref, "tumour")


@router.get("/subjects/{ref}/labs/enter")
def labs_enter(request: Request, ref: str, form: str | None = None, at: str | None = None,
               visit: str | None = None, occurrence: str | None = None,
               pick: str | None = None) -> Response:
    form, at = _parse_pick(pick, form, at)
    code, occ = _parse_at(at, visit, occurrence)
    return _entry_page(request, ref, "labs", form, code, occ)


@router.post("/subjects/{ref}/labs/enter")
async def labs_save(request: Request, ref: str) -> Response:
    return await _save_entry(request, ref, "labs")


@router.get("/subjects/{ref}/dosing/enter")
def dosing_enter(request: Request, ref: str, form: str | None = None, at: str | None = None,
               visit: str | None = None, occurrence: str | None = None,
               pick: str | None = None) -> Response:
    form, at = _parse_pick(pick, form, at)
    code, occ = _parse_at(at, visit, occurrence)
    return _entry_page(request, ref, "dosing", form, code, occ)


@router.post("/subjects/{ref}/dosing/enter")
async def dosing_save(request: Request, ref: str) -> Response:
    return await _save_entry(request, ref, "dosing")


# --- tumour ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spider:
    """The spider line drawn on the server: SVG coordinates, ticks and points."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    x_ticks: tuple[tuple[float, str], ...]
    y_ticks: tuple[tuple[float, str], ...]
    path: str
    points: tuple[tuple[float, float, str, str], ...]
    pr_y: float
    pd_y: float
    zero_y: float


def spider_figure(points: tuple[SpiderPoint, ...]) -> Spider | None:
    """% change of the target sum from baseline by week since the first dose, as SVG
    coordinates: the subject's line, the -30 % (PR) and +20 % (PD from nadir, drawn from
    baseline as the usual guide) reference lines."""
    if len(points) < 2:
        return None
    width, height, left, right, top, bottom = 640, 300, 56, 110, 16, 44
    weeks = [p.day / 7 for p in points]
    max_week = max(8.0, math.ceil((max(weeks) + 1) / 8) * 8)
    low = min(-100.0, math.floor(min(p.change_pct for p in points) / 20) * 20)
    high = max(40.0, math.ceil(max(p.change_pct for p in points) / 20) * 20)

    def x(week: float) -> float:
        return round(left + (width - left - right) * max(week, 0) / max_week, 1)

    def y(pct: float) -> float:
        return round(top + (height - top - bottom) * (high - pct) / (high - low), 1)

    step = 8 if max_week <= 48 else 16
    x_ticks = tuple((x(w), str(w)) for w in range(0, int(max_week) + 1, step))
    y_ticks = tuple((y(v), f"{v:+.0f}" if v else "0") for v in range(int(low), int(high) + 1, 20))
    coords = [(x(p.day / 7), y(p.change_pct)) for p in points]
    path = "M " + " L ".join(f"{cx} {cy}" for cx, cy in coords)
    marks = tuple((cx, cy, _num(p.change_pct), "" if i == 0 else p.overall.value)
                  for i, ((cx, cy), p) in enumerate(zip(coords, points, strict=True)))
    return Spider(width, height, left, right, top, bottom, x_ticks, y_ticks, path, marks,
                  y(-30), y(20), y(0))


def _timepoint_why(t: Translator, tp: TimepointResponse) -> str:
    """Why the time point reads as it does: the core's sentence in English; in another
    language the meaning of its code with the numbers it used."""
    if t.language == "en":
        return tp.reason
    parts = [t.code_meaning(tp.code)]
    f = tp.facts
    if f.get("sum_mm") is not None and f.get("baseline_sum_mm") is not None:
        parts.append(t("Sum {sum} mm; baseline {baseline} mm; change from baseline {pct} %; "
                       "nadir {nadir} mm.", sum=_num(_f(f.get("sum_mm"))),
                       baseline=_num(_f(f.get("baseline_sum_mm"))),
                       pct=_num(_f(f.get("change_from_baseline_pct"))),
                       nadir=_num(_f(f.get("nadir_mm")))))
    ids = f.get("lesion_ids")
    if ids:
        parts.append(t("Lesions: {ids}.", ids=", ".join(str(i) for i in _seq(ids))))
    return " ".join(parts)


def _f(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _seq(value: object) -> list[object]:
    return list(value) if isinstance(value, list | tuple) else [value]


@router.get("/subjects/{ref}/tumour")
def tumour(request: Request, ref: str) -> Response:
    web, clinical = _load(request, ref)
    t = t_of(request)
    view = tumour_view(web.ctx, clinical)
    forms = web.forms
    codes = {c.code: c.label.text(t.label_key) for c in forms.code_list("lesion_kind")}
    states = {c.code: c.label.text(t.label_key) for c in forms.code_list("lesion_state")}
    statuses = {c.code: c.label.text(t.label_key) for c in forms.code_list("lesion_status")}
    responses = {c.code: c.label.text(t.label_key) for c in forms.code_list("response")}
    rows = []
    for scan in view.scans:
        tp = view.timepoint_on(scan.measured_on)
        rows.append({"scan": scan, "tp": tp, "why": _timepoint_why(t, tp) if tp else "",
                     "name": visit_name(t, scan.visit_code, scan.occurrence)})
    findings = [{"code": f.code, "meaning": t.code_meaning(f.code),
                 "message": f.message if t.language == "en" else t.code_meaning(f.code),
                 "where": f.field, "severity": f.severity} for f in view.baseline_findings]
    next_ta = 1 + max((s.occurrence for s in view.scans if s.visit_code == "TA"), default=0)
    has_baseline = any(s.visit_code == "SCR" for s in view.scans)
    return render(request, "tumour.html", ref=ref, clinical=clinical, view=view, rows=rows,
                  findings=findings, spider=spider_figure(view.spider), kinds=codes,
                  states=states, statuses=statuses, responses=responses, num=_num,
                  next_ta=next_ta, has_baseline=has_baseline, tab="tumour",
                  saved=_saved_notice(request, t, forms),
                  saved_at=request.query_params.get("at", ""))


# --- labs and adverse events -----------------------------------------------------------------


def _grade_why(t: Translator, grade: LabGrade) -> str:
    if grade.grade == 0:
        return t("Within the limits of this term.")
    if t.language == "en":
        return grade.reason
    criterion = grade.facts.get("criterion")
    if grade.grade and criterion:
        return t("{term} grade {grade}: meets {criterion}.", term=grade.term,
                 grade=int(grade.grade), criterion=str(criterion))
    return t.code_meaning(grade.code)


def _lab_flag_texts(t: Translator) -> dict[str, str]:
    return {
        "worst_case_assumed": t("Worst case assumed (a symptom the value cannot show)."),
        "investigator_must_confirm": t("The investigator must confirm the grade."),
        "baseline_assumed_normal": t("No baseline value: graded against ULN."),
        "baseline_criterion_not_applied": t("A baseline criterion could not be applied."),
        "unit_converted": t("Converted to the unit CTCAE lists before grading."),
    }


def _ae_fields(forms: FormSet, label_lang: str, values: Mapping[str, str],
               errors: Mapping[str, list[str]]) -> list[dict[str, Any]]:
    """The AE entry fields, labelled from the forms file, with values and errors."""
    form = next(f for f in forms.log() if any(g.record is not None
                                              and g.record.type == "AdverseEvent"
                                              for g in f.groups()))
    out = []
    for item_id in AE_ITEMS:
        if not form.has_item(item_id):
            continue
        item = form.item(item_id)
        options = [(c.code, c.label.text(label_lang)) for c in forms.code_list(item.code_list)] \
            if item.code_list else []
        out.append({"id": item_id, "name": f"ae_{item_id}", "label": item.label.text(label_lang),
                    "type": item.type, "multiple": item.multiple, "required": item.required,
                    "options": options, "value": values.get(item_id, ""),
                    "chosen": [v for v in values.get(item_id, "").split(",") if v],
                    "errors": errors.get(item_id, [])})
    return out


def _labs_page(request: Request, ref: str, *, ae_values: Mapping[str, str] | None = None,
               ae_errors: Mapping[str, list[str]] | None = None, ae_form_error: str = "",
               status_code: int = 200) -> Response:
    web, clinical = _load(request, ref)
    t = t_of(request)
    now = dt.datetime.now(dt.UTC)
    view = labs_view(web.ctx, clinical, now=now)
    forms = web.forms
    panels = []
    for panel in view.panels:
        form = forms.form(panel.form_id)
        rows = []
        for row in panel.rows:
            item = form.item(row.item_id)
            grade = row.grade
            rows.append({"row": row, "label": item.label.text(t.label_key), "grade": grade,
                         "why": _grade_why(t, grade) if grade else (
                             row.not_graded if t.language == "en" or not row.not_graded
                             else t("Not graded by CTCAE v5.0 (no term grades this test, or "
                                    "a limit of normal is missing).")),
                         "flags": [f.value for f in grade.flags] if grade else []})
        panels.append({"panel": panel, "title": form.label.text(t.label_key),
                       "visit": visit_name(t, panel.visit_code, panel.occurrence),
                       "rows": rows,
                       "edit": f"/subjects/{ref}/labs/enter?" + urlencode(
                           {"form": panel.form_id, "at": f"{panel.visit_code}."
                                                         f"{panel.occurrence}"})})
    suggestions = []
    for s in view.suggestions:
        change = s.existing is not None
        prefill = {"term": s.term, "grade": str(int(s.grade)),
                   "onset_on": s.observed_on.isoformat(),
                   "verbatim": str(s.facts.get("lab_term") or s.term)}
        if t.language == "en":
            text = s.reason
        elif change:
            text = t("{term} grade {grade} on {visit} ({day}) is above the grade {recorded} "
                     "recorded on the adverse event that day.", term=s.term,
                     grade=int(s.grade), visit=s.visit or "", day=s.observed_on,
                     recorded=s.facts.get("recorded_grade"))
        else:
            text = t("{term} grade {grade} on {visit} ({day}) has no adverse event recorded.",
                     term=s.term, grade=int(s.grade), visit=s.visit or "", day=s.observed_on)
        suggestions.append({
            "s": s, "text": text, "change": change,
            "href": f"/subjects/{ref}/forms/adverse_events" if change
            else f"/subjects/{ref}/labs?" + urlencode(prefill) + "#ae-entry"})
    values = dict(ae_values) if ae_values is not None else {
        k: request.query_params[k] for k in ("term", "grade", "onset_on", "verbatim")
        if k in request.query_params}
    if "serious" not in values and ae_values is None:
        values["serious"] = "no"
    lab_form_choices = [(f.id, f.label.text(t.label_key)) for f in lab_forms(forms)]
    enter_choices = {f: _visit_choices(forms, clinical, f, t) for f, _ in lab_form_choices}
    first = lab_form_choices[0][0] if lab_form_choices else ""
    suggested = f"{first}|{_next_choice(clinical, first, enter_choices.get(first, []))}"
    codes = {name: {c.code: c.label.text(t.label_key) for c in forms.code_list(name)}
             for name in ("ae_grade", "relationship", "action_taken", "ae_outcome",
                          "serious_criteria", "yes_no")}
    return render(request, "labs.html", status_code=status_code, ref=ref, clinical=clinical,
                  view=view, panels=panels, suggestions=suggestions, tab="labs",
                  ae_fields=_ae_fields(forms, t.label_key, values, ae_errors or {}),
                  ae_form_error=ae_form_error, terms=ae_terms(), codes=codes, num=_num,
                  flag_texts=_lab_flag_texts(t), lab_form_choices=lab_form_choices,
                  enter_choices=enter_choices, now=now, suggested=suggested,
                  hours=web.ctx.sae_report_within_hours,
                  saved=_saved_notice(request, t, forms),
                  prefilled=bool(request.query_params.get("term")))


@router.get("/subjects/{ref}/labs")
def labs(request: Request, ref: str) -> Response:
    return _labs_page(request, ref)


def _check_ae(values: dict[str, str], t: Translator) -> dict[str, list[str]]:
    """The page's own checks of an AE before the form's: the term is a CTCAE v5.0 term
    (spelled as CTCAE spells it) and has the grade given; seriousness agrees with its
    criteria."""
    errors: dict[str, list[str]] = {}
    term = values.get("term", "")
    if term:
        try:
            entry = bundled_dictionary()[term]
        except UnknownTermError as exc:
            close = ", ".join(exc.suggestions)
            errors.setdefault("term", []).append(
                t("{term} is not a CTCAE v5.0 term. Choose a term from the list.", term=term)
                + (" " + t("Did you mean: {terms}?", terms=close) if close else ""))
        else:
            values["term"] = entry.term
            grade = values.get("grade", "")
            if grade.isdigit() and not entry.allows(int(grade)):
                errors.setdefault("grade", []).append(t(
                    "{term} has no grade {grade} in CTCAE v5.0; its grades are {grades}.",
                    term=entry.term, grade=grade,
                    grades=", ".join(str(g) for g in entry.allowed_grades)))
    if values.get("serious") == "no" and values.get("serious_criteria"):
        errors.setdefault("serious", []).append(t(
            "Seriousness criteria are ticked but the event is marked not serious."))
    return errors


@router.post("/subjects/{ref}/labs/ae")
async def labs_report_ae(request: Request, ref: str) -> Response:
    info = page(request)
    posted = await request.form()
    check_csrf(request, str(posted.get("csrf_token", "")))
    web = state(request)
    t = t_of(request)
    values: dict[str, str] = {}
    for item_id in AE_ITEMS:
        given = [str(v).strip() for v in posted.getlist(f"ae_{item_id}") if str(v).strip()]
        if given:
            values[item_id] = ",".join(given)
    errors = _check_ae(values, t)
    if errors:
        return _labs_page(request, ref, ae_values=values, ae_errors=errors, status_code=422)
    clinical = load_subject_clinical(web.db, info.actor, web.ctx, ref)
    view = labs_view(web.ctx, clinical, now=dt.datetime.now(dt.UTC))
    stored = view.ae_form
    group = "events"
    data: dict[Key, Entry] = dict(stored.data) if stored else {}
    row = 1 + max((r for (g, r, _) in data if g == group), default=0)
    for item_id, value in values.items():
        data[(group, row, item_id)] = Entry(value)
    form = next(f for f in web.forms.log() if any(g.id == group for g in f.groups()))
    try:
        report_ae(web.db, info.actor, web.ctx, ref, data,
                  expected_version=stored.version if stored else None,
                  reason=f"adverse event added: {values.get('term', '')}" if stored else "")
    except FormRejected as exc:
        mine = localise_findings(form, exc.findings, t.label_key)
        for f in mine:
            if f.key is not None and f.key[0] == group and f.key[1] == row:
                errors.setdefault(f.key[2], []).append(f"{f.message} {f.hint}".strip())
        other = [f.message for f in mine if f.key is None or f.key[1] != row]
        return _labs_page(request, ref, ae_values=values, ae_errors=errors, status_code=422,
                          ae_form_error=" ".join(other))
    except ConflictError:
        return _labs_page(request, ref, ae_values=values, status_code=409, ae_form_error=t(
            "Someone else saved the adverse events after you opened the page; nothing was "
            "overwritten. Submit again to add this event."))
    return redirect(f"/subjects/{ref}/labs?saved=ae#events")


# --- dosing ----------------------------------------------------------------------------------


def _actions(t: Translator) -> dict[str, str]:
    return {
        "start": t("Start the cycle"), "continue": t("Continue"), "adjust": t("Adjust the dose"),
        "hold": t("Hold the drug"), "resume_same_dose": t("Resume at the same dose"),
        "resume_reduced": t("Resume one dose level lower"),
        "investigator_decision": t("Investigator decides the restart"),
        "discontinue": t("Discontinue permanently"),
    }


def _dose_flags(t: Translator) -> dict[str, str]:
    return {
        "consider_dose_reduction": t("Consider a dose reduction."),
        "blood_count_recheck_due": t("A blood count re-check is due."),
        "blood_count_recheck_missed": t("The blood count re-check was missed."),
        "cbc_needed": t("A blood count is needed before deciding."),
        "investigator_decision": t("The investigator decides."),
        "applied_by_analogy": t("Rule applied by analogy (the label is silent on this day)."),
        "febrile_neutropenia_ae": t("Record febrile neutropenia as an adverse event."),
        "temperature_needed": t("Record the temperature."),
        "treat_then_reassess": t("Treat, then reassess."),
        "interacting_drug_dose": t("Dose capped for an interacting drug."),
        "half_life_needed": t("Record the interacting drug's half-life."),
        "toxicity_on_interacting_drug": t("Toxicity while on an interacting drug."),
        "interacting_drug_alert": t("Interacting drug: see the protocol."),
        "child_pugh_changed": t("The Child-Pugh class changed."),
        "hepatic_impairment": t("Dose capped for hepatic impairment."),
    }


def _date_param(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _int_param(text: str | None, low: int, high: int) -> int | None:
    if text and text.isdigit() and low <= int(text) <= high:
        return int(text)
    return None


@router.get("/subjects/{ref}/dosing")
def dosing(request: Request, ref: str) -> Response:
    web, clinical = _load(request, ref)
    t = t_of(request)
    forms = web.forms
    params = request.query_params
    on = _date_param(params.get("on")) or dt.date.today()
    rules = web.ctx.dose_rules
    cycle = _int_param(params.get("cycle"), 1, 99)
    day = _int_param(params.get("day"), 1, rules.cycle_length_days)
    bad_input = []
    if params.get("on") and _date_param(params.get("on")) is None:
        bad_input.append(t("The date must be written YYYY-MM-DD."))
    if (params.get("cycle") or params.get("day")) and (cycle is None or day is None):
        bad_input.append(t("Give both the cycle (1 or more) and the day (1 to {n}).",
                           n=rules.cycle_length_days))
    view = dosing_view(web.ctx, clinical, on=on, cycle=cycle if day else None,
                       cycle_day=day if cycle else None)
    rec = view.recommendation
    why = ""
    if rec is not None:
        why = rec.reason if t.language == "en" else " ".join(filter(None, [
            t.code_meaning(rec.code),
            t("Rule: {rule}.", rule=rec.facts.get("rule")) if rec.facts.get("rule") else "",
            t("Worst blood-count grade: {grade}.",
              grade=rec.facts.get("worst_haematological_grade"))
            if rec.facts.get("worst_haematological_grade") is not None else ""]))
    cbc_rows = []
    if view.cbc is not None:
        for term, grade in view.cbc.grades.items():
            cbc_rows.append({"term": term.value, "grade": int(grade)})
    code_labels = {name: {c.code: c.label.text(t.label_key) for c in forms.code_list(name)}
                   for name in ("daily_dose_mg", "dose_change_reason", "capsule_strength_mg")}
    diary = []
    for stored in view.diary:
        rows = sorted({r for (g, r, _) in stored.data if g})
        for r in rows:
            def v(item: str, stored: Any = stored, r: int = r) -> str:
                entry = stored.data.get(("doses", r, item))
                return (entry.value or "") if entry else ""
            diary.append({"visit": visit_name(t, stored.visit_code or "", stored.occurrence),
                          "start": v("start_on"), "end": v("end_on"),
                          "dose": code_labels["daily_dose_mg"].get(v("daily_dose_mg"),
                                                                   v("daily_dose_mg")),
                          "reason": code_labels["dose_change_reason"].get(
                              v("change_reason"), v("change_reason")),
                          "comment": v("comment"),
                          "edit": f"/subjects/{ref}/dosing/enter?" + urlencode(
                              {"form": "dosing", "at": f"{stored.visit_code}."
                                                       f"{stored.occurrence}"})})
    accountability = []
    for stored in view.accountability:
        def a(item: str, stored: Any = stored) -> str:
            entry = stored.data.get(("", 0, item))
            return (entry.value or "") if entry else ""
        accountability.append({
            "visit": visit_name(t, stored.visit_code or "", stored.occurrence),
            "kit": a("kit_number"),
            "strength": code_labels["capsule_strength_mg"].get(a("capsule_strength_mg"),
                                                               a("capsule_strength_mg")),
            "dispensed_on": a("dispensed_on"), "dispensed": a("capsules_dispensed"),
            "returned_on": a("returned_on"), "returned": a("capsules_returned"),
            "lost": a("capsules_lost"), "comment": a("compliance_comment"),
            "edit": f"/subjects/{ref}/dosing/enter?" + urlencode(
                {"form": "capsule_accountability",
                 "at": f"{stored.visit_code}.{stored.occurrence}"})})
    enter_choices = {f: _visit_choices(forms, clinical, f, t) for f in DOSING_FORMS}
    suggested = f"dosing|{_next_choice(clinical, 'dosing', enter_choices['dosing'])}"
    history = [{"on": h.facts.get("assessed_on"), "cycle": h.facts.get("cycle"),
                "day": h.facts.get("cycle_day"), "code": h.code,
                "action": _actions(t).get(h.action.value, h.action.value),
                "dose": h.dose_mg} for h in view.history]
    return render(request, "dosing.html", ref=ref, clinical=clinical, view=view, rec=rec,
                  why=why, actions=_actions(t), flag_texts=_dose_flags(t), cbc_rows=cbc_rows,
                  diary=diary, accountability=accountability, enter_choices=enter_choices,
                  form_labels={f: forms.form(f).label.text(t.label_key) for f in DOSING_FORMS},
                  history=history, on=on, bad_input=bad_input, tab="dosing",
                  suggested=suggested,
                  cycle_days=rules.cycle_length_days,
                  saved=_saved_notice(request, t, forms))
