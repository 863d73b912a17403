"""The office pages: home (enrolment, screening log, visits, queries, SAE clock, signatures),
monitoring (SDV worklist, queries, locks, database lock), results (endpoint summary and the
Kaplan-Meier SVG) and administration (accounts, roles, sites), with their permissions, CSRF
and Chinese."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from babel.messages.extract import extract_from_file
from fastapi import FastAPI
from fastapi.testclient import TestClient
from storekit import (
    CONSENT,
    EXAMPLE_DAY,
    PASSWORD,
    Staff,
    consented_subject,
    screen_in_example,
)

import oncotrial.web
from oncotrial.context import TrialContext
from oncotrial.services import (
    Database,
    WorkflowError,
    access_report,
    enrol,
    list_queries,
    load_casebook,
    raise_query,
    report_ae,
    save_form,
    set_language,
)
from oncotrial.services.dashboard import sdv_worklist
from oncotrial.services.demo import load_example_trial
from oncotrial.web.i18n import translator

from .conftest import csrf_of

Login = Callable[[str], TestClient]
WEB = Path(oncotrial.web.__file__).parent


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 parameters for the test accounts (the pages are under test, not argon2)."""
    monkeypatch.setattr("oncotrial.services.access._HASHER",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def text_of(html: str) -> str:
    """The visible text of a page, whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&amp;", "&")


def section(html: str, section_id: str) -> str:
    """The HTML of ``<section id=...>`` (up to its end)."""
    found = re.search(rf'<section[^>]*id="{section_id}"[^>]*>(.*?)</section>', html, re.S)
    assert found, f"no section {section_id}"
    return found.group(1)


def consent_instance(db: Database, staff: Staff, ctx: TrialContext, subject: str = "S-001"
                     ) -> int:
    book = load_casebook(db, staff["dm"], ctx, subject)
    return next(f.form_instance_id for f in book.forms if f.form_id == "consent")


def correct_consent(db: Database, staff: Staff, ctx: TrialContext, version: str) -> int:
    """Save the consent form of S-001 again with another ICF version; return its version."""
    book = load_casebook(db, staff["dm"], ctx, "S-001")
    edited = next(f.version for f in book.forms if f.form_id == "consent")
    return save_form(db, staff["nurse"], ctx, "S-001", "consent",
                     {**CONSENT, "icf_version": version}, visit="SCR",
                     expected_version=edited, reason="transcription error",
                     today=dt.date(2026, 3, 2)).version


# --------------------------------------------------------------------------- home


def test_home_shows_enrolment_against_the_target_and_the_overdue_first_visit(
        db: Database, staff: Staff, ctx: TrialContext, login: Login) -> None:
    nurse = login("nurse")
    assert "0 / 22" in text_of(nurse.get("/").text)
    screen_in_example(db, staff, ctx, "S-001")
    enrol(db, staff["drli"], ctx, "S-001", enrolled_on=EXAMPLE_DAY)
    page = nurse.get("/")
    assert page.status_code == 200
    assert "1 / 22" in text_of(page.text)
    assert "1 of the target of 22 subjects enrolled" in text_of(page.text)
    visits = text_of(section(page.text, "visits"))
    # C1D1's window is day 0 to day 7 after enrolment on 2026-03-02: long closed, no date.
    assert "HCH-001 C1D1 2026-03-02 2026-03-02 – 2026-03-09 Overdue" in visits
    assert 'href="/subjects/HCH-001"' in section(page.text, "visits")


def test_home_lists_screen_failures_with_the_criterion_not_met(
        db: Database, staff: Staff, ctx: TrialContext, login: Login) -> None:
    from oncotrial.services import screen_subject

    consented_subject(db, staff, ctx, "S-009")
    screen_subject(db, staff["nurse"], ctx, "S-009", on=EXAMPLE_DAY)  # data missing
    log = text_of(section(login("nurse").get("/").text, "screening-log"))
    assert "Not yet decided (data or attestations due): 1" in log
    assert "S-009" in log
    assert "Screen failure: 0" in log


def test_a_statistician_sees_the_enrolment_but_no_subject_on_home(
        db: Database, staff: Staff, ctx: TrialContext, login: Login) -> None:
    consented_subject(db, staff, ctx)
    page = login("stat").get("/")
    assert page.status_code == 200
    assert "0 / 22" in text_of(page.text)
    assert "S-001" not in page.text and 'id="queries"' not in page.text


def test_an_open_query_appears_on_home_and_monitoring_and_is_closed_there(
        db: Database, staff: Staff, ctx: TrialContext, login: Login) -> None:
    consented_subject(db, staff, ctx)
    instance = consent_instance(db, staff, ctx)
    query_id = raise_query(db, staff["dm"], ctx, instance, ("", 0, "icf_version"),
                           "Version 2.0 or 2.1? Check the signed copy.")
    home = login("nurse").get("/").text
    queries = section(home, "queries")
    assert "Version 2.0 or 2.1? Check the signed copy." in queries
    assert 'href="/subjects/S-001/forms/consent?visit=SCR&amp;occurrence=1"' in queries
    assert "Version of the informed consent form" in text_of(queries)  # the item's label
    monitor = login("monitor")
    page = monitor.get("/monitoring?status=open")
    assert "Version 2.0 or 2.1? Check the signed copy." in section(page.text, "queries")
    closed = monitor.post(f"/monitoring/queries/{query_id}/close?status=open",
                          data={"note": "confirmed 2.0 on the signed copy"})
    assert closed.status_code == 303
    assert "done=closed" in closed.headers["location"]
    assert list_queries(db, staff["dm"], ctx, status="closed").rows[0].id == query_id
    after = monitor.get(closed.headers["location"]).text
    assert f"Query #{query_id} closed." in text_of(after)
    assert "Version 2.0 or 2.1?" not in section(after, "queries")


def test_the_nurse_cannot_close_a_query_from_monitoring(
        db: Database, staff: Staff, ctx: TrialContext, login: Login) -> None:
    consented_subject(db, staff, ctx)
    query_id = raise_query(db, staff["dm"], ctx, consent_instance(db, staff, ctx),
                           ("", 0, "icf_version"), "Check the version.")
    refused = login("nurse").post(f"/monitoring/queries/{query_id}/close", data={})
    assert refused.status_code == 403
    assert "may not close query" in text_of(section(refused.text, "queries"))
    assert list_queries(db, staff["dm"], ctx, status="open").total == 1


def test_queries_are_paginated(db: Database, staff: Staff, ctx: TrialContext,
                               login: Login) -> None:
    consented_subject(db, staff, ctx)
    instance = consent_instance(db, staff, ctx)
    ids = [raise_query(db, staff["dm"], ctx, instance, ("", 0, "icf_version"), f"Query {n}")
           for n in range(26)]
    monitor = login("monitor")
    first = section(monitor.get("/monitoring?status=open").text, "queries")
    second = section(monitor.get("/monitoring?status=open&page=2").text, "queries")
    assert f"#{ids[0]}<" in first and f"#{ids[25]}<" not in first
    assert f"#{ids[25]}<" in second and f"#{ids[0]}<" not in second
    assert "Page 2 of 2" in text_of(second)


def test_home_shows_the_sae_clock(db: Database, staff: Staff, ctx: TrialContext,
                                  login: Login) -> None:
    consented_subject(db, staff, ctx)
    aware = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=30)
    report_ae(db, staff["nurse"], ctx, "S-001", {"events": [
        {"term": "Pneumonia", "verbatim": "pneumonia", "onset_on": "2026-03-01",
         "grade": "3", "serious": "yes",
         "serious_criteria": ["requires_or_prolongs_hospitalisation"],
         "aware_at": aware.isoformat(), "relationship": "unrelated",
         "action_taken": "dose_not_changed", "outcome": "recovering"},
        {"term": "Fatigue", "verbatim": "tired", "onset_on": "2026-03-01", "grade": "1",
         "serious": "no", "relationship": "possible", "action_taken": "dose_not_changed",
         "outcome": "not_recovered"}]})
    saes = text_of(section(login("nurse").get("/").text, "saes"))
    assert "Pneumonia · grade 3" in saes
    assert "30.0 h" in saes and "Overdue by 6.0 h" in saes
    assert "Fatigue" not in saes  # not serious: no clock


def test_a_changed_form_after_signing_is_a_signature_due(
        db: Database, staff: Staff, ctx: TrialContext, login: Login) -> None:
    from oncotrial.services import sign

    consented_subject(db, staff, ctx)
    instance = consent_instance(db, staff, ctx)
    sign(db, staff["drli"], ctx, "S-001", password=PASSWORD, meaning="Investigator review",
         form_instance_id=instance, username="drli")
    assert "signature invalidated" not in login("drli").get("/").text
    correct_consent(db, staff, ctx, "2.1")
    due = text_of(section(login("drli").get("/").text, "signatures"))
    assert "S-001 · Informed consent · SCR : signature invalidated on" in due
    assert "transcription error" in due


# --------------------------------------------------------------------------- monitoring


def test_sdv_from_the_worklist_marks_the_items_verified(
        db: Database, staff: Staff, ctx: TrialContext, login: Login) -> None:
    consented_subject(db, staff, ctx)
    instance = consent_instance(db, staff, ctx)
    monitor = login("monitor")
    worklist = section(monitor.get("/monitoring").text, "sdv")
    assert "0 / 4" in text_of(worklist)
    assert 'value="|0|icf_version"' in worklist
    one = monitor.post(f"/monitoring/sdv/{instance}",
                       data={"scope": "selected", "item": ["|0|icf_version"]})
    assert one.status_code == 303
    assert load_casebook(db, staff["dm"], ctx, "S-001").forms[0].verified == {
        ("", 0, "icf_version")}
    assert "1 / 4" in text_of(section(monitor.get("/monitoring").text, "sdv"))
    rest = monitor.post(f"/monitoring/sdv/{instance}", data={"scope": "all"})
    assert rest.status_code == 303
    assert "4 items marked source-data verified." in text_of(
        monitor.get(rest.headers["location"]).text)
    assert len(load_casebook(db, staff["dm"], ctx, "S-001").forms[0].verified) == 4
    assert sdv_worklist(db, staff["monitor"], ctx).total == 0


def test_sdv_needs_ticked_items_and_the_monitor_role(
        db: Database, staff: Staff, ctx: TrialContext, login: Login) -> None:
    consented_subject(db, staff, ctx)
    instance = consent_instance(db, staff, ctx)
    nothing = login("monitor").post(f"/monitoring/sdv/{instance}", data={"scope": "selected"})
    assert nothing.status_code == 422
    assert "Tick the items you checked" in text_of(nothing.text)
    refused = login("nurse").post(f"/monitoring/sdv/{instance}", data={"scope": "all"})
    assert refused.status_code == 403
    assert load_casebook(db, staff["dm"], ctx, "S-001").forms[0].verified == frozenset()


def test_database_lock_refuses_saves_and_unlocking_needs_a_reason(
        db: Database, staff: Staff, ctx: TrialContext, login: Login) -> None:
    consented_subject(db, staff, ctx)
    dm, admin = login("dm"), login("admin")
    no_reason = dm.post("/monitoring/database/lock", data={"reason": " "})
    assert no_reason.status_code == 422
    assert "Give a reason" in text_of(section(no_reason.text, "database"))
    locked = dm.post("/monitoring/database/lock", data={"reason": "final analysis"})
    assert locked.status_code == 303
    with pytest.raises(WorkflowError, match="database is locked"):
        correct_consent(db, staff, ctx, "3")
    assert "The database is locked for analysis" in text_of(login("nurse").get("/").text)
    assert dm.post("/monitoring/database/unlock",
                   data={"reason": "late data"}).status_code == 403  # administrators only
    empty = admin.post("/monitoring/database/unlock", data={"reason": ""})
    assert empty.status_code == 422
    assert "Give a reason" in text_of(section(empty.text, "database"))
    assert "Locked on" in text_of(section(admin.get("/admin").text, "database"))
    unlocked = admin.post("/monitoring/database/unlock", data={"reason": "late lab data"})
    assert unlocked.status_code == 303
    assert correct_consent(db, staff, ctx, "3") > 1


def test_casebook_lock_and_unlock_with_a_reason(
        db: Database, staff: Staff, ctx: TrialContext, login: Login) -> None:
    consented_subject(db, staff, ctx)
    dm = login("dm")
    assert dm.post("/monitoring/casebooks/S-001/lock",
                   data={"reason": "review complete"}).status_code == 303
    locks = text_of(section(dm.get("/monitoring").text, "locks"))
    assert "S-001 0 / 1 0 Locked" in locks
    assert dm.post("/monitoring/casebooks/S-001/unlock", data={"reason": ""}).status_code \
        == 422
    with pytest.raises(WorkflowError, match="locked"):
        correct_consent(db, staff, ctx, "3")
    assert dm.post("/monitoring/casebooks/S-001/unlock",
                   data={"reason": "late correction"}).status_code == 303
    assert "S-001 0 / 1 0 Not locked" in text_of(section(dm.get("/monitoring").text, "locks"))


# --------------------------------------------------------------------------- results


def test_results_are_for_the_roles_that_may_export(
        db: Database, staff: Staff, ctx: TrialContext, login: Login) -> None:
    screen_in_example(db, staff, ctx, "S-001")
    enrol(db, staff["drli"], ctx, "S-001", enrolled_on=EXAMPLE_DAY)
    for who in ("stat", "dm", "admin"):
        page = login(who).get("/results")
        assert page.status_code == 200, who
        assert "Objective response rate (ORR)" in page.text
    nurse = login("nurse")
    assert nurse.get("/results").status_code == 403
    assert nurse.get("/results/km/pfs.svg").status_code == 403
    svg = login("stat").get("/results/km/os.svg")
    assert svg.status_code == 200
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in svg.content
    assert login("stat").get("/results?cutoff=2026-02-30").status_code == 422


def test_results_of_the_example_trial_match_the_analysis(
        db: Database, staff: Staff, ctx: TrialContext, login: Login) -> None:
    """The bundled example at cut-off 2026-10-31 (oncotrial.endpoints.analyze_endpoints
    doctest): ORR 1/11 = 9.1 % (95 % CI 0.2-41.3), DCR 9/11 = 81.8 % (48.2-97.7)."""
    load_example_trial(db, ctx, nurse=staff["nurse"], investigator=staff["drli"],
                       today=dt.date(2026, 12, 1))
    stat = login("stat")
    page = text_of(stat.get("/results?cutoff=2026-10-31").text)
    assert "Objective response rate (ORR) Response-evaluable set 1 / 11 9.1 0.2–41.3 " \
           "Clopper-Pearson exact" in page
    assert "Disease control rate (DCR) Response-evaluable set 9 / 11 81.8 48.2–97.7" in page
    assert "Numbers at risk Months 0 3 6 9" in page
    for endpoint in ("pfs", "os"):
        svg = stat.get(f"/results/km/{endpoint}.svg?cutoff=2026-10-31")
        assert svg.status_code == 200
        assert svg.headers["content-type"].startswith("image/svg+xml")
        assert svg.content.lstrip().startswith(b"<?xml") and b"Numbers at risk" in svg.content
    assert stat.get("/results/km/dfs.svg").status_code == 404


# --------------------------------------------------------------------------- administration


def test_admin_creates_an_account_with_a_one_time_password(
        app: FastAPI, db: Database, staff: Staff, login: Login) -> None:
    admin = login("admin")
    missing = admin.post("/admin/users", data={"username": "li.na", "full_name": "Li Na",
                                               "role": "research_coordinator", "site": ""})
    assert missing.status_code == 422
    assert "Choose the site" in text_of(section(missing.text, "new-user"))
    created = admin.post("/admin/users", data={
        "username": "li.na", "full_name": "Li Na", "role": "research_coordinator",
        "site": "HCH", "language": "zh-CN"})
    assert created.status_code == 200
    found = re.search(r'<code class="big">([^<]+)</code>', created.text)
    assert found, "the one-time password is shown"
    password = found.group(1)
    assert "Account li.na created for Li Na." in text_of(created.text)
    assert "Research coordinator · HCH" in text_of(section(created.text, "users"))
    assert password not in admin.get("/admin").text  # shown once only
    browser = TestClient(app, follow_redirects=False)
    token = csrf_of(browser.get("/login").text)
    first = browser.post("/login", data={"username": "li.na", "password": password,
                                         "csrf_token": token, "next": "/"})
    assert first.status_code == 303
    assert first.headers["location"] == "/password"
    assert browser.get("/").headers["location"] == "/password"


def test_grant_and_revoke_need_a_reason(db: Database, staff: Staff, login: Login) -> None:
    admin = login("admin")
    no_reason = admin.post("/admin/roles/grant", data={
        "username": "nurse", "role": "monitor", "site": "HCH", "reason": ""})
    assert no_reason.status_code == 422
    granted = admin.post("/admin/roles/grant", data={
        "username": "nurse", "role": "monitor", "site": "HCH", "reason": "covers SDV"})
    assert granted.status_code == 303
    assert [r.site for r in access_report(db, staff["admin"])
            if r.username == "nurse" and r.role == "monitor"] == ["HCH"]
    revoked = admin.post("/admin/roles/revoke", data={
        "username": "nurse", "role": "monitor", "reason": "cover ended"})
    assert revoked.status_code == 303
    assert all(r.revoked_at for r in access_report(db, staff["admin"])
               if r.username == "nurse" and r.role == "monitor")
    again = admin.post("/admin/roles/revoke", data={
        "username": "nurse", "role": "monitor", "reason": "twice"})
    assert again.status_code == 404
    assert "has no active role" in text_of(section(again.text, "roles"))


def test_sites_are_added_and_a_duplicate_is_refused(login: Login) -> None:
    admin = login("admin")
    added = admin.post("/admin/sites", data={"code": "zzu", "name": "Zhengzhou University"})
    assert added.status_code == 303
    assert "ZZU Zhengzhou University 0" in text_of(section(admin.get("/admin").text, "sites"))
    again = admin.post("/admin/sites", data={"code": "ZZU", "name": "Again"})
    assert again.status_code == 422
    assert "exists already" in text_of(section(again.text, "sites"))


def test_administration_is_for_administrators_only(db: Database, login: Login) -> None:
    for who in ("nurse", "dm", "stat", "drli"):
        assert login(who).get("/admin").status_code == 403, who
    refused = login("nurse").post("/admin/users", data={
        "username": "x.y", "full_name": "X Y", "role": "monitor", "site": "HCH"})
    assert refused.status_code == 403
    assert "x.y" not in login("admin").get("/admin").text


def test_admin_lists_the_assumptions_and_live_sessions(login: Login) -> None:
    login("nurse")
    page = login("admin").get("/admin").text
    assert "Live sessions now: 2" in text_of(page)
    assumptions = text_of(section(page, "assumptions"))
    assert "PN-01" in assumptions and "design.randomised" in assumptions


# --------------------------------------------------------------------------- CSRF, Chinese


def test_a_post_without_the_session_token_is_refused(
        db: Database, staff: Staff, ctx: TrialContext, login: Login) -> None:
    from oncotrial.services.dashboard import database_state

    for who, path, data in (("dm", "/monitoring/database/lock", {"reason": "x"}),
                            ("admin", "/admin/sites", {"code": "AB", "name": "A B"})):
        client = login(who)
        client.headers["X-CSRF-Token"] = "forged"
        refused = client.post(path, data={**data, "csrf_token": "forged"})
        assert refused.status_code == 403, path
        assert "Form expired" in refused.text
    assert database_state(db, staff["admin"], ctx).locked is False
    assert "A B" not in login("admin").get("/admin").text


def _my_strings() -> set[str]:
    files = [(WEB / "pages" / f, "python") for f in
             ("home.py", "monitoring.py", "results.py", "admin.py")]
    files += [(WEB / "templates" / f, "jinja2") for f in
              ("home.html", "monitoring.html", "results.html", "admin.html")]
    found = set()
    for path, method in files:
        for _, message, _, _ in extract_from_file(method, str(path),
                                                  keywords={"_": None, "t": None}):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_the_office_pages_read_in_chinese(db: Database, staff: Staff, ctx: TrialContext,
                                          login: Login) -> None:
    screen_in_example(db, staff, ctx, "S-001")
    enrol(db, staff["drli"], ctx, "S-001", enrolled_on=EXAMPLE_DAY)
    for who in ("nurse", "monitor", "stat", "admin"):
        set_language(db, staff[who], "zh-CN")
    zh = translator("zh-CN")
    zh.missing.clear()
    home = text_of(login("nurse").get("/").text)
    assert "入组进度" in home and "1 / 22" in home and "目标 22 例，已入组 1 例" in home
    assert "已逾期：访视窗口已于" in home and "Enrolment" not in home
    monitoring = text_of(login("monitor").get("/monitoring").text)
    assert "原始数据核查工作清单" in monitoring and "数据库锁定" in monitoring
    results = login("stat")
    assert "客观缓解率（ORR）" in text_of(results.get("/results").text)
    assert "自首次给药起的月数" in results.get("/results/km/pfs.svg").text
    assert "假设与澄清" in text_of(login("admin").get("/admin").text)
    assert zh.missing & _my_strings() == set()
