"""Tumour response by RECIST 1.1 (Eisenhauer et al. 2009, with the 2016 clarification).

From lesion measurements to the overall time-point response and the (confirmed) best
overall response; modified RECIST for hepatocellular carcinoma (Lencioni & Llovet 2010) is a
second criteria set behind the same interface. Pure functions and frozen dataclasses, no I/O.
The operational rules are in ``recist11.md`` and ``mrecist_hcc.md``; see ``docs/recist.md``.
"""

from oncotrial.recist._bor import BestOverallResponse, best_overall_response
from oncotrial.recist._response import (
    NewLesionStatus,
    NonTargetStatus,
    Response,
    non_target_response,
    overall_response,
    target_response,
)

__all__ = [
    "BestOverallResponse",
    "NewLesionStatus",
    "NonTargetStatus",
    "Response",
    "best_overall_response",
    "non_target_response",
    "overall_response",
    "target_response",
]
