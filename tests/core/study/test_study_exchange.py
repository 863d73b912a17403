"""A whole study in the exchange format (docs/exchange-format.md): round trip in CSV and JSON,
every problem in every file reported at once, unknown files and columns, and the documentation
of every study domain and column."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oncotrial.eligibility.record import example_record
from oncotrial.endpoints import DOMAINS, Dataset, load_example_dataset, parse_exchange
from oncotrial.errors import InputError
from oncotrial.records import (
    ActionTaken,
    AdverseEvent,
    ConcomitantMedication,
    Grade,
    GradeChange,
    LabResult,
    LesionMeasurement,
    Outcome,
    Relationship,
    SeriousCriterion,
    Sex,
    Subject,
)
from oncotrial.study import (
    AETIOLOGIES,
    DEVIATION_CATEGORIES,
    ETHICS_REPORTED,
    STUDY_DOMAINS,
    Baseline,
    ProtocolDeviation,
    ScreenedPatient,
    StudyData,
    dump_study,
    files_digest,
    parse_study,
    split_endpoint_files,
)
from oncotrial.study.exchange import CYP3A_EFFECTS, LESION_KINDS, LESION_STATES, LESION_STATUSES

DOCS = Path(__file__).resolve().parents[3] / "docs"
SUBJECTS = "subject_id,enrolled_on,measurable_disease_at_baseline\n001,2026-01-05,yes\n"
relaxed = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# -- strategies ----------------------------------------------------------------------------

IDS = ["001", "002", "003"]
dates = st.dates(dt.date(2024, 1, 1), dt.date(2028, 12, 31))
# Free text as a clinician writes it, in English or Chinese, with commas, quotes and line
# breaks inside (CSV quotes them); no leading or trailing space (cells are trimmed).
words = st.text(alphabet="abcXYZ 0123456789,;\"'\n-/()肝癌中性粒细胞", min_size=1, max_size=20)
text = words.map(str.strip).filter(bool)
numbers = st.floats(min_value=-1e7, max_value=1e7, allow_nan=False, allow_infinity=False)
zones = st.none() | st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=8))])
moments = st.datetimes(dt.datetime(2024, 1, 1), dt.datetime(2028, 12, 31), timezones=zones)


@st.composite
def labs(draw: st.DrawFn) -> LabResult:
    low = draw(st.none() | st.floats(min_value=0, max_value=100, allow_nan=False))
    high = draw(st.none() | st.floats(min_value=100, max_value=1e6, allow_nan=False))
    return LabResult(draw(st.sampled_from(IDS)), draw(st.sampled_from(["anc", "alt", "inr"])),
                     draw(numbers), draw(st.sampled_from(["10^9/L", "U/L", "μmol/L", ""])), low,
                     high, draw(dates))


@st.composite
def lesions(draw: st.DrawFn) -> LesionMeasurement:
    return LesionMeasurement(
        draw(st.sampled_from(IDS)), draw(st.sampled_from(["T1", "T2", "NT1", "N1"])),
        draw(dates), draw(st.none() | st.floats(0, 300, allow_nan=False)),
        kind=draw(st.sampled_from(LESION_KINDS)), organ=draw(st.just("") | text),
        nodal=draw(st.booleans()), method=draw(st.sampled_from(["CT", "MRI"])),
        state=draw(st.sampled_from(LESION_STATES)),
        status=draw(st.sampled_from(("", *LESION_STATUSES))))


@st.composite
def adverse_events(draw: st.DrawFn) -> AdverseEvent:
    onset = draw(dates)
    steps = draw(st.lists(st.tuples(st.integers(0, 60), st.integers(1, 5)), min_size=1,
                          max_size=4))
    day, history = onset, []
    for i, (gap, grade) in enumerate(steps):
        day = onset if i == 0 else day + dt.timedelta(days=gap)
        history.append(GradeChange(day, Grade(grade)))
    fatal = max(g for _, g in steps) == 5
    criteria = set(draw(st.sets(st.sampled_from(list(SeriousCriterion)))))
    if not fatal:
        criteria.discard(SeriousCriterion.DEATH)
    outcome = Outcome.FATAL if fatal else draw(
        st.sampled_from([o for o in Outcome if o is not Outcome.FATAL]))
    return AdverseEvent(
        draw(st.sampled_from(IDS)), draw(st.sampled_from(["Anemia", "Fatigue", "Diarrhea"])),
        draw(st.just("") | text), onset, tuple(history),
        draw(st.none() | st.integers(0, 90).map(lambda d: day + dt.timedelta(days=d))),
        frozenset(criteria), draw(st.none() | st.sampled_from(list(Relationship))),
        draw(st.sampled_from(list(ActionTaken))), outcome, draw(st.none() | moments),
        draw(st.none() | moments), draw(st.none() | st.just("2026-03")),
        event_id=draw(st.none() | st.sampled_from(["AE1", "AE2", "E-7"])))


@st.composite
def conmeds(draw: st.DrawFn) -> ConcomitantMedication:
    return ConcomitantMedication(
        draw(st.sampled_from(IDS)), draw(text), draw(st.none() | dates),
        stopped_on=draw(st.none() | dates), indication=draw(st.just("") | text),
        cyp3a_effect=draw(st.sampled_from(("", *CYP3A_EFFECTS))),
        half_life_hours=draw(st.none() | st.floats(0.1, 500, allow_nan=False)))


@st.composite
def deviations(draw: st.DrawFn) -> ProtocolDeviation:
    day = draw(dates)
    major = draw(st.booleans())
    return ProtocolDeviation(
        draw(st.sampled_from(IDS)), day, day + dt.timedelta(days=draw(st.integers(0, 60))),
        draw(st.sampled_from(DEVIATION_CATEGORIES)), draw(text), major,
        corrective_action=draw(text if major else st.just("") | text),
        reported_to_ethics=draw(st.none() | st.sampled_from(ETHICS_REPORTED)))


@st.composite
def baselines(draw: st.DrawFn) -> tuple[Baseline, ...]:
    chosen = draw(st.lists(st.sampled_from(IDS), unique=True))
    return tuple(Baseline(sid, tuple(draw(st.lists(st.sampled_from(AETIOLOGIES), unique=True))),
                          draw(st.none() | st.booleans()), draw(st.none() | st.booleans()))
                 for sid in chosen)


@st.composite
def screenings(draw: st.DrawFn) -> tuple[ScreenedPatient, ...]:
    kinds = draw(st.lists(st.sampled_from(["eligible", "not_eligible", "incomplete"]),
                          max_size=4))
    linked = iter(draw(st.permutations(IDS)))
    out = []
    for n, kind in enumerate(kinds, start=1):
        sid = next(linked, None) if kind == "eligible" and draw(st.booleans()) else None
        out.append(ScreenedPatient(f"SCR-{n:03d}", draw(dates), example_record(kind), sid))
    return tuple(out)


@st.composite
def studies(draw: st.DrawFn) -> StudyData:
    subjects = tuple(Subject(sid, draw(dates), draw(st.booleans()),
                             sex=draw(st.none() | st.sampled_from(list(Sex))),
                             site_id=draw(st.sampled_from(["", "HCH", "site 2"])))
                     for sid in IDS)
    return StudyData(
        Dataset(subjects), draw(screenings()), draw(baselines()),
        tuple(draw(st.lists(labs(), max_size=5))), tuple(draw(st.lists(lesions(), max_size=5))),
        tuple(draw(st.lists(adverse_events(), max_size=5))),
        tuple(draw(st.lists(conmeds(), max_size=3))),
        tuple(draw(st.lists(deviations(), max_size=3))))


# -- round trip ----------------------------------------------------------------------------


def _same(a: StudyData, b: StudyData) -> None:
    """Equal but for ``source``; AE event ids (not compared by equality) are kept when given."""
    assert b.source.startswith("exchange format, sha256:")
    for name in StudyData.__dataclass_fields__:
        if name != "source":
            assert getattr(a, name) == getattr(b, name), name
    for before, after in zip(a.adverse_events, b.adverse_events, strict=True):
        assert before.event_id in (None, after.event_id) or after.event_id.startswith("AE")


@relaxed
@given(study=studies(), fmt=st.sampled_from(["csv", "json"]))
def test_dump_then_parse_gives_the_same_study(study: StudyData, fmt: str) -> None:
    """Every field of every record comes back, in CSV and in JSON."""
    files = dump_study(study, fmt=fmt)
    _same(study, parse_study(files))
    assert all(n.endswith(f".{fmt}") or n == "screening.json" for n in files)


@relaxed
@given(study=studies())
def test_each_adverse_event_row_is_one_grade_change(study: StudyData) -> None:
    """adverse_events has one row per grade change; a file's rows in any order read the
    same (where no two changes of an event share a day, which only the file order tells
    apart)."""
    rows = json.loads(dump_study(study, fmt="json").get("adverse_events.json", "[]"))
    assert len(rows) == sum(len(ae.grade_history) for ae in study.adverse_events)
    reversed_files = {name: text if not name.endswith(".json") else
                      json.dumps(json.loads(text)[::-1]) for name, text in
                      dump_study(study, fmt="json").items()}
    reread = parse_study(reversed_files)
    distinct = all(len({c.on for c in ae.grade_history}) == len(ae.grade_history)
                   for ae in study.adverse_events)
    if distinct:  # AdverseEvent's equality leaves event_id out
        assert Counter(reread.adverse_events) == Counter(study.adverse_events)


def test_the_example_study_round_trips_and_names_its_digest() -> None:
    """The bundled example data set with a screening log: the same files, the same digest."""
    study = StudyData(load_example_dataset(), screening=(
        ScreenedPatient("SCR-001", dt.date(2026, 2, 20), example_record(), "S01"),
        ScreenedPatient("SCR-002", dt.date(2026, 2, 21), example_record("not_eligible"))))
    files = dump_study(study)
    again = parse_study(files)
    _same(study, again)
    assert again.source == f"exchange format, {files_digest(files)}"
    assert dump_study(again) == files
    assert parse_exchange(split_endpoint_files(files)) == study.dataset


def test_an_adverse_event_without_an_id_gets_one_not_used_by_its_subject() -> None:
    """Ids are made up only where missing or repeated, never clashing with a given one."""
    ae = AdverseEvent.new("001", "Fatigue", "tired", dt.date(2026, 2, 1), 1)
    events = (ae, ae.__class__(**{**_fields(ae), "event_id": "AE1"}), ae)
    study = StudyData(Dataset((Subject("001", dt.date(2026, 1, 5), True),)),
                      adverse_events=events)
    read = parse_study(dump_study(study)).adverse_events
    assert [e.event_id for e in read] == ["AE2", "AE1", "AE3"]


def _fields(ae: AdverseEvent) -> dict[str, object]:
    return {name: getattr(ae, name) for name in AdverseEvent.__dataclass_fields__}


def test_grade_changes_become_one_history() -> None:
    """Three rows of one event: one AdverseEvent with its grade history and worst grade."""
    head = ("subject_id,event_id,term,onset_on,grade_on,grade,resolved_on,serious,outcome\n")
    rows = ("001,AE1,Neutrophil count decreased,2026-02-01,2026-02-08,4,,,recovered\n"
            "001,AE1,Neutrophil count decreased,2026-02-01,2026-02-01,3,,,recovered\n"
            "001,AE1,Neutrophil count decreased,2026-02-01,2026-02-15,2,,,recovered\n")
    ae, = parse_study({"subjects.csv": SUBJECTS, "adverse_events.csv": head + rows}
                      ).adverse_events
    assert [int(c.grade) for c in ae.grade_history] == [3, 4, 2] and ae.grade == Grade.G4
    assert ae.outcome is Outcome.RECOVERED and ae.action_taken is ActionTaken.UNKNOWN


# -- problems ------------------------------------------------------------------------------


def problems_of(files: dict[str, str]) -> str:
    with pytest.raises(InputError) as info:
        parse_study(files)
    return info.value.message


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"vitals.csv": "subject_id\n"}, "vitals.csv: is not a domain file"),
        ({"screening.csv": "x\n"}, "screening.csv: the screening log is JSON only"),
        ({"labs.csv": "subject_id,analyte,value,collected_on,units\n001,anc,1,2026-01-05,x\n"},
         "labs.csv: has unknown column(s) units. The columns of labs are subject_id, analyte"),
        ({"labs.csv": "subject_id,analyte,value,collected_on\n001,anc,,2026-01-05\n"},
         "labs.csv line 2: value is empty. It is required"),
        ({"labs.csv": "subject_id,analyte,value,lln,uln,collected_on\n"
                      "001,anc,1.2,7.5,2.0,2026-01-05\n"},
         "labs.csv line 2: anc of subject 001 on 2026-01-05: the lower limit of normal 7.5 is "
         "above the upper limit 2.0."),
        ({"lesions.json": '[{"subject_id": "001", "lesion_id": "T1", "measured_on": '
                          '"2026-01-05", "kind": "targ"}]'},
         "lesions.json row 1: kind is 'targ'. It must be one of target|non_target|new."),
        ({"baseline.csv": "subject_id,aetiology\n001,hbv;hdv\n"},
         "aetiology is 'hbv;hdv'. It must be codes from hbv|hcv|alcohol|nafld|other, "
         "separated by ;."),
        ({"baseline.csv": "subject_id,aetiology\n001,hbv\n001,hcv\n"},
         "baseline: subject 001 has 2 rows."),
        ({"conmeds.csv": "subject_id,name\n009,entecavir\n"},
         "conmeds: subject 009 is not in subjects."),
        ({"adverse_events.csv": "subject_id,event_id,term,onset_on,grade_on,grade\n"
                                "001,AE1,Fatigue,2026-02-01,2026-02-01,2\n"
                                "001,AE1,Anemia,2026-02-01,2026-02-09,3\n"},
         "adverse_events.csv line 2 and 1 more: event AE1 of subject 001 has different term "
         "on its rows."),
        ({"adverse_events.csv": "subject_id,event_id,term,onset_on,grade_on,grade\n"
                                "001,AE1,Fatigue,2026-02-01,2026-02-03,2\n"},
         "the first grade is dated 2026-02-03, but the onset is 2026-02-01"),
        ({"adverse_events.csv": "subject_id,event_id,term,onset_on,grade_on,grade\n"
                                "001,AE1,Fatigue,2026-02-01,2026-02-01,6\n"},
         "has grade 6 on 2026-02-01"),
        ({"adverse_events.csv": "subject_id,event_id,term,onset_on,grade_on,grade,aware_at\n"
                                "001,AE1,Fatigue,2026-02-01,2026-02-01,2,2026-02-01\n"},
         "aware_at is '2026-02-01'. It must be an ISO 8601 date and time"),
        ({"protocol_deviations.csv": "subject_id,deviation_on,identified_on,category,"
                                     "description,major\n"
                                     "001,2026-03-09,2026-03-02,other,late CT,no\n"},
         "protocol_deviations.csv line 2: Protocol deviation of subject 001 on 2026-03-09: it "
         "is identified on 2026-03-02, before it happened."),
        ({"protocol_deviations.csv": "subject_id,deviation_on,identified_on,category,"
                                     "description,major\n"
                                     "001,2026-03-09,2026-03-09,late_visit,late CT,no\n"},
         "category is 'late_visit'. It must be one of consent|eligibility|study_drug"),
        ({"protocol_deviations.csv": "subject_id,deviation_on,identified_on,category,"
                                     "description,major\n"
                                     "001,2026-03-09,2026-03-09,consent,old version,yes\n"},
         "is major but has no corrective and preventive action."),
        ({"protocol_deviations.csv": "subject_id,deviation_on,identified_on,category,"
                                     "description,major\n"
                                     "004,2026-03-09,2026-03-09,consent,old version,no\n"},
         "protocol_deviations: subject 004 is not in subjects."),
        ({"screening.json": "{}"}, "screening.json: must be a JSON array of objects"),
        ({"screening.json": '[{"screening_number": "S1", "screened_on": "2026-01-02", '
                            '"subject_id": "007", "record": {"subject_id": "S1"}}]'},
         "screening.json: subject 007 is not in subjects."),
        ({"screening.json": '[{"screening_number": "S1", "screened_on": "2/1/2026", '
                            '"record": {"subject_id": "S1", "ecog": 7}, "site": "x"}]'},
         "screening.json row 1: has unknown key(s) site."),
    ],
)
def test_parse_study_explains_each_problem(files: dict[str, str], expected: str) -> None:
    """Each problem names the file, the line or row and the column, and what it must be."""
    assert expected in problems_of({"subjects.csv": SUBJECTS, **files})


def test_parse_study_reports_every_problem_in_every_file_at_once() -> None:
    """Bad cells in five files, an unknown file, an unknown column and a bad screening record
    give one error listing all of them."""
    message = problems_of({
        "subjects.csv": SUBJECTS + "002,2026-01-06,maybe\n",
        "labs.csv": "subject_id,analyte,value,collected_on\n001,anc,low,2026-01-05\n",
        "lesions.csv": "subject_id,lesion_id,measured_on,diameter_mm\n001,T1,2026-13-01,31\n",
        "adverse_events.csv": "subject_id,event_id,term,onset_on,grade_on,grade\n"
                              "001,AE1,Fatigue,2026-02-01,2026-02-01,two\n",
        "conmeds.csv": "subject_id,name,dose\n001,entecavir,0.5\n",
        "baseline.json": '[{"subject_id": "001", "macrovascular_invasion": "perhaps"}]',
        "vitals.csv": "subject_id\n",
        "screening.json": '[{"screening_number": "S1", "screened_on": "2026-01-02", '
                          '"record": {"subject_id": "S1", "ecog": 7}}]',
    })
    assert message.startswith("The data set has 8 problems:"), message
    for where in ("subjects.csv line 3", "labs.csv line 2", "lesions.csv line 2",
                  "adverse_events.csv line 2", "conmeds.csv: has unknown column(s) dose",
                  "baseline.json row 1", "vitals.csv", "screening.json row 1: record.ecog"):
        assert where in message, where


def test_parse_study_needs_a_subjects_file() -> None:
    """As in the endpoint format, subjects is the one required file."""
    assert "subjects.csv: is missing" in problems_of({"labs.csv": "subject_id\n"})


def test_a_domain_given_twice_is_a_problem() -> None:
    """One file per domain, CSV or JSON."""
    assert "gives labs a second time" in problems_of(
        {"subjects.csv": SUBJECTS, "labs.csv": "subject_id\n", "labs.json": "[]"})


def test_dump_study_refuses_an_unknown_format() -> None:
    """csv or json only."""
    with pytest.raises(InputError, match="It must be csv or json"):
        dump_study(StudyData(Dataset(())), fmt="xlsx")


def test_files_digest_depends_on_names_and_contents() -> None:
    """A changed byte or a renamed file changes the digest."""
    base = files_digest({"a.csv": "x", "b.csv": "y"})
    assert base != files_digest({"a.csv": "x", "b.csv": "z"})
    assert base != files_digest({"a.csv": "x", "c.csv": "y"})
    assert base != files_digest({"a.csvx": "", "b.csv": "y"})
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", base)


# -- documentation -------------------------------------------------------------------------


def test_docs_describe_every_study_domain_and_column() -> None:
    """docs/exchange-format.md has a section for each domain (the endpoint ones and the
    study's) listing each of its columns, and one for screening.json with its keys."""
    text = (DOCS / "exchange-format.md").read_text("utf-8")
    for domain in (*DOMAINS, *STUDY_DOMAINS):
        assert re.search(rf"^##+ .*`{domain.name}`", text, re.M), domain.name
        for column in domain.columns:
            assert f"| `{column.name}` |" in text, f"{domain.name}.{column.name}"
    assert re.search(r"^##+ .*`screening\.json`", text, re.M)
    for key in ("screening_number", "screened_on", "subject_id", "record"):
        assert f"| `{key}` |" in text, key


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"identified_on": dt.date(2026, 3, 1)}, "identified on 2026-03-01, before it happened"),
        ({"category": "late"}, "the category 'late' is not one of consent"),
        ({"description": "  "}, "has no description"),
        ({"major": True}, "is major but has no corrective and preventive action"),
        ({"reported_to_ethics": "maybe"}, "it must be one of yes, no, not_applicable"),
    ],
)
def test_a_protocol_deviation_checks_what_its_log_form_checks(
        changes: dict[str, object], expected: str) -> None:
    """The protocol deviations form's checks, each refused with its reason."""
    fields: dict[str, object] = {
        "subject_id": "001", "deviation_on": dt.date(2026, 3, 2),
        "identified_on": dt.date(2026, 3, 2), "category": "consent",
        "description": "Signed an old consent version.", "major": False}
    ProtocolDeviation(**fields)  # type: ignore[arg-type]
    with pytest.raises(InputError, match=re.escape(expected)):
        ProtocolDeviation(**{**fields, **changes})  # type: ignore[arg-type]
