"""Lesion-level derivation of time-point responses, RECIST 1.1 sections 4.3-4.4 and mRECIST.

From baseline lesions and follow-up measurements to the sum of diameters, its change from
baseline and from the nadir, the target, non-target and new-lesion status, the overall
time-point response, a stable ``code``, the ``facts`` used and a one-sentence ``reason`` with
the numbers (RECIST 1.1, Eisenhauer et al. 2009, sections 4.3 and 4.4 with the 2016
clarification; mRECIST, Lencioni & Llovet 2010). The target category of every time point is
decided by :func:`~oncotrial.recist.target_response`, the one implementation of RECIST 1.1
section 4.3.1.

The derivation is a sequence of small rule functions per assessment (read the targets, decide
the target category, read the non-targets, read the new lesions, combine by Tables 1 and 2,
describe). The per-subject loop uses plain floats so that 10,000 subjects with 20 assessments
each run in a few seconds (``benchmarks/bench_recist.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field, replace
from enum import StrEnum
from typing import Any, TypeAlias, TypeVar

from oncotrial.errors import InputError
from oncotrial.recist._bor import BestOverallResponse, best_overall_response
from oncotrial.recist._lesions import (
    Criteria,
    Lesion,
    LesionKind,
    get_criteria,
    node_normal_below_mm,
)
from oncotrial.recist._response import (
    NewLesionStatus,
    NonTargetStatus,
    _overall,
    target_response,
)
from oncotrial.records import Fact, Facts, Response, slot_constructor

__all__ = [
    "Assessment",
    "Evaluation",
    "MeasurementState",
    "TargetMeasurement",
    "TimepointResponse",
    "evaluate",
]


class MeasurementState(StrEnum):
    """How a target was recorded at follow-up (RECIST 1.1 section 4.3, special notes).

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

    RECIST 1.1 section 4.3 (special notes: lesions that split or coalesce on treatment).

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
    """One follow-up tumour assessment (an evaluation input).

    ``targets`` maps each baseline target id to its value: a number in mm, a
    :class:`MeasurementState` (or its name), a :class:`TargetMeasurement`, or None (not
    evaluated). A target missing from the mapping was not evaluated.
    ``non_targets`` maps non-target ids to :class:`NonTargetStatus`; missing ones were not
    evaluated. ``new_lesions`` is one status, or a mapping of new-lesion ids to statuses (ids
    let an equivocal lesion that is confirmed later back-date PD to its first sighting).
    ``malignant_cytology`` lists effusion/ascites ids with cytology-proven malignancy (mRECIST).
    :func:`~oncotrial.recist.inputs_from_measurements` builds these from
    :class:`oncotrial.records.LesionMeasurement` rows.
    """

    assessed_on: dt.date
    targets: Mapping[str, TargetValue] = field(default_factory=dict)
    non_targets: Mapping[str, NonTargetStatus | str] = field(default_factory=dict)
    new_lesions: NewLesions = None
    _: KW_ONLY
    malignant_cytology: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class TimepointResponse:
    """The derived response at one assessment: plain data, built eagerly.

    ``sum_mm`` is the sum of diameters (of the evaluated targets only when ``complete`` is
    False); the changes are None when the sum is incomplete or the reference is 0.
    ``nadir_mm`` is the smallest complete sum **before** this assessment, baseline included
    (the reference for PD). ``overall`` is final: a PD back-dated by a confirmed equivocal new
    lesion shows here, and ``as_read`` keeps the response as derived on the day.
    ``progression_on`` is set on PD time points: the date PD counts from.
    ``code`` names the rule that decided ``overall`` (``recist.timepoint.pd.sum_increase``,
    ``recist.timepoint.pr``...; ``RESULT_CODES`` lists them), ``facts`` holds the sums,
    nadir, changes, thresholds and dates it used, and ``reason`` is the sentence with the
    numbers. ``progression_date`` is the old name of ``progression_on``.
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
    progression_on: dt.date | None
    not_evaluated: tuple[str, ...]
    code: str
    reason: str
    facts: Facts = field(hash=False)

    @property
    def progression_date(self) -> dt.date | None:
        """Old name of :attr:`progression_on`."""
        return self.progression_on


@dataclass(frozen=True, slots=True)
class Evaluation:
    """All time points of one subject under one criteria set.

    ``code`` is ``recist.evaluation.pd`` (progression documented, ``progression_on``),
    ``recist.evaluation.no_pd`` or ``recist.evaluation.no_assessment``; ``facts`` holds the
    baseline, the nadir, the best change from baseline and the dates.
    ``progression_date`` is the old name of ``progression_on``.
    """

    criteria: str
    baseline_on: dt.date
    baseline_sum_mm: float | None
    timepoints: tuple[TimepointResponse, ...]
    progression_on: dt.date | None
    code: str
    reason: str
    facts: Facts = field(hash=False)

    @property
    def progression_date(self) -> dt.date | None:
        """Old name of :attr:`progression_on`."""
        return self.progression_on

    def responses(self) -> tuple[tuple[dt.date, Response], ...]:
        """The (date, overall response) pairs that :func:`best_overall_response` takes."""
        return tuple((tp.assessed_on, tp.overall) for tp in self.timepoints)

    def best_overall_response(self, *, origin: dt.date, sd_min_days: int, **kwargs: Any
                              ) -> BestOverallResponse:
        """Best overall response over these time points; keywords as best_overall_response.

        ``non_target_only`` defaults to whether the subject had no target lesions, so an
        unconfirmed CR of a patient with non-target disease only gives NON-CR/NON-PD.
        """
        kwargs.setdefault("non_target_only", self.baseline_sum_mm is None)
        return best_overall_response(self.responses(), origin=origin, sd_min_days=sd_min_days,
                                     **kwargs)

    def summary(self) -> str:
        """One line per time point: date, sum, overall response and the reason."""
        lines = [f"{self.criteria}: baseline sum {_mm(self.baseline_sum_mm)} mm"
                 if self.baseline_sum_mm is not None else f"{self.criteria}: no target lesions"]
        for tp in self.timepoints:
            lines.append(f"{tp.assessed_on.isoformat()}  {tp.overall.value:<13}  {tp.reason}")
        return "\n".join(lines)


_T = TypeVar("_T")


def _mm(value: float | None) -> str:
    """A length as recorded: one decimal, none when whole (58, 56.4)."""
    if value is None:
        return "-"
    return f"{value:.1f}".removesuffix(".0")


def _pct(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0") + " %"


def _bad(message: str, field_name: str, value: object, hint: str) -> InputError:
    return InputError(message, field=field_name, value=value, hint=hint)


# --- Reading one target's value (RECIST 1.1 section 4.3, special notes) ---------------------


def _state_value(state: MeasurementState, too_small: float) -> float | None:
    """Too small to measure counts ``too_small`` (5 mm), disappeared 0 mm, NE None."""
    if state is MeasurementState.TOO_SMALL:
        return too_small
    if state is MeasurementState.DISAPPEARED:
        return 0.0
    return None


def _text_value(tid: str, raw: str, too_small: float) -> float | None:
    """A state written as text ("too small", "disappeared", "not_evaluated")."""
    try:
        state = MeasurementState(raw.strip().upper().replace(" ", "_"))
    except ValueError:
        raise _bad(
            f"Target {tid} is recorded as {raw!r}. A target is a diameter in mm, too small "
            "to measure, disappeared or not evaluated.", "targets", raw,
            "Enter the diameter in mm or one of TOO_SMALL, DISAPPEARED, NOT_EVALUATED.",
        ) from None
    if state is MeasurementState.MEASURED:
        raise _bad(f"Target {tid} is recorded as measured but has no diameter.", "targets",
                   raw, "Enter the diameter in mm.")
    return _state_value(state, too_small)


def _number_value(tid: str, raw: object) -> float:
    """A diameter in mm: a non-negative number."""
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise _bad(f"Target {tid} is recorded as {raw!r}, which is not a diameter.", "targets",
                   raw, "Enter the diameter in mm.")
    if not raw >= 0:
        raise _bad(
            f"Target {tid} measures {raw} mm. A diameter cannot be negative.", "targets", raw,
            "Correct the measurement; record 0 for a lesion that disappeared.")
    return float(raw)


def _measurement_value(tid: str, raw: TargetMeasurement, too_small: float,
                       ids: frozenset[str]) -> float | None:
    """A split lesion counts the sum of its fragments, a coalesced one 0 mm."""
    if raw.merged_into is not None:
        if raw.merged_into not in ids or raw.merged_into == tid:
            raise _bad(
                f"Target {tid} is recorded as merged into {raw.merged_into!r}, which is not "
                "another baseline target. Coalesced targets are recorded against one of the "
                "original targets.", "targets", raw.merged_into,
                "Name the target that holds the diameter of the coalesced mass.")
        return 0.0
    if raw.state is not MeasurementState.MEASURED:
        return _state_value(raw.state, too_small)
    return None if raw.value_mm is None else _number_value(tid, raw.value_mm)


def _target_value(tid: str, raw: TargetValue, too_small: float, ids: frozenset[str]
                  ) -> float | None:
    """A target's value in mm, or None when it was not evaluated."""
    if raw is None:
        return None
    if isinstance(raw, TargetMeasurement):
        return _measurement_value(tid, raw, too_small, ids)
    if isinstance(raw, MeasurementState):
        return _state_value(raw, too_small)
    if isinstance(raw, str):
        return _text_value(tid, raw, too_small)
    return _number_value(tid, raw)


