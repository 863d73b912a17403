"""Helpers of the storage tests, importable from any test (``pytest`` puts tests/support on
``sys.path``): the test database URLs, one account per role, a consented subject, and the
bundled example patient entered on the screening forms."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from importlib import resources
from typing import Any

import pytest
import yaml

from oncotrial.context import TrialContext
from oncotrial.forms import FormSet, canonical_text
from oncotrial.forms.model import ItemDef
from oncotrial.services import (
    Actor,
    Database,
    add_site,
    authenticate,
    create_user,
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


#: The example patient (oncotrial/eligibility/data/example_patient.yaml) is screened on this day.
EXAMPLE_DAY = dt.date(2026, 3, 2)

#: Required answers of the screening forms that the screening record does not hold.
EXAMPLE_EXTRA: dict[str, dict[str, Any]] = {
    "consent": {"icf_version": "2.0", "consent_obtained_by": "Dr Li", "copy_given": "yes"},
    "eligibility": {"attested_by": "Dr Li", "attested_on": "2026-03-01"},
    "hcc_history": {"diagnosis_date": "2024-08-20", "aetiology": "hbv",
                    "macrovascular_invasion": "no", "extrahepatic_spread": "yes"},
    "ecog": {"assessed_on": "2026-02-27"},
    "chemistry": {"collected_on": "2026-02-27"},
    "coagulation": {"collected_on": "2026-02-27"},
    "hepatitis": {"collected_on": "2026-02-23"},
    "ecg": {"interpretation": "normal"},
    "echocardiogram": {"method": "echo"},
    "pregnancy": {"woman_of_childbearing_potential": "not_applicable"},
}


def _at(data: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def _shift(value: Any, days: int) -> Any:
    """Move an ISO date (or the dates inside a structure) by ``days``."""
    if isinstance(value, dt.date):
        return value + dt.timedelta(days=days)
    if isinstance(value, str) and len(value) == 10 and value[4] == "-":
        try:
            return (dt.date.fromisoformat(value) + dt.timedelta(days=days)).isoformat()
        except ValueError:
            return value
    if isinstance(value, dict):
        return {k: _shift(v, days) for k, v in value.items()}
    if isinstance(value, list):
        return [_shift(v, days) for v in value]
    return value


def _answer(item: ItemDef, value: Any) -> Any:
    if item.type == "lab" and isinstance(value, dict):
        return {k: value[k] for k in ("value", "unit", "lln", "uln") if k in value}
    return canonical_text(value)


def example_screening(forms: FormSet, shift_days: int = 0) -> dict[str, dict[str, Any]]:
    """The example patient's screening forms as nested answers (form id -> answers), with
    every date moved by ``shift_days`` (so the same patient can be screened on another day)."""
    text = (resources.files("oncotrial.eligibility") / "data" / "example_patient.yaml"
            ).read_text(encoding="utf-8")
    example = _shift(yaml.safe_load(text), shift_days)
    entered: dict[str, dict[str, Any]] = {}
    for form in forms.forms:
        if not any(item.screening for _, item in form.items()):
            continue
        nested: dict[str, Any] = _shift(dict(EXAMPLE_EXTRA.get(form.id, {})), shift_days)
        for group_id, item in form.items():
            if item.screening and not group_id:
                value = _at(example, item.screening)
                if value is not None:
                    nested[item.id] = _answer(item, value)
        for group in form.groups():
            rows = _at(example, group.screening) if group.screening else None
            if rows is not None:
                nested[group.id] = [
                    {item.id: _answer(item, row[key]) for item in group.items
                     if item.screening and (key := item.screening.removesuffix("[]")) in row}
                    for row in rows]
        entered[form.id] = nested
    return entered


def screen_in_example(db: Database, staff: Staff, ctx: TrialContext, number: str,
                      on: dt.date = EXAMPLE_DAY) -> str:
    """Register ``number`` and enter the example patient's screening forms, dated so that
    the patient is eligible on ``on``; return the screening number."""
    shift = (on - EXAMPLE_DAY).days
    forms = example_screening(ctx.forms, shift)  # type: ignore[arg-type]
    nurse = staff["nurse"]
    register_subject(db, nurse, ctx, site="HCH", screening_number=number)
    for form_id in ["consent", *(f for f in forms if f != "consent")]:
        save_form(db, nurse, ctx, number, form_id, forms[form_id], visit="SCR", today=on)
    return number
