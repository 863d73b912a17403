"""The JSON API under /api/v1: every endpoint's success path, with what it stored checked in
the database (rows, versions, audit rows), and the problem details of its usual failures.

Permission denials per role are in test_api_permissions.py; schemathesis in
test_schemathesis.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from storekit import (
    CONSENT,
    EXAMPLE_DAY,
    PASSWORD,
    VITALS,
    Staff,
    consented_subject,
    screen_in_example,
)

from oncotrial.codes import describe, result_codes
from oncotrial.context import TrialContext
from oncotrial.endpoints import EndpointRules, analyze_endpoints
from oncotrial.services import Database, access, enrol, export_dataset, set_language
from oncotrial.store.models import (
    DerivedCache,
    FormInstance,
    Query,
    RoleGrant,
    SdvMark,
    Signature,
    Subject,
    SubjectIdentity,
    TrialState,
    Visit,
)
from oncotrial.web.i18n import translator

Login = Callable[[str], TestClient]
PROBLEM = "application/problem+json"
VITALS_URL = "/api/v1/subjects/S-001/forms/vital_signs?visit=SCR"


@pytest.fixture(autouse=True)
def _cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 at its cheapest for the test accounts (each hash carries its parameters, so
    checking a password works the same): these tests are about the API, not the hash cost."""
    monkeypatch.setattr(access, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024,
                                                          parallelism=1))


def _audit(db: Database, where: str, **params: object) -> list[dict[str, Any]]:
    with db.engine.connect() as connection:
        return [dict(r) for r in connection.execute(
            text(f"SELECT * FROM audit_log WHERE {where} ORDER BY id"), params).mappings()]


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    assert body["status"] == status
    assert body["type"] == f"/api/v1/problems/{code}" or code in ("csrf_failed",)
    return body


def _instance(db: Database, form_id: str, subject: str = "S-001") -> FormInstance:
    with db.sessions() as session:
        row = session.scalar(select(FormInstance).join(Subject, Subject.id ==
                                                       FormInstance.subject_pk).where(
            FormInstance.form_id == form_id, Subject.screening_number == subject))
        assert row is not None
        return row


def _enrolled(db: Database, staff: Staff, ctx: TrialContext, number: str = "S-002") -> str:
    screen_in_example(db, staff, ctx, number)
    return enrol(db, staff["drli"], ctx, number, enrolled_on=EXAMPLE_DAY).subject_id


# --------------------------------------------------------------------------- subjects


def test_register_keeps_identity_apart_and_lists_the_subject(db: Database, login: Login
                                                             ) -> None:
    """POST /subjects registers the patient (201), the name and hospital number go to the
    identity table, and GET /subjects and GET /subjects/{ref} show the subject."""
    nurse = login("nurse")
    response = nurse.post("/api/v1/subjects", json={
        "site": "HCH", "screening_number": "S-100", "full_name": "Li Si", "initials": "LS",
        "birth_date": "1960-05-01", "hospital_number": "H-123"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["screening_number"], body["site"], body["status"], body["subject_id"]) == (
        "S-100", "HCH", "screened", None)
    with db.sessions() as session:
        identity = session.scalar(select(SubjectIdentity).where(
            SubjectIdentity.subject_ref == "S-100"))
        assert identity is not None
        assert (identity.full_name, identity.hospital_number, identity.birth_date) == (
            "Li Si", "H-123", dt.date(1960, 5, 1))
    assert [s["screening_number"] for s in nurse.get("/api/v1/subjects").json()] == ["S-100"]
    assert nurse.get("/api/v1/subjects/S-100").json() == body


def test_a_taken_screening_number_is_refused(staff: Staff, login: Login) -> None:
    """Registering the same screening number twice is 422 invalid_input on that field."""
    nurse = login("nurse")
    assert nurse.post("/api/v1/subjects", json={"site": "HCH", "screening_number": "S-1"}
                      ).status_code == 201
    problem = _problem(nurse.post("/api/v1/subjects", json={
        "site": "HCH", "screening_number": "S-1"}), 422, "invalid_input")
    assert (problem["field"], problem["value"]) == ("screening_number", "S-1")


def test_statistician_sees_pseudonyms_only(db: Database, staff: Staff, ctx: TrialContext,
                                           login: Login) -> None:
    """A statistician's subject list and summary carry the pseudonym, not the screening
    number or the site."""
    consented_subject(db, staff, ctx)
    nurse_view = login("nurse").get("/api/v1/subjects/S-001").json()
    stat = login("stat")
    listed = stat.get("/api/v1/subjects").json()
    assert listed == [{"screening_number": "", "subject_id": None,
                       "pseudonym": nurse_view["pseudonym"], "site": "", "status": "screened",
                       "consented_on": None, "enrolled_on": None}]
    assert stat.get("/api/v1/subjects/S-001").json() == listed[0]


def test_unknown_subject_is_a_404_problem(staff: Staff, login: Login) -> None:
    """A reference that names no subject: 404 not_found naming the field and the value."""
    problem = _problem(login("nurse").get("/api/v1/subjects/S-404"), 404, "not_found")
    assert (problem["field"], problem["value"]) == ("subject", "S-404")
    assert problem["hint"]


def test_screening_gives_the_checklist_and_is_audited(db: Database, staff: Staff,
                                                      ctx: TrialContext, login: Login) -> None:
    """POST /subjects/{ref}/screening of the eligible example patient: every criterion met,
    each with its code, reason and facts; the decision is audited and cached."""
    screen_in_example(db, staff, ctx, "S-002")
    response = login("nurse").post("/api/v1/subjects/S-002/screening",
                                   json={"on": EXAMPLE_DAY.isoformat()})
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["status"], result["code"]) == ("eligible", "eligibility.eligible")
    ids = [c.id for c in ctx.protocol.criteria.all()]
    assert [c["id"] for c in result["criteria"]] == ids
    for criterion in result["criteria"]:
        assert criterion["status"] == "met"
        assert criterion["code"].startswith(criterion["id"] + ".met")
        assert criterion["reason"] and criterion["meaning"]
    assert any(c["facts"] for c in result["criteria"])
    assert result["counts"]["met"] == len(ids)
    decisions = _audit(db, "action = 'eligibility_decision' AND subject_ref = 'S-002'")
    assert [d["new_value"] for d in decisions] == ["eligibility.eligible"]
    with db.sessions() as session:
        assert session.scalar(select(DerivedCache.kind)) == "eligibility"