# --- The subject's baseline and running state ----------------------------------------------


@dataclass(frozen=True, slots=True)
class _Plan:
    """What the baseline fixes for every assessment of one subject."""

    c: Criteria
    baseline_on: dt.date
    baseline_sum: float | None
    target_ids: tuple[str, ...]
    id_set: frozenset[str]
    # Per target: None for a non-nodal lesion, else the short axis under which it is normal.
    node_limits: tuple[float | None, ...]
    nt_ids: tuple[str, ...]
    nt_set: frozenset[str]
    fluid: frozenset[str]
    node_text: str
    base_text: str  # "the baseline of 60 mm", for the reasons


class _State:
    """The running state of one subject's derivation (mutable, private to evaluate)."""

    __slots__ = ("backdate", "equivocal_first", "first_pd", "nadir", "prev_date",
                 "prev_target_cr")

    def __init__(self, plan: _Plan) -> None:
        self.nadir = plan.baseline_sum
        self.prev_target_cr = False
        self.first_pd: dt.date | None = None
        self.equivocal_first: dict[str, dt.date] = {}
        self.backdate: tuple[dt.date, str, dt.date] | None = None  # first seen, id, confirmed
        self.prev_date: dt.date | None = None


def _check_lesions(lesions: Sequence[Lesion]) -> None:
    """Baseline lesions: at least one, unique ids, a diameter for every target."""
    if not lesions:
        raise _bad("No baseline lesions were given. Response needs baseline disease.",
                   "baseline_lesions", None, "Record the baseline lesions.")
    seen: set[str] = set()
    for lesion in lesions:
        if lesion.lesion_id in seen:
            raise _bad(f"Lesion id {lesion.lesion_id} is used for two baseline lesions. Each "
                       "lesion needs its own id.", "baseline_lesions", lesion.lesion_id,
                       "Rename one of them (check_baseline lists all such problems).")
        seen.add(lesion.lesion_id)
        if lesion.target and (lesion.diameter_mm is None or not lesion.diameter_mm >= 0):
            raise _bad(f"Target lesion {lesion.lesion_id} has baseline diameter "
                       f"{lesion.diameter_mm!r}. A target needs a baseline measurement in mm.",
                       "baseline_lesions", lesion.diameter_mm,
                       "Enter the diameter or record it as a non-target lesion.")


