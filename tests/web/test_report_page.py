"""The study report from the Results page (issue 13, web): built on demand from the stored
trial at the cut-off, as HTML and PDF, for the roles that may export; a statistician's report
carries pseudonyms only; the HTML runs no script and loads nothing from outside."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from pypdf import PdfReader
from storekit import Staff

import oncotrial.web
from oncotrial.context import TrialContext
from oncotrial.services import Database, load_study
from oncotrial.synth import SynthParams, generate_study

Login = Callable[[str], TestClient]
CUTOFF = "2026-10-31"


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(oncotrial.services.access, "_HASHER",
                        PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def loaded(db: Database, staff: Staff, ctx: TrialContext) -> dict[str, str]:
    """Six synthetic subjects entered through the services (seed 7)."""
    study = generate_study(SynthParams(n_enrolled=6), 7, ctx=ctx)
    return load_study(db, ctx, study, nurse=staff["nurse"], investigator=staff["drli"],
                      today=dt.date(2026, 12, 1), site="HCH")


def test_the_report_is_built_from_the_stored_trial_for_those_who_may_export(
        loaded: dict[str, str], login: Login) -> None:
    dm = login("dm")
    page = dm.get(f"/results?cutoff={CUTOFF}")
    assert f'href="/results/report?cutoff={CUTOFF}"' in page.text
    report = dm.get(f"/results/report?cutoff={CUTOFF}")
    assert report.status_code == 200
    assert report.headers["content-type"].startswith("text/html")
    html = report.text
    assert "<script" not in html.lower()
    assert not re.search(r'(src|href)="https?://', html), "the report loads nothing from outside"
    assert "default-src 'none'" in report.headers["content-security-policy"]
    assert CUTOFF in html and "<svg" in html
    for subject in loaded:  # the data manager sees subject ids
        assert subject in html
    pdf = dm.get(f"/results/report.pdf?cutoff={CUTOFF}")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert f"study-report-{CUTOFF}.pdf" in pdf.headers["content-disposition"]
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert CUTOFF in text


def test_a_statistician_gets_pseudonyms_and_a_nurse_no_report(
        loaded: dict[str, str], login: Login) -> None:
    html = login("stat").get(f"/results/report?cutoff={CUTOFF}").text
    for subject in loaded:
        assert subject not in html, f"{subject} shown to a statistician"
    nurse = login("nurse")
    assert nurse.get(f"/results/report?cutoff={CUTOFF}").status_code == 403
    assert nurse.get(f"/results/report.pdf?cutoff={CUTOFF}").status_code == 403


def test_a_wrong_cut_off_or_an_empty_trial_is_said_plainly(login: Login) -> None:
    stat = login("stat")
    empty = stat.get(f"/results/report?cutoff={CUTOFF}")
    assert empty.status_code == 404 and "nothing to report" in empty.text
    assert stat.get("/results/report?cutoff=31/10/2026").status_code == 422
