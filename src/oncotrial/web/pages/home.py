"""Home: what needs doing today (enrolment, screening log, visits due, queries, SAEs,
signatures), each item linking to the subject or the form where it is done.

Every list comes from :mod:`oncotrial.services.dashboard` or the workflow services, which check
the user's roles and sites themselves: a research coordinator sees the subjects of their site,
a statistician only the enrolment count. The helpers :func:`subject_href`, :func:`form_href`,
:func:`form_label` and :func:`visit_label` are shared by the monitoring page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from oncotrial.context import TrialContext
from oncotrial.forms import FormSet
from oncotrial.forms.model import ItemDef
from oncotrial.services import PermissionDenied, list_queries
from oncotrial.services.access import now_utc
from oncotrial.services.dashboard import (
    database_state,
    enrolment_count,
    sae_clock,
    screening_log,
    signatures_due,
    visits_due,
)
from oncotrial.web.deps import may, page, render, roles_of, state, t_of

__all__ = ["criterion_titles", "form_href", "form_label", "iso_minutes", "item_label",
           "router", "split_item_ref", "split_visit_ref", "subject_href", "value_text",
           "visit_label"]

router = APIRouter(include_in_schema=False)

#: How many of the oldest open queries the home page lists.
OLDEST_QUERIES = 5


def subject_href(ref: str) -> str:
    """The subject page of ``ref`` (subject id or screening number).

    >>> subject_href("HCH-001")
    '/subjects/HCH-001'
    """
    return f"/subjects/{quote(ref, safe='')}"


def form_href(ref: str, form_id: str, visit: str | None = None, occurrence: int = 1) -> str:
    """The page of one form of a subject (a log form has no visit).

    >>> form_href("HCH-001", "tumour_response", "TA", 3)
    '/subjects/HCH-001/forms/tumour_response?visit=TA&occurrence=3'
    >>> form_href("HCH-001", "adverse_events")
    '/subjects/HCH-001/forms/adverse_events'
    """
    base = f"{subject_href(ref)}/forms/{quote(form_id, safe='')}"
    if not visit:
        return base
    return f"{base}?{urlencode({'visit': visit, 'occurrence': occurrence})}"


def split_visit_ref(ref: str) -> tuple[str | None, int]:
    """A visit as the audit trail names it (``TA.3``) as (code, occurrence).

    >>> split_visit_ref("TA.3"), split_visit_ref("C1D1"), split_visit_ref("")
    (('TA', 3), ('C1D1', 1), (None, 1))
    """
    if not ref:
        return None, 1
    code, dot, number = ref.rpartition(".")
    return (code, int(number)) if dot and number.isdigit() else (ref, 1)


def visit_label(code: str | None, occurrence: int = 1) -> str:
    """``TA #3`` for the third tumour assessment; ``C1D1``; empty for a log form."""
    if not code:
        return ""
    return code if occurrence == 1 else f"{code} #{occurrence}"


def form_label(forms: FormSet, form_id: str, label_lang: str) -> str:
    """The form's title in the page's language (its id when the forms file lacks it)."""
    try:
        return forms.form(form_id).label.text(label_lang)
    except Exception:  # an unknown form id: show the id rather than fail the page
        return form_id


def _item(forms: FormSet, form_id: str, item_id: str) -> ItemDef | None:
    try:
        return forms.form(form_id).item(item_id)
    except Exception:  # an unknown form or item: the caller shows the id
        return None


def split_item_ref(ref: str) -> tuple[str, int, str]:
    """An item as the audit trail names it, as its key (group, row, item).

    >>> split_item_ref("doses[2].start_on"), split_item_ref("anc")
    (('doses', 2, 'start_on'), ('', 0, 'anc'))
    """
    head, bracket, rest = ref.partition("[")
    if not bracket:
        return "", 0, ref
    row, _, item = rest.partition("].")
    return head, int(row) if row.isdigit() else 0, item


def item_label(forms: FormSet, form_id: str, key: tuple[str, int, str] | str,
               label_lang: str) -> str:
    """An item's label in the page's language, with its group and row (``Doses #2 · Start
    date``); the stored reference when the forms file does not know it."""
    group_id, row, item_id = split_item_ref(key) if isinstance(key, str) else key
    item = _item(forms, form_id, item_id)
    if item is None:
        return key if isinstance(key, str) else f"{group_id}[{row}].{item_id}"
    text = item.label.text(label_lang)
    if not group_id:
        return text
    groups = [g for g in forms.form(form_id).groups() if g.id == group_id]
    group = groups[0].label.text(label_lang) if groups else group_id
    return f"{group} #{row} · {text}"


def value_text(forms: FormSet, form_id: str, item_id: str, value: str | None,
               label_lang: str) -> str:
    """A stored answer as the page shows it: a code by its label in the page's language."""
    if value is None:
        return ""
    item = _item(forms, form_id, item_id)
    if item is None or not item.code_list:
        return value
    try:
        labels = {c.code: c.zh if label_lang.startswith("zh") else c.en
                  for c in forms.code_list(item.code_list)}
    except Exception:  # an unknown code list: the codes as stored
        return value
    return ", ".join(labels.get(part, part) for part in value.split(","))


def criterion_titles(ctx: TrialContext, lang: str) -> dict[str, str]:
    """Criterion id -> title in ``lang`` (English when no translation is given)."""
    out = {}
    criteria = ctx.protocol.criteria
    for criterion in [*criteria.inclusion, *criteria.exclusion]:
        translated = criterion.translations.get(lang) if lang != "en" else None
        out[criterion.id] = translated.title if translated is not None else criterion.title
    return out


def iso_minutes(moment: datetime | None) -> str:
    """A time as ISO 8601 to the minute with its UTC offset; empty for None."""
    return "" if moment is None else moment.isoformat(timespec="minutes")


@router.get("/")
def home(request: Request) -> Response:
    info = page(request)
    web = state(request)
    t = t_of(request)
    actor, ctx = info.actor, web.ctx
    roles = roles_of(request, actor)
    try:
        enrolment = enrolment_count(web.db, actor, ctx)
        locked = database_state(web.db, actor, ctx)
    except PermissionDenied:
        return render(request, "home.html", no_role=True, enrolment=None, locked=None,
                      sees_subjects=False)
    values: dict[str, Any] = {}
    sees_subjects = may(roles, "view")
    if sees_subjects:
        open_queries = list_queries(web.db, actor, ctx, status="open",
                                    page_size=OLDEST_QUERIES)
        answered = list_queries(web.db, actor, ctx, status="answered", page_size=1)
        values = {
            "log": screening_log(web.db, actor, ctx),
            "visits": visits_due(web.db, actor, ctx),
            "open_queries": open_queries,
            "answered_total": answered.total,
            "saes": sae_clock(web.db, actor, ctx, now=now_utc()),
            "signatures": signatures_due(web.db, actor, ctx),
        }
    return render(request, "home.html", no_role=False, enrolment=enrolment, locked=locked,
                  sees_subjects=sees_subjects, may_sign=may(roles, "sign_form"),
                  may_results=may(roles, "export"), may_screen=may(roles, "screen"),
                  titles=criterion_titles(ctx, t.language),
                  forms=web.forms, subject_href=subject_href, form_href=form_href,
                  split_visit_ref=split_visit_ref, visit_label=visit_label,
                  item_label=item_label,
                  form_label=form_label, iso=iso_minutes,
                  sae_hours=ctx.sae_report_within_hours, **values)
