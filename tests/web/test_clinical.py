"""The clinical pages of one subject: tumour assessment, labs and adverse events, dosing.

Each test drives the pages as a research coordinator would (GET the page, POST its form with
the page's CSRF token) and checks what the page shows and what was stored, read back
through the services."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from storekit import Staff, screen_in_example

from oncotrial.context import TrialContext
from oncotrial.services import Database, enrol, report_ae, save_form
from oncotrial.services.clinical_view import load_subject_clinical
from oncotrial.web.i18n import translator

from .conftest import csrf_of

TODAY = dt.date.today()
ENROLLED = TODAY - dt.timedelta(days=70)


@pytest.fixture
def subject(db: Database, staff: Staff, ctx: TrialContext) -> str:
    """An enrolled subject (the bundled example patient, screening ANC 2.1 x 10^9/L)."""
    screen_in_example(db, staff, ctx, "S-001", on=ENROLLED)
    return enrol(db, staff["drli"], ctx, "S-001", enrolled_on=ENROLLED).subject_id


def text_of(page: str) -> str:
    """The visible text of a page, tags removed and spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def row_of(page: str, label: str) -> str:
    """The text of the first table row whose heading cell is ``label``."""
    for row in re.findall(r"<tr>.*?</tr>", page, flags=re.S):
        head = re.search(r'<th scope="row">(.*?)</th>', row, flags=re.S)
        if head and text_of(head.group(1)) == label:
            return text_of(row)
    raise AssertionError(f"no row {label!r} in the page")


def field_value(page: str, field_id: str) -> str | None:
    """The value of the input with id ``field_id``."""
    found = re.search(rf'<input[^>]*\bid="{re.escape(field_id)}"[^>]*\bvalue="([^"]*)"', page)
    return html.unescape(found.group(1)) if found else None


def post_form(client: TestClient, path: str, fields: dict[str, str]) -> object:
    """POST ``fields`` with the CSRF token of the page at ``path``."""
    token = csrf_of(client.get(path).text)
    return client.post(path.split("?")[0], data={"csrf_token": token, **fields})


def enter_haematology(client: TestClient, ref: str, anc: str, day: dt.date,
                      at: str = "C1D1.1") -> object:
    return post_form(client, f"/subjects/{ref}/labs/enter?pick=haematology|{at}", {
        "_form": "haematology", "_visit": at.split(".")[0], "_occurrence": at.split(".")[1],
        "_version": "0", "collected_on": day.isoformat(),
        "anc": anc, "anc__unit": "10^9/L", "anc__lln": "1.8", "anc__uln": "6.3",
        "hemoglobin": "126", "hemoglobin__unit": "g/L", "hemoglobin__lln": "115",
        "hemoglobin__uln": "150",
        "platelets": "160", "platelets__unit": "10^9/L", "platelets__lln": "125",
        "platelets__uln": "350"})


def lesions(day: dt.date, t1: str, t2: str) -> dict[str, str]:
    """The tumour_lesions fields: two targets (liver, lung) and a non-target."""
    return {"measured_on": day.isoformat(), "method": "CT",
            "lesions.1.lesion_id": "T1", "lesions.1.kind": "target", "lesions.1.organ": "liver",
            "lesions.1.nodal": "no", "lesions.1.state": "measured",
            "lesions.1.diameter_mm": t1, "lesions.1.diameter_mm__unit": "mm",
            "lesions.2.lesion_id": "T2", "lesions.2.kind": "target", "lesions.2.organ": "lung",
            "lesions.2.nodal": "no", "lesions.2.state": "measured",
            "lesions.2.diameter_mm": t2, "lesions.2.diameter_mm__unit": "mm",
            "lesions.3.lesion_id": "NT1", "lesions.3.kind": "non_target",
            "lesions.3.organ": "peritoneum", "lesions.3.nodal": "no",
            "lesions.3.state": "measured", "lesions.3.diameter_mm": "15",
            "lesions.3.status": "present"}


def enter_scan(client: TestClient, ref: str, at: str, fields: dict[str, str],
               version: str = "0", reason: str = "") -> object:
    code, occurrence = at.split(".")
    return post_form(client, f"/subjects/{ref}/tumour/enter?at={at}", {
        "_form": "tumour_lesions", "_visit": code, "_occurrence": occurrence,
        "_version": version, "_reason": reason, **fields})


