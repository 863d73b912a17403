"""The subject casebook pages: visit schedule and forms, saving and correcting a form (reason
for change, stale versions), item history from the audit trail, queries, signatures, the
statistician's pseudonymised view, CSRF and site permissions.

Each test drives the pages as a browser would (plain HTML forms, 303 after a POST) and checks
what the database holds afterwards."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from html import unescape
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from jinja2 import Environment, nodes
from sqlalchemy import select
from storekit import EXAMPLE_DAY, VITALS, Staff, screen_in_example

import oncotrial.web
from oncotrial.context import TrialContext
from oncotrial.services import Database, access, enrol, load_casebook
from oncotrial.store.models import Query, Signature, Subject
from oncotrial.web.i18n import catalogue, translator

Login = Callable[[str], TestClient]
CASEBOOK = "/subjects/HCH-001"
VITALS_PAGE = "/subjects/HCH-001/forms/vital_signs?visit=SCR&occurrence=1"
WEB = Path(oncotrial.web.__file__).parent


@pytest.fixture(autouse=True)
def _quick_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 parameters for these tests' accounts (they test pages, not hashing; the
    hashes stay valid argon2id, verified by the same code)."""
    monkeypatch.setattr(access, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024,
                                                          parallelism=1))


@pytest.fixture
def enrolled(db: Database, staff: Staff, ctx: TrialContext) -> str:
    """The example patient screened as S-001 and enrolled as HCH-001."""
    number = screen_in_example(db, staff, ctx, "S-001")
    enrol(db, staff["drli"], ctx, number, enrolled_on=EXAMPLE_DAY)
    return "HCH-001"


def _text(html: str) -> str:
    """The visible text of a page's main part, tags removed, spaces collapsed."""
    main = html[html.find("<main"):]
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", main)))


def _token(client: TestClient) -> str:
    return str(client.headers["X-CSRF-Token"])


def _save(client: TestClient, values: dict[str, str], version: int, reason: str | None = None,
          url: str = VITALS_PAGE):
    data = {"csrf_token": _token(client), "version": str(version), **values}
    if reason is not None:
        data["reason"] = reason
    return client.post(url, data=data)


def _version(html: str) -> int:
    found = re.search(r'name="version" value="(\d+)"', html)
    assert found, "the form page has no version field"
    return int(found.group(1))


def _stored(db: Database, staff: Staff, ctx: TrialContext, item: str) -> str | None:
    book = load_casebook(db, staff["dm"], ctx, "HCH-001")
    form = next(f for f in book.forms if f.form_id == "vital_signs" and f.visit == "SCR")
    entry = form.values.get(("", 0, item))
    return None if entry is None else entry.value


def _saved_vitals(login: Login) -> TestClient:
    nurse = login("nurse")
    response = _save(nurse, VITALS, 0)
    assert response.status_code == 303, _text(response.text)
    return nurse


def test_casebook_shows_the_schedule_and_the_forms_of_an_enrolled_subject(
        login: Login, enrolled: str) -> None:
    response = login("nurse").get(CASEBOOK)
    assert response.status_code == 200
    text = _text(response.text)
    assert "Casebook HCH-001" in text
    assert "S-001" in text and "HCH · Henan Cancer Hospital" in text
    assert "enrolled" in text and "2026-03-02" in text
    # C1D1 is planned on the enrolment day, window days 0 to 7 (stored at enrolment)
    assert re.search(r"C1D1 · Cycle 1 Day 1 \(first dose\) 2026-03-02 2026-03-02 to "
                     r"2026-03-09", text)
    # the screening visit is done: its forms are saved (15 of the 17 scheduled there)
    assert re.search(r"SCR · Screening \S+ 2026-02-02 to 2026-03-02 — done 14 of 17", text)
    # each form of a visit with its state and a link
    assert 'href="/subjects/HCH-001/forms/consent?visit=SCR&amp;occurrence=1"' in response.text
    assert re.search(r"Informed consent saved v\d", text)
    assert "Vital signs not started" in text
    # log forms, and the other pages of the subject
    assert 'href="/subjects/HCH-001/forms/adverse_events"' in response.text
    for page in ("tumour", "labs", "dosing"):
        assert f'href="/subjects/HCH-001/{page}"' in response.text
    # by screening number too
    assert login("nurse").get("/subjects/S-001").status_code == 200


