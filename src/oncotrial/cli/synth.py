"""``oncotrial synth``: write a synthetic cohort in the exchange format.

Thin: builds :class:`oncotrial.synth.SynthParams` from the options, calls
:func:`oncotrial.synth.generate_study` with a Rich progress bar, and writes the files of
:func:`oncotrial.study.dump_study` into the output folder (``docs/exchange-format.md``). The
folder can then be read by ``oncotrial analyze`` and ``oncotrial report --data``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from oncotrial.endpoints import DOMAINS, Dataset
from oncotrial.errors import InputError
from oncotrial.study import STUDY_DOMAINS, StudyData, dump_study, files_digest
from oncotrial.study.exchange import SCREENING_FILE
from oncotrial.synth import SynthParams, generate_study

__all__ = ["register", "synth"]

_FORMATS = ("csv", "json")


def _exchange_names() -> frozenset[str]:
    """Every file name the exchange format uses, in either format."""
    return frozenset({f"{d.name}.{fmt}" for d in (*DOMAINS, *STUDY_DOMAINS)
                      for fmt in _FORMATS} | {SCREENING_FILE})


def _parts(study: StudyData) -> list[StudyData]:
    """The study in parts of one or a few domains each, so that only one part's text is in
    memory at a time (a large cohort's files take gigabytes); together ``dump_study`` writes
    them to the same files as the whole study."""
    only = Dataset(study.dataset.subjects)
    return [StudyData(study.dataset), StudyData(only, baseline=study.baseline),
            StudyData(only, labs=study.labs), StudyData(only, lesions=study.lesions),
            StudyData(only, adverse_events=study.adverse_events),
            StudyData(only, conmeds=study.conmeds),
            StudyData(only, deviations=study.deviations),
            StudyData(only, screening=study.screening)]


def _prepare(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} is a file. --out must be a folder for the data set's files.",
                         field="--out", value=str(out), hint="Give a folder name.")
    out.mkdir(parents=True, exist_ok=True)
    existing = sorted(p for p in out.iterdir() if p.name in _exchange_names())
    if existing and not overwrite:
        raise InputError(
            f"{out} already holds a data set ({', '.join(p.name for p in existing[:4])}"
            f"{', ...' if len(existing) > 4 else ''}). Writing into it could leave files of "
            "the old data set beside the new one.", field="--out", value=str(out),
            hint="Give a new or empty folder, or --overwrite to replace the data set's files.")
    for path in existing:
        path.unlink()


def synth(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the data set into "
                                      "(created if missing).")],
    subjects: Annotated[int, typer.Option("--subjects", min=1,
                                          help="Enrolled subjects of the cohort.")] = 22,
    seed: Annotated[int, typer.Option("--seed", help="Seed: the same seed and options give "
                                      "the same files.")] = 1,
    fmt: Annotated[str, typer.Option("--format", help="Format of the tabular files: csv or "
                                     "json (screening.json is always JSON).")] = "csv",
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace the files of a data "
                                            "set already in the folder.")] = False,
) -> None:
    """Generate a synthetic cohort of the trial and write it in the exchange format.

    The cohort has SUBJECTS enrolled subjects and the screen failures that go with them
    (about 30 % of those screened), every record the platform keeps (screening records,
    labs, dosing, lesions and responses, adverse events, deaths, follow-up,
    discontinuations), with outcome and toxicity rates from published benchmarks of
    later-line HCC (docs/synth.md). A progress bar shows the generation; 100,000 subjects
    take a few minutes and several GB of memory.
    """
    if fmt not in _FORMATS:
        raise InputError(f"--format is {fmt!r}; it must be csv or json.", field="--format",
                         value=fmt, hint="Use --format csv or --format json.")
    params = SynthParams(n_enrolled=subjects)
    _prepare(out, overwrite)
    console = Console(stderr=True)
    started = time.perf_counter()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TimeRemainingColumn(), console=console,
                  transient=False) as bar:
        task = bar.add_task("Generating patients", total=None)

        def step(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        study = generate_study(params, seed, progress=step)
        ds = study.dataset
        summary = (f"Synthetic cohort (seed {seed}): {len(study.screening)} patients screened, "
                   f"{len(ds.subjects)} enrolled; {len(study.labs)} lab results, "
                   f"{len(ds.assessments)} tumour assessments, {len(study.adverse_events)} "
                   f"adverse events, {len(ds.deaths)} deaths.")
        parts = _parts(study)
        del study, ds
        writing = bar.add_task("Writing files", total=len(parts))
        names: set[str] = set()
        while parts:
            for name, text in dump_study(parts.pop(0), fmt=fmt).items():
                if name not in names:
                    (out / name).write_text(text, encoding="utf-8")
                    names.add(name)
            bar.advance(writing)
    seconds = time.perf_counter() - started
    files = {name: (out / name).read_text(encoding="utf-8") for name in sorted(names)}
    typer.echo(summary)
    typer.echo(f"Wrote {len(files)} files to {out} in {seconds:.1f} s "
               f"({files_digest(files)}).")


def register(app: typer.Typer) -> None:
    """Add ``oncotrial synth`` to the root application."""
    app.command("synth")(synth)