def test_screening_lists_missing_data(db: Database, staff: Staff, ctx: TrialContext,
                                      login: Login) -> None:
    """A subject with only consent entered is incomplete; I1 names the missing birth date."""
    consented_subject(db, staff, ctx)
    result = login("nurse").post("/api/v1/subjects/S-001/screening",
                                 json={"on": "2026-03-02"}).json()
    assert result["code"] == "eligibility.incomplete"
    first = result["criteria"][0]
    assert (first["id"], first["status"], first["code"], first["missing"]) == (
        "I1", "missing", "I1.missing.birth_date", ["birth_date"])


def test_screening_meanings_follow_the_users_language(db: Database, staff: Staff,
                                                      ctx: TrialContext, login: Login) -> None:
    """A user whose language is zh-CN gets each result code's meaning in Chinese."""
    consented_subject(db, staff, ctx)
    set_language(db, staff["nurse"], "zh-CN")
    result = login("nurse").post("/api/v1/subjects/S-001/screening",
                                 json={"on": "2026-03-02"}).json()
    zh = translator("zh-CN")
    for criterion in result["criteria"]:
        assert criterion["meaning"] == zh.code_meaning(criterion["code"])
    assert result["criteria"][0]["meaning"] != describe(result["criteria"][0]["code"]).meaning


def test_enrolment_gives_the_subject_id(db: Database, staff: Staff, ctx: TrialContext,
                                        login: Login) -> None:
    """POST /subjects/{ref}/enrolment of an eligible subject gives HCH-001 (201); the subject is
    enrolled and its first-dose visit planned; a second enrolment is 409 workflow."""
    screen_in_example(db, staff, ctx, "S-002")
    drli = login("drli")
    response = drli.post("/api/v1/subjects/S-002/enrolment",
                         json={"enrolled_on": EXAMPLE_DAY.isoformat()})
    assert response.status_code == 201, response.text
    assert response.json() == {"subject_id": "HCH-001", "enrolled_on": EXAMPLE_DAY.isoformat(),
                               "enrolled_count": 1, "target": 22,
                               "over_enrolment_reason": None}
    summary = drli.get("/api/v1/subjects/HCH-001").json()
    assert (summary["status"], summary["enrolled_on"]) == ("enrolled", EXAMPLE_DAY.isoformat())
    with db.sessions() as session:
        assert "C1D1" in session.scalars(select(Visit.code)).all()
    _problem(drli.post("/api/v1/subjects/S-002/enrolment",
                       json={"enrolled_on": EXAMPLE_DAY.isoformat()}), 409, "workflow")


def test_an_ineligible_subject_is_not_enrolled(db: Database, staff: Staff, ctx: TrialContext,
                                               login: Login) -> None:
    """Enrolling an incomplete screening is 409 workflow naming the eligibility code; no
    subject id is given."""
    consented_subject(db, staff, ctx)
    problem = _problem(login("drli").post("/api/v1/subjects/S-001/enrolment",
                                          json={"enrolled_on": "2026-03-02"}), 409, "workflow")
    assert (problem["field"], problem["value"]) == ("eligibility", "eligibility.incomplete")
    with db.sessions() as session:
        assert session.scalar(select(Subject.subject_id)) is None


