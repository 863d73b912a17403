"""Subjects: list, register, screen, enrol, visits, withdrawal, close-out and the casebook.

A subject is named in paths by its subject id (``HCH-001``) once enrolled, or its screening
number (``S-001``). A subject of a site where the caller holds no role is refused with 403
``permission_denied`` (as the services refuse it); a reference that names no subject is 404.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field

from oncotrial.forms import nested_data
from oncotrial.records import to_plain
from oncotrial.services import (
    close_out,
    enrol,
    list_subjects,
    load_casebook,
    record_visit,
    register_subject,
    screen_subject,
    withdraw,
)
from oncotrial.services.access import as_utc
from oncotrial.services.api import subject_summary
from oncotrial.web.api._common import (
    PLAIN,
    SOME,
    Reader,
    Reason,
    SignatureOut,
    SubjectOut,
    Writer,
    item_text,
    problems,
)
from oncotrial.web.deps import state
from oncotrial.web.i18n import translator

router = APIRouter(tags=["subjects"])

SubjectRef = Annotated[str, Path(min_length=1, max_length=40, pattern=PLAIN,
                                 examples=["S-001", "HCH-001"],
                                 description="Subject id (HCH-001) or screening number.")]


class SubjectIn(BaseModel):
    """A patient registered for screening; identifying details are kept apart from the
    trial data and shown only to site staff."""

    site: str = Field(min_length=1, max_length=20, pattern=SOME, description="Site code, e.g. HCH.")
    screening_number: str = Field(min_length=1, max_length=40, pattern=SOME,
                                  description="From the screening log, e.g. S-001.")
    full_name: str = Field(default="", max_length=200, pattern=PLAIN)
    initials: str = Field(default="", max_length=10, pattern=PLAIN)
    birth_date: date | None = None
    hospital_number: str = Field(default="", max_length=60, pattern=PLAIN)


@router.get("/subjects", response_model=list[SubjectOut], responses=problems())
def subjects(request: Request, info: Reader) -> list[SubjectOut]:
    """The subjects the caller may see: site staff their sites' subjects; statisticians the
    pseudonyms of all."""
    web = state(request)
    return [SubjectOut.of(s) for s in list_subjects(web.db, info.actor, web.ctx)]


@router.post("/subjects", status_code=201, response_model=SubjectOut,
             responses=problems(400, 404))
def register(request: Request, info: Writer, body: SubjectIn) -> SubjectOut:
    """Register a patient for screening (roles with ``register`` at the site)."""
    web = state(request)
    number = register_subject(web.db, info.actor, web.ctx, site=body.site,
                              screening_number=body.screening_number,
                              full_name=body.full_name, initials=body.initials,
                              birth_date=body.birth_date, hospital_number=body.hospital_number)
    return SubjectOut.of(subject_summary(web.db, info.actor, web.ctx, number))


@router.get("/subjects/{ref}", response_model=SubjectOut, responses=problems(404))
def subject(request: Request, info: Reader, ref: SubjectRef) -> SubjectOut:
    """One subject's summary."""
    web = state(request)
    return SubjectOut.of(subject_summary(web.db, info.actor, web.ctx, ref))


# --------------------------------------------------------------------------- screening


class ScreeningIn(BaseModel):
    on: date = Field(description="The screening date: windows are counted back from it.")


class CriterionOut(BaseModel):
    """The verdict on one criterion: status, result code, the sentence with the value, the
    threshold and the date, and the facts the rule read."""

    id: str = Field(description="I1..In, E1..En.")
    title: str = Field(description="In the caller's language where translated.")
    kind: str
    status: str = Field(description="met, not_met, missing or needs_investigator.")
    code: str = Field(description="Result code, e.g. I11.not_met.anc_below_min.")
    meaning: str = Field(description="What the code means, in the caller's language.")
    reason: str
    facts: dict[str, Any]
    missing: list[str] = Field(description="Record entries to fill in (status missing).")
    warnings: list[str]


class ScreeningOut(BaseModel):
    """The checklist of every criterion and the answer."""

    subject: str
    protocol: str
    on: date
    first_dose_on: date
    status: str = Field(description="eligible, not_eligible or incomplete.")
    code: str
    reason: str
    counts: dict[str, Any] = Field(description="Verdicts by status.")
    criteria: list[CriterionOut]


@router.post("/subjects/{ref}/screening", response_model=ScreeningOut,
             responses=problems(400, 404, 409))
def screening(request: Request, info: Writer, ref: SubjectRef, body: ScreeningIn
              ) -> ScreeningOut:
    """Screen the subject on a date from the stored screening forms (audited as an
    eligibility decision)."""
    web = state(request)
    result = screen_subject(web.db, info.actor, web.ctx, ref, on=body.on)
    t = translator(info.language)
    titles = {c.id: c for c in web.ctx.protocol.criteria.all()}
    criteria = []
    for verdict in result.verdicts.values():
        criterion = titles.get(verdict.criterion_id)
        title = verdict.title
        if criterion is not None and info.language in criterion.translations:
            title = criterion.translations[info.language].title
        criteria.append(CriterionOut(
            id=verdict.criterion_id, title=title, kind=verdict.kind, status=str(verdict.status),
            code=verdict.code, meaning=t.code_meaning(verdict.code), reason=verdict.reason,
            facts=to_plain(dict(verdict.facts)), missing=list(verdict.missing),
            warnings=list(verdict.warnings)))
    return ScreeningOut(subject=result.subject_id, protocol=result.protocol_id, on=result.on,
                        first_dose_on=result.first_dose_on, status=str(result.status),
                        code=result.code, reason=result.reason,
                        counts=to_plain(dict(result.facts)), criteria=criteria)


