"""Operations on the trial database: schema, accounts, audit trail, backup and restore.

* ``oncotrial db upgrade``: migrate the schema to the newest revision and make the per-form
  SQL views (:mod:`oncotrial.store.views`) for the trial's forms;
* ``oncotrial user add``: create an account (the first administrator without log-in);
* ``oncotrial audit verify``: check the audit trail's hash chain (exit 1 naming the first bad
  row); ``oncotrial audit export``: the trail as CSV;
* ``oncotrial backup`` / ``oncotrial restore``: a consistent, back-end-independent archive and
  its restore into an empty database (:mod:`oncotrial.store.backup`).

Every command takes ``--database-url`` (default: ``ONCOTRIAL_DATABASE_URL``, else
``sqlite:///var/oncotrial.db``). Passwords are never command-line arguments: they come from a
file, standard input, the ``ONCOTRIAL_ADMIN_PASSWORD`` variable or a hidden prompt.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from oncotrial.errors import ConfigurationError, InputError
from oncotrial.forms import FormSet, forms_path_for, load_bundled_forms, load_forms
from oncotrial.protocol import load_protocol
from oncotrial.services.access import ROLES, Actor, check_password_rules
from oncotrial.services.database import Database
from oncotrial.services.users import add_site, authenticate, create_user, grant_role
from oncotrial.settings import load_settings
from oncotrial.store.audit import verify
from oncotrial.store.backup import backup, export_audit_csv, restore, snapshot
from oncotrial.store.db import make_engine, make_session_factory
from oncotrial.store.migrate import head_revision, upgrade
from oncotrial.store.models import AppUser, Site
from oncotrial.store.views import drop_views, refresh_views

__all__ = ["audit_app", "db_app", "register", "user_app"]

db_app = typer.Typer(help="The trial database: schema migrations and per-form views.",
                     no_args_is_help=True)
user_app = typer.Typer(help="User accounts.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail: verify its hash chain, export it as CSV.",
                        no_args_is_help=True)

DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", help="SQLAlchemy URL of the trial database (default: "
                                        "ONCOTRIAL_DATABASE_URL, else sqlite:///var/oncotrial.db)."),
]

#: Environment variable with the password of the administrator named by ``--as``.
ADMIN_PASSWORD_ENV = "ONCOTRIAL_ADMIN_PASSWORD"


def _url(database_url: str | None) -> str:
    return database_url or load_settings().database_url


def _shown(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unreadable URL is reported by make_engine
        return url


@contextmanager
def database_engine(database_url: str | None) -> Iterator[Engine]:
    """An engine for the URL; an unreachable database becomes a readable error (exit 2)."""
    url = _url(database_url)
    try:
        engine = make_engine(url)
    except OSError as exc:
        raise ConfigurationError(f"The database {_shown(url)} cannot be created ({exc}).",
                                 field="ONCOTRIAL_DATABASE_URL",
                                 hint="Check the path in --database-url / "
                                      "ONCOTRIAL_DATABASE_URL.") from exc
    try:
        yield engine
    except OperationalError as exc:
        detail = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise ConfigurationError(
            f"The database {_shown(url)} cannot be used: {detail}.",
            field="ONCOTRIAL_DATABASE_URL", hint="Check --database-url / ONCOTRIAL_DATABASE_URL, "
            "that the server runs, and that 'oncotrial db upgrade' has been run.") from exc
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- db upgrade


def _forms(protocol_file: Path | None) -> FormSet:
    path = protocol_file or load_settings().protocol_file
    if path is None:
        return load_bundled_forms()
    return load_forms(forms_path_for(path), load_protocol(path))


def prepare_database(engine: Engine, forms: FormSet) -> tuple[str, list[str]]:
    """Migrate to the newest revision and make the per-form views anew; return the revision
    and the views made (what ``oncotrial db upgrade`` and ``oncotrial run`` do)."""
    with engine.begin() as connection:
        drop_views(connection)
    revision = upgrade(engine)
    with engine.begin() as connection:
        made = refresh_views(connection, forms)
    return revision, made


@db_app.command("upgrade")
def upgrade_command(
    database_url: DatabaseUrl = None,
    protocol_file: Annotated[
        Path | None,
        typer.Option("--protocol", help="Protocol file whose <stem>.forms.yaml gives the forms "
                                        "(default: ONCOTRIAL_PROTOCOL_FILE, else the bundled "
                                        "NCT06478927)."),
    ] = None,
) -> None:
    """Migrate the database to the newest schema revision and make the per-form views.

    Creates the database (an SQLite file) when it does not exist. The views v_<form> and
    v_<form>__<group> show each form as a typed table; vp_<form> the same without subject ids
    (pseudonymised, for statisticians). Safe to run again: views are dropped and made anew,
    tables are only migrated.
    """
    forms = _forms(protocol_file)
    with database_engine(database_url) as engine:
        revision, made = prepare_database(engine, forms)
    newest = " (the newest)" if revision == head_revision() else ""
    typer.echo(f"Database at schema revision {revision}{newest}.")
    typer.echo(f"Made {len(made)} views for the forms of {forms.protocol} (forms version "
               f"{forms.version}): {', '.join(made)}.")


# --------------------------------------------------------------------------- user add


def _read_password(password_file: Path | None, password_stdin: bool) -> str:
    if (password_file is None) == (not password_stdin):
        raise InputError("Give the new account's password in exactly one way: --password-file "
                         "FILE or --password-stdin.", field="password",
                         hint="Passwords are never typed on the command line itself.")
    if password_file is not None:
        try:
            lines = password_file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise InputError(f"The password file {password_file} cannot be read ({exc}).",
                             field="password_file") from exc
    else:
        lines = [sys.stdin.readline().rstrip("\r\n")]
    if not lines or not lines[0]:
        raise InputError("The password is empty.", field="password",
                         hint="Put the password on the first line.")
    return lines[0]


def _parse_roles(specs: list[str]) -> list[tuple[str, str | None]]:
    """``ROLE`` or ``ROLE@SITE`` -> (role, site code or None for every site)."""
    parsed = []
    for spec in specs:
        role, _, site = spec.partition("@")
        role = role.strip().lower().replace("-", "_")
        if role not in ROLES:
            raise InputError(f"There is no role {role!r}.", field="role", value=spec,
                             hint=f"Roles: {', '.join(ROLES)}; add @SITE for one site.")
        parsed.append((role, site.strip() or None))
    return parsed


def _admin(db: Database, admin: str | None) -> Actor | None:
    """The administrator acting, or None when the database has no account yet."""
    with db.transaction(None, reason="user add") as session:
        users = session.scalar(select(func.count()).select_from(AppUser)) or 0
    if users == 0:
        if admin is not None:
            raise InputError("There are no accounts yet; the first administrator is made "
                             "without --as.", field="as", hint="Leave out --as.")
        return None
    if admin is None:
        raise InputError("Accounts exist already, so an administrator must make this one.",
                         field="as", hint=f"Add --as ADMIN_USERNAME; the password is read from "
                                          f"{ADMIN_PASSWORD_ENV} or asked for.")
    password = os.environ.get(ADMIN_PASSWORD_ENV) or typer.prompt(
        f"Password of {admin}", hide_input=True)
    login = authenticate(db, admin, password)
    if login.password_expired:
        typer.echo(f"Warning: the password of {admin} has expired; change it soon.", err=True)
    return login.actor


def _ensure_site(db: Database, actor: Actor | None, code: str | None,
                 name: str | None) -> str | None:
    """Add the site when it is new; return a sentence when one was added."""
    if code is None and name is None:
        return None
    if not code or not name:
        raise InputError("--site-code and --site-name go together.", field="site",
                         hint="Give both, e.g. --site-code HCH --site-name 'Hospital name'.")
    with db.transaction(actor, reason="user add") as session:
        exists = session.scalar(select(Site.id).where(Site.code == code)) is not None
    if exists:
        return None
    add_site(db, actor, code, name)
    return f"Added site {code} ({name})."


@user_app.command("add")
def user_add_command(
    username: Annotated[str, typer.Argument(help="Log-in name: lower-case letters, digits, . _ -")],
    name: Annotated[str, typer.Option("--name", help="Full name, printed with signatures.")],
    role: Annotated[
        list[str],
        typer.Option("--role", help="Role, or ROLE@SITE for one site; repeat for several. "
                                    f"Roles: {', '.join(ROLES)}."),
    ],
    password_file: Annotated[
        Path | None, typer.Option("--password-file", help="File whose first line is the new "
                                                          "account's password.")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    admin: Annotated[
        str | None,
        typer.Option("--as", help="Administrator making the account (needed once any account "
                                  f"exists); password from {ADMIN_PASSWORD_ENV} or a prompt."),
    ] = None,
    site_code: Annotated[
        str | None, typer.Option("--site-code", help="Add this site first if it is new.")
    ] = None,
    site_name: Annotated[
        str | None, typer.Option("--site-name", help="Name of the site to add.")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create the account USERNAME with its roles.

    The first account of a database is made without log-in and must be an administrator;
    later accounts need --as ADMIN. A role given twice with two sites is granted at both.
    """
    password = _read_password(password_file, password_stdin)
    first, extra = _split_roles(_parse_roles(role))
    with database_engine(database_url) as engine:
        db = Database(engine=engine, sessions=make_session_factory(engine))
        actor = _admin(db, admin)
        if actor is None and ("administrator" not in first or extra):
            raise InputError("The first account must be an administrator, with each role once.",
                             field="role", hint="Use --role administrator; grant more roles "
                             "later, as that administrator, with --as.")
        check_password_rules(password, username, db.policy)
        added = _ensure_site(db, actor, site_code, site_name)
        create_user(db, actor, username, name, password, first)
        for extra_role, site in extra:
            assert actor is not None
            grant_role(db, actor, username, extra_role, site, reason="account created")
    if added:
        typer.echo(added)
    granted = [f"{r}@{s}" if s else r for r, s in [*first.items(), *extra]]
    typer.echo(f"Created user {username} ({name}) with roles: {', '.join(granted)}.")


