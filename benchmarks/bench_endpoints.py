"""Benchmark endpoint derivation: PFS (all variants), OS, BOR and the whole endpoint table.

Run: ``.venv/bin/python benchmarks/bench_endpoints.py [N]`` (default 10,000 subjects).
A seeded synthetic cohort: scans every 56 days with random responses, some deaths, new
therapies and discontinuations. Prints the time per step and per subject.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import date, timedelta

from oncotrial.endpoints import (
    Dataset,
    Death,
    Discontinuation,
    DiscontinuationLevel,
    DiscontinuationReason,
    DosingRecord,
    EndpointRules,
    NewTherapy,
    PfsVariant,
    Subject,
    TherapyType,
    TumourAssessment,
    analyze_endpoints,
    derive_os,
    derive_pfs,
    dump_exchange,
    parse_exchange,
)
from oncotrial.protocol import load_bundled_protocol
from oncotrial.records import Response

RULES = EndpointRules.from_protocol(load_bundled_protocol())


def cohort(n: int, seed: int = 20261031) -> Dataset:
    rng = random.Random(seed)
    subjects, dosing, scans, deaths, therapies, stops = [], [], [], [], [], []
    for i in range(n):
        sid = f"S{i:06d}"
        enrolled = date(2025, 1, 1) + timedelta(days=rng.randrange(600))
        first = enrolled + timedelta(days=rng.randrange(1, 10))
        subjects.append(Subject(sid, enrolled, rng.random() < 0.9))
        dosing.append(DosingRecord(sid, first, first + timedelta(days=rng.randrange(20, 400)), 125))
        scans.append(TumourAssessment(sid, enrolled - timedelta(days=7), None, baseline=True))
        for k in range(1, rng.randrange(1, 9)):
            response = rng.choice([Response.PR, Response.SD, Response.SD, Response.NE,
                                   Response.PD])
            on = first + timedelta(days=56 * k + rng.randrange(-7, 8))
            scans.append(TumourAssessment(sid, on, response))
            if response is Response.PD:
                break
        if rng.random() < 0.3:
            deaths.append(Death(sid, first + timedelta(days=rng.randrange(30, 700))))
        if rng.random() < 0.2:
            therapies.append(NewTherapy(sid, first + timedelta(days=rng.randrange(30, 500)),
                                        TherapyType.SYSTEMIC))
        if rng.random() < 0.3:
            stops.append(Discontinuation(sid, DiscontinuationLevel.TREATMENT,
                                         first + timedelta(days=rng.randrange(20, 400)),
                                         rng.choice(list(DiscontinuationReason))))
    return Dataset(tuple(subjects), tuple(dosing), tuple(scans), tuple(deaths), (),
                   tuple(therapies), tuple(stops))


def timed(label: str, n: int, fn: object) -> object:
    start = time.perf_counter()
    out = fn()  # type: ignore[operator]
    elapsed = time.perf_counter() - start
    print(f"{label:<48} {elapsed:8.3f} s  ({1e6 * elapsed / n:8.1f} us/subject)")
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    cutoff = date(2026, 10, 31)
    ds = cohort(n)
    print(f"{n} synthetic subjects, {len(ds.assessments)} tumour assessments, cut-off {cutoff}")
    groups = timed("group records by subject", n, ds.by_subject)
    assert isinstance(groups, dict)
    timed("PFS primary", n,
          lambda: [derive_pfs(s, cutoff=cutoff, rules=RULES) for s in groups.values()])
    timed("PFS primary and S1-S4 (5 derivations)", n,
          lambda: [derive_pfs(s, cutoff=cutoff, variant=v, rules=RULES)
                   for s in groups.values() for v in PfsVariant])
    timed("OS", n, lambda: [derive_os(s, cutoff=cutoff, rules=RULES) for s in groups.values()])
    timed("whole endpoint table (analyze_endpoints)", n,
          lambda: analyze_endpoints(ds, cutoff=cutoff, rules=RULES))
    files = timed("write exchange format (CSV)", n, lambda: dump_exchange(ds))
    timed("read exchange format (CSV)", n, lambda: parse_exchange(files))  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
