"""Efficacy endpoints of the trial: PFS, OS, ORR, DCR, duration of and time to response.

Derived by the rules of ``docs/endpoints.md``: the PFS event/censoring table adapted from the
US FDA guidance "Clinical Trial Endpoints for the Approval of Cancer Drugs and Biologics"
(December 2018), RECIST 1.1 (Eisenhauer et al. 2009) for responses and the date of
progression, from per-subject records in the exchange format (``docs/exchange-format.md``).
The records are the shared ones of :mod:`oncotrial.records` (re-exported here); the protocol
parameters come in an :class:`EndpointRules`, which every derivation takes explicitly.

Every derived row is plain data: a stable ``code`` (listed with its meaning in
:data:`RESULT_CODES`), the ``facts`` it used and a ``reason`` sentence. Pure functions and
frozen dataclasses, no I/O; see ``docs/endpoints.md``.
"""

from collections.abc import Mapping
from types import MappingProxyType

from oncotrial.endpoints.analysis import (
    SUMMARY_CODES,
    EndpointAnalysis,
    LandmarkRate,
    RateSummary,
    SubjectEndpoints,
    TimeToEventSummary,
    TimeToResponseSummary,
    analyze_endpoints,
)
from oncotrial.endpoints.checks import check_dataset
from oncotrial.endpoints.exchange import (
    DOMAINS,
    ColumnSpec,
    DomainSpec,
    dump_exchange,
    example_files,
    load_example_dataset,
    parse_exchange,
)
from oncotrial.endpoints.model import (
    Contact,
    Dataset,
    Death,
    Discontinuation,
    DiscontinuationLevel,
    DiscontinuationReason,
    DosingRecord,
    NewTherapy,
    Subject,
    SubjectData,
    TherapyType,
    TumourAssessment,
)
from oncotrial.endpoints.response import (
    NE_CATEGORIES,
    RESPONSE_CODES,
    ResponseOutcome,
    derive_response,
)
from oncotrial.endpoints.rules import EndpointRules, TimeOrigin
from oncotrial.endpoints.sets import SET_CODES, AnalysisSets, derive_analysis_sets
from oncotrial.endpoints.survival import (
    OS_CODES,
    PFS_CODES,
    EventKind,
    PfsVariant,
    TimeToEvent,
    derive_os,
    derive_pfs,
    derive_time_origin,
    last_known_alive,
)


def _result_codes() -> dict[str, str]:
    pfs = {code: meaning for code, (_, meaning) in PFS_CODES.items()}
    dor = {"dor." + code.removeprefix("pfs."):
           f"Duration of response, censored as PFS: {meaning[0].lower()}{meaning[1:]}"
           for code, meaning in pfs.items()}
    return {**pfs, **dor, **OS_CODES, **RESPONSE_CODES, **SET_CODES, **SUMMARY_CODES}


#: Every code a result of this package can carry (code -> one-sentence meaning).
RESULT_CODES: Mapping[str, str] = MappingProxyType(_result_codes())

__all__ = [
    "DOMAINS",
    "NE_CATEGORIES",
    "RESULT_CODES",
    "AnalysisSets",
    "ColumnSpec",
    "Contact",
    "Dataset",
    "Death",
    "Discontinuation",
    "DiscontinuationLevel",
    "DiscontinuationReason",
    "DomainSpec",
    "DosingRecord",
    "EndpointAnalysis",
    "EndpointRules",
    "EventKind",
    "LandmarkRate",
    "NewTherapy",
    "PfsVariant",
    "RateSummary",
    "ResponseOutcome",
    "Subject",
    "SubjectData",
    "SubjectEndpoints",
    "TherapyType",
    "TimeOrigin",
    "TimeToEvent",
    "TimeToEventSummary",
    "TimeToResponseSummary",
    "TumourAssessment",
    "analyze_endpoints",
    "check_dataset",
    "derive_analysis_sets",
    "derive_os",
    "derive_pfs",
    "derive_response",
    "derive_time_origin",
    "dump_exchange",
    "example_files",
    "last_known_alive",
    "load_example_dataset",
    "parse_exchange",
]
