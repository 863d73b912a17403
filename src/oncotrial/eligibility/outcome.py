"""Verdict statuses and the outcome of evaluating one rule (shared by the engine and checks)."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import NamedTuple

__all__ = ["Outcome", "Reason", "VerdictStatus", "reason_text"]

#: A sentence, or a function that builds it when first needed.
Reason = str | Callable[[], str]


class VerdictStatus(StrEnum):
    """The verdict on one criterion.

    ``met``: the criterion is satisfied (for an exclusion criterion: the patient is not
    excluded by it). ``not_met``: it is not. ``missing``: data needed to decide are absent.
    ``needs_investigator``: the investigator must attest or judge.
    """

    MET = "met"
    NOT_MET = "not_met"
    MISSING = "missing"
    NEEDS_INVESTIGATOR = "needs_investigator"


class Outcome(NamedTuple):
    """The result of one rule or check: status, the sentence why, missing data, warnings.

    A named tuple (immutable, and cheap to build: the engine makes dozens per record).
    """

    status: VerdictStatus
    reason: Reason
    missing: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def met(reason: Reason, warnings: tuple[str, ...] = ()) -> Outcome:
    """A met outcome."""
    return Outcome(VerdictStatus.MET, reason, (), warnings)


def not_met(reason: Reason, warnings: tuple[str, ...] = ()) -> Outcome:
    """A not-met outcome."""
    return Outcome(VerdictStatus.NOT_MET, reason, (), warnings)


def missing(reason: Reason, fields: tuple[str, ...]) -> Outcome:
    """A missing-data outcome naming the record entries to fill in."""
    return Outcome(VerdictStatus.MISSING, reason, fields)


def investigator(reason: Reason, warnings: tuple[str, ...] = ()) -> Outcome:
    """An outcome the investigator must decide."""
    return Outcome(VerdictStatus.NEEDS_INVESTIGATOR, reason, (), warnings)


def missing_sentence(fields: tuple[str, ...]) -> str:
    """``"Missing: labs.anc, sex."``"""
    return f"Missing: {', '.join(fields)}."


def reason_text(reason: Reason) -> str:
    """The sentence itself, building it if it is still a function."""
    return reason if isinstance(reason, str) else reason()