def _plan(lesions: Sequence[Lesion], c: Criteria) -> _Plan:
    _check_lesions(lesions)
    targets = [lesion for lesion in lesions if lesion.target]
    non_targets = [lesion for lesion in lesions if not lesion.target]
    target_ids = tuple(lesion.lesion_id for lesion in targets)
    nt_ids = tuple(lesion.lesion_id for lesion in non_targets)
    ph = c.porta_hepatis_node_min_mm
    baseline_sum = round(float(sum(lesion.diameter_mm or 0.0 for lesion in targets)), 6) if (
        targets) else None
    return _Plan(
        c=c,
        baseline_on=max(lesion.assessed_on for lesion in lesions),
        baseline_sum=baseline_sum,
        target_ids=target_ids,
        id_set=frozenset(target_ids),
        node_limits=tuple(node_normal_below_mm(lesion, c) for lesion in targets),
        nt_ids=nt_ids,
        nt_set=frozenset(nt_ids),
        fluid=frozenset(
            lesion.lesion_id for lesion in non_targets
            if lesion.kind in (LesionKind.EFFUSION, LesionKind.ASCITES)
        ) if c.effusion_needs_cytology else frozenset(),
        node_text=f"{c.node_cr_below_mm:g} mm" + (
            f" ({ph:g} mm at the porta hepatis)" if ph is not None else ""),
        base_text=f"the baseline of {_mm(baseline_sum)} mm",
    )


