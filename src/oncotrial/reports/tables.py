"""The report's tables and listings: pure functions from the prepared inputs to table data.

Each function takes the :class:`~oncotrial.reports.inputs.ReportInputs` (the study data at the
cut-off with what the core derived from it once) and returns a :class:`~oncotrial.reports.
model.Table` whose cells are numbers. Numbers are left unnumbered (``number=""``):
:func:`oncotrial.reports.build_report` numbers the tables in the order it places them.

What is counted, and over which population, follows the clinical study report conventions of
ICH E3 (section 10: disposition; 11.2: demographics and baseline; 11.4: efficacy; 12.1:
extent of exposure; 12.2: adverse events, each patient counted once per row at the worst
grade; 12.3: deaths and serious AEs; 12.4: laboratory shifts) and ``docs/endpoints.md``
(analysis sets, the efficacy summaries). Efficacy numbers are copied from the endpoint
module's :class:`~oncotrial.endpoints.EndpointAnalysis`, never derived again here.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import fields
from functools import cache

from oncotrial.clinical import Quantity, age_in_years, child_pugh
from oncotrial.context import TrialContext
from oncotrial.ctcae import bundled_dictionary
from oncotrial.eligibility import Eligibility, VerdictStatus
from oncotrial.endpoints import NE_CATEGORIES, TimeToEventSummary
from oncotrial.errors import OncotrialError
from oncotrial.forms import load_bundled_forms
from oncotrial.protocol import list_provenance
from oncotrial.records import (
    ActionTaken,
    AdverseEvent,
    Grade,
    Response,
    Sex,
    months,
)
from oncotrial.reports.inputs import ReportInputs, SubjectCourse
from oncotrial.reports.model import Cell, Column, Row, Table
from oncotrial.stats import estimate_proportion
from oncotrial.study import AETIOLOGIES, DEVIATION_CATEGORIES, ProtocolDeviation

__all__ = [
    "BOR_LABELS",
    "analysis_rules_table",
    "assumptions_table",
    "baseline_table",
    "bor_table",
    "deaths_table",
    "deviation_label",
    "deviations_table",
    "disposition_table",
    "exposure_table",
    "humanise",
    "median_range",
    "pfs_sensitivity_table",
    "reported_deviations",
    "response_duration_table",
    "response_rates_table",
    "screen_failures_table",
    "soc_of",
    "teae_actions_table",
    "teae_grade_table",
    "teae_overview_table",
    "teae_soc_pt_table",
    "time_to_event_table",
]

#: How the best overall response categories are printed.
BOR_LABELS: dict[str, str] = {
    "CR": "Complete response (CR)",
    "PR": "Partial response (PR)",
    "SD": "Stable disease (SD)",
    "NON-CR/NON-PD": "Non-CR/non-PD",
    "PD": "Progressive disease (PD)",
    "NE": "Not evaluable (NE)",
}

#: The SOC printed for a term missing from the CTCAE dictionary.
UNKNOWN_SOC = "Term not in the CTCAE v5.0 dictionary"

N_PCT = "n (%)"
#: Kinds of a heading row of three columns (no numbers in it).
_HEADING3 = ("text", "text", "text")
#: How the interval methods of oncotrial.stats are printed.
_METHODS = {"clopper-pearson": "Clopper-Pearson (exact)", "wilson": "Wilson",
            "jeffreys": "Jeffreys"}


def humanise(code: str) -> str:
    """A stored code as words: ``progressive_disease`` -> ``Progressive disease``.

    >>> humanise("lost_to_follow_up"), humanise("pfs.censored.new_therapy")
    ('Lost to follow up', 'New therapy')
    """
    text = code.rsplit(".", 1)[-1].replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def median_range(values: Iterable[float | int]) -> tuple[float | int | None, ...]:
    """``(median, min, max)`` of the values, or ``(None, None, None)`` when there are none.

    >>> median_range([3, 1, 2, 10]), median_range([])
    ((2.5, 1, 10), (None, None, None))
    """
    data = sorted(values)
    if not data:
        return (None, None, None)
    return (statistics.median(data), data[0], data[-1])


def _population(name: str, n: int) -> str:
    return f"{name} (N = {n})"


def _pct_of(n: int, d: int) -> float | None:
    return n / d if d else None


@cache
def soc_of(term: str) -> str:
    """The MedDRA system organ class of a CTCAE v5.0 term, from the CTCAE dictionary
    (:func:`oncotrial.ctcae.bundled_dictionary`); :data:`UNKNOWN_SOC` for a term it lacks.

    >>> soc_of("Neutrophil count decreased"), soc_of("Alopecia")
    ('Investigations', 'Skin and subcutaneous tissue disorders')
    """
    dictionary = bundled_dictionary()
    return dictionary[term].soc if term in dictionary else UNKNOWN_SOC


@cache
def _pt(term: str) -> str:
    dictionary = bundled_dictionary()
    return dictionary[term].term if term in dictionary else term


# --- disposition -----------------------------------------------------------------------------


def _screening_counts(inp: ReportInputs) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for outcome in inp.screened:
        status = outcome.result.status if outcome.result else None
        if outcome.patient.subject_id:
            counts["enrolled"] += 1
        elif status is Eligibility.NOT_ELIGIBLE:
            counts["failed"] += 1
        elif status is Eligibility.ELIGIBLE:
            counts["eligible_not_enrolled"] += 1
        else:
            counts["incomplete"] += 1
    return dict(counts)


def disposition_table(inp: ReportInputs) -> Table:
    """Subject disposition (ICH E3 section 10.1): screened, screen failures, enrolled,
    treated, treatment ongoing or discontinued (by reason), study discontinued (by reason),
    in follow-up after treatment, died; and the analysis sets of the endpoint module."""
    screened = len(inp.screened)
    counts = _screening_counts(inp)
    enrolled = inp.enrolled
    n = len(enrolled)
    treated = [c for c in enrolled if c.treated]
    rows: list[Row] = [
        Row(("Patients screened", screened, None), strong=True),
        Row(("Screen failures (not eligible)", counts.get("failed", 0),
             _pct_of(counts.get("failed", 0), screened)), level=1),
        Row(("Eligible, not enrolled", counts.get("eligible_not_enrolled", 0),
             _pct_of(counts.get("eligible_not_enrolled", 0), screened)), level=1),
        Row(("Screening not completed", counts.get("incomplete", 0),
             _pct_of(counts.get("incomplete", 0), screened)), level=1),
        Row(("Enrolled", n, _pct_of(n, screened) if screened else None), strong=True),
        Row(("Treated (at least one dose)", len(treated), _pct_of(len(treated), n))),
        Row(("Not treated", n - len(treated), _pct_of(n - len(treated), n))),
        Row(("Treatment ongoing at the cut-off", sum(c.on_treatment for c in enrolled),
             _pct_of(sum(c.on_treatment for c in enrolled), n))),
    ]
    stopped = [c for c in treated if c.treatment_ended_on is not None]
    rows.append(Row(("Treatment discontinued", len(stopped), _pct_of(len(stopped), n))))
    for reason, k in sorted(Counter(c.treatment_end_reason or "" for c in stopped).items(),
                            key=lambda kv: (-kv[1], kv[0])):
        rows.append(Row((humanise(reason), k, _pct_of(k, n)), level=1))
    left = [c for c in enrolled if c.study_ended_on is not None]
    rows.append(Row(("Study discontinued", len(left), _pct_of(len(left), n))))
    for reason, k in sorted(Counter(c.study_end_reason or "" for c in left).items(),
                            key=lambda kv: (-kv[1], kv[0])):
        rows.append(Row((humanise(reason), k, _pct_of(k, n)), level=1))
    follow = sum(1 for c in stopped if c.study_ended_on is None and c.died_on is None)
    rows.append(Row(("In follow-up after treatment", follow, _pct_of(follow, n))))
    died = sum(1 for c in enrolled if c.died_on is not None)
    rows.append(Row(("Died", died, _pct_of(died, n))))
    sets = dict(inp.analysis.set_counts)
    rows.append(Row(("Analysis sets", None, None), strong=True, kinds=_HEADING3))
    for label, key in (("Full analysis set", "FAS"), ("Response-evaluable set",
                                                       "response-evaluable"),
                       ("Safety set", "safety")):
        rows.append(Row((label, sets.get(key, 0), _pct_of(sets.get(key, 0), n)), level=1))
    return Table(
        key="disposition", number="", title="Subject disposition",
        population=_population("Patients screened", screened) + "; "
        + _population("enrolled", n),
        columns=(Column("Category"), Column("n", "int"), Column("%", "share")),
        rows=tuple(rows),
        footnotes=(
            "Percentages of screening rows are of patients screened; the others of subjects "
            "enrolled.",
            "Screen failure: not enrolled, and not eligible when the protocol's criteria are "
            "applied again (oncotrial.eligibility.screen) to the screening record at the "
            "screening date.",
            "End of treatment: the treatment discontinuation record, else the study "
            "discontinuation, else the death, on or before the cut-off.",
            "Analysis sets as derived by the endpoint module (docs/endpoints.md).",
        ))


def screen_failures_table(inp: ReportInputs) -> Table:
    """Screen failures by the protocol criterion not met: each criterion with its id and
    title, counted once per patient (a patient may fail several)."""
    failures = [o for o in inp.screened if not o.patient.subject_id and o.result is not None
                and o.result.status is Eligibility.NOT_ELIGIBLE]
    n = len(failures)
    counts: Counter[str] = Counter()
    for outcome in failures:
        assert outcome.result is not None
        counts.update(cid for cid, v in outcome.result.verdicts.items()
                      if v.status is VerdictStatus.NOT_MET)
    rows = [Row(("Any criterion not met", "", n), strong=True)]
    for criterion in inp.ctx.criteria:
        if counts.get(criterion.id):
            rows.append(Row((criterion.id, criterion.title, counts[criterion.id]), level=1))
    return Table(
        key="screen_failures", number="", title="Screen failures by eligibility criterion not met",
        population=_population("Screen failures", n),
        columns=(Column("Criterion"), Column("Title"), Column(N_PCT, "n_pct", n)),
        rows=tuple(rows),
        footnotes=(
            f"Criteria of protocol {inp.ctx.protocol_id}, in protocol order (I: inclusion, E: "
            "exclusion); for an exclusion criterion 'not met' means the patient is excluded.",
            "A patient may fail more than one criterion, so the rows add up to more than the "
            "screen failures.",
        ))


def deviation_label(inp: ReportInputs, code: str) -> str:
    """A deviation category's English label from the trial's forms (code list
    ``deviation_category``; the bundled forms of the protocol when the context has none
    loaded), else the code made readable."""
    return _deviation_labels(inp.ctx).get(code) or humanise(code)


def _deviation_labels(ctx: TrialContext) -> dict[str, str]:
    if ctx.forms is None:
        return _bundled_deviation_labels(ctx.protocol_id)
    return {c.code: c.en for c in ctx.forms.code_lists.get("deviation_category", [])}


@cache
def _bundled_deviation_labels(protocol_id: str) -> dict[str, str]:
    try:
        forms = load_bundled_forms(protocol_id)
    except OncotrialError:
        return {}
    return {c.code: c.en for c in forms.code_lists.get("deviation_category", [])}


def reported_deviations(inp: ReportInputs) -> list[ProtocolDeviation]:
    """The protocol deviations of enrolled subjects that happened on or before the cut-off,
    in subject and date order."""
    return sorted((d for d in inp.study.deviations
                   if d.subject_id in inp.courses and d.deviation_on <= inp.cutoff),
                  key=lambda d: (d.subject_id, d.deviation_on, d.identified_on, d.category))


def deviations_table(inp: ReportInputs) -> Table:
    """Protocol deviations by category, major and minor (ICH E3 section 10.2): deviations
    counted each, and subjects with at least one, of the subjects enrolled."""
    found = reported_deviations(inp)
    n = len(inp.courses)

    def line(label: str, items: Sequence[ProtocolDeviation], level: int) -> Row:
        major = sum(d.major for d in items)
        return Row((label, major, len(items) - major, len(items),
                    len({d.subject_id for d in items})), level=level, strong=level == 0)

    rows = [line("Any protocol deviation", found, 0)]
    order = DEVIATION_CATEGORIES + tuple(sorted({d.category for d in found}
                                                - set(DEVIATION_CATEGORIES)))
    for code in order:
        items = [d for d in found if d.category == code]
        if items:
            rows.append(line(deviation_label(inp, code), items, 1))
    return Table(
        key="deviations", number="", title="Protocol deviations by category",
        population=_population("Enrolled", n),
        columns=(Column("Category"), Column("Major", "int"), Column("Minor", "int"),
                 Column("All", "int"), Column("Subjects, " + N_PCT, "n_pct", n)),
        rows=tuple(rows),
        footnotes=(
            "Deviations recorded on the protocol deviations log form that happened on or "
            "before the cut-off; Major, Minor and All count deviations, the last column "
            "subjects with at least one.",
            "Major: may affect the subject's safety or the reliability of the data (as the "
            "investigator classified it on the form).",
        ))


# --- baseline --------------------------------------------------------------------------------


def _child_pugh_of(inp: ReportInputs, sid: str) -> tuple[str, int] | None:
    outcome = inp.screening_of.get(sid)
    if outcome is None:
        return None
    record = outcome.patient.record
    labs, liver = record.labs, record.liver
    if labs.bilirubin is None or labs.albumin is None or liver.ascites is None \
            or liver.encephalopathy is None or (labs.inr is None
                                                and labs.pt_prolongation_s is None):
        return None
    try:
        result = child_pugh(
            bilirubin=Quantity(labs.bilirubin.value, labs.bilirubin.unit),
            albumin=Quantity(labs.albumin.value, labs.albumin.unit),
            inr=labs.inr.value if labs.inr is not None else None,
            pt_prolongation_s=labs.pt_prolongation_s,
            ascites=liver.ascites, encephalopathy=liver.encephalopathy)
    except OncotrialError:
        return None
    return result.child_pugh_class.value, result.points


def _screening_fact(inp: ReportInputs, sid: str, name: str) -> int | None:
    """A whole-number fact the eligibility criteria derived at screening (``age_years``,
    ``prior_systemic_lines``), as the protocol's rule computed it; None if no criterion
    used it."""
    outcome = inp.screening_of.get(sid)
    if outcome is None or outcome.result is None:
        return None
    for verdict in outcome.result.verdicts.values():
        value = verdict.facts.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _category_rows(group: str, values: Sequence[str | None], categories: Sequence[str],
                   labels: dict[str, str] | None = None) -> list[Row]:
    counts = Counter(values)
    rows = [Row((group, (labels or {}).get(c, c), counts.get(c, 0))) for c in categories]
    extra = sorted(str(v) for v in counts if v is not None and v not in categories)
    rows += [Row((group, v, counts[v])) for v in extra]
    if counts.get(None):
        rows.append(Row((group, "Missing", counts[None])))
    return rows


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("Yes" if value else "No")


def baseline_table(inp: ReportInputs) -> Table:
    """Demographics and baseline characteristics of the enrolled subjects (ICH E3 11.2):
    age, sex, ECOG, Child-Pugh class and score (computed by :func:`oncotrial.clinical.
    child_pugh` from the screening labs and clinical items), BCLC stage, aetiology, prior
    systemic lines, macrovascular invasion, extrahepatic spread, measurable disease."""
    enrolled = inp.enrolled
    n = len(enrolled)
    ages: list[int] = []
    missing_age = 0
    sexes, ecog, cp_class, cp_score, bclc, lines = [], [], [], [], [], []
    aetiology: list[str | None] = []
    mvi, ehs = [], []
    for course in enrolled:
        sid = course.subject.subject_id
        outcome = inp.screening_of.get(sid)
        record = outcome.patient.record if outcome else None
        age = _screening_fact(inp, sid, "age_years")
        if age is None and record is not None and record.birth_date is not None \
                and outcome is not None:
            age = age_in_years(record.birth_date, on=outcome.patient.screened_on)
        if age is None:
            missing_age += 1
        else:
            ages.append(age)
        sex = course.subject.sex or (record.sex if record else None)
        sexes.append(None if sex is None else ("Male" if sex is Sex.MALE else "Female"))
        ecog.append(None if record is None or record.ecog is None else str(record.ecog))
        cp = _child_pugh_of(inp, sid)
        cp_class.append(None if cp is None else cp[0])
        cp_score.append(None if cp is None else str(cp[1]))
        stage = record.diagnosis.bclc_stage if record else None
        bclc.append(stage)
        prior = _screening_fact(inp, sid, "prior_systemic_lines")
        lines.append(None if prior is None else (str(prior) if prior < 4 else "4 or more"))
        base = inp.baseline.get(sid)
        if base is None or not base.aetiology:
            aetiology.append(None)
        else:
            aetiology.extend(base.aetiology)
        mvi.append(_yes_no(base.macrovascular_invasion if base else None))
        ehs.append(_yes_no(base.extrahepatic_spread if base else None))
    group = "group"
    rows = [Row(("Age (years)", "Median (range)", median_range(ages)),
                kinds=(group, "text", "median_range")),
            Row(("Age (years)", "< 65", sum(a < 65 for a in ages))),
            Row(("Age (years)", ">= 65", sum(a >= 65 for a in ages)))]
    if missing_age:
        rows.append(Row(("Age (years)", "Missing", missing_age)))
    rows += _category_rows("Sex", sexes, ("Male", "Female"))
    rows += _category_rows("ECOG performance status", ecog, ("0", "1", "2"))
    rows += _category_rows("Child-Pugh class", cp_class, ("A", "B", "C"))
    rows += _category_rows("Child-Pugh score", cp_score, ("5", "6", "7", "8", "9"))
    rows += _category_rows("BCLC stage", bclc, ("0", "A", "B", "C", "D"))
    rows += _category_rows("Aetiology", aetiology, AETIOLOGIES,
                           {"hbv": "HBV", "hcv": "HCV", "alcohol": "Alcohol", "nafld": "NAFLD",
                            "other": "Other"})
    rows += _category_rows("Prior systemic lines (advanced)", lines, ("1", "2", "3"))
    rows += _category_rows("Macrovascular invasion", mvi, ("Yes", "No"))
    rows += _category_rows("Extrahepatic spread", ehs, ("Yes", "No"))
    rows += _category_rows("Measurable disease at baseline",
                           [_yes_no(c.subject.measurable_disease_at_baseline) for c in enrolled],
                           ("Yes", "No"))
    return Table(
        key="baseline", number="", title="Demographics and baseline characteristics",
        population=_population("Enrolled", n),
        columns=(Column("Characteristic", "group"), Column("Category"),
                 Column(N_PCT, "n_pct", n)),
        rows=tuple(rows),
        footnotes=(
            "Age in completed years on the protocol's age reference date, as the eligibility "
            "criterion computes it (at the screening date when no criterion does); sex, ECOG, "
            "BCLC stage and prior therapy from the screening record.",
            "Child-Pugh (Pugh et al. 1973) computed with oncotrial.clinical.child_pugh from the "
            "screening bilirubin, albumin, INR (or PT prolongation), ascites and "
            "encephalopathy.",
            "Prior systemic lines for advanced HCC ended by progression or intolerance, as "
            "counted by the eligibility criterion (docs/protocol-notes.md#pn-18).",
            "Aetiology: a subject may have more than one. BCLC stage: Reig et al. 2022.",
        ))


# --- exposure --------------------------------------------------------------------------------


def _duration_days(course: SubjectCourse) -> int | None:
    if course.first_dose_on is None or course.last_dose_on is None:
        return None
    return (course.last_dose_on - course.first_dose_on).days + 1


def exposure_table(inp: ReportInputs) -> Table:
    """Extent of exposure in the safety set (ICH E3 12.1; ``docs/safety.md``, Exposure):
    cycles started, duration, cumulative dose, dose intensity, relative dose intensity
    (:func:`oncotrial.dosing.summarise_exposure`), reductions, interruptions (0 mg stretches)
    and the lowest dose taken."""
    safety = inp.safety
    n = len(safety)
    summarised = [c for c in safety if c.exposure is not None]
    cycles = [c.cycles_started for c in safety]
    durations = [d for c in safety if (d := _duration_days(c)) is not None]
    cumulative = [c.exposure.delivered_total_mg for c in summarised if c.exposure]
    intensity = [c.exposure.delivered_total_mg / d for c in summarised
                 if c.exposure and (d := _duration_days(c))]
    rdi = [100 * c.exposure.relative_dose_intensity for c in summarised
           if c.exposure and c.exposure.relative_dose_intensity is not None]
    reductions = [c.exposure.reductions for c in summarised if c.exposure]
    holds = [c.exposure.holds for c in summarised if c.exposure]
    mr = "median_range"
    g = "group"

    def stat(group: str, values: Sequence[float | int]) -> Row:
        return Row((group, "Median (range)", median_range(values)), kinds=(g, "text", mr))

    rows = [stat("Cycles started", cycles),
            Row(("Cycles started", "1", sum(c == 1 for c in cycles))),
            Row(("Cycles started", "2", sum(c == 2 for c in cycles))),
            Row(("Cycles started", "3 to 5", sum(3 <= c <= 5 for c in cycles))),
            Row(("Cycles started", "6 or more", sum(c >= 6 for c in cycles))),
            stat("Duration of treatment (weeks)", [round(d / 7, 1) for d in durations]),
            stat("Cumulative dose (mg)", cumulative),
            stat("Dose intensity (mg/day)", [round(x, 1) for x in intensity]),
            stat("Relative dose intensity (%)", [round(x, 1) for x in rdi]),
            Row(("Relative dose intensity (%)", "< 70", sum(x < 70 for x in rdi))),
            Row(("Relative dose intensity (%)", "70 to < 90", sum(70 <= x < 90 for x in rdi))),
            Row(("Relative dose intensity (%)", ">= 90", sum(x >= 90 for x in rdi))),
            Row(("Dose reductions", "Subjects with at least one",
                 sum(r > 0 for r in reductions))),
            Row(("Dose reductions", "Subjects with two or more",
                 sum(r > 1 for r in reductions))),
            Row(("Dose reductions", "Reductions (all subjects)", sum(reductions)),
                kinds=(g, "text", "int")),
            Row(("Dose interruptions", "Subjects with at least one", sum(h > 0 for h in holds))),
            Row(("Dose interruptions", "Interruptions (all subjects)", sum(holds)),
                kinds=(g, "text", "int"))]
    lowest = Counter(c.lowest_dose_mg for c in safety if c.lowest_dose_mg is not None)
    for level in inp.ctx.dose_rules.dose_levels_mg:
        rows.append(Row(("Lowest daily dose taken", f"{level} mg", lowest.get(level, 0))))
    other = sorted(d for d in lowest if d not in inp.ctx.dose_rules.dose_levels_mg)
    rows += [Row(("Lowest daily dose taken", f"{d:g} mg (not a protocol level)", lowest[d]))
             for d in other]
    rules = inp.ctx.dose_rules
    return Table(
        key="exposure", number="", title=f"Extent of exposure to {rules.drug}",
        population=_population("Safety set", n),
        columns=(Column("Parameter", "group"), Column("Statistic"), Column(N_PCT, "n_pct", n)),
        rows=tuple(rows),
        footnotes=(
            "Cycle 1 starts on the first dose; a later cycle starts on a dosing day after days "
            "without a dosing row (the planned days off, or a delay), or a whole cycle length "
            f"({rules.cycle_length_days} days) after the current cycle's Day 1.",
            "Duration: first to last dose day, inclusive, on or before the cut-off. Dose "
            "intensity: cumulative dose / duration.",
            f"Relative dose intensity: delivered / planned dose, planned = {rules.starting_dose_mg}"
            f" mg on days 1-{rules.days_on} of each {rules.cycle_length_days}-day cycle from the "
            "first dose (oncotrial.dosing.summarise_exposure; docs/safety.md).",
            "A dosing stretch at 0 mg is an interruption (hold); a reduction is a fall of the "
            "daily dose from one dosing stretch to the next.",
        ))


# --- efficacy --------------------------------------------------------------------------------


def bor_table(inp: ReportInputs) -> Table:
    """Best overall response (RECIST 1.1) in the response-evaluable set: the confirmed BOR
    distribution of the endpoint module with its NE reasons, and the unconfirmed BOR of each
    subject as the endpoint module derived it."""
    analysis = inp.analysis
    n = dict(analysis.set_counts).get("response-evaluable", 0)
    evaluable = [s for s in analysis.subjects if s.sets.response_evaluable and s.response]
    unconfirmed = Counter(s.response.bor_unconfirmed.response.value for s in evaluable
                          if s.response)
    rows = []
    for code, count in analysis.bor_distribution:
        rows.append(Row((BOR_LABELS.get(code, code), count, unconfirmed.get(code, 0))))
        if code == Response.NE.value:
            for category, k in analysis.ne_reasons:
                text = NE_CATEGORIES.get(category, category)
                rows.append(Row((text[:1].upper() + text[1:], k, None), level=1))
    return Table(
        key="bor", number="", title="Best overall response (RECIST 1.1, investigator)",
        population=_population("Response-evaluable set", n),
        columns=(Column("Best overall response"), Column("Confirmed, n (%)", "n_pct", n),
                 Column("Unconfirmed, n (%)", "n_pct", n)),
        rows=tuple(rows),
        footnotes=(
            "Confirmed: CR or PR confirmed by a second assessment at least "
            f"{inp.ctx.endpoint_rules.confirm_min_days} days later (RECIST 1.1 section 4.6); "
            f"SD at least {inp.ctx.endpoint_rules.min_sd_days} days after the first dose.",
            "Only assessments up to the first PD and before new anticancer therapy count "
            "(docs/endpoints.md).",
        ))


def response_rates_table(inp: ReportInputs) -> Table:
    """ORR and DCR, confirmed and unconfirmed, over the response-evaluable set and the FAS,
    with exact Clopper-Pearson intervals: the endpoint module's rates, and the unconfirmed
    DCR from the endpoint module's unconfirmed BOR of each subject."""
    analysis = inp.analysis
    rules = inp.ctx.endpoint_rules
    rows = []
    for population, flag in (("response-evaluable", "response_evaluable"), ("FAS", "fas")):
        for rate in analysis.rates:
            if rate.population != population:
                continue
            est = rate.estimate
            rows.append(Row((rate.endpoint, rate.population, (rate.x, rate.n),
                             est.estimate if est else None,
                             (est.lower, est.upper) if est else None,
                             _METHODS.get(est.method.value, est.method.value) if est else "")))
        out = [s.response for s in analysis.subjects
               if getattr(s.sets, flag) and s.response is not None]
        x = sum(o.bor_unconfirmed.response in (Response.CR, Response.PR, Response.SD)
                for o in out)
        est = estimate_proportion(x, len(out), method=rules.ci_method,
                                  conf_level=rules.conf_level) if out else None
        rows.append(Row(("DCR unconfirmed", population, (x, len(out)),
                         est.estimate if est else None,
                         (est.lower, est.upper) if est else None,
                         _METHODS.get(est.method.value, est.method.value) if est else "")))
    level = f"{100 * rules.conf_level:g} % CI"
    return Table(
        key="response_rates", number="", title="Objective response rate and disease control rate",
        population=", ".join(f"{k} N = {v}" for k, v in analysis.set_counts
                             if k in ("response-evaluable", "FAS")),
        columns=(Column("Endpoint"), Column("Population"), Column("n/N", "n_of"),
                 Column("Rate (%)", "pct"), Column(level, "ci_pct"), Column("Method")),
        rows=tuple(rows),
        footnotes=(
            "ORR: confirmed CR or PR; DCR: confirmed CR or PR, or SD meeting the minimum "
            "duration; subjects with a missing or NE response stay in the denominator.",
            "Primary population: the response-evaluable set (measurable disease at baseline).",
            "DCR unconfirmed is supplementary: CR, PR or SD as the unconfirmed best overall "
            "response of the endpoint module, with the same interval method.",
        ))


