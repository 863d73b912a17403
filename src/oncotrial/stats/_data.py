"""Input checks and the counting step shared by Kaplan-Meier and the log-rank test.

Every survival statistic here starts from the same table: for each distinct time, how many
subjects had the event and how many were censored (per group, for the log-rank test).
Two paths build it, and both give identical tables (tested):

* whole-number times (days, the usual case in a trial) within a modest range are counted with
  :func:`numpy.bincount`, O(n) with no sort, block by block while each block is in cache;
  the input checks run in the same loop, and only if something is off do the full checks
  run (they raise an error naming the subject);
* any other times are sorted as 64-bit keys that carry the event flag in the lowest bit, so
  the flag travels with its time without an ``argsort``; for groups, each group's keys are
  sorted and the runs merged with a stable sort, whose order says which group each came from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from oncotrial.errors import InputError

__all__ = [
    "Flags",
    "GroupRisk",
    "StatisticsInputError",
    "SurvivalCounts",
    "Times",
    "as_array",
    "as_event",
    "as_flag_array",
    "as_time",
    "count_events",
    "risk_sets_by_group",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
# Event flags: booleans, or integer codes already checked to be 0 or 1 (kept as given, so a
# million int64 codes are not copied into a new array).
Flags = npt.NDArray[np.bool_] | npt.NDArray[np.int64]

# Whole-number times are counted with bincount when the range of times is at most this many
# times the number of subjects (plus a floor), so the count array never dwarfs the data.
_BINCOUNT_RANGE_FACTOR = 8
_BINCOUNT_RANGE_FLOOR = 1_000_000
# Integers above 2^53 are not all representable as doubles, so they could not be sorted exactly.
_EXACT_INT = 2**53


class StatisticsInputError(InputError):
    """Data handed to a statistics function cannot be analysed as given.

    >>> err = StatisticsInputError("Survival time 3 is negative.", field="time", value=-3.0,
    ...                            hint="Times are counted from the origin and cannot be negative.")
    >>> err.field
    'time'
    """


@dataclass(frozen=True, slots=True)
class Times:
    """Checked survival times with their range (computed once, reused by the counting step)."""

    values: FloatArray | IntArray
    low: float
    high: float

    @property
    def size(self) -> int:
        """Number of subjects."""
        return int(self.values.shape[0])


def as_array(time: Any, *, name: str = "time") -> FloatArray | IntArray:
    """``time`` as a non-empty 1-D int64 or float64 array; values are not checked here.

    >>> as_array([3, 1, 2])
    array([3, 1, 2])
    """
    try:
        arr = np.asarray(time)
    except (TypeError, ValueError) as exc:  # pragma: no cover - numpy accepts almost anything
        raise StatisticsInputError(
            f"The {name} values could not be read as numbers.", field=name, value=time,
            hint="Pass a list or array of numbers, one per subject.",
        ) from exc
    if arr.ndim != 1:
        raise StatisticsInputError(
            f"The {name} values must be a flat list with one number per subject; "
            f"got an array of shape {arr.shape}.",
            field=name, value=arr.shape, hint="Pass a 1-D list or array.",
        )
    if arr.size == 0:
        raise StatisticsInputError(
            f"There are no {name} values: at least one subject is needed.",
            field=name, value=0, hint="Check that the analysis set is not empty.",
        )
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise StatisticsInputError(
                f"The {name} values must be numbers; got values of type {arr.dtype}.",
                field=name, value=str(arr.dtype),
                hint="Convert dates to durations (for example days from first dose) first.",
            ) from exc
    if arr.dtype.kind in "iu":
        ints: IntArray = arr.astype(np.int64, copy=False)
        return ints
    floats: FloatArray = arr.astype(np.float64, copy=False)
    return floats


def as_time(time: Any, *, name: str = "time") -> Times:
    """Check ``time``: a 1-D array of non-negative, finite numbers (integers stay integers).

    >>> as_time([3, 1, 2])
    Times(values=array([3, 1, 2]), low=1, high=3)
    >>> as_time([1.5, 2.0]).values
    array([1.5, 2. ])
    """
    arr = as_array(time, name=name)
    if arr.dtype.kind == "i":
        low, high = int(arr.min()), int(arr.max())
        if low < 0:
            raise _negative(name, arr, float(low))
        return Times(arr, low, high)
    low_f, high_f = float(arr.min()), float(arr.max())
    if not (math.isfinite(low_f) and math.isfinite(high_f)):
        bad = arr[~np.isfinite(arr)][0]
        position = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise StatisticsInputError(
            f"Subject at position {position} has {name} {bad}; every {name} must be a finite "
            "number.",
            field=name, value=float(bad),
            hint="Remove subjects without a time from the analysis set, or supply the time.",
        )
    if low_f < 0:
        raise _negative(name, arr, low_f)
    return Times(arr, low_f, high_f)


def _negative(name: str, arr: npt.NDArray[Any], low: float) -> StatisticsInputError:
    position = int(np.flatnonzero(arr < 0)[0])
    return StatisticsInputError(
        f"Subject at position {position} has {name} {low:g}; survival times are counted from "
        "the time origin and cannot be negative.",
        field=name, value=low,
        hint="Check the origin date (for example first dose) and the event or censoring date.",
    )


def as_flag_array(event: Any, n: int, *, name: str = "event") -> npt.NDArray[Any]:
    """``event`` as a 1-D boolean or numeric array of length ``n``; values are not checked.

    >>> as_flag_array([1, 0], 2)
    array([1, 0])
    """
    arr = np.asarray(event)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise StatisticsInputError(
            f"There are {n} times but {arr.size} {name} indicators; each subject needs both.",
            field=name, value=arr.size, hint="Pass one event indicator per subject.",
        )
    if arr.dtype.kind not in "biuf":
        raise StatisticsInputError(
            f"The {name} indicators must be 1 (event) or 0 (censored); got values of type "
            f"{arr.dtype}.",
            field=name, value=str(arr.dtype), hint="Code events as 1 and censorings as 0.",
        )
    return arr


def as_event(event: Any, n: int, *, name: str = "event") -> Flags:
    """Check ``event``: ``n`` flags, 1/True for the event and 0/False for a censoring.

    Booleans and integer codes come back as they are (integers as int64); floats as booleans.

    >>> as_event([True, False], 2)
    array([ True, False])
    >>> as_event([1, 0, 1], 3)
    array([1, 0, 1])
    """
    arr = as_flag_array(event, n, name=name)
    if arr.dtype.kind == "b":
        flags: npt.NDArray[np.bool_] = arr
        return flags
    if arr.dtype.kind in "iu":
        # Read as unsigned, a negative code is huge: one read-only pass checks 0 <= code <= 1.
        valid = bool(arr.view(arr.dtype.str.replace("i", "u")).max() <= 1)
    else:
        valid = bool(((arr == 0) | (arr == 1)).all())
    if not valid:
        position = int(np.flatnonzero((arr != 0) & (arr != 1))[0])
        raise StatisticsInputError(
            f"Subject at position {position} has {name} indicator {arr[position].item()!r}; "
            "it must be "
            "1 (event) or 0 (censored).",
            field=name, value=arr[position].item(), hint="Code events as 1 and censorings as 0.",
        )
    if arr.dtype.kind in "iu":
        codes: npt.NDArray[np.int64] = arr.astype(np.int64, copy=False)
        return codes
    as_bool: npt.NDArray[np.bool_] = arr.astype(bool)
    return as_bool


def _as_floats(times: Times) -> FloatArray:
    """Times as doubles for the sort path, refusing integers that a double cannot hold exactly
    (two different times would otherwise become one)."""
    if times.values.dtype.kind == "i" and times.high > _EXACT_INT:
        raise StatisticsInputError(
            f"The largest time is {int(times.high)}, beyond 2^53, where whole-number times "
            "spread this widely cannot be compared exactly.",
            field="time", value=int(times.high), hint="Use a coarser unit, such as days.",
        )
    return times.values.astype(np.float64, copy=False)


def _u64(event: Flags) -> npt.NDArray[Any]:
    """Event flags in a form that can be OR-ed into uint64 keys without a copy."""
    return event.view(np.uint64) if event.dtype == np.int64 else event


@dataclass(frozen=True, slots=True)
class SurvivalCounts:
    """Distinct times in increasing order, with the events and censorings at each."""

    time: FloatArray
    n_event: FloatArray
    n_censor: FloatArray
    one_per_time: bool = False  # True when every time belongs to exactly one subject


@dataclass(frozen=True, slots=True)
class GroupRisk:
    """At each distinct pooled time with at least one event: the events (all groups together)
    and the number at risk in each group (shape (groups, k)); plus events per group."""

    time: FloatArray
    n_event: FloatArray
    at_risk: FloatArray
    observed: FloatArray


_CHUNK = 1 << 16  # subjects per block in the counting loop: the block stays in cache


def _count_whole(
    times: Times, event: Flags, group: IntArray | None, n_groups: int
) -> tuple[npt.NDArray[np.int64], int] | None:
    """Counts per (time, group, event) cell for whole-number times, or None if the times are
    not all whole numbers or span too wide a range for a count array.

    The cell of a subject is ``((time - origin) * groups + group) * 2 + event``. Blocks of
    subjects are coded and counted with :func:`numpy.bincount` while they are in cache, so
    the data are read once; float times are checked to be whole in the same loop.
    Returns the counts as an array of shape (span, groups, 2) and the origin.
    """
    span = times.high - times.low
    if span > max(_BINCOUNT_RANGE_FACTOR * times.size, _BINCOUNT_RANGE_FLOOR):
        return None
    values = times.values
    is_float = values.dtype.kind == "f"
    if is_float:
        head = values[:1024]
        if not np.array_equal(head, np.floor(head)):
            return None  # cheap early exit for continuous times
    low, high = int(times.low), int(times.high)
    origin = low if low > high - low else 0  # times near zero (days) need no shift
    cells = high - origin + 1
    factor = 2 * n_groups
    size = cells * factor
    counts = np.zeros(size, dtype=np.int64)
    for start in range(0, values.shape[0], _CHUNK):
        stop = start + _CHUNK
        block = values[start:stop]
        if is_float:
            key = block.astype(np.int64)
            if not np.array_equal(key, block):
                return None
            if origin:
                key -= origin
            key *= factor
        elif origin:  # subtract first, so large times (epoch seconds) cannot overflow
            key = np.subtract(block, origin, dtype=np.int64)
            key *= factor
        else:
            key = np.multiply(block, factor, dtype=np.int64)
        if group is not None and n_groups > 1:
            key += group[start:stop] << 1
        key |= event[start:stop]
        counts += np.bincount(key, minlength=size)
    return counts.reshape(cells, n_groups, 2), origin


def _block_keys(
    block: FloatArray | IntArray, is_float: bool, limit: int, factor: int
) -> npt.NDArray[np.int64] | None:
    """Cell keys ``time * factor`` of one block of whole-number times in ``[0, limit]``, or
    None if a time is fractional, missing, negative or beyond the limit."""
    if is_float:
        with np.errstate(invalid="ignore"):
            key = block.astype(np.int64)
        if not np.array_equal(key, block):
            return None
        low, high = key.min(), key.max()
    else:
        low, high = block.min(), block.max()
    if low < 0 or high > limit:
        return None
    if is_float:
        key *= factor
        return key
    return np.multiply(block, factor, dtype=np.int64)


def _block_flags(
    flags: npt.NDArray[Any], unsigned: str | None, flip: bool
) -> npt.NDArray[Any] | None:
    """Event flags of one block (swapped when ``flip``), or None if an integer code is not 0
    or 1. ``unsigned`` is the unsigned view dtype of integer codes, None for booleans."""
    if unsigned is not None:
        if flags.view(unsigned).max() > 1:
            return None
        return flags ^ 1 if flip else flags
    return ~flags if flip else flags


def _count_whole_unchecked(
    values: FloatArray | IntArray,
    event: npt.NDArray[Any],
    group: IntArray | None,
    n_groups: int,
    flip: bool,
) -> tuple[npt.NDArray[np.int64], int] | None:
    """The fast path: count unvalidated data in one read, or give up (None) on anything odd.

    Validation happens in the same loop as counting, block by block while the block is in
    cache: times must be whole numbers from 0 up to a bound that keeps the count array small,
    event codes 0 or 1. On a negative, missing, fractional or huge time, or another event
    code, it returns None and the caller runs the full checks (which name the subject) and
    the general path. Never raises for bad data; never counts it.
    ``flip`` swaps events and censorings (the reverse Kaplan-Meier curve).
    """
    n = values.shape[0]
    limit = max(_BINCOUNT_RANGE_FACTOR * n, _BINCOUNT_RANGE_FLOOR)
    is_float = values.dtype.kind == "f"
    if is_float:
        head = values[:1024]
        with np.errstate(invalid="ignore"):
            if not np.array_equal(head, np.floor(head)):
                return None  # continuous (or missing) times: not this path
    unsigned = event.dtype.str.replace("i", "u") if event.dtype.kind in "iu" else None
    factor = 2 * n_groups
    codes = group if n_groups > 1 else None
    counts = np.zeros(factor, dtype=np.int64)
    for start in range(0, n, _CHUNK):
        stop = start + _CHUNK
        key = _block_keys(values[start:stop], is_float, limit, factor)
        flags = _block_flags(event[start:stop], unsigned, flip)
        if key is None or flags is None:
            return None
        if codes is not None:
            key += codes[start:stop] << 1
        key |= flags
        block_counts = np.bincount(key)
        if block_counts.size > counts.size:
            counts = np.concatenate((counts, np.zeros(block_counts.size - counts.size, np.int64)))
        counts[: block_counts.size] += block_counts
    cells = -(-counts.size // factor)
    if cells * factor != counts.size:
        counts = np.concatenate((counts, np.zeros(cells * factor - counts.size, np.int64)))
    return counts.reshape(cells, n_groups, 2), 0


def count_events(time: Any, event: Any, *, reverse: bool = False) -> SurvivalCounts:
    """Check the data and tabulate events and censorings per distinct time.

    ``reverse`` swaps events and censorings (for the reverse Kaplan-Meier curve).

    >>> c = count_events([2, 1, 2, 5], [True, False, True, False])
    >>> c.time.tolist(), c.n_event.tolist(), c.n_censor.tolist()
    ([1.0, 2.0, 5.0], [0.0, 2.0, 0.0], [1.0, 0.0, 1.0])
    >>> c = count_events([2.5, 1.0, 2.5, 0.5], [True, False, False, True])
    >>> c.time.tolist(), c.n_event.tolist(), c.n_censor.tolist()
    ([0.5, 1.0, 2.5], [1.0, 0.0, 1.0], [0.0, 1.0, 1.0])
    """
    values = as_array(time)
    raw_events = as_flag_array(event, values.shape[0])
    whole = None
    if raw_events.dtype.kind != "f":
        whole = _count_whole_unchecked(values, raw_events, None, 1, reverse)
    if whole is None:
        times = as_time(values)
        flags = as_event(raw_events, times.size)
        if reverse:
            flags = np.logical_not(flags)
        whole = _count_whole(times, flags, None, 1)
        if whole is None:
            return _count_by_sort(_as_floats(times), flags)
    cells, origin = whole
    total = cells[:, 0, 0] + cells[:, 0, 1]
    present = np.flatnonzero(total)
    return SurvivalCounts(
        time=(present + origin).astype(np.float64),
        n_event=cells[present, 0, 1].astype(np.float64),
        n_censor=cells[present, 0, 0].astype(np.float64),
    )


def _count_by_sort(time: FloatArray, event: Flags) -> SurvivalCounts:
    # For non-negative doubles the IEEE-754 bit pattern, read as an unsigned integer, sorts in
    # the same order as the number. Shifting left by one drops the sign bit (so -0.0 and +0.0
    # become the same key) and frees bit 0 for the event flag: one sort of plain integers
    # carries each event flag with its time, without an argsort.
    key = time.view(np.uint64) << np.uint64(1)
    key |= _u64(event)
    key.sort()
    tbits = key >> np.uint64(1)
    ev = (key & np.uint64(1)).astype(np.float64)
    new = tbits[1:] != tbits[:-1]
    if new.all():  # all times distinct: the usual case for continuous times
        return SurvivalCounts(time=tbits.view(np.float64), n_event=ev, n_censor=1.0 - ev,
                              one_per_time=True)
    starts = np.flatnonzero(np.concatenate(([True], new)))
    cum = np.concatenate(([0.0], np.cumsum(ev)))
    ends = np.append(starts[1:], key.size)
    n_event = cum[ends] - cum[starts]
    total = (ends - starts).astype(np.float64)
    return SurvivalCounts(time=tbits[starts].view(np.float64), n_event=n_event,
                          n_censor=total - n_event)


def risk_sets_by_group(
    time: Any,
    event: Any,
    group: IntArray,
    n_groups: int,
) -> GroupRisk:
    """Check the data; numbers at risk per group at each pooled event time (codes 0..G-1).

    >>> r = risk_sets_by_group([2, 1, 2, 5], [True, True, True, False], np.array([0, 0, 1, 1]),
    ...                        2)
    >>> r.time.tolist(), r.n_event.tolist(), r.at_risk.tolist(), r.observed.tolist()
    ([1.0, 2.0], [1.0, 2.0], [[2.0, 1.0], [2.0, 2.0]], [2.0, 1.0])
    """
    values = as_array(time)
    raw_events = as_flag_array(event, values.shape[0])
    whole = None
    if raw_events.dtype.kind != "f":
        whole = _count_whole_unchecked(values, raw_events, group, n_groups, False)
    if whole is None:
        times = as_time(values)
        flags = as_event(raw_events, times.size)
        whole = _count_whole(times, flags, group, n_groups)
        if whole is None:
            return _risk_sets_by_merge(_as_floats(times), flags, group, n_groups)
    cells, origin = whole
    events = cells[:, :, 1]
    total = (cells[:, :, 0] + events).T.astype(np.float64)  # (groups, span)
    at_risk = np.cumsum(total[:, ::-1], axis=1)[:, ::-1]
    d = events.sum(axis=1)
    rows = np.flatnonzero(d)
    return GroupRisk(
        time=(rows + origin).astype(np.float64),
        n_event=d[rows].astype(np.float64),
        at_risk=np.ascontiguousarray(at_risk[:, rows]),
        observed=events.sum(axis=0).astype(np.float64),
    )


def _risk_sets_by_merge(
    floats: FloatArray, event: Flags, group: IntArray, n_groups: int
) -> GroupRisk:
    """Sort each group's keys (time bits and event flag, as in :func:`_count_by_sort`), then
    merge the sorted runs with a stable sort, which is a linear merge of presorted runs
    (timsort); the merge permutation says which group each sorted subject belongs to."""
    all_keys = floats.view(np.uint64) << np.uint64(1)
    all_keys |= _u64(event)
    runs = []
    sizes = np.zeros(n_groups, dtype=np.int64)
    observed = np.zeros(n_groups)
    for g in range(n_groups):
        key = np.compress(group == g, all_keys)  # faster than boolean indexing
        key.sort()
        runs.append(key)
        sizes[g] = key.size
        observed[g] = np.count_nonzero(key & np.uint64(1))
    merged = np.concatenate(runs)
    order = np.argsort(merged, kind="stable")
    merged = merged[order]
    tbits = merged >> np.uint64(1)
    ev = (merged & np.uint64(1)).astype(bool)
    total = merged.size
    new = tbits[1:] != tbits[:-1]
    if new.all():  # all times distinct: each event is its own event time
        first = np.flatnonzero(ev)
        d = np.ones(first.size)
    else:
        starts = np.flatnonzero(np.concatenate(([True], new)))
        ends = np.append(starts[1:], total)
        cum_events = np.concatenate(([0], np.cumsum(ev, dtype=np.int64)))
        counts = cum_events[ends] - cum_events[starts]
        has_event = counts > 0
        first = starts[has_event]
        d = counts[has_event].astype(np.float64)
    at_risk = np.empty((n_groups, first.size))
    at_risk[-1] = total - first
    # Subjects of group g at risk at a time: the group's size minus those sorted before it.
    # Runs were concatenated in group order, so a merged position came from group g exactly
    # when its index in the concatenation falls in the g-th run.
    bounds = np.cumsum(sizes)
    count_type = np.int32 if total < 2**31 else np.int64  # half the memory traffic
    for g in range(n_groups - 1):
        in_group = order < bounds[g]
        if g:
            in_group &= order >= bounds[g - 1]
        before = np.concatenate(([0], np.cumsum(in_group, dtype=count_type)))
        at_risk[g] = sizes[g] - before[first]
        at_risk[-1] -= at_risk[g]
    return GroupRisk(
        time=tbits[first].view(np.float64), n_event=d, at_risk=at_risk, observed=observed
    )
