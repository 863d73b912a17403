"""Results: the live endpoint table of the stored data, and the exchange-format export.

Both need the ``export`` right (investigators for their site, data managers, statisticians,
administrators); a statistician's data carry pseudonyms instead of subject ids.
``GET /results`` is what ``oncotrial analyze --json`` prints for the exported data;
``GET /export`` is what ``oncotrial export json`` writes, one member per file, and is audited
the same way.
"""

from __future__ import annotations

import json
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from oncotrial.endpoints import Dataset, EndpointRules, analyze_endpoints, check_dataset
from oncotrial.services import export_dataset, export_json
from oncotrial.services.access import now_utc
from oncotrial.web.api._common import Reader, problems
from oncotrial.web.deps import state

router = APIRouter(tags=["results"])


class DataFinding(BaseModel):
    code: str
    field: str
    message: str


class ResultsOut(BaseModel):
    """The endpoint analysis (PFS, OS, ORR, DCR with exact confidence intervals, each
    subject's dates and reasons), as ``oncotrial analyze --json`` gives it."""

    source: str
    cutoff: date
    subjects: int = Field(description="Enrolled subjects analysed.")
    findings: list[DataFinding] = Field(description="Records that contradict each other.")
    analysis: dict[str, Any] = Field(description="EndpointAnalysis.to_dict(): rules, "
                                                 "subjects, rates, time-to-event summaries.")


def _latest(dataset: Dataset) -> date | None:
    dates = [s.enrolled_on for s in dataset.subjects]
    dates += [d.end_on for d in dataset.dosing]
    dates += [a.assessed_on for a in dataset.assessments]
    dates += [d.died_on for d in dataset.deaths]
    dates += [c.contact_on for c in dataset.contacts]
    dates += [t.started_on for t in dataset.new_therapies]
    dates += [d.discontinued_on for d in dataset.discontinuations]
    known = [d for d in dates if d is not None]
    return max(known) if known else None


@router.get("/results", response_model=ResultsOut, responses=problems())
def results(request: Request, info: Reader,
            cutoff: Annotated[date | None, Query(
                description="Data cut-off; default the latest date in the data (today "
                            "when there are none).")] = None) -> ResultsOut:
    """The endpoint table of the enrolled subjects' stored data, computed now."""
    web = state(request)
    dataset = export_dataset(web.db, info.actor, web.ctx)
    when = cutoff or _latest(dataset) or now_utc().date()
    rules = EndpointRules.from_protocol(web.ctx.protocol)
    analysis = analyze_endpoints(dataset, cutoff=when, rules=rules)
    return ResultsOut(
        source=f"{web.ctx.protocol_id} trial database", cutoff=when,
        subjects=len(dataset.subjects),
        findings=[DataFinding(code=f.code, field=f.field, message=f.message)
                  for f in check_dataset(dataset)],
        analysis=analysis.to_dict())


class ExportOut(BaseModel):
    """The trial in the exchange format (docs/exchange-format.md): file name -> its JSON."""

    files: dict[str, Any]


@router.get("/export", response_model=ExportOut, responses=problems())
def export(request: Request, info: Reader) -> ExportOut:
    """Every enrolled subject's records in the exchange format; audited as an export."""
    web = state(request)
    with tempfile.TemporaryDirectory(prefix="oncotrial-export-") as folder:
        written = export_json(web.db, info.actor, web.ctx, Path(folder))
        files = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in written}
    return ExportOut(files=files)