def _check_visit(visit: Assessment, plan: _Plan, st: _State) -> None:
    """Dates after baseline, one per assessment; only baseline lesion ids."""
    when = visit.assessed_on
    prev = plan.baseline_on if st.prev_date is None else st.prev_date
    if when <= prev:
        what = "the baseline imaging" if st.prev_date is None else "another assessment"
        raise _bad(f"An assessment is dated {when.isoformat()}, on or before {what} "
                   f"({prev.isoformat()}). Follow-up assessments come after baseline, "
                   "one per date.", "assessments", when,
                   "Correct the date, or merge the scans of one assessment.")
    st.prev_date = when
    if not plan.id_set.issuperset(visit.targets):
        key = next(k for k in visit.targets if k not in plan.id_set)
        raise _bad(f"Assessment on {when.isoformat()} has a value for {key!r}, which is "
                   "not a baseline target. New lesions are not added to the sum.",
                   "targets", key, "Record it under new_lesions, or correct the lesion id.")
    if not plan.nt_set.issuperset(visit.non_targets):
        key = next(k for k in visit.non_targets if k not in plan.nt_set)
        raise _bad(f"Assessment on {when.isoformat()} has a status for {key!r}, "
                   "which is not a baseline non-target lesion.", "non_targets", key,
                   "Record it under new_lesions, or correct the lesion id.")


# --- Targets: the sum (section 4.3) and the category by target_response (section 4.3.1) -----


# The readings of one assessment are plain tuples (a named tuple costs several times more to
# build, and the loop builds 200,000 of each in the benchmark):
#: (sum of the evaluated targets, ids not evaluated, all targets in CR, reappeared target).
_Targets: TypeAlias = tuple[float, tuple[str, ...], bool, tuple[str, float] | None]
#: (non-target response, progressed or not-evaluated ids, mRECIST unproven effusion ids).
_NonTargets: TypeAlias = tuple[Response | None, tuple[str, ...], tuple[str, ...]]


def _read_targets(vals: Mapping[str, TargetValue], plan: _Plan, st: _State) -> _Targets:
    """Sum of diameters of the evaluated targets, which are missing, whether all are in CR,
    and a non-nodal target that reappeared after a target CR."""
    total = 0.0
    missing: list[str] = []
    all_cr = True
    reappeared: tuple[str, float] | None = None
    too_small, ids, prev_cr = plan.c.too_small_mm, plan.id_set, st.prev_target_cr
    for tid, node_limit in zip(plan.target_ids, plan.node_limits, strict=True):
        raw = vals.get(tid)
        if type(raw) is float and raw >= 0.0:  # the common case, kept fast
            v: float | None = raw
        else:
            v = _target_value(tid, raw, too_small, ids)
        if v is None:
            missing.append(tid)
            continue
        total += v
        if node_limit is not None:
            if v >= node_limit:
                all_cr = False
        elif v > 0.0:
            all_cr = False
            if prev_cr and reappeared is None:
                reappeared = (tid, v)
    # Rounded to a millionth of a mm so that the order of the lesions never changes a sum.
    return round(total, 6), tuple(missing), all_cr, reappeared


def _target_category(tr: _Targets, plan: _Plan, st: _State) -> tuple[Response | None, str]:
    """The target category by :func:`target_response` and the rule that decided it.

    A non-nodal target that reappears after a target CR is PD (RECIST 1.1 section 4.3,
    special notes). A complete sum below the nadir becomes the new nadir; an incomplete one
    never changes it.
    """
    base, nadir = plan.baseline_sum, st.nadir
    if base is None or nadir is None:
        return None, ""
    c = plan.c
    total, missing, all_cr, reappeared = tr
    complete = not missing
    resp = target_response(
        baseline_sum_mm=base, nadir_mm=nadir, current_sum_mm=total,
        all_targets_in_cr=all_cr, complete=complete,
        pd_rel=c.pd_rel, pd_abs_mm=c.pd_abs_mm, pr_rel=c.pr_rel)
    if resp is _PD:
        rule = "sum_increase" if complete else "sum_increase_partial"
    elif reappeared is not None:
        resp, rule = _PD, "target_reappeared"
    else:
        rule = _RULE_OF[resp]
    if complete:
        if total < nadir:
            st.nadir = total
        st.prev_target_cr = resp is _CR
    return resp, rule


# --- Non-targets (section 4.3) and new lesions (section 4.3) -------------------------------


_NO_NT: _NonTargets = (None, (), ())


def _read_non_targets(visit: Assessment, plan: _Plan) -> _NonTargets:
    """Non-target response with the mRECIST effusion rule (Lencioni & Llovet 2010)."""
    if not plan.nt_ids:
        return _NO_NT
    given = visit.non_targets
    progressed: list[str] = []
    not_eval: list[str] = []
    unproven: list[str] = []
    absent_all = True
    for nid in plan.nt_ids:
        status = given.get(nid, _NT_NE)
        if type(status) is not NonTargetStatus:
            status = _NT_CACHE.get(status) or NonTargetStatus.parse(status)
        if status is _NT_PROG and nid in plan.fluid and nid not in visit.malignant_cytology:
            unproven.append(nid)
            status = _NT_PRESENT
        if status is _NT_PROG:
            progressed.append(nid)
        elif status is _NT_NE:
            not_eval.append(nid)
        elif status is _NT_PRESENT:
            absent_all = False
    if progressed:
        return _PD, tuple(progressed), tuple(unproven)
    if not_eval:
        return _NE, tuple(not_eval), tuple(unproven)
    return (_NN if not absent_all else _CR), (), tuple(unproven)


