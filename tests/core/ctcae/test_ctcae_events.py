"""Adverse events: record rules, TEAE window, worst grade, SAE 24 h clock, lab suggestions.

Definitions: shared/domain/ctcae_v5.md sections 1 (one record per episode, worst grade),
5 (seriousness independent of grade), 6 (TEAE), 7 (attribution); endpoints.md section 8.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oncotrial.ctcae import (
    DEFAULT_TEAE_WINDOW_DAYS,
    AdverseEvent,
    GradeChange,
    LabObservation,
    Outcome,
    Relationship,
    SeriousCriterion,
    check_adverse_events,
    check_sae_reporting,
    is_sae_report_overdue,
    is_treatment_emergent,
    sae_report_due,
    suggest_adverse_events,
    worst_grades,
)
from oncotrial.errors import InputError

FIRST = date(2025, 1, 6)
LAST = date(2025, 6, 1)


def ae(onset: date, grade: int = 2, term: str = "Fatigue", **kw: object) -> AdverseEvent:
    return AdverseEvent.new("001", term, term.lower(), onset, grade, **kw)


def test_default_teae_window_is_30_days_as_ctcae_v5_md_section_6() -> None:
    """ctcae_v5.md section 6: teae_window_days default 30."""
    assert DEFAULT_TEAE_WINDOW_DAYS == 30


TEAE = [
    # onset, last dose, window, next therapy, expected, why
    (FIRST - timedelta(days=1), None, 30, None, False, "day before first dose"),
    (FIRST, None, 30, None, True, "on the first-dose day"),
    (LAST + timedelta(days=30), LAST, 30, None, True, "last day of a 30-day window"),
    (LAST + timedelta(days=31), LAST, 30, None, False, "day after a 30-day window"),
    (LAST + timedelta(days=29), LAST, 28, None, False, "a 28-day window ends earlier"),
    (LAST + timedelta(days=10), LAST, 30, LAST + timedelta(days=10), False,
     "on the day a new anticancer therapy starts"),
    (LAST + timedelta(days=9), LAST, 30, LAST + timedelta(days=10), True,
     "the day before a new therapy"),
    (date(2026, 1, 1), None, 30, None, True, "still on treatment: window open"),
]


@pytest.mark.parametrize(("onset", "last", "window", "new", "expected", "why"), TEAE,
                         ids=[c[5] for c in TEAE])
def test_teae_window(onset: date, last: date | None, window: int, new: date | None,
                     expected: bool, why: str) -> None:
    """ctcae_v5.md section 6: onset from first dose to last dose + teae_window_days."""
    assert is_treatment_emergent(ae(onset), first_dose=FIRST, last_dose=last,
                                 teae_window_days=window, next_therapy_start=new) is expected


def test_pre_existing_ae_is_teae_only_if_it_worsens_in_the_window() -> None:
    """Present before the first dose: TEAE if the grade rises above the pre-dose grade."""
    pre = ae(FIRST - timedelta(days=20), 1)
    assert not is_treatment_emergent(pre, first_dose=FIRST)
    assert is_treatment_emergent(pre.with_grade(FIRST + timedelta(days=14), 2), first_dose=FIRST)
    # Improves then returns to the pre-dose grade: not worse than before treatment.
    wavy = ae(FIRST - timedelta(days=20), 2).with_grade(FIRST + timedelta(days=5), 1).with_grade(
        FIRST + timedelta(days=20), 2)
    assert not is_treatment_emergent(wavy, first_dose=FIRST)
    late = pre.with_grade(LAST + timedelta(days=40), 3)
    assert not is_treatment_emergent(late, first_dose=FIRST, last_dose=LAST)


def test_never_dosed_subject_has_no_teae_and_bad_windows_are_refused() -> None:
    """No first dose: no TEAE. A negative window or last dose before first is an error."""
    assert not is_treatment_emergent(ae(FIRST), first_dose=None)
    with pytest.raises(InputError):
        is_treatment_emergent(ae(FIRST), first_dose=FIRST, teae_window_days=-1)
    with pytest.raises(InputError):
        is_treatment_emergent(ae(FIRST), first_dose=FIRST, last_dose=FIRST - timedelta(days=1))


@given(offset=st.integers(-60, 400), window=st.integers(0, 60))
def test_a_longer_window_never_removes_a_teae(offset: int, window: int) -> None:
    """Monotone in teae_window_days: what is a TEAE with a window stays one with a longer one."""
    event = ae(FIRST + timedelta(days=offset))
    short = is_treatment_emergent(event, first_dose=FIRST, last_dose=LAST,
                                  teae_window_days=window)
    long = is_treatment_emergent(event, first_dose=FIRST, last_dose=LAST,
                                 teae_window_days=window + 1)
    assert long or not short


def test_episode_grade_is_the_worst_grade_and_history_is_kept() -> None:
    """ctcae_v5.md section 1: one record per episode with its maximum grade and history."""
    event = ae(FIRST, 2).with_grade(FIRST + timedelta(days=7), 3).with_grade(
        FIRST + timedelta(days=14), 1)
    assert event.grade == 3
    assert [c.grade for c in event.grade_history] == [2, 3, 1]
    assert event.grade_on(FIRST + timedelta(days=8)) == 3
    assert event.grade_on(FIRST + timedelta(days=20)) == 1
    assert event.grade_on(FIRST - timedelta(days=1)) is None


@pytest.mark.parametrize(
    "make",
    [
        lambda: AdverseEvent("001", "Fatigue", "tired", FIRST, ()),
        lambda: ae(FIRST, 0),
        lambda: ae(FIRST, 6),
        lambda: AdverseEvent("001", "Fatigue", "t", FIRST, (GradeChange(FIRST, 1),
                                                             GradeChange(FIRST - timedelta(1), 2))),
        lambda: ae(FIRST, resolution=FIRST - timedelta(days=1)),
        lambda: ae(FIRST, 5),
        lambda: ae(FIRST, 3, outcome=Outcome.FATAL),
        lambda: ae(FIRST, 3, serious_criteria=frozenset({SeriousCriterion.DEATH})),
    ],
    ids=["no grade", "grade 0", "grade 6", "history out of order", "resolves before onset",
         "grade 5 without fatal outcome", "fatal outcome without grade 5",
         "death criterion without fatal outcome"],
)
def test_contradictory_records_are_refused(make: object) -> None:
    """Each contradiction raises InputError with what to fix."""
    with pytest.raises(InputError):
        make()  # type: ignore[operator]


def test_seriousness_is_independent_of_grade() -> None:
    """ctcae_v5.md section 5: a grade 2 AE can be serious, a grade 3 need not be."""
    hosp = frozenset({SeriousCriterion.HOSPITALISATION})
    assert ae(FIRST, 2, serious_criteria=hosp).serious
    assert not ae(FIRST, 3).serious


def test_missing_attribution_counts_as_related() -> None:
    """ctcae_v5.md section 7: possible/probable/definite related; missing counts as related."""
    assert ae(FIRST).related
    assert ae(FIRST, relationship=Relationship.POSSIBLE).related
    assert not ae(FIRST, relationship=Relationship.UNLIKELY).related
    assert [r for r in Relationship if r.is_related] == [
        Relationship.POSSIBLE, Relationship.PROBABLE, Relationship.DEFINITE]


def test_worst_grade_per_subject_and_term() -> None:
    """endpoints.md section 8: a patient counted once per term at the maximum grade."""
    events = [ae(FIRST, 1, "Nausea"), ae(FIRST + timedelta(days=30), 3, "Nausea"),
              ae(FIRST, 2, "Fatigue"),
              AdverseEvent.new("002", "Nausea", "nausea", FIRST, 2)]
    assert worst_grades(events) == {("001", "Fatigue"): 2, ("001", "Nausea"): 3,
                                    ("002", "Nausea"): 2}


SERIOUS = frozenset({SeriousCriterion.HOSPITALISATION})
AWARE = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("reported", "now", "codes"),
    [(None, AWARE + timedelta(hours=23, minutes=59), ["SAE_REPORT_DUE"]),
     (None, AWARE + timedelta(hours=24), ["SAE_REPORT_DUE"]),
     (None, AWARE + timedelta(hours=24, minutes=1), ["SAE_REPORT_OVERDUE"]),
     (AWARE + timedelta(hours=3), AWARE + timedelta(days=3), []),
     (AWARE + timedelta(hours=25), AWARE + timedelta(days=3), ["SAE_REPORTED_LATE"])],
    ids=["due in a minute", "exactly 24 h is still in time", "one minute late",
         "reported in time", "reported late"],
)
def test_sae_24_hour_reporting(reported: datetime | None, now: datetime,
                               codes: list[str]) -> None:
    """Serious AE: report within 24 hours of site awareness."""
    event = ae(FIRST, 3, "Sepsis", serious_criteria=SERIOUS, aware_at=AWARE,
               reported_at=reported)
    assert sae_report_due(event) == AWARE + timedelta(hours=24)
    assert [f.code for f in check_sae_reporting([event], now=now)] == codes
    assert is_sae_report_overdue(event, now=now) is (codes == ["SAE_REPORT_OVERDUE"])


def test_sae_without_awareness_time_is_a_finding_and_non_serious_aes_are_ignored() -> None:
    """No awareness time: the deadline cannot be checked; a finding, not an exception."""
    events = [ae(FIRST, 3, "Sepsis", serious_criteria=SERIOUS), ae(FIRST, 3)]
    assert [f.code for f in check_sae_reporting(events, now=AWARE)] == ["SAE_AWARENESS_MISSING"]
    assert sae_report_due(events[1]) is None


def test_check_adverse_events_against_the_dictionary() -> None:
    """Unknown term, a grade the term does not have, missing attribution."""
    events = [ae(FIRST, 2, "Tiredness", relationship=Relationship.UNLIKELY),
              ae(FIRST, 3, "Alopecia", relationship=Relationship.POSSIBLE),
              ae(FIRST, 2, "Fatigue")]
    assert [f.code for f in check_adverse_events(events)] == [
        "AE_TERM_UNKNOWN", "AE_GRADE_NOT_ALLOWED", "AE_ATTRIBUTION_MISSING"]


def test_suggested_aes_from_lab_grades() -> None:
    """A lab grade worse than baseline with no AE ongoing that day is suggested."""
    plt = "Platelet count decreased"
    events = [AdverseEvent.new("001", plt, "thrombocytopenia", date(2025, 2, 1), 2,
                               resolution=date(2025, 2, 20)),
              AdverseEvent.new("002", "Hypocalcemia", "low calcium", date(2025, 2, 1), 1)]
    obs = [
        LabObservation("001", plt, date(2025, 3, 4), 3, visit="C2D15"),  # no AE that day
        LabObservation("001", plt, date(2025, 2, 10), 3, visit="C2D1"),  # AE grade 2 that day
        LabObservation("001", plt, date(2025, 2, 12), 2),  # matches the AE
        LabObservation("003", plt, date(2025, 2, 12), 2, baseline_grade=2),  # not worse
        LabObservation("003", plt, date(2025, 2, 12), None),  # not graded
        LabObservation("002", "Hypocalcemia (Ionized)", date(2025, 2, 3), 1),  # same CTCAE term
    ]
    got = suggest_adverse_events(obs, events)
    assert [s.summary() for s in got] == [
        "001: Platelet count decreased grade 3 on C2D1 (2025-02-10) is above the grade 2 "
        "recorded on the AE that day: record a grade change.",
        "001: Platelet count decreased grade 3 on C2D15 (2025-03-04) has no AE record.",
    ]
    assert got[0].existing is events[0]
    assert suggest_adverse_events(obs, events, min_grade=4) == ()


def test_sae_reporting_time_is_a_protocol_parameter() -> None:
    """sae_report_within_hours from the protocol replaces the default 24 h."""
    event = ae(FIRST, 3, "Sepsis", serious_criteria=SERIOUS, aware_at=AWARE)
    assert sae_report_due(event, within_hours=12) == AWARE + timedelta(hours=12)
    now = AWARE + timedelta(hours=13)
    assert [f.code for f in check_sae_reporting([event], now=now, within_hours=12)] == [
        "SAE_REPORT_OVERDUE"]
    assert [f.code for f in check_sae_reporting([event], now=now)] == ["SAE_REPORT_DUE"]
    with pytest.raises(InputError):
        sae_report_due(event, within_hours=0)


def test_graded_lab_table_to_suggestions_end_to_end() -> None:
    """derive_lab_grades -> lab_observations -> suggest_adverse_events on a small table."""
    import pandas as pd

    from oncotrial.ctcae import derive_lab_grades, lab_observations

    labs = pd.DataFrame({
        "subject_id": ["001", "001", "002"],
        "term": ["Platelet count decreased"] * 3,
        "value": [180.0, 45.0, 60.0], "unit": ["10^9/L"] * 3, "lln": [150.0] * 3,
        "collected_on": ["2025-01-06", "2025-02-17", "2025-02-17"],
        "visit": ["C1D1", "C2D15", "C2D15"], "baseline_grade": [0, 0, 2],
    })
    observations = lab_observations(derive_lab_grades(labs))
    assert [o.grade for o in observations] == [0, 3, 2]
    got = suggest_adverse_events(observations, [])
    assert [s.summary() for s in got] == [
        "001: Platelet count decreased grade 3 on C2D15 (2025-02-17) has no AE record."]


IMPUTE = [
    ("2025-01-20", date(2025, 1, 20), "complete date kept"),
    ("2025-01", FIRST, "day missing in the first-dose month: the first-dose date"),
    ("2025-02", date(2025, 2, 1), "day missing in a later month: the 1st"),
    ("2024-12", date(2024, 12, 1), "day missing before treatment: the 1st"),
    ("2025", FIRST, "month and day missing in the first-dose year: the first-dose date"),
    ("2026", date(2026, 1, 1), "a later year: 1 January"),
]


@pytest.mark.parametrize(("raw", "expected", "why"), IMPUTE, ids=[c[2] for c in IMPUTE])
def test_partial_onset_dates_are_imputed_conservatively(raw: str, expected: date,
                                                         why: str) -> None:
    """ctcae_v5.md section 6: same month as the first dose counts as on/after the first dose."""
    from oncotrial.ctcae import impute_onset

    assert impute_onset(raw, first_dose=FIRST) == expected, why


def test_imputed_onset_makes_the_ae_treatment_emergent_and_keeps_the_raw_text() -> None:
    """'January 2025' with a first dose on 6 January 2025 is a TEAE; the raw text is kept."""
    from oncotrial.ctcae import impute_onset

    event = ae(impute_onset("2025-01", first_dose=FIRST), onset_as_reported="2025-01")
    assert is_treatment_emergent(event, first_dose=FIRST)
    assert event.onset_as_reported == "2025-01"
    with pytest.raises(InputError):
        impute_onset("March 2025", first_dose=FIRST)
    with pytest.raises(InputError):
        impute_onset("2025-13", first_dose=FIRST)
