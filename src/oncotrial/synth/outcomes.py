"""Latent progression and survival times, calibrated to the parameters (shell, no I/O).

The model (``docs/synth.md``, "Efficacy"):

* Tumour assessments are scheduled every ``scan_every_days`` from the first dose (day 0),
  each on a day drawn within the protocol's window; a few are skipped.
* The latent progression-or-death time T has a piecewise constant hazard: one hazard up to
  the subject's first scan, chosen so that a share ``p_early`` of subjects progress or die by
  it, and ``late_hazard`` after it. A share ``death_without_pd_share`` of these events are
  deaths without radiological progression, at T; the others are progressions, seen (and
  dated) at the first scan on or after T that is not skipped (FDA 2018 guidance on cancer
  trial endpoints: PD is dated at the assessment that shows it).
* After progression the subject lives ``Exp(pps_hazard)`` more days, so OS >= PFS always.

Calibration (:func:`calibrate`) turns the parameters into these four numbers on a fixed set of
draws (common random numbers, so the result is the same on every call): ``p_early`` from the
DCR (the share without progression at the first scan), ``late_hazard`` so that the median of
the observed PFS is ``median_pfs_months``, ``pps_hazard`` so that the median OS is
``median_os_months``, and the responders' share among subjects still free of progression at
their second scan so that the confirmed ORR is ``orr``. When the DCR puts more than half of
the PFS events on the first scan, the median PFS falls on that scan whatever the tail hazard;
the tail then uses ``ln 2 / median_pfs``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from oncotrial.errors import InputError
from oncotrial.records import DAYS_PER_MONTH
from oncotrial.synth.params import SynthParams
from oncotrial.synth.schedule import Schedule

__all__ = ["LatentTimes", "OutcomeModel", "calibrate", "latent_times", "scan_offsets"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

#: Draws used to calibrate (a fixed seed: calibration never depends on the cohort's seed).
_CALIBRATION_DRAWS = 10_000
_CALIBRATION_SEED = 20240115
#: Standard deviation in days of a scan's distance from its scheduled day (within the window).
_SCAN_SD_DAYS = 3.0


@dataclass(frozen=True, slots=True)
class OutcomeModel:
    """The calibrated latent model: hazards per day and the responders' share."""

    p_early: float
    late_hazard: float
    pps_hazard: float
    responder_prob: float


@dataclass(frozen=True, slots=True)
class LatentTimes:
    """Latent times of a batch of subjects, in days from the first dose.

    ``scan_days`` (subjects x scans) are the days the assessments happen, ``missed`` marks the
    skipped ones. ``pfs_day`` is the latent progression-or-death time T, ``death_type`` says
    whether that event is a death without progression, ``pd_scan`` the index of the scan that
    shows progression (-1: a death-type event, or none within the scans drawn), ``os_day`` the
    day of death, ``responder_pool`` whether the subject is still free of progression at the
    second attended scan (only they can have a confirmed response).
    """

    scan_days: IntArray
    missed: BoolArray
    pfs_day: FloatArray
    death_type: BoolArray
    pd_scan: IntArray
    observed_pfs_day: FloatArray
    os_day: FloatArray
    responder_pool: BoolArray


def scan_offsets(rng: np.random.Generator, shape: tuple[int, int], window: int) -> IntArray:
    """Days between each assessment and its scheduled day: rounded normal, within the window.

    >>> off = scan_offsets(np.random.default_rng(1), (1000, 3), 7)
    >>> int(off.min()) >= -7 and int(off.max()) <= 7
    True
    """
    drawn = np.rint(rng.normal(0.0, _SCAN_SD_DAYS, size=shape))
    return np.clip(drawn, -window, window).astype(np.int64)