def ae_fields(**values: str) -> dict[str, str]:
    base = {"term": "Neutrophil count decreased", "verbatim": "neutropenia",
            "onset_on": TODAY.isoformat(), "grade": "3", "serious": "no",
            "relationship": "possible", "action_taken": "drug_interrupted",
            "outcome": "not_recovered"}
    base.update(values)
    return {f"ae_{k}": v for k, v in base.items()}


# --- labs and dosing ------------------------------------------------------------------------


def test_grade_3_neutrophils_show_grade_3_and_the_day1_hold(
        login: Callable[[str], TestClient], subject: str, db: Database, staff: Staff,
        ctx: TrialContext) -> None:
    """ANC 0.8 x 10^9/L entered at C1D1 on the labs page: stored, 'grade 3' beside the ANC,
    and the dosing page holds the drug on Day 1 (dose.hold.heme_grade3_day1)."""
    nurse = login("nurse")
    response = enter_haematology(nurse, subject, "0.8", TODAY)
    assert response.status_code == 303, response.text
    assert response.headers["location"].startswith(f"/subjects/{subject}/labs?saved=haematology")
    stored = load_subject_clinical(db, staff["nurse"], ctx, subject)
    anc = [lab for lab in stored.records.labs if lab.analyte == "anc"
           and lab.collected_on == TODAY]
    assert [(lab.value, lab.unit, lab.lln, lab.uln) for lab in anc] == [(0.8, "10^9/L", 1.8, 6.3)]

    labs = nurse.get(f"/subjects/{subject}/labs").text
    anc_row = row_of(labs, "Absolute neutrophil count")
    assert "0.8 10^9/L 1.8–6.3 grade 3 Neutrophil count decreased" in anc_row
    assert "Screening value: 2.1 10^9/L" in anc_row

    dosing = text_of(nurse.get(f"/subjects/{subject}/dosing").text)
    assert "Cycle 1, day 1" in dosing
    assert "Hold the drug" in dosing
    assert "dose.hold.heme_grade3_day1" in dosing
    assert "On recovery, resume at 125 mg." in dosing
    assert "withhold palbociclib until grade <= 2" in dosing


def test_day1_recommendation_starts_the_cycle_with_normal_counts(
        login: Callable[[str], TestClient], subject: str) -> None:
    """ANC 2.4 on C1D1: start cycle 1 at 125 mg (dose.start)."""
    nurse = login("nurse")
    assert enter_haematology(nurse, subject, "2.4", TODAY).status_code == 303
    dosing = text_of(nurse.get(f"/subjects/{subject}/dosing").text)
    assert "Start the cycle · 125 mg once daily" in dosing
    assert "dose.start" in dosing


def test_c1d1_dosing_recorded_through_the_page(
        login: Callable[[str], TestClient], subject: str, db: Database, staff: Staff,
        ctx: TrialContext) -> None:
    """The dosing diary of C1D1 and the capsules dispensed are saved from the dosing page and
    listed on it."""
    nurse = login("nurse")
    response = post_form(nurse, f"/subjects/{subject}/dosing/enter?pick=dosing|C1D1.1", {
        "_form": "dosing", "_visit": "C1D1", "_occurrence": "1", "_version": "0",
        "doses.1.start_on": TODAY.isoformat(), "doses.1.end_on": TODAY.isoformat(),
        "doses.1.daily_dose_mg": "125", "doses.1.change_reason": "as_planned"})
    assert response.status_code == 303, response.text
    response = post_form(
        nurse, f"/subjects/{subject}/dosing/enter?pick=capsule_accountability|C1D1.1", {
            "_form": "capsule_accountability", "_visit": "C1D1", "_occurrence": "1",
            "_version": "0", "kit_number": "K-0042", "capsule_strength_mg": "125",
            "dispensed_on": TODAY.isoformat(), "capsules_dispensed": "21"})
    assert response.status_code == 303, response.text
    records = load_subject_clinical(db, staff["nurse"], ctx, subject).records
    assert [(d.start_on, d.end_on, d.daily_dose_mg) for d in records.dosing] == [
        (TODAY, TODAY, 125.0)]
    page = nurse.get(f"/subjects/{subject}/dosing").text
    assert f"C1D1 {TODAY.isoformat()} {TODAY.isoformat()} 125 mg (starting dose) As planned" \
        in row_of_any(page, "C1D1")
    assert "K-0042" in text_of(page)
    assert f"First dose: {TODAY.isoformat()}" in text_of(page)


