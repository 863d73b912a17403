"""Every main page has no serious or critical accessibility violation by axe-core (run inside
the page, with the application's CSP on), in English and, for the pages a Chinese-speaking
research team uses most, in Chinese; each page as a role that uses it, over a database with
data on every page (a screen failure, an enrolled subject with dosing, a grade 3 blood count,
an SAE with its reporting clock, baseline and follow-up scans, an open query, a signature).

Also the pages in their error states: a screening form refused with an invalid value (422)
shows each error beside its field without a violation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from storekit import PASSWORD

from oncotrial.services import (
    authenticate,
    demo,
    enrol,
    load_trial,
    raise_query,
    report_ae,
    save_form,
    sign,
)
from oncotrial.services.lookup import forms_of
from oncotrial.services.screening_view import screening_subject

TODAY = dt.date.today()
ENROLLED_ON = TODAY - dt.timedelta(days=28)
FAILING = "S-001"
ELIGIBLE = "S-002"


@pytest.fixture(scope="module")
def site(live: tuple[Any, Any]) -> tuple[str, str]:
    """The served application (its URL) with data on every page; returns (url, subject id)."""
    server, db = live
    ctx = load_trial()
    nurse = authenticate(db, "nurse", PASSWORD).actor
    drli = authenticate(db, "drli", PASSWORD).actor
    monitor = authenticate(db, "monitor", PASSWORD).actor
    # A screen failure: the example patient with ANC 0.9 x10^9/L.
    demo.screen_example_patient(db, nurse, ctx, FAILING, on=TODAY)
    haematology = demo.example_screening(forms_of(ctx), (TODAY - demo.EXAMPLE_DAY).days)[
        "haematology"]
    version = screening_subject(db, nurse, ctx, FAILING).forms["haematology"].version
    save_form(db, nurse, ctx, FAILING, "haematology",
              {**haematology, "anc": {"value": "0.9", "unit": "10^9/L"}}, visit="SCR",
              expected_version=version, reason="transcription error")
    # An enrolled subject four weeks into treatment.
    demo.screen_example_patient(db, nurse, ctx, ELIGIBLE, on=ENROLLED_ON)
    sid = enrol(db, drli, ctx, ELIGIBLE, enrolled_on=ENROLLED_ON).subject_id
    dosing = save_form(db, nurse, ctx, sid, "dosing", {"doses": [
        {"start_on": ENROLLED_ON.isoformat(),
         "end_on": (ENROLLED_ON + dt.timedelta(days=20)).isoformat(),
         "daily_dose_mg": "125", "change_reason": "as_planned"}]}, visit="C1D1")
    save_form(db, nurse, ctx, sid, "capsule_accountability", {
        "kit_number": "K-0101", "capsule_strength_mg": "125",
        "dispensed_on": ENROLLED_ON.isoformat(), "capsules_dispensed": "21"}, visit="C1D1")
    labs = save_form(db, nurse, ctx, sid, "haematology", {
        "collected_on": TODAY.isoformat(),
        "anc": {"value": "0.8", "unit": "10^9/L", "lln": "1.8", "uln": "6.3"},
        "hemoglobin": {"value": "125", "unit": "g/L", "lln": "130", "uln": "175"},
        "platelets": {"value": "180", "unit": "10^9/L", "lln": "125", "uln": "350"}},
        visit="CD1", occurrence=1)
    raise_query(db, monitor, ctx, labs.form_instance_id, ("", 0, "anc"),
                "Please confirm ANC 0.8 x10^9/L against the laboratory report.")
    report_ae(db, nurse, ctx, sid, {"events": [{
        "term": "Febrile neutropenia", "verbatim": "neutropenic fever",
        "onset_on": TODAY.isoformat(), "grade": "3", "serious": "yes",
        "serious_criteria": "requires_or_prolongs_hospitalisation",
        "aware_at": dt.datetime.now(dt.UTC).isoformat(timespec="minutes"),
        "relationship": "probable", "action_taken": "drug_interrupted",
        "outcome": "recovering"}]})
    for visit, day, sizes in (("SCR", ENROLLED_ON - dt.timedelta(days=10), ("42", "28")),
                              ("TA", TODAY, ("28", "18"))):
        save_form(db, nurse, ctx, sid, "tumour_lesions", {
            "measured_on": day.isoformat(), "method": "CT", "lesions": [
                {"lesion_id": f"T{n}", "kind": "target", "organ": f"liver segment {n + 3}",
                 "nodal": "no", "state": "measured", "diameter_mm": {"value": mm, "unit": "mm"}}
                for n, mm in enumerate(sizes, 1)]}, visit=visit)
    sign(db, drli, ctx, sid, password=PASSWORD, username="drli",
         meaning="Investigator review and approval of this form",
         form_instance_id=dosing.form_instance_id)
    return server.url, sid


def log_in(page: Any, url: str, username: str) -> None:
    page.goto(url + "/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(url + "/")


#: (name, role, path; {sid} is the enrolled subject; a text the page shows in English, so
#: that the check runs over the page with its data) of each main page.
PAGES = [
    ("home", "nurse", "/", "1 / 22"),
    ("home (investigator)", "drli", "/", "Febrile neutropenia"),
    ("subjects", "nurse", "/subjects", "HCH-001"),
    ("subjects (statistician: pseudonyms)", "stat", "/subjects", "Pseudonym"),
    ("screening log", "nurse", "/screening", "Not eligible"),
    ("screening page", "nurse", f"/screening/{FAILING}?form=haematology", "Not met"),
    ("screening page (consent, investigator)", "drli", f"/screening/{FAILING}?form=consent",
     "Version of the informed consent form"),
    ("casebook", "nurse", "/subjects/{sid}", "Visit schedule"),
    ("form page (entry, open query)", "nurse",
     "/subjects/{sid}/forms/haematology?visit=CD1&occurrence=1", "Please confirm ANC 0.8"),
    ("form page (monitor: SDV, queries)", "monitor",
     "/subjects/{sid}/forms/haematology?visit=CD1&occurrence=1", "Mark the ticked items"),
    ("form page (investigator: signing)", "drli",
     "/subjects/{sid}/forms/chemistry?visit=SCR&occurrence=1", "Sign this form"),
    ("item history", "monitor",
     "/subjects/{sid}/forms/haematology/items/anc/history?visit=CD1&occurrence=1",
     "query raised"),
    ("tumour", "nurse", "/subjects/{sid}/tumour", "Partial response (PR)"),
    ("tumour entry", "nurse", "/subjects/{sid}/tumour/enter?at=TA.2", "Baseline for comparison"),
    ("labs", "nurse", "/subjects/{sid}/labs", "SAE report clock"),
    ("labs entry", "nurse", "/subjects/{sid}/labs/enter?form=haematology&at=CD1.2",
     "Absolute neutrophil count"),
    ("dosing", "nurse", "/subjects/{sid}/dosing", "Hold the drug"),
    ("dosing entry", "nurse", "/subjects/{sid}/dosing/enter?form=dosing&at=CD1.1",
     "Stretches at one daily dose"),
    ("monitoring", "monitor", "/monitoring", "Source-data verification worklist"),
    ("monitoring (data manager)", "dm", "/monitoring", "Database lock"),
    ("results", "stat", "/results", "Objective response rate (ORR)"),
    ("admin", "admin", "/admin", "Assumptions and clarifications"),
    ("password", "nurse", "/password", "Change password"),
]
#: The pages also checked in Chinese.
CHINESE = ["home", "screening page", "casebook", "form page (entry, open query)", "tumour",
           "labs", "dosing", "monitoring", "results", "admin"]

CASES = [pytest.param(name, role, path, "en", shows, id=f"{name}-en")
         for name, role, path, shows in PAGES] \
    + [pytest.param(name, role, path, "zh-CN", None, id=f"{name}-zh")
       for name, role, path, _ in PAGES if name in CHINESE]


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_the_log_in_page_has_no_serious_violation(
        site: tuple[str, str], page: Any, axe: Callable[[Any], list[Any]], lang: str) -> None:
    url, _ = site
    page.goto(f"{url}/login?lang={lang}")
    assert page.locator("html").get_attribute("lang") == lang
    assert axe(page) == []
    assert page.console_errors == []


@pytest.mark.parametrize(("name", "role", "path", "lang", "shows"), CASES)
def test_a_main_page_has_no_serious_or_critical_violation(
        site: tuple[str, str], page: Any, axe: Callable[[Any], list[Any]],
        name: str, role: str, path: str, lang: str, shows: str | None) -> None:
    url, sid = site
    log_in(page, url, role)
    target = url + path.format(sid=sid)
    if lang != "en":
        target += ("&" if "?" in target else "?") + f"lang={lang}"
    response = page.goto(target)
    assert response is not None and response.status == 200, (name, response and response.status)
    assert page.locator("html").get_attribute("lang") == lang
    assert page.get_by_role("heading", level=1).count() == 1
    if shows is not None:
        assert shows in page.inner_text("main")
    assert axe(page) == []
    assert page.console_errors == []


def test_a_refused_screening_form_has_no_serious_violation(
        site: tuple[str, str], page: Any, axe: Callable[[Any], list[Any]]) -> None:
    """An ANC that is not a number: the form comes back (422) with the error beside the field
    (described by it, marked invalid) and the rest kept, and without a violation."""
    url, _ = site
    log_in(page, url, "nurse")
    page.goto(f"{url}/screening/{FAILING}?form=haematology")
    anc = page.get_by_role("textbox", name="Absolute neutrophil count", exact=True)
    anc.fill("zero point nine")
    page.get_by_label("Reason for the change").fill("transcription error")
    with page.expect_response(lambda r: r.request.method == "POST"
                              and "/forms/haematology" in r.url) as answer:
        page.get_by_role("button", name="Save", exact=True).click()
    assert answer.value.status == 422
    page.wait_for_load_state()
    assert anc.get_attribute("aria-invalid") == "true"
    assert "anc-error" in (anc.get_attribute("aria-describedby") or "")
    assert page.locator("#anc-error").inner_text()
    assert anc.input_value() == "zero point nine"
    assert page.get_by_label("Reason for the change").input_value() == "transcription error"
    assert axe(page) == []
