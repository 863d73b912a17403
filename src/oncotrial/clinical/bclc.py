"""BCLC staging, 2022 update (Reig et al., J Hepatol 2022;76:681-693).

Implements ``hcc_clinical_scores.md`` section 3: evaluate D first, then C, then the tumour
burden that separates 0, A and B. "Preserved liver function" is the investigator's judgement in
the 2022 update; a Child-Pugh class C, when given, also counts as end-stage liver function.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from oncotrial.clinical.ecog import parse_ecog
from oncotrial.errors import InputError

__all__ = ["BclcResult", "BclcStage", "bclc_stage"]


class BclcStage(StrEnum):
    """BCLC stage: 0 very early, A early, B intermediate, C advanced, D terminal."""

    VERY_EARLY = "0"
    EARLY = "A"
    INTERMEDIATE = "B"
    ADVANCED = "C"
    TERMINAL = "D"


@dataclass(frozen=True, slots=True)
class BclcResult:
    """A BCLC stage and the sentence that says which rule decided it."""

    stage: BclcStage
    reason: str

    def summary(self) -> str:
        """``"BCLC C: ..."``."""
        return f"BCLC {self.stage}: {self.reason}"


def bclc_stage(
    *,
    ecog: int,
    liver_function_preserved: bool,
    nodule_count: int,
    largest_nodule_cm: float,
    macrovascular_invasion: bool,
    extrahepatic_spread: bool,
    ps_cancer_related: bool = True,
    child_pugh_class: str | None = None,
) -> BclcResult:
    """Stage hepatocellular carcinoma by BCLC 2022.

    Rule, in the order the 2022 update applies it:

    * D (terminal): end-stage liver function (``liver_function_preserved`` false, or Child-Pugh
      class C) or ECOG PS 3-4;
    * C (advanced): macrovascular (portal) invasion, extrahepatic spread, or cancer-related
      symptoms with ECOG PS 1-2 (``ps_cancer_related``; default true, as the update assumes);
    * 0 (very early): a single nodule of at most 2 cm with PS 0;
    * A (early): a single nodule of any size, or up to 3 nodules each at most 3 cm;
    * B (intermediate): multinodular disease beyond A, without vascular invasion or spread.

    Raises:
        InputError: ECOG is not 0-5, or the nodule count or size is impossible.

    Example: three nodules, the largest 5 cm, no invasion or spread, PS 0, preserved liver
    function is stage B; the same patient with portal vein invasion is C:

    >>> bclc_stage(ecog=0, liver_function_preserved=True, nodule_count=3, largest_nodule_cm=5,
    ...            macrovascular_invasion=False, extrahepatic_spread=False).stage
    <BclcStage.INTERMEDIATE: 'B'>
    >>> print(bclc_stage(ecog=0, liver_function_preserved=True, nodule_count=3,
    ...                  largest_nodule_cm=5, macrovascular_invasion=True,
    ...                  extrahepatic_spread=False).summary())
    BCLC C: macrovascular (portal) invasion.
    """
    ps = int(parse_ecog(ecog))
    if nodule_count < 0 or largest_nodule_cm < 0 or (nodule_count > 0 and largest_nodule_cm == 0):
        raise InputError(
            f"BCLC needs the number of nodules and the largest diameter, but got "
            f"{nodule_count} nodule(s) with the largest {largest_nodule_cm} cm.",
            field="nodule_count",
            value=nodule_count,
            hint="Enter the count of liver nodules (0 or more) and the largest one in cm.",
        )
    if ps >= 3:
        return BclcResult(BclcStage.TERMINAL, f"ECOG PS {ps} (3-4 is stage D).")
    if not liver_function_preserved:
        return BclcResult(BclcStage.TERMINAL, "end-stage liver function (not preserved).")
    if child_pugh_class is not None and str(child_pugh_class).upper() == "C":
        return BclcResult(BclcStage.TERMINAL, "end-stage liver function (Child-Pugh C).")
    reasons = []
    if macrovascular_invasion:
        reasons.append("macrovascular (portal) invasion")
    if extrahepatic_spread:
        reasons.append("extrahepatic spread")
    if ps in (1, 2) and ps_cancer_related:
        reasons.append(f"cancer-related symptoms with ECOG PS {ps}")
    if reasons:
        return BclcResult(BclcStage.ADVANCED, "; ".join(reasons) + ".")
    if nodule_count == 1 and largest_nodule_cm <= 2.0 and ps == 0:
        return BclcResult(BclcStage.VERY_EARLY, "single nodule of at most 2 cm with PS 0.")
    if nodule_count == 1:
        return BclcResult(BclcStage.EARLY, f"single nodule of {largest_nodule_cm:g} cm.")
    if 1 < nodule_count <= 3 and largest_nodule_cm <= 3.0:
        return BclcResult(BclcStage.EARLY, f"{nodule_count} nodules, each at most 3 cm.")
    return BclcResult(
        BclcStage.INTERMEDIATE,
        f"multinodular ({nodule_count} nodules, largest {largest_nodule_cm:g} cm) beyond "
        "stage A, without vascular invasion or extrahepatic spread.",
    )
