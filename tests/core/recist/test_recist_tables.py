"""Every row of the RECIST 1.1 response tables, from ``tests/vectors/recist/response_tables.json``.

Table 1 (target disease) and Table 2 (non-target disease only) of Eisenhauer et al. 2009 are
expanded over "any" and "non-PD"; each case carries its ``source``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from oncotrial.errors import InputError
from oncotrial.recist import Response, non_target_response, overall_response, target_response

DOC = json.loads(
    (Path(__file__).parents[2] / "vectors" / "recist" / "response_tables.json").read_text(
        encoding="utf-8"
    )
)


def _id(case: dict[str, Any], keys: tuple[str, ...]) -> str:
    return " / ".join(str(case.get(k)) for k in keys) + " -> " + str(case["expected"])


@pytest.mark.parametrize(
    "case", DOC["overall"],
    ids=[_id(c, ("target", "non_target", "new_lesion")) for c in DOC["overall"]],
)
def test_overall_time_point_response_table(case: dict[str, Any]) -> None:
    """RECIST 1.1 Tables 1 and 2: target, non-target and new-lesion columns give the overall."""
    assert case["source"]
    got = overall_response(
        target=case["target"], non_target=case["non_target"], new_lesion=case["new_lesion"]
    )
    assert got is Response(case["expected"])


@pytest.mark.parametrize(
    "case", DOC["target"],
    ids=[_id(c, ("baseline_sum_mm", "nadir_mm", "current_sum_mm")) for c in DOC["target"]],
)
def test_target_lesion_response_rules(case: dict[str, Any]) -> None:
    """RECIST 1.1 section 4.3.1: PD vs nadir (20 % and 5 mm), CR, PR vs baseline (30 %), SD."""
    assert case["source"]
    kwargs = {k: case[k] for k in ("complete", "pd_abs_mm") if k in case}
    got = target_response(
        baseline_sum_mm=case["baseline_sum_mm"],
        nadir_mm=case["nadir_mm"],
        current_sum_mm=case["current_sum_mm"],
        all_targets_in_cr=case["all_targets_in_cr"],
        **kwargs,
    )
    assert got is Response(case["expected"])


@pytest.mark.parametrize(
    "case", DOC["non_target"], ids=[_id(c, ("statuses",)) for c in DOC["non_target"]]
)
def test_non_target_response_rules(case: dict[str, Any]) -> None:
    """RECIST 1.1 section 4.3 (non-target lesions): PD, NE, NON-CR/NON-PD, CR."""
    assert case["source"]
    got = non_target_response(case["statuses"])
    expected = None if case["expected"] is None else Response(case["expected"])
    assert got is expected


def test_table_1_and_2_rows_are_all_present() -> None:
    """Table 1 has 9 rows and Table 2 has 5; each is the source of at least one case."""
    rows = {c["source"].split(", row ")[1].split(":")[0] + c["source"][:40]
            for c in DOC["overall"]}
    assert len({r for r in rows if "Table 1" in r}) == 9
    assert len({r for r in rows if "Table 2" in r}) == 5


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"target": "NON-CR/NON-PD", "non_target": "CR", "new_lesion": False},
         "not a target-lesion category"),
        ({"target": "CR", "non_target": "PR", "new_lesion": False},
         "not a non-target category"),
        ({"target": None, "non_target": None, "new_lesion": False},
         "Neither target nor non-target lesions"),
        ({"target": "CR", "non_target": None, "new_lesion": "maybe"},
         "'maybe' is not recognised"),
    ],
    ids=["NON-CR/NON-PD is not a target category", "PR is not a non-target category",
         "no disease at all", "unknown new-lesion status"],
)
def test_overall_response_refuses_impossible_combinations(
    kwargs: dict[str, Any], fragment: str
) -> None:
    """Categories in the wrong column are input errors, not silently mapped."""
    with pytest.raises(InputError, match=fragment):
        overall_response(**kwargs)


def test_negative_sum_is_refused() -> None:
    """A sum of diameters is never negative."""
    with pytest.raises(InputError, match="current_sum_mm is -1 mm"):
        target_response(baseline_sum_mm=10, nadir_mm=10, current_sum_mm=-1,
                        all_targets_in_cr=False)