def test_visit_dates_are_recorded_and_corrected_with_a_reason(
        db: Database, staff: Staff, ctx: TrialContext, login: Login) -> None:
    """POST /subjects/{ref}/visits stores the date and says whether it is in the window; a
    different date later needs a reason (409 without)."""
    subject = _enrolled(db, staff, ctx)
    nurse = login("nurse")
    day = EXAMPLE_DAY + dt.timedelta(days=1)
    response = nurse.post(f"/api/v1/subjects/{subject}/visits",
                          json={"code": "C1D1", "actual_on": day.isoformat()})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["code"], body["actual_on"], body["out_of_window"]) == (
        "C1D1", day.isoformat(), False)
    _problem(nurse.post(f"/api/v1/subjects/{subject}/visits",
                        json={"code": "C1D1", "actual_on": "2026-03-04"}), 409, "workflow")
    assert nurse.post(f"/api/v1/subjects/{subject}/visits", json={
        "code": "C1D1", "actual_on": "2026-03-04", "reason": "date misread"}
    ).json()["actual_on"] == "2026-03-04"
    with db.sessions() as session:
        visit = session.scalar(select(Visit).where(Visit.code == "C1D1"))
        assert visit is not None
        assert (visit.actual_on, visit.status) == (dt.date(2026, 3, 4), "done")