def _split_roles(roles: list[tuple[str, str | None]]
                 ) -> tuple[dict[str, str | None], list[tuple[str, str | None]]]:
    """The first site of each role (made with the account) and the further grants."""
    first: dict[str, str | None] = {}
    extra: list[tuple[str, str | None]] = []
    for role, site in dict.fromkeys(roles):
        if role not in first:
            first[role] = site
        else:
            extra.append((role, site))
    return first, extra


# --------------------------------------------------------------------------- audit


@audit_app.command("verify")
def audit_verify_command(database_url: DatabaseUrl = None) -> None:
    """Check the audit trail's hash chain from the first row to the last.

    Exit code 0 when intact (printing the rows checked); 1 naming the first row that was
    altered, removed or moved, with its id, the problem code and the reason.
    """
    with database_engine(database_url) as engine, snapshot(engine) as connection:
        rows, problem = verify(connection)
    if problem is not None:
        typer.echo(f"Audit trail BROKEN: row {problem.row_id} ({problem.code}): "
                   f"{problem.reason}. {rows} rows read.", err=True)
        raise typer.Exit(1)
    typer.echo(f"Audit trail intact: {rows} rows checked, the hash chain is unbroken.")


@audit_app.command("export")
def audit_export_command(
    out: Annotated[Path, typer.Option("--out", help="CSV file to write (replaced if it exists).")],
    subject: Annotated[
        str | None, typer.Option("--subject", help="Only the rows of this subject (its subject "
                                                   "id or screening number).")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Write the audit trail as CSV with readable column headings.

    Columns: When (UTC), User ID, User name, Action, Table, Subject, Visit, Form, Item, Old
    value, New value, Reason, Software version, Row id, Hash. UTF-8 with a byte-order mark.
    The export itself is recorded in the trail.
    """
    with database_engine(database_url) as engine:
        count = export_audit_csv(engine, out, subject=subject)
    typer.echo(f"Wrote {count} audit rows to {out}"
               + (f" (subject {subject})." if subject else "."))


# --------------------------------------------------------------------------- backup, restore


def backup_command(
    out: Annotated[Path, typer.Option("--out", help="Archive to write (.zip); never replaced.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Write a consistent copy of the whole database to one archive.

    A zip of manifest.json (format and schema version, software version, time, row counts,
    audit row count and last hash) and one JSON-lines file per table, read in one transaction,
    on SQLite or PostgreSQL alike. Exit code 1 when the archive was written but the audit
    trail already failed verification (such a copy will not restore).
    """
    with database_engine(database_url) as engine:
        manifest = backup(engine, out)
    typer.echo(f"Backup written to {out}: schema revision {manifest.schema_revision}, "
               f"{manifest.total_rows} rows in {len(manifest.tables)} tables, "
               f"{manifest.audit_rows} audit rows (last hash {manifest.audit_last_hash[:16]}).")
    if manifest.audit_problem:
        typer.echo(f"Warning: the audit trail fails verification at {manifest.audit_problem}; "
                   "this copy will not restore until that is resolved.", err=True)
        raise typer.Exit(1)


def restore_command(
    archive: Annotated[Path, typer.Argument(help="Archive written by 'oncotrial backup'.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Restore an archive into an EMPTY database, all or nothing.

    Migrates the database to the archive's schema revision, loads every table with the
    triggers skipped, then verifies the audit chain and compares its last hash and every row
    count with the manifest; any difference fails the restore and nothing is kept. Then run
    'oncotrial db upgrade' to reach this software's schema and make the form views.
    """
    with database_engine(database_url) as engine:
        manifest = restore(engine, archive)
    typer.echo(f"Restored {archive}: {manifest.total_rows} rows in {len(manifest.tables)} "
               f"tables at schema revision {manifest.schema_revision}; audit trail verified "
               f"({manifest.audit_rows} rows, last hash {manifest.audit_last_hash[:16]}).")
    typer.echo("Next: oncotrial db upgrade (newest schema and the form views).")


def register(app: typer.Typer) -> None:
    """Add ``oncotrial db``, ``user``, ``audit``, ``backup`` and ``restore``."""
    app.add_typer(db_app, name="db")
    app.add_typer(user_app, name="user")
    app.add_typer(audit_app, name="audit")
    app.command("backup")(backup_command)
    app.command("restore")(restore_command)
