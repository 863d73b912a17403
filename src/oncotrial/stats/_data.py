"""Input checks and the counting step shared by Kaplan-Meier and the log-rank test.

Every survival statistic here starts from the same table: for each distinct time, how many
subjects had the event and how many were censored.
Two paths build it, and both give identical tables:

* whole-number times (days, the usual case in a trial) within a modest range are counted with
  :func:`numpy.bincount`, which is O(n) and needs no sort;
* any other times are sorted once as 64-bit keys that carry the event flag in the lowest bit,
  so the event indicator travels with its time without an ``argsort``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from oncotrial.errors import InputError

__all__ = ["StatisticsInputError", "SurvivalCounts", "as_event", "as_time", "count_events"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Whole-number times are counted with bincount when the range of times is at most this many
# times the number of subjects (plus a floor), so the count array never dwarfs the data.
_BINCOUNT_RANGE_FACTOR = 8
_BINCOUNT_RANGE_FLOOR = 1_000_000


class StatisticsInputError(InputError):
    """Data handed to a statistics function cannot be analysed as given.

    >>> err = StatisticsInputError("Survival time 3 is negative.", field="time", value=-3.0,
    ...                            hint="Times are counted from the origin and cannot be negative.")
    >>> err.field
    'time'
    """


def as_time(time: Any, *, name: str = "time") -> FloatArray | IntArray:
    """Return ``time`` as a 1-D array of non-negative, finite numbers (integers stay integers).

    >>> as_time([3, 1, 2])
    array([3, 1, 2])
    >>> as_time([1.5, 2.0])
    array([1.5, 2. ])
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
    if arr.dtype.kind == "u":
        arr = arr.astype(np.int64)
    if arr.dtype.kind == "i":
        arr = arr.astype(np.int64, copy=False)
        low = int(arr.min())
        if low < 0:
            raise _negative(name, arr, float(low))
        return arr
    arr = arr.astype(np.float64, copy=False)
    low_f = float(arr.min())
    if not np.isfinite(low_f) or not np.isfinite(arr.max()):
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
    return arr


def _negative(name: str, arr: npt.NDArray[Any], low: float) -> StatisticsInputError:
    position = int(np.flatnonzero(arr < 0)[0])
    return StatisticsInputError(
        f"Subject at position {position} has {name} {low:g}; survival times are counted from "
        "the time origin and cannot be negative.",
        field=name, value=low,
        hint="Check the origin date (for example first dose) and the event or censoring date.",
    )


def as_event(event: Any, n: int, *, name: str = "event") -> npt.NDArray[np.bool_]:
    """Return ``event`` as a boolean array of length ``n`` (1/True = event, 0/False = censored).

    >>> as_event([1, 0, True], 3)
    array([ True, False,  True])
    """
    arr = np.asarray(event)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise StatisticsInputError(
            f"There are {n} times but {arr.size} {name} indicators; each subject needs both.",
            field=name, value=arr.size, hint="Pass one event indicator per subject.",
        )
    if arr.dtype.kind == "b":
        flags: npt.NDArray[np.bool_] = arr
        return flags
    if arr.dtype.kind not in "iuf":
        raise StatisticsInputError(
            f"The {name} indicators must be 1 (event) or 0 (censored); got values of type "
            f"{arr.dtype}.",
            field=name, value=str(arr.dtype), hint="Code events as 1 and censorings as 0.",
        )
    as_bool: npt.NDArray[np.bool_] = np.not_equal(arr, 0)
    if not np.array_equal(arr, as_bool):
        position = int(np.flatnonzero((arr != 0) & (arr != 1))[0])
        raise StatisticsInputError(
            f"Subject at position {position} has {name} indicator {arr[position]!r}; it must be "
            "1 (event) or 0 (censored).",
            field=name, value=arr[position].item(), hint="Code events as 1 and censorings as 0.",
        )
    return as_bool


@dataclass(frozen=True, slots=True)
class SurvivalCounts:
    """Distinct times in increasing order, with events and censorings per time (group columns)."""

    time: FloatArray
    n_event: FloatArray  # shape (k, groups)
    n_total: FloatArray  # shape (k, groups): subjects whose time is exactly this time