def row_of_any(page: str, first_cell: str) -> str:
    """All table rows starting with a cell ``first_cell``, as text."""
    rows = [text_of(r) for r in re.findall(r"<tr>.*?</tr>", page, flags=re.S)]
    return " | ".join(r for r in rows if r.startswith(first_cell))


def test_unreported_abnormality_is_suggested_until_reported(
        login: Callable[[str], TestClient], subject: str, db: Database, staff: Staff,
        ctx: TrialContext) -> None:
    """A grade 3 ANC without an AE is suggested, its link pre-fills the AE form, and once the
    AE is saved the suggestion is gone and the AE is listed."""
    nurse = login("nurse")
    enter_haematology(nurse, subject, "0.8", TODAY)
    page = nurse.get(f"/subjects/{subject}/labs").text
    text = text_of(page)
    assert (f"Neutrophil count decreased grade 3 on C1D1 ({TODAY.isoformat()}) has no AE "
            "record.") in text
    link = re.search(r'href="([^"]+)">Report as AE', page)
    assert link is not None
    prefilled = nurse.get(html.unescape(link.group(1))).text
    assert field_value(prefilled, "ae_term") == "Neutrophil count decreased"
    assert field_value(prefilled, "ae_onset_on") == TODAY.isoformat()
    assert re.search(r'id="ae_grade".*?<option value="3" selected>', prefilled, flags=re.S)

    response = nurse.post(f"/subjects/{subject}/labs/ae",
                          data={"csrf_token": csrf_of(prefilled), **ae_fields()})
    assert response.status_code == 303, response.text
    events = load_subject_clinical(db, staff["nurse"], ctx, subject).records.adverse_events
    assert [(e.term, int(e.grade), e.onset_on) for e in events] == [
        ("Neutrophil count decreased", 3, TODAY)]
    after = text_of(nurse.get(f"/subjects/{subject}/labs").text)
    assert "has no AE record" not in after
    assert "None: every abnormal result of grade 2 or more has an adverse event." in after
    assert "Neutrophil count decreased neutropenia" in after


def test_lab_grade_above_the_recorded_ae_grade_asks_for_a_grade_change(
        login: Callable[[str], TestClient], subject: str, db: Database, staff: Staff,
        ctx: TrialContext) -> None:
    """An ongoing neutropenia AE of grade 2 and an ANC of grade 3 the same day: the page asks
    for a grade change (ctcae.suggest_ae.grade_change) and links to the AE log form."""
    report_ae(db, staff["nurse"], ctx, subject, {"events": [{
        "term": "Neutrophil count decreased", "verbatim": "neutropenia",
        "onset_on": TODAY.isoformat(), "grade": "2", "serious": "no",
        "relationship": "possible", "action_taken": "dose_not_changed",
        "outcome": "not_recovered"}]})
    nurse = login("nurse")
    enter_haematology(nurse, subject, "0.8", TODAY)
    page = nurse.get(f"/subjects/{subject}/labs").text
    assert "ctcae.suggest_ae.grade_change" in page
    assert "is above the grade 2 recorded on the AE that day" in text_of(page)
    assert re.search(rf'href="/subjects/{subject}/forms/adverse_events">Record the grade change',
                     page)


def test_grade_1_is_shown_but_not_suggested(
        login: Callable[[str], TestClient], subject: str) -> None:
    """An ANC of 1.6 with LLN 1.8 is grade 1: shown with its grade, not suggested as an AE."""
    nurse = login("nurse")
    enter_haematology(nurse, subject, "1.6", TODAY)
    page = nurse.get(f"/subjects/{subject}/labs").text
    assert "grade 1" in row_of(page, "Absolute neutrophil count")
    assert "has no AE record" not in text_of(page)


def test_second_ae_is_added_to_the_log(
        login: Callable[[str], TestClient], subject: str, db: Database, staff: Staff,
        ctx: TrialContext) -> None:
    """A second AE is a new row of the AE log; the first is kept unchanged."""
    nurse = login("nurse")
    path = f"/subjects/{subject}/labs"
    for fields in (ae_fields(term="Fatigue", grade="1", verbatim="tired"),
                   ae_fields(term="diarrhea", grade="2", verbatim="loose stools")):
        response = nurse.post(f"{path}/ae",
                              data={"csrf_token": csrf_of(nurse.get(path).text), **fields})
        assert response.status_code == 303, response.text
    events = load_subject_clinical(db, staff["nurse"], ctx, subject).records.adverse_events
    assert [(e.term, e.verbatim, int(e.grade)) for e in events] == [
        ("Fatigue", "tired", 1), ("Diarrhea", "loose stools", 2)]


