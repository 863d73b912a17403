"""Benchmark: CTCAE v5.0 lab grading of 1,000,000 results with oncotrial.ctcae.grade_labs.

Run: .venv/bin/python benchmarks/bench_ctcae.py
Prints the best of 5 runs for (a) one term and unit, (b) all 40 lab terms mixed in one table,
with LLN, ULN and baseline columns, SI and conventional units, (c) the scalar grade_lab and
(d) grade_lab_result on stored LabResult records (each builds its code, facts and reason).
Target (issues 5 and 10): 1,000,000 results in under 1 s on one core.
"""

from __future__ import annotations

import os
import time
from datetime import date

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core

import numpy as np
import pandas as pd

from oncotrial.ctcae import grade_lab, grade_lab_result, grade_labs, lab_term, lab_terms
from oncotrial.records import LabResult

N = 1_000_000
RUNS = 5


def _profile(term: str) -> tuple[str, float, float, float]:
    """A unit CTCAE lists (or a usual one), and LLN/ULN/baseline around a mid-range value."""
    lt = lab_term(term)
    unit = lt.units[0] if lt.units else {"alt": "U/L", "ast": "U/L", "alp": "U/L", "ggt": "U/L",
                                         "bilirubin": "umol/L", "creatinine": "umol/L",
                                         "ldh": "U/L", "cpk": "U/L", "lipase": "U/L",
                                         "amylase": "U/L", "uric_acid": "umol/L",
                                         "haptoglobin": "g/L", "aptt": "s",
                                         "glucose": "mmol/L"}[lt.analyte]
    from oncotrial.clinical import ANALYTES

    spec = ANALYTES[lt.analyte]
    mid = (spec.low + min(spec.high, spec.low + 50)) / 2 or 1.0
    if lt.analyte == "ph":
        mid = 7.4
    factor = 1.0 / spec.factors.get(unit, 1.0)
    return unit, 0.8 * mid * factor, 1.2 * mid * factor, mid * factor


def best(fn: object, runs: int = RUNS) -> tuple[float, float]:
    """Best wall-clock and best CPU (process) time over ``runs`` runs, in seconds."""
    walls, cpus = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()  # type: ignore[operator]
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - start_cpu)
    return min(walls), min(cpus)


def main() -> None:
    rng = np.random.default_rng(20251123)

    anc = rng.lognormal(np.log(2.5), 0.6, N)
    one = best(lambda: grade_labs("Neutrophil count decreased", anc, "10^9/L", lln=2.0))

    terms = [t for t in lab_terms() if t != "Hyperglycemia"]
    profiles = {t: _profile(t) for t in terms}
    idx = rng.integers(0, len(terms), N)
    term_col = np.array(terms, dtype=object)[idx]
    unit_col = np.array([profiles[t][0] for t in terms], dtype=object)[idx]
    lln = np.array([profiles[t][1] for t in terms])[idx]
    uln = np.array([profiles[t][2] for t in terms])[idx]
    base = np.array([profiles[t][3] for t in terms])[idx]
    value = base * rng.lognormal(0.0, 0.5, N)
    mixed = best(lambda: grade_labs(term_col, value, unit_col, lln=lln, uln=uln,
                                    baseline=base))
    term_cat = pd.Categorical(term_col)
    unit_cat = pd.Categorical(unit_col)
    mixed_cat = best(lambda: grade_labs(term_cat, value, unit_cat, lln=lln, uln=uln,
                                        baseline=base))
    result = grade_labs(term_col, value, unit_col, lln=lln, uln=uln, baseline=base)

    k = 2000
    scalar, _ = best(lambda: [grade_lab("Neutrophil count decreased", float(v), "10^9/L",
                                        lln=2.0) for v in anc[:k]], runs=3)
    stored = [LabResult("S-001", "anc", float(v), "10^9/L", 2.0, 7.5, date(2026, 3, 1))
              for v in anc[:k]]
    records, _ = best(lambda: [grade_lab_result(r) for r in stored], runs=3)

    print(f"CTCAE v5.0 grade_labs, {N:,} results, best of {RUNS} runs (wall / CPU):")
    print(f"  one term (Neutrophil count decreased):              {one[0]:.3f} s / {one[1]:.3f} s")
    print(f"  {len(terms)} terms mixed, object columns, LLN/ULN/baseline: "
          f"{mixed[0]:.3f} s / {mixed[1]:.3f} s ({int(result.graded.sum()):,} graded)")
    print(f"  {len(terms)} terms mixed, categorical term and unit:        "
          f"{mixed_cat[0]:.3f} s / {mixed_cat[1]:.3f} s")
    print(f"  scalar grade_lab: {1e6 * scalar / k:.0f} us per value")
    print(f"  grade_lab_result on a LabResult: {1e6 * records / k:.0f} us per record")


if __name__ == "__main__":
    main()
