"""Tumour response by RECIST 1.1 (Eisenhauer et al. 2009, with the 2016 clarification).

From lesion measurements to the overall time-point response and the (confirmed) best
overall response; modified RECIST for hepatocellular carcinoma (Lencioni & Llovet 2010) is a
second criteria set behind the same interface (``criteria="mRECIST"``). Pure functions and
frozen dataclasses, no I/O. The thresholds are versioned data in ``recist/data/criteria.json``;
the rules, the result codes and worked examples are in ``docs/recist.md``.

* Inputs: :class:`Lesion` (baseline) and :class:`Assessment` (follow-up), or the shared
  :class:`oncotrial.records.LesionMeasurement` rows through :func:`inputs_from_measurements`.
* Results, plain data with ``code``, ``facts`` and ``reason``: :class:`TimepointResponse`,
  :class:`Evaluation`, :class:`BestOverallResponse`, :class:`Measurability`; every code is
  in :data:`RESULT_CODES`.
* :class:`Response` is the shared :class:`oncotrial.records.Response`, re-exported here.
"""

from oncotrial.recist._bor import BestOverallResponse, WindowStop, best_overall_response
from oncotrial.recist._codes import RESULT_CODES
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
    Measurability,
    Method,
    check_baseline,
    classify_new_lesion_mrecist,
    get_criteria,
    is_measurable,
    measurability,
)
from oncotrial.recist._measurements import inputs_from_measurements
from oncotrial.recist._response import (
    NewLesionStatus,
    NonTargetStatus,
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
from oncotrial.records import Response

__all__ = [
    "RESULT_CODES",
    "Assessment",
    "BestOverallResponse",
    "Criteria",
    "Evaluation",
    "Lesion",
    "LesionKind",
    "Measurability",
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
    "WindowStop",
    "best_overall_response",
    "check_baseline",
    "classify_new_lesion_mrecist",
    "derive_spider",
    "derive_swimmer",
    "derive_waterfall",
    "evaluate",
    "get_criteria",
    "inputs_from_measurements",
    "is_measurable",
    "measurability",
    "non_target_response",
    "overall_response",
    "target_response",
]
