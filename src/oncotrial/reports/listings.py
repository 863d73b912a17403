"""Patient data listings (ICH E3 appendix 16.2): one row per record, in subject order.

Study days count from the first dose (day 1), with no day 0: the day before the first dose
is day -1 (the CDISC SDTM convention for ``--DY``). Listings hold every row; a long listing is
shown in part in the HTML and PDF, and written whole as CSV by
:func:`oncotrial.reports.write_report`.
"""

from __future__ import annotations

from datetime import date

from oncotrial.eligibility import Eligibility, VerdictStatus
from oncotrial.records import months
from oncotrial.reports.inputs import ReportInputs, SubjectCourse
from oncotrial.reports.model import Column, Row, Table
from oncotrial.reports.tables import deviation_label, humanise, reported_deviations, soc_of

__all__ = [
    "deaths_listing",
    "deviations_listing",
    "discontinuations_listing",
    "efficacy_listing",
    "exposure_listing",
    "sae_listing",
    "screen_failures_listing",
    "study_day",
]


def study_day(on: date, first_dose_on: date | None) -> int | None:
    """The study day of a date: day 1 is the first dose, the day before is day -1.

    >>> study_day(date(2026, 1, 5), date(2026, 1, 5)), study_day(date(2026, 1, 4), date(2026, 1, 5))
    (1, -1)
    >>> study_day(date(2026, 1, 5), None) is None
    True
    """
    if first_dose_on is None:
        return None
    days = (on - first_dose_on).days
    return days + 1 if days >= 0 else days


def _iso(on: date | None) -> str:
    return "" if on is None else on.isoformat()


def _text(*labels: str) -> tuple[Column, ...]:
    return tuple(Column(label) for label in labels)


def discontinuations_listing(inp: ReportInputs) -> Table:
    """Every discontinuation of treatment or study on or before the cut-off."""
    rows = []
    for d in sorted(inp.study.dataset.discontinuations,
                    key=lambda d: (d.subject_id, d.discontinued_on, d.level.value)):
        course = inp.courses.get(d.subject_id)
        if course is None or d.discontinued_on > inp.cutoff:
            continue
        rows.append(Row((d.subject_id, humanise(d.level.value), _iso(d.discontinued_on),
                         study_day(d.discontinued_on, course.first_dose_on),
                         humanise(d.reason.value))))
    return Table(key="listing_discontinuations", number="",
                 title="Discontinuations of treatment and study",
                 population=f"Enrolled (N = {len(inp.courses)})",
                 columns=(*_text("Subject", "Level", "Date"), Column("Study day", "int"),
                          Column("Reason")),
                 rows=tuple(rows), listing=True)


def deaths_listing(inp: ReportInputs) -> Table:
    """Every death on or before the cut-off, with its timing against the last dose and the
    fatal adverse events recorded."""
    window = inp.ctx.teae_window_days
    fatal: dict[str, list[str]] = {}
    for e in inp.adverse_events:
        if e.grade == 5:
            fatal.setdefault(e.subject_id, []).append(e.term)
    rows = []
    for c in inp.enrolled:
        if c.died_on is None:
            continue
        after = None if c.last_dose_on is None else (c.died_on - c.last_dose_on).days
        within = c.treated and (c.on_treatment or (after is not None and after <= window))
        rows.append(Row((c.subject.subject_id, _iso(c.died_on),
                         study_day(c.died_on, c.first_dose_on), after,
                         "Yes" if within else "No", c.death_cause,
                         "; ".join(fatal.get(c.subject.subject_id, ())))))
    return Table(key="listing_deaths", number="", title="Deaths",
                 population=f"Enrolled (N = {len(inp.courses)})",
                 columns=(*_text("Subject", "Date of death"), Column("Study day", "int"),
                          Column("Days after last dose", "int"),
                          Column(f"Within {window} days of last dose"),
                          *_text("Cause", "Fatal adverse event")),
                 rows=tuple(rows), listing=True)


def sae_listing(inp: ReportInputs) -> Table:
    """Every serious adverse event with onset on or before the cut-off, treatment-emergent
    or not."""
    teae = {id(e) for e in inp.teae}
    rows = []
    for e in inp.adverse_events:
        if not e.serious:
            continue
        course = inp.courses[e.subject_id]
        rows.append(Row((
            e.subject_id, e.term, soc_of(e.term), _iso(e.onset_on),
            study_day(e.onset_on, course.first_dose_on), _iso(e.resolved_on), int(e.grade),
            ", ".join(humanise(c.value) for c in sorted(e.serious_criteria)),
            humanise(e.relationship.value) if e.relationship else "Missing",
            humanise(e.action_taken.value), humanise(e.outcome.value),
            "Yes" if id(e) in teae else "No")))
    return Table(key="listing_sae", number="", title="Serious adverse events",
                 population=f"Enrolled (N = {len(inp.courses)})",
                 columns=(*_text("Subject", "Term", "System organ class", "Onset"),
                          Column("Study day", "int"), Column("Resolved"),
                          Column("Worst grade", "int"),
                          *_text("Seriousness", "Relationship", "Action taken", "Outcome",
                                 "TEAE")),
                 rows=tuple(rows), listing=True,
                 footnotes=("As known at the cut-off: grade changes, resolution and outcome "
                            "after it are not shown.",))


