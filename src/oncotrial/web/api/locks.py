"""Locks: a form, a subject's casebook, and the whole database before analysis.

POST locks (data managers; the database: data managers), DELETE unlocks with a reason in the
query string (forms and casebooks: data managers; the database: administrators). Every lock
and unlock is a workflow event in the audit trail.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from oncotrial.services import (
    lock_casebook,
    lock_database,
    lock_form,
    unlock_casebook,
    unlock_database,
    unlock_form,
)
from oncotrial.web.api._common import PLAIN, SOME, Writer, problems
from oncotrial.web.api.queries import InstanceId
from oncotrial.web.api.subjects import SubjectRef
from oncotrial.web.deps import state

router = APIRouter(tags=["locks"])


class LockIn(BaseModel):
    reason: str = Field(default="", max_length=2000, pattern=PLAIN,
                        description="Why (required for the database; forms and casebooks "
                                    "default to 'data review complete').")


class DatabaseLockIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, pattern=SOME,
                        description="Why the database is locked (audit trail).")


class LockOut(BaseModel):
    target: str = Field(description="form <id>, casebook <subject> or database.")
    locked: bool


UnlockReason = Annotated[str, Query(min_length=1, max_length=2000, pattern=SOME,
                                    description="Why it is unlocked (audit trail).")]


@router.post("/forms/{instance_id}/lock", response_model=LockOut,
             responses=problems(400, 404, 409))
def lock_one_form(request: Request, info: Writer, instance_id: InstanceId, body: LockIn
                  ) -> LockOut:
    """Lock a form against changes."""
    web = state(request)
    lock_form(web.db, info.actor, web.ctx, instance_id, body.reason or "data review complete")
    return LockOut(target=f"form {instance_id}", locked=True)


@router.delete("/forms/{instance_id}/lock", response_model=LockOut,
               responses=problems(404, 409))
def unlock_one_form(request: Request, info: Writer, instance_id: InstanceId,
                    reason: UnlockReason) -> LockOut:
    """Unlock a form (signatures stay until its data change)."""
    web = state(request)
    unlock_form(web.db, info.actor, web.ctx, instance_id, reason)
    return LockOut(target=f"form {instance_id}", locked=False)


@router.post("/subjects/{ref}/lock", response_model=LockOut,
             responses=problems(400, 404, 409))
def lock_subject(request: Request, info: Writer, ref: SubjectRef, body: LockIn) -> LockOut:
    """Lock the subject's casebook: no form of it can change."""
    web = state(request)
    lock_casebook(web.db, info.actor, web.ctx, ref, body.reason or "casebook review complete")
    return LockOut(target=f"casebook {ref}", locked=True)


@router.delete("/subjects/{ref}/lock", response_model=LockOut, responses=problems(404, 409))
def unlock_subject(request: Request, info: Writer, ref: SubjectRef, reason: UnlockReason
                   ) -> LockOut:
    """Unlock the subject's casebook."""
    web = state(request)
    unlock_casebook(web.db, info.actor, web.ctx, ref, reason)
    return LockOut(target=f"casebook {ref}", locked=False)


@router.post("/database/lock", response_model=LockOut, responses=problems(400, 409))
def lock_db(request: Request, info: Writer, body: DatabaseLockIn) -> LockOut:
    """Lock the whole trial before analysis (ICH E6(R3) 3.16.1): no edits after it."""
    web = state(request)
    lock_database(web.db, info.actor, web.ctx, body.reason)
    return LockOut(target="database", locked=True)


@router.delete("/database/lock", response_model=LockOut, responses=problems(409))
def unlock_db(request: Request, info: Writer, reason: UnlockReason) -> LockOut:
    """Unlock the trial database (administrators)."""
    web = state(request)
    unlock_database(web.db, info.actor, web.ctx, reason)
    return LockOut(target="database", locked=False)