def _new_status(raw: NewLesions) -> tuple[NewLesionStatus, dict[str, NewLesionStatus]]:
    if raw is None:
        return _NEW_NO, _NO_NEW
    if isinstance(raw, str | bool):
        found = _NEW_CACHE.get(raw)
        return (found or NewLesionStatus.parse(raw)), _NO_NEW
    by_id = {str(k): NewLesionStatus.parse(v) for k, v in raw.items()}
    values = set(by_id.values())
    if _NEW_YES in values:
        return _NEW_YES, by_id
    if _NEW_EQ in values:
        return _NEW_EQ, by_id
    return _NEW_NO, by_id


def _read_new_lesions(visit: Assessment, st: _State) -> tuple[NewLesionStatus, tuple[str, ...]]:
    """New-lesion status; remembers equivocal ids so that a later confirmation back-dates PD
    to the scan where the lesion was first seen (RECIST 1.1 section 4.3, new lesions)."""
    status, by_id = _new_status(visit.new_lesions)
    if not by_id:
        return status, ()
    when = visit.assessed_on
    for nid, new_one in by_id.items():
        if new_one is _NEW_EQ:
            st.equivocal_first.setdefault(nid, when)
        elif new_one is _NEW_YES and nid in st.equivocal_first:
            first_seen = st.equivocal_first[nid]
            if st.backdate is None or first_seen < st.backdate[0]:
                st.backdate = (first_seen, nid, when)
    return status, tuple(k for k, s in by_id.items() if s is _NEW_YES)


# --- Codes and reasons ---------------------------------------------------------------------

_TP = "recist.timepoint."
_RULE_OF = {Response.CR: "cr", Response.PR: "pr", Response.SD: "sd", Response.NE: "missing"}
_PD_CODES = {"sum_increase": _TP + "pd.sum_increase",
             "sum_increase_partial": _TP + "pd.sum_increase_partial",
             "target_reappeared": _TP + "pd.target_reappeared"}


def _code(r: _Read) -> tuple[str, tuple[str, ...]]:
    """The code of a time point as read (RECIST 1.1 Tables 1 and 2) and the lesions it names:
    the targets not evaluated, the target that reappeared, the non-targets that progressed or
    were not evaluated, or the new lesions."""
    _, tr, t_resp, t_rule, _, nt, _, new_ids, overall = r
    if overall is _PD:
        if t_resp is _PD:
            reappeared = tr[3]
            if t_rule == "target_reappeared" and reappeared is not None:
                return _PD_CODES[t_rule], (reappeared[0],)
            return _PD_CODES[t_rule], tr[1]
        if nt[0] is _PD:
            return _TP + "pd.non_target_progression", nt[1]
        return _TP + "pd.new_lesion", new_ids
    if overall is _PR:
        return _TP + ("pr.target_cr_only" if t_resp is _CR else "pr"), ()
    if overall is _NE:
        if t_resp is _NE:
            return _TP + "ne.targets_missing", tr[1]
        return _TP + "ne.non_targets_missing", nt[1]
    return _SIMPLE_CODES[overall], ()


_SIMPLE_CODES = {Response.CR: _TP + "cr", Response.SD: _TP + "sd",
                 Response.NON_CR_NON_PD: _TP + "non_cr_non_pd"}


def _rise(total: float, nadir: float) -> str:
    """ "23.4 % and 11 mm" above the nadir (no percentage from a nadir of 0)."""
    rise = total - nadir
    if nadir > 0:
        return f"{_pct(100.0 * rise / nadir)} and {_mm(rise)} mm"
    return f"{_mm(rise)} mm"


def _s_sum_increase(tr: _Targets, nadir: float, plan: _Plan) -> str:
    return f"sum {_mm(tr[0])} mm is {_rise(tr[0], nadir)} above the nadir of {_mm(nadir)} mm"


def _s_sum_increase_partial(tr: _Targets, nadir: float, plan: _Plan) -> str:
    return (f"the evaluated targets alone sum to {_mm(tr[0])} mm, {_rise(tr[0], nadir)} "
            f"above the nadir of {_mm(nadir)} mm ({', '.join(tr[1])} not evaluated)")


