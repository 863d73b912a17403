"""The RECIST 1.1 response tables (Eisenhauer et al. 2009), on categories and sums.

The building blocks here are the rules of RECIST 1.1 sections 4.3 and 4.4: target-lesion
response (section 4.3.1), non-target response (section 4.3, evaluation of non-target lesions)
and the overall time-point response (section 4.4.1, Tables 1 and 2). They take categories and
sums and return categories; the lesion-level derivation that produces those sums lives in
``_timepoint``, which calls :func:`target_response` for every time point.

The categories themselves are :class:`oncotrial.records.Response`, the shared vocabulary.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from oncotrial.errors import InputError
from oncotrial.records import Response

__all__ = [
    "NewLesionStatus",
    "NonTargetStatus",
    "non_target_response",
    "overall_response",
    "target_response",
]

# Floating-point slack for the percentage thresholds: RECIST boundaries are inclusive
# ("at least a 20 % increase", "at least a 30 % decrease"), and 1.2 * 47 is not exactly 56.4
# in binary floating point. One nanometre cannot change a clinical call.
_EPS = 1e-9
# Enum members as module constants: attribute access on an Enum class is slow in a loop.
_PD, _CR, _PR, _SD, _NE = Response.PD, Response.CR, Response.PR, Response.SD, Response.NE


class NewLesionStatus(StrEnum):
    """New-lesion finding at a time point (RECIST 1.1 section 4.3, "New lesions").

    An ``EQUIVOCAL`` new lesion is not PD at that time point; if a later scan confirms it,
    PD is dated back to the scan where it was first seen.

    >>> NewLesionStatus.parse(True), NewLesionStatus.parse("equivocal")
    (<NewLesionStatus.YES: 'YES'>, <NewLesionStatus.EQUIVOCAL: 'EQUIVOCAL'>)
    """

    NO = "NO"
    EQUIVOCAL = "EQUIVOCAL"
    YES = "YES"

    @classmethod
    def parse(cls, value: NewLesionStatus | str | bool | None) -> NewLesionStatus:
        """Read ``True``/``False``/``None`` or "yes", "no", "equivocal" as a status.

        ``None`` means no new lesion was reported.

        Raises:
            InputError: the value is not a new-lesion status.
        """
        if isinstance(value, NewLesionStatus):
            return value
        if value is None or value is False:
            return cls.NO
        if value is True:
            return cls.YES
        if isinstance(value, str):
            key = value.strip().upper()
            if key in {"Y", "YES", "UNEQUIVOCAL"}:
                return cls.YES
            if key in {"N", "NO", "NONE"}:
                return cls.NO
            if key in {"EQUIVOCAL", "EQ"}:
                return cls.EQUIVOCAL
        raise InputError(
            f"New-lesion status {value!r} is not recognised. "
            "RECIST 1.1 records a new lesion as no, equivocal or yes (unequivocal).",
            field="new_lesion",
            value=value,
            hint="Record NO, EQUIVOCAL or YES.",
        )


class NonTargetStatus(StrEnum):
    """A non-target lesion's state at a follow-up scan (RECIST 1.1 section 4.3, non-target lesions).

    ``PROGRESSION`` is the reader's judgement of unequivocal progression; the software never
    infers it from measurements.
    """

    ABSENT = "ABSENT"
    PRESENT = "PRESENT"
    PROGRESSION = "PROGRESSION"
    NOT_EVALUATED = "NOT_EVALUATED"

    @classmethod
    def parse(cls, value: NonTargetStatus | str) -> NonTargetStatus:
        """Read a status written in any case ("present", "absent", "progression", "ne").

        Raises:
            InputError: the value is not a non-target status.
        """
        if isinstance(value, NonTargetStatus):
            return value
        if isinstance(value, str):
            key = value.strip().upper().replace(" ", "_").replace("-", "_")
            key = {"NE": "NOT_EVALUATED", "PD": "PROGRESSION", "UNEQUIVOCAL_PROGRESSION":
                   "PROGRESSION", "GONE": "ABSENT", "DISAPPEARED": "ABSENT"}.get(key, key)
            if key in cls.__members__:
                return cls[key]
        raise InputError(
            f"Non-target status {value!r} is not recognised. "
            "RECIST 1.1 records a non-target lesion as absent, present, unequivocally "
            "progressed or not evaluated.",
            field="non_target",
            value=value,
            hint="Record ABSENT, PRESENT, PROGRESSION or NOT_EVALUATED.",
        )


def target_response(
    *,
    baseline_sum_mm: float,
    nadir_mm: float,
    current_sum_mm: float,
    all_targets_in_cr: bool,
    complete: bool = True,
    pd_rel: float = 0.20,
    pd_abs_mm: float | None = 5.0,
    pr_rel: float = 0.30,
) -> Response:
    """Target-lesion response at one time point by RECIST 1.1 section 4.3.1.

    Rules, in this order:

    * PD: the sum is at least 20 % above the nadir **and** at least 5 mm above it.
      The nadir is the smallest sum before this time point, baseline included.
    * CR: every target has disappeared (``all_targets_in_cr``: non-nodal targets 0 mm and
      lymph nodes under 10 mm short axis, so the sum may be above 0).
    * PR: the sum is at least 30 % below the **baseline** sum.
    * SD: neither.

    With ``complete=False`` the sum covers only the targets measured at this visit
    (RECIST 1.1 section 4.4, missing assessments, and the 2016 clarification): the time point
    is PD if the measured targets alone already prove it, otherwise NE. :func:`evaluate` calls
    this function for the target category of every time point.
    ``pd_abs_mm=None`` drops the 5 mm rule (mRECIST as published).

    Raises:
        InputError: a sum is negative.

    Worked examples, baseline 60 mm:

    >>> target_response(baseline_sum_mm=60, nadir_mm=47, current_sum_mm=58, all_targets_in_cr=False)
    <Response.PD: 'PD'>
    >>> target_response(baseline_sum_mm=12, nadir_mm=12, current_sum_mm=15, all_targets_in_cr=False)
    <Response.SD: 'SD'>
    >>> target_response(baseline_sum_mm=60, nadir_mm=40, current_sum_mm=42, all_targets_in_cr=False)
    <Response.PR: 'PR'>
    >>> target_response(baseline_sum_mm=40, nadir_mm=20, current_sum_mm=14, all_targets_in_cr=True)
    <Response.CR: 'CR'>
    """
    if not (baseline_sum_mm >= 0 and nadir_mm >= 0 and current_sum_mm >= 0):
        _refuse_negative(baseline_sum_mm, nadir_mm, current_sum_mm)
    if _is_pd(nadir_mm, current_sum_mm, pd_rel, pd_abs_mm):
        return _PD
    if not complete:
        return _NE
    if all_targets_in_cr:
        return _CR
    if current_sum_mm <= (1.0 - pr_rel) * baseline_sum_mm + _EPS:
        return _PR
    return _SD


def _refuse_negative(baseline_sum_mm: float, nadir_mm: float, current_sum_mm: float) -> None:
    """Raise for the first sum that is negative (or not a number)."""
    for name, value in (
        ("baseline_sum_mm", baseline_sum_mm),
        ("nadir_mm", nadir_mm),
        ("current_sum_mm", current_sum_mm),
    ):
        if not value >= 0:
            raise InputError(
                f"{name} is {value} mm. A sum of diameters cannot be negative.",
                field=name,
                value=value,
                hint="Correct the lesion measurements.",
            )


def _is_pd(nadir: float, current: float, pd_rel: float, pd_abs_mm: float | None) -> bool:
    """RECIST 1.1 section 4.3.1: >= 20 % and (unless disabled) >= 5 mm above the nadir."""
    if current < (1.0 + pd_rel) * nadir - _EPS:
        return False
    if pd_abs_mm is None:
        return current > nadir
    return current - nadir >= pd_abs_mm - _EPS


def non_target_response(statuses: Iterable[NonTargetStatus | str]) -> Response | None:
    """Non-target response at one time point by RECIST 1.1 section 4.3 (non-target lesions).

    * PD: any non-target lesion shows unequivocal progression (a reader's judgement).
    * NE: any non-target lesion was not evaluated and none progressed.
    * NON-CR/NON-PD: at least one non-target lesion persists.
    * CR: all non-target lesions are gone (nodes under 10 mm short axis).

    Returns None when there are no non-target lesions; the overall table then reads the
    non-target column as CR.

    >>> non_target_response(["absent", "present"])
    <Response.NON_CR_NON_PD: 'NON-CR/NON-PD'>
    >>> non_target_response(["not_evaluated", "progression"])
    <Response.PD: 'PD'>
    >>> non_target_response([]) is None
    True
    """
    seen = {NonTargetStatus.parse(s) for s in statuses}
    if not seen:
        return None
    if NonTargetStatus.PROGRESSION in seen:
        return Response.PD
    if NonTargetStatus.NOT_EVALUATED in seen:
        return Response.NE
    if NonTargetStatus.PRESENT in seen:
        return Response.NON_CR_NON_PD
    return Response.CR


_TARGET_ALLOWED = frozenset({Response.CR, Response.PR, Response.SD, Response.PD, Response.NE})
_NON_TARGET_ALLOWED = frozenset({Response.CR, Response.NON_CR_NON_PD, Response.PD, Response.NE})


def overall_response(
    *,
    target: Response | str | None,
    non_target: Response | str | None,
    new_lesion: NewLesionStatus | str | bool | None,
) -> Response:
    """Overall time-point response from RECIST 1.1 Table 1 (targets) or Table 2 (no targets).

    ``target=None`` means the patient has no target lesions (non-target disease only,
    Table 2); ``non_target=None`` means no non-target lesions at baseline, read as CR.
    An equivocal new lesion is not PD at this time point (section 4.3, new lesions).

    Table 1 (target disease): PD in any column, or a new lesion, gives PD; otherwise
    CR + CR = CR; CR + NON-CR/NON-PD or NE = PR; PR + non-PD or NE = PR;
    SD + non-PD or NE = SD; NE + non-PD = NE.
    Table 2 (non-target only): CR = CR, NON-CR/NON-PD = NON-CR/NON-PD, NE = NE.

    Raises:
        InputError: both columns are empty (no disease was recorded at baseline), or a
            category does not belong in its column (for example target NON-CR/NON-PD).

    >>> overall_response(target="CR", non_target="NON-CR/NON-PD", new_lesion=False)
    <Response.PR: 'PR'>
    >>> overall_response(target="SD", non_target=None, new_lesion="equivocal")
    <Response.SD: 'SD'>
    >>> overall_response(target=None, non_target="NON-CR/NON-PD", new_lesion=True)
    <Response.PD: 'PD'>
    """
    t = None if target is None else Response.parse(target)
    nt = None if non_target is None else Response.parse(non_target)
    new = NewLesionStatus.parse(new_lesion)
    if t is not None and t not in _TARGET_ALLOWED:
        raise InputError(
            f"Target response {t.value} is not a target-lesion category. "
            "RECIST 1.1 section 4.3.1 uses CR, PR, SD, PD or NE for target lesions.",
            field="target",
            value=t.value,
            hint="NON-CR/NON-PD is for non-target lesions; correct the target response.",
        )
    if nt is not None and nt not in _NON_TARGET_ALLOWED:
        raise InputError(
            f"Non-target response {nt.value} is not a non-target category. "
            "RECIST 1.1 section 4.3 uses CR, NON-CR/NON-PD, PD or NE for non-target lesions.",
            field="non_target",
            value=nt.value,
            hint="Correct the non-target response.",
        )
    if t is None and nt is None:
        raise InputError(
            "Neither target nor non-target lesions were recorded. "
            "RECIST 1.1 needs disease at baseline to assess response.",
            field="target",
            value=None,
            hint="Record the baseline lesions, or do not assess this patient for response.",
        )
    return _overall(t, nt, new)


_NEW_YES = NewLesionStatus.YES


def _overall(t: Response | None, nt: Response | None, new: NewLesionStatus) -> Response:
    """Tables 1 and 2 on parsed, validated categories (the fast path for evaluate)."""
    if new is _NEW_YES or t is _PD or nt is _PD:
        return _PD
    if t is None:
        return _NE if nt is None else nt  # Table 2: CR, NON-CR/NON-PD or NE as is
    if t is _CR:
        return _CR if nt is None or nt is _CR else _PR
    return t  # PR, SD and NE carry over when non-targets are non-PD or NE