def test_ae_with_unknown_term_or_grade_is_refused_with_the_values_kept(
        login: Callable[[str], TestClient], subject: str, db: Database, staff: Staff,
        ctx: TrialContext) -> None:
    """An AE term that is not a CTCAE v5.0 term, and a grade the term does not have, are
    refused beside their fields with the other answers kept; nothing is saved."""
    nurse = login("nurse")
    path = f"/subjects/{subject}/labs"
    response = nurse.post(f"{path}/ae", data={
        "csrf_token": csrf_of(nurse.get(path).text),
        **ae_fields(term="Neutropenia", verbatim="low neutrophils")})
    assert response.status_code == 422
    assert "Neutropenia is not a CTCAE v5.0 term." in text_of(response.text)
    assert 'id="ae_term-error"' in response.text
    assert field_value(response.text, "ae_verbatim") == "low neutrophils"
    response = nurse.post(f"{path}/ae", data={
        "csrf_token": csrf_of(nurse.get(path).text),
        **ae_fields(term="Alopecia", grade="3", verbatim="hair loss")})
    assert response.status_code == 422
    assert "Alopecia has no grade 3 in CTCAE v5.0; its grades are 1, 2." in text_of(
        response.text)
    assert load_subject_clinical(db, staff["nurse"], ctx, subject).records.adverse_events == ()


def test_serious_ae_without_awareness_time_is_refused_by_the_form_check(
        login: Callable[[str], TestClient], subject: str) -> None:
    """The AE form's own check (awareness time of an SAE) is shown beside the field."""
    nurse = login("nurse")
    path = f"/subjects/{subject}/labs"
    response = nurse.post(f"{path}/ae", data={
        "csrf_token": csrf_of(nurse.get(path).text),
        **ae_fields(serious="yes", serious_criteria="life_threatening")})
    assert response.status_code == 422
    error = re.search(r'id="ae_aware_at-error">([^<]+)<', response.text)
    assert error is not None and "Enter when the site became aware" in html.unescape(
        error.group(1))


def test_sae_clock_counts_from_awareness(
        login: Callable[[str], TestClient], subject: str, db: Database, staff: Staff,
        ctx: TrialContext) -> None:
    """A serious AE known for 5 hours shows 5 h since awareness, its due time (awareness +
    the protocol's 24 h) and 19 h left."""
    aware = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=5)).astimezone(
        dt.timezone(dt.timedelta(hours=8))).replace(second=0, microsecond=0)
    report_ae(db, staff["nurse"], ctx, subject, {"events": [{
        "term": "Febrile neutropenia", "verbatim": "fever", "onset_on": TODAY.isoformat(),
        "grade": "3", "serious": "yes",
        "serious_criteria": "requires_or_prolongs_hospitalisation",
        "aware_at": aware.isoformat(timespec="minutes"), "relationship": "probable",
        "action_taken": "drug_interrupted", "outcome": "not_recovered"}]})
    text = text_of(login("nurse").get(f"/subjects/{subject}/labs").text)
    due = (aware + dt.timedelta(hours=ctx.sae_report_within_hours)).isoformat(
        timespec="minutes")
    assert f"Aware {aware.isoformat(timespec='minutes')}" in text
    assert re.search(r"\b5(\.\d)? h since awareness", text)
    assert re.search(rf"Report to the sponsor by {re.escape(due)}: 1[89](\.\d)? h left", text)


# --- tumour ----------------------------------------------------------------------------------


