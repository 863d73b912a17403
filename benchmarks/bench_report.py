"""Benchmark the study report (issue 13): ``oncotrial report --data DIR --out DIR --pdf`` on
synthetic cohorts of 22 and 5,000 subjects. Targets: under 10 s for 22, under 60 s for 5,000.

Run: ``.venv/bin/python benchmarks/bench_report.py [--subjects 22,5000] [--seed 1]
[--repeat 3]``.

For each size a cohort is generated (:func:`oncotrial.synth.generate_study`, not timed) and
written in the exchange format (not timed). Then, timed:

1. the command as a user runs it, in a fresh process: reading the folder, building the report,
   writing report.html, report.pdf and the listings; wall time and the child's CPU time;
2. the same steps in this process, one by one (the command's own steps: read, each step of
   ``oncotrial.reports.REPORT_STEPS``, HTML, PDF), CPU time, to show where the time goes.

It prints the sizes too (HTML, the largest figure, PDF pages). The machine may be shared:
the CPU figures are the steadier ones.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import os
import resource
import subprocess
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path

from pypdf import PdfReader

from oncotrial.cli.report import read_study_folder
from oncotrial.context import TrialContext
from oncotrial.protocol import load_bundled_protocol
from oncotrial.reports import build_report, render_html, render_pdf
from oncotrial.study import dump_study
from oncotrial.synth import SynthParams, generate_study

TARGETS = {22: 10.0, 5000: 60.0}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def write_cohort(n: int, seed: int, folder: Path) -> SynthParams:
    params = dataclasses.replace(SynthParams(), n_enrolled=n)
    study = generate_study(params, seed)
    for name, text in dump_study(study).items():
        (folder / name).write_text(text, encoding="utf-8")
    return params


def run_command(folder: Path, out: Path, cutoff: str) -> tuple[float, float]:
    """Wall and CPU seconds of ``oncotrial report ... --pdf`` in a fresh process."""
    exe = Path(sys.executable).with_name("oncotrial")
    before = _children_cpu()
    start = time.perf_counter()
    subprocess.run([str(exe), "report", "--data", str(folder), "--cutoff", cutoff, "--out",
                    str(out), "--pdf"], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, _children_cpu() - before


def steps_in_process(folder: Path, cutoff: str, ctx: TrialContext) -> list[tuple[str, float]]:
    """CPU seconds of each step, in this process."""
    from datetime import date

    marks: list[tuple[str, float]] = []

    def mark(name: str) -> None:
        marks.append((name, time.process_time()))

    mark("read the exchange folder (parse_study)")
    study = read_study_folder(folder)
    report = build_report(study, ctx, cutoff=date.fromisoformat(cutoff), progress=mark)
    mark("render_html")
    html = render_html(report)
    mark("render_pdf")
    pdf = render_pdf(report)
    mark("end")
    out = [(name, end - start) for (name, start), (_, end) in pairwise(marks)]
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    largest = max(report.figures(), key=lambda f: len(f.svg))
    print(f"    sizes: HTML {len(html) / 1e6:.2f} MB, largest figure {largest.key} "
          f"{len(largest.svg) / 1e3:.0f} kB, PDF {len(pdf) / 1e6:.2f} MB, {pages} pages")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subjects", default="22,5000",
                        help="comma-separated cohort sizes (default 22,5000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="runs of the command per size")
    args = parser.parse_args()
    ctx = TrialContext.from_protocol(load_bundled_protocol())
    print(f"CPython {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for n in (int(x) for x in args.subjects.split(",")):
        with tempfile.TemporaryDirectory(prefix="bench_report_") as tmp:
            folder = Path(tmp) / "data"
            folder.mkdir()
            start = time.perf_counter()
            params = write_cohort(n, args.seed, folder)
            cutoff = params.cutoff.isoformat()
            size = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
            print(f"\n{n} enrolled subjects (seed {args.seed}, cut-off {cutoff}): cohort made "
                  f"and written in {time.perf_counter() - start:.1f} s, {size:.1f} MB")
            runs = [run_command(folder, Path(tmp) / f"out{i}", cutoff)
                    for i in range(args.repeat)]
            target = TARGETS.get(n)
            for i, (wall, cpu) in enumerate(runs, 1):
                verdict = "" if target is None else (
                    f"  target < {target:g} s: {'met' if wall < target else 'MISSED'}")
                print(f"  oncotrial report --pdf, run {i}: {wall:6.2f} s wall, {cpu:6.2f} s "
                      f"CPU{verdict}")
            print("  where the time goes (CPU, in this process):")
            for name, seconds in steps_in_process(folder, cutoff, ctx):
                print(f"    {name:<55} {seconds:7.2f} s")


if __name__ == "__main__":
    main()
