"""Benchmark: RECIST 1.1 time-point responses and best overall response for a large cohort.

Target (issue 4, kept by issue 10): 10,000 synthetic subjects x 20 assessments x 5 target
lesions, deriving every time-point response and the confirmed BOR, in under 5 s on one core.
Since issue 10 every time point and BOR is plain data built eagerly: its code, facts and
reason sentence are part of the timed derivation (nothing is rendered lazily).

Run: .venv/bin/python benchmarks/bench_recist.py [--subjects N] [--repeat R]
Prints the time to build the inputs (not part of the target), to derive the time points with
``evaluate`` and to derive the BOR, best of R runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time

from oncotrial.recist import (
    Assessment,
    BestOverallResponse,
    Evaluation,
    Lesion,
    best_overall_response,
    evaluate,
)

ORGANS = ["liver", "lung", "lymph nodes", "adrenal", "bone"]


def build_cohort(n_subjects: int, n_visits: int = 20, n_targets: int = 5, seed: int = 20261123
                 ) -> list[tuple[dt.date, list[Lesion], list[Assessment]]]:
    """Synthetic subjects: targets drift by a random walk; some get new lesions or NE targets."""
    rng = random.Random(seed)
    cohort = []
    origin = dt.date(2025, 1, 6)
    for _ in range(n_subjects):
        base_day = origin - dt.timedelta(days=7)
        sizes = [rng.uniform(12.0, 60.0) for _ in range(n_targets)]
        lesions = [Lesion(f"T{k + 1}", ORGANS[k % len(ORGANS)], round(sizes[k], 1), base_day,
                          nodal=ORGANS[k % len(ORGANS)] == "lymph nodes" and sizes[k] >= 15)
                   for k in range(n_targets)]
        lesions.append(Lesion("NT1", "peritoneum", None, base_day, target=False))
        trend = rng.uniform(-0.08, 0.06)
        visits = []
        for v in range(n_visits):
            sizes = [max(0.0, s * (1.0 + trend + rng.gauss(0.0, 0.04))) for s in sizes]
            targets: dict[str, float | str] = {f"T{k + 1}": round(s, 1)
                                               for k, s in enumerate(sizes)}
            if rng.random() < 0.03:
                targets.pop("T2")
            new = "YES" if rng.random() < 0.01 else ("EQUIVOCAL" if rng.random() < 0.01 else "NO")
            visits.append(Assessment(origin + dt.timedelta(days=56 * (v + 1)), targets,
                                     {"NT1": "PRESENT"}, new))
        cohort.append((origin, lesions, visits))
    return cohort


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    t0 = time.perf_counter()
    cohort = build_cohort(args.subjects)
    build = time.perf_counter() - t0

    best_eval = best_bor = best_cpu = float("inf")
    counts: dict[str, int] = {}
    evaluations: list[Evaluation] = []
    bors: list[BestOverallResponse] = []
    for _ in range(args.repeat):
        # Free the previous repetition's results before the clock starts: freeing them is not
        # part of the derivation.
        evaluations, bors = [], []
        c0 = time.process_time()
        t0 = time.perf_counter()
        evaluations = [evaluate(lesions, visits) for _, lesions, visits in cohort]
        t1 = time.perf_counter()
        bors = [best_overall_response(ev.responses(), origin=origin, sd_min_days=42)
                for (origin, _, _), ev in zip(cohort, evaluations, strict=True)]
        t2 = time.perf_counter()
        best_cpu = min(best_cpu, time.process_time() - c0)
        best_eval, best_bor = min(best_eval, t1 - t0), min(best_bor, t2 - t1)
        counts = {}
        assert all(tp.code and tp.reason for ev in evaluations for tp in ev.timepoints)
        for bor in bors:
            counts[bor.response.value] = counts.get(bor.response.value, 0) + 1
    n_tp = args.subjects * 20
    print(f"subjects={args.subjects} assessments/subject=20 targets/subject=5 "
          f"(time points={n_tp})")
    print(f"build inputs (not timed against the target): {build:.2f} s")
    print(f"evaluate (time-point responses):              {best_eval:.2f} s "
          f"({1e6 * best_eval / n_tp:.1f} us per time point)")
    print(f"best_overall_response (confirmed):            {best_bor:.2f} s")
    print(f"total derivation, wall (best of {args.repeat}):           {best_eval + best_bor:.2f} s"
          f"  target < 5 s")
    print(f"total derivation, CPU time of this process:  {best_cpu:.2f} s")
    print("BOR distribution:", dict(sorted(counts.items())))


if __name__ == "__main__":
    main()