def test_baseline_and_follow_up_lesions_give_pr_with_the_reason(
        login: Callable[[str], TestClient], subject: str, db: Database, staff: Staff,
        ctx: TrialContext) -> None:
    """Baseline targets 60 + 40 = 100 mm, follow-up 40 + 25 = 65 mm: 35 % below baseline,
    PR (recist.timepoint.pr) with the core's reason, shown after saving."""
    nurse = login("nurse")
    baseline_on = ENROLLED - dt.timedelta(days=5)
    response = enter_scan(nurse, subject, "SCR.1", lesions(baseline_on, "60", "40"))
    assert response.status_code == 303, response.text
    page = text_of(nurse.get(response.headers["location"]).text)
    assert "Baseline sum of diameters: 100 mm." in page
    assert "The baseline lesions meet the RECIST 1.1 selection rules" in page

    follow_up = ENROLLED + dt.timedelta(days=56)
    response = enter_scan(nurse, subject, "TA.1", lesions(follow_up, "40", "25"))
    assert response.status_code == 303, response.text
    assert "saved=tumour_lesions" in response.headers["location"]
    shown = nurse.get(response.headers["location"]).text
    result = text_of(shown.split('id="result-h"')[1].split("</section>")[0])
    assert "Partial response (PR)" in result
    assert ("PR: sum 65 mm is 35 % below the baseline of 100 mm; non-target disease "
            "persists.") in result
    assert "recist.timepoint.pr" in result
    row = row_of(shown, f"Tumour assessment 1 {follow_up.isoformat()}")
    assert row.startswith(f"Tumour assessment 1 {follow_up.isoformat()} 65 -35 100 Partial "
                          "response (PR)")
    assert "<svg" in shown and 'aria-labelledby="spider-title spider-desc"' in shown
    lesion_rows = load_subject_clinical(db, staff["nurse"], ctx, subject).records.lesions
    assert sorted((r.measured_on, r.lesion_id, r.diameter_mm) for r in lesion_rows
                  if r.kind == "target") == [
        (baseline_on, "T1", 60.0), (baseline_on, "T2", 40.0),
        (follow_up, "T1", 40.0), (follow_up, "T2", 25.0)]


def test_follow_up_form_starts_with_the_baseline_lesions(
        login: Callable[[str], TestClient], subject: str) -> None:
    """A new tumour assessment is pre-filled with the previous scan's lesion numbers."""
    nurse = login("nurse")
    enter_scan(nurse, subject, "SCR.1", lesions(ENROLLED - dt.timedelta(days=5), "60", "40"))
    page = nurse.get(f"/subjects/{subject}/tumour/enter?at=TA.1").text
    assert field_value(page, "lesions.1.lesion_id") == "T1"
    assert field_value(page, "lesions.3.lesion_id") == "NT1"
    assert field_value(page, "lesions.1.diameter_mm") == ""
    assert "sum of target diameters 100 mm" in text_of(page)


def test_more_rows_keeps_the_values_and_saves_nothing(
        login: Callable[[str], TestClient], subject: str, db: Database, staff: Staff,
        ctx: TrialContext) -> None:
    """A new scan offers 4 lesion rows; "More empty rows" posts the form back with 3 more
    rows and every typed value, without saving (no script needed)."""
    nurse = login("nurse")
    page = nurse.get(f"/subjects/{subject}/tumour/enter?at=SCR.1").text
    assert field_value(page, "lesions.4.lesion_id") == ""
    assert field_value(page, "lesions.5.lesion_id") is None
    response = enter_scan(nurse, subject, "SCR.1",
                          {**lesions(ENROLLED, "60", "40"), "_more": "7"})
    assert response.status_code == 200
    assert field_value(response.text, "lesions.2.diameter_mm") == "40"
    assert field_value(response.text, "lesions.10.lesion_id") == ""
    assert load_subject_clinical(db, staff["nurse"], ctx, subject).records.lesions == ()


def test_baseline_check_warns_of_a_small_target(
        login: Callable[[str], TestClient], subject: str) -> None:
    """A 8 mm liver target is listed with recist.baseline.target_too_small."""
    nurse = login("nurse")
    enter_scan(nurse, subject, "SCR.1", lesions(ENROLLED - dt.timedelta(days=5), "60", "8"))
    text = text_of(nurse.get(f"/subjects/{subject}/tumour").text)
    assert "recist.baseline.target_too_small" in text
    assert "Target lesion T2 measures 8 mm at baseline." in text


def test_rejected_scan_keeps_every_value_and_names_the_field(
        login: Callable[[str], TestClient], subject: str, db: Database, staff: Staff,
        ctx: TrialContext) -> None:
    """A measured target without a diameter: 422, the error beside the field, the other
    values kept, nothing saved."""
    nurse = login("nurse")
    fields = lesions(ENROLLED - dt.timedelta(days=5), "60", "40")
    fields["lesions.2.diameter_mm"] = ""
    response = enter_scan(nurse, subject, "SCR.1", fields)
    assert response.status_code == 422
    assert 'id="lesions.2.diameter_mm-error">A measured lesion needs its diameter.' \
        in response.text
    assert field_value(response.text, "lesions.1.organ") == "liver"
    assert field_value(response.text, "lesions.1.diameter_mm") == "60"
    stored = load_subject_clinical(db, staff["nurse"], ctx, subject)
    assert stored.instance("tumour_lesions", "SCR") is None


