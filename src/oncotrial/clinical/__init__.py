"""Clinical units and scores for HCC trials (core: pure functions, no I/O).

Units: :class:`Quantity` and :func:`convert` for every analyte the protocol and CTCAE v5.0 use
(``docs/clinical.md`` lists the analyte keys). Scores: Child-Pugh, ALBI, BCLC 2022, ECOG,
Cockcroft-Gault, QTc (Bazett, Fridericia) and age in completed years.
"""

from oncotrial.clinical.age import age_in_years
from oncotrial.clinical.bclc import BclcResult, BclcStage, bclc_stage
from oncotrial.clinical.ecg import qtc_bazett, qtc_fridericia
from oncotrial.clinical.ecog import EcogStatus, check_ecog, parse_ecog
from oncotrial.clinical.liver import (
    AlbiResult,
    Ascites,
    ChildPughClass,
    ChildPughResult,
    CoagulationItem,
    Encephalopathy,
    albi,
    child_pugh,
)
from oncotrial.clinical.renal import Sex, cockcroft_gault, parse_sex
from oncotrial.clinical.units import (
    ANALYTES,
    AnalyteSpec,
    Quantity,
    accepted_units,
    analyte_key,
    canonical_unit,
    check_plausible,
    convert,
    normalise_unit,
)

__all__ = [
    "ANALYTES",
    "AlbiResult",
    "AnalyteSpec",
    "Ascites",
    "BclcResult",
    "BclcStage",
    "ChildPughClass",
    "ChildPughResult",
    "CoagulationItem",
    "EcogStatus",
    "Encephalopathy",
    "Quantity",
    "Sex",
    "accepted_units",
    "age_in_years",
    "albi",
    "analyte_key",
    "bclc_stage",
    "canonical_unit",
    "check_ecog",
    "check_plausible",
    "child_pugh",
    "cockcroft_gault",
    "convert",
    "normalise_unit",
    "parse_ecog",
    "parse_sex",
    "qtc_bazett",
    "qtc_fridericia",
]