def _tte_cells(s: TimeToEventSummary) -> dict[str, Cell]:
    cells: dict[str, Cell] = {
        "n": s.n, "events": s.events,
        "median": (s.median_months, s.median_lower_months, s.median_upper_months),
        "q25": s.q25_months, "q75": s.q75_months,
        "censored": s.n - s.events,
    }
    for kind, k in s.events_by_kind:
        cells[f"kind:{kind}"] = k
    for code, k in s.censored_by_code:
        cells[f"code:{humanise(code)}"] = k
    for lm in s.landmarks:
        cells[f"rate:{lm.months:g}"] = (lm.estimate, lm.lower, lm.upper)
        cells[f"risk:{lm.months:g}"] = lm.n_risk
    return cells


def time_to_event_table(inp: ReportInputs) -> Table:
    """PFS and OS (``docs/endpoints.md`` sections 3.2 and 4), as the endpoint module
    summarised them: events by kind, censoring by reason, Kaplan-Meier median with its
    Brookmeyer-Crowley interval, quartiles, landmark rates with Greenwood intervals, and the
    median follow-up by reverse Kaplan-Meier."""
    a = inp.analysis
    rules = inp.ctx.endpoint_rules
    pfs, os_ = _tte_cells(a.pfs), _tte_cells(a.os)
    level = f"{100 * rules.conf_level:g} % CI"
    g = "group"

    def row(group: str, label: str, key: str, kind: str) -> Row:
        return Row((group, label, pfs.get(key), os_.get(key)), kinds=(g, "text", kind, kind))

    rows = [row("Subjects", "n", "n", "int"),
            Row(("Events", N_PCT, a.pfs.events, a.os.events))]
    kinds = sorted({k.removeprefix("kind:") for k in (*pfs, *os_) if k.startswith("kind:")})
    rows += [Row(("Events", humanise(kind), pfs.get(f"kind:{kind}"), os_.get(f"kind:{kind}")),
                 level=1) for kind in kinds]
    rows.append(Row(("Censored", N_PCT, pfs["censored"], os_["censored"])))
    codes = sorted({k.removeprefix("code:") for k in (*pfs, *os_) if k.startswith("code:")})
    rows += [Row(("Censored", code, pfs.get(f"code:{code}"), os_.get(f"code:{code}")),
                 level=1) for code in codes]
    rows += [row("Median (months)", f"Estimate ({level})", "median", "est_ci_months"),
             row("Quartiles (months)", "25th percentile", "q25", "months"),
             row("Quartiles (months)", "75th percentile", "q75", "months")]
    marks = sorted({float(k.removeprefix("rate:")) for k in (*pfs, *os_)
                    if k.startswith("rate:")})
    for m in marks:
        rows.append(row(f"Rate at {m:g} months", f"% ({level})", f"rate:{m:g}", "est_ci_pct"))
        rows.append(row(f"Rate at {m:g} months", "Subjects at risk", f"risk:{m:g}", "int"))
    fu = a.follow_up
    follow: Cell = None
    if fu is not None:
        follow = tuple(None if v is None else months(v) for v in (fu.time, fu.lower, fu.upper))
    rows.append(Row(("Median follow-up (months)", f"Reverse Kaplan-Meier ({level})", None,
                     follow), kinds=(g, "text", "est_ci_months", "est_ci_months")))
    return Table(
        key="time_to_event", number="", title="Progression-free survival and overall survival",
        population=_population("Full analysis set", a.pfs.n),
        columns=(Column("Parameter", "group"), Column("Statistic"),
                 Column("PFS", "n_pct", a.pfs.n), Column("OS", "n_pct", a.os.n)),
        rows=tuple(rows),
        footnotes=(
            f"Time from {rules.time_origin.value.replace('_', ' ')} (day 1); months = days / "
            "30.4375.",
            f"Kaplan-Meier estimates; median with the Brookmeyer-Crowley interval "
            f"({rules.pfs_conf_type} for PFS, {rules.os_conf_type} for OS); landmark rates with "
            "Greenwood variance; NR: not reached; NE: not estimable.",
            "PFS events and censoring by the FDA 2018 table as docs/endpoints.md adapts it; the "
            "censoring reasons are the codes pfs.censored.* and os.censored.* "
            "(docs/result-codes.md).",
            "Median follow-up by the reverse Kaplan-Meier method (Schemper and Smith 1996), in "
            "the OS column.",
        ))


