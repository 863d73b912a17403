"""Eligibility: screen one subject against every criterion of a protocol (core, no I/O).

The criteria are read from the protocol file (``criteria:``), never written here; the engine
evaluates their rules generically and the named domain checks (hepatitis, prior lines, CNS,
malignancy history, pregnancy and contraception, prothrombin time, surgery) take their
parameters from the rules. ``screen(record, protocol, on=...)`` needs the protocol explicitly.
Every :class:`Verdict` and the :class:`ScreeningResult` are plain data with a ``code`` listed in
:data:`RESULT_CODES`, the ``facts`` used and the ``reason``. See ``docs/eligibility.md`` for
each criterion's machine rule and the clarifications taken.
"""

from oncotrial.eligibility.catalogue import RESULT_CODES
from oncotrial.eligibility.engine import (
    Eligibility,
    ScreeningResult,
    Verdict,
    attestation_keys,
    screen,
)
from oncotrial.eligibility.outcome import VerdictStatus
from oncotrial.eligibility.record import (
    EXAMPLES,
    LabEntry,
    ScreeningRecord,
    example_record,
    load_record,
    parse_record,
)

__all__ = [
    "EXAMPLES",
    "RESULT_CODES",
    "Eligibility",
    "LabEntry",
    "ScreeningRecord",
    "ScreeningResult",
    "Verdict",
    "VerdictStatus",
    "attestation_keys",
    "example_record",
    "load_record",
    "parse_record",
    "screen",
]
