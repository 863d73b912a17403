"""The screening pages: registering a patient, the screening forms beside the 24-criterion
checklist (live preview without saving), saving with version and reason, enrolment, the
screening log, Chinese, permissions and CSRF."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from storekit import PASSWORD, Staff, consented_subject, example_screening

from oncotrial.context import TrialContext
from oncotrial.services import (
    Database,
    enrol,
    grant_role,
    list_subjects,
    register_subject,
    save_form,
)
from oncotrial.services.screening_view import screening_subject
from oncotrial.services.users import set_language
from oncotrial.web import create_app

from .conftest import csrf_of

Login = Callable[[str], TestClient]
TODAY = dt.date.today()
EXAMPLE_DAY = dt.date(2026, 3, 2)


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 parameters for the test accounts: these tests are about screening, and
    eight accounts hashed at production cost per test would dominate their run time."""
    monkeypatch.setattr("oncotrial.services.access._HASHER",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def enter_example(db: Database, staff: Staff, ctx: TrialContext, number: str,
                  change: dict[str, dict[str, Any]] | None = None) -> str:
    """Register ``number`` and save the example patient's screening forms dated so that the
    patient is eligible today, with ``change`` (form id -> answers) applied first."""
    forms = example_screening(ctx.forms, (TODAY - EXAMPLE_DAY).days)  # type: ignore[arg-type]
    for form_id, answers in (change or {}).items():
        forms[form_id].update(answers)
    nurse = staff["nurse"]
    register_subject(db, nurse, ctx, site="HCH", screening_number=number, initials="ZS")
    for form_id in ["consent", *(f for f in forms if f != "consent")]:
        save_form(db, nurse, ctx, number, form_id, forms[form_id], visit="SCR", today=TODAY)
    return number


def row_of(html: str, criterion: str) -> str:
    """The checklist row of one criterion."""
    found = re.search(rf'<tr id="criterion-{criterion}">(.*?)</tr>', html, re.S)
    assert found, f"no checklist row for {criterion}"
    return found.group(1)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def stored(db: Database, staff: Staff, ctx: TrialContext, number: str, form_id: str
           ) -> dict[str, str | None]:
    """The saved values of one screening form, by item id (empty: not saved)."""
    form = screening_subject(db, staff["nurse"], ctx, number).forms.get(form_id)
    return {} if form is None else {k[2]: e.value for k, e in form.data.items()}


def haematology(**changes: str) -> dict[str, str]:
    values = {"collected_on": (TODAY - dt.timedelta(days=3)).isoformat(),
              "anc": "2.1", "anc__unit": "10^9/L", "hemoglobin": "118",
              "hemoglobin__unit": "g/L", "platelets": "112", "platelets__unit": "10^9/L"}
    values.update(changes)
    return values


def test_failed_lab_shows_not_met_with_value_and_threshold(
        db: Database, staff: Staff, ctx: TrialContext, login: Login) -> None:
    """ANC 0.9 fails I11: the row says "Not met" with the value and the 1.0 threshold, the
    overall answer is not eligible, no Enrol button, and the log gives the reason."""
    enter_example(db, staff, ctx, "S-001", {"haematology": {"anc": {
        "value": "0.9", "unit": "10^9/L"}}})
    client = login("drli")
    response = client.get("/screening/S-001")
    assert response.status_code == 200
    row = text_of(row_of(response.text, "I11"))
    assert "Not met" in row
    assert "ANC 0.9 x10^9/L" in row and "below the required 1.0 x10^9/L" in row
    assert "Met" in text_of(row_of(response.text, "I1"))
    overall = response.text[response.text.index('id="overall"'):]
    assert "Not eligible" in text_of(overall[:overall.index("</section>")])
    assert "/enrol" not in response.text
    log = client.get("/screening")
    assert log.status_code == 200
    assert re.search(r"I11</strong>\s*Absolute neutrophil count: below the minimum",
                     log.text)


def test_eligible_patient_is_enrolled_through_the_page(
        db: Database, staff: Staff, ctx: TrialContext, login: Login) -> None:
    """An eligible patient gets the Enrol button (investigator only) and the posted
    enrolment gives subject id HCH-001 with the date entered."""
    enter_example(db, staff, ctx, "S-001")
    nurse_page = login("nurse").get("/screening/S-001")
    assert "Eligible" in nurse_page.text and 'action="/screening/S-001/enrol"' not in \
        nurse_page.text
    client = login("drli")
    page = client.get("/screening/S-001")
    assert page.status_code == 200
    assert 'action="/screening/S-001/enrol"' in page.text
    response = client.post("/screening/S-001/enrol", data={
        "csrf_token": csrf_of(page.text), "enrolled_on": TODAY.isoformat()})
    assert response.status_code == 303
    assert "enrolled=HCH-001" in response.headers["location"]
    subject = next(s for s in list_subjects(db, staff["drli"], ctx)
                   if s.screening_number == "S-001")
    assert (subject.subject_id, subject.enrolled_on, subject.status) == \
        ("HCH-001", TODAY, "enrolled")
    after = client.get(response.headers["location"])
    assert "HCH-001" in after.text and 'action="/screening/S-001/enrol"' not in after.text


def test_enrol_refused_for_an_ineligible_patient_is_shown_on_the_page(
        db: Database, staff: Staff, ctx: TrialContext, login: Login) -> None:
    """Posting Enrol for a patient who fails a criterion enrols no one and shows why."""
    enter_example(db, staff, ctx, "S-001", {"haematology": {"anc": {
        "value": "0.9", "unit": "10^9/L"}}})
    client = login("drli")
    response = client.post("/screening/S-001/enrol", data={"enrolled_on": TODAY.isoformat()})
    assert response.status_code == 409
    assert "cannot be enrolled" in response.text
    assert all(s.subject_id is None for s in list_subjects(db, staff["drli"], ctx))


def test_bad_value_is_shown_beside_its_field_and_the_rest_is_kept(
        db: Database, staff: Staff, ctx: TrialContext, login: Login) -> None:
    """A letter in a number: 422, the error beside ANC, the other typed values and a bad
    LLN kept as typed, and nothing saved."""
    consented_subject(db, staff, ctx, "S-001")
    client = login("nurse")
    response = client.post("/screening/S-001/forms/haematology",
                           data=haematology(anc="2.l", platelets="113", hemoglobin__lln="1x",
                                            _version="0"))
    assert response.status_code == 422
    assert "Haematology was not saved" in response.text
    assert re.search(r'<a href="#anc">[^<]*not a number', response.text)
    error = re.search(r'<p class="error" id="anc-error">([^<]*)</p>', response.text)
    assert error and "not a number" in error.group(1)
    assert 'aria-invalid="true" aria-describedby="anc-error"' in response.text
    assert re.search(r'id="anc" name="anc"[^>]*value="2.l"', response.text)
    assert re.search(r'id="platelets" name="platelets"[^>]*value="113"', response.text)
    assert 'name="hemoglobin__lln" value="1x"' in response.text
    assert stored(db, staff, ctx, "S-001", "haematology") == {}


def test_saved_form_is_stored_and_a_correction_needs_a_reason(
        db: Database, staff: Staff, ctx: TrialContext, login: Login) -> None:
    """A first save stores the values; changing them needs a reason (422 without one,
    nothing changed); with a reason the change is stored; an unchanged form saves nothing."""
    consented_subject(db, staff, ctx, "S-001")
    client = login("nurse")
    first = client.post("/screening/S-001/forms/haematology", data=haematology(_version="0"))
    assert first.status_code == 303
    assert stored(db, staff, ctx, "S-001", "haematology")["anc"] == "2.1"
    page = client.get(first.headers["location"])
    assert "Haematology saved." in page.text and 'name="_reason"' in page.text
    version = re.search(r'name="_version" value="(\d+)"', page.text)
    assert version
    no_reason = client.post("/screening/S-001/forms/haematology",
                            data=haematology(anc="1.9", _version=version.group(1)))
    assert no_reason.status_code == 422
    assert re.search(r'<p class="error" id="_reason-error">[^<]*needs a reason', no_reason.text)
    assert stored(db, staff, ctx, "S-001", "haematology")["anc"] == "2.1"
    same = client.post("/screening/S-001/forms/haematology",
                       data=haematology(_version=version.group(1)))
    assert same.status_code == 303 and "unchanged=1" in same.headers["location"]
    fixed = client.post("/screening/S-001/forms/haematology",
                        data=haematology(anc="1.9", _version=version.group(1),
                                         _reason="transcription error"))
    assert fixed.status_code == 303
    assert stored(db, staff, ctx, "S-001", "haematology")["anc"] == "1.9"


def test_conflicting_save_shows_their_values_and_yours(
        db: Database, staff: Staff, ctx: TrialContext, login: Login) -> None:
    """Two people edit the same version: the second save is refused (409), their value and
    yours are shown, yours stays in the form, the stored value is theirs."""
    consented_subject(db, staff, ctx, "S-001")
    client = login("nurse")
    client.post("/screening/S-001/forms/haematology", data=haematology(_version="0"))
    page = client.get("/screening/S-001?form=haematology")
    version = re.search(r'name="_version" value="(\d+)"', page.text)
    assert version
    other = login("drwang")
    theirs = other.post("/screening/S-001/forms/haematology",
                        data=haematology(anc="2.4", _version=version.group(1),
                                         _reason="lab report re-read"))
    assert theirs.status_code == 303
    mine = client.post("/screening/S-001/forms/haematology",
                       data=haematology(anc="2.2", _version=version.group(1),
                                        _reason="typo"))
    assert mine.status_code == 409
    assert "drwang" in mine.text
    assert re.search(r"<td>Absolute neutrophil count</td><td>2.4 10\^9/L</td>"
                     r"<td>2.2 10\^9/L</td>", mine.text)
    assert re.search(r'id="anc" name="anc"[^>]*value="2.2"', mine.text)
    assert stored(db, staff, ctx, "S-001", "haematology")["anc"] == "2.4"


def test_live_check_previews_unsaved_values_and_saves_nothing(
        db: Database, staff: Staff, ctx: TrialContext, login: Login) -> None:
    """The htmx check with ANC 0.9 typed (not saved) returns the checklist with I11 not met
    and the overall answer out of band, says the value is not saved, and stores nothing;
    an invalid value is listed as not counted."""
    enter_example(db, staff, ctx, "S-001")
    before = screening_subject(db, staff["nurse"], ctx, "S-001").forms["haematology"]
    client = login("nurse")
    lab_day = before.data[("", 0, "collected_on")].value or ""
    response = client.post("/screening/S-001/check", data=haematology(
        _form="haematology", anc="0.9", collected_on=lab_day))
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "Not met" in text_of(row_of(response.text, "I11"))
    assert "ANC 0.9 x10^9/L" in text_of(row_of(response.text, "I11"))
    assert 'id="overall" hx-swap-oob="innerHTML"' in response.text
    assert "Not eligible" in response.text and "not saved yet (Haematology)" in response.text
    after = screening_subject(db, staff["nurse"], ctx, "S-001").forms["haematology"]
    assert (after.version, after.data) == (before.version, before.data)
    bad = client.post("/screening/S-001/check", data=haematology(
        _form="haematology", anc="abc", collected_on=lab_day))
    assert "Not counted until corrected" in bad.text and "&#39;abc&#39; is not a number" \
        in bad.text


def test_missing_data_links_to_the_field(
        db: Database, staff: Staff, ctx: TrialContext, login: Login) -> None:
    """Before the forms are filled in, the checklist is incomplete and each missing entry
    links to its form and field."""
    consented_subject(db, staff, ctx, "S-001")
    response = login("nurse").get("/screening/S-001")
    assert response.status_code == 200
    assert "Incomplete" in response.text
    assert 'href="/screening/S-001?form=haematology#anc"' in response.text
    assert 'href="/screening/S-001?form=chemistry#alt"' in response.text
    assert "Attestation due" in text_of(row_of(response.text, "I5"))


def test_checklist_in_chinese(db: Database, staff: Staff, ctx: TrialContext,
                              login: Login) -> None:
    """With ?lang=zh-CN, and with the user's language set to Chinese, the verdicts, titles and
    reasons are Chinese, with the facts (value and threshold) listed."""
    enter_example(db, staff, ctx, "S-001", {"haematology": {"anc": {
        "value": "0.9", "unit": "10^9/L"}}})
    client = login("nurse")
    response = client.get("/screening/S-001?lang=zh-CN")
    assert response.status_code == 200
    row = text_of(row_of(response.text, "I11"))
    assert "实验室检查要求" in row and "不符合" in row
    assert "中性粒细胞绝对计数" in row
    assert "anc : 0.9" in row and "anc_min : 1.0" in row
    assert "符合" in text_of(row_of(response.text, "I1"))
    assert "不符合入组条件" in text_of(response.text) or "不合格" in response.text
    set_language(db, staff["nurse"], "zh-CN")
    again = client.get("/screening/S-001")
    assert "不符合" in text_of(row_of(again.text, "I11"))


def test_statistician_can_neither_open_nor_post_screening(
        db: Database, staff: Staff, ctx: TrialContext, login: Login) -> None:
    """A statistician gets 403 for the screening page, the log, the check and a save, sees
    pseudonyms only on /subjects, and nothing is saved."""
    consented_subject(db, staff, ctx, "S-001")
    client = login("stat")
    page = client.get("/screening/S-001")
    assert page.status_code == 403
    assert "ZS" not in page.text and 'name="anc"' not in page.text
    assert client.get("/screening").status_code == 403
    assert client.post("/screening/S-001/forms/haematology",
                       data=haematology(_version="0")).status_code == 403
    assert client.post("/screening/S-001/check",
                       data=haematology(_form="haematology")).status_code == 403
    assert stored(db, staff, ctx, "S-001", "haematology") == {}
    subjects = client.get("/subjects")
    assert subjects.status_code == 200
    assert "S-001" not in subjects.text and re.search(r"P-[0-9A-F]{8}", subjects.text)
    assert 'action="/subjects"' not in subjects.text


def test_other_site_cannot_open_the_screening_page(
        db: Database, staff: Staff, ctx: TrialContext, login: Login) -> None:
    """An investigator of another site gets 403 for an HCH patient."""
    consented_subject(db, staff, ctx, "S-001")
    assert login("other").get("/screening/S-001").status_code == 403


def test_post_without_csrf_token_is_refused(
        db: Database, staff: Staff, ctx: TrialContext, login: Login) -> None:
    """Without the CSRF token, saving a form, registering and enrolling are refused (403)
    and nothing is stored."""
    consented_subject(db, staff, ctx, "S-001")
    client = login("nurse")
    client.headers.pop("X-CSRF-Token")
    response = client.post("/screening/S-001/forms/haematology",
                           data=haematology(_version="0"))
    assert response.status_code == 403
    assert stored(db, staff, ctx, "S-001", "haematology") == {}
    register = client.post("/subjects", data={"screening_number": "S-009", "site": "HCH",
                                              "initials": "AB"})
    assert register.status_code == 403
    assert all(s.screening_number != "S-009" for s in list_subjects(db, staff["nurse"], ctx))
    wrong = client.post("/screening/S-001/forms/haematology",
                        data={**haematology(_version="0"), "csrf_token": "forged"})
    assert wrong.status_code == 403


def test_register_a_patient(db: Database, staff: Staff, ctx: TrialContext,
                            login: Login) -> None:
    """The register form: a bad birth date is shown beside its field with the values kept;
    a good one registers the patient and opens the screening page at the consent form."""
    client = login("nurse")
    page = client.get("/subjects")
    assert page.status_code == 200 and 'action="/subjects"' in page.text
    bad = client.post("/subjects", data={"csrf_token": csrf_of(page.text),
                                         "screening_number": "S-010", "site": "HCH",
                                         "initials": "LM", "birth_date": "14/05/1968"})
    assert bad.status_code == 422
    assert re.search(r'id="reg-birth_date-error">[^<]*YYYY-MM-DD', bad.text)
    assert 'value="S-010"' in bad.text and 'value="LM"' in bad.text
    good = client.post("/subjects", data={"csrf_token": csrf_of(page.text),
                                          "screening_number": "S-010", "site": "HCH",
                                          "initials": "LM", "birth_date": "1968-05-14"})
    assert good.status_code == 303 and good.headers["location"] == "/screening/S-010"
    listed = client.get("/subjects")
    assert "S-010" in listed.text
    screening = client.get("/screening/S-010")
    assert "Enter the informed consent form first" in screening.text
    assert 'action="/screening/S-010/forms/consent"' in screening.text
    taken = client.post("/subjects", data={"csrf_token": csrf_of(page.text),
                                           "screening_number": "S-010", "site": "HCH",
                                           "initials": "XY"})
    assert taken.status_code == 422 and "already registered" in taken.text


@pytest.mark.parametrize("who", ["dm", "monitor"])
def test_roles_without_register_get_no_register_form(
        db: Database, staff: Staff, ctx: TrialContext, login: Login, who: str) -> None:
    """Data managers and monitors see the subjects list without the register form."""
    consented_subject(db, staff, ctx, "S-001")
    page = login(who).get("/subjects")
    assert page.status_code == 200 and "S-001" in page.text
    assert 'action="/subjects"' not in page.text


def test_over_target_enrolment_needs_an_administrator_with_a_reason(
        db: Database, staff: Staff, ctx: TrialContext) -> None:
    """With the target (here 1) reached, an investigator sees why no Enrol button is offered;
    an investigator who is also an administrator gets the reason field, and the enrolment
    beyond the target is stored with that reason."""
    protocol = ctx.protocol.model_copy(update={"enrolment": ctx.protocol.enrolment.model_copy(
        update={"target": 1})})
    small = dataclasses.replace(ctx, protocol=protocol)
    enter_example(db, staff, ctx, "S-001")
    enter_example(db, staff, ctx, "S-002")
    enrol(db, staff["drli"], small, "S-001", enrolled_on=TODAY)
    client = TestClient(create_app(db, small), follow_redirects=False)
    token = client.post("/api/v1/session", json={"username": "drli", "password": PASSWORD})
    client.headers["X-CSRF-Token"] = token.json()["csrf_token"]
    page = client.get("/screening/S-002")
    assert "reached its target of 1 subjects (1 enrolled)" in page.text
    assert 'action="/screening/S-002/enrol"' not in page.text
    grant_role(db, staff["admin"], "drli", "administrator", None, "over-enrolment approved")
    page = client.get("/screening/S-002")
    assert 'name="over_enrolment_reason"' in page.text
    done = client.post("/screening/S-002/enrol", data={
        "enrolled_on": TODAY.isoformat(), "over_enrolment_reason": "sponsor approved 23rd"})
    assert done.status_code == 303 and "enrolled=HCH-002" in done.headers["location"]