def pfs_sensitivity_table(inp: ReportInputs) -> Table:
    """The primary PFS analysis and its sensitivity analyses S1-S4 (``docs/endpoints.md``
    section 3.1), as the endpoint module summarised them."""
    a = inp.analysis
    level = f"{100 * inp.ctx.endpoint_rules.conf_level:g} % CI"
    rows = [Row((s.endpoint, s.description, s.n, s.events,
                 (s.median_months, s.median_lower_months, s.median_upper_months)))
            for s in (a.pfs, *a.pfs_sensitivity)]
    return Table(
        key="pfs_sensitivity", number="", title="Progression-free survival: sensitivity analyses",
        population=_population("Full analysis set", a.pfs.n),
        columns=(Column("Analysis"), Column("Description"), Column("N", "int"),
                 Column("Events", "int"), Column(f"Median, months ({level})", "est_ci_months")),
        rows=tuple(rows))


def response_duration_table(inp: ReportInputs) -> Table:
    """Duration of response (Kaplan-Meier) and time to response among confirmed responders,
    as the endpoint module summarised them."""
    a = inp.analysis
    dor, ttr = a.duration_of_response, a.time_to_response
    level = f"{100 * inp.ctx.endpoint_rules.conf_level:g} % CI"
    g = "group"
    median: Cell = None  # no responder: no median to estimate
    if dor.n:
        median = (dor.median_months, dor.median_lower_months, dor.median_upper_months)
    rows = [Row(("Duration of response", "Responders", dor.n), kinds=(g, "text", "int")),
            Row(("Duration of response", "Events", dor.events), kinds=(g, "text", "int")),
            Row(("Duration of response", f"Median, months ({level})", median),
                kinds=(g, "text", "est_ci_months")),
            Row(("Time to response", "Responders", ttr.n), kinds=(g, "text", "int")),
            Row(("Time to response", "Median (range), months",
                 (ttr.median_months, ttr.min_months, ttr.max_months)),
                kinds=(g, "text", "median_range"))]
    return Table(
        key="response_duration", number="", title="Duration of response and time to response",
        population=_population("Confirmed responders", dor.n),
        columns=(Column("Parameter", "group"), Column("Statistic"), Column("Value", "text")),
        rows=tuple(rows),
        footnotes=("Duration of response: first CR or PR to progression or death, censored by "
                   "the PFS rules. Time to response: first dose to the first CR or PR.",))


