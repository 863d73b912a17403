"""``oncotrial demo``: fill an empty trial database with a synthetic cohort.

The database named by ``ONCOTRIAL_DATABASE_URL`` is created or migrated as ``oncotrial run``
does, given the demo accounts when it has none (their one-time passwords are printed once),
and filled with a synthetic cohort of ``--subjects`` enrolled patients and their screen
failures (:func:`oncotrial.synth.generate_study`), entered through the services by the demo
research coordinator and investigator (:func:`oncotrial.services.load_study`), with a
progress bar. A database that has subjects already is refused: the demo never mixes with
real or earlier data.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import func, select

from oncotrial.cli.db import database_engine, prepare_database
from oncotrial.cli.run import _accounts, site_code
from oncotrial.context import TrialContext
from oncotrial.errors import InputError
from oncotrial.services import Database, load_study
from oncotrial.services.access import Actor
from oncotrial.services.lookup import forms_of
from oncotrial.services.trial import load_trial
from oncotrial.settings import load_settings
from oncotrial.store.models import AppUser, Subject
from oncotrial.study import StudyData
from oncotrial.synth import SynthParams, generate_study

__all__ = ["demo", "demo_params", "load_demo_cohort", "register"]


def demo_params(subjects: int, today: dt.date) -> SynthParams:
    """The demo cohort's parameters: the defaults (``docs/synth.md``), with enrolment starting
    20 months before ``today`` and the data cut off at ``today``, so that the demo trial is
    current whenever it is made (the same seed gives the same patients, moved in time).

    >>> p = demo_params(22, dt.date(2026, 12, 2))
    >>> p.n_enrolled, p.start_on, p.cutoff
    (22, datetime.date(2025, 4, 6), datetime.date(2026, 12, 2))
    """
    return SynthParams(n_enrolled=subjects, start_on=today - dt.timedelta(days=605),
                       cutoff=today)


def load_demo_cohort(db: Database, ctx: TrialContext, console: Console,
                     actors: dict[str, Actor], *, subjects: int, seed: int, today: dt.date
                     ) -> tuple[StudyData, dict[str, str], float]:
    """Generate the demo cohort and enter it through the services as the demo coordinator
    and investigator, with a progress bar; return the study, subject id -> the study's id,
    and the seconds it took. ``oncotrial run`` uses it for ``make run``."""
    started = time.perf_counter()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console) as bar:
        making = bar.add_task("Generating the synthetic cohort", total=subjects)

        def generated(done: int, total: int) -> None:
            bar.update(making, completed=done, total=total)

        study = generate_study(demo_params(subjects, today), seed, ctx=ctx, progress=generated)
        bar.update(making, completed=bar.tasks[making].total)
        loading = bar.add_task("Entering it through the services", total=None)

        def loaded(done: int, total: int) -> None:
            bar.update(loading, completed=done, total=total)

        names = load_study(db, ctx, study, nurse=actors["coordinator"],
                           investigator=actors["investigator"],
                           administrator=actors.get("admin"), progress=loaded, today=today,
                           site=site_code(ctx.protocol.sites[0].name))
    return study, names, time.perf_counter() - started


def _actors(db: Database) -> dict[str, Actor]:
    with db.sessions() as session:
        users = {u.username: u for u in session.scalars(select(AppUser))}
    missing = [name for name in ("coordinator", "investigator") if name not in users]
    if missing:
        raise InputError(
            f"The database has accounts but not the demo's {' and '.join(missing)}; "
            "oncotrial demo enters data as the demo research coordinator and investigator.",
            field="ONCOTRIAL_DATABASE_URL",
            hint="Use a new database (ONCOTRIAL_DATABASE_URL): oncotrial demo makes the demo "
                 "accounts in an empty one.")
    return {name: Actor(user.id, name, user.full_name) for name, user in users.items()
            if name in ("coordinator", "investigator", "admin")}


def demo(
    subjects: Annotated[int, typer.Option("--subjects", min=1,
                                          help="Enrolled subjects of the synthetic cohort.")
                        ] = 22,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic cohort: the same "
                                                     "seed gives the same patients.")] = 1,
) -> None:
    """Fill the database named by ONCOTRIAL_DATABASE_URL with a synthetic cohort."""
    settings = load_settings()
    console = Console(highlight=False)
    ctx = load_trial(settings.protocol_file)
    forms = forms_of(ctx)
    with database_engine(settings.database_url) as engine:
        revision, _ = prepare_database(engine, forms)
        shown = engine.url.render_as_string(hide_password=True)
    console.print(f"Database: {shown} at schema revision {revision}.")
    db = Database.from_url(settings.database_url)
    try:
        with db.sessions() as session:
            count = session.scalar(select(func.count()).select_from(Subject)) or 0
        if count:
            console.print(f"[bold red]The database {shown} already has {count} subject"
                          f"{'s' if count != 1 else ''}.[/] oncotrial demo fills an empty trial "
                          "database only, so that demo data never mix with other data. Name a "
                          "new database in ONCOTRIAL_DATABASE_URL.")
            raise typer.Exit(1)
        _accounts(db, ctx.protocol, console)
        actors = _actors(db)
        study, names, seconds = load_demo_cohort(db, ctx, console, actors, subjects=subjects,
                                                 seed=seed, today=dt.date.today())
    finally:
        db.dispose()
    failed = len(study.screening) - len(names)
    console.print(f"Demo trial: {len(study.screening)} patients screened ({failed} not "
                  f"enrolled), {len(names)} enrolled and followed through the forms "
                  f"(seed {seed}, {seconds:.1f} s).")


def register(app: typer.Typer) -> None:
    """Add ``oncotrial demo``."""
    app.command("demo")(demo)
