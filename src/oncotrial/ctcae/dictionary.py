"""The CTCAE v5.0 term dictionary: terms, MedDRA SOC, grade definitions and allowed grades.

NCI CTCAE v5.0 (27 Nov 2017). The platform bundles the terms this trial needs
(``ctcae/data/ctcae_v5_terms.json``: every lab-graded term and the clinical terms frequent with
palbociclib or in HCC). A site can load the whole dictionary from NCI's published spreadsheet:
the CLI reads the workbook and :func:`parse_ctcae_rows` turns its rows into a
:class:`CtcaeDictionary` (this module never opens files itself).

In CTCAE a dash means the grade does not exist for the term (alopecia has grades 1-2 only,
sepsis starts at grade 3), so the allowed grades of a term are the grades with a definition.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from oncotrial.errors import InputError, UnknownTermError

__all__ = [
    "NCI_COLUMNS",
    "CtcaeDictionary",
    "CtcaeTerm",
    "bundled_dictionary",
    "parse_ctcae_rows",
]

#: Column headings of NCI's CTCAE v5.0 spreadsheet (``CTCAE_v5.0_2017-11-27.xlsx``), as
#: keys after folding case and spaces; values are the field they fill.
NCI_COLUMNS: Mapping[str, str] = {
    "meddra code": "meddra_code",
    "meddra soc": "soc",
    "ctcae term": "term",
    "grade 1": "1",
    "grade 2": "2",
    "grade 3": "3",
    "grade 4": "4",
    "grade 5": "5",
    "definition": "definition",
    "navigational note": "navigational_note",
    # Spellings seen in other NCI releases of the same table.
    "ctcae v5.0 term": "term",
    "ctcae v5.0 ae term definition": "definition",
    "soc": "soc",
}
_REQUIRED = ("term", "soc", "1", "2", "3", "4", "5")
_DASHES = {"", "-", "–", "—"}


@dataclass(frozen=True, slots=True)
class CtcaeTerm:
    """One CTCAE v5.0 term: SOC, grade definitions (only the grades that exist) and codes.

    >>> t = bundled_dictionary()["Alopecia"]
    >>> t.soc, t.allowed_grades
    ('Skin and subcutaneous tissue disorders', (1, 2))
    """

    term: str
    soc: str
    grades: Mapping[int, str]
    meddra_code: str | None = None
    definition: str | None = None
    navigational_note: str | None = None
    lab_graded: bool = False
    aliases: tuple[str, ...] = ()

    @property
    def allowed_grades(self) -> tuple[int, ...]:
        """The grades that exist for this term (a dash in CTCAE means the grade does not)."""
        return tuple(sorted(self.grades))

    def allows(self, grade: int) -> bool:
        """True if ``grade`` exists for this term."""
        return grade in self.grades

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used by ``ctcae_v5_terms.json``."""
        out: dict[str, Any] = {"term": self.term, "soc": self.soc,
                               "grades": {str(g): t for g, t in sorted(self.grades.items())},
                               "lab_graded": self.lab_graded}
        for name in ("meddra_code", "definition", "navigational_note"):
            value = getattr(self, name)
            if value:
                out[name] = value
        if self.aliases:
            out["aliases"] = list(self.aliases)
        return out


def _fold(text: str) -> str:
    return " ".join(str(text).replace("\u00a0", " ").casefold().split())


