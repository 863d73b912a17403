"""Lesion-level derivation of time-point responses, RECIST 1.1 sections 4.3-4.4 and mRECIST.

From baseline lesions and follow-up measurements to the sum of diameters, its change from
baseline and from the nadir, the target, non-target and new-lesion status, the overall
time-point response and a one-sentence reason with the numbers (``recist11.md`` sections 3-7,
9; ``mrecist_hcc.md`` section 3).

The per-subject loop uses plain floats so that 10,000 subjects with 20 assessments each run
in a few seconds (``benchmarks/bench_recist.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple, TypeAlias

from oncotrial.errors import InputError
from oncotrial.recist._bor import BestOverallResponse, best_overall_response
from oncotrial.recist._lesions import (
    Criteria,
    Lesion,
    LesionKind,
    _is_porta_hepatis,
    get_criteria,
)
from oncotrial.recist._response import (
    _EPS,
    NewLesionStatus,
    NonTargetStatus,
    Response,
    _overall,
)

__all__ = [
    "Assessment",
    "Evaluation",
    "MeasurementState",
    "TargetMeasurement",
    "TimepointResponse",
    "evaluate",
]


class MeasurementState(StrEnum):
    """How a target was recorded at follow-up (RECIST 1.1 section 4.3 and appendix I).

    ``TOO_SMALL`` is a lesion still seen but too small to measure (5 mm by default);
    ``DISAPPEARED`` is 0 mm; ``NOT_EVALUATED`` makes the target component NE unless the
    other targets already prove PD.
    """

    MEASURED = "MEASURED"
    TOO_SMALL = "TOO_SMALL"
    DISAPPEARED = "DISAPPEARED"
    NOT_EVALUATED = "NOT_EVALUATED"


@dataclass(frozen=True, slots=True)
class TargetMeasurement:
    """A target's follow-up record when a plain number is not enough.

    * ``fragments_mm``: the lesion split; its value is the sum of the fragments' diameters.
    * ``merged_into``: the lesion coalesced with another target, whose record holds the
      diameter of the whole mass; this one counts 0 mm.
    * ``state``: too small to measure, disappeared or not evaluated.

    >>> TargetMeasurement(fragments_mm=(12.0, 7.0)).value_mm
    19.0
    """

    value_mm: float | None = None
    _: KW_ONLY
    state: MeasurementState = MeasurementState.MEASURED
    fragments_mm: tuple[float, ...] = ()
    merged_into: str | None = None

    def __post_init__(self) -> None:
        if self.fragments_mm and self.value_mm is None:
            object.__setattr__(self, "value_mm", float(sum(self.fragments_mm)))


TargetValue: TypeAlias = float | int | str | MeasurementState | TargetMeasurement | None
NewLesions: TypeAlias = (
    Mapping[str, NewLesionStatus | str | bool] | NewLesionStatus | str | bool | None
)


@dataclass(frozen=True, slots=True)
class Assessment:
    """One follow-up tumour assessment.

    ``targets`` maps each baseline target id to its value: a number in mm, a
    :class:`MeasurementState` (or its name), a :class:`TargetMeasurement`, or None (not
    evaluated). A target missing from the mapping was not evaluated.
    ``non_targets`` maps non-target ids to :class:`NonTargetStatus`; missing ones were not
    evaluated. ``new_lesions`` is one status, or a mapping of new-lesion ids to statuses (ids
    let an equivocal lesion that is confirmed later back-date PD to its first sighting).
    ``malignant_cytology`` lists effusion/ascites ids with cytology-proven malignancy (mRECIST).
    """

    assessed_on: dt.date
    targets: Mapping[str, TargetValue] = field(default_factory=dict)
    non_targets: Mapping[str, NonTargetStatus | str] = field(default_factory=dict)
    new_lesions: NewLesions = None
    _: KW_ONLY
    malignant_cytology: frozenset[str] = frozenset()


class TimepointResponse(NamedTuple):
    """The derived response at one assessment (immutable).

    A named tuple rather than a frozen dataclass: a cohort derivation builds hundreds of
    thousands of these, and a frozen dataclass costs several times more to construct.

    ``sum_mm`` is the sum of diameters (of the evaluated targets only when ``complete`` is
    False); the changes are None when the sum is incomplete or the reference is 0.
    ``nadir_mm`` is the smallest complete sum **before** this assessment, baseline included
    (the reference for PD). ``overall`` is final: a PD back-dated by a confirmed equivocal new
    lesion shows here, and ``as_read`` keeps the response as derived on the day.
    ``progression_date`` is set on PD time points: the date PD counts from.
    ``reason`` is a sentence with the numbers; ``why`` holds the facts it is rendered from.
    """

    assessed_on: dt.date
    sum_mm: float | None
    complete: bool
    change_from_baseline_mm: float | None
    change_from_baseline_pct: float | None
    nadir_mm: float | None
    change_from_nadir_mm: float | None
    change_from_nadir_pct: float | None
    target: Response | None
    non_target: Response | None
    new_lesion: NewLesionStatus
    overall: Response
    as_read: Response
    progression_date: dt.date | None = None
    not_evaluated: tuple[str, ...] = ()
    why: tuple[Any, ...] = ()

    @property
    def reason(self) -> str:
        """One sentence that states the response and quotes the numbers behind it.

        Rendered on demand from ``why`` (the facts the derivation used), so a cohort
        derivation does not pay for text nobody reads.
        """
        return _render_reason(self)


@dataclass(frozen=True, slots=True)
class Evaluation:
    """All time points of one subject under one criteria set."""

    criteria: str
    baseline_sum_mm: float | None
    timepoints: tuple[TimepointResponse, ...]
    progression_date: dt.date | None

    def responses(self) -> tuple[tuple[dt.date, Response], ...]:
        """The (date, overall response) pairs that :func:`best_overall_response` takes."""
        return tuple((tp.assessed_on, tp.overall) for tp in self.timepoints)

    def best_overall_response(self, *, origin: dt.date, **kwargs: Any) -> BestOverallResponse:
        """Best overall response over these time points; keywords as best_overall_response."""
        return best_overall_response(self.responses(), origin=origin, **kwargs)

    def summary(self) -> str:
        """One line per time point: date, sum, overall response and the reason."""
        lines = [f"{self.criteria}: baseline sum {_mm(self.baseline_sum_mm)} mm"
                 if self.baseline_sum_mm is not None else f"{self.criteria}: no target lesions"]
        for tp in self.timepoints:
            lines.append(f"{tp.assessed_on.isoformat()}  {tp.overall.value:<13}  {tp.reason}")
        return "\n".join(lines)


def _mm(value: float | None) -> str:
    """A length as recorded: one decimal, none when whole (58, 56.4)."""
    if value is None:
        return "-"
    return f"{value:.1f}".removesuffix(".0")


def _pct(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0") + " %"


def _bad(message: str, field_name: str, value: object, hint: str) -> InputError:
    return InputError(message, field=field_name, value=value, hint=hint)


def _target_value(tid: str, raw: TargetValue, too_small: float, ids: frozenset[str]
                  ) -> float | None:
    """A target's value in mm, or None when it was not evaluated (recist11.md section 3)."""
    if raw is None:
        return None
    if isinstance(raw, TargetMeasurement):
        if raw.merged_into is not None:
            if raw.merged_into not in ids or raw.merged_into == tid:
                raise _bad(
                    f"Target {tid} is recorded as merged into {raw.merged_into!r}, which is not "
                    "another baseline target. Coalesced targets are recorded against one of the "
                    "original targets.", "targets", raw.merged_into,
                    "Name the target that holds the diameter of the coalesced mass.")
            return 0.0
        if raw.state is not MeasurementState.MEASURED:
            return _target_value(tid, raw.state, too_small, ids)
        raw = raw.value_mm
        if raw is None:
            return None
    if isinstance(raw, str):
        try:
            state = MeasurementState(raw.strip().upper().replace(" ", "_"))
        except ValueError:
            raise _bad(
                f"Target {tid} is recorded as {raw!r}. A target is a diameter in mm, too small "
                "to measure, disappeared or not evaluated.", "targets", raw,
                "Enter the diameter in mm or one of TOO_SMALL, DISAPPEARED, NOT_EVALUATED.",
            ) from None
        if state is MeasurementState.TOO_SMALL:
            return too_small
        if state is MeasurementState.DISAPPEARED:
            return 0.0
        if state is MeasurementState.NOT_EVALUATED:
            return None
        raise _bad(f"Target {tid} is recorded as measured but has no diameter.", "targets",
                   raw, "Enter the diameter in mm.")
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise _bad(f"Target {tid} is recorded as {raw!r}, which is not a diameter.", "targets",
                   raw, "Enter the diameter in mm.")
    if not raw >= 0:
        raise _bad(
            f"Target {tid} measures {raw} mm. A diameter cannot be negative.", "targets", raw,
            "Correct the measurement; record 0 for a lesion that disappeared.")
    return float(raw)