def screen_failures_listing(inp: ReportInputs) -> Table:
    """Every screened patient who was not enrolled, with the criteria not met (or what is
    still missing) when the protocol's criteria are applied again at the screening date."""
    rows = []
    for o in inp.screened:
        if o.patient.subject_id:
            continue
        if o.result is None:
            rows.append(Row((o.patient.screening_number, _iso(o.patient.screened_on),
                             "Could not be screened", "", o.problem)))
            continue
        failed = o.result.by_status(VerdictStatus.NOT_MET)
        open_ = [v for v in o.result.verdicts.values()
                 if v.status in (VerdictStatus.MISSING, VerdictStatus.NEEDS_INVESTIGATOR)]
        shown = failed or open_
        status = {Eligibility.NOT_ELIGIBLE: "Not eligible", Eligibility.ELIGIBLE: "Eligible",
                  Eligibility.INCOMPLETE: "Incomplete"}[o.result.status]
        rows.append(Row((o.patient.screening_number, _iso(o.patient.screened_on), status,
                         ", ".join(v.criterion_id for v in shown),
                         shown[0].reason if shown else "")))
    return Table(key="listing_screen_failures", number="",
                 title="Screened patients not enrolled",
                 population=f"Screened (N = {len(inp.screened)})",
                 columns=_text("Screening number", "Screened on", "Status", "Criteria",
                               "First reason"),
                 rows=tuple(rows), listing=True,
                 footnotes=("Criteria: those not met (for a patient not eligible) or still "
                            "open (missing data or the investigator's attestation).",))


def efficacy_listing(inp: ReportInputs, best_change: dict[str, float]) -> Table:
    """Each enrolled subject's analysis sets, best overall response, best % change of the
    target sum, PFS and OS, as the endpoint module derived them."""
    rows = []
    for s in inp.analysis.subjects:
        sets = "/".join(n for n, on in (("FAS", s.sets.fas), ("RE", s.sets.response_evaluable),
                                         ("SAF", s.sets.safety)) if on) or "-"
        bor = s.response.bor.response.value if s.response else ""
        bor_u = s.response.bor_unconfirmed.response.value if s.response else ""
        change = best_change.get(s.subject_id)
        pfs, os_ = s.pfs, s.os
        rows.append(Row((
            s.subject_id, sets, bor, bor_u, change,
            None if pfs is None else round(months(pfs.days), 1),
            "" if pfs is None else ("Event" if pfs.event else "Censored"),
            "" if pfs is None else pfs.code,
            None if os_ is None else round(months(os_.days), 1),
            "" if os_ is None else ("Event" if os_.event else "Censored"))))
    return Table(key="listing_efficacy", number="", title="Efficacy endpoints by subject",
                 population=f"Enrolled (N = {len(inp.analysis.subjects)})",
                 columns=(*_text("Subject", "Sets", "BOR", "BOR unconfirmed"),
                          Column("Best % change", "num1"), Column("PFS (months)", "num1"),
                          Column("PFS status"), Column("PFS code"),
                          Column("OS (months)", "num1"), Column("OS status")),
                 rows=tuple(rows), listing=True,
                 footnotes=("Sets: FAS full analysis set, RE response-evaluable, SAF safety. "
                            "Best % change of the sum of target lesion diameters from baseline "
                            "(RECIST 1.1), up to the first PD and before new therapy.",
                            "PFS codes are explained in docs/result-codes.md."))


def _status(c: SubjectCourse) -> str:
    if not c.treated:
        return "Not treated"
    if c.on_treatment:
        return "Ongoing"
    return f"Stopped: {humanise(c.treatment_end_reason or '')}"


def exposure_listing(inp: ReportInputs) -> Table:
    """Each treated subject's exposure: dates, cycles, duration, cumulative dose, relative
    dose intensity, reductions, interruptions and treatment status at the cut-off."""
    rows = []
    for c in inp.safety:
        e = c.exposure
        duration = None
        if c.first_dose_on and c.last_dose_on:
            duration = round(((c.last_dose_on - c.first_dose_on).days + 1) / 7, 1)
        rdi = None if e is None or e.relative_dose_intensity is None else \
            round(100 * e.relative_dose_intensity, 1)
        rows.append(Row((c.subject.subject_id, _iso(c.first_dose_on), _iso(c.last_dose_on),
                         c.cycles_started, duration, None if e is None else e.delivered_total_mg,
                         rdi, None if e is None else e.reductions,
                         None if e is None else e.holds, _status(c))))
    return Table(key="listing_exposure", number="", title="Exposure by subject",
                 population=f"Safety set (N = {len(inp.safety)})",
                 columns=(*_text("Subject", "First dose", "Last dose"),
                          Column("Cycles", "int"), Column("Duration (weeks)", "num1"),
                          Column("Cumulative dose (mg)", "int"), Column("RDI (%)", "num1"),
                          Column("Reductions", "int"), Column("Interruptions", "int"),
                          Column("Treatment at cut-off")),
                 rows=tuple(rows), listing=True)



def deviations_listing(inp: ReportInputs) -> Table:
    """Every protocol deviation of an enrolled subject that happened on or before the
    cut-off (ICH E3 appendix 16.2.2), with the category's label from the forms."""
    rows = []
    for d in reported_deviations(inp):
        course = inp.courses[d.subject_id]
        rows.append(Row((d.subject_id, _iso(d.deviation_on),
                         study_day(d.deviation_on, course.first_dose_on),
                         _iso(d.identified_on), deviation_label(inp, d.category),
                         "Yes" if d.major else "No", d.description, d.corrective_action)))
    return Table(key="listing_deviations", number="", title="Protocol deviations",
                 population=f"Enrolled (N = {len(inp.courses)})",
                 columns=(*_text("Subject", "Date"), Column("Study day", "int"),
                          *_text("Identified on", "Category", "Major", "Description",
                                 "Corrective action")),
                 rows=tuple(rows), listing=True)
