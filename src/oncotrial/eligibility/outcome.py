"""Verdict statuses and the outcome of evaluating one rule (shared by the rules and checks).

An :class:`Outcome` is what a rule or a named check returns while a criterion is evaluated:
its status, its code (without the criterion id: ``not_met.anc_below_min``), the sentence as
phrases (:mod:`oncotrial.eligibility.phrases`, rendered from the facts) and the record entries
still to fill in. Facts and warnings are written to the evaluation context as the rule reads
them, so a combined rule gathers those of all its parts. The engine turns a criterion's
outcome into a :class:`~oncotrial.eligibility.engine.Verdict`.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import NamedTuple

from oncotrial.eligibility.phrases import Phrase

__all__ = ["Outcome", "VerdictStatus", "combine_all", "compare", "missing", "missing_code",
           "missing_sentence"]


class VerdictStatus(StrEnum):
    """The verdict on one criterion.

    ``met``: the criterion is satisfied (for an exclusion criterion: the subject is not
    excluded by it). ``not_met``: it is not. ``missing``: data needed to decide are absent.
    ``needs_investigator``: the investigator must attest or judge.
    """

    MET = "met"
    NOT_MET = "not_met"
    MISSING = "missing"
    NEEDS_INVESTIGATOR = "needs_investigator"


MET, NOT_MET = VerdictStatus.MET, VerdictStatus.NOT_MET
MISSING, INVESTIGATOR = VerdictStatus.MISSING, VerdictStatus.NEEDS_INVESTIGATOR


class Outcome(NamedTuple):
    """The result of one rule or check.

    ``code`` is the verdict code without the criterion id (``not_met.anc_below_min``,
    ``missing.hbv_dna``, ``attest.needed``); ``phrases`` make the sentence; ``missing`` lists
    record paths to fill in.
    """

    status: VerdictStatus
    code: str
    phrases: tuple[Phrase, ...]
    missing: tuple[str, ...] = ()


#: Record groups whose name is left out of a missing-data code (``labs.anc`` -> ``anc``).
_GROUPS = ("labs.", "hepatitis.", "history.", "reproductive.", "liver.", "cardiac.")


def missing_code(path: str) -> str:
    """The code part naming a record entry: ``labs.alt.uln`` -> ``alt_uln``.

    The group of ``labs``, ``hepatitis``, ``history``, ``reproductive``, ``liver`` and
    ``cardiac`` entries is left out; ``imaging`` and ``diagnosis`` keep theirs (``imaging_date``).

    >>> missing_code("hepatitis.hbv_dna"), missing_code("imaging.date"), missing_code("sex")
    ('hbv_dna', 'imaging_date', 'sex')
    """
    for group in _GROUPS:
        if path.startswith(group):
            path = path[len(group):]
            break
    return path.replace(".", "_")


def missing_sentence(fields: tuple[str, ...]) -> str:
    """``"Missing: labs.anc, sex."``"""
    return f"Missing: {', '.join(fields)}."


def missing(reason: str, fields: tuple[str, ...]) -> Outcome:
    """A missing-data outcome naming the record entries to fill in (coded by the first)."""
    return Outcome(MISSING, f"missing.{missing_code(fields[0])}", (reason,), fields)


_TOLERANCE = 1e-9


def compare(a: float, op: str, b: float) -> bool:
    """``a op b`` where values within a relative 1e-9 count as equal (edges are inclusive
    or exclusive exactly as written, not by float noise: 3 x 21 ULN is 63, not 63.000000001).

    >>> compare(0.1 * 3, "<=", 0.3), compare(0.1 * 3, ">", 0.3)
    (True, False)
    """
    equal = math.isclose(a, b, rel_tol=_TOLERANCE, abs_tol=1e-12)
    if op == ">=":
        return equal or a > b
    if op == ">":
        return not equal and a > b
    if op == "<=":
        return equal or a < b
    return not equal and a < b


def labelled(prefix: str, outcome: Outcome) -> tuple[Phrase, ...]:
    """The outcome's phrases after its rule's label prefix (``"11(1) ANC: "``), if any."""
    return (prefix, *outcome.phrases) if prefix else outcome.phrases


def label_prefix(label: str | None) -> str:
    """``"11(1) ANC: "`` for a label, ``""`` for none."""
    return f"{label}: " if label else ""


_ALL_OF_ORDER = (NOT_MET, MISSING, INVESTIGATOR)


def combine_all(parts: list[tuple[str, Outcome]], met_code: str = "met.all_parts") -> Outcome:
    """Every part must hold: ``not_met`` if any part is, else ``missing`` if any part is, else
    ``needs_investigator`` if any part is, else ``met``.

    ``parts`` are (label prefix, outcome). The code is that of the first part with the deciding
    status (``met_code`` when all are met); the sentence joins the deciding parts, each after
    its label; a missing outcome names every entry its missing parts need, once each.
    """
    statuses = {o.status for _, o in parts}
    status, chosen = MET, parts
    if len(statuses) > 1 or MET not in statuses:
        status = next(s for s in _ALL_OF_ORDER if s in statuses)
        chosen = [(prefix, o) for prefix, o in parts if o.status is status]
    code = met_code if status is MET else chosen[0][1].code
    needed: tuple[str, ...] = ()
    if status is MISSING:
        needed = tuple(dict.fromkeys(name for _, o in chosen for name in o.missing))
    phrases: list[Phrase] = []
    for prefix, o in chosen:
        if phrases:
            phrases.append(" ")
        if prefix:
            phrases.append(prefix)
        phrases.extend(o.phrases)
    return Outcome(status, code, tuple(phrases), needed)
