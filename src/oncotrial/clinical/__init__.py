"""Clinical units and scores for HCC trials (core: pure functions, no I/O).

Units: :class:`Quantity` and :func:`convert` for every analyte the protocol and CTCAE v5.0 use
(``docs/clinical.md`` lists the analyte keys). Scores: Child-Pugh (Pugh et al. 1973), ALBI
(Johnson et al. 2015), BCLC 2022 (Reig et al. 2022), ECOG (Oken et al. 1982), Cockcroft-Gault
(Cockcroft and Gault 1976), QTc (Bazett 1920, Fridericia 1920) and age in completed years.

The Child-Pugh bands live here only: other packages call :func:`child_pugh`,
:func:`child_pugh_points` or :func:`child_pugh_class`. :class:`ChildPughClass` and
:class:`Sex` are the shared enums of :mod:`oncotrial.records`, re-exported for
compatibility. Derived results (Child-Pugh, ALBI, BCLC) carry a ``code`` listed in
:data:`RESULT_CODES`, their ``facts`` and a ``reason``.
"""

from collections.abc import Mapping

from oncotrial.clinical.age import age_in_years
from oncotrial.clinical.bclc import BclcResult, BclcStage, bclc_stage
from oncotrial.clinical.ecg import bazett_formula, fridericia_formula, qtc_bazett, qtc_fridericia
from oncotrial.clinical.ecog import EcogStatus, check_ecog, parse_ecog
from oncotrial.clinical.liver import (
    CHILD_PUGH_CLASS_POINTS,
    AlbiResult,
    Ascites,
    ChildPughPoints,
    ChildPughResult,
    CoagulationItem,
    Encephalopathy,
    albi,
    child_pugh,
    child_pugh_class,
    child_pugh_points,
)
from oncotrial.clinical.renal import cockcroft_gault, cockcroft_gault_formula, parse_sex
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
from oncotrial.records import ChildPughClass, Sex

#: Every code a clinical result can carry (pattern -> meaning); see docs/clinical.md.
RESULT_CODES: Mapping[str, str] = {
    "clinical.child_pugh.a": "Child-Pugh class A: 5 or 6 points (Pugh et al. 1973).",
    "clinical.child_pugh.b": "Child-Pugh class B: 7 to 9 points (Pugh et al. 1973).",
    "clinical.child_pugh.c": "Child-Pugh class C: 10 to 15 points (Pugh et al. 1973).",
    "clinical.albi.grade_1": "ALBI grade 1: score -2.60 or less (Johnson et al. 2015).",
    "clinical.albi.grade_2": "ALBI grade 2: score above -2.60 up to -1.39 (Johnson et al. 2015).",
    "clinical.albi.grade_3": "ALBI grade 3: score above -1.39 (Johnson et al. 2015).",
    "clinical.bclc.d.performance_status": "BCLC stage D: ECOG performance status 3 or 4.",
    "clinical.bclc.d.liver_function_not_preserved":
        "BCLC stage D: end-stage liver function in the investigator's judgement.",
    "clinical.bclc.d.child_pugh_c": "BCLC stage D: end-stage liver function (Child-Pugh C).",
    "clinical.bclc.c.macrovascular_invasion":
        "BCLC stage C: macrovascular (portal) invasion (other stage C features may be present "
        "too; see the facts).",
    "clinical.bclc.c.extrahepatic_spread":
        "BCLC stage C: extrahepatic spread, without macrovascular invasion.",
    "clinical.bclc.c.cancer_related_symptoms":
        "BCLC stage C: cancer-related symptoms with ECOG 1-2, without invasion or spread.",
    "clinical.bclc.0.single_nodule_2cm":
        "BCLC stage 0: a single nodule of at most 2 cm with ECOG 0.",
    "clinical.bclc.a.single_nodule":
        "BCLC stage A: a single nodule, larger than 2 cm or with a PS above 0 not due to the "
        "cancer.",
    "clinical.bclc.a.up_to_3_nodules_3cm": "BCLC stage A: 2 or 3 nodules, each at most 3 cm.",
    "clinical.bclc.b.multinodular":
        "BCLC stage B: multinodular disease beyond stage A, without invasion or spread.",
}

__all__ = [
    "ANALYTES",
    "CHILD_PUGH_CLASS_POINTS",
    "RESULT_CODES",
    "AlbiResult",
    "AnalyteSpec",
    "Ascites",
    "BclcResult",
    "BclcStage",
    "ChildPughClass",
    "ChildPughPoints",
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
    "bazett_formula",
    "bclc_stage",
    "canonical_unit",
    "check_ecog",
    "check_plausible",
    "child_pugh",
    "child_pugh_class",
    "child_pugh_points",
    "cockcroft_gault",
    "cockcroft_gault_formula",
    "convert",
    "fridericia_formula",
    "normalise_unit",
    "parse_ecog",
    "parse_sex",
    "qtc_bazett",
    "qtc_fridericia",
]
