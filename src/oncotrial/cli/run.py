"""``oncotrial run``: everything ``make run`` does, on a fresh clone or an existing database.

1. Load and validate the protocol and its case report forms (``ONCOTRIAL_PROTOCOL_FILE``, else
   the bundled NCT06478927).
2. Create or migrate the database (``ONCOTRIAL_DATABASE_URL``, else ``var/oncotrial.db``) with
   its per-form views, and check the audit trail's hash chain.
3. On a database without accounts: the protocol's site, an administrator and one account per
   role, each with a one-time password printed once (changed at the first log-in).
4. On a database without subjects: the demo trial, a synthetic cohort of 22 enrolled patients
   and their screen failures (:mod:`oncotrial.synth`, seed 1, dated up to today) entered
   through the services as ``oncotrial demo`` enters it.
5. Serve the web application at http://127.0.0.1:8000 (``--no-serve`` stops before).
"""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.rule import Rule
from rich.table import Table
from sqlalchemy import func, select

from oncotrial.cli.db import database_engine, prepare_database
from oncotrial.forms import forms_path_for, load_bundled_forms, load_forms
from oncotrial.protocol import Protocol, load_bundled_protocol, load_protocol
from oncotrial.services import Database, add_site, authenticate, create_user
from oncotrial.services.trial import load_trial
from oncotrial.settings import load_settings
from oncotrial.store.audit import verify
from oncotrial.store.models import AppUser, Subject

__all__ = ["DEMO_ACCOUNTS", "DEMO_SEED", "DEMO_SUBJECTS", "register", "run", "site_code"]

#: The demo trial of ``make run``: the protocol's 22 patients, synthetic cohort seed 1.
DEMO_SUBJECTS, DEMO_SEED = 22, 1

#: The accounts ``make run`` makes on an empty database: user name -> (full name, role).
DEMO_ACCOUNTS: dict[str, tuple[str, str]] = {
    "admin": ("Site Administrator", "administrator"),
    "investigator": ("Demo Investigator", "investigator"),
    "subinvestigator": ("Demo Sub-investigator", "sub_investigator"),
    "coordinator": ("Demo Research Coordinator", "research_coordinator"),
    "datamanager": ("Demo Data Manager", "data_manager"),
    "monitor": ("Demo Monitor", "monitor"),
    "statistician": ("Demo Statistician", "statistician"),
}


def site_code(name: str) -> str:
    """The site's code: the initials of its name.

    >>> site_code("Henan Cancer Hospital")
    'HCH'
    """
    return "".join(word[0] for word in name.split() if word[:1].isalpha()).upper() or "SITE"


def one_time_password() -> str:
    """A random password that meets the password rules (letters and digits, 16 characters)."""
    while True:
        text = secrets.token_urlsafe(12)
        if any(c.isalpha() for c in text) and any(c.isdigit() for c in text):
            return text


def _accounts(db: Database, protocol: Protocol, console: Console) -> None:
    with db.sessions() as session:
        if session.scalar(select(func.count()).select_from(AppUser)):
            console.print("Accounts: the database has accounts already; log in with yours "
                          "(an administrator can reset a password).")
            return
    site = protocol.sites[0]
    code = site_code(site.name)
    add_site(db, None, code, site.name)
    passwords = {name: one_time_password() for name in DEMO_ACCOUNTS}
    full, role = DEMO_ACCOUNTS["admin"]
    create_user(db, None, "admin", full, passwords["admin"], {role: None}, one_time=True)
    admin = authenticate(db, "admin", passwords["admin"]).actor
    for name, (full, role) in DEMO_ACCOUNTS.items():
        if name != "admin":
            where = None if role in ("administrator", "statistician") else code
            create_user(db, admin, name, full, passwords[name], {role: where}, one_time=True)
    table = Table(title=f"Log-ins at {site.name} ({code}): one-time passwords, shown once; "
                        "each is changed at the first log-in")
    for column in ("User name", "Role", "One-time password"):
        table.add_column(column)
    for name, (_, role) in DEMO_ACCOUNTS.items():
        table.add_row(name, role, passwords[name])
    console.print(table)


def _demo(db: Database, protocol_file: Path | None, console: Console) -> None:
    with db.sessions() as session:
        if session.scalar(select(func.count()).select_from(Subject)):
            console.print("Demo trial: the database has subjects already; nothing loaded.")
            return
        users = {u.username for u in session.scalars(select(AppUser))}
    if not {"coordinator", "investigator"} <= users:
        console.print("Demo trial: not loaded (the demo accounts are not in this database).")
        return
    ctx = load_trial(protocol_file)
    # oncotrial demo imports this module (accounts, site code): imported here, not above.
    from oncotrial.cli.demo import _actors, load_demo_cohort

    study, names, seconds = load_demo_cohort(db, ctx, console, _actors(db),
                                             subjects=DEMO_SUBJECTS, seed=DEMO_SEED,
                                             today=dt.date.today())
    console.print(f"Demo trial: {len(study.screening)} patients screened "
                  f"({len(study.screening) - len(names)} not enrolled), {len(names)} enrolled "
                  f"and followed through the forms (synthetic cohort, seed {DEMO_SEED}, "
                  f"{seconds:.0f} s).")


def run(
    protocol_file: Annotated[
        Path | None,
        typer.Option("--protocol", help="Protocol file (default: ONCOTRIAL_PROTOCOL_FILE, "
                                        "else the bundled NCT06478927 protocol)."),
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to serve on.")] = 8000,
    serve: Annotated[bool, typer.Option("--serve/--no-serve",
                                        help="Start the web server at the end.")] = True,
    demo: Annotated[bool, typer.Option("--demo/--no-demo",
                                       help="Load the demo trial into an empty database.")
                    ] = True,
) -> None:
    """Set up everything and serve the web application (what `make run` does)."""
    settings = load_settings()
    console = Console(highlight=False)
    console.print(Rule("oncotrial"))
    path = protocol_file or settings.protocol_file
    protocol = load_protocol(path) if path else load_bundled_protocol()
    forms = load_forms(forms_path_for(path), protocol) if path else load_bundled_forms()
    console.print(f"Protocol: {protocol.study.registry_id} ({'bundled' if path is None else path})"
                  f" loaded and validated, with {len(forms.forms)} case report forms.")
    with database_engine(settings.database_url) as engine:
        revision, views = prepare_database(engine, forms)
        with engine.connect() as connection:
            rows, problem = verify(connection)
        shown = engine.url.render_as_string(hide_password=True)
    console.print(f"Database: {shown} at schema revision {revision}, {len(views)} per-form "
                  "views (docs/data-model.md).")
    if problem is not None:
        console.print(f"[bold red]Audit trail: {problem.reason}[/] Run oncotrial audit verify; "
                      "the server is not started on a database whose trail fails.")
        raise typer.Exit(3)
    console.print(f"Audit trail: {rows} rows, hash chain intact.")
    db = Database.from_url(settings.database_url)
    try:
        _accounts(db, protocol, console)
        if demo:
            _demo(db, path, console)
    finally:
        db.dispose()
    if not serve:
        return
    console.print(Rule())
    console.print(f"Open http://{host}:{port} and log in with a user name and one-time "
                  "password above. Press Ctrl+C to stop.")
    from oncotrial.cli.serve import serve as serve_command

    serve_command(host=host, port=port, workers=1)


def register(app: typer.Typer) -> None:
    """Add ``oncotrial run``."""
    app.command("run")(run)
