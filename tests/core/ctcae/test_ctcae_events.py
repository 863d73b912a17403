"""Adverse events: record rules, TEAE window, worst grade, SAE 24 h clock, lab suggestions.

Definitions, as docs/safety.md states them with their sources: NCI CTCAE v5.0 "Grades" (one
record per episode, worst grade), ICH E2A (seriousness independent of grade), ICH E9 glossary
and ICH E3 section 12.2.2 with the SAP conventions of docs/safety.md (TEAE window, partial
dates), NCI CTEP attribution scale (missing attribution counts as related).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oncotrial import ctcae, records
from oncotrial.ctcae import (
    DEFAULT_TEAE_WINDOW_DAYS,
    AdverseEvent,
    Grade,
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


def test_the_ae_records_are_the_shared_records() -> None:
    """oncotrial.ctcae re-exports the records of oncotrial.records; it keeps no copy."""
    for name in ("AdverseEvent", "GradeChange", "Relationship", "SeriousCriterion",
                 "ActionTaken", "Outcome", "Grade"):
        assert getattr(ctcae, name) is getattr(records, name), name


def test_the_teae_window_has_no_silent_default() -> None:
    """No protocol default in the core: the caller passes the protocol's TEAE window."""
    with pytest.raises(TypeError):
        is_treatment_emergent(ae(FIRST), first_dose_on=FIRST)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        sae_report_due(ae(FIRST))  # type: ignore[call-arg]
    assert DEFAULT_TEAE_WINDOW_DAYS == 30  # documented convention only


def test_the_bundled_protocol_window_is_passed_explicitly() -> None:
    """The bundled NCT06478927 protocol sets 30 days and 24 hours; callers pass them."""
    from oncotrial.protocol import load_bundled_protocol

    rules = load_bundled_protocol().endpoints.adverse_events
    event = ae(LAST + timedelta(days=30))
    assert is_treatment_emergent(event, first_dose_on=FIRST, last_dose_on=LAST,
                                 teae_window_days=rules.teae_window_days)
    serious = ae(FIRST, 3, "Sepsis", serious_criteria=SERIOUS, aware_at=AWARE)
    assert sae_report_due(serious, within_hours=rules.sae_report_within_hours) == (
        AWARE + timedelta(hours=24))


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
    """ICH E9 "treatment emergent"; SAP window: first dose to last dose + teae_window_days."""
    assert is_treatment_emergent(ae(onset), first_dose_on=FIRST, last_dose_on=last,
                                 teae_window_days=window, next_therapy_on=new) is expected


def test_pre_existing_ae_is_teae_only_if_it_worsens_in_the_window() -> None:
    """Present before the first dose: TEAE if the grade rises above the pre-dose grade."""
    pre = ae(FIRST - timedelta(days=20), 1)
    assert not is_treatment_emergent(pre, first_dose_on=FIRST, teae_window_days=30)
    assert is_treatment_emergent(pre.with_grade(FIRST + timedelta(days=14), 2),
                                 first_dose_on=FIRST, teae_window_days=30)
    # Improves then returns to the pre-dose grade: not worse than before treatment.
    wavy = ae(FIRST - timedelta(days=20), 2).with_grade(FIRST + timedelta(days=5), 1).with_grade(
        FIRST + timedelta(days=20), 2)
    assert not is_treatment_emergent(wavy, first_dose_on=FIRST, teae_window_days=30)
    late = pre.with_grade(LAST + timedelta(days=40), 3)
    assert not is_treatment_emergent(late, first_dose_on=FIRST, last_dose_on=LAST,
                                     teae_window_days=30)


def test_never_dosed_subject_has_no_teae_and_bad_windows_are_refused() -> None:
    """No first dose: no TEAE. A negative window or last dose before first is an error."""
    assert not is_treatment_emergent(ae(FIRST), first_dose_on=None, teae_window_days=30)
    with pytest.raises(InputError):
        is_treatment_emergent(ae(FIRST), first_dose_on=FIRST, teae_window_days=-1)
    with pytest.raises(InputError):
        is_treatment_emergent(ae(FIRST), first_dose_on=FIRST, teae_window_days=30,
                              last_dose_on=FIRST - timedelta(days=1))


