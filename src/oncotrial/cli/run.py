"""``oncotrial run``: the main job that ``make run`` starts.

Until the web application lands, the main job sets up the trial database and shows what exists
in the terminal: it reads the settings, loads and validates the protocol and its forms, creates
or migrates the database named by ``ONCOTRIAL_DATABASE_URL`` (an SQLite file under ``var/`` by
default) with its per-form views, checks the audit trail, prints the protocol summary, and
screens the bundled example patient against every criterion.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.rule import Rule

from oncotrial.cli.db import database_engine, prepare_database
from oncotrial.cli.protocol import print_protocol_summary
from oncotrial.forms import forms_path_for, load_bundled_forms, load_forms
from oncotrial.protocol import Protocol, load_bundled_protocol, load_protocol
from oncotrial.settings import load_settings
from oncotrial.store.audit import verify

__all__ = ["register", "run"]


def run(
    protocol_file: Annotated[
        Path | None,
        typer.Option("--protocol", help="Protocol file (default: ONCOTRIAL_PROTOCOL_FILE, "
                                        "else the bundled NCT06478927 protocol)."),
    ] = None,
) -> None:
    """Set up and start the main job (what `make run` does)."""
    settings = load_settings()
    console = Console(highlight=False)
    console.print(Rule("oncotrial"))
    path = protocol_file or settings.protocol_file
    protocol = load_protocol(path) if path else load_bundled_protocol()
    forms = load_forms(forms_path_for(path), protocol) if path else load_bundled_forms()
    console.print(f"Protocol: {'bundled' if path is None else path} loaded and validated, "
                  f"with {len(forms.forms)} case report forms.")
    with database_engine(settings.database_url) as engine:
        revision, views = prepare_database(engine, forms)
        with engine.connect() as connection:
            rows, problem = verify(connection)
        shown = engine.url.render_as_string(hide_password=True)
    console.print(f"Database: {shown} at schema revision {revision}, {len(views)} per-form "
                  "views (docs/data-model.md).")
    if problem is None:
        console.print(f"Audit trail: {rows} rows, hash chain intact.")
    else:
        console.print(f"[bold red]Audit trail: {problem.reason}[/] (oncotrial audit verify)")
    console.print(Rule("Protocol summary"))
    print_protocol_summary(protocol, console)
    _screen_example(protocol, console)
    console.print(Rule())
    console.print("The web server (http://127.0.0.1:8000) starts here once the web issue lands. "
                  "Meanwhile: oncotrial user add (the first account is an administrator), "
                  "oncotrial --help")


def _screen_example(protocol: Protocol, console: Console) -> None:
    from oncotrial.cli.screen import print_checklist
    from oncotrial.eligibility import example_record, screen

    record = example_record()
    console.print(Rule("Screening checklist: bundled example patient"))
    result = screen(record, protocol)
    print_checklist(result, console)


def register(app: typer.Typer) -> None:
    """Add ``oncotrial run``."""
    app.command("run")(run)
