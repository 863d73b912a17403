"""Eligibility: screen one patient against every criterion of a protocol (core, no I/O).

The criteria are read from the protocol file (``criteria:``), never written here; the engine
evaluates their rules generically and the named domain checks (hepatitis, prior lines, CNS,
malignancy history, pregnancy and contraception) take their parameters from the rules.
See ``docs/eligibility.md`` for each criterion's machine rule and the clarifications taken.
"""

from oncotrial.eligibility.engine import Eligibility, ScreeningResult, Verdict, screen
from oncotrial.eligibility.outcome import VerdictStatus
from oncotrial.eligibility.record import (
    EXAMPLES,
    ScreeningRecord,
    example_record,
    load_record,
    parse_record,
)

__all__ = [
    "EXAMPLES",
    "Eligibility",
    "ScreeningRecord",
    "ScreeningResult",
    "Verdict",
    "VerdictStatus",
    "example_record",
    "load_record",
    "parse_record",
    "screen",
]