# --- adverse events --------------------------------------------------------------------------


def _subjects(events: Iterable[AdverseEvent], keep: Callable[[AdverseEvent], bool]) -> set[str]:
    return {e.subject_id for e in events if keep(e)}


def _high(e: AdverseEvent) -> bool:
    return e.grade >= Grade.G3


def teae_overview_table(inp: ReportInputs) -> Table:
    """Overview of treatment-emergent adverse events (``docs/endpoints.md`` section 8.2):
    subjects (and events) with any TEAE, grade 3 or more, related, serious, leading to an
    interruption, reduction or discontinuation, fatal; and subjects by worst grade."""
    n = len(inp.safety)
    teae = inp.teae

    def line(label: str, keep: Callable[[AdverseEvent], bool], level: int = 0) -> Row:
        chosen = [e for e in teae if keep(e)]
        return Row((label, len({e.subject_id for e in chosen}), len(chosen)), level=level)

    rows = [
        line("Any TEAE", lambda e: True),
        line("Grade 3 or higher", _high),
        line("Treatment-related", lambda e: e.related),
        line("Treatment-related, grade 3 or higher", lambda e: e.related and _high(e)),
        line("Serious", lambda e: e.serious),
        line("Treatment-related, serious", lambda e: e.related and e.serious),
        line("Leading to dose interruption",
             lambda e: e.action_taken is ActionTaken.DRUG_INTERRUPTED),
        line("Leading to dose reduction", lambda e: e.action_taken is ActionTaken.DOSE_REDUCED),
        line("Leading to permanent discontinuation",
             lambda e: e.action_taken is ActionTaken.DRUG_WITHDRAWN),
        line("Fatal (grade 5)", lambda e: e.grade == Grade.G5),
        Row(("Subjects by worst grade", None, None), strong=True, kinds=_HEADING3),
    ]
    worst: dict[str, Grade] = {}
    for e in teae:
        worst[e.subject_id] = max(worst.get(e.subject_id, Grade.G0), e.grade)
    counts = Counter(worst.values())
    rows += [Row((f"Grade {g}", counts.get(Grade(g), 0), None), level=1) for g in range(1, 6)]
    return Table(
        key="teae_overview", number="", title="Overview of treatment-emergent adverse events",
        population=_population("Safety set", n),
        columns=(Column("Category"), Column("Subjects, n (%)", "n_pct", n),
                 Column("Events", "int")),
        rows=tuple(rows),
        footnotes=(
            f"Treatment-emergent: onset from the first dose to {inp.ctx.teae_window_days} days "
            "after the last dose (or worsening in that window), before any new anticancer "
            "therapy (oncotrial.ctcae.is_treatment_emergent; docs/safety.md).",
            "Grades by CTCAE v5.0; a subject is counted once per row. Treatment-related: "
            "possible, probable or definite, or attribution missing.",
            "Action taken with the study drug as recorded on the AE form.",
        ))


