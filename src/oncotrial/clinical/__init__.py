"""Clinical units and scores for HCC trials (core: pure functions, no I/O).

Units: :class:`Quantity` and :func:`convert` for every analyte the protocol and CTCAE v5.0 use
(``docs/clinical.md`` lists the analyte keys). Scores: Child-Pugh, ALBI, BCLC 2022, ECOG,
Cockcroft-Gault, QTc (Bazett, Fridericia) and age in completed years.
"""

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
    "AnalyteSpec",
    "Quantity",
    "accepted_units",
    "analyte_key",
    "canonical_unit",
    "check_plausible",
    "convert",
    "normalise_unit",
]
