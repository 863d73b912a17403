"""What the API modules share: who is calling (log-in and CSRF as dependencies), the problem
responses declared in the OpenAPI description, item references, and the models used by more
than one resource.

Authentication: ``POST /api/v1/session`` sets the session cookie and returns the CSRF token;
every other endpoint needs the cookie (401 ``login_required`` without it), and POST, PUT and
DELETE also need the token in the ``X-CSRF-Token`` header (403 ``csrf_failed`` without it). The
log-in is checked before the request body, so a caller who is not logged in always gets 401.
"""

from __future__ import annotations

import copy
import re
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Security
from fastapi.security import APIKeyCookie
from pydantic import BaseModel, Field

from oncotrial.errors import InputError
from oncotrial.services import QueryView, SignatureView, SubjectSummary
from oncotrial.services.access import as_utc
from oncotrial.web.deps import COOKIE, check_csrf, page
from oncotrial.web.problems import MEDIA_TYPE, Problem, key_text
from oncotrial.web.sessions import SessionInfo

__all__ = ["Reader", "Writer", "item_key", "item_text", "problems"]

Key = tuple[str, int, str]

_session_cookie = APIKeyCookie(
    name=COOKIE, auto_error=False, scheme_name="session",
    description="The session cookie set by POST /api/v1/session. POST, PUT and DELETE also "
                "need the session's CSRF token in the X-CSRF-Token header.")


def reader(request: Request,
           _cookie: Annotated[str | None, Security(_session_cookie)] = None) -> SessionInfo:
    """The caller's live session (401 problem ``login_required`` without one)."""
    return page(request)


def writer(request: Request,
           _cookie: Annotated[str | None, Security(_session_cookie)] = None,
           x_csrf_token: Annotated[str | None, Header(
               alias="X-CSRF-Token",
               description="The session's CSRF token (csrf_token of POST or GET "
                           "/api/v1/session).")] = None) -> SessionInfo:
    """The caller's live session, for a request that changes something: the CSRF token must
    come with it (403 problem ``csrf_failed`` otherwise)."""
    info = page(request)
    check_csrf(request, None)
    return info


#: A dependency giving the caller's session; ``Writer`` also checks the CSRF header.
Reader = Annotated[SessionInfo, Depends(reader)]
Writer = Annotated[SessionInfo, Depends(writer)]


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """The JSON schema with its ``$defs`` written in place (a response schema outside
    ``components``)."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return walk(copy.deepcopy(defs[ref.removeprefix("#/$defs/")]))
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    result: dict[str, Any] = walk(schema)
    return result


_PROBLEM_SCHEMA = _inlined(Problem.model_json_schema())

_DESCRIPTIONS = {
    400: "The body is not JSON (http_400).",
    401: "Not logged in or the session ended (code login_required), or a signing password "
         "was wrong (authentication_failed).",
    403: "The role or site does not allow it (permission_denied), the X-CSRF-Token header "
         "is missing or wrong (csrf_failed), or the password must be changed first "
         "(password_change_required).",
    404: "No such subject, form, visit, query or user (not_found).",
    409: "Someone saved first (conflict), or the step is out of order: a lock, consent, "
         "open queries (workflow).",
    422: "The request does not match the API description (invalid_request, with every field "
         "in errors), a value is invalid (invalid_input), or a form failed its checks "
         "(form_rejected, every finding in errors).",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of an endpoint: RFC 9457 problem details for these statuses (401,
    403 and 422 always)."""
    wanted = sorted({401, 403, 422, *statuses})
    return {status: {"description": _DESCRIPTIONS[status],
                     "content": {MEDIA_TYPE: {"schema": _PROBLEM_SCHEMA}}}
            for status in wanted}


_ITEM = re.compile(r"(?:(?P<group>[a-z][a-z0-9_]*)\[(?P<row>[1-9][0-9]{0,3})\]\.)?"
                   r"(?P<item>[a-z][a-z0-9_]*)")


