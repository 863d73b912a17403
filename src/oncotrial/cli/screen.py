"""``oncotrial screen PATIENT.yaml``: screen one subject against the protocol's criteria.

Prints the checklist (criterion, verdict, reason and result code) as a table, or JSON with
``--json`` (``ScreeningResult.as_dict()``: every verdict with its code, facts and reason).
The protocol is the ``--protocol`` file, else the bundled NCT06478927 protocol.
Exit codes: 0 eligible; 1 not eligible; 2 data missing or attestations due (and any problem
the user can fix, such as an unreadable record). From Python, :func:`print_checklist` renders
a :class:`~oncotrial.eligibility.ScreeningResult` on any Rich console.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from oncotrial.eligibility import Eligibility, ScreeningResult, load_record, screen
from oncotrial.errors import InputError
from oncotrial.protocol import load_bundled_protocol, load_protocol

__all__ = ["EXIT_CODES", "print_checklist", "register", "screen_command"]

#: Exit code for each overall answer.
EXIT_CODES: dict[Eligibility, int] = {
    Eligibility.ELIGIBLE: 0,
    Eligibility.NOT_ELIGIBLE: 1,
    Eligibility.INCOMPLETE: 2,
}

_STYLES = {"met": "green", "not_met": "bold red", "missing": "yellow",
           "needs_investigator": "cyan"}
_WORDS = {"met": "met", "not_met": "NOT MET", "missing": "missing",
          "needs_investigator": "investigator"}


def print_checklist(result: ScreeningResult, console: Console) -> None:
    """Render the screening checklist: one row per criterion, then the overall answer.

    >>> from io import StringIO
    >>> from oncotrial.eligibility import example_record
    >>> console = Console(file=StringIO(), width=120)
    >>> print_checklist(screen(example_record(), load_bundled_protocol()), console)
    >>> "ELIGIBLE" in console.file.getvalue()
    True
    """
    table = Table(title=f"Eligibility of {result.subject_id or 'the subject'} for "
                        f"{result.protocol_id} on {result.on.isoformat()} "
                        f"(first dose {result.first_dose_on.isoformat()})",
                  show_lines=True, expand=True)
    table.add_column("Criterion", no_wrap=False, ratio=2)
    table.add_column("Verdict", no_wrap=True)
    table.add_column("Reason", ratio=6)
    for verdict in result.verdicts.values():
        status = str(verdict.status)
        reason = Text(verdict.reason)
        if verdict.missing:
            reason.append(f"\nTo fill in: {', '.join(verdict.missing)}", style="yellow")
        for warning in verdict.warnings:
            reason.append(f"\nWarning: {warning}", style="magenta")
        reason.append(f"\n{verdict.code}", style="dim")
        table.add_row(f"{verdict.criterion_id} {verdict.title}",
                      Text(_WORDS[status], style=_STYLES[status]), reason)
    console.print(table)
    answer = {
        Eligibility.ELIGIBLE: Text("ELIGIBLE: every criterion is met.", style="bold green"),
        Eligibility.NOT_ELIGIBLE: Text(
            "NOT ELIGIBLE: " + ", ".join(v.criterion_id for v in result.by_status("not_met"))
            + " not met.", style="bold red"),
        Eligibility.INCOMPLETE: Text(
            "NOT YET DECIDED: data missing or attestations due ("
            + ", ".join(v.criterion_id for v in result.verdicts.values()
                        if v.status in ("missing", "needs_investigator")) + ").",
            style="bold yellow"),
    }[result.status]
    console.print(answer)


def _parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--on {text!r} is not a date.", field="on", value=text,
                         hint="Write the planned enrolment date as YYYY-MM-DD.") from None


def screen_command(
    patient: Annotated[Path, typer.Argument(help="Screening record, YAML or JSON.")],
    protocol_file: Annotated[
        Path | None,
        typer.Option("--protocol", help="Protocol file (default: the bundled NCT06478927)."),
    ] = None,
    on: Annotated[
        str | None,
        typer.Option("--on", help="Planned enrolment date, YYYY-MM-DD (default: the record's "
                                  "planned_enrolment_date, else today)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
    = False,
) -> None:
    """Screen PATIENT against every eligibility criterion and print the checklist.

    Exit code 0 when eligible, 1 when not eligible, 2 when data are missing or
    attestations are due.
    """
    record = load_record(patient)
    protocol = load_protocol(protocol_file) if protocol_file else load_bundled_protocol()
    when = record.planned_enrolment_date or dt.date.today()  # the shell may read the clock
    if on is not None:
        when = _parse_date(on)
    result = screen(record, protocol, on=when)
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
    else:
        print_checklist(result, Console(highlight=False))
    raise typer.Exit(EXIT_CODES[result.status])


def register(app: typer.Typer) -> None:
    """Add ``oncotrial screen``."""
    app.command("screen")(screen_command)
