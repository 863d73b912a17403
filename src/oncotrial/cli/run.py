"""``oncotrial run``: the main job that ``make run`` starts.

Until the storage and web capabilities land, the main job is a terminal demonstration of what
exists: it reads the settings, says what the storage step will do, loads and validates the
protocol, prints its summary, and screens the bundled example patient against every criterion.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.rule import Rule

from oncotrial.cli.protocol import print_protocol_summary
from oncotrial.protocol import Protocol, load_bundled_protocol, load_protocol
from oncotrial.settings import load_settings

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
    db = settings.database_url
    console.print(f"Storage: not built yet. It will create the embedded database {db} "
                  "when missing, apply migrations and load the protocol into it.")
    path = protocol_file or settings.protocol_file
    protocol = load_protocol(path) if path else load_bundled_protocol()
    console.print(f"Protocol: {'bundled' if path is None else path} loaded and validated.")
    console.print(Rule("Protocol summary"))
    print_protocol_summary(protocol, console)
    _screen_example(protocol, console)
    console.print(Rule())
    console.print("The web server (http://127.0.0.1:8000) starts here once the web issue lands. "
                  "Meanwhile try: oncotrial --help")


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
