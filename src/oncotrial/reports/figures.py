"""The report's figures, drawn by matplotlib as SVG text (inline in the HTML, vector in the PDF).

Each figure has a pure data function (what is drawn, as plain values a test can check) and a
drawing function. Output is deterministic: no date in the metadata, ``svg.hashsalt`` fixed per
figure (so the ids of two figures in one page never clash) and text kept as text
(``svg.fonttype`` none). Figures of a large study stay a sane size: Kaplan-Meier censor marks
are drawn once per distinct time, a waterfall of more than :data:`MAX_BARS` subjects draws
every k-th bar of the sorted bars (each as wide as the k subjects it stands for: at that
width a bar is narrower than a printed dot, so the picture is the same), and the spider and
swimmer plots show a stated subset (:data:`MAX_SPIDER` and :data:`MAX_LANES` subjects). Each
caption says what is drawn.

What the response figures show follows ``docs/endpoints.md`` section 7 and ``docs/recist.md``
(Figures): the waterfall and spider data come from :func:`oncotrial.recist.derive_waterfall`
and :func:`oncotrial.recist.derive_spider` over the RECIST 1.1 evaluation of the lesion
measurements; colours are the confirmed best overall response of the endpoint module.
"""

from __future__ import annotations

import io
import math
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import matplotlib
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure as MplFigure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from oncotrial.endpoints import EndpointAnalysis
from oncotrial.recist import SpiderPoint, WaterfallBar, derive_spider, derive_waterfall
from oncotrial.records import DAYS_PER_MONTH, Response, months
from oncotrial.reports.inputs import ReportInputs
from oncotrial.stats import kaplan_meier

__all__ = [
    "BOR_COLOURS",
    "MAX_BARS",
    "MAX_LANES",
    "MAX_SPIDER",
    "FlowCounts",
    "RiskTable",
    "SwimmerLane",
    "consort_svg",
    "km_svg",
    "risk_table",
    "spider_data",
    "spider_svg",
    "svg_text",
    "swimmer_data",
    "swimmer_svg",
    "waterfall_data",
    "waterfall_step",
    "waterfall_svg",
]

#: Colours of the best overall response (Okabe and Ito's palette, safe for colour blindness).
BOR_COLOURS: dict[str, str] = {
    "CR": "#009E73", "PR": "#56B4E9", "SD": "#E69F00", "NON-CR/NON-PD": "#F0E442",
    "PD": "#D55E00", "NE": "#999999",
}
#: Above this many subjects a waterfall draws every k-th of its sorted bars (at most this many).
MAX_BARS = 400
#: The spider plot draws at most this many subjects (an even sample in subject-id order).
MAX_SPIDER = 100
#: The swimmer plot draws at most this many lanes (the longest times on treatment).
MAX_LANES = 40

INK, GRID, BAND = "#1f2933", "#c9d1d9", "#9cc2ea"
LINE = "#0b5cad"


@contextmanager
def _style(salt: str) -> Iterator[None]:
    rc: Any = {"svg.fonttype": "none", "svg.hashsalt": f"oncotrial-{salt}", "font.size": 8.5,
               "font.family": "DejaVu Sans", "axes.edgecolor": INK, "axes.labelcolor": INK,
               "xtick.color": INK, "ytick.color": INK, "axes.linewidth": 0.8}
    with matplotlib.rc_context(rc), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # glyphs the font lacks are drawn by the reader's fonts
        yield


def svg_text(fig: MplFigure, prefix: str) -> str:
    """The figure as SVG text without the XML prologue, ready to be inlined in HTML.

    The width and height attributes are dropped (the ``viewBox`` stays) so the figure scales
    to its box in the page, and so is the RDF metadata block. Every id (and every reference
    to one) starts with ``prefix``, so that two figures in one page never share an id.
    """
    FigureCanvasAgg(fig)
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    svg = text[text.index("<svg"):]
    # The RDF metadata block (creator, format) names vocabularies by URL; the page needs none.
    start, end = svg.find("<metadata>"), svg.find("</metadata>")
    if 0 <= start < end:
        svg = svg[:start] + svg[end + len("</metadata>"):].lstrip("\n")
    head_end = svg.index(">")
    head = svg[:head_end]
    for attr in ("width", "height"):
        start = head.find(f' {attr}="')
        if start >= 0:
            end = head.index('"', start + len(attr) + 3)
            head = head[:start] + head[end + 1:]
    body = head + ' role="img"' + svg[head_end:]
    body = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', body)
    body = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", body)
    return re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', body)


