"""Schemathesis against the application's own OpenAPI description: requests generated from
the description of every operation of /api/v1 (its examples, valid data and invalid data),
sent by a logged-in investigator (session cookie and X-CSRF-Token), find no server error (5xx).

The database holds the staff and a consented subject S-001 with its vital signs, so that the
description's examples (S-001, vital_signs, SCR) reach real rows. Deterministic (hypothesis
derandomized) and kept short with a few examples per operation. The operations are listed
from the description at collection (one test each); schemathesis's own pytest loader
(``from_fixture``) does not run under pytest 9, so each test drives hypothesis itself with
the operation's strategies.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from storekit import (
    BACKENDS,
    PASSWORD,
    PG_URL,
    VITALS,
    consented_subject,
    make_staff,
    reset_postgres,
)

from oncotrial.services import Database, access, load_trial, save_form
from oncotrial.store.migrate import upgrade
from oncotrial.web import create_app

#: Generated examples per operation and generation mode (valid, invalid), besides the
#: description's own examples; ONCOTRIAL_SCHEMATHESIS_EXAMPLES=200 for a longer hunt.
MAX_EXAMPLES = int(os.environ.get("ONCOTRIAL_SCHEMATHESIS_EXAMPLES", "8"))


def _labels() -> list[str]:
    """The operations of the API description (the app is not connected to a database for
    this: only its description is read)."""
    app = create_app(Database.from_url("sqlite://"), load_trial())
    described = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    return [result.ok().label for result in described.get_all_operations()]


LABELS = _labels()


@dataclass
class Api:
    """The description loaded by schemathesis, the app, and how many requests were sent."""

    schema: Any
    app: Any
    sessions: dict[str, tuple[dict[str, str], dict[str, str]]] = field(default_factory=dict)
    calls: int = 0

    def login(self, username: str) -> tuple[dict[str, str], dict[str, str]]:
        """A new session of ``username``: its cookies and the X-CSRF-Token header."""
        client = TestClient(self.app)
        me = client.post("/api/v1/session", json={"username": username, "password": PASSWORD})
        assert me.status_code == 200, me.text
        return dict(client.cookies), {"X-CSRF-Token": me.json()["csrf_token"]}


@pytest.fixture(scope="module", params=BACKENDS)
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[Api]:
    """The app on a fresh database with a consented subject; an investigator and a
    statistician logged in."""
    with pytest.MonkeyPatch.context() as patch:
        # argon2 at its cheapest for the test accounts (each hash carries its parameters).
        patch.setattr(access, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024,
                                                        parallelism=1))
        folder: Path = tmp_path_factory.mktemp("schemathesis")
        url = f"sqlite:///{folder / 'web.db'}" if request.param == "sqlite" \
            else reset_postgres(PG_URL)
        db = Database.from_url(url)
        upgrade(db.engine)
        ctx = load_trial()
        staff = make_staff(db)
        consented_subject(db, staff, ctx)
        save_form(db, staff["nurse"], ctx, "S-001", "vital_signs", VITALS, visit="SCR")
        app = create_app(db, ctx)
        api = Api(schemathesis.openapi.from_asgi("/api/v1/openapi.json", app), app)
        # Logged in before anything runs: generated signings and password changes with wrong
        # passwords lock the accounts (as they should), which ends log-ins, not sessions.
        api.sessions = {name: api.login(name) for name in ("drli", "stat")}
        yield api
        db.dispose()


def test_every_operation_is_tested(api: Api) -> None:
    """The list made at collection is the description the app serves (nothing missed)."""
    assert sorted(r.ok().label for r in api.schema.get_all_operations()) == sorted(LABELS)
    assert len(LABELS) >= 38


@pytest.mark.parametrize("label", LABELS)
def test_no_server_error(api: Api, label: str) -> None:
    """Whatever request the description allows (or nearly allows), the answer is not 5xx."""
    operation = api.schema.find_operation_by_label(label)
    assert operation is not None
    # The session's own operations (log-out, password change) get a session of their own,
    # so that they cannot end the investigator's.
    user = "stat" if operation.path.startswith("/api/v1/session") else "drli"
    cookies, headers = api.sessions[user]

    def call(case: Any) -> None:
        api.calls += 1
        case.call_and_validate(cookies=cookies, headers=dict(headers),
                               checks=[not_a_server_error])

    before = api.calls
    runs = [(s, False) for s in operation.get_strategies_from_examples()]
    runs += [(operation.as_strategy(GenerationMode.POSITIVE), False),
             (operation.as_strategy(GenerationMode.NEGATIVE), True)]
    for strategy, may_be_empty in runs:
        run = given(case=strategy)(call)
        try:
            settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None,
                     database=None, suppress_health_check=list(HealthCheck))(run)()
        except Unsatisfiable:
            if not may_be_empty:  # nothing invalid to send (no parameters, no body)
                raise
    assert api.calls > before  # requests were sent
    print(f"{label}: {api.calls - before} requests")