@given(offset=st.integers(-60, 400), window=st.integers(0, 60))
def test_a_longer_window_never_removes_a_teae(offset: int, window: int) -> None:
    """Monotone in teae_window_days: what is a TEAE with a window stays one with a longer one."""
    event = ae(FIRST + timedelta(days=offset))
    short = is_treatment_emergent(event, first_dose_on=FIRST, last_dose_on=LAST,
                                  teae_window_days=window)
    long = is_treatment_emergent(event, first_dose_on=FIRST, last_dose_on=LAST,
                                 teae_window_days=window + 1)
    assert long or not short


def test_episode_grade_is_the_worst_grade_and_history_is_kept() -> None:
    """CTCAE v5.0: one record per episode with its maximum grade and its grade history."""
    event = ae(FIRST, 2).with_grade(FIRST + timedelta(days=7), 3).with_grade(
        FIRST + timedelta(days=14), 1)
    assert event.grade == 3 and isinstance(event.grade, Grade)
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
        lambda: ae(FIRST, resolved_on=FIRST - timedelta(days=1)),
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
    """ICH E2A: seriousness is not severity; a grade 2 AE can be serious, a grade 3 need not."""
    hosp = frozenset({SeriousCriterion.HOSPITALISATION})
    assert ae(FIRST, 2, serious_criteria=hosp).serious
    assert not ae(FIRST, 3).serious


def test_missing_attribution_counts_as_related() -> None:
    """NCI CTEP scale: possible/probable/definite related; a missing one counts as related."""
    assert ae(FIRST).related
    assert ae(FIRST, relationship=Relationship.POSSIBLE).related
    assert not ae(FIRST, relationship=Relationship.UNLIKELY).related
    assert [r for r in Relationship if r.is_related] == [
        Relationship.POSSIBLE, Relationship.PROBABLE, Relationship.DEFINITE]


def test_worst_grade_per_subject_and_term() -> None:
    """ICH E3 12.2.2 AE tables: a patient is counted once per term at the maximum grade."""
    events = [ae(FIRST, 1, "Nausea"), ae(FIRST + timedelta(days=30), 3, "Nausea"),
              ae(FIRST, 2, "Fatigue"),
              AdverseEvent.new("002", "Nausea", "nausea", FIRST, 2)]
    assert worst_grades(events) == {("001", "Fatigue"): Grade.G2, ("001", "Nausea"): Grade.G3,
                                    ("002", "Nausea"): Grade.G2}


SERIOUS = frozenset({SeriousCriterion.HOSPITALISATION})
AWARE = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("reported", "now", "codes"),
    [(None, AWARE + timedelta(hours=23, minutes=59), ["ctcae.sae.report_due"]),
     (None, AWARE + timedelta(hours=24), ["ctcae.sae.report_due"]),
     (None, AWARE + timedelta(hours=24, minutes=1), ["ctcae.sae.report_overdue"]),
     (AWARE + timedelta(hours=3), AWARE + timedelta(days=3), []),
     (AWARE + timedelta(hours=25), AWARE + timedelta(days=3), ["ctcae.sae.reported_late"])],
    ids=["due in a minute", "exactly 24 h is still in time", "one minute late",
         "reported in time", "reported late"],
)
def test_sae_24_hour_reporting(reported: datetime | None, now: datetime,
                               codes: list[str]) -> None:
    """Serious AE: report within 24 hours (the bundled protocol's hours) of site awareness."""
    event = ae(FIRST, 3, "Sepsis", serious_criteria=SERIOUS, aware_at=AWARE,
               reported_at=reported)
    assert sae_report_due(event, within_hours=24) == AWARE + timedelta(hours=24)
    assert [f.code for f in check_sae_reporting([event], now=now, within_hours=24)] == codes
    assert is_sae_report_overdue(event, now=now, within_hours=24) is (
        codes == ["ctcae.sae.report_overdue"])


