"""Who may call which endpoint of the API: every endpoint x every member of staff.

The staff are storekit's STAFF: admin (administrator, every site), drli (investigator, HCH),
drwang (sub-investigator, HCH), nurse (research coordinator, HCH), dm (data manager, HCH),
monitor (HCH), stat (statistician, every site) and other (investigator at site OTH). The
subjects are at HCH. A role that may not is refused with 403 ``permission_denied``; so is
``other`` for an HCH subject: a subject of another site is 403, not 404, as the services refuse
it (docs/web-api.md). Lists (subjects, queries) answer 200 to everyone, holding only what the
caller may see. Every endpoint is 401 without a log-in, and every POST, PUT and DELETE is 403
without the X-CSRF-Token header.

One database per back end for the whole file (the table is long); each call gets its own
target where a success would change what the next role meets (a fresh query to close, the
form unlocked before it is locked again...).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select
from storekit import (
    BACKENDS,
    EXAMPLE_DAY,
    PASSWORD,
    PG_URL,
    STAFF,
    VITALS,
    Staff,
    consented_subject,
    make_staff,
    reset_postgres,
    screen_in_example,
)

from oncotrial.context import TrialContext
from oncotrial.services import (
    Database,
    access,
    create_user,
    grant_role,
    lock_casebook,
    lock_database,
    lock_form,
    raise_query,
    save_form,
    unlock_casebook,
    unlock_database,
    unlock_form,
)
from oncotrial.services.api import form_values
from oncotrial.store.migrate import upgrade
from oncotrial.store.models import AppUser, FormInstance, RoleGrant, Subject, TrialState
from oncotrial.web import create_app

ROLES = tuple(STAFF)  # admin, drli, drwang, nurse, dm, monitor, stat, other
EVERYONE = frozenset(ROLES)
VIEW = frozenset({"admin", "drli", "drwang", "nurse", "dm", "monitor"})  # view at HCH
SEE = VIEW | {"stat"}  # view, or the pseudonymised view
ENTER = frozenset({"drli", "drwang", "nurse"})  # enter_data, screen, register, answer_query
EXPORT = frozenset({"admin", "drli", "dm", "stat", "other"})  # export (other: at OTH)
ADMIN = frozenset({"admin"})


@dataclass
class World:
    """The database, the staff logged in (one client each) and the targets."""

    db: Database
    ctx: TrialContext
    staff: Staff
    clients: dict[str, TestClient]
    anonymous: TestClient
    ids: dict[str, Any] = field(default_factory=dict)

    def instance(self, subject: str, form_id: str) -> int:
        with self.db.sessions() as session:
            found = session.scalar(select(FormInstance.id).join(
                Subject, Subject.id == FormInstance.subject_pk).where(
                Subject.screening_number == subject, FormInstance.form_id == form_id))
            assert found is not None
            return found

    def form_locked(self, instance: int, locked: bool) -> None:
        with self.db.sessions() as session:
            row = session.get(FormInstance, instance)
            assert row is not None
            now = row.locked
        if now != locked:
            (lock_form if locked else unlock_form)(self.db, self.staff["dm"], self.ctx, instance,
                                                   "test set-up")

    def casebook_locked(self, subject: str, locked: bool) -> None:
        with self.db.sessions() as session:
            now = session.scalar(select(Subject.casebook_locked).where(
                Subject.screening_number == subject))
        if now != locked:
            (lock_casebook if locked else unlock_casebook)(self.db, self.staff["dm"], self.ctx,
                                                           subject, "test set-up")

    def database_locked(self, locked: bool) -> None:
        with self.db.sessions() as session:
            now = bool(session.scalar(select(TrialState.database_locked)))
        if now != locked and locked:
            lock_database(self.db, self.staff["dm"], self.ctx, "test set-up")
        elif now != locked:
            unlock_database(self.db, self.staff["admin"], self.ctx, "test set-up")


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[World]:
    """HCH subjects: S-001 (consent and vital signs, a query on the pulse), W-001 (to
    withdraw), G-001 (to sign), L-001 (form locks), K-001 (casebook lock); an account
    ``spare`` without roles; every member of staff logged in."""
    with pytest.MonkeyPatch.context() as patch:
        # argon2 at its cheapest for the test accounts (each hash carries its parameters):
        # these tests are about who may call what, not the hash cost.
        patch.setattr(access, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024,
                                                        parallelism=1))
        folder: Path = tmp_path_factory.mktemp("permissions")
        url = f"sqlite:///{folder / 'web.db'}" if request.param == "sqlite" \
            else reset_postgres(PG_URL)
        db = Database.from_url(url)
        upgrade(db.engine)
        from oncotrial.services import load_trial

        ctx = load_trial()
        staff = make_staff(db)
        for number in ("S-001", "W-001", "G-001", "L-001", "K-001"):
            consented_subject(db, staff, ctx, number)
        for number in ("S-001", "L-001"):
            save_form(db, staff["nurse"], ctx, number, "vital_signs", VITALS, visit="SCR")
        create_user(db, staff["admin"], "spare", "Spare Person", PASSWORD, {})
        app = create_app(db, ctx)
        clients = {}
        for name in ROLES:
            client = TestClient(app, follow_redirects=False)
            response = client.post("/api/v1/session",
                                   json={"username": name, "password": PASSWORD})
            assert response.status_code == 200, response.text
            client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
            clients[name] = client
        result = World(db, ctx, staff, clients, TestClient(app, follow_redirects=False))
        vitals = result.instance("S-001", "vital_signs")
        result.ids.update(
            vitals=vitals, consent_g=result.instance("G-001", "consent"),
            lock_form=result.instance("L-001", "vital_signs"),
            query=raise_query(db, staff["dm"], ctx, vitals, ("", 0, "pulse"), "check pulse"))
        yield result
        db.dispose()


Request = tuple[str, str, dict[str, Any] | None]


@dataclass(frozen=True)
class Case:
    """One endpoint: the request for a role (after putting the target in the state a success
    needs), who may, and the success status."""

    name: str
    method: str
    path: str
    allowed: frozenset[str]
    body: dict[str, Any] | None = None
    ok: int = 200
    prepare: Callable[[World, str], dict[str, Any]] | None = None

    def request(self, world: World, role: str) -> Request:
        values = dict(world.ids)
        body = self.body
        if self.prepare is not None:
            values.update(self.prepare(world, role))
            body = values.pop("body", body)
        return self.method, self.path.format(**values), body


_SERIAL = itertools.count(1)


def _register(world: World, role: str) -> dict[str, Any]:
    return {"body": {"site": "HCH", "screening_number": f"R-{next(_SERIAL)}"}}


def _eligible(world: World, role: str) -> dict[str, Any]:
    """An eligible subject: a new one for each role that may enrol, one shared by the others
    (an administrator may only enrol beyond the target, so is refused after the eligibility
    check)."""
    if role not in ("drli", "drwang"):
        if "eligible" not in world.ids:
            world.ids["eligible"] = screen_in_example(world.db, world.staff, world.ctx, "E-0")
        return {"subject": world.ids["eligible"]}
    number = f"E-{next(_SERIAL)}"
    screen_in_example(world.db, world.staff, world.ctx, number)
    return {"subject": number}


def _correction(world: World, role: str) -> dict[str, Any]:
    stored = form_values(world.db, world.staff["admin"], world.ctx, "S-001", "vital_signs",
                         visit="SCR")
    pulse = 60 + ROLES.index(role)
    return {"body": {"values": {**VITALS, "pulse": str(pulse)},
                     "expected_version": stored.version, "reason": f"corrected by {role}"}}


def _fresh_query(world: World, role: str) -> dict[str, Any]:
    return {"fresh": raise_query(world.db, world.staff["dm"], world.ctx, world.ids["vitals"],
                                 ("", 0, "pulse"), f"for {role} to close")}


def _form_unlocked(world: World, role: str) -> dict[str, Any]:
    world.form_locked(world.ids["lock_form"], False)
    return {}


def _form_locked(world: World, role: str) -> dict[str, Any]:
    world.form_locked(world.ids["lock_form"], True)
    return {}


def _casebook_unlocked(world: World, role: str) -> dict[str, Any]:
    world.casebook_locked("K-001", False)
    return {}


def _casebook_locked(world: World, role: str) -> dict[str, Any]:
    world.casebook_locked("K-001", True)
    return {}


def _database_unlocked(world: World, role: str) -> dict[str, Any]:
    world.database_locked(False)
    return {}


def _database_locked(world: World, role: str) -> dict[str, Any]:
    world.database_locked(True)
    return {}


def _new_user(world: World, role: str) -> dict[str, Any]:
    return {"body": {"username": f"u-{next(_SERIAL)}", "full_name": f"User of {role}"}}


def _spare_has_monitor(world: World, role: str) -> dict[str, Any]:
    with world.db.sessions() as session:
        held = session.scalar(select(RoleGrant.id).join(AppUser, AppUser.id == RoleGrant.user_id)
                              .where(AppUser.username == "spare", RoleGrant.role == "monitor",
                                     RoleGrant.revoked_at.is_(None)))
    if held is None:
        grant_role(world.db, world.staff["admin"], "spare", "monitor", "HCH", "test set-up")
    return {}


def _signer(world: World, role: str) -> dict[str, Any]:
    return {"body": {"password": PASSWORD, "meaning": f"Reviewed by {role}", "username": role,
                     "form_instance_id": world.ids["consent_g"]}}


def _casebook_signer(world: World, role: str) -> dict[str, Any]:
    return {"body": {"password": PASSWORD, "meaning": "Casebook approved", "username": role}}


FORM = "/api/v1/subjects/S-001/forms/vital_signs?visit=SCR"

CASES = [
    Case("list subjects", "GET", "/api/v1/subjects", EVERYONE),
    Case("register", "POST", "/api/v1/subjects", ENTER, ok=201, prepare=_register),
    Case("subject summary", "GET", "/api/v1/subjects/S-001", SEE),
    Case("screen", "POST", "/api/v1/subjects/S-001/screening", ENTER,
         {"on": EXAMPLE_DAY.isoformat()}),
    Case("enrol", "POST", "/api/v1/subjects/{subject}/enrolment", frozenset({"drli", "drwang"}),
         {"enrolled_on": EXAMPLE_DAY.isoformat()}, ok=201, prepare=_eligible),
    Case("record visit", "POST", "/api/v1/subjects/S-001/visits", ENTER,
         {"code": "SCR", "actual_on": "2026-02-27"}),
    Case("withdraw", "POST", "/api/v1/subjects/W-001/withdrawal",
         frozenset({"drli", "drwang"}), {"reason": "consent withdrawn"}),
    Case("close out", "POST", "/api/v1/subjects/W-001/close-out",
         frozenset({"drli", "drwang"}), {"reason": "off study"}),
    Case("casebook", "GET", "/api/v1/subjects/S-001/casebook", SEE),
    Case("read form", "GET", FORM, SEE),
    Case("save form", "PUT", FORM, ENTER, prepare=_correction),
    Case("item history", "GET",
         "/api/v1/subjects/S-001/forms/vital_signs/history?visit=SCR&item=pulse", VIEW),
    Case("list queries", "GET", "/api/v1/queries", EVERYONE),
    Case("raise query", "POST", "/api/v1/queries", frozenset({"drli", "drwang", "dm", "monitor"}),
         {"form_instance_id": "{vitals}", "item": "pulse", "text": "check"}, ok=201),
    Case("read query", "GET", "/api/v1/queries/{query}", VIEW),
    Case("answer query", "POST", "/api/v1/queries/{query}/answer", ENTER,
         {"answer": "checked against the source"}),
    Case("close query", "POST", "/api/v1/queries/{fresh}/close", frozenset({"dm", "monitor"}),
         {"note": "resolved"}, prepare=_fresh_query),
    Case("sdv", "POST", "/api/v1/forms/{vitals}/sdv", frozenset({"monitor"}), {}),
    Case("sign form", "POST", "/api/v1/subjects/G-001/signatures",
         frozenset({"drli", "drwang"}), ok=201, prepare=_signer),
    Case("sign casebook", "POST", "/api/v1/subjects/G-001/signatures", frozenset({"drli"}),
         ok=201, prepare=_casebook_signer),
    Case("list signatures", "GET", "/api/v1/subjects/G-001/signatures", VIEW),
    Case("lock form", "POST", "/api/v1/forms/{lock_form}/lock", frozenset({"dm"}), {},
         prepare=_form_unlocked),
    Case("unlock form", "DELETE", "/api/v1/forms/{lock_form}/lock?reason=reopened",
         frozenset({"dm"}), prepare=_form_locked),
    Case("lock casebook", "POST", "/api/v1/subjects/K-001/lock", frozenset({"dm"}), {},
         prepare=_casebook_unlocked),
    Case("unlock casebook", "DELETE", "/api/v1/subjects/K-001/lock?reason=reopened",
         frozenset({"dm"}), prepare=_casebook_locked),
    Case("lock database", "POST", "/api/v1/database/lock", frozenset({"dm"}),
         {"reason": "final analysis"}, prepare=_database_unlocked),
    Case("unlock database", "DELETE", "/api/v1/database/lock?reason=late%20data", ADMIN,
         prepare=_database_locked),
    Case("results", "GET", "/api/v1/results", EXPORT),
    Case("export", "GET", "/api/v1/export", EXPORT),
    Case("list users", "GET", "/api/v1/users", ADMIN),
    Case("create user", "POST", "/api/v1/users", ADMIN, ok=201, prepare=_new_user),
    Case("grant role", "POST", "/api/v1/users/spare/roles", ADMIN,
         {"role": "monitor", "site": "HCH", "reason": "cover"}),
    Case("revoke role", "DELETE", "/api/v1/users/spare/roles/monitor?reason=cover%20ended",
         ADMIN, prepare=_spare_has_monitor),
    Case("access report", "GET", "/api/v1/access-report", ADMIN),
    Case("codes", "GET", "/api/v1/codes?lang=zh-CN", EVERYONE),
]


def _filled(body: dict[str, Any] | None, ids: dict[str, Any]) -> dict[str, Any] | None:
    """The body with ``"{name}"`` values replaced by the world's ids."""
    if body is None:
        return None
    return {k: ids[v[1:-1]] if isinstance(v, str) and v.startswith("{") else v
            for k, v in body.items()}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_role_is_allowed_or_refused(world: World, case: Case) -> None:
    """Every member of staff calls the endpoint: those allowed get the success status, the
    others 403 permission_denied."""
    failures = []
    try:
        for role in ROLES:
            method, path, body = case.request(world, role)
            response = world.clients[role].request(method, path,
                                                   json=_filled(body, world.ids))
            expected = case.ok if role in case.allowed else 403
            if response.status_code != expected:
                failures.append(f"{role}: {method} {path} -> {response.status_code}, expected "
                                f"{expected}: {response.text[:300]}")
            elif expected == 403 and response.json()["code"] != "permission_denied":
                failures.append(f"{role}: 403 for the wrong reason: {response.text[:300]}")
    finally:
        world.database_locked(False)
    assert not failures, "\n".join(failures)


