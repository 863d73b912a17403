"""Exposure, adverse events, deaths and laboratory shifts."""

from __future__ import annotations

from datetime import date

import pytest
from reportkit import CUTOFF

from oncotrial.context import TrialContext
from oncotrial.ctcae import bundled_dictionary, is_treatment_emergent
from oncotrial.dosing import summarise_exposure
from oncotrial.records import Grade
from oncotrial.reports import Report
from oncotrial.reports.inputs import diary_from_dosing, prepare_inputs
from oncotrial.study import StudyData


def _cells(report: Report, key: str) -> dict[tuple[object, ...], tuple[object, ...]]:
    return {r.cells[:2]: r.cells[2:] for r in report.table(key).rows}


def test_exposure_follows_the_dosing_records(report: Report, study: StudyData,
                                             ctx: TrialContext) -> None:
    """S04: 125 mg, a 14-day hold at 0 mg, then 100 mg: one reduction, one interruption,
    lowest dose 100 mg; RDI as oncotrial.dosing.summarise_exposure computes it."""
    exposure = _cells(report, "exposure")
    assert exposure[("Dose reductions", "Subjects with at least one")] == (1,)
    assert exposure[("Dose interruptions", "Subjects with at least one")] == (1,)
    assert exposure[("Lowest daily dose taken", "100 mg")] == (1,)
    rows = [r for r in study.dataset.dosing if r.subject_id == "S04"]
    direct = summarise_exposure(diary_from_dosing(rows, cutoff=CUTOFF),
                                period_start=date(2026, 2, 2), rules=ctx.dose_rules)
    listing = {r.cells[0]: r.cells for r in report.table("listing_exposure").rows}
    assert listing["S04"][5] == direct.delivered_total_mg
    assert listing["S04"][6] == round(100 * (direct.relative_dose_intensity or 0), 1)
    assert (listing["S04"][7], listing["S04"][8]) == (1, 1)
    assert listing["S04"][9] == "Ongoing"


def test_teae_follow_the_protocols_window(study: StudyData, ctx: TrialContext) -> None:
    """An AE before the first dose (S01 nausea) and one after the cut-off (S10 diarrhoea)
    are not counted; the others are, as is_treatment_emergent decides."""
    inputs = prepare_inputs(study, ctx, cutoff=CUTOFF)
    terms = {(e.subject_id, e.term) for e in inputs.teae}
    assert ("S01", "Nausea") not in terms
    assert all(e.subject_id != "S10" for e in inputs.teae)
    for e in inputs.teae:
        course = inputs.courses[e.subject_id]
        assert is_treatment_emergent(
            e, first_dose_on=course.first_dose_on, teae_window_days=ctx.teae_window_days,
            last_dose_on=None if course.on_treatment else course.last_dose_on,
            next_therapy_on=course.next_therapy_on)
    assert len(inputs.teae) == 5


OVERVIEW = [  # row, subjects, events, why
    ("Any TEAE", 3, 5, "S04 (3 AEs), S06, S09"),
    ("Grade 3 or higher", 3, 3, "S04 neutropenia 3, S06 ALT 3, S09 sepsis 5"),
    ("Treatment-related", 2, 4, "S04's three and S06's ALT; S09's sepsis is unlikely"),
    ("Serious", 2, 2, "S06 ALT, S09 sepsis"),
    ("Leading to dose interruption", 1, 1, "S04 neutropenia"),
    ("Leading to dose reduction", 1, 1, "S04 fatigue"),
    ("Leading to permanent discontinuation", 2, 2, "S06 ALT, S09 sepsis"),
    ("Fatal (grade 5)", 1, 1, "S09 sepsis"),
]


@pytest.mark.parametrize(("row", "subjects", "events", "why"), OVERVIEW,
                         ids=[c[3] for c in OVERVIEW])
def test_teae_overview(report: Report, row: str, subjects: int, events: int, why: str) -> None:
    table = report.table("teae_overview")
    assert (table.cell(row, 1), table.cell(row, 2)) == (subjects, events)


def test_worst_grade_per_subject(report: Report) -> None:
    table = report.table("teae_overview")
    assert [table.cell(f"Grade {g}", 1) for g in range(1, 6)] == [0, 0, 2, 0, 1]


