"""Storage fixtures: every storage test runs on SQLite, and on PostgreSQL when
``ONCOTRIAL_TEST_DATABASE_URL`` is set (``.ci/run`` sets it).

``db_url`` gives a fresh, empty database per test: a new SQLite file, or a schema of the
PostgreSQL test database private to the test process, dropped and made again. ``db`` is that
database migrated to the newest revision. ``ctx`` is the bundled NCT06478927 trial with its
forms; ``staff`` one logged-in account per role (:data:`storekit.STAFF`); ``subject`` a
consented patient at site HCH. The helpers behind them live in ``tests/support/storekit.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from storekit import BACKENDS, PG_URL, Staff, consented_subject, make_staff, reset_postgres

from oncotrial.context import TrialContext
from oncotrial.services.database import Database
from oncotrial.services.trial import load_trial
from oncotrial.store.migrate import upgrade


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'trial.db'}"
    return reset_postgres(PG_URL)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database.from_url(db_url)
    upgrade(database.engine)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def ctx() -> TrialContext:
    """The bundled NCT06478927 trial with its forms."""
    return load_trial()


@pytest.fixture
def staff(db: Database) -> Staff:
    return make_staff(db)


@pytest.fixture
def subject(db: Database, staff: Staff, ctx: TrialContext) -> str:
    return consented_subject(db, staff, ctx)
