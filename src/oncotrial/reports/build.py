"""``build_report``: the study report at a data cut-off, as plain data.

The steps (:data:`REPORT_STEPS`) are announced through ``progress`` so a command line can show
a progress bar. Sections and numbering follow ICH E3: 14.1 disposition and baseline, 14.2
efficacy, 14.3 safety (extent of exposure first, as in section 12.1), 16.1.9 the statistical
methods in force (the protocol's rules and assumptions), 16.2 the patient data listings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date

from oncotrial import __version__
from oncotrial.context import TrialContext
from oncotrial.ctcae import bundled_dictionary
from oncotrial.eligibility import Eligibility, VerdictStatus
from oncotrial.errors import InputError
from oncotrial.recist import WaterfallBar
from oncotrial.reports import figures, labs, listings, tables
from oncotrial.reports.inputs import ReportInputs, prepare_inputs
from oncotrial.reports.model import Figure, Report, Section, Table
from oncotrial.study import StudyData

__all__ = ["REPORT_STEPS", "build_report", "flow_counts"]

#: The steps of :func:`build_report`, in order, as ``progress`` announces them.
REPORT_STEPS: tuple[str, ...] = (
    "Deriving endpoints, screening verdicts and exposure",
    "Disposition and baseline tables",
    "Efficacy tables",
    "Kaplan-Meier plots",
    "Waterfall, spider and swimmer plots",
    "Adverse event tables",
    "Laboratory shift tables",
    "Listings",
    "Protocol rules and assumptions",
)

#: Section key -> (number prefix, title).
SECTIONS: dict[str, tuple[str, str]] = {
    "disposition": ("14.1", "Subject disposition and baseline characteristics"),
    "efficacy": ("14.2", "Efficacy"),
    "safety": ("14.3", "Safety"),
    "methods": ("16.1.9", "Analysis rules and protocol assumptions"),
    "listings": ("16.2", "Patient data listings"),
}


def flow_counts(inp: ReportInputs) -> figures.FlowCounts:
    """The numbers of the disposition flow diagram, counted as the disposition table counts
    them."""
    failed: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    for o in inp.screened:
        if o.patient.subject_id:
            continue
        status = o.result.status if o.result else None
        if status is Eligibility.NOT_ELIGIBLE and o.result is not None:
            counts["failed"] += 1
            failed.update(f"{v.criterion_id} {v.title}" for v in o.result.verdicts.values()
                          if v.status is VerdictStatus.NOT_MET)
        elif status is Eligibility.ELIGIBLE:
            counts["eligible"] += 1
        else:
            counts["incomplete"] += 1
    enrolled = inp.enrolled
    treated = [c for c in enrolled if c.treated]
    stopped = [c for c in treated if c.treatment_ended_on is not None]
    reasons = Counter(tables.humanise(c.treatment_end_reason or "") for c in stopped)
    sets = dict(inp.analysis.set_counts)
    return figures.FlowCounts(
        screened=len(inp.screened),
        screen_failures=counts["failed"],
        failure_reasons=tuple(sorted(failed.items(), key=lambda kv: (-kv[1], kv[0]))),
        eligible_not_enrolled=counts["eligible"],
        incomplete=counts["incomplete"],
        enrolled=len(enrolled),
        not_treated=len(enrolled) - len(treated),
        treated=len(treated),
        ongoing=sum(c.on_treatment for c in enrolled),
        discontinued=len(stopped),
        discontinuation_reasons=tuple(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
        follow_up=sum(1 for c in stopped if c.study_ended_on is None and c.died_on is None),
        died=sum(1 for c in enrolled if c.died_on is not None),
        fas=sets.get("FAS", 0),
        response_evaluable=sets.get("response-evaluable", 0),
        safety=sets.get("safety", 0),
    )


def _data_findings(inp: ReportInputs) -> list[str]:
    """Data the report met that a reviewer should look at: enrolled patients not eligible
    when screened again, enrolled subjects without a screening record, unknown AE terms."""
    out = []
    for sid, o in sorted(inp.screening_of.items()):
        if o.result is not None and o.result.status is not Eligibility.ELIGIBLE \
                and sid in inp.courses:
            failed = [cid for cid, v in o.result.verdicts.items()
                      if v.status is not VerdictStatus.MET]
            out.append(f"Subject {sid} (screening number {o.patient.screening_number}) is "
                       f"enrolled, but the protocol's criteria applied again to the screening "
                       f"record give '{o.result.status.value}' ({', '.join(failed)}): a "
                       "possible protocol deviation to review.")
    missing = [sid for sid in inp.courses if sid not in inp.screening_of]
    if missing and inp.screened:
        out.append(f"{len(missing)} enrolled subject(s) have no screening record "
                   f"({', '.join(missing[:10])}{', ...' if len(missing) > 10 else ''}); their "
                   "baseline characteristics from screening are counted as missing.")
    dictionary = bundled_dictionary()
    unknown = sorted({e.term for e in inp.adverse_events if e.term not in dictionary})
    if unknown:
        out.append(f"Adverse-event terms not in the CTCAE v5.0 dictionary: {', '.join(unknown)}; "
                   f"they are counted under '{tables.UNKNOWN_SOC}'.")
    return out


def _number(key: str, items: Sequence[Table | Figure]) -> tuple[Table | Figure, ...]:
    prefix = SECTIONS[key][0]
    out: list[Table | Figure] = []
    counts = {"table": 0, "listing": 0, "figure": 0}
    for item in items:
        if isinstance(item, Figure):
            counts["figure"] += 1
            out.append(replace(item, number=f"Figure {prefix}.{counts['figure']}"))
            continue
        kind = "listing" if key == "listings" else "table"
        counts[kind] += 1
        label = "Listing" if kind == "listing" else "Table"
        out.append(replace(item, number=f"{label} {prefix}.{counts[kind]}"))
    return tuple(out)


def _section(key: str, intro: str, items: Sequence[Table | Figure]) -> Section:
    prefix, title = SECTIONS[key]
    return Section(key, prefix, title, intro, _number(key, items))


def _caption_spider(shown: int, total: int) -> str:
    base = ("Change of the sum of target lesion diameters from baseline at each assessment "
            "(RECIST 1.1), up to the first PD and before new anticancer therapy; colour: "
            "confirmed best overall response.")
    if shown < total:
        return base + (f" {shown} of {total} subjects are drawn: an even sample in subject-id "
                       "order, so the lines stay readable.")
    return base + f" All {total} subjects with target lesions and a follow-up measurement."


def _caption_swimmer(shown: int, total: int) -> str:
    base = ("Bars: first to last dose (to the cut-off when treatment is ongoing, with an "
            "arrow), coloured by the confirmed best overall response; triangles: assessments "
            "with a CR or PR; cross: progression (the PFS event); square: death.")
    if shown < total:
        return base + f" The {shown} of {total} treated subjects longest on treatment are shown."
    return base + f" All {total} treated subjects."


def _efficacy_figures(inp: ReportInputs, bars: Sequence[WaterfallBar],
                      step: Callable[[str], None]) -> list[Figure]:
    step(REPORT_STEPS[3])
    out = []
    for endpoint, title in (("PFS", "Progression-free survival"), ("OS", "Overall survival")):
        svg, data = figures.km_svg(inp.analysis, endpoint)
        out.append(Figure(
            key=f"km_{endpoint.lower()}", number="", title=f"Kaplan-Meier plot of {title.lower()}",
            caption=(f"{title} in the full analysis set: Kaplan-Meier estimate with its "
                     f"pointwise {100 * inp.ctx.endpoint_rules.conf_level:g} % confidence band, "
                     "censored subjects as ticks, the median (dashed) and the numbers at risk "
                     "under the axis (subjects whose time reaches the month)."),
            svg=svg, data=data))
    step(REPORT_STEPS[4])
    bors = {s.subject_id: s.response.bor.response for s in inp.analysis.subjects
            if s.response is not None}
    caption = ("Best change of the sum of target lesion diameters from baseline per subject "
               "(RECIST 1.1), up to the first PD and before new anticancer therapy; dashed "
               "lines at +20 % (PD) and -30 % (PR); colour: confirmed best overall response. "
               "Changes above +100 % are cut at the top.")
    every = figures.waterfall_step(len(bars))
    if every > 1:
        caption += (f" Of the {len(bars)} subjects, one bar in every {every} (in sorted order) "
                    f"is drawn, {every} subjects wide, so the shape and the colours are those "
                    "of all.")
    out.append(Figure("waterfall", "", "Waterfall plot of the best change in tumour size",
                      caption, figures.waterfall_svg(bars),
                      {"bars": [(b.subject_id, b.best_change_pct,
                                 b.best_overall_response.value if b.best_overall_response
                                 else None) for b in bars]}))
    points, shown, total = figures.spider_data(inp)
    out.append(Figure("spider", "", "Spider plot of the change in tumour size over time",
                      _caption_spider(shown, total), figures.spider_svg(points, bors),
                      {"subjects_shown": shown, "subjects_with_data": total}))
    lanes, treated = figures.swimmer_data(inp)
    out.append(Figure("swimmer", "", "Swimmer plot of time on treatment and response",
                      _caption_swimmer(len(lanes), treated), figures.swimmer_svg(lanes),
                      {"subjects_shown": len(lanes), "treated": treated,
                       "lanes": [lane.subject_id for lane in lanes]}))
    return out


def _safety_tables(inp: ReportInputs, step: Callable[[str], None],
                   findings: list[str]) -> list[Table | Figure]:
    step(REPORT_STEPS[5])
    items: list[Table | Figure] = [
        tables.exposure_table(inp),
        tables.teae_overview_table(inp),
        tables.teae_soc_pt_table(inp),
        tables.teae_grade_table(inp),
        tables.teae_soc_pt_table(
            inp, key="related_teae_soc_pt", keep=lambda e: e.related,
            title="Treatment-related treatment-emergent adverse events by system organ class "
                  "and preferred term",
            note="Treatment-related: possible, probable or definite, or attribution missing."),
        tables.teae_soc_pt_table(
            inp, key="serious_teae_soc_pt", keep=lambda e: e.serious,
            title="Serious treatment-emergent adverse events by system organ class and "
                  "preferred term",
            note="Serious: any ICH E2A seriousness criterion."),
        tables.teae_actions_table(inp),
        tables.deaths_table(inp),
    ]
    step(REPORT_STEPS[6])
    lab_tables, lab_findings = labs.lab_shift_tables(inp)
    findings += lab_findings
    return items + list(lab_tables)


def build_report(study: StudyData, ctx: TrialContext, *, cutoff: date,
                 progress: Callable[[str], None] | None = None) -> Report:
    """The study report of ``study`` at the data cut-off, under the protocol of ``ctx``.

    Efficacy is :func:`oncotrial.endpoints.analyze_endpoints` with the protocol's rules;
    screening verdicts :func:`oncotrial.eligibility.screen` of each screening record at its
    screening date; treatment emergence :func:`oncotrial.ctcae.is_treatment_emergent` with
    the protocol's window; exposure :func:`oncotrial.dosing.summarise_exposure`; laboratory
    grades :func:`oncotrial.ctcae.grade_labs`. ``progress`` is called with the name of each
    step of :data:`REPORT_STEPS` as it starts.

    Raises:
        InputError: the cut-off is not a date, or the endpoint module cannot derive a
            subject's endpoints (the message names the subject).
    """
    if not isinstance(cutoff, date):
        raise InputError(f"The data cut-off is {cutoff!r}, not a date.", field="cutoff",
                         value=cutoff, hint="Pass the cut-off as a datetime.date.")
    step = progress or (lambda _name: None)
    step(REPORT_STEPS[0])
    inp = prepare_inputs(study, ctx, cutoff=cutoff)
    findings = list(inp.findings) + _data_findings(inp)

    step(REPORT_STEPS[1])
    disposition = _section("disposition", (
        "Screening, enrolment, treatment and follow-up at the data cut-off; screen failures "
        "with the protocol's own criteria; the enrolled subjects' characteristics at baseline."),
        [tables.disposition_table(inp), tables.screen_failures_table(inp),
         Figure("flow", "", "Disposition of patients",
                "Patients screened, enrolled and treated, and how many stopped treatment and "
                "why, at the data cut-off (CONSORT-style flow for a single-arm study).",
                figures.consort_svg(flow_counts(inp))),
         tables.baseline_table(inp), tables.deviations_table(inp)])
    step(REPORT_STEPS[2])
    bars = figures.waterfall_data(inp)
    efficacy_tables: list[Table | Figure] = [
        tables.bor_table(inp), tables.response_rates_table(inp),
        tables.time_to_event_table(inp), tables.pfs_sensitivity_table(inp),
        tables.response_duration_table(inp)]
    efficacy = _section("efficacy", (
        "Every number in this section is the output of the endpoint module "
        "(oncotrial.endpoints.analyze_endpoints) with the protocol's rules (Table 16.1.9.1)."),
        [*efficacy_tables, *_efficacy_figures(inp, bars, step)])
    safety = _section("safety", (
        "Extent of exposure, treatment-emergent adverse events (CTCAE v5.0), deaths and "
        "laboratory shifts in the safety set."), _safety_tables(inp, step, findings))
    step(REPORT_STEPS[7])
    best = {b.subject_id: b.best_change_pct for b in bars}
    listing = _section("listings", "One row per record, in subject order.", [
        listings.discontinuations_listing(inp), listings.deaths_listing(inp),
        listings.sae_listing(inp), listings.screen_failures_listing(inp),
        listings.exposure_listing(inp), listings.efficacy_listing(inp, best),
        listings.deviations_listing(inp)])
    step(REPORT_STEPS[8])
    methods = _section("methods", (
        "The rules every derivation above used, read from the protocol file, and the values "
        "the protocol assumes or clarifies where the registry is silent."),
        [tables.analysis_rules_table(inp), tables.assumptions_table(inp)])
    protocol = ctx.protocol
    return Report(
        title="Tables, figures and listings",
        protocol_id=ctx.protocol_id,
        protocol_title=protocol.study.title,
        cutoff_on=cutoff,
        software_version=__version__,
        source=study.source or "not stated",
        sections=(disposition, efficacy, safety, methods, listing),
        findings=tuple(findings),
    )
