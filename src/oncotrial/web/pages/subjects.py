"""Subjects: the list of subjects the user may see, and registering a patient for screening.

``GET /subjects`` lists screening number, subject id, status, site, consent and enrolment
dates (a statistician sees pseudonyms only, as :func:`oncotrial.services.list_subjects` gives
them), each linking to the subject's casebook ``/subjects/{ref}``. Users who may register
patients get the form ``POST /subjects`` (:func:`oncotrial.services.register_subject`); a
registered patient goes straight to the screening page, where consent comes first.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from oncotrial.errors import InputError
from oncotrial.services import NotFoundError, list_subjects, register_subject
from oncotrial.services.screening_view import register_sites
from oncotrial.web.deps import check_csrf, may, page, redirect, render, roles_of, state, t_of
from oncotrial.web.pages.screening import screening_url, status_label

router = APIRouter(include_in_schema=False)

#: The fields of the registration form, in page order.
FIELDS = ("screening_number", "site", "initials", "full_name", "birth_date", "hospital_number")


def _subjects_page(request: Request, *, values: dict[str, str] | None = None,
                   errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    info = page(request)
    web = state(request)
    t = t_of(request)
    subjects = list_subjects(web.db, info.actor, web.ctx)
    roles = roles_of(request, info.actor)
    sites = register_sites(web.db, info.actor) if may(roles, "register") else []
    shown = dict.fromkeys(FIELDS, "")
    if len(sites) == 1:
        shown["site"] = sites[0]
    shown.update(values or {})
    return render(request, "subjects.html", status_code=status_code, subjects=subjects,
                  pseudonymised=bool(subjects) and all(not s.screening_number
                                                       for s in subjects),
                  sites=sites, values=shown, errors=errors or {},
                  status_label=lambda s: status_label(t, s), may_screen=may(roles, "screen"),
                  enrolled=sum(1 for s in subjects if s.enrolled_on is not None),
                  target=web.ctx.protocol.enrolment.target)


@router.get("/subjects")
def subjects_page(request: Request) -> Response:
    return _subjects_page(request)


@router.post("/subjects")
def register(request: Request, screening_number: Annotated[str, Form()] = "",
             site: Annotated[str, Form()] = "", initials: Annotated[str, Form()] = "",
             full_name: Annotated[str, Form()] = "", birth_date: Annotated[str, Form()] = "",
             hospital_number: Annotated[str, Form()] = "",
             csrf_token: Annotated[str, Form()] = "") -> Response:
    info = page(request)
    check_csrf(request, csrf_token)
    web = state(request)
    t = t_of(request)
    values = {"screening_number": screening_number.strip(), "site": site.strip(),
              "initials": initials.strip(), "full_name": full_name.strip(),
              "birth_date": birth_date.strip(), "hospital_number": hospital_number.strip()}
    errors: dict[str, str] = {}
    if not values["screening_number"]:
        errors["screening_number"] = t("Enter the number from the screening log, e.g. S-001.")
    if not values["initials"]:
        errors["initials"] = t("Enter the patient's initials, e.g. ZS.")
    born: dt.date | None = None
    if values["birth_date"]:
        try:
            born = dt.date.fromisoformat(values["birth_date"])
        except ValueError:
            errors["birth_date"] = t("{value} is not a date. Enter it as YYYY-MM-DD, e.g. "
                                     "1968-05-14.", value=repr(values["birth_date"]))
    if not errors:
        try:
            number = register_subject(
                web.db, info.actor, web.ctx, site=values["site"],
                screening_number=values["screening_number"], full_name=values["full_name"],
                initials=values["initials"], birth_date=born,
                hospital_number=values["hospital_number"])
        except (InputError, NotFoundError) as exc:
            key = exc.field if exc.field in FIELDS else "screening_number"
            errors[key] = f"{exc.message} {exc.hint or ''}".strip()
        else:
            return redirect(screening_url(request, number))
    return _subjects_page(request, values=values, errors=errors, status_code=422)
