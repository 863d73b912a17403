"""Benchmark: screen 10,000 synthetic screening records against the bundled protocol.

Run: .venv/bin/python benchmarks/bench_eligibility.py [N]

Records are varied copies of the bundled examples (labs, ECG, dates, hepatitis, history drawn
from a seeded generator), built before the clock starts. The figure is the time to screen
all of them on one core (CPU time and wall time): every verdict with its status, code, facts
and phrases, built by the one rule evaluator. A second figure reads every verdict's reason
(rendered from the phrases and facts) for 1,000 records, as a checklist does. A fixed
pure-Python loop calibrates the machine's speed at the moment of the run.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time

from oncotrial.eligibility import ScreeningRecord, example_record, screen
from oncotrial.protocol import load_bundled_protocol

ON = dt.date(2026, 3, 2)


def synthetic_records(n: int, seed: int = 20260302) -> list[ScreeningRecord]:
    """``n`` records varied around the bundled examples (seeded, repeatable)."""
    rng = random.Random(seed)
    bases = [example_record(name) for name in ("eligible", "not_eligible", "incomplete")]
    records = []
    for index in range(n):
        base = bases[0] if rng.random() < 0.7 else rng.choice(bases)
        data = base.model_dump(mode="python")
        data["subject_id"] = f"SYN-{index:05d}"
        data["birth_date"] = dt.date(1945 + rng.randrange(40), 1 + rng.randrange(12),
                                     1 + rng.randrange(28))
        data["ecog"] = rng.choice([0, 0, 1, 1, 2, 3])
        labs = data["labs"]
        for name, low, high in (("anc", 0.6, 6.0), ("platelets", 30, 300),
                                ("hemoglobin", 70, 160), ("alt", 10, 260), ("ast", 10, 260)):
            if labs.get(name):
                labs[name]["value"] = round(rng.uniform(low, high), 2)
                if name == "hemoglobin":
                    labs[name].update(unit="g/L", lln=130, uln=175)
        if labs.get("bilirubin") and labs["bilirubin"]["unit"] == "umol/L":
            labs["bilirubin"]["value"] = round(rng.uniform(5, 80), 1)
        data["lab_date"] = ON - dt.timedelta(days=rng.randrange(0, 10))
        if data["cardiac"].get("ecgs"):
            for ecg in data["cardiac"]["ecgs"]:
                ecg["qt_ms"] = rng.randrange(360, 470)
                ecg["heart_rate_bpm"] = rng.randrange(55, 100)
        if rng.random() < 0.1:
            data["hepatitis"]["hbv_dna"] = {"value": rng.randrange(0, 3000),
                                            "unit": rng.choice(["IU/mL", "copies/mL"])}
        records.append(ScreeningRecord.model_validate(data))
    return records


def calibration() -> float:
    """CPU seconds for a fixed loop (about 0.15 s on an unloaded modern core)."""
    start = time.process_time()
    total = 0
    for i in range(3_000_000):
        total += i
    return time.process_time() - start


def _noop(a: int, b: int) -> int:
    return a


def call_calibration() -> float:
    """CPU seconds for one million Python function calls (about 0.05 s unloaded)."""
    start = time.process_time()
    for i in range(1_000_000):
        _noop(i, i)
    return time.process_time() - start


def main(n: int = 10_000) -> None:
    protocol = load_bundled_protocol()
    build = time.perf_counter()
    records = synthetic_records(n)
    build = time.perf_counter() - build
    screen(records[0], protocol, on=ON)  # warm caches (bundled protocol, unit spellings)
    before, calls_before = calibration(), call_calibration()
    wall, cpu = time.perf_counter(), time.process_time()
    eligible = sum(screen(record, protocol, on=ON).eligible for record in records)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    after, calls_after = calibration(), call_calibration()
    sample = records[:1000]
    full = time.process_time()
    words = sum(len(v.reason) for record in sample
                for v in screen(record, protocol, on=ON).verdicts.values())
    full = time.process_time() - full
    print(f"records built (not timed): {n} in {build:.2f} s")
    print(f"screened {n} records x {len(protocol.criteria.all())} criteria: "
          f"CPU {cpu:.2f} s, wall {wall:.2f} s ({cpu / n * 1e6:.0f} us CPU per record); "
          f"{eligible} eligible")
    print(f"with every verdict and reason read (full checklist), first 1000 records: CPU "
          f"{full:.2f} s ({full / len(sample) * 1e6:.0f} us per record, {words} characters)")
    calib = (before + after) / 2
    print(f"calibration loop (3M additions): {calib:.3f} s CPU; "
          f"scaled to a 0.15 s machine: {cpu * 0.15 / calib:.2f} s")
    calls = (calls_before + calls_after) / 2
    print(f"calibration (1M function calls): {calls:.3f} s CPU; "
          f"scaled to a 0.05 s machine: {cpu * 0.05 / calls:.2f} s")
    print("target: under 2 s on one core")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
