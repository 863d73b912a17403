"""CTCAE v5.0 dictionary: bundled terms, allowed grades, NCI spreadsheet rows."""

from __future__ import annotations

import pytest

from oncotrial.ctcae import (
    CtcaeDictionary,
    bundled_dictionary,
    lab_term,
    lab_terms,
    parse_ctcae_rows,
)
from oncotrial.errors import InputError, UnknownTermError

HEADER = ("MedDRA Code", "MedDRA SOC", "CTCAE Term", "Grade 1   ", "Grade 2   ", "Grade 3   ",
          "Grade 4   ", "Grade 5   ", "Definition", "Navigational Note", "CTCAE v5.0 Change")

# NCI CTCAE v5.0 (27 Nov 2017): a dash means the grade does not exist for the term.
ALLOWED = [
    ("Alopecia", (1, 2), "alopecia has only grades 1-2"),
    ("Fatigue", (1, 2, 3), "fatigue 1-3"),
    ("Febrile neutropenia", (3, 4, 5), "febrile neutropenia starts at grade 3"),
    ("Sepsis", (3, 4, 5), "sepsis starts at grade 3"),
    ("Lung infection", (2, 3, 4, 5), "infection terms start at grade 2"),
    ("Neutrophil count decreased", (1, 2, 3, 4), "most 'decreased' lab terms have no grade 5"),
    ("Anemia", (1, 2, 3, 4, 5), "anemia has grade 5"),
    ("Hypermagnesemia", (1, 3, 4, 5), "no grade 2"),
    ("Lymphocyte count increased", (2, 3), "grades 2-3 only"),
    ("Haptoglobin decreased", (1,), "grade 1 only"),
    ("Pneumonitis", (1, 2, 3, 4, 5), "pneumonitis 1-5"),
    ("Rash maculo-papular", (1, 2, 3), "rash maculo-papular 1-3"),
]


@pytest.mark.parametrize(("term", "grades", "why"), ALLOWED, ids=[c[2] for c in ALLOWED])
def test_allowed_grades_follow_the_ctcae_dashes(term: str, grades: tuple[int, ...],
                                                why: str) -> None:
    """Allowed grades are the grades CTCAE v5.0 defines for the term."""
    assert bundled_dictionary()[term].allowed_grades == grades, why


def test_bundled_dictionary_has_every_lab_term_and_at_least_40_terms() -> None:
    """Every lab grading term maps to a dictionary term whose grades include the lab grades."""
    d = bundled_dictionary()
    assert len(d) >= 40
    for name in lab_terms():
        lt = lab_term(name)
        entry = d[lt.ctcae_term]
        assert entry.term == lt.ctcae_term  # exact CTCAE spelling
        assert set(lt.lab_grades) <= set(entry.allowed_grades), name
        assert entry.soc == lt.soc, name


def test_lookup_ignores_case_and_knows_aliases_but_refuses_unknown_terms() -> None:
    """MedDRA PT 'Stomatitis' is CTCAE v5.0 term 'Mucositis oral' (docs/safety.md)."""
    d = bundled_dictionary()
    assert d["FATIGUE"].term == "Fatigue"
    assert d["Stomatitis"].term == "Mucositis oral"
    with pytest.raises(UnknownTermError, match="Fatigue") as info:
        d["Fatigu"]
    assert info.value.suggestions == ("Fatigue",)
    assert info.value.field == "ctcae_term"


@pytest.mark.parametrize("name", ["Neutropenia", "", "   "])
def test_an_unknown_term_is_a_lookup_error_never_a_bare_key_error(name: str) -> None:
    """Issue 10: one unknown-term error; the dictionary's [] never raises KeyError."""
    with pytest.raises(UnknownTermError) as info:
        bundled_dictionary()[name]
    assert isinstance(info.value, LookupError) and isinstance(info.value, InputError)
    assert not isinstance(info.value, KeyError)
    assert name not in bundled_dictionary()
    with pytest.raises(UnknownTermError):
        lab_term(name)


def test_validate_grade_names_the_allowed_grades() -> None:
    """Grade 3 alopecia does not exist: the error lists 1, 2."""
    with pytest.raises(InputError, match="its grades are 1, 2"):
        bundled_dictionary().validate_grade("Alopecia", 3)
    bundled_dictionary().validate_grade("Alopecia", 2)


def test_nci_rows_parse_with_padded_headers_dashes_and_blank_rows() -> None:
    """NCI's headings carry trailing spaces; '-' means the grade does not exist."""
    rows = [
        HEADER,
        (10002272.0, "Blood and lymphatic system disorders", "Anemia", "Hgb <LLN - 10.0 g/dL",
         "Hgb <10.0 - 8.0 g/dL", "Hgb <8.0 g/dL", "Life-threatening", "Death",
         "A reduction in hemoglobin.", None, None),
        (None,) * 11,
        ("10001760", "Skin and subcutaneous tissue disorders", "Alopecia ", "Hair loss <50%",
         "Hair loss >=50%", "-", "-", "-", "Hair loss.", "Also consider X", "Modified"),
    ]
    d = parse_ctcae_rows(rows, lab_terms=["Anemia"])
    assert len(d) == 2
    assert d["Anemia"].meddra_code == "10002272"
    assert d["Anemia"].lab_graded and not d["Alopecia"].lab_graded
    assert d["Alopecia"].allowed_grades == (1, 2)
    assert d["Alopecia"].navigational_note == "Also consider X"


def test_missing_columns_and_bad_rows_are_all_reported() -> None:
    """Every problem at once, with spreadsheet row numbers."""
    with pytest.raises(InputError, match="CTCAE Term"):
        parse_ctcae_rows([("MedDRA SOC", "Grade 1", "Grade 2", "Grade 3", "Grade 4", "Grade 5")])
    rows = [HEADER,
            ("1", "", "Nausea", "x", "-", "-", "-", "-", "", "", ""),
            ("2", "Gastrointestinal disorders", "Vomiting", "-", "-", "-", "-", "-", "", "", ""),
            ("3", "Gastrointestinal disorders", "", "x", "-", "-", "-", "-", "", "", "")]
    with pytest.raises(InputError) as info:
        parse_ctcae_rows(rows)
    text = str(info.value)
    assert "row 2 (Nausea): no MedDRA SOC" in text
    assert "row 3 (Vomiting): no grade is defined" in text
    assert "row 4: no CTCAE Term" in text


def test_json_round_trip_gives_the_same_dictionary() -> None:
    """to_json then from_json: the same terms, grades and codes."""
    d = bundled_dictionary()
    again = CtcaeDictionary.from_json(d.to_json())
    assert again.terms == d.terms