def latent_times(
    model: OutcomeModel,
    *,
    scan_days: IntArray,
    missed: BoolArray,
    e_pfs: FloatArray,
    death_type: BoolArray,
    e_pps: FloatArray,
) -> LatentTimes:
    """The latent and observed times of a batch, from unit-exponential draws.

    ``e_pfs`` and ``e_pps`` are Exp(1) draws, turned into times by inverting the cumulative
    hazards, so a larger hazard gives an earlier time for the same draw (the calibration's
    bisections rely on it).

    Half the subjects progress by the first scan (day 56); this one's draw is past that, so
    T = 56 + 0.5 / 0.01 = 106 days, progression is seen at the day-112 scan, and death comes
    1 / 0.01 = 100 days later:

    >>> m = OutcomeModel(p_early=0.5, late_hazard=0.01, pps_hazard=0.01, responder_prob=0)
    >>> t = latent_times(m, scan_days=np.array([[56, 112, 168]]), missed=np.zeros((1, 3), bool),
    ...                  e_pfs=np.array([math.log(2) + 0.5]), death_type=np.array([False]),
    ...                  e_pps=np.array([1.0]))
    >>> round(float(t.pfs_day[0]), 6), int(t.pd_scan[0]), float(t.observed_pfs_day[0])
    (106.0, 1, 112.0)
    >>> round(float(t.os_day[0]), 6)
    212.0
    """
    first = scan_days[:, 0].astype(np.float64)
    cum_early = -math.log1p(-model.p_early) if model.p_early < 1 else math.inf
    with np.errstate(divide="ignore", invalid="ignore"):
        early = e_pfs <= cum_early
        t_early = e_pfs * first / cum_early if cum_early > 0 else np.zeros_like(first)
        t_late = first + (e_pfs - cum_early) / model.late_hazard
    pfs_day = np.where(early, t_early, t_late)
    seen = (scan_days >= pfs_day[:, None]) & ~missed
    any_seen = seen.any(axis=1)
    pd_scan = np.where(any_seen & ~death_type, seen.argmax(axis=1), -1)
    rows = np.arange(scan_days.shape[0])
    detect = np.where(pd_scan >= 0, scan_days[rows, np.maximum(pd_scan, 0)], np.inf)
    observed = np.where(death_type, pfs_day, detect)
    os_day = np.where(death_type, pfs_day, detect + e_pps / model.pps_hazard)
    attended = np.cumsum(~missed, axis=1)
    second = np.where((attended >= 2).any(axis=1), (attended >= 2).argmax(axis=1), -1)
    second_day = np.where(second >= 0, scan_days[rows, np.maximum(second, 0)], np.inf)
    return LatentTimes(scan_days, missed, pfs_day, death_type, pd_scan.astype(np.int64),
                       observed, os_day, pfs_day > second_day)


class _Draws(NamedTuple):
    scan_days: IntArray
    missed: BoolArray
    e_pfs: FloatArray
    death_type: BoolArray
    e_pps: FloatArray


def _draws(schedule: Schedule, params: SynthParams) -> _Draws:
    rng = np.random.default_rng(_CALIBRATION_SEED)
    n, k = _CALIBRATION_DRAWS, 24
    scheduled = np.array([schedule.scan_scheduled_day(i + 1) for i in range(k)])
    return _Draws(
        scan_days=scheduled[None, :] + scan_offsets(rng, (n, k), schedule.scan_window_days),
        missed=rng.random((n, k)) < params.missed_scan,
        e_pfs=rng.exponential(size=n),
        death_type=rng.random(n) < params.death_without_pd_share,
        e_pps=rng.exponential(size=n),
    )


def _times(model: OutcomeModel, draws: _Draws) -> LatentTimes:
    return latent_times(model, scan_days=draws.scan_days, missed=draws.missed,
                        e_pfs=draws.e_pfs, death_type=draws.death_type, e_pps=draws.e_pps)


def _bisect_log(f: Callable[[float], float], target: float, low: float,
                high: float) -> float | None:
    """The hazard in [low, high] at which the decreasing ``f`` crosses ``target`` (log scale),
    or None when ``target`` is outside f's range there."""
    if not f(high) <= target <= f(low):
        return None
    lo, hi = math.log(low), math.log(high)
    for _ in range(40):
        mid = (lo + hi) / 2
        if f(math.exp(mid)) > target:
            lo = mid
        else:
            hi = mid
    return math.exp((lo + hi) / 2)


