"""Benchmark: palbociclib dose recommendations and exposure summaries for a cohort.

No target in issue 5; the figures show the engine is cheap enough to run on every visit.
Workload: N synthetic patients x 13 cycles x 3 visits (Day 1, Day 15, Day 22), each visit one
``recommend`` call chained through the returned state, with the bundled NCT06478927 rules and
random ANC, platelets, fever and toxicities (an event a hold waits for and no longer recorded is
passed as resolved); then one year of dosing diary per patient through ``summarise_exposure``.
Each blood count is graded by ``oncotrial.ctcae.grade_lab`` when it is built.

Run: .venv/bin/python benchmarks/bench_dosing.py [--patients N] [--repeat R]
Prints the time per phase (best of R runs) and the throughput.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date, timedelta

from oncotrial.dosing import (
    BloodCounts,
    DiaryEntry,
    DosingRules,
    DosingState,
    Toxicity,
    ToxicityCategory,
    recommend,
    summarise_exposure,
)
from oncotrial.protocol import load_bundled_protocol

START = date(2026, 1, 5)
RULES = DosingRules.from_protocol(load_bundled_protocol())


def run_recommendations(n_patients: int, seed: int = 20261123) -> int:
    rng = random.Random(seed)
    calls = 0
    for _ in range(n_patients):
        state: DosingState | int = 125
        for cycle in range(1, 14):
            for cycle_day in (1, 15, 22):
                on = START + timedelta(days=28 * (cycle - 1) + cycle_day - 1)
                cbc = BloodCounts(on, anc_10e9_l=rng.uniform(0.3, 4.0),
                                  platelets_10e9_l=rng.uniform(20, 300))
                diarrhea = Toxicity("Diarrhea", rng.randint(1, 3),
                                    ToxicityCategory.NON_HAEMATOLOGICAL)
                tox = ([diarrhea]
                       if rng.random() < 0.2 else [])
                temp = rng.uniform(36.5, 39.0) if rng.random() < 0.1 else None
                hold = state.hold if isinstance(state, DosingState) else None
                resolved = [a.term for a in hold.awaiting] if hold and not tox else []
                result = recommend(state, rules=RULES, cycle=cycle, cycle_day=cycle_day,
                                   assessed_on=on, cbc=cbc, toxicities=tox, resolved=resolved,
                                   temperature_c=temp)
                calls += 1
                state = result.state
    return calls


def run_exposure(n_patients: int) -> int:
    diary = []
    for cycle in range(13):
        for d in range(21):
            day = START + timedelta(days=28 * cycle + d)
            diary.append(DiaryEntry(day, 125 if cycle < 4 else 100, 0 if d == 5 else 125
                                    if cycle < 4 else 100))
    for _ in range(n_patients):
        summarise_exposure(diary, period_start=START, rules=RULES)
    return n_patients


def best_of(repeat: int, fn, *args):  # type: ignore[no-untyped-def]
    best = float("inf")
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    t_rec, calls = best_of(args.repeat, run_recommendations, args.patients)
    print(f"recommend: {calls} calls in {t_rec:.3f} s "
          f"({calls / t_rec:,.0f} calls/s, {1e6 * t_rec / calls:.1f} us/call)")
    t_exp, n = best_of(args.repeat, run_exposure, args.patients)
    print(f"summarise_exposure: {n} one-year diaries in {t_exp:.3f} s "
          f"({1e3 * t_exp / n:.2f} ms/patient)")


if __name__ == "__main__":
    main()