def test_soc_pt_table_counts_subjects_once_and_sorts_by_frequency(report: Report) -> None:
    table = report.table("teae_soc_pt")
    dictionary = bundled_dictionary()
    socs = [r for r in table.rows if r.strong and r.level == 0][1:]
    counts = [r.cells[1] for r in socs]
    assert counts == sorted(counts, reverse=True)  # type: ignore[type-var]
    assert socs[0].cells[0] == dictionary["Neutrophil count decreased"].soc == "Investigations"
    # S04 has two fatigue episodes: one subject.
    assert table.cell("Fatigue", 1) == 1 and table.cell("Fatigue", 2) == 0
    assert table.cell("Sepsis", 2) == 1


def test_related_and_serious_tables_narrow_the_events(report: Report) -> None:
    related = {r.cells[0] for r in report.table("related_teae_soc_pt").rows if r.level == 1}
    serious = {r.cells[0] for r in report.table("serious_teae_soc_pt").rows if r.level == 1}
    assert "Sepsis" not in related and "Fatigue" in related
    assert serious == {"Sepsis", "Alanine aminotransferase increased"}


def test_grade_table_and_actions(report: Report) -> None:
    grades = {r.cells[0]: r.cells[1:] for r in report.table("teae_grade").rows}
    assert grades["Fatigue"] == (0, 1, 0, 0, 0, 1)  # worst grade 2 of S04's two episodes
    assert grades["Sepsis"] == (0, 0, 0, 0, 1, 1)
    actions = {r.cells[0]: r.cells[1:] for r in report.table("teae_actions").rows}
    assert actions["Any TEAE"] == (1, 1, 2)
    assert actions["Neutrophil count decreased"] == (1, 0, 0)


def test_deaths(report: Report) -> None:
    """S08 (7 days after its last dose) and S09 (9 days) died within 30 days; S03 103 days
    after; S09's sepsis is the one fatal TEAE."""
    table = report.table("deaths")
    assert table.cell("All deaths", 1) == 3
    assert table.cell("Within 30 days of the last dose (or on treatment)", 1) == 2
    assert table.cell("Subjects with a fatal (grade 5) TEAE", 1) == 1
    listing = {r.cells[0]: r.cells for r in report.table("listing_deaths").rows}
    assert listing["S03"][3:5] == (103, "No")
    assert listing["S09"][6] == "Sepsis"


def _shift(report: Report, key: str) -> dict[str, tuple[object, ...]]:
    return {str(r.cells[0]): r.cells[1:] for r in report.table(key).rows}


def test_neutrophil_shift_table(report: Report) -> None:
    """ANC (CTCAE v5.0, LLN 1.8): S04 2.4 (grade 0) to 0.8 (grade 3); S09 1.6 (grade 1) to
    1.4 (grade 2); S01 3.0 to 2.9 (grade 0 to 0)."""
    shift = _shift(report, "lab_shift_neutrophil_count_decreased")
    assert shift["Grade 0"] == (1, 0, 0, 1, 0, 0, 2)
    assert shift["Grade 1"] == (0, 0, 1, 0, 0, 0, 1)
    assert shift["Total"][-1] == 3
    summary = {r.cells[0]: r.cells[1:] for r in report.table("lab_summary").rows}
    assert summary["Neutrophil count decreased"][:3] == (3, 2, 1)


def test_alt_shift_uses_the_baseline_rule(report: Report) -> None:
    """CTCAE v5.0: with an abnormal baseline (48 U/L, ULN 40) ALT is graded on multiples of
    the baseline, so 130 U/L (2.7 x baseline) is grade 1, not grade 2 (3.25 x ULN)."""
    shift = _shift(report, "lab_shift_alanine_aminotransferase_increased")
    assert shift["Grade 1"][1] == 1
    assert shift["Grade 1"][2] == 0


def test_all_normal_terms_are_named_not_tabulated(report: Report) -> None:
    keys = {t.key for t in report.tables()}
    assert "lab_shift_platelet_count_decreased" not in keys
    assert any("Platelet count decreased" in n for n in report.table("lab_summary").footnotes)


def test_sae_listing(report: Report) -> None:
    rows = {(r.cells[0], r.cells[1]): r.cells for r in report.table("listing_sae").rows}
    assert set(rows) == {("S06", "Alanine aminotransferase increased"), ("S09", "Sepsis")}
    assert rows[("S09", "Sepsis")][6] == int(Grade.G5)
    assert rows[("S09", "Sepsis")][11] == "Yes"
