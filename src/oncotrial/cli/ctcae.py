"""``oncotrial ctcae``: import NCI's CTCAE v5.0 spreadsheet, list terms, grade a lab value.

Thin: reads files and arguments, calls :mod:`oncotrial.ctcae`, prints with Rich.
Exit codes: 0 success; 1 the value cannot be graded (the reason says what is missing);
2 a problem the user can fix (unknown term, wrong unit, impossible value, unreadable
spreadsheet).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from oncotrial.ctcae import (
    CtcaeDictionary,
    bundled_dictionary,
    explain_lab_grade,
    lab_term,
    lab_terms,
    parse_ctcae_rows,
)
from oncotrial.errors import InputError

__all__ = ["register"]


def _console() -> Console:
    # Made per call so that COLUMNS set by the caller (or a test) applies; text soft-wraps.
    return Console(highlight=False, soft_wrap=True)


ctcae_app = typer.Typer(
    name="ctcae",
    help="CTCAE v5.0: import NCI's term spreadsheet, list terms, grade a lab value.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _read_xlsx(path: Path, sheet: str | None) -> list[tuple[object, ...]]:
    from openpyxl import load_workbook

    if not path.is_file():
        raise InputError(f"{path} does not exist or is not a file.", field="FILE",
                         value=str(path), hint="Give the path of NCI's CTCAE v5.0 .xlsx file.")
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for a bad file
        raise InputError(
            f"{path} could not be read as an Excel workbook ({type(exc).__name__}: {exc}).",
            field="FILE", value=str(path),
            hint="Give NCI's CTCAE_v5.0 .xlsx file (not a PDF or a CSV).") from exc
    try:
        if sheet is None:
            worksheet = workbook.worksheets[0]
        elif sheet in workbook.sheetnames:
            worksheet = workbook[sheet]
        else:
            raise InputError(
                f"{path} has no sheet {sheet!r}; its sheets are "
                f"{', '.join(workbook.sheetnames)}.", field="--sheet", value=sheet,
                hint="Name one of those sheets, or leave --sheet out for the first.")
        return [tuple(row) for row in worksheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


@ctcae_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="NCI's CTCAE v5.0 spreadsheet (.xlsx).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the dictionary "
                                      "(JSON).")] = Path("ctcae_v5_terms.json"),
    sheet: Annotated[str | None, typer.Option(help="Sheet holding the term table "
                                              "(default: the first).")] = None,
) -> None:
    """Read NCI's CTCAE v5.0 spreadsheet (MedDRA Code, MedDRA SOC, CTCAE Term, Grade 1-5,
    Definition, Navigational Note) and write the whole dictionary as JSON."""
    rows = _read_xlsx(file, sheet)
    graded = [lab_term(t) for t in lab_terms()]
    dictionary = parse_ctcae_rows(rows, lab_terms=[t.ctcae_term for t in graded
                                                   if not t.not_gradable])
    out.write_text(dictionary.to_json(), encoding="utf-8")
    socs = len({t.soc for t in dictionary})
    _console().print(f"Imported {len(dictionary)} CTCAE v5.0 terms in {socs} SOCs from {file} "
                     f"into {out}.")


@ctcae_app.command("terms")
def terms(
    dictionary: Annotated[Path | None, typer.Option(help="A dictionary written by `oncotrial "
                                                    "ctcae import` (default: the bundled "
                                                    "terms).")] = None,
    lab: Annotated[bool, typer.Option("--lab", help="Only terms graded from a lab value.")]
    = False,
    soc: Annotated[str | None, typer.Option(help="Only terms whose SOC contains this text.")]
    = None,
) -> None:
    """List CTCAE v5.0 terms with their SOC and the grades that exist for each."""
    if dictionary is None:
        d = bundled_dictionary()
    else:
        if not dictionary.is_file():
            raise InputError(f"{dictionary} does not exist.", field="--dictionary",
                             value=str(dictionary),
                             hint="Create it with `oncotrial ctcae import FILE.xlsx`.")
        d = CtcaeDictionary.from_json(dictionary.read_text(encoding="utf-8"))
    table = Table(title=f"CTCAE {d.version} terms")
    table.add_column("Term")
    table.add_column("MedDRA SOC")
    table.add_column("Grades")
    table.add_column("Lab-graded")
    shown = 0
    for entry in sorted(d, key=lambda t: (t.soc, t.term.casefold())):
        if lab and not entry.lab_graded:
            continue
        if soc and soc.casefold() not in entry.soc.casefold():
            continue
        table.add_row(entry.term, entry.soc, ", ".join(str(g) for g in entry.allowed_grades),
                      "yes" if entry.lab_graded else "")
        shown += 1
    console = _console()
    console.print(table)
    console.print(f"{shown} of {len(d)} terms.")


@ctcae_app.command("grade")
def grade(
    term: Annotated[str, typer.Argument(help="CTCAE v5.0 term, e.g. 'Neutrophil count "
                                        "decreased'.")],
    value: Annotated[float, typer.Argument(help="The lab value.")],
    unit: Annotated[str, typer.Argument(help="Its unit, e.g. 10^9/L, /mm3, mmol/L, mg/dL.")],
    lln: Annotated[float | None, typer.Option(help="Lower limit of normal, same unit.")] = None,
    uln: Annotated[float | None, typer.Option(help="Upper limit of normal, same unit.")] = None,
    baseline: Annotated[float | None, typer.Option(help="Baseline value, same unit.")] = None,
    qualifier: Annotated[bool | None, typer.Option(
        "--qualifier-present/--qualifier-absent",
        help="What the investigator said about the term's qualifier (symptoms, "
             "anticoagulation); leave out for the worst case.")] = None,
) -> None:
    """Grade one lab value by CTCAE v5.0 and say why. Exit 1 if it cannot be graded."""
    result = explain_lab_grade(term, value, unit, lln=lln, uln=uln, baseline=baseline,
                               qualifier_present=qualifier)
    headline = "not graded" if result.grade is None else f"grade {int(result.grade)}"
    console = _console()
    console.print(f"{result.term}: {headline}")
    console.print(result.reason)
    console.print(f"Code: {result.code}")
    if result.flags:
        console.print("Flags: " + ", ".join(sorted(str(f) for f in result.flags)))
    if result.grade is None:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``oncotrial ctcae`` (import, terms, grade) to the root application."""
    app.add_typer(ctcae_app, name="ctcae")