def test_a_change_without_a_reason_is_refused_and_keeps_what_was_typed(
        login: Login, enrolled: str, db: Database, staff: Staff, ctx: TrialContext) -> None:
    nurse = _saved_vitals(login)
    page = nurse.get(VITALS_PAGE)
    version = _version(page.text)
    assert version >= 1 and 'id="reason"' in page.text  # saved before: reason asked for
    response = _save(nurse, {**VITALS, "systolic_bp": "131"}, version)
    assert response.status_code == 422
    assert "say why you change it" in _text(response.text)
    assert re.search(r'id="systolic_bp" name="systolic_bp"[^>]*value="131"', response.text)
    assert 'aria-invalid="true" aria-describedby="reason-help reason-error"' in response.text \
        or 'id="reason-error"' in response.text
    assert _stored(db, staff, ctx, "systolic_bp") == "128"


def test_a_rejected_form_keeps_every_typed_value_with_each_error_beside_its_field(
        login: Login, enrolled: str, db: Database, staff: Staff, ctx: TrialContext) -> None:
    nurse = login("nurse")
    response = _save(nurse, {**VITALS, "systolic_bp": "500", "pulse": "fast"}, 0)
    assert response.status_code == 422
    for name, value in (("systolic_bp", "500"), ("pulse", "fast"), ("weight", "68")):
        assert re.search(rf'id="{name}" name="{name}"[^>]*value="{value}"', response.text)
    for name in ("systolic_bp", "pulse"):
        assert f'<p class="error" id="{name}-error">' in response.text
        assert f'<li><a href="#{name}">' in response.text  # the summary links to the field
    assert '<p class="error" id="weight-error">' not in response.text
    book = load_casebook(db, staff["dm"], ctx, "HCH-001")
    assert [f for f in book.forms if f.form_id == "vital_signs"] == []


def test_a_value_outside_the_expected_range_is_saved_and_its_query_shown(
        login: Login, enrolled: str, db: Database) -> None:
    nurse = login("nurse")
    response = _save(nurse, {**VITALS, "pulse": "150"}, 0)
    assert response.status_code == 303
    assert "queries=1" in response.headers["location"]
    page = nurse.get(response.headers["location"])
    text = _text(page.text)
    assert "1 value(s) outside the expected range raised a query" in text
    with db.sessions() as session:
        query = session.scalars(select(Query)).one()
        assert (query.origin, query.item_ref, query.status) == ("auto", "pulse", "open")
    # the query is shown beside the pulse field, before the next field
    pulse = page.text.index('id="item-pulse"')
    assert page.text.index(f'id="query-{query.id}"', pulse) < page.text.index(
        'id="respiratory_rate"', pulse)
    assert f"Query {query.id} · open · automatic check: {query.text}" in text