def test_withdrawal_and_close_out_change_the_status_with_the_reason(
        db: Database, staff: Staff, ctx: TrialContext, login: Login) -> None:
    """Withdrawal and close-out set the status, audited with the reason; an empty reason is a
    422 invalid_request."""
    consented_subject(db, staff, ctx)
    drli = login("drli")
    response = drli.post("/api/v1/subjects/S-001/withdrawal",
                         json={"reason": "consent withdrawn"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "withdrawn"
    rows = _audit(db, "action = 'withdrawal'")
    assert [(r["old_value"], r["new_value"], r["reason"]) for r in rows] == [
        ("screened", "withdrawn", "consent withdrawn")]
    assert drli.post("/api/v1/subjects/S-001/close-out",
                     json={"reason": "off study"}).json()["status"] == "off_study"
    with db.sessions() as session:
        assert session.scalar(select(Subject.status)) == "off_study"
    body = _problem(drli.post("/api/v1/subjects/S-001/close-out", json={"reason": ""}), 422,
                    "invalid_request")
    assert body["errors"][0]["field"] == "reason"


def test_casebook_holds_every_form_and_is_pseudonymised_for_statisticians(
        db: Database, staff: Staff, ctx: TrialContext, login: Login) -> None:
    """GET /subjects/{ref}/casebook: each saved form with its values nested; a statistician
    gets the pseudonymised casebook without the names of who saved."""
    consented_subject(db, staff, ctx)
    nurse = login("nurse")
    assert nurse.put(VITALS_URL, json={"values": VITALS}).status_code == 200
    book = nurse.get("/api/v1/subjects/S-001/casebook").json()
    assert (book["subject"], book["pseudonymised"]) == ("S-001", False)
    forms = {f["form_id"]: f for f in book["forms"]}
    assert set(forms) == {"consent", "vital_signs"}
    assert forms["consent"]["values"] == CONSENT
    assert forms["vital_signs"]["values"]["pulse"] == {"value": "74", "unit": "bpm"}
    assert forms["vital_signs"]["saved_by"] == "nurse"
    stat = login("stat").get("/api/v1/subjects/S-001/casebook").json()
    assert stat["pseudonymised"] is True
    assert stat["subject"] == nurse.get("/api/v1/subjects/S-001").json()["pseudonym"]
    assert {f["saved_by"] for f in stat["forms"]} == {None}


# --------------------------------------------------------------------------- forms


def test_saved_form_reads_back_and_a_correction_adds_one_version(
        db: Database, staff: Staff, ctx: TrialContext, login: Login) -> None:
    """PUT then GET gives the values and the version; a correction with expected_version and a
    reason gives version + 1, changes only that item and leaves an audit row with the reason;
    the item's history shows both values."""
    consented_subject(db, staff, ctx)
    nurse = login("nurse")
    saved = nurse.put(VITALS_URL, json={"values": VITALS})
    assert saved.status_code == 200, saved.text
    form = nurse.get(VITALS_URL).json()
    assert form["version"] == saved.json()["version"]
    assert form["form_instance_id"] == saved.json()["form_instance_id"]
    assert form["values"]["systolic_bp"] == {"value": "128", "unit": "mmHg"}
    assert form["values"]["assessed_on"] == "2026-02-27"
    corrected = nurse.put(VITALS_URL, json={"values": {**VITALS, "pulse": "80"},
                                            "expected_version": form["version"],
                                            "reason": "transcription error"})
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["version"] == form["version"] + 1
    assert corrected.json()["changed_items"] == ["pulse"]
    again = nurse.get(VITALS_URL).json()
    assert (again["version"], again["values"]["pulse"]) == (
        form["version"] + 1, {"value": "80", "unit": "bpm"})
    rows = _audit(db, "table_name = 'item_value' AND action = 'update' AND item_ref = 'pulse'")
    assert [(r["old_value"], r["new_value"], r["reason"], r["user_id"]) for r in rows] == [
        ("74 bpm", "80 bpm", "transcription error", "nurse")]
    history = nurse.get("/api/v1/subjects/S-001/forms/vital_signs/history",
                        params={"visit": "SCR", "item": "pulse"})
    assert history.status_code == 200, history.text
    assert [(h["action"], h["old_value"], h["new_value"]) for h in history.json()] == [
        ("insert", None, "74 bpm"), ("update", "74 bpm", "80 bpm")]


def test_lab_values_keep_unit_and_limits(db: Database, staff: Staff, ctx: TrialContext,
                                         login: Login) -> None:
    """A lab answer {value, unit, lln, uln} is stored and read back whole."""
    consented_subject(db, staff, ctx)
    nurse = login("nurse")
    anc = {"value": "2.1", "unit": "10^9/L", "lln": 1.8, "uln": 6.3}
    url = "/api/v1/subjects/S-001/forms/haematology?visit=SCR"
    response = nurse.put(url, json={"values": {
        "collected_on": "2026-02-27", "anc": anc, "hemoglobin": {"value": "130", "unit": "g/L"},
        "platelets": {"value": "150", "unit": "10^9/L"}}})
    assert response.status_code == 200, response.text
    assert nurse.get(url).json()["values"]["anc"] == anc


def test_a_form_failing_its_checks_lists_every_finding_and_saves_nothing(
        db: Database, staff: Staff, ctx: TrialContext, login: Login) -> None:
    """422 form_rejected with one entry per finding (field, value, code, message, hint); the
    form stays unsaved."""
    consented_subject(db, staff, ctx)
    nurse = login("nurse")
    values = {k: v for k, v in VITALS.items() if k != "pulse"} | {"systolic_bp": "900"}
    problem = _problem(nurse.put(VITALS_URL, json={"values": values}), 422, "form_rejected")
    errors = {e["field"]: e for e in problem["errors"]}
    assert set(errors) == {"systolic_bp", "pulse"}
    assert (errors["systolic_bp"]["value"], errors["systolic_bp"]["code"]) == (
        "900", "forms.out_of_range")
    assert (errors["pulse"]["value"], errors["pulse"]["code"]) == (None,
                                                                   "forms.required_missing")
    for error in problem["errors"]:
        assert error["message"] and error["hint"]
    assert (problem["field"], problem["value"]) == (problem["errors"][0]["field"],
                                                    problem["errors"][0]["value"])
    form = nurse.get(VITALS_URL).json()
    assert (form["version"], form["status"], form["values"]) == (0, "new", {})


def test_findings_in_group_rows_name_the_row(db: Database, staff: Staff, ctx: TrialContext,
                                             login: Login) -> None:
    """A finding in a row of a repeating group names it group[row].item with the value sent;
    one about the whole group names the group."""
    consented_subject(db, staff, ctx)
    nurse = login("nurse")
    url = "/api/v1/subjects/S-001/forms/tumour_lesions?visit=SCR"
    head = {"measured_on": "2026-02-25", "method": "ct"}
    problem = _problem(nurse.put(url, json={"values": {**head, "lesions": [
        {"lesion_id": "T1"}, {"lesion_id": "T2", "kind": "zz"}]}}), 422, "form_rejected")
    errors = {e["field"]: e for e in problem["errors"]}
    assert (errors["lesions[2].kind"]["value"], errors["lesions[1].kind"]["value"]) == ("zz",
                                                                                       None)
    problem = _problem(nurse.put(url, json={"values": head}), 422, "form_rejected")
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [("lesions",
                                                                     "forms.too_few_rows")]


def test_a_stale_version_is_a_conflict_and_overwrites_nothing(
        db: Database, staff: Staff, ctx: TrialContext, login: Login) -> None:
    """A save with an old expected_version is 409 conflict; the stored value stays."""
    consented_subject(db, staff, ctx)
    nurse = login("nurse")
    version = nurse.put(VITALS_URL, json={"values": VITALS}).json()["version"]
    nurse.put(VITALS_URL, json={"values": {**VITALS, "pulse": "75"},
                                "expected_version": version, "reason": "first"})
    problem = _problem(login("drwang").put(VITALS_URL, json={
        "values": {**VITALS, "pulse": "99"}, "expected_version": version,
        "reason": "second"}), 409, "conflict")
    assert (problem["field"], problem["value"]) == ("version", version)
    assert nurse.get(VITALS_URL).json()["values"]["pulse"]["value"] == "75"


def test_a_correction_needs_a_reason(db: Database, staff: Staff, ctx: TrialContext,
                                     login: Login) -> None:
    """Changing a saved form without a reason is 409 workflow on the reason field."""
    consented_subject(db, staff, ctx)
    nurse = login("nurse")
    version = nurse.put(VITALS_URL, json={"values": VITALS}).json()["version"]
    problem = _problem(nurse.put(VITALS_URL, json={"values": {**VITALS, "pulse": "75"},
                                                   "expected_version": version}),
                       409, "workflow")
    assert problem["field"] == "reason"


def test_unknown_form_and_wrong_visit(db: Database, staff: Staff, ctx: TrialContext,
                                      login: Login) -> None:
    """An unknown form is 404 not_found; a form not collected at the visit is 422
    invalid_input on ``visit``."""
    consented_subject(db, staff, ctx)
    nurse = login("nurse")
    _problem(nurse.get("/api/v1/subjects/S-001/forms/vital_sings?visit=SCR"), 404, "not_found")
    _problem(nurse.put("/api/v1/subjects/S-001/forms/vital_sings?visit=SCR",
                       json={"values": VITALS}), 404, "not_found")
    problem = _problem(nurse.get("/api/v1/subjects/S-001/forms/vital_signs?visit=SFU"), 422,
                       "invalid_input")
    assert (problem["field"], problem["value"]) == ("visit", "SFU")


# --------------------------------------------------------------------------- queries and SDV


def test_query_is_raised_answered_and_closed(db: Database, staff: Staff, ctx: TrialContext,
                                             login: Login) -> None:
    """POST /queries (data manager), answer (coordinator), close (data manager): each step
    stored and audited, and GET /queries filters by status."""
    consented_subject(db, staff, ctx)
    instance = _instance(db, "consent").id
    dm, nurse = login("dm"), login("nurse")
    raised = dm.post("/api/v1/queries", json={"form_instance_id": instance,
                                              "item": "consent_date",
                                              "text": "Date differs from the source"})
    assert raised.status_code == 201, raised.text
    query = raised.json()
    assert (query["status"], query["item"], query["raised_by"], query["origin"]) == (
        "open", "consent_date", "dm", "manual")
    listed = nurse.get("/api/v1/queries", params={"status": "open"}).json()
    assert (listed["total"], [r["id"] for r in listed["rows"]]) == (1, [query["id"]])
    answered = nurse.post(f"/api/v1/queries/{query['id']}/answer",
                          json={"answer": "Checked: the source says 2026-02-20"})
    assert answered.status_code == 200, answered.text
    assert (answered.json()["status"], answered.json()["answered_by"]) == ("answered", "nurse")
    closed = dm.post(f"/api/v1/queries/{query['id']}/close", json={"note": "resolved"})
    assert closed.json()["status"] == "closed"
    assert dm.get(f"/api/v1/queries/{query['id']}").json()["status"] == "closed"
    assert nurse.get("/api/v1/queries", params={"status": "open"}).json()["total"] == 0
    with db.sessions() as session:
        row = session.get(Query, query["id"])
        assert row is not None
        assert (row.status, row.closed_by, row.answer) == (
            "closed", "dm", "Checked: the source says 2026-02-20")
    events = [r["action"] for r in _audit(db, "table_name = 'query' AND action LIKE 'query_%'")]
    assert events == ["query_opened", "query_answered", "query_closed"]
    _problem(dm.post(f"/api/v1/queries/{query['id']}/close", json={}), 409, "workflow")


def test_queries_are_paginated_and_name_group_rows(db: Database, staff: Staff,
                                                   ctx: TrialContext, login: Login) -> None:
    """per_page and page cut the list, total counts all; an item of a group row is named
    group[row].item."""
    consented_subject(db, staff, ctx)
    instance = _instance(db, "consent").id
    dm = login("dm")
    items = ["consent_date", "icf_version", "lesions[2].diameter_mm"]
    ids = [dm.post("/api/v1/queries", json={"form_instance_id": instance, "item": item,
                                            "text": f"check {item}"}).json()["id"]
           for item in items]
    page = dm.get("/api/v1/queries", params={"page": 2, "per_page": 2}).json()
    assert (page["page"], page["per_page"], page["total"]) == (2, 2, 3)
    assert [(r["id"], r["item"]) for r in page["rows"]] == [(ids[2], items[2])]
    with db.sessions() as session:
        row = session.get(Query, ids[2])
        assert row is not None
        assert (row.group_id, row.row_no, row.item_id) == ("lesions", 2, "diameter_mm")
    problem = _problem(dm.post("/api/v1/queries", json={
        "form_instance_id": instance, "item": "Not an item!", "text": "x"}),
        422, "invalid_request")
    assert problem["field"] == "item"


def test_sdv_marks_the_items_verified(db: Database, staff: Staff, ctx: TrialContext,
                                      login: Login) -> None:
    """POST /forms/{id}/sdv marks the named items (or all) verified; the casebook lists them;
    an item without a value is 422."""
    consented_subject(db, staff, ctx)
    instance = _instance(db, "consent").id
    monitor = login("monitor")
    response = monitor.post(f"/api/v1/forms/{instance}/sdv", json={"items": ["consent_date"]})
    assert response.status_code == 200, response.text
    assert response.json() == {"form_instance_id": instance, "verified": 1}
    book = monitor.get("/api/v1/subjects/S-001/casebook").json()
    assert book["forms"][0]["verified"] == ["consent_date"]
    assert monitor.post(f"/api/v1/forms/{instance}/sdv", json={}).json()["verified"] == 4
    with db.sessions() as session:
        marks = session.scalars(select(SdvMark.item_id).order_by(SdvMark.item_id)).all()
        assert marks == sorted(CONSENT)
    _problem(monitor.post(f"/api/v1/forms/{instance}/sdv", json={"items": ["pulse"]}), 422,
             "invalid_input")


# --------------------------------------------------------------------------- signatures


def test_signing_needs_the_user_name_first_then_the_password_only(
        db: Database, staff: Staff, ctx: TrialContext, login: Login) -> None:
    """The first signing of a session without the user name is 401 (audited sign_failed);
    with it, 201; a second signing in the same session needs the password only. A later
    change of the form invalidates its signatures."""
    consented_subject(db, staff, ctx)
    instance = _instance(db, "consent").id
    drli = login("drli")
    url = "/api/v1/subjects/S-001/signatures"
    body = {"password": PASSWORD, "meaning": "Investigator review of consent",
            "form_instance_id": instance}
    _problem(drli.post(url, json=body), 401, "authentication_failed")
    assert [r["old_value"] for r in _audit(db, "action = 'sign_failed'")] == [
        "user name missing"]
    first = drli.post(url, json={**body, "username": "drli"})
    assert first.status_code == 201, first.text
    signature = first.json()
    assert (signature["printed_name"], signature["meaning"], signature["valid"]) == (
        "Li Wei", "Investigator review of consent", True)
    assert signature["manifestation"].startswith("Signed by Li Wei on ")
    second = drli.post(url, json={**body, "meaning": "Approval"})
    assert second.status_code == 201, second.text
    listed = drli.get(url).json()
    assert [(s["meaning"], s["valid"]) for s in listed] == [
        ("Investigator review of consent", True), ("Approval", True)]
    with db.sessions() as session:
        assert session.scalars(select(Signature.form_instance_id)).all() == [instance] * 2
    nurse = login("nurse")
    form = nurse.get("/api/v1/subjects/S-001/forms/consent?visit=SCR").json()
    nurse.put("/api/v1/subjects/S-001/forms/consent?visit=SCR", json={
        "values": {**CONSENT, "icf_version": "2.1"}, "expected_version": form["version"],
        "reason": "wrong version recorded"})
    after = drli.get(url).json()
    assert [s["valid"] for s in after] == [False, False]
    assert all("wrong version recorded" in s["invalidated_reason"] for s in after)


def test_casebook_signature(db: Database, staff: Staff, ctx: TrialContext,
                            login: Login) -> None:
    """Without form_instance_id the whole casebook is signed (investigator)."""
    consented_subject(db, staff, ctx)
    response = login("drli").post("/api/v1/subjects/S-001/signatures", json={
        "password": PASSWORD, "username": "drli", "meaning": "Casebook approved"})
    assert response.status_code == 201, response.text
    with db.sessions() as session:
        sig = session.scalar(select(Signature))
        assert sig is not None
        assert (sig.form_instance_id, sig.form_ref) == (None, "casebook")


# --------------------------------------------------------------------------- locks


def test_form_lock_blocks_changes_until_unlocked(db: Database, staff: Staff,
                                                 ctx: TrialContext, login: Login) -> None:
    """POST /forms/{id}/lock: the form shows locked and a save is 409; DELETE with a reason
    unlocks it and the save goes through."""
    consented_subject(db, staff, ctx)
    nurse, dm = login("nurse"), login("dm")
    version = nurse.put(VITALS_URL, json={"values": VITALS}).json()["version"]
    instance = _instance(db, "vital_signs").id
    locked = dm.post(f"/api/v1/forms/{instance}/lock", json={})
    assert locked.json() == {"target": f"form {instance}", "locked": True}
    assert nurse.get(VITALS_URL).json()["locked"] is True
    change = {"values": {**VITALS, "pulse": "77"}, "expected_version": version,
              "reason": "late correction"}
    _problem(nurse.put(VITALS_URL, json=change), 409, "workflow")
    _problem(dm.delete(f"/api/v1/forms/{instance}/lock"), 422, "invalid_request")
    unlocked = dm.delete(f"/api/v1/forms/{instance}/lock", params={"reason": "query answer"})
    assert unlocked.json()["locked"] is False
    assert _instance(db, "vital_signs").locked is False
    change["expected_version"] = nurse.get(VITALS_URL).json()["version"]  # locks count too
    assert nurse.put(VITALS_URL, json=change).status_code == 200
    assert [r["action"] for r in _audit(db, "action LIKE 'form_%lock%'")] == [
        "form_locked", "form_unlocked"]


def test_casebook_lock(db: Database, staff: Staff, ctx: TrialContext, login: Login) -> None:
    """POST /subjects/{ref}/lock locks every form of the subject; DELETE unlocks it."""
    consented_subject(db, staff, ctx)
    nurse, dm = login("nurse"), login("dm")
    assert dm.post("/api/v1/subjects/S-001/lock", json={}).json()["locked"] is True
    with db.sessions() as session:
        assert session.scalar(select(Subject.casebook_locked)) is True
    _problem(nurse.put(VITALS_URL, json={"values": VITALS}), 409, "workflow")
    assert dm.delete("/api/v1/subjects/S-001/lock", params={"reason": "reopened"}
                     ).json()["locked"] is False
    assert nurse.put(VITALS_URL, json={"values": VITALS}).status_code == 200


def test_database_lock_is_locked_by_data_managers_and_unlocked_by_administrators(
        db: Database, staff: Staff, ctx: TrialContext, login: Login) -> None:
    """POST /database/lock needs a reason; after it no save goes through; only an
    administrator unlocks."""
    consented_subject(db, staff, ctx)
    nurse, dm, admin = login("nurse"), login("dm"), login("admin")
    _problem(dm.post("/api/v1/database/lock", json={"reason": " "}), 422, "invalid_request")
    assert dm.post("/api/v1/database/lock", json={"reason": "final analysis"}
                   ).json() == {"target": "database", "locked": True}
    with db.sessions() as session:
        state_row = session.scalar(select(TrialState))
        assert state_row is not None
        assert (state_row.database_locked, state_row.lock_reason) == (True, "final analysis")
    _problem(nurse.put(VITALS_URL, json={"values": VITALS}), 409, "workflow")
    _problem(dm.delete("/api/v1/database/lock", params={"reason": "x"}), 403,
             "permission_denied")
    assert admin.delete("/api/v1/database/lock", params={"reason": "late data"}
                        ).json()["locked"] is False
    assert nurse.put(VITALS_URL, json={"values": VITALS}).status_code == 200


# --------------------------------------------------------------------------- results


def test_results_are_the_endpoints_of_the_stored_data(db: Database, staff: Staff,
                                                      ctx: TrialContext, login: Login) -> None:
    """GET /results is the endpoint analysis of the export of the stored data."""
    subject = _enrolled(db, staff, ctx)
    response = login("drli").get("/api/v1/results", params={"cutoff": "2026-06-30"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["subjects"], body["cutoff"]) == (1, "2026-06-30")
    expected = analyze_endpoints(export_dataset(db, staff["drli"], ctx),
                                 cutoff=dt.date(2026, 6, 30),
                                 rules=EndpointRules.from_protocol(ctx.protocol)).to_dict()
    assert body["analysis"] == expected
    assert subject in str(body["analysis"])


def test_export_is_the_exchange_format_and_audited(db: Database, staff: Staff,
                                                   ctx: TrialContext, login: Login) -> None:
    """GET /export gives the exchange-format files; it is audited as an export; a
    statistician's carries pseudonyms."""
    subject = _enrolled(db, staff, ctx)
    files = login("drli").get("/api/v1/export").json()["files"]
    assert [s["subject_id"] for s in files["subjects.json"]] == [subject]
    assert [r["user_id"] for r in _audit(db, "action = 'export'")] == ["drli"]
    stat = login("stat").get("/api/v1/export").json()["files"]
    with db.sessions() as session:
        pseudonym = session.scalar(select(Subject.pseudonym).where(
            Subject.subject_id == subject))
    assert [s["subject_id"] for s in stat["subjects.json"]] == [pseudonym]


# --------------------------------------------------------------------------- users


def test_users_are_listed_with_their_roles(staff: Staff, login: Login) -> None:
    """GET /users: every account with its roles and sites."""
    users = {u["username"]: u for u in login("admin").get("/api/v1/users").json()}
    assert sorted(users) == sorted(["admin", "drli", "drwang", "nurse", "dm", "monitor",
                                    "stat", "other"])
    assert users["drli"]["roles"] == [{"role": "investigator", "site": "HCH"}]
    assert users["admin"]["roles"] == [{"role": "administrator", "site": None}]
    assert users["other"]["roles"] == [{"role": "investigator", "site": "OTH"}]


def test_a_new_user_gets_a_one_time_password(db: Database, staff: Staff, app: FastAPI,
                                             login: Login) -> None:
    """POST /users gives a one-time password that logs in but must be changed before anything
    else (403 password_change_required)."""
    response = login("admin").post("/api/v1/users", json={
        "username": "nurse2", "full_name": "Nora Wu",
        "roles": [{"role": "research_coordinator", "site": "HCH"}], "language": "zh-CN"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["must_change_password"], body["language"], body["roles"]) == (
        True, "zh-CN", [{"role": "research_coordinator", "site": "HCH"}])
    client = TestClient(app)
    me = client.post("/api/v1/session", json={"username": "nurse2",
                                              "password": body["one_time_password"]})
    assert me.status_code == 200, me.text
    assert me.json()["must_change_password"] is True
    _problem(client.get("/api/v1/subjects"), 403, "password_change_required")
    with db.sessions() as session:
        assert session.scalars(select(RoleGrant.role).where(
            RoleGrant.granted_by == "admin", RoleGrant.role == "research_coordinator")).all()


def test_roles_are_granted_and_revoked_with_a_reason(db: Database, staff: Staff,
                                                     login: Login) -> None:
    """POST /users/{u}/roles adds a grant; DELETE revokes it at once; the access report keeps
    both, the revoked one with who and when."""
    admin = login("admin")
    granted = admin.post("/api/v1/users/nurse/roles", json={
        "role": "monitor", "site": "OTH", "reason": "covering OTH in May"})
    assert granted.status_code == 200, granted.text
    assert {"role": "monitor", "site": "OTH"} in granted.json()["roles"]
    revoked = admin.delete("/api/v1/users/nurse/roles/monitor", params={"reason": "cover ended"})
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["roles"] == [{"role": "research_coordinator", "site": "HCH"}]
    with db.sessions() as session:
        grant = session.scalar(select(RoleGrant).where(RoleGrant.role == "monitor",
                                                       RoleGrant.site_id.is_not(None),
                                                       RoleGrant.revoked_by == "admin"))
        assert grant is not None and grant.revoked_at is not None
    report = admin.get("/api/v1/access-report").json()
    rows = [r for r in report if r["username"] == "nurse" and r["role"] == "monitor"]
    assert [(r["site"], r["revoked_by"]) for r in rows] == [("OTH", "admin")]
    _problem(admin.delete("/api/v1/users/nurse/roles/monitor", params={"reason": "again"}),
             404, "not_found")


# --------------------------------------------------------------------------- codes, errors


def test_codes_in_english_and_chinese(staff: Staff, login: Login) -> None:
    """GET /codes lists every result code with its meaning, in the user's language by default
    or the one asked for."""
    nurse = login("nurse")
    english = nurse.get("/api/v1/codes").json()
    assert english["language"] == "en"
    assert len(english["codes"]) == len(result_codes())
    meanings = {c["pattern"]: c["meaning"] for c in english["codes"]}
    assert meanings["eligibility.eligible"] == describe("eligibility.eligible").meaning
    chinese = nurse.get("/api/v1/codes", params={"lang": "zh-CN"}).json()
    zh = {c["pattern"]: c["meaning"] for c in chinese["codes"]}
    assert zh["eligibility.eligible"] == translator("zh-CN").code_meaning("eligibility.eligible")
    assert zh["eligibility.eligible"] != meanings["eligibility.eligible"]


def test_an_invalid_request_names_every_field(staff: Staff, login: Login) -> None:
    """A body that does not match the description: 422 invalid_request, one error per
    field."""
    problem = _problem(login("nurse").post("/api/v1/subjects", json={"birth_date": "soon"}),
                       422, "invalid_request")
    assert {e["field"] for e in problem["errors"]} == {"site", "screening_number",
                                                       "birth_date"}
    assert all(e["code"].startswith("request.") and e["hint"] for e in problem["errors"])


def test_nul_characters_are_refused_not_a_server_error(db: Database, staff: Staff,
                                                       ctx: TrialContext, login: Login) -> None:
    """Text with a NUL character (which PostgreSQL cannot store; found by schemathesis) is a
    422 in a path, a query, a body field or a form value, never a 500."""
    consented_subject(db, staff, ctx)
    nurse = login("nurse")
    _problem(nurse.get("/api/v1/subjects/S%00"), 422, "invalid_request")
    _problem(nurse.get("/api/v1/queries", params={"subject": "\x00"}), 422, "invalid_request")
    _problem(login("drli").post("/api/v1/subjects/S-001/withdrawal", json={"reason": "\x00"}),
             422, "invalid_request")
    problem = _problem(nurse.put(VITALS_URL, json={"values": {**VITALS, "pulse": "7\x004"}}),
                       422, "invalid_input")
    assert problem["field"] == "values.pulse"
    with db.sessions() as session:
        assert session.scalar(select(Subject.status)) == "screened"


def test_log_in_with_a_nul_user_name_is_not_a_server_error(
        db: Database, staff: Staff, app: FastAPI) -> None:
    """POST /api/v1/session with a NUL in the user name is refused (401 or 422), not a 500.
    Found by schemathesis on PostgreSQL (a bug of the log-in, not of the resource modules)."""
    client = TestClient(app, raise_server_exceptions=False)
    response = client.post("/api/v1/session", json={"username": "\x00", "password": "x"})
    assert response.status_code in (401, 422), response.text


def test_the_generic_problem_of_a_rejected_form(ctx: TrialContext) -> None:
    """oncotrial.web.problems.problem_of turns a FormRejected into a 422 form_rejected
    problem with one entry per finding."""
    from oncotrial.forms.values import Finding
    from oncotrial.services import FormRejected
    from oncotrial.web.problems import problem_of

    assert ctx.forms is not None
    finding = Finding("forms.required_missing", ("", 0, "pulse"), None, "Pulse is required.",
                      "Enter it.")
    problem = problem_of(FormRejected(ctx.forms.form("vital_signs"), (finding,)))
    assert (problem.status, problem.code, problem.errors[0].field) == (422, "form_rejected",
                                                                       "pulse")


def test_the_description_declares_problem_responses(app: FastAPI) -> None:
    """Every operation of the API (but the session's) declares 401, 403 and 422 as
    application/problem+json, and every request and response body has a schema."""
    spec = TestClient(app).get("/api/v1/openapi.json").json()
    operations = [(path, method, op) for path, ops in spec["paths"].items()
                  for method, op in ops.items() if not path.startswith("/api/v1/session")]
    assert len(operations) >= 34
    for path, method, op in operations:
        for status in ("401", "403", "422"):
            assert PROBLEM in op["responses"][status]["content"], (path, method, status)
        success = next(s for s in op["responses"] if s.startswith("2"))
        assert op["responses"][success]["content"]["application/json"]["schema"], (path, method)
        if method in ("post", "put"):
            assert op["requestBody"]["content"]["application/json"]["schema"], (path, method)


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_unsafe_methods_need_the_csrf_header(staff: Staff, login: Login, method: str) -> None:
    """POST, PUT and DELETE without X-CSRF-Token are 403 csrf_failed, even with a session."""
    client = login("admin")
    del client.headers["X-CSRF-Token"]
    url = {"post": "/api/v1/database/lock", "put": VITALS_URL,
           "delete": "/api/v1/database/lock?reason=x"}[method]
    response = client.request(method.upper(), url, json={"reason": "x", "values": {}})
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