def _integer_view(time: FloatArray | IntArray) -> IntArray | None:
    """Times as int64 if they are whole numbers in a range small enough for bincount."""
    if time.dtype.kind == "i":
        ints: IntArray = time  # type: ignore[assignment]
    else:
        ints = time.astype(np.int64)
        if not np.array_equal(ints, time):
            return None
    low, high = int(ints.min()), int(ints.max())
    if high - low > max(_BINCOUNT_RANGE_FACTOR * time.size, _BINCOUNT_RANGE_FLOOR):
        return None
    return ints


def count_events(
    time: FloatArray | IntArray,
    event: npt.NDArray[np.bool_],
    group: IntArray | None = None,
    n_groups: int = 1,
) -> SurvivalCounts:
    """Tabulate events and subjects per distinct time (and per group, if ``group`` is given).

    >>> c = count_events(np.array([2, 1, 2, 5]), np.array([True, False, True, False]))
    >>> c.time.tolist(), c.n_event[:, 0].tolist(), c.n_total[:, 0].tolist()
    ([1.0, 2.0, 5.0], [0.0, 2.0, 0.0], [1.0, 2.0, 1.0])
    """
    ints = _integer_view(time)
    if ints is not None:
        return _count_by_bincount(ints, event, group, n_groups)
    return _count_by_sort(time.astype(np.float64, copy=False), event, group, n_groups)


def _count_by_bincount(
    ints: IntArray, event: npt.NDArray[np.bool_], group: IntArray | None, n_groups: int
) -> SurvivalCounts:
    low = int(ints.min())
    span = int(ints.max()) - low + 1
    offset = ints - low if low else ints
    if group is not None and n_groups > 1:
        offset = offset * n_groups + group
    size = span * n_groups
    total = np.bincount(offset, minlength=size).reshape(span, n_groups)
    events = np.bincount(offset[event], minlength=size).reshape(span, n_groups)
    present = np.flatnonzero(total.sum(axis=1) if n_groups > 1 else total[:, 0])
    return SurvivalCounts(
        time=(present + low).astype(np.float64),
        n_event=events[present].astype(np.float64),
        n_total=total[present].astype(np.float64),
    )


def _count_by_sort(
    time: FloatArray, event: npt.NDArray[np.bool_], group: IntArray | None, n_groups: int
) -> SurvivalCounts:
    # For non-negative doubles the IEEE-754 bit pattern, read as an unsigned integer, sorts in
    # the same order as the number, and the sign bit is free: shift left and put the event flag
    # in bit 0. Adding 0.0 turns -0.0 into +0.0 so the two zeros count as one time.
    bits = (time + 0.0).view(np.uint64)
    key = (bits << np.uint64(1)) | event.astype(np.uint64)
    if group is None or n_groups == 1:
        key.sort()
        grp = None
    else:
        order = np.argsort(key)
        key = key[order]
        grp = group[order]
    tbits = key >> np.uint64(1)
    n = key.size
    starts = np.flatnonzero(np.concatenate(([True], tbits[1:] != tbits[:-1])))
    times = tbits[starts].view(np.float64)
    ev = (key & np.uint64(1)).astype(bool)
    if grp is None:
        ends = np.append(starts[1:], n)
        cum = np.concatenate(([0], np.cumsum(ev, dtype=np.int64)))
        events = (cum[ends] - cum[starts]).astype(np.float64)[:, None]
        totals = (ends - starts).astype(np.float64)[:, None]
        return SurvivalCounts(time=times, n_event=events, n_total=totals)
    row = np.cumsum(np.concatenate(([False], tbits[1:] != tbits[:-1])), dtype=np.int64)
    cell = row * n_groups + grp
    size = starts.size * n_groups
    totals = np.bincount(cell, minlength=size).reshape(-1, n_groups).astype(np.float64)
    events = np.bincount(cell[ev], minlength=size).reshape(-1, n_groups).astype(np.float64)
    return SurvivalCounts(time=times, n_event=events, n_total=totals)
