"""Errors of the JSON API as RFC 9457 problem details (``application/problem+json``).

One shape for every error: ``type`` (a URI naming the kind of problem, relative to the API),
``title``, ``status``, ``detail`` (the sentence for people, in the user's language where the
message is ours), ``code`` (a stable code), and, where one field is at fault, ``field``,
``value`` and ``hint`` (how to fix it). A form that fails its checks lists every finding in
``errors``, each with the same members. ``docs/web.md`` documents the codes.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from oncotrial.errors import InputError, OncotrialError, ProtocolError
from oncotrial.services import (
    AuthenticationError,
    ConflictError,
    FormRejected,
    NotFoundError,
    PermissionDenied,
    WorkflowError,
)

__all__ = ["Problem", "ProblemItem", "problem_response", "status_of"]

MEDIA_TYPE = "application/problem+json"


class ProblemItem(BaseModel):
    """One finding of a problem: which field, what value, what code, and the fix."""

    field: str | None = None
    value: Any = None
    code: str
    message: str
    hint: str | None = None


class Problem(BaseModel):
    """RFC 9457 problem details with the members of this API."""

    type: str = Field(description="URI of the kind of problem, e.g. /api/v1/problems/conflict.")
    title: str
    status: int
    detail: str
    code: str = Field(description="Stable code of the problem.")
    field: str | None = None
    value: Any = None
    hint: str | None = None
    errors: list[ProblemItem] = Field(default_factory=list)


#: (status, code, title) per error class, most specific first.
_KINDS: list[tuple[type[Exception], int, str, str]] = [
    (AuthenticationError, 401, "authentication_failed", "Authentication failed"),
    (PermissionDenied, 403, "permission_denied", "Not allowed"),
    (NotFoundError, 404, "not_found", "Not found"),
    (ConflictError, 409, "conflict", "Someone else saved first"),
    (FormRejected, 422, "form_rejected", "The form was not saved"),
    (WorkflowError, 409, "workflow", "Not allowed at this step"),
    (InputError, 422, "invalid_input", "Invalid input"),
    (ProtocolError, 500, "protocol", "Protocol problem"),
    (OncotrialError, 400, "error", "Error"),
]


def status_of(exc: Exception) -> tuple[int, str, str]:
    """The HTTP status, problem code and title of an error."""
    for cls, status, code, title in _KINDS:
        if isinstance(exc, cls):
            return status, code, title
    return 500, "server_error", "Server error"


def key_text(key: tuple[str, int, str]) -> str:
    """How the API names a stored item: ``anc``, ``lesions[2].diameter_mm``, or a whole
    repeating group by its id.

    >>> key_text(("lesions", 2, "diameter_mm")), key_text(("", 0, "anc"))
    ('lesions[2].diameter_mm', 'anc')
    """
    group, row, item = key
    if not item:
        return group
    return f"{group}[{row}].{item}" if group else item


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def problem_of(exc: Exception) -> Problem:
    """The problem details of an error of the services or the core."""
    status, code, title = status_of(exc)
    errors: list[ProblemItem] = []
    if isinstance(exc, FormRejected):
        errors = [ProblemItem(field=key_text(f.key) if f.key else None, value=None,
                              code=f.code, message=f.message, hint=f.hint or None)
                  for f in exc.findings]
    if isinstance(exc, OncotrialError):
        return Problem(type=f"/api/v1/problems/{code}", title=title, status=status,
                       detail=exc.message, code=code, field=exc.field,
                       value=_json_value(exc.value), hint=exc.hint, errors=errors)
    return Problem(type=f"/api/v1/problems/{code}", title=title, status=status,
                   detail="The server could not complete the request.", code=code)


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(problem.model_dump(mode="json"), status_code=problem.status,
                        media_type=MEDIA_TYPE, headers=headers)


def validation_problem(exc: RequestValidationError) -> Problem:
    """A request that does not match the API's schema, field by field."""
    items = []
    for error in exc.errors():
        loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path")]
        items.append(ProblemItem(field=".".join(loc) or None,
                                 value=_json_value(error.get("input")),
                                 code=f"request.{error.get('type', 'invalid')}",
                                 message=str(error.get("msg", "invalid")),
                                 hint="Correct the field as the API description says "
                                      "(/api/v1/openapi.json)."))
    first = items[0] if items else None
    return Problem(type="/api/v1/problems/invalid_request", title="Invalid request",
                   status=422, detail=f"{len(items)} field(s) of the request are invalid.",
                   code="invalid_request", field=first.field if first else None,
                   value=first.value if first else None,
                   hint=first.hint if first else None, errors=items)


async def api_error_handler(request: Request, exc: Exception) -> JSONResponse:
    return problem_response(problem_of(exc))