# Kinds of target-lesion facts in TimepointResponse.why[0], and of the final-PD note in why[4].
_W_PD_SUM, _W_PD_PART, _W_REAPPEARED, _W_NE_PART, _W_CR, _W_PR, _W_SD = range(7)
_F_FINAL, _F_BACKDATED = range(2)


def _target_sentence(t_why: tuple[Any, ...], missing: tuple[str, ...]) -> str:
    kind = t_why[0]
    if kind == _W_REAPPEARED:
        return f"target {t_why[1]} reappeared ({_mm(t_why[2])} mm) after a complete response"
    if kind == _W_CR:
        total, node_text = t_why[1], t_why[2]
        if total == 0.0:
            return "all targets disappeared"
        return (f"non-nodal targets are gone and every node is under {node_text} "
                f"(sum {_mm(total)} mm)")
    total, nadir, base = t_why[1], t_why[2], t_why[3]
    rise = total - nadir
    rise_pct = f"{_pct(100.0 * rise / nadir)} and " if nadir > 0 else ""
    if kind == _W_PD_SUM:
        return f"sum {_mm(total)} mm is {rise_pct}{_mm(rise)} mm above the nadir of {_mm(nadir)} mm"
    if kind == _W_PD_PART:
        return (f"the evaluated targets alone sum to {_mm(total)} mm, {rise_pct}{_mm(rise)} mm "
                f"above the nadir of {_mm(nadir)} mm ({', '.join(missing)} not evaluated)")
    if kind == _W_NE_PART:
        return (f"{', '.join(missing)} not evaluated and the evaluated targets ({_mm(total)} mm) "
                f"do not prove PD against the nadir of {_mm(nadir)} mm")
    if kind == _W_PR:
        return (f"sum {_mm(total)} mm is {_pct(100.0 * (base - total) / base)} below the baseline "
                f"of {_mm(base)} mm")
    word = "below" if total < base else "above"
    base_pct = _pct(abs(100.0 * (total - base) / base)) if base > 0 else "0 %"
    if rise > 0:
        from_nadir = f"{rise_pct.removesuffix(' and ')} ({_mm(rise)} mm) above the nadir"
    else:
        from_nadir = "not above the nadir"
    return (f"sum {_mm(total)} mm is {base_pct} {word} the baseline of {_mm(base)} mm and "
            f"{from_nadir} of {_mm(nadir)} mm: neither PR nor PD")


