"""Helpers of the storage tests, importable from any test (``pytest`` puts tests/support on
``sys.path``): the test database URLs, one account per role, a consented subject, and the
bundled example patient entered on the screening forms."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

import pytest

from oncotrial.context import TrialContext
from oncotrial.services import (
    Actor,
    Database,
    add_site,
    authenticate,
    create_user,
    demo,
    register_subject,
    save_form,
)
from oncotrial.store.db import make_engine

PG_URL = os.environ.get("ONCOTRIAL_TEST_DATABASE_URL", "")
BACKENDS = [
    "sqlite",
    pytest.param("postgresql", marks=[
        pytest.mark.postgres,
        pytest.mark.skipif(not PG_URL, reason="PostgreSQL storage tests need "
                           "ONCOTRIAL_TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@"
                           "127.0.0.1:5432/test); .ci/run sets it"),
    ]),
]

PASSWORD = "correct horse 42 battery"


def reset_postgres(url: str, schema: str | None = None) -> str:
    """Drop and recreate a schema of the test database, private to this test process (so that
    parallel runs do not meet); return the URL whose connections use it."""
    schema = schema or f"oncotrial_test_{os.getpid()}"
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    engine.dispose()
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


#: One account per role, all at site HCH (the administrator and statistician at every site).
STAFF = {
    "admin": ("Ada Admin", "administrator", None),
    "drli": ("Li Wei", "investigator", "HCH"),
    "drwang": ("Wang Fang", "sub_investigator", "HCH"),
    "nurse": ("Nina Chen", "research_coordinator", "HCH"),
    "dm": ("Dana Liu", "data_manager", "HCH"),
    "monitor": ("Mo Zhao", "monitor", "HCH"),
    "stat": ("Stan Sun", "statistician", None),
    "other": ("Olga Other", "investigator", "OTH"),
}
SCREENING_DAY = dt.date(2026, 3, 2)


@dataclass
class Staff:
    """The logged-in actors of :data:`STAFF`, by user name."""

    actors: dict[str, Actor]

    def __getitem__(self, name: str) -> Actor:
        return self.actors[name]


def make_staff(db: Database) -> Staff:
    """Sites HCH and OTH and one account per role; every account logged in."""
    add_site(db, None, "HCH", "Henan Cancer Hospital")
    add_site(db, None, "OTH", "Other Hospital")
    create_user(db, None, "admin", "Ada Admin", PASSWORD, {"administrator": None})
    admin = authenticate(db, "admin", PASSWORD).actor
    for name, (full, role, site) in STAFF.items():
        if name != "admin":
            create_user(db, admin, name, full, PASSWORD, {role: site})
    return Staff({name: authenticate(db, name, PASSWORD).actor for name in STAFF})


CONSENT = {"icf_version": "2.0", "consent_date": "2026-02-20", "consent_obtained_by": "Dr Li",
           "copy_given": "yes"}
VITALS = {"assessed_on": "2026-02-27", "systolic_bp": "128", "diastolic_bp": "82",
          "pulse": "74", "temperature": "36.6", "weight": "68"}


def consented_subject(db: Database, staff: Staff, ctx: TrialContext,
                      number: str = "S-001", site: str = "HCH") -> str:
    """Register a patient and save the consent form; return the screening number."""
    nurse = staff["nurse"] if site == "HCH" else staff["other"]
    register_subject(db, nurse, ctx, site=site, screening_number=number,
                     full_name="Zhang San", initials="ZS")
    save_form(db, nurse, ctx, number, "consent", CONSENT, visit="SCR", today=SCREENING_DAY)
    return number


#: The example patient (oncotrial/eligibility/data/example_patient.yaml): its screening forms and
#: screening are the demo's (oncotrial.services.demo), shared here under the tests' names.
EXAMPLE_DAY = demo.EXAMPLE_DAY
EXAMPLE_EXTRA = demo.EXAMPLE_EXTRA
example_screening = demo.example_screening


def screen_in_example(db: Database, staff: Staff, ctx: TrialContext, number: str,
                      on: dt.date = EXAMPLE_DAY) -> str:
    """Register ``number`` and enter the example patient's screening forms, dated so that
    the patient is eligible on ``on``; return the screening number."""
    return demo.screen_example_patient(db, staff["nurse"], ctx, number, on=on)