# --------------------------------------------------------------------------- enrolment


class EnrolmentIn(BaseModel):
    enrolled_on: date
    over_enrolment_reason: str | None = Field(
        default=None, max_length=2000, pattern=PLAIN,
        description="Only beyond the protocol's target, and only for an administrator.")


class EnrolmentOut(BaseModel):
    subject_id: str = Field(description="The subject id given, e.g. HCH-001.")
    enrolled_on: date
    enrolled_count: int
    target: int
    over_enrolment_reason: str | None


@router.post("/subjects/{ref}/enrolment", status_code=201, response_model=EnrolmentOut,
             responses=problems(400, 404, 409))
def enrolment(request: Request, info: Writer, ref: SubjectRef, body: EnrolmentIn
              ) -> EnrolmentOut:
    """Enrol an eligible subject (every criterion met on the date) and give the subject id."""
    web = state(request)
    done = enrol(web.db, info.actor, web.ctx, ref, enrolled_on=body.enrolled_on,
                 over_enrolment_reason=body.over_enrolment_reason)
    return EnrolmentOut(subject_id=done.subject_id, enrolled_on=done.enrolled_on,
                        enrolled_count=done.enrolled_count, target=done.target,
                        over_enrolment_reason=done.over_enrolment_reason)


# --------------------------------------------------------------------------- visits


class VisitIn(BaseModel):
    code: str = Field(min_length=1, max_length=20, pattern=PLAIN,
                      description="Visit code, e.g. C1D1, TA.")
    actual_on: date
    occurrence: int = Field(default=1, ge=1, le=999)
    reason: str = Field(default="", max_length=2000, pattern=PLAIN,
                        description="Needed to correct a date already saved.")


class VisitOut(BaseModel):
    code: str
    occurrence: int
    actual_on: date
    window_start_on: date | None
    window_end_on: date | None
    out_of_window: bool


@router.post("/subjects/{ref}/visits", response_model=VisitOut,
             responses=problems(400, 404, 409))
def visit(request: Request, info: Writer, ref: SubjectRef, body: VisitIn) -> VisitOut:
    """Record (or correct, with a reason) the date a visit took place."""
    web = state(request)
    done = record_visit(web.db, info.actor, web.ctx, ref, body.code, actual_on=body.actual_on,
                        occurrence=body.occurrence, reason=body.reason)
    return VisitOut(code=done.code, occurrence=done.occurrence, actual_on=done.actual_on,
                    window_start_on=done.window_start_on, window_end_on=done.window_end_on,
                    out_of_window=done.out_of_window)


@router.post("/subjects/{ref}/withdrawal", response_model=SubjectOut,
             responses=problems(400, 404, 409))
def withdrawal(request: Request, info: Writer, ref: SubjectRef, body: Reason) -> SubjectOut:
    """Withdraw the subject (data are kept)."""
    web = state(request)
    return SubjectOut.of(withdraw(web.db, info.actor, web.ctx, ref, reason=body.reason))


@router.post("/subjects/{ref}/close-out", response_model=SubjectOut,
             responses=problems(400, 404, 409))
def close(request: Request, info: Writer, ref: SubjectRef, body: Reason) -> SubjectOut:
    """Close the subject's participation (off study)."""
    web = state(request)
    return SubjectOut.of(close_out(web.db, info.actor, web.ctx, ref, reason=body.reason))


# --------------------------------------------------------------------------- casebook


class CasebookFormOut(BaseModel):
    form_instance_id: int
    form_id: str
    visit: str = Field(description="Visit reference (TA.3 for the third TA), empty for a log "
                                   "form.")
    visit_on: date | None
    version: int
    status: str
    locked: bool
    saved_at: datetime | None
    saved_by: str | None
    values: dict[str, Any] = Field(description="Item id -> answer (a value, or {value, unit, "
                                               "lln, uln}); group id -> list of rows.")
    verified: list[str] = Field(description="Items source-data verified at their value.")
    open_queries: int


class CasebookOut(BaseModel):
    subject: str
    pseudonymised: bool
    status: str
    enrolled_on: date | None
    forms: list[CasebookFormOut]
    signatures: list[SignatureOut]


@router.get("/subjects/{ref}/casebook", response_model=CasebookOut, responses=problems(404))
def casebook(request: Request, info: Reader, ref: SubjectRef) -> CasebookOut:
    """Everything stored for the subject in one read (statisticians: pseudonymised)."""
    web = state(request)
    book = load_casebook(web.db, info.actor, web.ctx, ref)
    return CasebookOut(
        subject=book.subject, pseudonymised=book.pseudonymised, status=book.status,
        enrolled_on=book.enrolled_on,
        forms=[CasebookFormOut(
            form_instance_id=f.form_instance_id, form_id=f.form_id, visit=f.visit,
            visit_on=f.visit_on, version=f.version, status=f.status, locked=f.locked,
            saved_at=as_utc(f.saved_at), saved_by=f.saved_by, values=nested_data(f.values),
            verified=sorted(item_text(k) for k in f.verified), open_queries=f.open_queries)
            for f in book.forms],
        signatures=[SignatureOut.of(s) for s in book.signatures])
