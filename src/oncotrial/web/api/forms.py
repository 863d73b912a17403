"""One form of one subject: read it with its version, save it, and read an item's audit trail.

Values are nested as in :func:`oncotrial.forms.nested_data`: item id -> answer (a value, or
``{value, unit, lln, uln}`` for a lab result), group id -> list of rows. A save sends the
version it edited (``expected_version``; 0 or null for a form never saved): when someone saved
in between, nothing is written and the answer is 409 ``conflict``. A form that fails its checks
is 422 ``form_rejected`` with every finding in ``errors`` (field, value, code, message, hint);
nothing is saved.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from oncotrial.forms import nested_data
from oncotrial.services import FormRejected, save_form
from oncotrial.services.access import as_utc
from oncotrial.services.api import find_form, form_values, item_history
from oncotrial.services.lookup import as_form_data
from oncotrial.web.api._common import (
    ITEM_PATTERN,
    PLAIN,
    Reader,
    Writer,
    check_no_nul,
    item_key,
    item_text,
    problems,
)
from oncotrial.web.api.subjects import SubjectRef
from oncotrial.web.deps import state
from oncotrial.web.problems import Problem, ProblemItem, problem_response

router = APIRouter(tags=["forms"])

FormId = Annotated[str, Path(min_length=1, max_length=60, pattern=PLAIN, examples=["vital_signs"],
                             description="Form id, e.g. vital_signs.")]
VisitCode = Annotated[str | None, Query(
    min_length=1, max_length=20, pattern=PLAIN, examples=["SCR"],
    description="Visit code (SCR, C1D1, TA...); omit for a log form (adverse_events...).")]
Occurrence = Annotated[int, Query(ge=1, le=999, description="Which occurrence of a repeated "
                                                           "visit (TA: 1, 2, 3...).")]


class FormOut(BaseModel):
    """A form as stored: version 0, status ``new`` and no values when never saved."""

    subject: str
    form_id: str
    visit: str | None
    occurrence: int
    visit_on: date | None
    form_instance_id: int | None
    version: int = Field(description="Send it back as expected_version when saving.")
    status: str
    locked: bool
    saved_at: datetime | None
    saved_by: str | None
    values: dict[str, Any]


class FormSave(BaseModel):
    """The whole form as it should be after the save (items left out are cleared)."""

    values: dict[str, Any] = Field(description="Item id -> answer; group id -> list of rows.")
    expected_version: int | None = Field(
        default=None, ge=0, description="The version you edited (0 or null: a new form).")
    reason: str = Field(default="", max_length=2000, pattern=PLAIN,
                        description="Needed to change a form already saved (the audit trail "
                                    "keeps it).")


class FindingOut(BaseModel):
    item: str | None
    code: str
    message: str
    hint: str


class SavedOut(BaseModel):
    form_instance_id: int
    form_id: str
    version: int
    changed_items: list[str]
    warnings: list[FindingOut] = Field(description="Saved anyway; each raised a query.")
    queries_raised: int
    signatures_invalidated: int
    sdv_reset: int


@router.get("/subjects/{ref}/forms/{form_id}", response_model=FormOut,
            responses=problems(404))
def read_form(request: Request, info: Reader, ref: SubjectRef, form_id: FormId,
              visit: VisitCode = None, occurrence: Occurrence = 1) -> FormOut:
    """The stored values and version of one form of a subject."""
    web = state(request)
    got = form_values(web.db, info.actor, web.ctx, ref, form_id, visit=visit,
                      occurrence=occurrence)
    return FormOut(subject=got.subject, form_id=got.form_id, visit=got.visit,
                   occurrence=got.occurrence, visit_on=got.visit_on,
                   form_instance_id=got.form_instance_id, version=got.version,
                   status=got.status, locked=got.locked, saved_at=as_utc(got.saved_at),
                   saved_by=got.saved_by, values=nested_data(got.values))


def _rejected(exc: FormRejected, values: dict[str, Any]) -> JSONResponse:
    posted = as_form_data(values)
    items = []
    for finding in exc.findings:
        entry = posted.get(finding.key) if finding.key else None
        items.append(ProblemItem(field=item_text(finding.key) if finding.key else None,
                                 value=None if entry is None else entry.value,
                                 code=finding.code, message=finding.message,
                                 hint=finding.hint or None))
    first = items[0] if items else None
    return problem_response(Problem(
        type="/api/v1/problems/form_rejected", title="The form was not saved", status=422,
        detail=exc.message, code="form_rejected", field=first.field if first else None,
        value=first.value if first else None, hint=exc.hint, errors=items))


@router.put("/subjects/{ref}/forms/{form_id}", response_model=SavedOut,
            responses=problems(400, 404, 409))
def save(request: Request, info: Writer, ref: SubjectRef, form_id: FormId, body: FormSave,
         visit: VisitCode = None, occurrence: Occurrence = 1) -> Any:
    """Enter or correct the form; one transaction with its audit rows."""
    web = state(request)
    find_form(web.forms, form_id, visit)  # 404 for an unknown form, before the checks
    check_no_nul(body.values)
    try:
        saved = save_form(web.db, info.actor, web.ctx, ref, form_id, body.values, visit=visit,
                          occurrence=occurrence, expected_version=body.expected_version,
                          reason=body.reason)
    except FormRejected as exc:
        return _rejected(exc, body.values)
    return SavedOut(
        form_instance_id=saved.form_instance_id, form_id=saved.form_id, version=saved.version,
        changed_items=list(saved.changed_items),
        warnings=[FindingOut(item=item_text(w.key) if w.key else None, code=w.code,
                             message=w.message, hint=w.hint) for w in saved.warnings],
        queries_raised=saved.queries_raised,
        signatures_invalidated=saved.signatures_invalidated, sdv_reset=saved.sdv_reset)


class AuditEntryOut(BaseModel):
    id: int
    at: str = Field(description="UTC time of the database server, ISO 8601.")
    user_id: str
    user_name: str
    action: str = Field(description="insert, update, delete, or a workflow event (sdv_set, "
                                    "query_opened...).")
    table: str
    old_value: str | None
    new_value: str | None
    reason: str


@router.get("/subjects/{ref}/forms/{form_id}/history", response_model=list[AuditEntryOut],
            responses=problems(404))
def history(request: Request, info: Reader, ref: SubjectRef, form_id: FormId,
            item: Annotated[str, Query(max_length=140, pattern=f"^{ITEM_PATTERN}$",
                                       description="anc, or lesions[2].diameter_mm.")],
            visit: VisitCode = None, occurrence: Occurrence = 1) -> list[AuditEntryOut]:
    """The audit trail of one item, oldest first (roles with ``view_audit``)."""
    web = state(request)
    rows = item_history(web.db, info.actor, web.ctx, ref, form_id, item_text(item_key(item)),
                        visit=visit, occurrence=occurrence)
    return [AuditEntryOut(id=r.id, at=r.at, user_id=r.user_id, user_name=r.user_name,
                          action=r.action, table=r.table, old_value=r.old_value,
                          new_value=r.new_value, reason=r.reason) for r in rows]
