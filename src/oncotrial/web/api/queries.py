"""Data queries (raise, answer, close) and source-data verification of a form."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from oncotrial.services import answer_query, close_query, list_queries, raise_query, verify_items
from oncotrial.services.api import get_query
from oncotrial.web.api._common import (
    ITEM_PATTERN,
    PLAIN,
    SOME,
    QueryOut,
    Reader,
    Writer,
    item_key,
    problems,
)
from oncotrial.web.deps import state

router = APIRouter(tags=["queries"])

QueryId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The query's number.")]
InstanceId = Annotated[int, Path(ge=1, le=2**31 - 1,
                                 description="form_instance_id of the casebook or a form.")]
ItemRef = Annotated[str, Field(max_length=140, pattern=f"^{ITEM_PATTERN}$",
                               description="anc, or lesions[2].diameter_mm.")]


class QueryPage(BaseModel):
    """One page of queries, oldest first."""

    rows: list[QueryOut]
    page: int
    per_page: int
    total: int = Field(description="Queries matching, on every page.")


@router.get("/queries", response_model=QueryPage, responses=problems(404))
def queries(request: Request, info: Reader,
            status: Annotated[Literal["open", "answered", "closed"] | None,
                              Query(description="Only queries in this state.")] = None,
            subject: Annotated[str | None, Query(min_length=1, max_length=40, pattern=PLAIN,
                                                 description="Only this subject's.")] = None,
            page: Annotated[int, Query(ge=1, le=100_000)] = 1,
            per_page: Annotated[int, Query(ge=1, le=500)] = 50) -> QueryPage:
    """The queries of the subjects the caller may see."""
    web = state(request)
    found = list_queries(web.db, info.actor, web.ctx, status=status, subject=subject, page=page,
                         page_size=per_page)
    return QueryPage(rows=[QueryOut.of(q) for q in found.rows], page=found.page,
                     per_page=found.page_size, total=found.total)


class QueryIn(BaseModel):
    form_instance_id: int = Field(ge=1, le=2**31 - 1)
    item: ItemRef
    text: str = Field(min_length=1, max_length=2000, pattern=SOME,
                      description="What needs checking.")


@router.post("/queries", status_code=201, response_model=QueryOut,
             responses=problems(400, 404))
def raise_(request: Request, info: Writer, body: QueryIn) -> QueryOut:
    """Raise a query on an item (data managers, monitors, investigators)."""
    web = state(request)
    query_id = raise_query(web.db, info.actor, web.ctx, body.form_instance_id,
                           item_key(body.item), body.text)
    return QueryOut.of(get_query(web.db, info.actor, web.ctx, query_id))


@router.get("/queries/{query_id}", response_model=QueryOut, responses=problems(404))
def one_query(request: Request, info: Reader, query_id: QueryId) -> QueryOut:
    """One query."""
    web = state(request)
    return QueryOut.of(get_query(web.db, info.actor, web.ctx, query_id))


class AnswerIn(BaseModel):
    answer: str = Field(min_length=1, max_length=2000, pattern=SOME)


@router.post("/queries/{query_id}/answer", response_model=QueryOut,
             responses=problems(400, 404, 409))
def answer(request: Request, info: Writer, query_id: QueryId, body: AnswerIn) -> QueryOut:
    """Answer a query (site staff)."""
    web = state(request)
    answer_query(web.db, info.actor, web.ctx, query_id, body.answer)
    return QueryOut.of(get_query(web.db, info.actor, web.ctx, query_id))


class CloseIn(BaseModel):
    note: str = Field(default="", max_length=2000, pattern=PLAIN)


@router.post("/queries/{query_id}/close", response_model=QueryOut,
             responses=problems(400, 404, 409))
def close(request: Request, info: Writer, query_id: QueryId, body: CloseIn) -> QueryOut:
    """Close a query (data managers and monitors)."""
    web = state(request)
    close_query(web.db, info.actor, web.ctx, query_id, body.note)
    return QueryOut.of(get_query(web.db, info.actor, web.ctx, query_id))


class SdvIn(BaseModel):
    items: list[ItemRef] | None = Field(
        default=None, max_length=1000,
        description="The items verified; null: every item of the form.")


class SdvOut(BaseModel):
    form_instance_id: int
    verified: int = Field(description="How many items were marked verified.")


@router.post("/forms/{instance_id}/sdv", response_model=SdvOut, tags=["monitoring"],
             responses=problems(400, 404))
def sdv(request: Request, info: Writer, instance_id: InstanceId, body: SdvIn) -> SdvOut:
    """Mark items source-data verified (monitors); a later change of a value removes its
    mark."""
    web = state(request)
    keys = None if body.items is None else [item_key(i, "items") for i in body.items]
    count = verify_items(web.db, info.actor, web.ctx, instance_id, keys)
    return SdvOut(form_instance_id=instance_id, verified=count)
