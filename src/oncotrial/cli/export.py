"""``oncotrial export json``: the whole trial in the exchange format that ``analyze`` reads.

The acting user logs in (``--user``; the password from ``ONCOTRIAL_PASSWORD`` or a hidden
prompt, never an argument), so the export is audited and a statistician's export carries
pseudonyms instead of subject ids.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from oncotrial.services import Database, authenticate, export_json
from oncotrial.services.trial import load_trial
from oncotrial.settings import load_settings

__all__ = ["login", "register"]

export_app = typer.Typer(help="Export trial data.", no_args_is_help=True)


def login(db: Database, user: str) -> object:
    """Log ``user`` in with the password from ONCOTRIAL_PASSWORD or a hidden prompt."""
    password = os.environ.get("ONCOTRIAL_PASSWORD")
    if password is None:
        password = typer.prompt(f"Password for {user}", hide_input=True)
    return authenticate(db, user, password).actor


@export_app.command("json")
def export_json_command(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the domain files to.")],
    user: Annotated[str, typer.Option("--user", help="Your user name (the export is "
                                      "audited under it).")],
    database_url: Annotated[str | None, typer.Option(
        "--database-url", help="Database URL; default ONCOTRIAL_DATABASE_URL.")] = None,
    protocol: Annotated[Path | None, typer.Option(
        "--protocol", help="Protocol file (its forms file beside it); default the bundled "
        "NCT06478927.")] = None,
) -> None:
    """Write every enrolled subject's records as exchange-format JSON files to OUT.

    `oncotrial analyze OUT` then gives the endpoint table of the stored data.
    """
    settings = load_settings(**({"database_url": database_url} if database_url else {}))
    db = Database.from_url(settings.database_url)
    try:
        ctx = load_trial(protocol or settings.protocol_file)
        actor = login(db, user)
        written = export_json(db, actor, ctx, out)  # type: ignore[arg-type]
    finally:
        db.dispose()
    typer.echo(f"Wrote {len(written)} files to {out}: " + ", ".join(p.name for p in written))


def register(app: typer.Typer) -> None:
    """Add ``oncotrial export`` to the root application."""
    app.add_typer(export_app, name="export")