def test_a_change_with_a_reason_is_saved_and_the_item_history_shows_it(
        login: Login, enrolled: str, db: Database, staff: Staff, ctx: TrialContext) -> None:
    nurse = _saved_vitals(login)
    version = _version(nurse.get(VITALS_PAGE).text)
    response = _save(nurse, {**VITALS, "systolic_bp": "131"}, version,
                     reason="transcription error, see chart")
    assert response.status_code == 303
    assert "done=saved" in response.headers["location"]
    assert _stored(db, staff, ctx, "systolic_bp") == "131"
    assert "Saved as version" in _text(nurse.get(response.headers["location"]).text)
    history = nurse.get("/subjects/HCH-001/forms/vital_signs/items/systolic_bp/history"
                        "?visit=SCR&occurrence=1")
    assert history.status_code == 200
    rows = re.findall(r"<tr>(.*?)</tr>", history.text, re.S)
    cells = [[_text("<main>" + c).strip() for c in re.findall(r"<td>(.*?)</td>", r, re.S)]
             for r in rows]
    cells = [c for c in cells if c]
    assert cells[0][1:5] == ["Nina Chen (nurse)", "entered", "—", "128 mmHg"]
    assert cells[1][1:6] == ["Nina Chen (nurse)", "changed", "128 mmHg", "131 mmHg",
                             "transcription error, see chart"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d\+00:00", cells[1][0])
    assert cells[1][6] == oncotrial.__version__


def test_a_stale_version_gets_409_and_overwrites_nothing(
        login: Login, enrolled: str, db: Database, staff: Staff, ctx: TrialContext) -> None:
    nurse = _saved_vitals(login)
    opened = _version(nurse.get(VITALS_PAGE).text)
    other = login("drwang")
    assert _save(other, {**VITALS, "pulse": "80"}, opened, reason="source re-read"
                 ).status_code == 303
    response = _save(nurse, {**VITALS, "pulse": "77"}, opened, reason="typo")
    assert response.status_code == 409
    text = _text(response.text)
    assert "Someone else saved this form after you opened it" in text
    assert "Pulse rate 80 bpm 77 bpm" in text  # stored now, then what the nurse typed
    assert re.search(r'id="pulse" name="pulse"[^>]*value="77"', response.text)
    assert _stored(db, staff, ctx, "pulse") == "80"


def test_a_query_is_raised_answered_and_closed_through_the_pages(
        login: Login, enrolled: str, db: Database) -> None:
    _saved_vitals(login)
    monitor = login("monitor")
    raised = monitor.post("/subjects/HCH-001/forms/vital_signs/queries?visit=SCR&occurrence=1",
                          data={"csrf_token": _token(monitor), "item": "systolic_bp",
                                "text": "Chart says 138 mmHg"})
    assert raised.status_code == 303
    assert "done=query_raised" in raised.headers["location"]
    with db.sessions() as session:
        query = session.scalars(select(Query)).one()
        assert (query.item_ref, query.status, query.raised_by) == ("systolic_bp", "open",
                                                                    "monitor")
        query_id = query.id
    nurse = login("nurse")
    page = nurse.get(VITALS_PAGE)
    text = _text(page.text)
    assert f"Query {query_id} · open: Chart says 138 mmHg" in text
    assert "Raised by Mo Zhao (monitor)" in text
    # the answer box is part of the entry form: a correction typed there is not lost
    assert f'name="answer-{query_id}" form="entry"' in page.text
    base = f"/subjects/HCH-001/forms/vital_signs/queries/{query_id}"
    # a research coordinator may not close a query
    assert nurse.post(f"{base}/close?visit=SCR&occurrence=1",
                      data={"csrf_token": _token(nurse)}).status_code == 403
    version = _version(page.text)
    answer = {f"answer-{query_id}": "Chart re-read: 138 is right", "answer_query": query_id}
    # a correction without its reason: refused, the answer typed is kept, nothing answered
    refused = _save(nurse, {**VITALS, "systolic_bp": "138", **answer}, version)
    assert refused.status_code == 422
    assert "Chart re-read: 138 is right</textarea>" in refused.text
    with db.sessions() as session:
        assert session.get(Query, query_id).status == "open"  # type: ignore[union-attr]
    answered = _save(nurse, {**VITALS, "systolic_bp": "138", **answer}, version,
                     reason="query 1: chart re-read")
    assert answered.status_code == 303
    assert "answered=1" in answered.headers["location"]
    dm = login("dm")
    assert "Answer by nurse at" in _text(dm.get(VITALS_PAGE).text)
    closed = dm.post(f"{base}/close?visit=SCR&occurrence=1", data={"csrf_token": _token(dm)})
    assert closed.status_code == 303
    with db.sessions() as session:
        query = session.get(Query, query_id)
        assert query is not None
        assert (query.status, query.answered_by, query.closed_by) == ("closed", "nurse", "dm")
        assert query.answer == "Chart re-read: 138 is right"


def test_answering_a_query_alone_needs_no_reason_for_change(
        login: Login, enrolled: str, db: Database, staff: Staff, ctx: TrialContext) -> None:
    nurse = _saved_vitals(login)
    monitor = login("monitor")
    monitor.post("/subjects/HCH-001/forms/vital_signs/queries?visit=SCR&occurrence=1",
                 data={"csrf_token": _token(monitor), "item": "pulse", "text": "Check"})
    with db.sessions() as session:
        query_id = session.scalars(select(Query.id)).one()
    version = _version(nurse.get(VITALS_PAGE).text)
    # the browser sends the single-unit fields as well (hidden inputs)
    units = {"systolic_bp__unit": "mmHg", "diastolic_bp__unit": "mmHg", "pulse__unit": "bpm",
             "temperature__unit": "°C", "weight__unit": "kg"}
    response = _save(nurse, {**VITALS, **units, f"answer-{query_id}": "Checked: 74 bpm",
                             "answer_query": str(query_id)}, version)
    assert response.status_code == 303
    assert "done=query_answered" in response.headers["location"]
    with db.sessions() as session:
        assert session.get(Query, query_id).status == "answered"  # type: ignore[union-attr]
    book = load_casebook(db, staff["dm"], ctx, "HCH-001")
    assert next(f for f in book.forms if f.form_id == "vital_signs").version == version


def test_an_empty_answer_is_refused_beside_the_query(login: Login, enrolled: str,
                                                     db: Database) -> None:
    _saved_vitals(login)
    monitor = login("monitor")
    monitor.post("/subjects/HCH-001/forms/vital_signs/queries?visit=SCR&occurrence=1",
                 data={"csrf_token": _token(monitor), "item": "pulse", "text": "Check"})
    with db.sessions() as session:
        query_id = session.scalars(select(Query.id)).one()
    nurse = login("nurse")
    response = nurse.post(f"/subjects/HCH-001/forms/vital_signs/queries/{query_id}/answer"
                          "?visit=SCR&occurrence=1",
                          data={"csrf_token": _token(nurse), "answer": "  "})
    assert response.status_code == 422
    assert "Write the answer to the query." in _text(response.text)
    with db.sessions() as session:
        assert session.get(Query, query_id).status == "open"  # type: ignore[union-attr]


def test_sdv_lock_and_unlock_through_the_form_page(
        login: Login, enrolled: str, db: Database, staff: Staff, ctx: TrialContext) -> None:
    nurse = _saved_vitals(login)
    base = "/subjects/HCH-001/forms/vital_signs"
    assert nurse.post(f"{base}/sdv?visit=SCR&occurrence=1",
                      data={"csrf_token": _token(nurse), "item": "pulse"}).status_code == 403
    monitor = login("monitor")
    page = monitor.get(VITALS_PAGE)
    assert 'id="sdv-pulse" name="item" value="pulse" form="sdv-form"' in page.text
    done = monitor.post(f"{base}/sdv?visit=SCR&occurrence=1",
                        data={"csrf_token": _token(monitor), "item": ["pulse", "weight"]})
    assert done.status_code == 303 and "n=2" in done.headers["location"]
    book = load_casebook(db, staff["dm"], ctx, "HCH-001")
    form = next(f for f in book.forms if f.form_id == "vital_signs")
    assert form.verified == {("", 0, "pulse"), ("", 0, "weight")}
    assert "SDV 2 of 6" in _text(nurse.get(VITALS_PAGE).text)
    dm = login("dm")
    assert dm.post(f"{base}/lock?visit=SCR&occurrence=1",
                   data={"csrf_token": _token(dm)}).status_code == 303
    locked = nurse.get(VITALS_PAGE)
    assert "This form is locked" in _text(locked.text)
    assert 'name="version"' not in locked.text  # no entry form while locked
    refused = _save(nurse, {**VITALS, "pulse": "90"}, form.version, reason="late correction")
    assert refused.status_code == 409 and "is locked" in _text(refused.text)
    no_reason = dm.post(f"{base}/unlock?visit=SCR&occurrence=1",
                        data={"csrf_token": _token(dm), "reason": ""})
    assert no_reason.status_code == 422
    assert "A reason is needed" in _text(no_reason.text)
    assert dm.post(f"{base}/unlock?visit=SCR&occurrence=1",
                   data={"csrf_token": _token(dm), "reason": "query on pulse"}
                   ).status_code == 303
    assert _stored(db, staff, ctx, "pulse") == "74"
    assert 'name="version"' in nurse.get(VITALS_PAGE).text


def test_the_date_of_a_visit_is_recorded_from_the_schedule(login: Login, enrolled: str
                                                          ) -> None:
    nurse = login("nurse")
    bad = nurse.post(f"{CASEBOOK}/visits/C1D1?occurrence=1",
                     data={"csrf_token": _token(nurse), "actual_on": "3/3/2026"})
    assert bad.status_code == 422
    assert "YYYY-MM-DD" in _text(bad.text) and 'value="3/3/2026"' in bad.text
    done = nurse.post(f"{CASEBOOK}/visits/C1D1?occurrence=1",
                      data={"csrf_token": _token(nurse), "actual_on": "2026-03-03"})
    assert done.status_code == 303
    text = _text(nurse.get(done.headers["location"]).text)
    assert "The visit date was recorded." in text
    assert re.search(r"C1D1 · Cycle 1 Day 1 \(first dose\) 2026-03-02 2026-03-02 to "
                     r"2026-03-09 2026-03-03 done", text)
    # the first dose is known now: the first tumour assessment has its window (day 49-63)
    assert re.search(r"TA · Tumour assessment 2026-04-28 2026-04-21 to 2026-05-05", text)
    # an unscheduled visit is added with its date, and its forms can be entered
    extra = nurse.post(f"{CASEBOOK}/visits/UNS?occurrence=1",
                       data={"csrf_token": _token(nurse), "actual_on": "2026-03-20"})
    assert extra.status_code == 303
    page = nurse.get(CASEBOOK)
    assert re.search(r"UNS · Unscheduled visit — — 2026-03-20 done", _text(page.text))
    assert 'href="/subjects/HCH-001/forms/vital_signs?visit=UNS&amp;occurrence=1"' in page.text
    assert "/visits/UNS?occurrence=2" in page.text


def test_signing_shows_name_time_meaning_and_a_later_change_invalidates(
        login: Login, enrolled: str, db: Database) -> None:
    investigator = login("drli")
    first = investigator.post(f"{CASEBOOK}/sign", data={
        "csrf_token": _token(investigator), "username": "drli",
        "password": "correct horse 42 battery", "meaning": "Casebook reviewed and approved"})
    assert first.status_code == 303, _text(first.text)
    text = _text(investigator.get(CASEBOOK).text)
    assert re.search(r"Li Wei \d{4}-\d\d-\d\dT\d\d:\d\d\+00:00 Casebook reviewed and "
                     r"approved whole casebook valid", text)
    # the session has signed: the next signing needs the password only
    page = investigator.get("/subjects/HCH-001/forms/consent?visit=SCR&occurrence=1")
    assert 'name="username"' not in page.text.split('id="sign"')[1]
    second = investigator.post("/subjects/HCH-001/forms/consent/sign?visit=SCR&occurrence=1",
                               data={"csrf_token": _token(investigator),
                                     "password": "correct horse 42 battery",
                                     "meaning": "Consent form approved"})
    assert second.status_code == 303, _text(second.text)
    # a wrong password is refused beside the signing form
    wrong = investigator.post(f"{CASEBOOK}/sign", data={
        "csrf_token": _token(investigator), "password": "nope", "meaning": "again"})
    assert wrong.status_code == 401
    assert "Signing failed" in _text(wrong.text)
    # a later change of the data invalidates the casebook signature, visibly
    _saved_vitals(login)
    text = _text(investigator.get(CASEBOOK).text)
    assert re.search(r"Li Wei \S+ Casebook reviewed and approved whole casebook invalidated "
                     r"at \S+: Vital signs changed", text)
    with db.sessions() as session:
        sigs = session.scalars(select(Signature).order_by(Signature.id)).all()
        assert [s.invalidated_at is None for s in sigs] == [False, True]


def test_a_statistician_sees_the_pseudonym_only(
        login: Login, enrolled: str, db: Database, staff: Staff, ctx: TrialContext) -> None:
    pseudonym = load_casebook(db, staff["stat"], ctx, "HCH-001").subject
    stat = login("stat")
    moved = stat.get(CASEBOOK)
    assert moved.status_code == 303
    assert moved.headers["location"] == f"/subjects/{pseudonym}"
    for url in (f"/subjects/{pseudonym}",
                f"/subjects/{pseudonym}/forms/demographics?visit=SCR&occurrence=1"):
        response = stat.get(url)
        assert response.status_code == 200
        assert pseudonym in response.text
        for identifier in ("HCH-001", "S-001", "Zhang", "ZS", "Henan Cancer Hospital"):
            assert identifier not in response.text, (url, identifier)
    assert stat.get(f"/subjects/{pseudonym}/forms/demographics/items/sex/history"
                    "?visit=SCR&occurrence=1").status_code == 403


def test_a_post_without_the_csrf_token_is_refused(
        login: Login, enrolled: str, db: Database, staff: Staff, ctx: TrialContext) -> None:
    nurse = login("nurse")
    del nurse.headers["X-CSRF-Token"]
    response = nurse.post(VITALS_PAGE, data={"version": "0", **VITALS})
    assert response.status_code == 403
    with db.sessions() as session:
        assert session.scalar(select(Subject.status)) == "enrolled"
    book = load_casebook(db, staff["dm"], ctx, "HCH-001")
    assert [f for f in book.forms if f.form_id == "vital_signs"] == []
    assert nurse.post(f"{CASEBOOK}/sign", data={"password": "x", "meaning": "y"}
                      ).status_code == 403


def test_another_sites_investigator_gets_403(login: Login, enrolled: str,
                                            db: Database) -> None:
    _saved_vitals(login)
    other = login("other")
    assert other.get(CASEBOOK).status_code == 403
    assert other.get(VITALS_PAGE).status_code == 403
    response = other.post("/subjects/HCH-001/forms/vital_signs/queries?visit=SCR&occurrence=1",
                          data={"csrf_token": _token(other), "item": "pulse", "text": "x"})
    assert response.status_code == 403
    with db.sessions() as session:
        assert session.scalars(select(Query)).all() == []


# --------------------------------------------------------------------------- translations


def _my_strings() -> set[str]:
    """The strings of the casebook module and templates, as ``_()`` / ``t()`` calls."""
    found: set[str] = set()
    tree = ast.parse((WEB / "pages" / "casebook.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in ("t", "_") and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)):
            found.add(node.args[0].value)
    env = Environment()
    for name in ("casebook.html", "casebook_macros.html", "form_edit.html",
                 "item_history.html"):
        template = env.parse((WEB / "templates" / name).read_text(encoding="utf-8"))
        found |= {n.args[0].value for n in template.find_all(nodes.Call)
                  if isinstance(n.node, nodes.Name) and n.node.name == "_" and n.args
                  and isinstance(n.args[0], nodes.Const) and isinstance(n.args[0].value, str)}
    return found


def test_every_casebook_string_has_a_chinese_translation() -> None:
    zh = catalogue("zh-CN", "messages")
    assert zh is not None
    strings = _my_strings()
    assert {"Visit schedule", "Reason for change", "History of {item}"} <= strings
    missing = sorted(s for s in strings if zh.get(s) is None or not zh.get(s).string)
    assert missing == []


def test_the_casebook_pages_in_chinese_leave_nothing_untranslated(
        login: Login, enrolled: str, ctx: TrialContext) -> None:
    """Rendered in Chinese, the pages ask for no string the catalogues lack (visit names of
    the protocol included)."""
    nurse = _saved_vitals(login)
    zh = translator("zh-CN")
    zh.missing.clear()
    for url in (CASEBOOK, VITALS_PAGE, "/subjects/HCH-001/forms/vital_signs/items/pulse/"
                "history?visit=SCR&occurrence=1"):
        sep = "&" if "?" in url else "?"
        response = nurse.get(f"{url}{sep}lang=zh-CN")
        assert response.status_code == 200
        assert "访视" in response.text or "修改历史" in response.text
    assert zh.missing & (_my_strings() | {v.name for v in ctx.protocol.visits}) == set()
