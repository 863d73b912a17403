"""Results: the live endpoint summary of the data entered so far, for the roles that may export
the trial's data (statistician, data manager, administrator, investigator).

The table is derived as ``oncotrial analyze`` derives it (:func:`oncotrial.endpoints.
analyze_endpoints` with the protocol's rules) from :func:`oncotrial.services.export_dataset`
at a data cut-off (today unless ``?cutoff=`` names another day): ORR and DCR with exact
Clopper-Pearson intervals, Kaplan-Meier medians with Brookmeyer-Crowley intervals, landmark
rates and numbers at risk. The Kaplan-Meier curves of PFS and OS are SVG drawn by matplotlib on
the server (``/results/km/pfs.svg``, ``/results/km/os.svg``), shown with ``<img>`` so that the
page itself carries no inline style.

The study report (``docs/reports.md``) is built on demand from the stored trial at the same
cut-off: ``/results/report`` serves the self-contained HTML page, ``/results/report.pdf`` the
PDF of it. Both read the trial through :func:`oncotrial.services.export_study` (the export
right, pseudonyms for a statistician, an audit row for each build), so what the page shows is
what ``oncotrial report`` writes from the same database.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from oncotrial.endpoints import EndpointAnalysis, TimeToEvent
from oncotrial.errors import InputError
from oncotrial.records import DAYS_PER_MONTH, months
from oncotrial.reports import build_report, render_html, render_pdf
from oncotrial.services import export_dataset, export_study
from oncotrial.services.access import now_utc
from oncotrial.services.dashboard import endpoint_summary
from oncotrial.stats import kaplan_meier
from oncotrial.web.deps import page, render, state, t_of
from oncotrial.web.i18n import Translator

__all__ = ["RiskTable", "km_svg", "risk_table", "router"]

router = APIRouter(include_in_schema=False)

#: Kaplan-Meier figures: endpoint slug -> (summary attribute, subject attribute).
ENDPOINTS = {"pfs": ("pfs", "pfs"), "os": ("os", "os")}
#: Colours of the figure (the page's accent and a light band for the CI).
LINE, BAND = "#0b5cad", "#9cc2ea"


@dataclass(frozen=True, slots=True)
class RiskTable:
    """Numbers at risk (subjects whose time reaches the month) at regular months."""

    months: tuple[float, ...]
    at_risk: tuple[int, ...]


def _records(result: EndpointAnalysis, endpoint: str) -> list[TimeToEvent]:
    attr = ENDPOINTS[endpoint][1]
    return [r for s in result.subjects if (r := getattr(s, attr)) is not None]


def _step(span_months: float) -> float:
    """Tick spacing in months: 3 up to 3 years, then 6."""
    return 3.0 if span_months <= 36 else 6.0


def risk_table(records: list[TimeToEvent]) -> RiskTable:
    """Subjects at risk at 0, 3, 6... months: time (day 1 = origin) reaching the month.

    >>> from datetime import date
    >>> from oncotrial.endpoints.survival import TimeToEvent
    >>> r = [TimeToEvent("A", "PFS", date(2026, 1, 1), date(2026, 1, 1 + d), e, None, "", {}, "")
    ...      for d, e in ((10, True), (20, False))]
    >>> risk_table(r)
    RiskTable(months=(0.0, 3.0), at_risk=(2, 0))
    """
    if not records:
        return RiskTable((), ())
    last = max(months(r.days) for r in records)
    step = _step(last)
    marks = [step * i for i in range(int(last // step) + 2)]
    return RiskTable(tuple(marks), tuple(
        sum(1 for r in records if r.days >= m * DAYS_PER_MONTH) for m in marks))


def _finite(values: Any) -> list[float]:
    return [float(v) if v is not None and math.isfinite(float(v)) else math.nan for v in values]


def km_svg(result: EndpointAnalysis, endpoint: str, t: Translator) -> bytes:
    """The Kaplan-Meier curve of ``endpoint`` (``pfs`` or ``os``) as SVG: the estimate as a
    step line, its pointwise CI as a band, censorings as ticks, the median as a dashed line
    and the numbers at risk under the axis. Text stays text (``svg.fonttype`` none), so the
    browser draws Chinese labels with its own fonts."""
    import matplotlib
    from matplotlib.figure import Figure

    rules = result.rules
    records = _records(result, endpoint)
    conf_type = rules.pfs_conf_type if endpoint == "pfs" else rules.os_conf_type
    names = {"pfs": t("Progression-free survival"), "os": t("Overall survival")}
    origin = {"first_dose": t("first dose"), "enrolment": t("enrolment")}.get(
        str(rules.time_origin), str(rules.time_origin))
    with matplotlib.rc_context({"svg.fonttype": "none", "font.size": 10,
                                "svg.hashsalt": "oncotrial"}), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # glyphs the server's font lacks: the browser has them
        fig = Figure(figsize=(8, 5))
        ax = fig.subplots()
        fig.subplots_adjust(left=0.09, right=0.97, top=0.9, bottom=0.32)
        if records:
            km = kaplan_meier([r.days for r in records], [r.event for r in records],
                              conf_type=conf_type, conf_level=rules.conf_level)
            x = [0.0, *(months(float(v)) for v in km.time)]
            y = [1.0, *(float(v) for v in km.survival)]
            lower = [1.0, *_finite(km.lower)]
            upper = [1.0, *_finite(km.upper)]
            level = f"{100 * rules.conf_level:g}"
            ax.fill_between(x, lower, upper, step="post", color=BAND, alpha=0.5, linewidth=0,
                            label=t("{level} % confidence band", level=level))
            ax.step(x, y, where="post", color=LINE, linewidth=2, label=names[endpoint])
            cx = [months(float(v)) for v, c in zip(km.time, km.n_censor, strict=True) if c]
            cy = [float(s) for s, c in zip(km.survival, km.n_censor, strict=True) if c]
            ax.plot(cx, cy, linestyle="none", marker="|", markersize=10, color=LINE,
                    label=t("Censored"))
            if km.median is not None:
                ax.axhline(0.5, color="#4a5560", linewidth=0.8, linestyle="--")
            table = risk_table(records)
            span = max(table.months) if table.months else 1.0
            ax.set_xlim(0, span)
            ax.set_xticks(list(table.months))
            ax.set_xticklabels([f"{m:g}" for m in table.months])
            label_y = -0.36
            ax.text(0, label_y + 0.08, t("Numbers at risk"), transform=ax.transAxes,
                    ha="left", va="center", fontsize=9, fontweight="bold")
            for m, n in zip(table.months, table.at_risk, strict=True):
                ax.text(m, label_y, str(n), transform=ax.get_xaxis_transform(), ha="center",
                        va="center", fontsize=9)
            ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=3, frameon=False,
                      fontsize=9)
        else:
            ax.text(0.5, 0.5, t("No subject to analyse yet."), transform=ax.transAxes,
                    ha="center", va="center")
        ax.set_ylim(0, 1.02)
        ax.set_ylabel(t("Probability"))
        ax.set_xlabel(t("Months from {origin}", origin=origin))
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="y", color="#c9d1d9", linewidth=0.6)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def _cutoff(text: str | None) -> date | None:
    """The data cut-off asked for (today when none is given); None when it is not a date."""
    if not text or not text.strip():
        return now_utc().date()
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


@router.get("/results")
def results(request: Request) -> Response:
    info = page(request)
    web = state(request)
    t = t_of(request)
    text = request.query_params.get("cutoff", "")
    cutoff = _cutoff(text)
    values: dict[str, Any] = {"result": None, "risk": {}, "error": None, "cutoff_error": None,
                              "cutoff": cutoff, "cutoff_text": text}
    if cutoff is None:
        export_dataset(web.db, info.actor, web.ctx)  # the permission check comes first
        values["cutoff_error"] = t("Write the data cut-off as YYYY-MM-DD, e.g. 2026-10-31.")
        return render(request, "results.html", status_code=422, **values)
    values["cutoff_text"] = text.strip() or cutoff.isoformat()
    try:
        result = endpoint_summary(web.db, info.actor, web.ctx, cutoff=cutoff)
    except InputError as exc:  # a record that cannot be derived: shown, as analyze shows it
        values["error"] = exc.message + (f" {exc.hint}" if exc.hint else "")
        return render(request, "results.html", status_code=422, **values)
    values["result"] = result
    if result is not None:
        values["risk"] = {slug: risk_table(_records(result, slug)) for slug in ENDPOINTS}
    return render(request, "results.html", **values)


@router.get("/results/km/{endpoint}.svg")
def km_figure(request: Request, endpoint: str) -> Response:
    if endpoint not in ENDPOINTS:
        raise HTTPException(status_code=404)
    info = page(request)
    web = state(request)
    cutoff = _cutoff(request.query_params.get("cutoff"))
    if cutoff is None:
        raise HTTPException(status_code=422, detail="The cut-off is not a YYYY-MM-DD date.")
    result = endpoint_summary(web.db, info.actor, web.ctx, cutoff=cutoff)
    if result is None:
        raise HTTPException(status_code=404, detail="No subject is enrolled yet.")
    svg = km_svg(result, endpoint, t_of(request))
    # The figure's own CSS (matplotlib writes style attributes); no script can run in it.
    return Response(svg, media_type="image/svg+xml", headers={
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
        "Cache-Control": "no-store"})


#: The report page carries its own CSS and inline SVG figures and no script.
REPORT_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                 "frame-ancestors 'none'")


def _report(request: Request) -> tuple[Any, date]:
    info = page(request)
    web = state(request)
    cutoff = _cutoff(request.query_params.get("cutoff"))
    study = export_study(web.db, info.actor, web.ctx)  # the permission check comes first
    if cutoff is None:
        raise HTTPException(status_code=422,
                            detail="Write the data cut-off as YYYY-MM-DD, e.g. 2026-10-31.")
    if not study.dataset.subjects:
        raise HTTPException(status_code=404, detail="No subject is enrolled yet: there is "
                                                    "nothing to report.")
    try:
        return build_report(study, web.ctx, cutoff=cutoff), cutoff
    except InputError as exc:
        raise HTTPException(status_code=422, detail=exc.message + (
            f" {exc.hint}" if exc.hint else "")) from exc


@router.get("/results/report")
def report_page(request: Request) -> Response:
    """The study report at the cut-off, as one self-contained HTML page."""
    report, _ = _report(request)
    return Response(render_html(report), media_type="text/html; charset=utf-8", headers={
        "Content-Security-Policy": REPORT_POLICY, "Cache-Control": "no-store"})


@router.get("/results/report.pdf")
def report_pdf(request: Request) -> Response:
    """The study report at the cut-off, as a PDF download."""
    report, cutoff = _report(request)
    name = f"study-report-{cutoff.isoformat()}.pdf"
    return Response(render_pdf(report), media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
