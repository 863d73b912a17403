"""``oncotrial report``: the study report (HTML, and PDF with ``--pdf``) at a data cut-off.

Thin: reads the study from an exchange-format folder (``--data``, :func:`oncotrial.study.
parse_study`) or from the trial database (:func:`oncotrial.services.export_study`, as the
logged-in ``--user``), builds it with :func:`oncotrial.reports.build_report` and writes it
with :func:`oncotrial.reports.write_report`, showing each step on a progress bar.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from oncotrial.context import TrialContext
from oncotrial.errors import InputError
from oncotrial.study import StudyData, parse_study

__all__ = ["latest_date", "read_study_folder", "register", "report"]

READ_STEP = "Reading the study data"
WRITE_STEPS = ("Writing report.html", "Writing report.pdf", "Writing the listings")


def read_study_folder(folder: Path) -> StudyData:
    """The study in the exchange-format folder (its ``.csv`` and ``.json`` files).

    Raises:
        InputError: the folder is missing or holds no data files, or the files have problems
            (every problem listed at once by :func:`oncotrial.study.parse_study`).
    """
    if not folder.is_dir():
        raise InputError(
            f"{folder} is not a folder. --data must be a folder of exchange-format files "
            "(subjects.csv, tumour_assessments.csv, ..., screening.json).", field="--data",
            value=str(folder), hint="Give the folder written by `oncotrial synth --out` or "
                                    "`oncotrial export json --out`.")
    files = {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.iterdir())
             if p.is_file() and p.suffix in (".csv", ".json")}
    if not files:
        raise InputError(f"{folder} has no .csv or .json files. A data set needs at least "
                         "subjects.csv.", field="--data", value=str(folder),
                         hint="See docs/exchange-format.md for the files and their columns.")
    return parse_study(files)


def latest_date(study: StudyData) -> date:
    """The latest date in the study's records: the default data cut-off.

    Raises:
        InputError: the study holds no dated record.
    """
    ds = study.dataset
    dates = [s.enrolled_on for s in ds.subjects]
    dates += [d.end_on for d in ds.dosing] + [a.assessed_on for a in ds.assessments]
    dates += [d.died_on for d in ds.deaths] + [c.contact_on for c in ds.contacts]
    dates += [t.started_on for t in ds.new_therapies]
    dates += [d.discontinued_on for d in ds.discontinuations]
    dates += [r.collected_on for r in study.labs] + [m.measured_on for m in study.lesions]
    dates += [c.on for e in study.adverse_events for c in e.grade_history]
    dates += [p.screened_on for p in study.screening]
    if not dates:
        raise InputError("The study holds no dated record, so there is no cut-off to default "
                         "to.", field="--cutoff", hint="Give --cutoff YYYY-MM-DD.")
    return max(dates)


def _cutoff(text: str | None, study: StudyData) -> tuple[date, str]:
    if text is None:
        return latest_date(study), " (no --cutoff given: the latest date in the data)"
    try:
        return date.fromisoformat(text), ""
    except ValueError:
        raise InputError(f"The cut-off is {text!r}. It must be an ISO 8601 date.",
                         field="--cutoff", value=text,
                         hint="Write it as YYYY-MM-DD, e.g. 2026-10-31.") from None


def _from_database(user: str | None, protocol: Path | None) -> tuple[StudyData, TrialContext]:
    from oncotrial.cli.export import login
    from oncotrial.services import Database, export_study
    from oncotrial.services.trial import load_trial
    from oncotrial.settings import load_settings

    if user is None:
        raise InputError(
            "Without --data the report reads the trial database, which needs a user to log "
            "in as (the export is audited under that user).", field="--user",
            hint="Add --user NAME (the password from ONCOTRIAL_PASSWORD or a prompt), or "
                 "--data DIR to read an exchange-format folder.")
    settings = load_settings()
    db = Database.from_url(settings.database_url)
    try:
        ctx = load_trial(protocol or settings.protocol_file)
        actor = login(db, user)
        return export_study(db, actor, ctx), ctx  # type: ignore[arg-type]
    finally:
        db.dispose()


def _context(protocol: Path | None) -> TrialContext:
    from oncotrial.protocol import load_bundled_protocol, load_protocol
    from oncotrial.settings import load_settings

    path = protocol or load_settings().protocol_file
    return TrialContext.from_protocol(load_bundled_protocol() if path is None
                                      else load_protocol(path))


def report(
    out: Annotated[Path, typer.Option("--out", help="Folder to write report.html (and "
                                      "report.pdf, listings/*.csv) to; made if missing.")],
    data: Annotated[Path | None, typer.Option(
        "--data", help="Exchange-format folder to read (as written by `oncotrial synth` or "
        "`oncotrial export json`). Default: the database named by ONCOTRIAL_DATABASE_URL.")
    ] = None,
    cutoff: Annotated[str | None, typer.Option(
        "--cutoff", help="Data cut-off, YYYY-MM-DD. Default: the latest date in the data.")
    ] = None,
    pdf: Annotated[bool, typer.Option("--pdf", help="Also write report.pdf (WeasyPrint).")
                   ] = False,
    user: Annotated[str | None, typer.Option(
        "--user", help="Your user name, to read the database (the export is audited under "
        "it; password from ONCOTRIAL_PASSWORD or a prompt).")] = None,
    protocol: Annotated[Path | None, typer.Option(
        "--protocol", help="Protocol file whose rules the report applies. Default: "
        "ONCOTRIAL_PROTOCOL_FILE, else the bundled NCT06478927.")] = None,
) -> None:
    """Write the study report: disposition, baseline, efficacy, safety, listings.

    Tables, figures and listings of a clinical study report at the data cut-off, as one
    self-contained HTML page (report.html: inline CSS and SVG, nothing loaded from anywhere)
    and, with --pdf, the same page as PDF. Long listings are shown in part in the page and
    written whole as listings/*.csv. The report states the cut-off, the software version and
    the data source (the database and its audit trail head, or the exchange-format digest).
    See docs/reports.md.
    """
    # Imported here, not with the command line: matplotlib is needed by this command only.
    from oncotrial.reports import REPORT_STEPS, build_report, write_report

    console = Console(stderr=True, highlight=False)
    steps = [READ_STEP, *REPORT_STEPS, WRITE_STEPS[0], *(WRITE_STEPS[1:2] if pdf else ()),
             WRITE_STEPS[2]]
    with Progress(TextColumn("{task.description:<52}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=False) as bar:
        task = bar.add_task(READ_STEP, total=len(steps))
        seen: list[str] = []

        def step(name: str) -> None:
            if seen:
                bar.advance(task)
            seen.append(name)
            bar.update(task, description=name)

        step(READ_STEP)
        if data is not None:
            study, ctx = read_study_folder(data), _context(protocol)
        else:
            study, ctx = _from_database(user, protocol)
        when, note = _cutoff(cutoff, study)
        built = build_report(study, ctx, cutoff=when, progress=step)
        written = write_report(built, out, pdf=pdf, progress=step)
        bar.advance(task)
        bar.update(task, description="Done")
    console.print(f"Report of {len(study.dataset.subjects)} subjects at data cut-off {when}"
                  f"{note}; {len(built.findings)} data finding(s) on its first page.")
    for path in written:
        typer.echo(str(path))


def register(app: typer.Typer) -> None:
    """Add ``oncotrial report`` to the root application."""
    app.command("report")(report)
