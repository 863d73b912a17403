"""Every code an eligibility result can carry, with its meaning (``RESULT_CODES``).

A verdict code is the criterion id, the status and what decided it:
``I11.not_met.anc_below_min``, ``E5.not_met.hbv_hcv_coinfection``, ``I9.missing.hbv_dna``,
``E3.attest.needed``. Criterion ids are the protocol's own, so the catalogue writes them as
``{criterion}``. The codes of the generic rules are generated from the rule vocabulary
(:mod:`oncotrial.protocol.vocabulary`) and the screening record's entries; the named checks
list their own (:data:`oncotrial.eligibility.checks.CHECK_CODES`). ``docs/eligibility.md``
explains each family.
"""

from __future__ import annotations

from collections.abc import Mapping

from oncotrial.eligibility.checks import CHECK_CODES
from oncotrial.eligibility.outcome import missing_code
from oncotrial.eligibility.record import entry_paths
from oncotrial.protocol.vocabulary import FIELDS

__all__ = ["RESULT_CODES"]


def _field_codes() -> dict[str, str]:
    codes: dict[str, str] = {}
    for name, spec in FIELDS.items():
        what = spec.description.rstrip(".")
        if spec.kind in ("number", "integer"):
            codes[f"not_met.{name}_below_min"] = f"{what}: below the minimum the rule requires."
            codes[f"not_met.{name}_above_max"] = f"{what}: above the maximum the rule allows."
            codes[f"met.{name}_within_limits"] = f"{what}: within the rule's limits."
        if spec.kind in ("category", "integer", "bool"):
            codes[f"not_met.{name}_not_allowed"] = f"{what}: not one of the values allowed."
            codes[f"met.{name}_allowed"] = f"{what}: one of the values allowed."
        if spec.kind == "date":
            codes[f"met.{name}_in_window"] = f"{what}: within the rule's window."
            codes[f"not_met.{name}_too_old"] = f"{what}: longer ago than the window allows."
            codes[f"not_met.{name}_too_recent"] = f"{what}: more recent than the window allows."
            codes[f"not_met.{name}_after_reference"] = \
                f"{what}: after the enrolment or first-dose date the window counts from."
            codes[f"met.{name}_none"] = f"{what}: the record says there was none, which the " \
                                        "rule accepts."
            codes[f"not_met.{name}_none"] = f"{what}: the record says there was none, which " \
                                            "the rule does not accept."
    return codes


def _missing_codes() -> dict[str, str]:
    return {f"missing.{missing_code(path)}": f"Data needed are absent: {path} (the verdict's "
                                               "missing list names every entry to fill in)."
            for path in entry_paths()}


_OTHER = {
    "met.all_parts": "Every part of the criterion's rule is met.",
    "attest.needed": "An investigator attestation is due (the reason gives the question and "
                     "its attestation key).",
    "met.attested_yes": "The investigator answered the attestation question yes.",
    "not_met.attested_no": "The investigator answered the attestation question no.",
}

_RESULTS = {
    "eligibility.eligible": "Every criterion is met: the subject is eligible.",
    "eligibility.not_eligible": "At least one criterion is not met: the subject is not eligible.",
    "eligibility.incomplete": "No criterion is not met, but data are missing or "
                              "attestations are due.",
}

#: Code pattern -> meaning, for every code a Verdict or ScreeningResult can carry.
RESULT_CODES: Mapping[str, str] = {
    **{f"{{criterion}}.{code}": meaning
       for code, meaning in {**_field_codes(), **_missing_codes(), **_OTHER,
                             **CHECK_CODES}.items()},
    **_RESULTS,
}