def _soc_pt_counts(events: Sequence[AdverseEvent], keep: Callable[[AdverseEvent], bool]
                   ) -> tuple[dict[str, set[str]], dict[tuple[str, str], set[str]]]:
    by_soc: dict[str, set[str]] = defaultdict(set)
    by_pt: dict[tuple[str, str], set[str]] = defaultdict(set)
    for e in events:
        if keep(e):
            soc = soc_of(e.term)
            by_soc[soc].add(e.subject_id)
            by_pt[(soc, _pt(e.term))].add(e.subject_id)
    return by_soc, by_pt


def teae_soc_pt_table(inp: ReportInputs, *, key: str = "teae_soc_pt",
                      title: str = "Treatment-emergent adverse events by system organ class and "
                      "preferred term",
                      keep: Callable[[AdverseEvent], bool] = lambda e: True,
                      note: str = "") -> Table:
    """TEAEs by MedDRA system organ class and CTCAE term (the preferred term), any grade and
    grade 3 or higher: subjects counted once per SOC and per term, sorted by descending
    frequency (then name). ``keep`` narrows the events (related, serious)."""
    n = len(inp.safety)
    events = [e for e in inp.teae if keep(e)]
    any_soc, any_pt = _soc_pt_counts(events, lambda e: True)
    high_soc, high_pt = _soc_pt_counts(events, _high)
    rows = [Row(("Any event", len({e.subject_id for e in events}),
                 len({e.subject_id for e in events if _high(e)})), strong=True)]
    for soc in sorted(any_soc, key=lambda s: (-len(any_soc[s]), s)):
        rows.append(Row((soc, len(any_soc[soc]), len(high_soc.get(soc, ()))), strong=True))
        terms = [pt for (s, pt) in any_pt if s == soc]
        for pt in sorted(terms, key=lambda t: (-len(any_pt[(soc, t)]), t)):
            rows.append(Row((pt, len(any_pt[(soc, pt)]), len(high_pt.get((soc, pt), ()))),
                            level=1))
    footnotes = ["System organ class (MedDRA) of each CTCAE v5.0 term from the CTCAE "
                 "dictionary (oncotrial.ctcae); the CTCAE term is the preferred term.",
                 "A subject is counted once per SOC and once per term; sorted by descending "
                 "frequency."]
    if note:
        footnotes.append(note)
    return Table(
        key=key, number="", title=title, population=_population("Safety set", n),
        columns=(Column("System organ class / preferred term"),
                 Column("Any grade, n (%)", "n_pct", n),
                 Column("Grade 3 or higher, n (%)", "n_pct", n)),
        rows=tuple(rows), footnotes=tuple(footnotes))


