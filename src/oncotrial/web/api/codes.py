"""The result codes of the core with their meaning in English or Simplified Chinese."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from oncotrial.codes import result_codes
from oncotrial.web.api._common import Reader, problems
from oncotrial.web.i18n import translator

router = APIRouter(tags=["codes"])


class CodeOut(BaseModel):
    pattern: str = Field(description="The code, or its pattern (I{n}.not_met.* style).")
    package: str = Field(description="The part of the core that gives it.")
    meaning: str


class CodesOut(BaseModel):
    language: str
    codes: list[CodeOut]


@cache
def _codes(language: str) -> tuple[CodeOut, ...]:
    t = translator(language)
    return tuple(CodeOut(pattern=c.pattern, package=c.package, meaning=t.code_meaning(c.pattern))
                 for c in result_codes())


@router.get("/codes", response_model=CodesOut, responses=problems())
def codes(request: Request, info: Reader,
          lang: Annotated[Literal["en", "zh-CN"] | None, Query(
              description="Language of the meanings; default the user's.")] = None) -> CodesOut:
    """Every result code pattern with what it means."""
    language = lang or info.language
    return CodesOut(language=language, codes=list(_codes(language)))