@dataclass(frozen=True, slots=True)
class CtcaeDictionary:
    """A CTCAE v5.0 dictionary: look terms up by their CTCAE name (case and spaces ignored).

    Looking up a term that is not in the dictionary raises
    :class:`oncotrial.errors.UnknownTermError` (a ``LookupError``, never a bare ``KeyError``)
    with the closest names; ``term in dictionary`` asks without raising.

    >>> d = bundled_dictionary()
    >>> d["mucositis oral"].term, d["Stomatitis"].term
    ('Mucositis oral', 'Mucositis oral')
    """

    version: str
    terms: Mapping[str, CtcaeTerm]
    _index: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, str] = {}
        for name, term in self.terms.items():
            for alias in term.aliases:
                index.setdefault(_fold(alias), name)
        for name in self.terms:
            index[_fold(name)] = name
        object.__setattr__(self, "_index", index)

    def __len__(self) -> int:
        return len(self.terms)

    def __iter__(self) -> Iterator[CtcaeTerm]:
        return iter(self.terms.values())

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and _fold(term) in self._index

    def __getitem__(self, term: str) -> CtcaeTerm:
        name = self._index.get(_fold(term)) if isinstance(term, str) else None
        if name is None:
            close = difflib.get_close_matches(str(term), list(self.terms), n=3, cutoff=0.6)
            hint = (f"Did you mean {' or '.join(repr(c) for c in close)}?" if close else
                    "Use the CTCAE v5.0 term name; `oncotrial ctcae terms` lists them, and "
                    "`oncotrial ctcae import` loads NCI's full spreadsheet.")
            raise UnknownTermError(
                "ctcae_term", term, close,
                message=f"{term!r} is not a term of CTCAE {self.version} in this dictionary "
                        f"({len(self)} terms).", hint=hint)
        return self.terms[name]

    def validate_grade(self, term: str, grade: int) -> None:
        """Raise InputError if ``grade`` does not exist for ``term`` in CTCAE v5.0.

        >>> bundled_dictionary().validate_grade("Alopecia", 3)
        Traceback (most recent call last):
        ...
        oncotrial.errors.InputError: Alopecia has no grade 3 in CTCAE v5.0: its grades are 1, 2...
        """
        entry = self[term]
        if not entry.allows(grade):
            raise InputError(
                f"{entry.term} has no grade {grade} in CTCAE {self.version}: its grades are "
                f"{', '.join(str(g) for g in entry.allowed_grades)}.",
                field="grade", value=grade,
                hint="Record one of those grades, or check that the term is the right one.",
            )

    def to_json(self) -> str:
        """The dictionary as JSON text, in the format of ``ctcae_v5_terms.json``."""
        doc = {"guideline": f"NCI CTCAE {self.version}", "schema_version": 1,
               "terms": [t.to_dict() for t in self.terms.values()]}
        return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> CtcaeDictionary:
        """Read a dictionary written by :meth:`to_json` (or the bundled file).

        Raises:
            InputError: the text is not a CTCAE dictionary file.

        >>> d = CtcaeDictionary.from_json(bundled_dictionary().to_json())
        >>> d["Sepsis"].allowed_grades
        (3, 4, 5)
        """
        try:
            doc = json.loads(text)
            raw_terms = doc["terms"]
            terms = [
                CtcaeTerm(
                    term=str(t["term"]), soc=str(t["soc"]),
                    grades={int(g): str(v) for g, v in t["grades"].items()},
                    meddra_code=t.get("meddra_code"), definition=t.get("definition"),
                    navigational_note=t.get("navigational_note"),
                    lab_graded=bool(t.get("lab_graded", False)),
                    aliases=tuple(t.get("aliases", ())),
                )
                for t in raw_terms
            ]
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(
                f"This is not a CTCAE dictionary file ({exc}).", field="dictionary",
                hint="Create it with `oncotrial ctcae import FILE.xlsx`.") from exc
        version = "v5.0"
        return cls(version=version, terms={t.term: t for t in terms})


@cache
def bundled_dictionary() -> CtcaeDictionary:
    """The CTCAE v5.0 terms bundled with the platform (``ctcae/data/ctcae_v5_terms.json``).

    >>> len(bundled_dictionary()) >= 40
    True
    """
    text = resources.files("oncotrial.ctcae").joinpath("data/ctcae_v5_terms.json").read_text(
        encoding="utf-8")
    return CtcaeDictionary.from_json(text)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).replace("\u00a0", " ").split())


def _columns(header: Sequence[object]) -> dict[str, int]:
    """Where each needed field is in the header row of NCI's spreadsheet.

    Raises:
        InputError: a needed column is missing.
    """
    columns: dict[str, int] = {}
    for index, heading in enumerate(header):
        name = NCI_COLUMNS.get(_fold(_cell(heading)))
        if name is not None and name not in columns:
            columns[name] = index
    missing = [k for k in _REQUIRED if k not in columns]
    if missing:
        names = {"term": "CTCAE Term", "soc": "MedDRA SOC"}
        shown = ", ".join(names.get(m, f"Grade {m}") for m in missing)
        raise InputError(
            f"The first row of the CTCAE spreadsheet lacks the column(s) {shown}. NCI's CTCAE "
            "v5.0 workbook has MedDRA Code, MedDRA SOC, CTCAE Term, Grade 1 to Grade 5, "
            "Definition and Navigational Note.", field="file",
            value=[_cell(h) for h in header],
            hint="Use the sheet of NCI's CTCAE_v5.0 workbook with the term table, header first.")
    return columns