def test_correcting_a_saved_scan_needs_a_reason(
        login: Callable[[str], TestClient], subject: str, db: Database, staff: Staff,
        ctx: TrialContext) -> None:
    """A change to a saved scan without a reason is refused beside the reason field; with
    one it is saved."""
    nurse = login("nurse")
    day = ENROLLED - dt.timedelta(days=5)
    enter_scan(nurse, subject, "SCR.1", lesions(day, "60", "40"))
    version = str(load_subject_clinical(db, staff["nurse"], ctx, subject)
                  .instance("tumour_lesions", "SCR").version)  # type: ignore[union-attr]
    response = enter_scan(nurse, subject, "SCR.1", lesions(day, "62", "40"), version=version)
    assert response.status_code == 422
    assert 'id="_reason-error"' in response.text
    response = enter_scan(nurse, subject, "SCR.1", lesions(day, "62", "40"), version=version,
                          reason="transcription error, see CT report")
    assert response.status_code == 303, response.text
    lesions_now = load_subject_clinical(db, staff["nurse"], ctx, subject).records.lesions
    assert {(r.lesion_id, r.diameter_mm) for r in lesions_now} >= {("T1", 62.0)}


def test_stale_edit_is_refused_with_the_values_kept(
        login: Callable[[str], TestClient], subject: str, db: Database, staff: Staff,
        ctx: TrialContext) -> None:
    """A correction made on a form someone saved since it was opened: 409, nothing
    overwritten, the typed values still on the page."""
    nurse = login("nurse")
    day = ENROLLED - dt.timedelta(days=5)
    enter_scan(nurse, subject, "SCR.1", lesions(day, "60", "40"))
    stored = load_subject_clinical(db, staff["nurse"], ctx, subject)
    version = stored.instance("tumour_lesions", "SCR").version  # type: ignore[union-attr]
    response = enter_scan(nurse, subject, "SCR.1", lesions(day, "61", "40"),
                          version=str(version - 1), reason="re-measured")
    assert response.status_code == 409
    assert "Someone else saved this form after you opened it" in text_of(response.text)
    assert field_value(response.text, "lesions.1.diameter_mm") == "61"
    lesions_now = load_subject_clinical(db, staff["nurse"], ctx, subject).records.lesions
    assert ("T1", 60.0) in {(r.lesion_id, r.diameter_mm) for r in lesions_now}


# --- access ----------------------------------------------------------------------------------


def test_statistician_sees_the_pseudonymised_page_but_cannot_enter(
        login: Callable[[str], TestClient], subject: str, db: Database, staff: Staff,
        ctx: TrialContext) -> None:
    """A statistician reads the labs page under the pseudonym, has no entry form, and a POST
    is refused with 403 and nothing saved."""
    stat = login("stat")
    page = stat.get(f"/subjects/{subject}/labs")
    assert page.status_code == 200
    assert "Pseudonymised view" in page.text
    assert "/labs/ae" not in page.text
    response = stat.post(f"/subjects/{subject}/labs/ae",
                         data={"csrf_token": csrf_of(page.text), **ae_fields()})
    assert response.status_code == 403
    response = enter_scan(stat, subject, "SCR.1", lesions(ENROLLED, "60", "40"))
    assert response.status_code == 403
    stored = load_subject_clinical(db, staff["nurse"], ctx, subject)
    assert stored.records.adverse_events == () and stored.records.lesions == ()


@pytest.mark.parametrize("path", ["tumour", "labs", "dosing", "tumour/enter?at=SCR.1"])
def test_other_site_gets_403(login: Callable[[str], TestClient], subject: str,
                             path: str) -> None:
    """An investigator of another site may not open the pages of this site's subject."""
    response = login("other").get(f"/subjects/{subject}/{path}")
    assert response.status_code == 403
    assert "may not see subject" in text_of(response.text)