# --- CONSORT-style flow ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FlowCounts:
    """The numbers of the disposition flow diagram."""

    screened: int
    screen_failures: int
    failure_reasons: tuple[tuple[str, int], ...]
    eligible_not_enrolled: int
    incomplete: int
    enrolled: int
    not_treated: int
    treated: int
    ongoing: int
    discontinued: int
    discontinuation_reasons: tuple[tuple[str, int], ...]
    follow_up: int
    died: int
    fas: int
    response_evaluable: int
    safety: int


def _box(ax: Any, x: float, y: float, text: str, *, main: bool = True) -> None:
    ax.text(x, y, text, ha="center" if main else "left", va="center", fontsize=8.5,
            color=INK, wrap=False, linespacing=1.35,
            bbox={"boxstyle": "round,pad=0.55", "facecolor": "#f2f6fb" if main else "#ffffff",
                  "edgecolor": LINE if main else "#8a96a3", "linewidth": 1.0})


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _arrow(ax: Any, start: tuple[float, float], end: tuple[float, float]) -> None:
    ax.annotate("", xy=end, xytext=start,
                arrowprops={"arrowstyle": "-|>", "color": INK, "linewidth": 0.9,
                            "shrinkA": 0, "shrinkB": 0})


def consort_svg(c: FlowCounts) -> str:
    """A CONSORT-style flow diagram (Schulz et al. 2010, adapted to a single-arm study):
    screened, not enrolled with the main reasons, enrolled, treated, ongoing or discontinued
    with reasons, and the analysis sets."""
    with _style("consort"):
        fig = MplFigure(figsize=(7.6, 6.4))
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.axis("off")
        main_x, side_x = 0.3, 0.58
        _box(ax, main_x, 0.93, f"Patients screened\nn = {c.screened}")
        reasons = "".join(f"\n\u00a0\u00a0\u2022 {_short(label)}: {n}"
                          for label, n in c.failure_reasons[:5])
        more = (f"\n\u00a0\u00a0\u2022 {len(c.failure_reasons) - 5} more criteria (see the table)"
                if len(c.failure_reasons) > 5 else "")
        _box(ax, side_x, 0.8, f"Not enrolled: n = {c.screened - c.enrolled if c.screened else 0}"
             f"\nScreen failure: {c.screen_failures}{reasons}{more}"
             f"\nEligible, not enrolled: {c.eligible_not_enrolled}"
             f"\nScreening not completed: {c.incomplete}", main=False)
        _box(ax, main_x, 0.62, f"Enrolled\nn = {c.enrolled}")
        _box(ax, side_x, 0.53, f"Not treated: n = {c.not_treated}", main=False)
        _box(ax, main_x, 0.44, f"Treated (safety set)\nn = {c.treated}")
        stops = "".join(f"\n\u00a0\u00a0\u2022 {label}: {n}"
                        for label, n in c.discontinuation_reasons)
        _box(ax, side_x, 0.3, f"Treatment discontinued: n = {c.discontinued}{stops}", main=False)
        _box(ax, main_x, 0.22, f"Treatment ongoing at the cut-off\nn = {c.ongoing}")
        _box(ax, main_x, 0.06, f"Analysed: full analysis set {c.fas}, response-evaluable "
             f"{c.response_evaluable}, safety {c.safety}\nIn follow-up after treatment "
             f"{c.follow_up}; died {c.died}")
        for y0, y1 in ((0.895, 0.665), (0.585, 0.485), (0.405, 0.265), (0.185, 0.105)):
            _arrow(ax, (main_x, y0), (main_x, y1))
        for y in (0.8, 0.53, 0.3):
            ax.plot([main_x, side_x - 0.015], [y, y], color=INK, linewidth=0.9)
        return svg_text(fig, "consort")


# --- Kaplan-Meier ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RiskTable:
    """Numbers at risk (subjects whose time reaches the month) at regular months."""

    months: tuple[float, ...]
    at_risk: tuple[int, ...]