def _s_reappeared(tr: _Targets, nadir: float, plan: _Plan) -> str:
    tid, value = tr[3] or ("?", 0.0)
    return f"target {tid} reappeared ({_mm(value)} mm) after a complete response"


def _s_missing(tr: _Targets, nadir: float, plan: _Plan) -> str:
    return (f"{', '.join(tr[1])} not evaluated and the evaluated targets ({_mm(tr[0])} mm) "
            f"do not prove PD against the nadir of {_mm(nadir)} mm")


def _s_cr(tr: _Targets, nadir: float, plan: _Plan) -> str:
    if tr[0] == 0.0:
        return "all targets disappeared"
    return (f"non-nodal targets are gone and every node is under {plan.node_text} "
            f"(sum {_mm(tr[0])} mm)")


def _s_pr(tr: _Targets, nadir: float, plan: _Plan) -> str:
    total, base = tr[0], plan.baseline_sum or 0.0
    return f"sum {_mm(total)} mm is {_pct(100.0 * (base - total) / base)} below {plan.base_text}"


def _s_sd(tr: _Targets, nadir: float, plan: _Plan) -> str:
    total, base = tr[0], plan.baseline_sum or 0.0
    word = "below" if total < base else "above"
    base_pct = _pct(abs(100.0 * (total - base) / base)) if base > 0 else "0 %"
    rise = total - nadir
    if rise <= 0:
        from_nadir = "not above the nadir"
    elif nadir > 0:
        from_nadir = f"{_pct(100.0 * rise / nadir)} ({_mm(rise)} mm) above the nadir"
    else:
        from_nadir = f"({_mm(rise)} mm) above the nadir"
    return (f"sum {_mm(total)} mm is {base_pct} {word} {plan.base_text} and {from_nadir} of "
            f"{_mm(nadir)} mm: neither PR nor PD")


#: The target part of a reason, by the rule that decided the target category.
_TARGET_SENTENCES = {
    "sum_increase": _s_sum_increase, "sum_increase_partial": _s_sum_increase_partial,
    "target_reappeared": _s_reappeared, "missing": _s_missing, "cr": _s_cr, "pr": _s_pr,
    "sd": _s_sd,
}


def _non_target_sentence(nt: _NonTargets) -> str:
    resp, ids, unproven = nt
    if resp is _PD:
        text = f"unequivocal progression of non-target {', '.join(ids)}"
    elif resp is _NE:
        text = f"non-target {', '.join(ids)} not evaluated"
    elif resp is _CR:
        text = "all non-target lesions are gone"
    else:
        text = "non-target disease persists"
    if unproven:
        text += (f" ({', '.join(unproven)}: effusion or ascites growth without malignant "
                 "cytology is not progression under mRECIST)")
    return text


#: Everything one assessment read: (date, targets, target response, target rule, nadir before,
#: non-targets, new-lesion status, unequivocal new-lesion ids, overall response as read).
_Read: TypeAlias = tuple[dt.date, _Targets, Response | None, str, float | None, _NonTargets,
                         NewLesionStatus, tuple[str, ...], Response]


def _reason(r: _Read, plan: _Plan) -> str:
    """The one-sentence reason of a time point as read, with its numbers."""
    _, tr, t_resp, t_rule, nadir_before, nt, new_status, new_ids, overall = r
    nadir = nadir_before or 0.0
    if overall is _PD:
        parts = []
        if t_resp is _PD:
            parts.append(_TARGET_SENTENCES[t_rule](tr, nadir, plan))
        if nt[0] is _PD:
            parts.append(_non_target_sentence(nt))
        if new_status is _NEW_YES:
            parts.append("new lesion " + ", ".join(new_ids) if new_ids else "a new lesion")
        text = "PD: " + "; ".join(parts)
    elif t_resp is None:
        label = plan.c.non_cr_non_pd_label if overall is _NN else overall.value
        text = f"{label}: {_non_target_sentence(nt)} (no target lesions)"
    else:
        text = f"{_VALUE[overall]}: {_TARGET_SENTENCES[t_rule](tr, nadir, plan)}"
        if nt[0] is not None and nt[0] is not _CR:
            text += f"; {_non_target_sentence(nt)}"
    if new_status is _NEW_EQ and overall is not _PD:
        text += "; an equivocal new lesion is not PD yet, re-image"
    return text + "."


def _final_reason(first_pd: dt.date, as_read: Response) -> str:
    return (f"PD: progression was documented on {first_pd.isoformat()} and PD is final "
            f"(this assessment reads {as_read.value}).")