def _non_target_sentence(resp: Response, nt_why: tuple[Any, ...]) -> str:
    ids, unproven = nt_why
    if resp is Response.PD:
        text = f"unequivocal progression of non-target {', '.join(ids)}"
    elif resp is Response.NE:
        text = f"non-target {', '.join(ids)} not evaluated"
    elif resp is Response.CR:
        text = "all non-target lesions are gone"
    else:
        text = "non-target disease persists"
    if unproven:
        text += (f" ({', '.join(unproven)}: effusion or ascites growth without malignant "
                 "cytology is not progression under mRECIST)")
    return text


def _render_reason(tp: TimepointResponse) -> str:
    """The one-sentence reason of a time point, from the facts in ``tp.why``."""
    if not tp.why:
        return ""
    t_why, nt_why, new_ids, nn_label, final = tp.why
    if final and final[0] == _F_BACKDATED:
        _, first_seen, nid, confirmed_on = final
        if tp.assessed_on in (first_seen, confirmed_on):
            return (f"PD: new lesion {nid}, equivocal on {first_seen.isoformat()}, was confirmed "
                    f"on {confirmed_on.isoformat()}; PD dates from its first sighting "
                    "(RECIST 1.1 section 4.3.2).")
        return (f"PD: progression dates from {first_seen.isoformat()} (back-dated) and PD is "
                f"final (this assessment reads {tp.as_read.value}).")
    if final:
        return (f"PD: progression was documented on {final[1].isoformat()} and PD is final "
                f"(this assessment reads {tp.as_read.value}).")
    overall, target, non_target = tp.as_read, tp.target, tp.non_target
    if overall is Response.PD:
        parts = []
        if target is Response.PD:
            parts.append(_target_sentence(t_why, tp.not_evaluated))
        if non_target is Response.PD:
            parts.append(_non_target_sentence(non_target, nt_why))
        if tp.new_lesion is NewLesionStatus.YES:
            parts.append("new lesion " + ", ".join(new_ids) if new_ids else "a new lesion")
        text = "PD: " + "; ".join(parts)
    elif target is None:
        assert non_target is not None  # evaluate refuses a subject without lesions
        label = nn_label if overall is Response.NON_CR_NON_PD else overall.value
        text = f"{label}: {_non_target_sentence(non_target, nt_why)} (no target lesions)"
    else:
        text = f"{overall.value}: {_target_sentence(t_why, tp.not_evaluated)}"
        if non_target is not None and non_target is not Response.CR:
            text += f"; {_non_target_sentence(non_target, nt_why)}"
    if tp.new_lesion is NewLesionStatus.EQUIVOCAL and overall is not Response.PD:
        text += "; an equivocal new lesion is not PD yet, re-image"
    return text + "."