def risk_table(days: Sequence[int]) -> RiskTable:
    """Subjects at risk at 0, 3, 6... months (every 6 beyond 3 years): those whose time from
    the origin (day 1) reaches the month, as printed under a Kaplan-Meier plot.

    >>> risk_table([10, 20, 120])
    RiskTable(months=(0.0, 3.0, 6.0), at_risk=(3, 1, 0))
    """
    if not days:
        return RiskTable((), ())
    last = max(months(d) for d in days)
    step = 3.0 if last <= 36 else 6.0
    marks = [step * i for i in range(int(last // step) + 2)]
    return RiskTable(tuple(marks), tuple(sum(1 for d in days if d >= m * DAYS_PER_MONTH)
                                         for m in marks))


def _finite(values: Sequence[float | None]) -> list[float]:
    return [float(v) if v is not None and math.isfinite(float(v)) else math.nan for v in values]


def km_svg(analysis: EndpointAnalysis, endpoint: str) -> tuple[str, dict[str, Any]]:
    """The Kaplan-Meier curve of ``endpoint`` ("PFS" or "OS") of the endpoint module's
    per-subject times: the estimate as steps, its pointwise confidence band, censorings as
    ticks, the median (with its interval) and the numbers at risk under the axis. Returns the
    SVG and the data drawn."""
    rules = analysis.rules
    records = [r for s in analysis.subjects
               if (r := (s.pfs if endpoint == "PFS" else s.os)) is not None]
    summary = analysis.pfs if endpoint == "PFS" else analysis.os
    conf_type = rules.pfs_conf_type if endpoint == "PFS" else rules.os_conf_type
    table = risk_table([r.days for r in records])
    data: dict[str, Any] = {"n": len(records), "events": sum(r.event for r in records),
                            "risk_months": list(table.months), "at_risk": list(table.at_risk),
                            "median_months": summary.median_months}
    with _style(f"km-{endpoint.lower()}"):
        fig = MplFigure(figsize=(7.6, 4.6))
        ax = fig.add_axes((0.09, 0.3, 0.88, 0.62))
        if records:
            km = kaplan_meier([r.days for r in records], [r.event for r in records],
                              conf_type=conf_type, conf_level=rules.conf_level)
            curve = km.curve()
            x = [0.0, *(months(t) for t in curve.time)]
            y = [1.0, *curve.survival]
            lower, upper = [1.0, *_finite(curve.lower)], [1.0, *_finite(curve.upper)]
            level = f"{100 * rules.conf_level:g}"
            ax.fill_between(x, lower, upper, step="post", color=BAND, alpha=0.45, linewidth=0,
                            label=f"{level} % confidence band")
            ax.step(x, y, where="post", color=LINE, linewidth=1.8, label="Kaplan-Meier estimate")
            cx = [months(t) for t, c in zip(curve.time, curve.n_censor, strict=True) if c]
            cy = [s for s, c in zip(curve.survival, curve.n_censor, strict=True) if c]
            ax.plot(cx, cy, linestyle="none", marker="|", markersize=8, markeredgewidth=1.2,
                    color=INK, label="Censored")
            span = max(table.months) if table.months else 1.0
            if summary.median_months is not None:
                m = summary.median_months
                ax.plot([0, m, m], [0.5, 0.5, 0], color="#4a5560", linewidth=0.8,
                        linestyle="--")
            ax.set_xlim(0, span)
            ax.set_xticks(list(table.months))
            ax.set_xticklabels([f"{m:g}" for m in table.months])
            median = ("not reached" if summary.median_months is None
                      else f"{summary.median_months:.1f} months")
            text = (f"{summary.events}/{summary.n} events\nMedian {median}\n({level} % CI "
                    f"{_months_text(summary.median_lower_months)}\u2013"
                    f"{_months_text(summary.median_upper_months)})")
            ax.text(0.98, 0.96, text, transform=ax.transAxes, ha="right", va="top", fontsize=8.5,
                    bbox={"boxstyle": "round,pad=0.4", "facecolor": "white",
                          "edgecolor": GRID})
            ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=3, frameon=False,
                      fontsize=8)
            ax.text(-0.03, -0.33, "At risk", transform=ax.transAxes, ha="right", va="center",
                    fontsize=8.5, fontweight="bold")
            for m, k in zip(table.months, table.at_risk, strict=True):
                ax.text(m, -0.33, str(k), transform=ax.get_xaxis_transform(), ha="center",
                        va="center", fontsize=8.5)
        else:
            ax.text(0.5, 0.5, "No subject to analyse.", transform=ax.transAxes, ha="center")
        origin = rules.time_origin.value.replace("_", " ")
        ax.set_ylim(0, 1.02)
        ax.set_ylabel(f"{endpoint} probability")
        ax.set_xlabel(f"Months from {origin}")
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="y", color=GRID, linewidth=0.5)
        return svg_text(fig, f"km-{endpoint.lower()}"), data


def _months_text(value: float | None) -> str:
    return "NR" if value is None else f"{value:.1f}"


# --- waterfall and spider --------------------------------------------------------------------


def _bors(inp: ReportInputs) -> dict[str, Response]:
    return {s.subject_id: s.response.bor.response for s in inp.analysis.subjects
            if s.response is not None}


def _therapies(inp: ReportInputs) -> dict[str, Any]:
    return {sid: c.next_therapy_on for sid, c in inp.courses.items()
            if c.next_therapy_on is not None}


def waterfall_data(inp: ReportInputs) -> tuple[WaterfallBar, ...]:
    """Each FAS subject's best % change of the target sum (RECIST 1.1), up to the first PD
    and before new anticancer therapy, with the confirmed BOR of the endpoint module."""
    fas = {s.subject_id for s in inp.analysis.subjects if s.sets.fas}
    evaluations = {sid: ev for sid, ev in inp.evaluations.items() if sid in fas}
    return derive_waterfall(evaluations, best_overall_responses=_bors(inp),
                            new_therapy_dates=_therapies(inp))


def _colour(bor: Response | None) -> str:
    return BOR_COLOURS["NE" if bor is None else bor.value]


def _legend(ax: Any, present: Sequence[str]) -> None:
    handles = [Patch(facecolor=BOR_COLOURS[c], edgecolor="none", label=c) for c in BOR_COLOURS
               if c in present]
    ax.legend(handles=handles, title="Best overall response", loc="upper right", ncol=1,
              frameon=False, fontsize=8, title_fontsize=8)


def waterfall_step(n: int) -> int:
    """Every how many sorted bars one is drawn: 1 up to :data:`MAX_BARS` bars, else the
    smallest step that draws at most :data:`MAX_BARS`.

    >>> waterfall_step(22), waterfall_step(401), waterfall_step(5000)
    (1, 2, 13)
    """
    return max(1, math.ceil(n / MAX_BARS))


def waterfall_svg(bars: Sequence[WaterfallBar]) -> str:
    """Best % change of the target sum per subject, largest increase first, coloured by the
    confirmed BOR, with the RECIST 1.1 lines at +20 % (PD) and -30 % (PR). Changes beyond
    +100 % are cut at the top edge. Above :data:`MAX_BARS` bars every k-th sorted bar is
    drawn, k wide (:func:`waterfall_step`)."""
    step = waterfall_step(len(bars))
    drawn = list(range(0, len(bars), step))
    with _style("waterfall"):
        fig = MplFigure(figsize=(7.6, 4.2))
        ax = fig.add_axes((0.1, 0.1, 0.86, 0.84))
        ax.bar([i + (step - 1) / 2 for i in drawn],
               [min(bars[i].best_change_pct, 100.0) for i in drawn],
               color=[_colour(bars[i].best_overall_response) for i in drawn],
               width=0.8 if step == 1 else float(step), linewidth=0)
        ax.axhline(20, color="#4a5560", linestyle="--", linewidth=0.8)
        ax.axhline(-30, color="#4a5560", linestyle="--", linewidth=0.8)
        ax.axhline(0, color=INK, linewidth=0.8)
        ax.set_ylim(-105, 105)
        ax.set_xlim(-0.7, max(len(bars), 1) - 0.3)
        ax.set_xticks([])
        ax.set_ylabel("Best change of the target sum from baseline (%)")
        ax.set_xlabel(f"Subjects (n = {len(bars)})")
        ax.spines[["top", "right", "bottom"]].set_visible(False)
        _legend(ax, sorted({(b.best_overall_response.value if b.best_overall_response
                             else "NE") for b in bars}))
        if not bars:
            ax.text(0.5, 0.5, "No subject with a measured follow-up of target lesions.",
                    transform=ax.transAxes, ha="center")
        return svg_text(fig, "waterfall")


def spider_data(inp: ReportInputs) -> tuple[tuple[SpiderPoint, ...], int, int]:
    """The spider points of at most :data:`MAX_SPIDER` FAS subjects (an even sample in
    subject-id order when there are more), the number shown and the number with data."""
    fas = {s.subject_id: s for s in inp.analysis.subjects if s.sets.fas}
    origins = {sid: c.first_dose_on for sid, c in inp.courses.items()
               if c.first_dose_on is not None and sid in fas}
    evaluations = {sid: ev for sid, ev in inp.evaluations.items()
                   if sid in origins and ev.baseline_sum_mm is not None}
    ids = sorted(evaluations)
    if len(ids) > MAX_SPIDER:
        step = len(ids) / MAX_SPIDER
        ids = [ids[int(i * step)] for i in range(MAX_SPIDER)]
    points = derive_spider({sid: evaluations[sid] for sid in ids}, origins=origins,
                           new_therapy_dates=_therapies(inp))
    return points, len(ids), len(evaluations)


def spider_svg(points: Sequence[SpiderPoint], bors: Mapping[str, Response]) -> str:
    """% change of the target sum over time, one line per subject, coloured by the confirmed
    BOR, with the RECIST 1.1 lines at +20 % and -30 %."""
    with _style("spider"):
        fig = MplFigure(figsize=(7.6, 4.2))
        ax = fig.add_axes((0.1, 0.12, 0.86, 0.82))
        lines: dict[str, list[SpiderPoint]] = {}
        for p in points:
            lines.setdefault(p.subject_id, []).append(p)
        present = set()
        for sid in sorted(lines):
            pts = lines[sid]
            bor = bors.get(sid)
            present.add("NE" if bor is None else bor.value)
            ax.plot([months(p.day) for p in pts], [min(p.change_pct, 150.0) for p in pts],
                    color=_colour(bor), linewidth=1.0, marker="o", markersize=2.5, alpha=0.9)
        ax.axhline(20, color="#4a5560", linestyle="--", linewidth=0.8)
        ax.axhline(-30, color="#4a5560", linestyle="--", linewidth=0.8)
        ax.axhline(0, color=INK, linewidth=0.6)
        ax.set_ylim(-105, 155)
        ax.set_xlim(left=0)
        ax.set_xlabel("Months from first dose")
        ax.set_ylabel("Change of the target sum from baseline (%)")
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="y", color=GRID, linewidth=0.5)
        _legend(ax, sorted(present))
        return svg_text(fig, "spider")


