"""Tumour response by RECIST 1.1 (Eisenhauer et al. 2009, with the 2016 clarification).

From lesion measurements to the overall time-point response and the (confirmed) best
overall response; modified RECIST for hepatocellular carcinoma (Lencioni & Llovet 2010) is a
second criteria set behind the same interface (``criteria="mRECIST"``). Pure functions and
frozen dataclasses, no I/O. The thresholds are versioned data in ``recist/data/criteria.json``.
The operational rules are in ``recist11.md`` and ``mrecist_hcc.md``; see ``docs/recist.md``.
"""

from oncotrial.recist._bor import BestOverallResponse, best_overall_response
from oncotrial.recist._figures import (
    SpiderPoint,
    SwimmerLane,
    WaterfallBar,
    derive_spider,
    derive_swimmer,
    derive_waterfall,
)
from oncotrial.recist._lesions import (
    Criteria,
    Lesion,
    LesionKind,
    Method,
    check_baseline,
    classify_new_lesion_mrecist,
    get_criteria,
    is_measurable,
)
from oncotrial.recist._response import (
    NewLesionStatus,
    NonTargetStatus,
    Response,
    non_target_response,
    overall_response,
    target_response,
)
from oncotrial.recist._timepoint import (
    Assessment,
    Evaluation,
    MeasurementState,
    TargetMeasurement,
    TimepointResponse,
    evaluate,
)

__all__ = [
    "Assessment",
    "BestOverallResponse",
    "Criteria",
    "Evaluation",
    "Lesion",
    "LesionKind",
    "MeasurementState",
    "Method",
    "NewLesionStatus",
    "NonTargetStatus",
    "Response",
    "SpiderPoint",
    "SwimmerLane",
    "TargetMeasurement",
    "TimepointResponse",
    "WaterfallBar",
    "best_overall_response",
    "check_baseline",
    "classify_new_lesion_mrecist",
    "derive_spider",
    "derive_swimmer",
    "derive_waterfall",
    "evaluate",
    "get_criteria",
    "is_measurable",
    "non_target_response",
    "overall_response",
    "target_response",
]
