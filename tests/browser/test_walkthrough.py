"""A research coordinator (nurse) and an investigator (drli) walk through the trial in a real
browser, by the labels and buttons of the pages: register a patient who fails one criterion
and see why; enrol an eligible patient; record C1D1 dosing; enter a grade 3 neutrophil count
and see the grade and the hold; enter baseline and follow-up lesions and see PR; raise, answer
and close a query; sign as investigator; read the same checklist in Chinese. Each step is one
test; the steps share one served database (module scope), in this order.

A step that needs the data of an earlier step takes it from that step when it ran, else enters
it through the services (``_ensure_*``), so that each step proves its own behaviour even when
an earlier one failed. No step waits by time: each waits for a URL or a text.

The walk-through also makes the README's screenshots (``docs/screenshots/`` when
``ONCOTRIAL_README_SCREENSHOTS=1``, else under ``.cache/``): home,
screening and tumour pages in English and the screening page in Chinese, 1280 pixels wide.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from storekit import PASSWORD

from oncotrial.services import (
    Actor,
    authenticate,
    demo,
    enrol,
    load_trial,
    save_form,
    screen_subject,
)
from oncotrial.services.lookup import forms_of
from oncotrial.services.screening_view import screening_subject

#: Where the screenshots go: ``.cache/screenshots/readme`` in a plain test run (a test run
#: leaves the checkout clean); ONCOTRIAL_README_SCREENSHOTS=1 writes the README's own.
SCREENSHOTS = Path(__file__).resolve().parents[2] / (
    "docs/screenshots" if os.environ.get("ONCOTRIAL_README_SCREENSHOTS") == "1"
    else ".cache/screenshots/readme")

TODAY = dt.date.today()
#: The eligible patient was screened and enrolled four weeks ago, so that today is Day 1 of
#: cycle 2 (a blood count decides today's dose) and the follow-up scan lies 4 weeks after the
#: first dose.
ENROLLED_ON = TODAY - dt.timedelta(days=28)
BASELINE_SCAN_ON = ENROLLED_ON - dt.timedelta(days=10)
#: The patient who fails: screened today, registered in the browser.
FAILING = "S-001"
ELIGIBLE = "S-002"
ANC_REASON = re.compile(r"ANC 0\.9 x10\^9/L on \d{4}-\d\d-\d\d is below the required "
                        r"1\.0 x10\^9/L")

#: What the steps hand on: the subject id given at enrolment, and which steps ran.
flow: dict[str, Any] = {}


# --- helpers ---------------------------------------------------------------------------------


class Trial:
    """The served application, its database and the trial context, and the services' actors
    (for entering what an earlier step would have entered)."""

    def __init__(self, server: Any, db: Any) -> None:
        self.server = server
        self.url = server.url
        self.db = db
        self.ctx = load_trial()

    def actor(self, username: str) -> Actor:
        return authenticate(self.db, username, PASSWORD).actor


@pytest.fixture(scope="module")
def trial(live: tuple[Any, Any]) -> Trial:
    """The eligible patient S-002 with every screening form saved through the services (the
    example patient, dated so that it is eligible on :data:`ENROLLED_ON`)."""
    server, db = live
    found = Trial(server, db)
    demo.screen_example_patient(db, found.actor("nurse"), found.ctx, ELIGIBLE,
                                on=ENROLLED_ON)
    return found


def log_in(page: Any, trial: Trial, username: str) -> None:
    """Log in by keyboard (log out first when someone is logged in)."""
    if page.get_by_role("button", name="Log out").count():
        page.get_by_role("button", name="Log out").click()
        page.wait_for_url("**/login")
    else:
        page.goto(trial.url + "/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(trial.url + "/")


def textbox(page: Any, label: str) -> Any:
    """The text field named ``label`` (its accessible name leaves out the required star)."""
    return page.get_by_role("textbox", name=label, exact=True)


@contextmanager
def live_checks(page: Any, count: int) -> Iterator[None]:
    """Wait, after the block, for the answers of the ``count`` live checks of the screening
    page the block sets off (so that no check is still pending when the form is saved: the
    browser would abort it, which htmx logs as a console error)."""
    seen: list[Any] = []

    def nth_check(request: Any) -> bool:
        if request.url.split("?")[0].endswith("/check"):
            seen.append(request)
        return len(seen) >= count

    with page.expect_request(nth_check) as last:
        yield
    last.value.response()
    assert all(r.response() is not None and r.response().ok for r in seen)


def enter(page: Any, field: Any, value: str) -> None:
    """Type ``value`` into a field of the screening form (or choose the option so labelled)
    and leave the field, as a nurse does, then wait for the checklist to answer: leaving a
    changed field checks at once (htmx "change", which drops the pending check of the typing
    pause), and the next field is typed once the answer is there."""
    with live_checks(page, 1):
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(label=value)
        else:
            field.fill(value)
            field.press("Tab")


def open_details(details: Any) -> None:
    """Open a <details> element (by its summary) unless it is open."""
    if details.get_attribute("open") is None:
        details.locator("summary").first.click()


def shoot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def _ensure_enrolled(trial: Trial) -> str:
    if "subject_id" not in flow:
        flow["subject_id"] = enrol(trial.db, trial.actor("drli"), trial.ctx, ELIGIBLE,
                                   enrolled_on=ENROLLED_ON).subject_id
    return str(flow["subject_id"])


def _ensure_dosed(trial: Trial) -> str:
    sid = _ensure_enrolled(trial)
    if "dosed" not in flow:
        save_form(trial.db, trial.actor("nurse"), trial.ctx, sid, "dosing", {"doses": [
            {"start_on": ENROLLED_ON.isoformat(),
             "end_on": (ENROLLED_ON + dt.timedelta(days=20)).isoformat(),
             "daily_dose_mg": "125", "change_reason": "as_planned"}]}, visit="C1D1")
        flow["dosed"] = True
    return sid


def _ensure_grade3_labs(trial: Trial) -> str:
    sid = _ensure_dosed(trial)
    if "labs" not in flow:
        save_form(trial.db, trial.actor("nurse"), trial.ctx, sid, "haematology", {
            "collected_on": TODAY.isoformat(),
            "anc": {"value": "0.8", "unit": "10^9/L", "lln": "1.8", "uln": "6.3"},
            "hemoglobin": {"value": "125", "unit": "g/L", "lln": "130", "uln": "175"},
            "platelets": {"value": "180", "unit": "10^9/L", "lln": "125", "uln": "350"}},
            visit="CD1", occurrence=1)
        flow["labs"] = True
    return sid


def _ensure_screen_failure(trial: Trial) -> None:
    if "failed" in flow:
        return
    nurse = trial.actor("nurse")
    demo.screen_example_patient(trial.db, nurse, trial.ctx, FAILING, on=TODAY)
    forms = demo.example_screening(forms_of(trial.ctx), (TODAY - demo.EXAMPLE_DAY).days)
    haematology = {**forms["haematology"], "anc": {"value": "0.9", "unit": "10^9/L"}}
    saved = screening_subject(trial.db, nurse, trial.ctx, FAILING).forms["haematology"]
    save_form(trial.db, nurse, trial.ctx, FAILING, "haematology", haematology, visit="SCR",
              expected_version=saved.version, reason="transcription error")
    # The screening page records the outcome when it evaluates the criteria; so do here.
    screen_subject(trial.db, nurse, trial.ctx, FAILING, on=TODAY)
    flow["failed"] = True


def _haematology_c2d1(trial: Trial, sid: str) -> str:
    return f"{trial.url}/subjects/{sid}/forms/haematology?visit=CD1&occurrence=1"


# --- the walk-through ------------------------------------------------------------------------


def test_a_patient_who_fails_one_criterion_is_shown_not_met_with_value_and_threshold(
        trial: Trial, page: Any) -> None:
    """The nurse registers a patient, enters the consent form, and (the other screening forms
    entered through the services) changes the ANC to 0.9 x10^9/L on the haematology form: the
    checklist turns I11 to "Not met" as she types, naming the value, the date and the
    threshold, before and after she saves; the screening log gives the reason."""
    log_in(page, trial, "nurse")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Subjects").click()
    page.get_by_label("Screening number").fill(FAILING)
    page.get_by_label("Initials").fill("WL")
    page.get_by_label("Date of birth (optional)").fill("1961-04-17")
    page.get_by_role("button", name="Register and start screening").click()
    page.wait_for_url(f"**/screening/{FAILING}")
    assert "Enter the informed consent form first" in page.inner_text("main")

    # Consent first, in the browser.
    consent_on = (TODAY - dt.timedelta(days=10)).isoformat()
    enter(page, textbox(page, "Version of the informed consent form"), "2.0")
    enter(page, textbox(page, "Date the informed consent form was signed"), consent_on)
    enter(page, textbox(page, "Consent obtained by"), "Dr Li")
    enter(page, page.get_by_label("Signed copy given to the patient"), "Yes")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url("**saved=consent**")
    assert f"Consent: {consent_on}" in page.inner_text("main")

    # The other screening forms (the example patient's) through the services.
    nurse = trial.actor("nurse")
    forms = demo.example_screening(forms_of(trial.ctx), (TODAY - demo.EXAMPLE_DAY).days)
    for form_id, values in forms.items():
        if form_id != "consent":
            save_form(trial.db, nurse, trial.ctx, FAILING, form_id, values, visit="SCR")

    # The haematology form, opened from the list of screening forms.
    page.reload()
    page.get_by_text("All screening forms").click()
    page.get_by_role("link", name="Haematology", exact=True).click()
    page.wait_for_url("**form=haematology**")
    overall = page.locator("#overall")
    assert "Eligible" in overall.inner_text()
    anc = textbox(page, "Absolute neutrophil count")
    assert anc.input_value() == "2.1"

    # Typing 0.9 updates the checklist live (nothing saved yet).
    enter(page, anc, "0.9")
    row = page.locator("#criterion-I11")
    assert row.locator(".verdict").inner_text() == "Not met"
    assert ANC_REASON.search(row.inner_text())
    assert "Not eligible" in overall.inner_text()
    assert "not saved yet (Haematology)" in overall.inner_text()

    # Saved with the reason for the change (Enter in the reason field saves).
    reason = page.get_by_label("Reason for the change")
    with live_checks(page, 1):
        reason.fill("transcription error, see lab report")
    reason.press("Enter")
    page.wait_for_url("**saved=haematology**")
    assert "Haematology saved." in page.get_by_role("status").all_inner_texts()
    assert page.locator("#criterion-I11 .verdict").inner_text() == "Not met"
    assert ANC_REASON.search(page.locator("#criterion-I11").inner_text())
    assert "Not eligible" in overall.inner_text()
    assert "not saved yet" not in overall.inner_text()
    assert page.get_by_role("button", name="Enrol").count() == 0
    assert textbox(page, "Absolute neutrophil count").input_value() == "0.9"
    flow["failed"] = True
    shoot(page, "screening.png")

    # The screening log says why.
    page.get_by_role("link", name="Screening log").first.click()
    page.wait_for_url("**/screening")
    log_row = page.get_by_role("row").filter(has_text=FAILING)
    assert "Not eligible" in log_row.inner_text()
    assert "I11 Absolute neutrophil count: below the minimum the rule requires." \
        in log_row.inner_text()
    assert page.console_errors == []


def test_an_investigator_enrols_an_eligible_patient(trial: Trial, page: Any) -> None:
    """Dr Li opens the eligible patient from the screening log, checks eligibility on the
    planned enrolment date (every criterion met) and enrols: the subject id HCH-00n is shown
    and the casebook opens under it."""
    log_in(page, trial, "drli")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Screening").click()
    page.get_by_role("link", name=ELIGIBLE).click()
    page.wait_for_url(f"**/screening/{ELIGIBLE}")
    page.get_by_label("Check on").fill(ENROLLED_ON.isoformat())
    page.get_by_label("Check on").press("Enter")
    page.wait_for_url(f"**on={ENROLLED_ON.isoformat()}**")
    overall = page.locator("#overall")
    assert "Eligible" in overall.inner_text()
    assert "24 met, 0 not met, 0 with missing data, 0 attestations due." in overall.inner_text()
    assert page.get_by_label("Enrolment date").input_value() == ENROLLED_ON.isoformat()
    page.get_by_role("button", name="Enrol").click()
    page.wait_for_url("**enrolled=**")
    notice = page.get_by_role("status").filter(has_text="Enrolled").inner_text()
    found = re.fullmatch(r"Enrolled: subject id (HCH-\d{3})\.", notice)
    assert found, notice
    sid = found.group(1)
    flow["subject_id"] = sid
    assert f"Subject id: {sid}" in page.inner_text("main")
    page.get_by_role("link", name="Open the casebook").click()
    page.wait_for_url(f"**/subjects/{sid}")
    assert page.get_by_role("heading", level=1).inner_text() == f"Casebook {sid}"
    assert page.console_errors == []


def test_c1d1_dosing_is_recorded_through_the_dosing_page(trial: Trial, page: Any) -> None:
    """The nurse records the C1D1 visit date in the casebook, then the first 21 days at
    125 mg on the dosing diary of C1D1: the diary lists them."""
    sid = _ensure_enrolled(trial)
    log_in(page, trial, "nurse")
    page.goto(f"{trial.url}/subjects/{sid}")
    c1d1 = page.locator("#visit-C1D1")
    open_details(c1d1)
    c1d1.get_by_label("Date of the visit").fill(ENROLLED_ON.isoformat())
    c1d1.get_by_role("button", name="Save the date of C1D1").click()
    page.wait_for_url(f"**/subjects/{sid}?**")
    assert page.get_by_role("alert").count() == 0
    assert ENROLLED_ON.isoformat() in page.locator("#visit-C1D1 summary").inner_text()

    page.get_by_role("link", name="Dosing", exact=True).first.click()
    page.wait_for_url(f"**/subjects/{sid}/dosing")
    page.get_by_label("Record", exact=True).select_option(
        label="Palbociclib dosing diary · C1D1")
    page.get_by_role("button", name="Open the form").click()
    page.wait_for_url("**/dosing/enter?**")
    assert page.get_by_role("heading", level=1).inner_text() == \
        f"Palbociclib dosing diary · C1D1 · {sid}"
    last_day = ENROLLED_ON + dt.timedelta(days=20)
    page.get_by_label("From (1)", exact=True).fill(ENROLLED_ON.isoformat())
    page.get_by_label("To (1)", exact=True).fill(last_day.isoformat())
    page.get_by_label("Daily dose (1)", exact=True).select_option(label="125 mg (starting dose)")
    page.get_by_label("Reason for this dose (1)", exact=True).select_option(label="As planned")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(f"**/subjects/{sid}/dosing?saved=dosing**")
    flow["dosed"] = True
    assert page.get_by_role("status").inner_text() == \
        "Saved: Palbociclib dosing diary at C1D1."
    diary = page.get_by_role("table", name="Dosing diary")
    assert diary.get_by_role("row").nth(1).inner_text().split("\t")[:5] == [
        "C1D1", ENROLLED_ON.isoformat(), last_day.isoformat(), "125 mg (starting dose)",
        "As planned"]
    assert f"First dose: {ENROLLED_ON.isoformat()}" in page.inner_text("main")
    assert page.console_errors == []


def test_a_grade_3_neutrophil_count_shows_its_grade_and_the_hold(
        trial: Trial, page: Any) -> None:
    """The nurse enters the C2D1 blood count with ANC 0.8 x10^9/L: the labs page shows
    "grade 3" beside it and suggests an AE; the dosing page recommends holding the drug with
    a dose.hold.* code (grade 3 on Day 1 of a cycle)."""
    sid = _ensure_dosed(trial)
    log_in(page, trial, "nurse")
    page.goto(f"{trial.url}/subjects/{sid}")
    page.get_by_role("link", name="Labs and adverse events").first.click()
    page.wait_for_url(f"**/subjects/{sid}/labs")
    page.get_by_label("Enter results").select_option(label="Haematology · C2D1")
    page.get_by_role("button", name="Open the form").click()
    page.wait_for_url("**/labs/enter?**")
    page.get_by_label("Date of sample").fill(TODAY.isoformat())
    for label, value, lln, uln in (("Absolute neutrophil count", "0.8", "1.8", "6.3"),
                                   ("Haemoglobin", "125", "130", "175"),
                                   ("Platelet count", "180", "125", "350")):
        field = textbox(page, label)
        field.fill(value)
        # The limits of normal: the fields that follow the value, by keyboard.
        field.press("Tab")
        page.keyboard.press("Tab")  # past the unit
        page.keyboard.type(lln)
        page.keyboard.press("Tab")
        page.keyboard.type(uln)
    assert page.locator("#anc__lln").input_value() == "1.8"
    assert page.locator("#platelets__uln").input_value() == "350"
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(f"**/subjects/{sid}/labs?saved=haematology**")
    flow["labs"] = True
    panel = page.locator("section").filter(
        has=page.get_by_role("heading", name=f"Haematology · C2D1 · {TODAY.isoformat()}"))
    anc = panel.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="Absolute neutrophil count"))
    cells = anc.get_by_role("cell").all_inner_texts()
    assert cells[:3] == ["0.8", "10^9/L", "1.8–6.3"]
    assert cells[3].startswith("grade 3")
    assert "Neutrophil count decreased" in cells[3]
    suggestions = page.locator("li.suggestion").all_inner_texts()
    assert any("Neutrophil count decreased grade 3" in s for s in suggestions), suggestions

    page.get_by_role("link", name="Dosing", exact=True).first.click()
    page.wait_for_url(f"**/subjects/{sid}/dosing")
    card = page.locator("section.card")
    assert "Cycle 2, day 1" in card.inner_text()
    assert card.locator(".verdict").inner_text() == "Hold the drug"
    code = card.locator("code").inner_text()
    assert code.startswith("dose.hold."), code
    assert code == "dose.hold.heme_grade3_day1"
    assert "grade 3" in card.inner_text()
    assert "Neutrophil count decreased grade 3" in card.inner_text()
    assert page.console_errors == []


def test_baseline_and_follow_up_lesions_give_a_partial_response(
        trial: Trial, page: Any) -> None:
    """The nurse enters two target lesions at baseline (42 + 28 = 70 mm) and, at tumour
    assessment 1, 28 + 18 = 46 mm (34.3 % smaller): the page shows PR with its reason, the
    sum, the change from baseline and the nadir, and draws the spider line."""
    sid = _ensure_enrolled(trial)
    log_in(page, trial, "nurse")
    page.goto(f"{trial.url}/subjects/{sid}")
    page.get_by_role("link", name="Tumour assessment").first.click()
    page.wait_for_url(f"**/subjects/{sid}/tumour")
    page.get_by_role("link", name="Enter the baseline lesions (screening scan)").click()
    page.wait_for_url("**/tumour/enter?at=SCR.1")

    def enter_scan(day: dt.date, lesions: list[tuple[str, str, str]], *, new: bool) -> None:
        page.get_by_label("Date of the scan").fill(day.isoformat())
        page.get_by_label("Modality").select_option(label="CT")
        for n, (number, organ, diameter) in enumerate(lesions, 1):
            if new:
                page.get_by_label(f"Lesion number ({n})", exact=True).fill(number)
                page.get_by_label(f"Kind of lesion ({n})", exact=True).select_option(
                    label="Target")
                page.get_by_label(f"Organ and site ({n})", exact=True).fill(organ)
                page.get_by_label(f"Lymph node ({n})", exact=True).select_option(label="No")
                page.get_by_label(f"Measurement ({n})", exact=True).select_option(
                    label="Measured")
            else:  # a follow-up scan starts with the previous scan's lesions
                assert page.get_by_label(f"Lesion number ({n})", exact=True).input_value() \
                    == number
            page.get_by_label(
                f"Diameter: longest diameter, short axis for a lymph node ({n})",
                exact=True).fill(diameter)
        page.get_by_role("button", name="Save", exact=True).click()
        page.wait_for_url(f"**/subjects/{sid}/tumour?saved=tumour_lesions**")

    enter_scan(BASELINE_SCAN_ON, [("T1", "liver segment 7", "42"),
                                  ("T2", "liver segment 4", "28")], new=True)
    result = page.locator("section.card")
    assert "Baseline sum of diameters: 70 mm." in result.inner_text()
    page.get_by_role("link", name="Enter tumour assessment 1").click()
    page.wait_for_url("**/tumour/enter?at=TA.1")
    assert "sum of target diameters 70 mm" in page.inner_text("main")
    enter_scan(TODAY, [("T1", "", "28"), ("T2", "", "18")], new=False)

    assert result.locator(".verdict").inner_text() == "Partial response (PR)"
    assert "PR: sum 46 mm is 34.3 % below the baseline of 70 mm." in result.inner_text()
    assert result.locator("code").inner_text() == "recist.timepoint.pr"
    table = page.get_by_role("table", name="Time-point responses (RECIST 1.1)")
    follow_up = table.get_by_role("row").filter(has_text="Tumour assessment 1")
    cells = follow_up.get_by_role("cell").all_inner_texts()
    assert cells[:3] == ["46", "-34.3", "70"]
    assert cells[3].startswith("Partial response (PR)")
    assert page.locator("svg").filter(has_text="PR -34.3 %").count() == 1
    assert "The baseline lesions meet the RECIST 1.1 selection rules" in page.inner_text("main")
    shoot(page, "tumour.png")
    assert page.console_errors == []


def test_a_monitor_raises_a_query_the_nurse_answers_it_and_the_monitor_closes_it(
        trial: Trial, page: Any) -> None:
    """The monitor raises a query on the C2D1 ANC; the nurse sees it beside the field and
    answers it; the monitor sees the answer and closes the query."""
    sid = _ensure_grade3_labs(trial)
    text = "ANC 0.8 x10^9/L: please confirm against the laboratory report."
    answer = "Checked against the laboratory report: 0.8 x10^9/L is correct."
    log_in(page, trial, "monitor")
    page.goto(f"{trial.url}/subjects/{sid}")
    later = page.locator("#visit-CD1")
    open_details(later)
    later.get_by_role("link", name="Haematology").click()
    page.wait_for_url("**/forms/haematology?visit=CD1&occurrence=1")
    item = page.locator("#item-anc")
    item.get_by_text("Raise a query").click()
    item.get_by_label("Query on Absolute neutrophil count").fill(text)
    item.get_by_role("button", name="Raise the query").click()
    page.wait_for_url("**done=query_raised**")
    assert "The query was raised." in page.get_by_role("status").all_inner_texts()
    raised = item.locator(".query").inner_text()
    assert re.search(r"Query (\d+) · open", raised), raised
    number = re.search(r"Query (\d+)", raised).group(1)  # type: ignore[union-attr]
    assert text in raised and "Raised by Mo Zhao (monitor)" in raised

    log_in(page, trial, "nurse")
    page.goto(_haematology_c2d1(trial, sid))
    page.get_by_label(f"Answer to query {number}").fill(answer)
    page.get_by_role("button", name="Answer", exact=True).click()
    page.wait_for_url("**done=query_answered**")
    assert "The answer was saved; the query is now answered." in \
        page.get_by_role("status").all_inner_texts()
    answered = page.locator(f"#query-{number}").inner_text()
    assert f"Query {number} · answered" in answered
    assert re.search(r"Answer by nurse at \d{4}-\d\d-\d\dT\d\d:\d\d[+-]\d\d:\d\d: ", answered)
    assert answer in answered

    log_in(page, trial, "monitor")
    page.goto(_haematology_c2d1(trial, sid))
    assert answer in page.locator(f"#query-{number}").inner_text()
    page.get_by_role("button", name=f"Close query {number}").click()
    page.wait_for_url("**done=query_closed**")
    assert "The query was closed." in page.get_by_role("status").all_inner_texts()
    assert page.locator(f"#query-{number}").count() == 0
    assert "Closed queries: 1" in page.locator("#item-anc").inner_text()
    flow["query_closed"] = True
    assert page.console_errors == []


def test_the_investigator_signs_with_user_name_then_password_only(
        trial: Trial, page: Any) -> None:
    """Dr Li signs the C1D1 dosing diary: the first signing of the session asks for the user
    name and the password, and the signature shows the printed name, the time with its UTC
    offset and the meaning; the next signing in the same session (the informed consent form)
    asks for the password only."""
    sid = _ensure_dosed(trial)
    log_in(page, trial, "drli")
    page.goto(f"{trial.url}/subjects/{sid}/forms/dosing?visit=C1D1&occurrence=1")
    assert page.get_by_label("Your user name").count() == 1
    page.get_by_label("Your user name").fill("drli")
    page.get_by_label("Your password").fill(PASSWORD)
    assert page.get_by_label("Meaning of the signature").input_value() == \
        "Investigator review and approval of this form"
    page.get_by_role("button", name="Sign this form").click()
    page.wait_for_url("**done=signed**")
    assert "Signed. The signature is listed below." in \
        page.get_by_role("status").all_inner_texts()
    signed = page.locator("#form-signatures + .scroll").get_by_role("row").nth(1)
    cells = signed.get_by_role("cell").all_inner_texts()
    assert cells[0] == "Li Wei"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d[+-]\d\d:\d\d", cells[1]), cells[1]
    assert cells[2:] == ["Investigator review and approval of this form",
                         "Palbociclib dosing diary (C1D1)", "valid"]

    page.goto(f"{trial.url}/subjects/{sid}")
    page.get_by_role("link", name="Informed consent").click()
    page.wait_for_url("**/forms/consent?visit=SCR**")
    assert page.get_by_label("Your user name").count() == 0
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label("Your password").press("Enter")
    page.wait_for_url("**done=signed**")
    assert "Li Wei" in page.locator("#form-signatures + .scroll").inner_text()
    assert page.console_errors == []


def test_the_same_checklist_in_chinese_after_switching_language(
        trial: Trial, page: Any) -> None:
    """The nurse switches the language in the header on the failing patient's screening page:
    the page comes back in Chinese with the same criteria and the same verdicts, the criterion
    titles and verdict words in Chinese; she switches back to English."""
    _ensure_screen_failure(trial)
    log_in(page, trial, "nurse")
    page.goto(f"{trial.url}/screening/{FAILING}?form=haematology")
    rows = page.locator("tr[id^=criterion-]")

    def checklist() -> list[tuple[str | None, str | None]]:
        return [(r.get_attribute("id"), r.locator(".verdict").get_attribute("class"))
                for r in rows.all()]

    english = checklist()
    assert len(english) == 24
    assert ("criterion-I11", "verdict not_met") in english
    assert page.locator("#criterion-I11 .verdict").inner_text() == "Not met"

    page.get_by_label("Language").select_option(label="简体中文")
    page.get_by_role("button", name="Switch").click()
    page.wait_for_function("document.documentElement.lang === 'zh-CN'")
    assert f"/screening/{FAILING}" in page.url
    if "form=haematology" not in page.url:  # the switch came back to the first open form
        page.get_by_text("全部筛选表单").click()
        page.get_by_role("link", name="血常规", exact=True).click()
        page.wait_for_url("**form=haematology**")
    assert checklist() == english
    criteria = {c.id: c for c in trial.ctx.protocol.criteria.all()}
    for cid in ("I11", "I1", "E1"):
        title = criteria[cid].translations["zh-CN"].title
        assert title in page.locator(f"#criterion-{cid}").inner_text()
    assert page.locator("#criterion-I11 .verdict").inner_text() == "不符合"
    assert page.locator("#criterion-I1 .verdict").inner_text() == "符合"
    assert page.locator("#criterion-E1 .verdict").inner_text() == "符合（未被排除）"
    assert "不符合入组条件" in page.locator("#overall").inner_text()
    assert "中性粒细胞绝对计数（ANC）：低于规则要求的最小值。" in \
        page.locator("#criterion-I11").inner_text()
    assert "Not met" not in page.inner_text("main")
    shoot(page, "screening-zh.png")

    page.get_by_label("语言").select_option(label="English")
    page.get_by_role("button", name="切换").click()
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.locator("#criterion-I11 .verdict").inner_text() == "Not met"
    assert page.console_errors == []


def test_the_home_page_shows_the_trial_after_the_walk_through(
        trial: Trial, page: Any) -> None:
    """The nurse's home page: enrolment against the target, the screen failure with its
    reason; its screenshot goes to the README."""
    _ensure_enrolled(trial)
    _ensure_screen_failure(trial)
    log_in(page, trial, "nurse")
    main = page.inner_text("main")
    assert "1 / 22" in main
    failed = page.get_by_role("row").filter(has_text=FAILING)
    assert "I11" in failed.inner_text()
    shoot(page, "home.png")
    assert page.console_errors == []