# --- swimmer ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SwimmerLane:
    """One subject's lane, in months from the first dose: the treatment bar, the CR/PR
    assessments, progression (the PFS event of the endpoint module), death, and whether
    treatment is ongoing at the cut-off (drawn as an arrow)."""

    subject_id: str
    treatment_months: float
    bor: str
    responses: tuple[tuple[float, str], ...]
    progression_months: float | None
    death_months: float | None
    ongoing: bool


def swimmer_data(inp: ReportInputs) -> tuple[tuple[SwimmerLane, ...], int]:
    """The lanes of at most :data:`MAX_LANES` treated subjects with the longest time on
    treatment (all of them when there are fewer), longest first; and the number of treated
    subjects."""
    by_subject: dict[str, list[tuple[float, str]]] = {}
    endpoints = {s.subject_id: s for s in inp.analysis.subjects}
    lanes = []
    for sid, c in inp.courses.items():
        if c.first_dose_on is None:
            continue
        first = c.first_dose_on
        end = inp.cutoff if c.on_treatment else (c.last_dose_on or first)
        row = endpoints.get(sid)
        pfs = row.pfs if row is not None else None
        pd = None
        if pfs is not None and pfs.event and pfs.event_kind is not None \
                and pfs.event_kind.value == "progression":
            pd = months((pfs.end_on - first).days + 1)
        bor = row.response.bor.response.value if row is not None and row.response else "NE"
        by_subject[sid] = []
        lanes.append(SwimmerLane(
            subject_id=sid, treatment_months=months((end - first).days + 1), bor=bor,
            responses=(), progression_months=pd,
            death_months=None if c.died_on is None else months((c.died_on - first).days + 1),
            ongoing=c.on_treatment))
    for a in inp.study.dataset.assessments:
        course = inp.courses.get(a.subject_id)
        if a.subject_id not in by_subject or course is None or course.first_dose_on is None:
            continue
        if a.baseline or a.assessed_on > inp.cutoff or a.overall_response not in (
                Response.CR, Response.PR):
            continue
        by_subject[a.subject_id].append(
            (months((a.assessed_on - course.first_dose_on).days + 1), a.overall_response.value))
    total = len(lanes)
    lanes.sort(key=lambda lane: (-lane.treatment_months, lane.subject_id))
    shown = [SwimmerLane(lane.subject_id, lane.treatment_months, lane.bor,
                         tuple(sorted(by_subject[lane.subject_id])), lane.progression_months,
                         lane.death_months, lane.ongoing) for lane in lanes[:MAX_LANES]]
    return tuple(shown), total