def test_the_table_covers_every_operation(world: World) -> None:
    """Each operation of the API description (but log-in) has a row in the table."""
    spec = world.anonymous.get("/api/v1/openapi.json").json()
    described = {(method.upper(), path) for path, ops in spec["paths"].items()
                 for method in ops if not path.startswith("/api/v1/session")}

    def template(case: Case) -> tuple[str, str]:
        path = case.path.split("?")[0]
        for name, param in (("{subject}", "{ref}"), ("S-001", "{ref}"), ("W-001", "{ref}"),
                            ("G-001", "{ref}"), ("K-001", "{ref}"), ("vital_signs", "{form_id}"),
                            ("{vitals}", "{instance_id}"), ("{lock_form}", "{instance_id}"),
                            ("{query}", "{query_id}"), ("{fresh}", "{query_id}"),
                            ("spare", "{username}"), ("/monitor", "/{role}")):
            path = path.replace(name, param)
        return case.method, path

    assert {template(c) for c in CASES} == described


def test_lists_hold_only_the_callers_site(world: World) -> None:
    """The investigator of another site gets 200 with none of HCH's subjects or queries."""
    other = world.clients["other"]
    assert other.get("/api/v1/subjects").json() == []
    assert other.get("/api/v1/queries").json()["total"] == 0
    assert world.clients["nurse"].get("/api/v1/queries").json()["total"] >= 1


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_without_log_in_every_endpoint_is_401(world: World, case: Case) -> None:
    """No session cookie: 401 login_required, before the body is even read."""
    method, path, body = case.request(world, "admin")
    response = world.anonymous.request(method, path, json=_filled(body, world.ids))
    world.database_locked(False)
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "login_required"


UNSAFE = [c for c in CASES if c.method != "GET"]


@pytest.mark.parametrize("case", UNSAFE, ids=[c.name for c in UNSAFE])
def test_without_the_csrf_header_every_change_is_403(world: World, case: Case) -> None:
    """A logged-in caller without X-CSRF-Token: 403 csrf_failed, nothing done."""
    role = next(iter(sorted(case.allowed)))
    method, path, body = case.request(world, role)
    client = world.clients[role]
    token = client.headers.pop("X-CSRF-Token")
    try:
        response = client.request(method, path, json=_filled(body, world.ids))
        wrong = client.request(method, path, json=_filled(body, world.ids),
                               headers={"X-CSRF-Token": "not-the-token"})
    finally:
        client.headers["X-CSRF-Token"] = token
        world.database_locked(False)
    for answer in (response, wrong):
        assert answer.status_code == 403, answer.text
        assert answer.json()["code"] == "csrf_failed"