def _timepoint(r: _Read, plan: _Plan, st: _State) -> TimepointResponse:
    """The time point as plain data: PD is final once documented (RECIST 1.1 section 4.4)."""
    when, tr, t_resp, _, nadir, nt, new_status, _, as_read = r
    base, c = plan.baseline_sum, plan.c
    total, missing, _, _ = tr
    complete = not missing
    sum_mm = d_base = d_base_pct = d_nadir = d_nadir_pct = None
    if base is not None and nadir is not None:
        sum_mm = total
        if complete:
            d_base = total - base
            d_base_pct = 100.0 * d_base / base if base > 0 else None
            d_nadir = total - nadir
            d_nadir_pct = 100.0 * d_nadir / nadir if nadir > 0 else None
    overall = as_read
    pd_on: dt.date | None
    # Ten facts at most, so that the dict stays small (200,000 of them in the benchmark).
    facts: dict[str, Fact] = {
        "baseline_sum_mm": base, "sum_mm": sum_mm, "nadir_mm": nadir,
        "change_from_baseline_pct": d_base_pct, "change_from_nadir_mm": d_nadir,
        "change_from_nadir_pct": d_nadir_pct,
        "pd_rel": c.pd_rel, "pd_abs_mm": c.pd_abs_mm, "pr_rel": c.pr_rel,
    }
    if st.first_pd is not None:
        overall, pd_on = _PD, st.first_pd
        code, reason = _TP + "pd.final", _final_reason(st.first_pd, as_read)
        facts["progression_on"] = pd_on
    else:
        code, ids = _code(r)
        reason = _reason(r, plan)
        facts["lesion_ids"] = ",".join(ids)
        pd_on = when if overall is _PD else None
        if pd_on is not None:
            st.first_pd = pd_on
    if nt[2]:
        facts["unproven_effusions"] = ",".join(nt[2])
    return _new_timepoint(  # positional, in field order
        when, sum_mm, complete, d_base, d_base_pct, nadir, d_nadir, d_nadir_pct,
        t_resp, nt[0], new_status, overall, as_read, pd_on, missing, code, reason, facts,
    )


def _backdated(tp: TimepointResponse, first_seen: dt.date, nid: str, confirmed_on: dt.date
               ) -> TimepointResponse:
    """A time point on or after the first sighting of a new lesion confirmed later: PD."""
    if tp.assessed_on in (first_seen, confirmed_on):
        code = _TP + "pd.new_lesion_backdated"
        reason = (f"PD: new lesion {nid}, equivocal on {first_seen.isoformat()}, was confirmed "
                  f"on {confirmed_on.isoformat()}; PD dates from its first sighting "
                  "(RECIST 1.1 section 4.3, new lesions).")
    else:
        code = _TP + "pd.final"
        reason = (f"PD: progression dates from {first_seen.isoformat()} (back-dated) and PD is "
                  f"final (this assessment reads {tp.as_read.value}).")
    facts = {**tp.facts, "progression_on": first_seen, "lesion_ids": nid,
             "new_lesion_confirmed_on": confirmed_on}
    return replace(tp, overall=_PD, progression_on=first_seen, code=code, reason=reason,
                   facts=facts)


def _evaluation(plan: _Plan, out: Sequence[TimepointResponse], first_pd: dt.date | None,
                nadir: float | None) -> Evaluation:
    """The subject's evaluation: its time points and a summary code, facts and reason.

    ``nadir`` is the smallest complete sum, baseline included (the running nadir at the end).
    """
    c, base = plan.c, plan.baseline_sum
    best = min((pct for tp in out if (pct := tp.change_from_baseline_pct) is not None),
               default=None)
    start = (f"{c.name}: baseline sum {_mm(base)} mm" if base is not None
             else f"{c.name}: no target lesions") + f" on {plan.baseline_on.isoformat()}"
    if not out:
        code, tail = "recist.evaluation.no_assessment", "no follow-up assessment"
    else:
        tail = f"{len(out)} assessment{'s' if len(out) != 1 else ''} to " \
               f"{out[-1].assessed_on.isoformat()}; "
        if first_pd is not None:
            code, tail = "recist.evaluation.pd", tail + f"PD from {first_pd.isoformat()}"
        else:
            code, tail = "recist.evaluation.no_pd", tail + "no PD"
    return _new_evaluation(
        criteria=c.name,
        baseline_on=plan.baseline_on,
        baseline_sum_mm=base,
        timepoints=tuple(out),
        progression_on=first_pd,
        code=code,
        reason=f"{start}; {tail}.",
        facts={"criteria": c.name, "baseline_on": plan.baseline_on, "baseline_sum_mm": base,
               "target_lesions": len(plan.target_ids), "non_target_lesions": len(plan.nt_ids),
               "assessments": len(out),
               "last_assessed_on": out[-1].assessed_on if out else None,
               "nadir_mm": nadir, "best_change_from_baseline_pct": best,
               "progression_on": first_pd},
    )