def item_key(text: str, field: str = "item") -> Key:
    """An item reference as a key: ``anc`` -> ``("", 0, "anc")``, ``lesions[2].diameter_mm``
    -> ``("lesions", 2, "diameter_mm")``.

    >>> item_key("lesions[2].diameter_mm")
    ('lesions', 2, 'diameter_mm')
    """
    found = _ITEM.fullmatch(text)
    if found is None:
        raise InputError(f"{text!r} is not an item reference.", field=field, value=text,
                         hint="Write the item id (anc), or group[row].item for a row of a "
                              "repeating group (lesions[2].diameter_mm).")
    group = found.group("group") or ""
    return group, int(found.group("row") or 0), found.group("item")


#: The reference of a key (the inverse of :func:`item_key`); a whole group by its id.
item_text = key_text


ITEM_PATTERN = _ITEM.pattern

#: Text without NUL characters (PostgreSQL text cannot hold them, and no person types one).
PLAIN = r"^[^\x00]*$"
#: The same, with at least one visible character (reasons, meanings, names).
SOME = r"^[^\x00]*[^\x00\s][^\x00]*$"


def check_no_nul(value: Any, where: str = "values") -> None:
    """Refuse a NUL character anywhere in a nested answer (422 ``invalid_input``)."""
    if isinstance(value, str) and "\x00" in value:
        raise InputError(f"{where} contains a NUL character.", field=where,
                         value=value.replace("\x00", "\\0"),
                         hint="Send text without control characters.")
    if isinstance(value, dict):
        for key, inner in value.items():
            check_no_nul(key, where)
            check_no_nul(inner, f"{where}.{key}")
    elif isinstance(value, list):
        for n, inner in enumerate(value, start=1):
            check_no_nul(inner, f"{where}[{n}]")

# --------------------------------------------------------------------------- shared models


class SubjectOut(BaseModel):
    """A subject as lists show it. A statistician sees the pseudonym and status only."""

    screening_number: str = Field(description="Empty in the pseudonymised view.")
    subject_id: str | None = Field(description="Given at enrolment, e.g. HCH-001.")
    pseudonym: str
    site: str
    status: str = Field(description="screened, screen_failed, enrolled, on_treatment, "
                                    "off_treatment, follow_up, withdrawn or off_study.")
    consented_on: date | None
    enrolled_on: date | None

    @classmethod
    def of(cls, s: SubjectSummary) -> SubjectOut:
        return cls(screening_number=s.screening_number, subject_id=s.subject_id,
                   pseudonym=s.pseudonym, site=s.site, status=s.status,
                   consented_on=s.consented_on, enrolled_on=s.enrolled_on)


class SignatureOut(BaseModel):
    """A signature as shown (21 CFR 11.50): printed name, UTC time, meaning, and whether the
    signed content has changed since."""

    id: int
    printed_name: str
    signed_at: datetime
    meaning: str
    content_hash: str
    valid: bool
    invalidated_at: datetime | None
    invalidated_reason: str | None
    manifestation: str = Field(description="The line printed on screen and in casebooks.")

    @classmethod
    def of(cls, s: SignatureView) -> SignatureOut:
        return cls(id=s.id, printed_name=s.printed_name, signed_at=as_utc(s.signed_at),
                   meaning=s.meaning, content_hash=s.content_hash, valid=s.valid,
                   invalidated_at=as_utc(s.invalidated_at),
                   invalidated_reason=s.invalidated_reason, manifestation=s.manifestation())


class QueryOut(BaseModel):
    """A data query on one item."""

    id: int
    subject: str
    visit: str
    form: str
    item: str = Field(description="Item reference: anc, or lesions[2].diameter_mm.")
    status: str = Field(description="open, answered or closed.")
    origin: str = Field(description="auto (raised by a form check) or manual.")
    text: str
    raised_by: str
    raised_at: datetime
    answer: str | None
    answered_by: str | None

    @classmethod
    def of(cls, q: QueryView) -> QueryOut:
        return cls(id=q.id, subject=q.subject, visit=q.visit, form=q.form, item=q.item,
                   status=q.status, origin=q.origin, text=q.text, raised_by=q.raised_by,
                   raised_at=as_utc(q.raised_at) or q.raised_at, answer=q.answer,
                   answered_by=q.answered_by)


class Reason(BaseModel):
    """Why: it goes into the audit trail."""

    reason: str = Field(min_length=1, max_length=2000, pattern=SOME,
                        description="Why, as it will appear in the audit trail.")