def teae_grade_table(inp: ReportInputs) -> Table:
    """TEAEs by preferred term and worst grade per subject (grades 1 to 5 and any)."""
    n = len(inp.safety)
    worst: dict[tuple[str, str], Grade] = {}
    for e in inp.teae:
        key = (_pt(e.term), e.subject_id)
        worst[key] = max(worst.get(key, Grade.G0), e.grade)
    per_term: dict[str, Counter[int]] = defaultdict(Counter)
    for (pt, _sid), grade in worst.items():
        per_term[pt][int(grade)] += 1
    rows = []
    for pt in sorted(per_term, key=lambda t: (-sum(per_term[t].values()), t)):
        c = per_term[pt]
        rows.append(Row((pt, *(c.get(g, 0) for g in range(1, 6)), sum(c.values()))))
    return Table(
        key="teae_grade", number="", title="Treatment-emergent adverse events by preferred term "
        "and worst grade", population=_population("Safety set", n),
        columns=(Column("Preferred term"),
                 *(Column(f"Grade {g}", "n_pct", n) for g in range(1, 6)),
                 Column("Any grade", "n_pct", n)),
        rows=tuple(rows),
        footnotes=("Each subject is counted once per term, at the worst CTCAE v5.0 grade of "
                   "that term by the cut-off.",))