def _row_term(number: int, cells: list[str], columns: Mapping[str, int], seen: Mapping[str, object],
              labs: set[str]) -> CtcaeTerm | list[str]:
    """The term of one spreadsheet row, or the row's problems (with its row number)."""

    def get(name: str) -> str:
        index = columns.get(name)
        return cells[index] if index is not None and index < len(cells) else ""

    term, soc = get("term"), get("soc")
    grades = {g: text for g in range(1, 6) if (text := get(str(g))) not in _DASHES}
    if not term:
        return [f"row {number}: no CTCAE Term"]
    problems = []
    if not soc:
        problems.append(f"row {number} ({term}): no MedDRA SOC")
    if not grades:
        problems.append(f"row {number} ({term}): no grade is defined")
    if term in seen:
        problems.append(f"row {number} ({term}): the term appears twice")
    if problems:
        return problems
    return CtcaeTerm(
        term=term, soc=soc, grades=grades, meddra_code=get("meddra_code") or None,
        definition=get("definition") or None,
        navigational_note=get("navigational_note") or None,
        lab_graded=_fold(term) in labs)


def parse_ctcae_rows(
    rows: Iterable[Sequence[object]], *, lab_terms: Iterable[str] = ()
) -> CtcaeDictionary:
    """Build a dictionary from the rows of NCI's CTCAE v5.0 spreadsheet (header row first).

    The columns NCI uses: ``MedDRA Code``, ``MedDRA SOC``, ``CTCAE Term``, ``Grade 1`` ...
    ``Grade 5``, ``Definition``, ``Navigational Note`` (headings may carry extra spaces; other
    columns such as ``CTCAE v5.0 Change`` are ignored). A grade cell holding a dash or nothing
    means that grade does not exist. Blank rows are skipped. ``lab_terms`` marks the terms
    graded from a lab value.

    Raises:
        InputError: a needed column is missing, or rows lack a term, an SOC or any grade, or
            repeat a term; every problem is listed, with its spreadsheet row number.

    >>> rows = [("MedDRA Code", "MedDRA SOC", "CTCAE Term", "Grade 1   ", "Grade 2   ",
    ...          "Grade 3   ", "Grade 4   ", "Grade 5   ", "Definition"),
    ...         (10001760, "Skin and subcutaneous tissue disorders", "Alopecia",
    ...          "Hair loss of <50%", "Hair loss of >=50%", "-", "-", "-", "Hair loss.")]
    >>> d = parse_ctcae_rows(rows)
    >>> d["Alopecia"].allowed_grades, d["Alopecia"].meddra_code
    ((1, 2), '10001760')
    """
    iterator = iter(rows)
    header = next(iterator, None)
    if header is None:
        raise InputError("The CTCAE spreadsheet is empty.", field="file",
                         hint="Export the CTCAE v5.0 sheet from NCI's workbook.")
    columns = _columns(header)
    labs = {_fold(t) for t in lab_terms}
    terms: dict[str, CtcaeTerm] = {}
    problems: list[str] = []
    for number, row in enumerate(iterator, start=2):
        cells = [_cell(c) for c in row]
        if not any(cells):
            continue
        found = _row_term(number, cells, columns, terms, labs)
        if isinstance(found, CtcaeTerm):
            terms[found.term] = found
        else:
            problems.extend(found)
    if problems:
        raise InputError(
            f"The CTCAE spreadsheet has {len(problems)} row problem(s): " + "; ".join(problems)
            + ".", field="file", value=problems,
            hint="Correct those rows in the spreadsheet and import it again.")
    if not terms:
        raise InputError("The CTCAE spreadsheet has a header but no terms.", field="file",
                         hint="Check that the right sheet was exported.")
    return CtcaeDictionary(version="v5.0", terms=terms)
