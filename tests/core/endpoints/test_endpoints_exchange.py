"""The exchange format (docs/exchange-format.md): parsing, every problem reported at once, and
the documentation holds every domain and column."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from oncotrial.endpoints import DOMAINS, parse_exchange
from oncotrial.errors import InputError

DOCS = Path(__file__).resolve().parents[3] / "docs"
SUBJECTS = "subject_id,enrolled_on,measurable_disease_at_baseline\n"


def problems_of(files: dict[str, str]) -> str:
    with pytest.raises(InputError) as info:
        parse_exchange(files)
    return info.value.message


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"subjects.csv": SUBJECTS + "001,2026-01-05,maybe\n"},
         "subjects.csv line 2: measurable_disease_at_baseline is 'maybe'. It must be yes or no."),
        ({"subjects.csv": SUBJECTS + ",2026-01-05,yes\n"},
         "subjects.csv line 2: subject_id is empty. It is required"),
        ({"subjects.csv": SUBJECTS, "dosing.csv": "subject_id,start_on,end_on,dose\n"
                                                  "001,2026-01-05,2026-01-25,125\n"},
         "dosing.csv: has unknown column(s) dose."),
        ({"subjects.csv": SUBJECTS, "vitals.csv": "subject_id\n"}, "vitals.csv: is not a domain"),
        ({"subjects.csv": SUBJECTS, "deaths.csv": "subject_id,died_on\n",
          "deaths.json": "[]"}, "gives deaths a second time"),
        ({"deaths.csv": "subject_id,died_on\n"}, "subjects.csv: is missing."),
        ({"subjects.csv": SUBJECTS + "001,2026-01-05,yes\n",
          "deaths.csv": "subject_id,died_on\n002,2026-03-01\n"},
         "deaths: subject 002 is not in subjects."),
        ({"subjects.csv": SUBJECTS + "001,2026-01-05,yes\n",
          "tumour_assessments.csv": "subject_id,assessed_on,baseline,overall_response\n"
                                    "001,2026-03-01,no,\n"},
         "has no overall_response"),
        ({"subjects.csv": SUBJECTS + "001,2026-01-05,yes\n",
          "tumour_assessments.csv": "subject_id,assessed_on,baseline,overall_response\n"
                                    "001,2026-03-01,no,VGPR\n"},
         "overall_response is 'VGPR'. It must be one of CR|PR|SD|NON-CR/NON-PD|PD|NE."),
        ({"subjects.csv": SUBJECTS + "001,2026-01-05,yes\n",
          "dosing.csv": "subject_id,start_on,end_on,daily_dose_mg\n"
                        "001,2026-01-05,2026-01-01,125\n"},
         "end_on 2026-01-01 is before start_on 2026-01-05"),
        ({"subjects.csv": SUBJECTS + "001,2026-01-05,yes\n001,2026-01-06,yes\n"},
         "subject 001 is listed more than once"),
        ({"subjects.json": '{"subject_id": "001"}'}, "must be a JSON array of objects"),
    ],
)
def test_parse_exchange_explains_each_problem(files: dict[str, str], expected: str) -> None:
    """Each problem names the file, line and column, the rule and what we got."""
    assert expected in problems_of(files)


def test_parse_exchange_reports_every_problem_at_once() -> None:
    """Three bad cells give one error listing all three."""
    message = problems_of({"subjects.csv": SUBJECTS + "001,2026-13-01,yes\n002,2026-01-05,x\n"
                                                      "003,,yes\n"})
    assert message.startswith("The data set has 3 problems:")
    assert "line 2" in message and "line 3" in message and "line 4" in message


def test_parse_exchange_accepts_codes_in_any_case_and_empty_optional_cells() -> None:
    """Codes are matched without regard to case; empty optional cells are missing values."""
    ds = parse_exchange({
        "subjects.csv": SUBJECTS + "001,2026-01-05,Yes\n",
        "tumour_assessments.csv": "subject_id,assessed_on,visit,baseline,overall_response,"
                                  "new_lesion_on\n001,2026-03-02,,no,non-cr/non-pd,\n",
    })
    a = ds.assessments[0]
    assert a.overall_response is not None and a.overall_response.value == "NON-CR/NON-PD"
    assert a.visit == "" and a.new_lesion_on is None


def test_docs_describe_every_domain_and_column() -> None:
    """docs/exchange-format.md has a section for each domain listing each of its columns."""
    text = (DOCS / "exchange-format.md").read_text("utf-8")
    for domain in DOMAINS:
        assert re.search(rf"^##+ .*`{domain.name}`", text, re.M), domain.name
        for column in domain.columns:
            assert f"| `{column.name}` |" in text, f"{domain.name}.{column.name}"


def test_docs_endpoints_page_covers_every_censoring_row_and_variant() -> None:
    """docs/endpoints.md explains rows 1-12 and S1-S4 with worked examples."""
    text = (DOCS / "endpoints.md").read_text("utf-8")
    for n in range(1, 13):
        assert f"| {n} |" in text, f"row {n}"
    for variant in ("S1", "S2", "S3", "S4"):
        assert f"**{variant}**" in text, variant


def test_parse_exchange_ignores_a_byte_order_mark_and_spaces_in_headers() -> None:
    """Spreadsheet exports start with a BOM and may pad header names."""
    ds = parse_exchange({"subjects.csv": "\ufeffsubject_id, enrolled_on ,"
                                         "measurable_disease_at_baseline\n001,2026-01-05,no\n"})
    assert ds.subjects[0].subject_id == "001"


@pytest.mark.parametrize("text", ["20260105", "2026-W02-1", "2026-1-5", "05/01/2026"])
def test_parse_exchange_accepts_only_calendar_dates(text: str) -> None:
    """Dates are YYYY-MM-DD only, so a local or compact form cannot be misread."""
    assert "It must be an ISO 8601 date" in problems_of(
        {"subjects.csv": SUBJECTS + f"001,{text},yes\n"})