def teae_actions_table(inp: ReportInputs) -> Table:
    """TEAEs leading to dose interruption, dose reduction or permanent discontinuation of
    the study drug (the AE form's action taken), by preferred term."""
    n = len(inp.safety)
    actions = (ActionTaken.DRUG_INTERRUPTED, ActionTaken.DOSE_REDUCED, ActionTaken.DRUG_WITHDRAWN)
    per: dict[str, dict[ActionTaken, set[str]]] = defaultdict(lambda: defaultdict(set))
    for e in inp.teae:
        if e.action_taken in actions:
            per[_pt(e.term)][e.action_taken].add(e.subject_id)
    total = [len({e.subject_id for e in inp.teae if e.action_taken is a}) for a in actions]
    rows = [Row(("Any TEAE", *total), strong=True)]
    for pt in sorted(per, key=lambda t: (-sum(len(v) for v in per[t].values()), t)):
        rows.append(Row((pt, *(len(per[pt].get(a, ())) for a in actions)), level=1))
    return Table(
        key="teae_actions", number="", title="Treatment-emergent adverse events leading to dose "
        "interruption, reduction or discontinuation", population=_population("Safety set", n),
        columns=(Column("Preferred term"), Column("Interruption, n (%)", "n_pct", n),
                 Column("Reduction, n (%)", "n_pct", n),
                 Column("Discontinuation, n (%)", "n_pct", n)),
        rows=tuple(rows),
        footnotes=("Action taken with the study drug as recorded on the AE form (CDISC ACN: "
                   "drug interrupted, dose reduced, drug withdrawn).",))