def swimmer_svg(lanes: Sequence[SwimmerLane]) -> str:
    """Time on treatment per subject (bars coloured by the confirmed BOR) with CR/PR
    assessments, progression, death, and an arrow where treatment is ongoing."""
    height = max(2.6, 0.6 + 0.16 * len(lanes))
    with _style("swimmer"):
        fig = MplFigure(figsize=(7.6, height))
        ax = fig.add_axes((0.1, 0.6 / height, 0.72, 1 - 1.0 / height))
        ys = list(range(len(lanes)))[::-1]
        for y, lane in zip(ys, lanes, strict=True):
            ax.barh(y, lane.treatment_months, color=BOR_COLOURS.get(lane.bor, "#999999"),
                    height=0.6, linewidth=0)
            if lane.ongoing:
                ax.annotate("", xy=(lane.treatment_months + 0.6, y),
                            xytext=(lane.treatment_months, y),
                            arrowprops={"arrowstyle": "-|>", "color": INK, "linewidth": 0.8})
            for x, code in lane.responses:
                ax.plot(x, y, marker="^", color=INK if code == "CR" else "white",
                        markeredgecolor=INK, markersize=4.5, linestyle="none")
            if lane.progression_months is not None:
                ax.plot(lane.progression_months, y, marker="X", color="white",
                        markeredgecolor=INK, markeredgewidth=0.8, markersize=6)
            if lane.death_months is not None:
                ax.plot(lane.death_months, y, marker="s", color=INK, markersize=4)
        ax.set_yticks(ys)
        ax.set_yticklabels([lane.subject_id for lane in lanes], fontsize=7)
        ends = [max(lane.treatment_months + (0.9 if lane.ongoing else 0.0),
                    lane.death_months or 0.0, lane.progression_months or 0.0) for lane in lanes]
        ax.set_xlim(0, max(ends, default=1.0) * 1.04 + 0.2)
        ax.set_ylim(-0.8, max(len(lanes), 1) - 0.2)
        ax.set_xlabel("Months from first dose")
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="x", color=GRID, linewidth=0.5)
        handles: list[Artist] = [Patch(facecolor=BOR_COLOURS[c], label=f"BOR {c}")
                                 for c in BOR_COLOURS if any(lane.bor == c for lane in lanes)]
        handles += [
            Line2D([], [], marker="^", color="white", markeredgecolor=INK, linestyle="none",
                   label="PR"),
            Line2D([], [], marker="^", color=INK, linestyle="none", label="CR"),
            Line2D([], [], marker="X", color="white", markeredgecolor=INK, linestyle="none",
                   label="Progression"),
            Line2D([], [], marker="s", color=INK, linestyle="none", label="Death"),
            Line2D([], [], marker=r"$\rightarrow$", color=INK, linestyle="none",
                   label="Ongoing")]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7.5,
                  frameon=False)
        return svg_text(fig, "swimmer")