def _observed_dcr(times: LatentTimes) -> float:
    attended = ~times.missed
    first = attended.argmax(axis=1)
    rows = np.arange(first.shape[0])
    day = times.scan_days[rows, first]
    return float(np.mean(times.pfs_day > day))


def calibrate(params: SynthParams, schedule: Schedule) -> OutcomeModel:
    """The latent model whose observed DCR, median PFS, median OS and ORR are the parameters.

    Raises:
        InputError: the ORR cannot be reached (too few subjects are free of progression at
            their second scan for that many confirmed responses), or the median OS is too
            short for the median PFS.

    >>> from oncotrial.context import TrialContext
    >>> from oncotrial.protocol import load_bundled_protocol
    >>> sched = Schedule.from_context(TrialContext.from_protocol(load_bundled_protocol()))
    >>> m = calibrate(SynthParams(), sched)
    >>> round(m.p_early, 2), round(m.responder_prob, 2)
    (0.65, 0.22)
    """
    return _calibrate(_key(params), schedule)


def _key(params: SynthParams) -> tuple[float, ...]:
    return (params.median_pfs_months, params.median_os_months, params.orr, params.dcr,
            params.death_without_pd_share, params.missed_scan)


@lru_cache(maxsize=32)
def _calibrate(key: tuple[float, ...], schedule: Schedule) -> OutcomeModel:
    median_pfs, median_os, orr, dcr, death_share, missed = key
    params = SynthParams(median_pfs_months=median_pfs, median_os_months=median_os, orr=orr,
                         dcr=dcr, death_without_pd_share=death_share, missed_scan=missed)
    draws = _draws(schedule, params)
    pfs_days = median_pfs * DAYS_PER_MONTH
    os_days = median_os * DAYS_PER_MONTH
    tail = math.log(2) / pfs_days

    def model(p_early: float, late: float = tail, pps: float = tail) -> OutcomeModel:
        return OutcomeModel(p_early, late, pps, 0.0)

    def dcr_of(hazard: float) -> float:
        # p_early = 1 - exp(-hazard): the observed DCR falls as the early hazard rises.
        return _observed_dcr(_times(model(-math.expm1(-hazard)), draws))

    found = _bisect_log(dcr_of, dcr, 1e-6, 50.0)
    p_early = -math.expm1(-found) if found is not None else (1.0 - dcr)

    def median_pfs_of(hazard: float) -> float:
        return float(np.median(_times(model(p_early, hazard), draws).observed_pfs_day))

    late = _bisect_log(median_pfs_of, pfs_days, tail / 50, tail * 50) or tail

    def median_os_of(hazard: float) -> float:
        return float(np.median(_times(model(p_early, late, hazard), draws).os_day))

    pps = _bisect_log(median_os_of, os_days, 1e-6, 5.0)
    if pps is None:
        floor = median_os_of(5.0) / DAYS_PER_MONTH
        raise InputError(
            f"A median OS of {median_os} months is too short for a median PFS of {median_pfs} "
            f"months and a DCR of {dcr}: with death at least as late as progression the median "
            f"OS is at least about {floor:.1f} months.", field="median_os_months",
            value=median_os, hint="Give a longer median OS, or a shorter median PFS.")
    times = _times(model(p_early, late, pps), draws)
    pool = float(np.mean(times.responder_pool))
    if orr > pool:
        raise InputError(
            f"An ORR of {orr} cannot be reached: a confirmed response needs two scans without "
            f"progression, and with a median PFS of {median_pfs} months and a DCR of {dcr} only "
            f"about {pool:.2f} of subjects get that far.", field="orr", value=orr,
            hint="Give a lower ORR, or a higher DCR and a longer median PFS.")
    return OutcomeModel(p_early, late, pps, orr / pool if pool > 0 else 0.0)