def deaths_table(inp: ReportInputs) -> Table:
    """Deaths by the cut-off (ICH E3 12.3.1; ``docs/endpoints.md`` section 8.7): all,
    within the TEAE window of the last dose and later, by recorded cause, and subjects with a
    fatal (grade 5) TEAE."""
    enrolled = inp.enrolled
    n = len(enrolled)
    window = inp.ctx.teae_window_days
    dead = [c for c in enrolled if c.died_on is not None]
    within = [c for c in dead if c.died_on is not None and c.treated and (
        c.on_treatment or (c.last_dose_on is not None
                           and (c.died_on - c.last_dose_on).days <= window))]
    rows = [Row(("All deaths", len(dead)), strong=True),
            Row((f"Within {window} days of the last dose (or on treatment)", len(within)),
                level=1),
            Row((f"More than {window} days after the last dose, or never treated",
                 len(dead) - len(within)), level=1),
            Row(("By recorded cause", None), strong=True, kinds=("text", "text"))]
    causes = Counter((c.death_cause or "not recorded").strip().capitalize() for c in dead)
    rows += [Row((cause, k), level=1) for cause, k in sorted(causes.items(),
                                                             key=lambda kv: (-kv[1], kv[0]))]
    fatal = {e.subject_id for e in inp.teae if e.grade == Grade.G5}
    rows.append(Row(("Subjects with a fatal (grade 5) TEAE", len(fatal)), strong=True))
    return Table(
        key="deaths", number="", title="Deaths", population=_population("Enrolled", n),
        columns=(Column("Category"), Column(N_PCT, "n_pct", n)), rows=tuple(rows),
        footnotes=(f"TEAE window: {window} days after the last dose (protocol).",
                   "Cause as recorded on the death form."))


# --- protocol --------------------------------------------------------------------------------


def _value_text(value: object, limit: int = 160) -> str:
    if isinstance(value, tuple | list):
        text = ", ".join(_value_text(v, limit) for v in value)
    elif isinstance(value, float):
        text = f"{value:g}"
    else:
        text = str(getattr(value, "value", value))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def analysis_rules_table(inp: ReportInputs) -> Table:
    """The rules every derivation in the report used, as read from the protocol by
    :class:`oncotrial.context.TrialContext`: the endpoint rules, the best-overall-response
    settings, the TEAE window, the SAE clock and the dosing schedule."""
    ctx = inp.ctx
    rules = ctx.endpoint_rules
    rows = [Row(("Endpoints", f.name, _value_text(getattr(rules, f.name))))
            for f in fields(rules)]
    rows += [Row(("Best overall response", name, _value_text(value)))
             for name, value in ctx.bor.as_kwargs().items()]
    rows += [Row(("Adverse events", "teae_window_days", str(ctx.teae_window_days))),
             Row(("Adverse events", "sae_report_within_hours",
                  str(ctx.sae_report_within_hours))),
             Row(("Adverse events", "grading", "NCI CTCAE v5.0")),
             Row(("Dosing", "drug", ctx.dose_rules.drug)),
             Row(("Dosing", "dose_levels_mg", _value_text(ctx.dose_rules.dose_levels_mg))),
             Row(("Dosing", "schedule", f"{ctx.dose_rules.days_on} days on in "
                                        f"{ctx.dose_rules.cycle_length_days}-day cycles"))]
    return Table(
        key="analysis_rules", number="", title="Analysis rules in force",
        population=f"Protocol {ctx.protocol_id}",
        columns=(Column("Area", "group"), Column("Parameter"), Column("Value")),
        rows=tuple(rows),
        footnotes=("Read from the protocol file by oncotrial.context.TrialContext.from_protocol;"
                   " docs/endpoints.md and docs/safety.md explain each rule.",))


#: Protocol fields whose assumptions the analyses rest on (the others are the eligibility
#: criteria, the screening windows and the dose-modification rules).
ANALYSIS_FIELDS = ("study.", "design.", "enrolment.", "standards.", "endpoints.",
                   "intervention.schedule.", "intervention.dose_levels",
                   "intervention.starting_dose_mg")


def assumptions_table(inp: ReportInputs) -> Table:
    """The protocol's assumptions and clarifications in force for the analyses (values the
    registry does not give, each with its source and reason): the design, the schedule, the
    dose levels and the endpoint definitions. How many others the protocol holds (criteria,
    screening windows, dose-modification rules) is said in a footnote."""
    entries = list_provenance(inp.ctx.protocol, sources=("assumption", "clarification"))
    shown = [e for e in entries if e.path.startswith(ANALYSIS_FIELDS)]
    rows = [Row((e.path, _value_text(e.value, 80), e.provenance.source, e.provenance.ref or "",
                 e.provenance.reason or "",
                 "Yes" if e.provenance.needs_sponsor_confirmation else "No"))
            for e in shown]
    return Table(
        key="assumptions", number="", title="Protocol assumptions and clarifications in force",
        population=f"Protocol {inp.ctx.protocol_id}: the {len(shown)} that the analyses rest on",
        columns=(Column("Protocol field"), Column("Value"), Column("Source"), Column("Note"),
                 Column("Reason"), Column("Sponsor to confirm")),
        rows=tuple(rows), listing=True,
        footnotes=(
            f"The protocol holds {len(entries)} assumptions and clarifications; the other "
            f"{len(entries) - len(shown)} concern the eligibility criteria, the screening "
            "windows and the dose-modification rules, and `oncotrial protocol assumptions` "
            "lists them all.",
            "Notes PN-xx are explained in docs/protocol-notes.md.",
        ))
