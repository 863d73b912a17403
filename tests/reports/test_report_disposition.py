"""Disposition, screen failures and baseline characteristics: counted from the records, with
the protocol's criteria applied again to each screening record."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import replace
from datetime import date

import pytest
from reportkit import CUTOFF

from oncotrial.context import TrialContext
from oncotrial.eligibility import screen
from oncotrial.records import DiscontinuationLevel
from oncotrial.reports import Report, build_report
from oncotrial.study import ProtocolDeviation, StudyData


def _rows(report: Report, key: str) -> dict[str, tuple[object, ...]]:
    return {str(r.cells[0]): r.cells[1:] for r in report.table(key).rows}


def test_screening_counts(report: Report) -> None:
    """15 screened: 12 enrolled, 2 not eligible (the bundled not-eligible example and an
    ECOG 3 patient), 1 whose screening is not complete (the bundled incomplete example)."""
    rows = _rows(report, "disposition")
    assert rows["Patients screened"][0] == 15
    assert rows["Screen failures (not eligible)"] == (2, pytest.approx(2 / 15))
    assert rows["Screening not completed"][0] == 1
    assert rows["Eligible, not enrolled"][0] == 0
    assert rows["Enrolled"][0] == 12


def test_treatment_and_study_discontinuations_are_counted_from_the_records(
        report: Report, study: StudyData) -> None:
    rows = _rows(report, "disposition")
    stopped = {d.subject_id for d in study.dataset.discontinuations
               if d.discontinued_on <= CUTOFF}
    left = {d.subject_id for d in study.dataset.discontinuations
            if d.level is DiscontinuationLevel.STUDY and d.discontinued_on <= CUTOFF}
    assert rows["Treatment discontinued"][0] == len(stopped)
    assert rows["Study discontinued"][0] == len(left)
    assert rows["Treatment ongoing at the cut-off"][0] == 12 - len(stopped)
    assert rows["Died"][0] == len({d.subject_id for d in study.dataset.deaths})
    # Reasons add up to the discontinued (one reason a subject).
    table = report.table("disposition")
    start = next(i for i, r in enumerate(table.rows) if r.cells[0] == "Treatment discontinued")
    reasons = []
    for row in table.rows[start + 1:]:
        if row.level == 0:
            break
        reasons.append(row.cells[1])
    assert sum(reasons) == len(stopped)  # type: ignore[arg-type]


def test_analysis_sets_are_the_endpoint_modules(report: Report) -> None:
    rows = _rows(report, "disposition")
    assert rows["Full analysis set"][0] == 12
    assert rows["Response-evaluable set"][0] == 11  # S02 has no measurable disease
    assert rows["Safety set"][0] == 12


def test_screen_failures_by_criterion_in_protocol_order(report: Report, study: StudyData,
                                                        ctx: TrialContext) -> None:
    table = report.table("screen_failures")
    failed: dict[str, int] = {}
    for patient in study.screening:
        if patient.subject_id:
            continue
        result = screen(patient.record, ctx.protocol, on=patient.screened_on)
        if result.status == "not_eligible":
            for cid, verdict in result.verdicts.items():
                if verdict.status == "not_met":
                    failed[cid] = failed.get(cid, 0) + 1
    rows = {r.cells[0]: r for r in table.rows if r.level == 1}
    assert {cid: r.cells[2] for cid, r in rows.items()} == failed
    assert list(rows) == [c.id for c in ctx.criteria if c.id in failed]
    titles = {c.id: c.title for c in ctx.criteria}
    assert all(r.cells[1] == titles[cid] for cid, r in rows.items())
    assert table.cell("Any criterion not met", 2) == 2


def _baseline(report: Report) -> dict[tuple[object, object], object]:
    return {(r.cells[0], r.cells[1]): r.cells[2] for r in report.table("baseline").rows}


BASELINE = [  # characteristic, category, count, why
    ("Sex", "Female", 2, "S02 and S10 are women"),
    ("Sex", "Male", 10, "the other ten"),
    ("ECOG performance status", "0", 1, "S02 has ECOG 0"),
    ("Child-Pugh class", "B", 1, "S05: mild ascites and albumin 30 g/L give B7"),
    ("Child-Pugh score", "7", 1, "S05's 7 points"),
    ("Child-Pugh score", "5", 11, "the bundled record scores 5"),
    ("BCLC stage", "B", 1, "S03 is stage B"),
    ("Aetiology", "HCV", 3, "S04, S08, S12 have HCV and alcohol"),
    ("Aetiology", "HBV", 9, "the others have HBV"),
    ("Prior systemic lines (advanced)", "2", 12, "the bundled record's two lines"),
    ("Macrovascular invasion", "Yes", 4, "S03, S06, S09, S12"),
    ("Measurable disease at baseline", "No", 1, "S02"),
]


@pytest.mark.parametrize(("group", "category", "count", "why"), BASELINE,
                         ids=[c[3] for c in BASELINE])
def test_baseline_characteristics(report: Report, group: str, category: str, count: int,
                                  why: str) -> None:
    assert _baseline(report)[(group, category)] == count


def test_age_is_the_eligibility_criterions_age(report: Report, study: StudyData,
                                               ctx: TrialContext) -> None:
    ages = []
    for patient in study.screening:
        if patient.subject_id:
            result = screen(patient.record, ctx.protocol, on=patient.screened_on)
            ages.append(result.verdicts["I1"].facts["age_years"])
    median, low, high = _baseline(report)[("Age (years)", "Median (range)")]  # type: ignore[misc]
    assert (median, low, high) == (statistics.median(ages), min(ages), max(ages))
    assert _baseline(report)[("Age (years)", ">= 65")] == sum(a >= 65 for a in ages)


def test_child_pugh_uses_the_clinical_module(report: Report) -> None:
    """Child-Pugh (Pugh et al. 1973): bilirubin 22.4 umol/L (1), albumin 30 g/L (2), INR
    1.12 (1), mild ascites (2), no encephalopathy (1) = 7 points, class B."""
    from oncotrial.clinical import Quantity, child_pugh

    result = child_pugh(bilirubin=Quantity(22.4, "umol/L"), albumin=Quantity(30, "g/L"),
                        inr=1.12, ascites="mild", encephalopathy="none")
    assert (result.points, result.child_pugh_class.value) == (7, "B")
    assert _baseline(report)[("Child-Pugh class", "B")] == 1


def test_an_enrolled_patient_not_eligible_again_is_a_finding(study: StudyData,
                                                             ctx: TrialContext) -> None:
    """If the criteria applied again say 'not eligible' for an enrolled patient, the report
    says so on its first page (a possible protocol deviation)."""
    patients = list(study.screening)
    patients[0] = replace(patients[0], record=patients[0].record.model_copy(update={"ecog": 3}))
    report = build_report(replace(study, screening=tuple(patients)), ctx, cutoff=CUTOFF)
    assert any("S01" in f and "not_eligible" in f and "I2" in f for f in report.findings)


def test_an_earlier_cut_off_leaves_later_records_out(study: StudyData,
                                                     ctx: TrialContext) -> None:
    """At 2026-04-30 S11 (enrolled 2026-05-28) is not enrolled yet and fewer have stopped."""
    report = build_report(study, ctx, cutoff=date(2026, 4, 30))
    rows = _rows(report, "disposition")
    assert rows["Enrolled"][0] == 11
    stopped = {d.subject_id for d in study.dataset.discontinuations
               if d.discontinued_on <= date(2026, 4, 30)}
    assert rows["Treatment discontinued"][0] == len(stopped)
    assert report.cutoff_on == date(2026, 4, 30)


def test_protocol_deviations_table_and_listing(study: StudyData, ctx: TrialContext) -> None:
    """Deviations by category with major and minor counted apart, subjects counted once; a
    deviation after the cut-off is in neither the table nor the listing, which gives the
    forms' category label and the study day."""
    first, second = study.dataset.subjects[:2]
    day = first.enrolled_on + dt.timedelta(days=10)
    deviations = (
        ProtocolDeviation(first.subject_id, day, day, "consent", "Old consent version.", True,
                          corrective_action="Re-consented."),
        ProtocolDeviation(first.subject_id, day, day, "procedure_missed", "CT missed.", False),
        ProtocolDeviation(second.subject_id, day, day, "procedure_missed", "ECOG missing.",
                          False),
        ProtocolDeviation(second.subject_id, CUTOFF + dt.timedelta(days=1),
                          CUTOFF + dt.timedelta(days=1), "other", "After the cut-off.", True,
                          corrective_action="None needed."),
    )
    report = build_report(replace(study, deviations=deviations), ctx, cutoff=CUTOFF)
    table = report.table("deviations")
    n = len(study.dataset.subjects)
    rows = {str(r.cells[0]): r.cells[1:] for r in table.rows}
    assert rows == {"Any protocol deviation": (1, 2, 3, 2),
                    "Informed consent": (1, 0, 1, 1),
                    "Procedure or assessment not done": (0, 2, 2, 2)}
    assert table.number.startswith("Table 14.1.") and table.columns[-1].denominator == n
    listing = report.table("listing_deviations")
    assert listing.number.startswith("Listing 16.2.") and len(listing.rows) == 3
    assert sorted(str(r.cells[4]) for r in listing.rows) == [
        "Informed consent", "Procedure or assessment not done",
        "Procedure or assessment not done"]
    assert all(isinstance(r.cells[2], int) and r.cells[1] == day.isoformat()
               for r in listing.rows)
