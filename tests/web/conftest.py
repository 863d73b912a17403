"""Fixtures of the web tests: the application on a migrated database with the staff of
``storekit`` (one account per role), and test clients logged in as each of them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from storekit import BACKENDS, PASSWORD, PG_URL, Staff, make_staff, reset_postgres

from oncotrial.context import TrialContext
from oncotrial.services import Database, load_trial
from oncotrial.store.migrate import upgrade
from oncotrial.web import create_app


@pytest.fixture(scope="session")
def ctx() -> TrialContext:
    return load_trial()


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'web.db'}" if request.param == "sqlite" \
        else reset_postgres(PG_URL)
    database = Database.from_url(url)
    upgrade(database.engine)
    yield database
    database.dispose()


@pytest.fixture
def staff(db: Database) -> Staff:
    return make_staff(db)


@pytest.fixture
def app(db: Database, ctx: TrialContext, staff: Staff) -> FastAPI:
    return create_app(db, ctx)


def csrf_of(html: str) -> str:
    """The CSRF token in a page."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


@pytest.fixture
def login(app: FastAPI) -> Callable[[str], TestClient]:
    """``login("nurse")``: a client logged in through the API as that member of staff, with
    its CSRF token sent on every request (``X-CSRF-Token``)."""

    def _login(username: str) -> TestClient:
        client = TestClient(app, follow_redirects=False)
        response = client.post("/api/v1/session",
                               json={"username": username, "password": PASSWORD})
        assert response.status_code == 200, response.text
        client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        return client

    return _login