_new_timepoint = slot_constructor(TimepointResponse)
_new_evaluation = slot_constructor(Evaluation)
_NT_NE = NonTargetStatus.NOT_EVALUATED
_NT_CACHE: dict[object, NonTargetStatus] = {
    **{m.value: m for m in NonTargetStatus}, **{m.value.lower(): m for m in NonTargetStatus}}
_NO_NEW: dict[str, NewLesionStatus] = {}
_NEW_CACHE: dict[str | bool, NewLesionStatus] = {
    **{m.value: m for m in NewLesionStatus}, **{m.value.lower(): m for m in NewLesionStatus},
    False: NewLesionStatus.NO, True: NewLesionStatus.YES}
_VALUE: dict[object, str | None] = {None: None, **{m: m.value for m in Response},
                                    **{m: m.value for m in NewLesionStatus}}

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
    * Target response by :func:`target_response` (called for every time point): PD is at
      least 20 % **and** 5 mm above the nadir (smallest earlier sum, baseline included); CR
      needs non-nodal targets at 0 mm and nodes under 10 mm (the sum may be above 0); PR is
      at least 30 % below baseline. A non-nodal target that reappears after a target CR is PD.
    * A target not evaluated makes the target response NE, unless the evaluated targets alone
      already prove PD. An NE time point does not change the nadir.
    * Non-target and overall response by :func:`non_target_response` and
      :func:`overall_response` (Tables 1 and 2). An equivocal new lesion is not PD; if the
      same new-lesion id is later unequivocal, PD dates from the scan where it was first seen.
    * PD is final: every later time point is PD.

    mRECIST (``criteria="mRECIST"``): target values are viable (arterially enhancing)
    diameters, PD has no 5 mm rule (pass a :class:`Criteria` with ``pd_abs_mm=5`` if the SAP
    adds it), and an effusion or ascites that progresses is PD only with malignant cytology.

    Each time point carries a ``code`` (``recist.timepoint.*``), its ``facts`` and a reason.

    Raises:
        InputError: duplicate lesion ids, a target without a baseline diameter, no lesions,
            an assessment on or before baseline or two on one day, an unknown lesion id, or a
            value that is not a measurement.
        UnknownTermError: ``criteria`` is not a criteria set we have.

    Worked example: one liver and one lung target, 60 mm at baseline.

    >>> b = dt.date(2025, 2, 20)
    >>> base = [Lesion("T1", "liver", 40.0, b), Lesion("T2", "lung", 20.0, b)]
    >>> visits = [Assessment(dt.date(2025, 4, 26), {"T1": 30.0, "T2": 17.0}),
    ...           Assessment(dt.date(2025, 6, 21), {"T1": 38.0, "T2": 20.0})]
    >>> ev = evaluate(base, visits)
    >>> [(tp.sum_mm, tp.overall.value, tp.code) for tp in ev.timepoints]
    [(47.0, 'SD', 'recist.timepoint.sd'), (58.0, 'PD', 'recist.timepoint.pd.sum_increase')]
    >>> print(ev.timepoints[1].reason)
    PD: sum 58 mm is 23.4 % and 11 mm above the nadir of 47 mm.
    >>> ev.timepoints[1].facts["nadir_mm"], ev.timepoints[1].facts["change_from_nadir_mm"]
    (47.0, 11.0)
    """
    c = get_criteria(criteria)
    plan = _plan(list(baseline_lesions), c)
    st = _State(plan)
    out: list[TimepointResponse] = []
    for visit in sorted(assessments, key=lambda a: a.assessed_on):
        _check_visit(visit, plan, st)
        nadir_before = st.nadir
        tr = _read_targets(visit.targets, plan, st)
        t_resp, t_rule = _target_category(tr, plan, st)
        nt = _read_non_targets(visit, plan)
        new_status, new_ids = _read_new_lesions(visit, st)
        overall = _overall(t_resp, nt[0], new_status)
        out.append(_timepoint((visit.assessed_on, tr, t_resp, t_rule, nadir_before, nt,
                               new_status, new_ids, overall), plan, st))
    first_pd = st.first_pd
    if st.backdate is not None and (first_pd is None or st.backdate[0] < first_pd):
        first_seen, nid, confirmed_on = st.backdate
        out = [_backdated(tp, first_seen, nid, confirmed_on) if tp.assessed_on >= first_seen
               else tp for tp in out]
        first_pd = first_seen
    return _evaluation(plan, out, first_pd, st.nadir)