def test_sae_without_awareness_time_is_a_finding_and_non_serious_aes_are_ignored() -> None:
    """No awareness time: the deadline cannot be checked; a finding, not an exception."""
    events = [ae(FIRST, 3, "Sepsis", serious_criteria=SERIOUS), ae(FIRST, 3)]
    assert [f.code for f in check_sae_reporting(events, now=AWARE, within_hours=24)] == [
        "ctcae.sae.awareness_missing"]
    assert sae_report_due(events[1], within_hours=24) is None


def test_mixed_timezones_are_a_finding_not_a_crash() -> None:
    """An aware deadline compared with a naive 'now': a finding naming the problem."""
    event = ae(FIRST, 3, "Sepsis", serious_criteria=SERIOUS, aware_at=AWARE)
    naive = datetime(2025, 3, 2, 9, 0)
    assert [f.code for f in check_sae_reporting([event], now=naive, within_hours=24)] == [
        "ctcae.sae.timezone_mixed"]
    with pytest.raises(InputError):
        is_sae_report_overdue(event, now=naive, within_hours=24)


def test_check_adverse_events_against_the_dictionary() -> None:
    """Unknown term, a grade the term does not have, missing attribution."""
    events = [ae(FIRST, 2, "Tiredness", relationship=Relationship.UNLIKELY),
              ae(FIRST, 3, "Alopecia", relationship=Relationship.POSSIBLE),
              ae(FIRST, 2, "Fatigue")]
    assert [f.code for f in check_adverse_events(events)] == [
        "ctcae.ae.term_unknown", "ctcae.ae.grade_not_allowed", "ctcae.ae.attribution_missing"]


def test_suggested_aes_from_lab_grades() -> None:
    """A lab grade worse than baseline with no AE ongoing that day is suggested."""
    plt = "Platelet count decreased"
    events = [AdverseEvent.new("001", plt, "thrombocytopenia", date(2025, 2, 1), 2,
                               resolved_on=date(2025, 2, 20)),
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
    assert [s.code for s in got] == ["ctcae.suggest_ae.grade_change",
                                     "ctcae.suggest_ae.no_record"]
    assert got[0].facts["recorded_grade"] == 2 and got[0].facts["grade"] == 3
    assert got[1].facts["observed_on"] == "2025-03-04" and got[1].grade is Grade.G3
    assert suggest_adverse_events(obs, events, min_grade=4) == ()


def test_sae_reporting_time_is_a_protocol_parameter() -> None:
    """sae_report_within_hours comes from the protocol: 12 h makes a 13 h delay overdue."""
    event = ae(FIRST, 3, "Sepsis", serious_criteria=SERIOUS, aware_at=AWARE)
    assert sae_report_due(event, within_hours=12) == AWARE + timedelta(hours=12)
    now = AWARE + timedelta(hours=13)
    assert [f.code for f in check_sae_reporting([event], now=now, within_hours=12)] == [
        "ctcae.sae.report_overdue"]
    assert [f.code for f in check_sae_reporting([event], now=now, within_hours=24)] == [
        "ctcae.sae.report_due"]
    with pytest.raises(InputError):
        sae_report_due(event, within_hours=0)
    with pytest.raises(InputError):
        check_sae_reporting([event], now=now, within_hours=0)


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
    """SAP convention (docs/safety.md): same month as the first dose counts as on/after it."""
    from oncotrial.ctcae import impute_onset

    assert impute_onset(raw, first_dose_on=FIRST) == expected, why


def test_imputed_onset_makes_the_ae_treatment_emergent_and_keeps_the_raw_text() -> None:
    """'January 2025' with a first dose on 6 January 2025 is a TEAE; the raw text is kept."""
    from oncotrial.ctcae import impute_onset

    event = ae(impute_onset("2025-01", first_dose_on=FIRST), onset_as_reported="2025-01")
    assert is_treatment_emergent(event, first_dose_on=FIRST, teae_window_days=30)
    assert event.onset_as_reported == "2025-01"
    assert impute_onset("2025-01", first_dose_on=None) == date(2025, 1, 1)
    with pytest.raises(InputError):
        impute_onset("March 2025", first_dose_on=FIRST)
    with pytest.raises(InputError):
        impute_onset("2025-13", first_dose_on=FIRST)