def test_other_site_cannot_post(login: Callable[[str], TestClient], subject: str,
                                db: Database, staff: Staff, ctx: TrialContext) -> None:
    """A POST from another site's investigator (with a valid CSRF token of its own session)
    is refused and nothing is saved."""
    other = login("other")
    token = csrf_of(other.get("/").text)
    response = other.post(f"/subjects/{subject}/labs/ae", data={"csrf_token": token,
                                                                **ae_fields()})
    assert response.status_code == 403
    assert load_subject_clinical(db, staff["nurse"], ctx, subject).records.adverse_events == ()


def test_post_without_csrf_token_is_refused(
        login: Callable[[str], TestClient], subject: str, db: Database, staff: Staff,
        ctx: TrialContext) -> None:
    """Every POST of these pages needs the session's CSRF token: without it, 403 and nothing
    saved."""
    nurse = login("nurse")
    del nurse.headers["X-CSRF-Token"]
    assert nurse.post(f"/subjects/{subject}/labs/ae", data=ae_fields()).status_code == 403
    response = nurse.post(f"/subjects/{subject}/tumour/enter", data={
        "_form": "tumour_lesions", "_visit": "SCR", "_occurrence": "1", "_version": "0",
        **lesions(ENROLLED, "60", "40")})
    assert response.status_code == 403
    response = nurse.post(f"/subjects/{subject}/dosing/enter", data={
        "csrf_token": "forged", "_form": "dosing", "_visit": "C1D1", "_occurrence": "1",
        "_version": "0", "doses.1.start_on": TODAY.isoformat(),
        "doses.1.end_on": TODAY.isoformat(), "doses.1.daily_dose_mg": "125",
        "doses.1.change_reason": "as_planned"})
    assert response.status_code == 403
    stored = load_subject_clinical(db, staff["nurse"], ctx, subject)
    assert stored.records.adverse_events == () and stored.records.lesions == ()
    assert stored.records.dosing == ()


def test_pages_need_a_log_in(app: object, subject: str) -> None:
    """Without a session the pages send the browser to the log-in page."""
    client = TestClient(app, follow_redirects=False)  # type: ignore[arg-type]
    response = client.get(f"/subjects/{subject}/dosing")
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next=/subjects/{subject}/dosing"


# --- Chinese ---------------------------------------------------------------------------------


def test_chinese_pages_show_translated_words_and_code_meanings(
        login: Callable[[str], TestClient], subject: str, db: Database, staff: Staff,
        ctx: TrialContext) -> None:
    """In Chinese the pages show their words, the meaning of each result code and the labels
    of the forms file in Chinese, and no string of these pages lacks a translation."""
    nurse = login("nurse")
    enter_haematology(nurse, subject, "0.8", TODAY)
    enter_scan(nurse, subject, "SCR.1", lesions(ENROLLED - dt.timedelta(days=5), "60", "40"))
    enter_scan(nurse, subject, "TA.1", lesions(ENROLLED + dt.timedelta(days=56), "40", "25"))
    save_form(db, staff["nurse"], ctx, subject, "dosing", {"doses": [{
        "start_on": TODAY.isoformat(), "end_on": TODAY.isoformat(), "daily_dose_mg": "125",
        "change_reason": "as_planned"}]}, visit="C1D1")
    token = csrf_of(nurse.get("/").text)
    assert nurse.post("/language", data={"csrf_token": token, "language": "zh-CN",
                                         "next": "/"}).status_code == 303
    zh = translator("zh-CN")
    zh.missing.clear()
    labs = text_of(nurse.get(f"/subjects/{subject}/labs").text)
    assert "实验室检查与不良事件" in labs
    assert zh.code_meaning("ctcae.suggest_ae.no_record") != "" and "3级" in labs
    assert "中性粒细胞绝对值" in labs  # the forms file's label of the ANC
    tumour = text_of(nurse.get(f"/subjects/{subject}/tumour").text)
    assert zh.code_meaning("recist.timepoint.pr") in tumour
    assert "部分缓解（PR）" in tumour
    dosing = text_of(nurse.get(f"/subjects/{subject}/dosing").text)
    assert zh.code_meaning("dose.hold.heme_grade3_day1") in dosing
    assert "dose.hold.heme_grade3_day1" in dosing
    for path in ("tumour/enter?at=TA.2", "labs/enter?pick=haematology|C1D1.1",
                 "dosing/enter?pick=dosing|C1D1.1"):
        assert nurse.get(f"/subjects/{subject}/{path}").status_code == 200
    assert zh.missing == set(), sorted(zh.missing)