_NT_NE = NonTargetStatus.NOT_EVALUATED
_NT_CACHE: dict[object, NonTargetStatus] = {
    **{m.value: m for m in NonTargetStatus}, **{m.value.lower(): m for m in NonTargetStatus}}
_NO_NEW: dict[str, NewLesionStatus] = {}
_NEW_CACHE: dict[str | bool, NewLesionStatus] = {
    **{m.value: m for m in NewLesionStatus}, **{m.value.lower(): m for m in NewLesionStatus},
    False: NewLesionStatus.NO, True: NewLesionStatus.YES}


def _new_status(raw: NewLesions) -> tuple[NewLesionStatus, dict[str, NewLesionStatus]]:
    if raw is None:
        return NewLesionStatus.NO, _NO_NEW
    if isinstance(raw, str | bool):
        found = _NEW_CACHE.get(raw)
        return (found or NewLesionStatus.parse(raw)), _NO_NEW
    by_id = {str(k): NewLesionStatus.parse(v) for k, v in raw.items()}
    values = set(by_id.values())
    if NewLesionStatus.YES in values:
        return NewLesionStatus.YES, by_id
    if NewLesionStatus.EQUIVOCAL in values:
        return NewLesionStatus.EQUIVOCAL, by_id
    return NewLesionStatus.NO, by_id


# Enum members as module constants: class-attribute access on an Enum is slow in the loop.
_PD = Response.PD
_NE = Response.NE
_CR = Response.CR
_PR = Response.PR
_SD = Response.SD
_NN = Response.NON_CR_NON_PD
_NEW_YES = NewLesionStatus.YES
_NEW_EQ = NewLesionStatus.EQUIVOCAL
_NEW_NO = NewLesionStatus.NO
_NT_PROG = NonTargetStatus.PROGRESSION
_NT_PRESENT = NonTargetStatus.PRESENT


