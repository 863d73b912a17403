"""What the synthetic cohort reads from the protocol: visits, windows, dose levels (shell).

:class:`Schedule` gathers, once per protocol, the numbers the generator follows: the dose
levels and the days-on/days-off cycle of the intervention, the visit schedule (Day 1 of each
cycle and its window, the mid-cycle blood counts and their cycles, tumour assessments with
their interval and window from the first dose, end of treatment, safety and survival
follow-up) and the screening windows. Visits are found by what they are anchored to, not by
their codes, so another protocol with the same kind of schedule works too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from oncotrial.context import TrialContext
from oncotrial.errors import InputError
from oncotrial.protocol import Protocol
from oncotrial.protocol.model import Visit

__all__ = ["Schedule"]


@dataclass(frozen=True, slots=True)
class Schedule:
    """The protocol's schedule, as the generator needs it (days are whole days).

    >>> from oncotrial.protocol import load_bundled_protocol
    >>> s = Schedule.from_context(TrialContext.from_protocol(load_bundled_protocol()))
    >>> s.levels_mg, s.days_on, s.cycle_days, s.scan_every_days, s.scan_window_days
    ((125, 100, 75), 21, 28, 56, 7)
    >>> s.mid_cycle_day, s.mid_cycle_cycles, s.day1_window, s.first_dose_window
    (15, (1, 2), (-2, 4), (0, 7))
    """

    levels_mg: tuple[int, ...]
    days_on: int
    cycle_days: int
    day1_window: tuple[int, int]
    mid_cycle_day: int
    mid_cycle_cycles: tuple[int, ...]
    first_dose_window: tuple[int, int]
    first_scan_day: int
    scan_every_days: int
    scan_window_days: int
    eot_day: int
    safety_follow_up_day: int
    survival_every_days: int
    imaging_max_days: int
    labs_max_days: int
    ecg_max_days: int
    pregnancy_test_max_days: int
    teae_window_days: int
    min_sd_days: int
    confirm_min_days: int

    @classmethod
    def from_context(cls, ctx: TrialContext) -> Schedule:
        """Read the schedule of a trial context's protocol.

        Raises:
            InputError: the protocol lacks a visit the generator follows (the first-dose
                visit, Day 1 of later cycles, repeated tumour assessments from the first
                dose, visits after the last dose, repeated survival follow-up).
        """
        p = ctx.protocol
        rules = ctx.dose_rules
        ep = ctx.endpoint_rules
        day1 = _visit(p, "cycle_start", lambda v: v.day == 1, "Day 1 of each cycle")
        mid = _optional(p, "cycle_start", lambda v: v.day != 1)
        first = _visit(p, "enrolment", lambda v: v.day >= 0, "the first dose (C1D1)")
        scan = _visit(p, "first_dose", lambda v: v.repeat_every_days is not None,
                      "tumour assessments repeated from the first dose")
        after = sorted((v for v in p.visits if v.anchor == "last_dose"), key=lambda v: v.day)
        if len(after) < 2:
            raise InputError(
                "The protocol has fewer than two visits anchored to the last dose; the "
                "synthetic cohort needs an end-of-treatment and a safety follow-up visit.",
                field="visits", hint="Add both visits (anchor: last_dose) to the protocol.")
        surv = _visit(p, "end_of_treatment", lambda v: v.repeat_every_days is not None,
                      "repeated survival follow-up")
        mid_cycles = mid.cycles if mid is not None and isinstance(mid.cycles, list) else []
        return cls(
            levels_mg=tuple(int(d) for d in rules.dose_levels_mg),
            days_on=int(rules.days_on),
            cycle_days=int(rules.cycle_length_days),
            day1_window=(day1.window.start_day, day1.window.end_day),
            mid_cycle_day=mid.day if mid is not None else 0,
            mid_cycle_cycles=tuple(int(c) for c in mid_cycles),
            first_dose_window=(first.window.start_day, first.window.end_day),
            first_scan_day=scan.day,
            scan_every_days=int(ep.assessment_interval_days),
            scan_window_days=int(ep.assessment_window_days),
            eot_day=after[0].day,
            safety_follow_up_day=after[1].day,
            survival_every_days=int(surv.repeat_every_days or 56),
            imaging_max_days=p.screening.imaging_max_days_before_enrolment,
            labs_max_days=p.screening.labs_max_days_before_first_dose,
            ecg_max_days=p.screening.ecg_echo_max_days_before_first_dose,
            pregnancy_test_max_days=p.screening.pregnancy_test_max_days_before_first_dose,
            teae_window_days=int(ctx.teae_window_days),
            min_sd_days=int(ep.min_sd_days),
            confirm_min_days=int(ep.confirm_min_days),
        )

    def scan_scheduled_day(self, k: int) -> int:
        """Day (from the first dose, day 0) of the k-th tumour assessment, k = 1, 2, ...

        >>> from oncotrial.protocol import load_bundled_protocol
        >>> s = Schedule.from_context(TrialContext.from_protocol(load_bundled_protocol()))
        >>> [s.scan_scheduled_day(k) for k in (1, 2, 3)]
        [56, 112, 168]
        """
        return self.first_scan_day + (k - 1) * self.scan_every_days


def _optional(protocol: Protocol, anchor: str, test: Callable[[Visit], bool]) -> Visit | None:
    found = [v for v in protocol.visits if v.anchor == anchor and test(v)]
    return found[0] if found else None


def _visit(protocol: Protocol, anchor: str, test: Callable[[Visit], bool], what: str) -> Visit:
    found = _optional(protocol, anchor, test)
    if found is None:
        raise InputError(
            f"The protocol has no visit for {what} (anchor {anchor}); the synthetic cohort "
            "follows the protocol's visit schedule and needs it.", field="visits",
            value=anchor, hint="Add the visit to the protocol's visits section.")
    return found
