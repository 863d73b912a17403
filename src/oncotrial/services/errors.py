"""Errors of the use cases; the web layer maps each to an HTTP status (RFC 9457 problem)."""

from __future__ import annotations

from oncotrial.errors import InputError, OncotrialError

__all__ = [
    "AuthenticationError",
    "ConflictError",
    "NotFoundError",
    "PermissionDenied",
    "WorkflowError",
]


class AuthenticationError(OncotrialError):
    """Wrong user name or password, a locked or inactive account (HTTP 401)."""


class PermissionDenied(OncotrialError):
    """The user's role or site does not allow this action (HTTP 403)."""


class NotFoundError(OncotrialError, LookupError):
    """No such subject, visit, form, query or user (HTTP 404)."""


class ConflictError(OncotrialError):
    """Someone else saved first: reload and re-apply the change (HTTP 409). Nothing was
    overwritten."""


class WorkflowError(InputError):
    """The step is out of order: data before consent, a change after a lock, a signature with
    open queries (21 CFR 11.10(f)) (HTTP 422)."""