def evaluate(
    baseline_lesions: Iterable[Lesion],
    assessments: Iterable[Assessment],
    criteria: str | Criteria = "RECIST 1.1",
) -> Evaluation:
    """Derive every time-point response of one subject by RECIST 1.1 (or mRECIST for HCC).

    RECIST 1.1 (Eisenhauer 2009) sections 4.3-4.4, with the 2016 clarification:

    * Sum of diameters: longest diameters of non-nodal targets plus short axes of nodal
      targets; "too small to measure" counts 5 mm, "disappeared" 0 mm, a split lesion the sum
      of its fragments, a lesion coalesced into another 0 mm.
    * Target response by :func:`target_response`: PD is at least 20 % **and** 5 mm above the
      nadir (smallest earlier sum, baseline included); CR needs non-nodal targets at 0 mm and
      nodes under 10 mm (the sum may be above 0); PR is at least 30 % below baseline.
      A non-nodal target that reappears after a target CR is PD.
    * A target not evaluated makes the target response NE, unless the evaluated targets alone
      already prove PD. An NE time point does not change the nadir.
    * Non-target and overall response by :func:`non_target_response` and
      :func:`overall_response` (Tables 1 and 2). An equivocal new lesion is not PD; if the
      same new-lesion id is later unequivocal, PD dates from the scan where it was first seen.
    * PD is final: every later time point is PD.

    mRECIST (``criteria="mRECIST"``): target values are viable (arterially enhancing)
    diameters, PD has no 5 mm rule (pass a :class:`Criteria` with ``pd_abs_mm=5`` if the SAP
    adds it), and an effusion or ascites that progresses is PD only with malignant cytology.

    Raises:
        InputError: duplicate lesion ids, a target without a baseline diameter, no lesions,
            an assessment on or before baseline or two on one day, an unknown lesion id, or a
            value that is not a measurement.

    Worked example: one liver and one lung target, 60 mm at baseline.

    >>> b = dt.date(2025, 2, 20)
    >>> base = [Lesion("T1", "liver", 40.0, b), Lesion("T2", "lung", 20.0, b)]
    >>> visits = [Assessment(dt.date(2025, 4, 26), {"T1": 30.0, "T2": 17.0}),
    ...           Assessment(dt.date(2025, 6, 21), {"T1": 38.0, "T2": 20.0})]
    >>> ev = evaluate(base, visits)
    >>> [(tp.sum_mm, tp.overall.value) for tp in ev.timepoints]
    [(47.0, 'SD'), (58.0, 'PD')]
    >>> print(ev.timepoints[1].reason)
    PD: sum 58 mm is 23.4 % and 11 mm above the nadir of 47 mm.
    """
    c = get_criteria(criteria)
    lesions = list(baseline_lesions)
    seen: set[str] = set()
    for lesion in lesions:
        if lesion.lesion_id in seen:
            raise _bad(f"Lesion id {lesion.lesion_id} is used for two baseline lesions. Each "
                       "lesion needs its own id.", "baseline_lesions", lesion.lesion_id,
                       "Rename one of them (check_baseline lists all such problems).")
        seen.add(lesion.lesion_id)
    targets = [lesion for lesion in lesions if lesion.target]
    non_targets = [lesion for lesion in lesions if not lesion.target]
    if not lesions:
        raise _bad("No baseline lesions were given. Response needs baseline disease.",
                   "baseline_lesions", None, "Record the baseline lesions.")
    for lesion in targets:
        if lesion.diameter_mm is None or not lesion.diameter_mm >= 0:
            raise _bad(f"Target lesion {lesion.lesion_id} has baseline diameter "
                       f"{lesion.diameter_mm!r}. A target needs a baseline measurement in mm.",
                       "baseline_lesions", lesion.diameter_mm,
                       "Enter the diameter or record it as a non-target lesion.")
    target_ids = tuple(lesion.lesion_id for lesion in targets)
    id_set = frozenset(target_ids)
    # Per target: None for a non-nodal lesion, else the short axis under which a node counts
    # as normal (10 mm; 20 mm for a porta-hepatis node under mRECIST, our reading of
    # mrecist_hcc.md 3, which applies the 20 mm rule to porta-hepatis nodes).
    ph = c.porta_hepatis_node_min_mm
    node_limits = tuple(
        None if not lesion.nodal
        else ph if ph is not None and _is_porta_hepatis(lesion) else c.node_cr_below_mm
        for lesion in targets
    )
    nt_ids = tuple(lesion.lesion_id for lesion in non_targets)
    nt_set = frozenset(nt_ids)
    fluid = frozenset(
        lesion.lesion_id for lesion in non_targets
        if lesion.kind in (LesionKind.EFFUSION, LesionKind.ASCITES)
    ) if c.effusion_needs_cytology else frozenset()
    baseline_date = max(lesion.assessed_on for lesion in lesions)
    baseline_sum = round(float(sum(lesion.diameter_mm or 0.0 for lesion in targets)), 6) if (
        targets) else None

    pd_rel, pd_abs, pr_rel = c.pd_rel, c.pd_abs_mm, c.pr_rel
    too_small = c.too_small_mm
    node_text = f"{c.node_cr_below_mm:g} mm" + (
        f" ({ph:g} mm at the porta hepatis)" if ph is not None else "")
    nn_label = c.non_cr_non_pd_label
    visits = sorted(assessments, key=lambda a: a.assessed_on)
    nadir = baseline_sum
    prev_target_cr = False
    first_pd: dt.date | None = None
    equivocal_first: dict[str, dt.date] = {}
    backdate: tuple[dt.date, str, dt.date] | None = None  # (first seen, id, confirmed on)
    out: list[TimepointResponse] = []
    prev_date = baseline_date
    for visit in visits:
        when = visit.assessed_on
        if when <= prev_date:
            what = "the baseline imaging" if prev_date == baseline_date and not out else (
                "another assessment")
            raise _bad(f"An assessment is dated {when.isoformat()}, on or before {what} "
                       f"({prev_date.isoformat()}). Follow-up assessments come after baseline, "
                       "one per date.", "assessments", when,
                       "Correct the date, or merge the scans of one assessment.")
        prev_date = when
        vals = visit.targets
        for key in vals:
            if key not in id_set:
                raise _bad(f"Assessment on {when.isoformat()} has a value for {key!r}, which is "
                           "not a baseline target. New lesions are not added to the sum.",
                           "targets", key,
                           "Record it under new_lesions, or correct the lesion id.")

        # Targets (RECIST 1.1 section 4.3.1).
        t_resp: Response | None = None
        total = 0.0
        missing: list[str] = []
        all_cr = True
        reappeared: tuple[str, float] | None = None
        t_why: tuple[Any, ...] = ()
        for tid, node_limit in zip(target_ids, node_limits, strict=True):
            raw = vals.get(tid)
            if type(raw) is float and raw >= 0.0:  # the common case, kept fast
                v: float | None = raw
            else:
                v = _target_value(tid, raw, too_small, id_set)
            if v is None:
                missing.append(tid)
                continue
            total += v
            if node_limit is not None:
                if v >= node_limit:
                    all_cr = False
            elif v > 0.0:
                all_cr = False
                if prev_target_cr and reappeared is None:
                    reappeared = (tid, v)
        # Rounded to a millionth of a mm so that the order of the lesions never changes a sum.
        total = round(total, 6)
        complete = not missing
        d_base = d_base_pct = d_nadir = d_nadir_pct = None
        sum_mm: float | None = None
        nadir_before = nadir
        if baseline_sum is not None and nadir is not None:
            sum_mm = total
            rise = total - nadir
            is_pd = total >= (1.0 + pd_rel) * nadir - _EPS and (
                rise >= pd_abs - _EPS if pd_abs is not None else rise > 0.0)
            if complete:
                d_base = total - baseline_sum
                d_base_pct = 100.0 * d_base / baseline_sum if baseline_sum > 0 else None
                d_nadir = rise
                d_nadir_pct = 100.0 * rise / nadir if nadir > 0 else None
            if is_pd:
                t_resp = _PD
                t_why = (_W_PD_SUM if complete else _W_PD_PART, total, nadir, baseline_sum)
            elif reappeared is not None:
                t_resp = _PD
                t_why = (_W_REAPPEARED, reappeared[0], reappeared[1])
            elif not complete:
                t_resp = _NE
                t_why = (_W_NE_PART, total, nadir, baseline_sum)
            elif all_cr:
                t_resp = _CR
                t_why = (_W_CR, total, node_text)
            elif total <= (1.0 - pr_rel) * baseline_sum + _EPS:
                t_resp = _PR
                t_why = (_W_PR, total, nadir, baseline_sum)
            else:
                t_resp = _SD
                t_why = (_W_SD, total, nadir, baseline_sum)
            if complete:
                if total < nadir:
                    nadir = total
                prev_target_cr = t_resp is _CR

        # Non-targets (section 4.3.2) with the mRECIST effusion rule.
        nt_resp: Response | None = None
        nt_why: tuple[Any, ...] = ()
        given = visit.non_targets
        for key in given:
            if key not in nt_set:
                raise _bad(f"Assessment on {when.isoformat()} has a status for {key!r}, "
                           "which is not a baseline non-target lesion.", "non_targets", key,
                           "Record it under new_lesions, or correct the lesion id.")
        if nt_ids:
            progressed: list[str] = []
            not_eval: list[str] = []
            unproven: list[str] = []
            absent_all = True
            for nid in nt_ids:
                status = given.get(nid, _NT_NE)
                if type(status) is not NonTargetStatus:
                    status = _NT_CACHE.get(status) or NonTargetStatus.parse(status)
                if status is _NT_PROG and nid in fluid and nid not in visit.malignant_cytology:
                    unproven.append(nid)
                    status = _NT_PRESENT
                if status is _NT_PROG:
                    progressed.append(nid)
                elif status is _NT_NE:
                    not_eval.append(nid)
                elif status is _NT_PRESENT:
                    absent_all = False
            if progressed:
                nt_resp = _PD
                nt_why = (tuple(progressed), tuple(unproven))
            elif not_eval:
                nt_resp = _NE
                nt_why = (tuple(not_eval), tuple(unproven))
            else:
                nt_resp = _NN if not absent_all else _CR
                nt_why = ((), tuple(unproven))

        # New lesions (section 4.3.2) and back-dating of confirmed equivocal lesions.
        new_status, new_by_id = _new_status(visit.new_lesions)
        new_ids: tuple[str, ...] = ()
        if new_by_id:
            for nid, new_one in new_by_id.items():
                if new_one is _NEW_EQ:
                    equivocal_first.setdefault(nid, when)
                elif new_one is _NEW_YES and nid in equivocal_first:
                    first_seen = equivocal_first[nid]
                    if backdate is None or first_seen < backdate[0]:
                        backdate = (first_seen, nid, when)
            new_ids = tuple(k for k, st in new_by_id.items() if st is _NEW_YES)

        overall = _overall(t_resp, nt_resp, new_status)
        as_read = overall
        final: tuple[Any, ...] = ()
        pd_on: dt.date | None = None
        if first_pd is not None:
            final = (_F_FINAL, first_pd)
            overall = _PD
            pd_on = first_pd
        elif overall is _PD:
            first_pd = pd_on = when
        out.append(TimepointResponse(  # positional: the fast constructor, same field order
            when, sum_mm, complete, d_base, d_base_pct, nadir_before, d_nadir, d_nadir_pct,
            t_resp, nt_resp, new_status, overall, as_read, pd_on, tuple(missing),
            (t_why, nt_why, new_ids, nn_label, final),
        ))

    if backdate is not None and (first_pd is None or backdate[0] < first_pd):
        first_seen, nid, confirmed_on = backdate
        out = [
            tp._replace(
                overall=_PD, progression_date=first_seen,
                why=(*tp.why[:4], (_F_BACKDATED, first_seen, nid, confirmed_on)))
            if tp.assessed_on >= first_seen else tp
            for tp in out
        ]
        first_pd = first_seen
    return Evaluation(
        criteria=c.name,
        baseline_sum_mm=baseline_sum,
        timepoints=tuple(out),
        progression_date=first_pd,
    )
