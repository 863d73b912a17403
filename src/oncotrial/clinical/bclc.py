"""BCLC staging, 2022 update (Reig M et al. BCLC strategy for prognosis prediction and treatment
recommendation: the 2022 update. J Hepatol 2022;76:681-693).

The 2022 update is applied in its own order: stage D first, then C, then the tumour burden that
separates 0, A and B. "Preserved liver function" is the investigator's judgement in the 2022
update; a Child-Pugh class C, when given, also counts as end-stage liver function.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from oncotrial.clinical.ecog import parse_ecog
from oncotrial.errors import InputError
from oncotrial.records import ChildPughClass, Facts

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
    """A BCLC stage, the code of the rule that decided it, its inputs and the sentence.

    ``code`` is ``clinical.bclc.<stage>.<rule>``, e.g. ``clinical.bclc.c.macrovascular_invasion``
    (the first rule of the 2022 order that applies; ``facts`` holds every input).
    """

    stage: BclcStage
    code: str
    reason: str
    facts: Facts = field(default_factory=dict, hash=False)

    def summary(self) -> str:
        """``"BCLC C: ..."``."""
        return f"BCLC {self.stage}: {self.reason}"


def _advanced(ps: int, macrovascular_invasion: bool, extrahepatic_spread: bool,
              ps_cancer_related: bool) -> list[tuple[str, str]]:
    """The stage C features present, as (code part, words), in the 2022 order."""
    found = []
    if macrovascular_invasion:
        found.append(("macrovascular_invasion", "macrovascular (portal) invasion"))
    if extrahepatic_spread:
        found.append(("extrahepatic_spread", "extrahepatic spread"))
    if ps in (1, 2) and ps_cancer_related:
        found.append(("cancer_related_symptoms", f"cancer-related symptoms with ECOG PS {ps}"))
    return found


def _burden(ps: int, nodule_count: int, largest_nodule_cm: float) -> tuple[BclcStage, str, str]:
    """Stage 0, A or B from the tumour burden alone: (stage, code part, sentence)."""
    if nodule_count == 1 and largest_nodule_cm <= 2.0 and ps == 0:
        return (BclcStage.VERY_EARLY, "single_nodule_2cm",
                "single nodule of at most 2 cm with PS 0.")
    if nodule_count == 1:
        return BclcStage.EARLY, "single_nodule", f"single nodule of {largest_nodule_cm:g} cm."
    if 1 < nodule_count <= 3 and largest_nodule_cm <= 3.0:
        return (BclcStage.EARLY, "up_to_3_nodules_3cm",
                f"{nodule_count} nodules, each at most 3 cm.")
    return (BclcStage.INTERMEDIATE, "multinodular",
            f"multinodular ({nodule_count} nodules, largest {largest_nodule_cm:g} cm) beyond "
            "stage A, without vascular invasion or extrahepatic spread.")


def bclc_stage(
    *,
    ecog: int,
    liver_function_preserved: bool,
    nodule_count: int,
    largest_nodule_cm: float,
    macrovascular_invasion: bool,
    extrahepatic_spread: bool,
    ps_cancer_related: bool = True,
    child_pugh_class: ChildPughClass | str | None = None,
) -> BclcResult:
    """Stage hepatocellular carcinoma by BCLC 2022 (Reig et al. 2022, figure 1).

    Rule, in the order the 2022 update applies it:

    * D (terminal): ECOG PS 3-4, or end-stage liver function (``liver_function_preserved``
      false, or Child-Pugh class C);
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
    >>> result = bclc_stage(ecog=0, liver_function_preserved=True, nodule_count=3,
    ...                     largest_nodule_cm=5, macrovascular_invasion=True,
    ...                     extrahepatic_spread=False)
    >>> print(result.summary()); print(result.code)
    BCLC C: macrovascular (portal) invasion.
    clinical.bclc.c.macrovascular_invasion
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
    klass = None if child_pugh_class is None else str(child_pugh_class).upper()
    facts: Facts = {"ecog": ps, "liver_function_preserved": liver_function_preserved,
                    "nodule_count": nodule_count, "largest_nodule_cm": largest_nodule_cm,
                    "macrovascular_invasion": macrovascular_invasion,
                    "extrahepatic_spread": extrahepatic_spread,
                    "ps_cancer_related": ps_cancer_related, "child_pugh_class": klass}
    if ps >= 3:
        return BclcResult(BclcStage.TERMINAL, "clinical.bclc.d.performance_status",
                          f"ECOG PS {ps} (3-4 is stage D).", facts)
    if not liver_function_preserved:
        return BclcResult(BclcStage.TERMINAL, "clinical.bclc.d.liver_function_not_preserved",
                          "end-stage liver function (not preserved).", facts)
    if klass == "C":
        return BclcResult(BclcStage.TERMINAL, "clinical.bclc.d.child_pugh_c",
                          "end-stage liver function (Child-Pugh C).", facts)
    advanced = _advanced(ps, macrovascular_invasion, extrahepatic_spread, ps_cancer_related)
    if advanced:
        return BclcResult(BclcStage.ADVANCED, f"clinical.bclc.c.{advanced[0][0]}",
                          "; ".join(words for _, words in advanced) + ".", facts)
    stage, part, reason = _burden(ps, nodule_count, largest_nodule_cm)
    return BclcResult(stage, f"clinical.bclc.{stage.value.lower()}.{part}", reason, facts)
