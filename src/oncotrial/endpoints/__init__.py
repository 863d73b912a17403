"""Efficacy endpoints of the trial: PFS, OS, ORR, DCR, duration of and time to response.

Derived by the rules of ``endpoints.md`` (US FDA 2018 guidance on cancer trial endpoints for
the PFS event/censoring table; RECIST 1.1, Eisenhauer et al. 2009, for responses and the date of
progression) from per-subject records in the exchange format (``docs/exchange-format.md``).
Every derived value carries the rule that decided it and a sentence saying why.
Pure functions and frozen dataclasses, no I/O; see ``docs/endpoints.md``.
"""

from oncotrial.endpoints.analysis import (
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
from oncotrial.endpoints.response import ResponseOutcome, derive_response
from oncotrial.endpoints.rules import EndpointRules, TimeOrigin
from oncotrial.endpoints.sets import AnalysisSets, derive_analysis_sets
from oncotrial.endpoints.survival import (
    DAYS_PER_MONTH,
    EventKind,
    PfsVariant,
    TimeToEvent,
    derive_os,
    derive_pfs,
    derive_time_origin,
    last_known_alive,
)

__all__ = [
    "DAYS_PER_MONTH",
    "DOMAINS",
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
