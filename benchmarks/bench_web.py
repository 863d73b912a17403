"""Load-test the web application (issue 12): simulated users saving forms and opening
casebooks against the real server, ``oncotrial serve``, on SQLite or PostgreSQL.

Run: ``.venv/bin/python benchmarks/bench_web.py [--database-url URL] [--workers W]
[--users 20] [--duration 30] [--warm-up 5] [--think S] [--shared K] [--cycles 9] [--keep-alive]
[--port P]``;
diagnoses: ``--ops 2,4``, ``--server-threads N``, ``--gc-freeze``; ``--profile N`` (no
server: where the time of one request goes, see 7.). ``docs/benchmarks.md`` has the figures.

1. Database. Without ``--database-url`` a new SQLite file in a temporary folder; with a
   ``sqlite:///`` URL that file (it must not exist yet); with a PostgreSQL URL a private schema
   ``oncotrial_bench_web_<pid>`` made as ``storekit.reset_postgres`` does (dropped at the end),
   so the run does not meet the tests running beside it. The server's connections carry that
   name as their ``application_name``. Migrated by ``upgrade``.
2. Accounts and subjects, through the services: site HCH, an administrator, an investigator
   and one research coordinator per simulated user (``nurse01``...). Each user gets its own
   subject (no two users edit the same form, as at a site), screened in from the bundled
   example patient (``services.demo.screen_example_patient``: 14 screening forms), enrolled by
   the investigator, with ``--cycles`` (default 9, about 8 months) cycles of treatment visits
   entered (vital signs and haematology at C1D1 and at CD1 of each later cycle), so that the
   casebooks read are those of a subject well into the trial. ``--shared K`` puts all users on
   K subjects instead, and every correction goes to the same form (the C1D1 vital signs of
   the subject), so that corrections meet: 409 ``conflict``, nothing written, counted apart
   from errors; the user then reads the form again (``GET``, its new version) and sends the
   next correction with it, as a person reloading the page would.
3. Server: ``oncotrial serve --host 127.0.0.1 --port P --workers W`` as a subprocess with
   ``ONCOTRIAL_DATABASE_URL`` set, run in the temporary folder (its log there); the script
   waits for ``/healthz``.
4. Users: ``--users`` asyncio tasks in this process, each with its own ``httpx2.AsyncClient``
   (its own cookie jar), log in through ``POST /api/v1/session`` and send the returned CSRF
   token as ``X-CSRF-Token``. Each request goes on a new connection (``Connection: close``),
   as a browser's does when the user pauses longer than the server's keep-alive (uvicorn: 5 s):
   with several workers the kernel gives each new connection to a worker that accepts it, so
   the load spreads. With ``--keep-alive`` each user keeps one connection for the whole run;
   with several workers that pins the user to the worker that accepted it, and all 20 can end
   up on one worker (seen here: 12.1 s of CPU on one, 0.7 s on the other), which makes
   a second worker look useless. When all have logged in (argon2: not timed), each repeats four
   requests until the time is up:
   - ``save new visit``: ``PUT /api/v1/subjects/{ref}/forms/{form}?visit=UNS&occurrence=n``,
     ``expected_version`` 0: vital signs (7 items), ECOG (2), haematology (5 lab values with
     unit and range) and blood chemistry (12) in turn, then the next unscheduled visit; the
     casebook grows by one visit every four rounds;
   - ``casebook page``: ``GET /subjects/{ref}``, the HTML casebook a coordinator opens;
   - ``save correction``: the form just saved with one or two values changed,
     ``expected_version`` from the previous answer and a reason (the audit trail keeps old and
     new values);
   - ``casebook API``: ``GET /api/v1/subjects/{ref}/casebook`` (every form with its values).
   So saves and casebooks alternate 1:1. ``--think S`` waits a uniform 0.5 S-1.5 S after every
   answer (a person reading the page); ``--think 0`` (the default) sends the next request at
   once, so ``--users`` requests are in flight all the time: the worst case, and the one that
   measures the throughput. The first ``--warm-up`` seconds are not counted; a request counts
   when it starts inside the ``--duration`` seconds that follow.
5. Report: per operation and overall the count, the throughput (requests/s), p50, p95, p99
   and max response times (measured in the client, from sending to the last byte), errors
   (transport errors and statuses other than 2xx/3xx, a 409 in ``--shared`` mode excepted),
   the CPU time of the server processes and of this client, how busy the machine was (the
   share of both CPUs, and the CPU time of everything else, PostgreSQL and other programs),
   the load average. On PostgreSQL it samples ``pg_stat_activity`` every 50 ms: how many of
   the server's connections are in a statement, and how many wait for the advisory lock that
   every audited write takes (``oncotrial_audit_append``: one order for the hash chain). After
   the run it counts the forms at unscheduled visits and checks that there is one for every
   new-form save answered 200 (nothing lost, nothing doubled), and gives the casebook sizes.
6. Diagnoses (not the product): ``--ops`` the operations repeated (numbers 1-4 above, e.g.
   ``2,4`` casebooks only, ``1,3`` saves only); ``--server-threads N`` and ``--gc-freeze`` serve
   the same application through :func:`diagnosed_app` (uvicorn, same options as
   ``oncotrial serve``) with at most N requests in the thread pool at once, and with
   ``gc.freeze()`` after start-up.
7. ``--profile N``: no server; the application from ``create_app`` in this process behind
   ``httpx2.ASGITransport``, N rounds of the same four requests one at a time (one user),
   first timed per operation, then under cProfile; then ``save_form`` and ``load_casebook``
   called directly, so that the time of the services and that of the web layer (session,
   validation, the other reads of the page, JSON or the template) can be told apart.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import datetime as dt
import importlib
import io
import os
import pstats
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import numpy as np
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from oncotrial.context import TrialContext
from oncotrial.services import (
    Actor,
    Database,
    add_site,
    authenticate,
    create_user,
    enrol,
    load_casebook,
    save_form,
)
from oncotrial.services.demo import EXAMPLE_DAY, screen_example_patient
from oncotrial.services.trial import load_trial
from oncotrial.store.db import make_engine
from oncotrial.store.migrate import upgrade
from oncotrial.store.models import FormInstance, Visit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "support"))
storekit = importlib.import_module("storekit")

PASSWORD = storekit.PASSWORD
SITE = "HCH"
TARGET_ENROLMENT = 22
OPS = ("save new visit", "casebook page", "save correction", "casebook API")
SAVES = ("save new visit", "save correction")
console = Console(highlight=False, width=150)


# --------------------------------------------------------------------------- set-up


@dataclass
class Setup:
    """The database and who works on which subject."""

    url: str
    folder: Path
    schema: str | None
    subjects: list[str]
    usernames: list[str]
    seconds: float
    cleanup_url: str | None = None

    def drop(self) -> None:
        if self.schema and self.cleanup_url:
            engine = make_engine(self.cleanup_url)
            with engine.begin() as connection:
                connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")
            engine.dispose()


def vital_signs(rng: random.Random, on: dt.date) -> dict[str, Any]:
    """Plausible vital signs (the form's 7 items, all within their expected ranges)."""
    systolic = rng.randrange(100, 160)
    return {"assessed_on": on.isoformat(), "temperature": f"{rng.uniform(36.0, 37.4):.1f}",
            "systolic_bp": str(systolic), "diastolic_bp": str(systolic - rng.randrange(30, 50)),
            "pulse": str(rng.randrange(55, 100)), "respiratory_rate": str(rng.randrange(12, 20)),
            "weight": f"{rng.uniform(50, 90):.1f}"}


#: item: (unit, lln, uln, low, high, decimals); values drawn uniformly in [low, high].
HAEMATOLOGY = {
    "wbc": ("10^9/L", 3.5, 9.5, 3.0, 9.0, 1),
    "anc": ("10^9/L", 1.8, 6.3, 1.5, 6.0, 1),
    "lymphocytes": ("10^9/L", 1.1, 3.2, 0.8, 3.0, 1),
    "hemoglobin": ("g/L", 130, 175, 95, 160, 0),
    "platelets": ("10^9/L", 125, 350, 80, 300, 0),
}
CHEMISTRY = {
    "bilirubin": ("umol/L", None, 21, 8, 30, 1),
    "alt": ("U/L", None, 40, 15, 80, 0),
    "ast": ("U/L", None, 40, 15, 90, 0),
    "alp": ("U/L", 45, 125, 60, 200, 0),
    "ggt": ("U/L", 10, 60, 20, 150, 0),
    "albumin": ("g/L", 40, 55, 30, 45, 0),
    "creatinine": ("umol/L", 57, 111, 50, 110, 0),
    "sodium": ("mmol/L", 137, 147, 132, 145, 0),
    "potassium": ("mmol/L", 3.5, 5.3, 3.4, 5.0, 1),
    "calcium": ("mmol/L", 2.11, 2.52, 2.0, 2.6, 2),
    "glucose": ("mmol/L", 3.9, 6.1, 4.0, 9.0, 1),
    "afp": ("ng/mL", None, 7, 5, 5000, 0),
}


def _labs(rng: random.Random, spec: dict[str, tuple[Any, ...]]) -> dict[str, Any]:
    out = {}
    for item, (unit, lln, uln, low, high, decimals) in spec.items():
        answer = {"value": f"{rng.uniform(low, high):.{decimals}f}", "unit": unit, "uln": uln}
        if lln is not None:
            answer["lln"] = lln
        out[item] = answer
    return out


def haematology(rng: random.Random, on: dt.date) -> dict[str, Any]:
    return {"collected_on": on.isoformat(), **_labs(rng, HAEMATOLOGY),
            "transfusion_or_growth_factor": "no"}


def chemistry(rng: random.Random, on: dt.date) -> dict[str, Any]:
    return {"collected_on": on.isoformat(), **_labs(rng, CHEMISTRY)}


def ecog(rng: random.Random, on: dt.date) -> dict[str, Any]:
    return {"assessed_on": on.isoformat(), "ecog": str(rng.choice([0, 1, 1, 2]))}


def _lab_changed(values: dict[str, Any], item: str, step: float) -> dict[str, Any]:
    answer = values[item]
    return {**values, item: {**answer, "value": f"{float(answer['value']) + step:g}"}}


def corrected(form_id: str, values: dict[str, Any]) -> dict[str, Any]:
    """The form with one or two values changed (a transcription error put right)."""
    if form_id == "vital_signs":
        return {**values, "pulse": str(55 + (int(values["pulse"]) - 54) % 45),
                "weight": f"{float(values['weight']) + 0.1:.1f}"}
    if form_id == "ecog":
        return {**values, "ecog": str((int(values["ecog"]) + 1) % 3)}
    if form_id == "haematology":
        return _lab_changed(values, "wbc", 0.1)
    return _lab_changed(_lab_changed(values, "alt", 1), "ast", 1)


#: The forms a user enters in turn at unscheduled visits (all four collected at UNS): the
#: casebook grows by one visit every four new forms, not by one visit a save.
NEW_FORMS: dict[str, Callable[[random.Random, dt.date], dict[str, Any]]] = {
    "vital_signs": vital_signs, "ecog": ecog, "haematology": haematology,
    "chemistry": chemistry}
CYCLE = dt.timedelta(days=28)


def open_database(url: str | None, folder: Path) -> tuple[str, str | None]:
    """The URL the server will use, and the private PostgreSQL schema if there is one."""
    if url is None:
        return f"sqlite:///{folder / 'web.db'}", None
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and Path(path).exists():
            raise SystemExit(f"{path} exists: give a new SQLite file (the set-up fills it)")
        return url, None
    schema = f"oncotrial_bench_web_{os.getpid()}"
    # The application name tells this server's connections apart in pg_stat_activity.
    return f"{storekit.reset_postgres(url, schema)}&application_name={schema}", schema


def set_up(url: str | None, folder: Path, users: int, shared: int | None,
           ctx: TrialContext, cycles: int) -> Setup:
    """Migrate, create the accounts and the enrolled subjects (through the services)."""
    start = time.perf_counter()
    server_url, schema = open_database(url, folder)
    db = Database.from_url(server_url)
    try:
        upgrade(db.engine)
        add_site(db, None, SITE, "Henan Cancer Hospital")
        create_user(db, None, "admin", "Ada Admin", PASSWORD, {"administrator": None})
        admin = authenticate(db, "admin", PASSWORD).actor
        create_user(db, admin, "drli", "Li Wei", PASSWORD, {"investigator": SITE})
        investigator = authenticate(db, "drli", PASSWORD).actor
        usernames = [f"nurse{n:02d}" for n in range(1, users + 1)]
        for n, name in enumerate(usernames, 1):
            create_user(db, admin, name, f"Nurse {n:02d}", PASSWORD,
                        {"research_coordinator": SITE})
        nurse = authenticate(db, usernames[0], PASSWORD).actor
        subjects = [enrolled_subject(db, ctx, nurse, investigator, admin, k, cycles)
                    for k in range(1, (shared or users) + 1)]
    finally:
        db.dispose()
    return Setup(server_url, folder, schema, subjects, usernames,
                 time.perf_counter() - start, cleanup_url=url if schema else None)


def enrolled_subject(db: Database, ctx: TrialContext, nurse: Actor, investigator: Actor,
                     admin: Actor, k: int, cycles: int) -> str:
    """Screen in the example patient as S-k, enrol (beyond the target of 22 the
    administrator enrols with a reason), then ``cycles`` cycles of treatment visits with vital
    signs and haematology (C1D1, then CD1 occurrence n for cycle n + 1); the subject id."""
    rng = random.Random(k)
    number = screen_example_patient(db, nurse, ctx, f"S-{k:03d}", on=EXAMPLE_DAY)
    if k <= TARGET_ENROLMENT:
        sid = enrol(db, investigator, ctx, number, enrolled_on=EXAMPLE_DAY).subject_id
    else:
        sid = enrol(db, admin, ctx, number, enrolled_on=EXAMPLE_DAY,
                    over_enrolment_reason="load test beyond the trial's 22").subject_id
    for cycle in range(1, cycles + 1):
        visit, occurrence = ("C1D1", 1) if cycle == 1 else ("CD1", cycle - 1)
        on = EXAMPLE_DAY + (cycle - 1) * CYCLE
        for make in (vital_signs, haematology):
            save_form(db, nurse, ctx, sid, make.__name__, make(rng, on), visit=visit,
                      occurrence=occurrence)
    return sid


@dataclass
class Stored:
    """What the database holds after the run."""

    new_forms: int  # forms at unscheduled visits
    forms: tuple[int, int]  # fewest and most forms of a subject
    visits: tuple[int, int]  # fewest and most visits of a subject


def stored(url: str) -> Stored:
    db = Database.from_url(url)
    try:
        with db.engine.connect() as connection:
            new = connection.scalar(
                select(func.count()).select_from(FormInstance).join(
                    Visit, FormInstance.visit_pk == Visit.id).where(Visit.code == "UNS"))
            forms = connection.execute(select(
                func.count()).select_from(FormInstance).group_by(FormInstance.subject_pk)
            ).scalars().all()
            visits = connection.execute(select(
                func.count()).select_from(Visit).group_by(Visit.subject_pk)).scalars().all()
        return Stored(int(new or 0), (min(forms), max(forms)), (min(visits), max(visits)))
    finally:
        db.dispose()


# --------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(setup: Setup, port: int, workers: int, threads: int | None = None,
                 gc_freeze: bool = False) -> subprocess.Popen[bytes]:
    """``oncotrial serve`` on the benchmark's database; returns once /healthz answers.

    With ``threads`` or ``gc_freeze`` (diagnoses, not the product) the same application is
    served by :func:`diagnosed_app` through uvicorn with the same options: its thread pool for
    synchronous endpoints cut to ``threads`` (``oncotrial serve`` keeps AnyIO's 40), and/or
    the objects alive after start-up moved out of the garbage collector's reach
    (``gc.freeze()``), so that a full collection does not walk the loaded trial again."""
    env = {**os.environ, "ONCOTRIAL_DATABASE_URL": setup.url}
    env.pop("ONCOTRIAL_PROTOCOL_FILE", None)
    log = (setup.folder / "server.log").open("wb")
    command = [str(Path(sys.executable).with_name("oncotrial")), "serve", "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(workers)]
    if threads is not None or gc_freeze:
        env[THREADS_VARIABLE] = str(threads or 0)
        env[FREEZE_VARIABLE] = "1" if gc_freeze else ""
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).parent),
                                                          env.get("PYTHONPATH")]))
        command = [sys.executable, "-m", "uvicorn", "bench_web:diagnosed_app", "--factory",
                   "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
                   "--no-proxy-headers", "--no-server-header"]
    server = subprocess.Popen(command, env=env, cwd=setup.folder, stdout=log,
                              stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped: see {setup.folder / 'server.log'}\n"
                             + (setup.folder / "server.log").read_text(errors="replace"))
        try:
            if httpx2.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                if workers > 1:
                    time.sleep(2.0)  # the other workers finish starting
                return server
        except httpx2.HTTPError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise SystemExit("the server did not answer /healthz within 60 s")


THREADS_VARIABLE = "BENCH_WEB_SERVER_THREADS"
FREEZE_VARIABLE = "BENCH_WEB_GC_FREEZE"


def diagnosed_app() -> Any:
    """``app_from_settings`` with at most ``$BENCH_WEB_SERVER_THREADS`` requests running in
    the thread pool at once (0: AnyIO's 40; set at each request, as the limiter lives in the
    event loop), and with ``gc.freeze()`` after start-up when ``$BENCH_WEB_GC_FREEZE``."""
    import gc

    import anyio.to_thread

    from oncotrial.web.app import app_from_settings

    app = app_from_settings()
    threads = int(os.environ.get(THREADS_VARIABLE) or 0)
    if threads:
        @app.middleware("http")
        async def _limit(request: Any, call_next: Any) -> Any:
            anyio.to_thread.current_default_thread_limiter().total_tokens = threads
            return await call_next(request)

    if os.environ.get(FREEZE_VARIABLE):
        gc.collect()
        gc.freeze()
    return app


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


TICK = os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    """The process and its descendants (uvicorn's workers), read from /proc."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            with contextlib.suppress(OSError):
                todo.extend(int(c) for c in (task / "children").read_text().split())
    return found


def cpu_by_process(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds of each process (those still alive)."""
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / TICK
    return out


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --------------------------------------------------------------------------- users


@dataclass
class Sample:
    op: str
    started: float
    seconds: float
    status: int  # 0: transport error


@dataclass
class Run:
    """Everything the users measured."""

    samples: list[Sample] = field(default_factory=list)
    logins: list[float] = field(default_factory=list)
    conflicts: int = 0
    new_saved: int = 0
    error_examples: list[str] = field(default_factory=list)


@dataclass
class Clock:
    """The counted window, fixed when the last user has logged in."""

    users: int
    warm_up: float
    duration: float
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    waiting: int = 0
    start: float = 0.0
    measure_from: float = 0.0
    stop: float = 0.0

    async def logged_in(self) -> None:
        self.waiting += 1
        if self.waiting == self.users:
            self.start = time.perf_counter()
            self.measure_from = self.start + self.warm_up
            self.stop = self.measure_from + self.duration
            self.ready.set()
        await self.ready.wait()


@dataclass
class User:
    """One simulated coordinator: its client, subject and what it last saw."""

    client: httpx2.AsyncClient
    subject: str
    index: int
    slot: int  # 0.. per_subject - 1 among the users of the subject
    per_subject: int
    shared: bool
    rng: random.Random
    version: int = 0  # of the unscheduled form saved last
    shared_version: int = 1  # of the C1D1 vital signs every user of the subject corrects
    form_id: str = "vital_signs"
    occurrence: int = 1
    values: dict[str, Any] = field(default_factory=dict)

    def form(self, form_id: str) -> str:
        return f"/api/v1/subjects/{self.subject}/forms/{form_id}"

    def request(self, op: str, round_no: int) -> httpx2.Request:
        """The request of ``op`` in round ``round_no``: a new form (the four of
        :data:`NEW_FORMS` in turn, then the next unscheduled visit of this user), its
        correction, and the two casebooks."""
        reason = "transcription error, see source document"
        if op == "save new visit":
            names = list(NEW_FORMS)
            self.form_id = names[(round_no - 1) % len(names)]
            self.occurrence = self.slot + 1 + (round_no - 1) // len(names) * self.per_subject
            on = EXAMPLE_DAY + dt.timedelta(days=3 + round_no)
            self.values = NEW_FORMS[self.form_id](self.rng, on)
            return self.client.build_request(
                "PUT", self.form(self.form_id),
                params={"visit": "UNS", "occurrence": self.occurrence},
                json={"values": self.values, "expected_version": 0, "reason": ""})
        if op == "save correction":
            if self.shared:  # everyone corrects the vital signs of C1D1 of the subject
                values = vital_signs(self.rng, EXAMPLE_DAY)
                return self.client.build_request(
                    "PUT", self.form("vital_signs"), params={"visit": "C1D1"},
                    json={"values": values, "expected_version": self.shared_version,
                          "reason": reason})
            self.values = corrected(self.form_id, self.values)
            return self.client.build_request(
                "PUT", self.form(self.form_id),
                params={"visit": "UNS", "occurrence": self.occurrence},
                json={"values": self.values, "expected_version": self.version,
                      "reason": reason})
        if op == "casebook page":
            return self.client.build_request("GET", f"/subjects/{self.subject}")
        return self.client.build_request("GET", f"/api/v1/subjects/{self.subject}/casebook")

    async def answered(self, op: str, status: int, body: Any, run: Run) -> None:
        """Keep the versions; after a 409 read the form again, as a person would."""
        if status == 200 and op == "save new visit":
            self.version = body["version"]
            run.new_saved += 1
        elif status == 200 and op == "save correction":
            if self.shared:
                self.shared_version = body["version"]
            else:
                self.version = body["version"]
        elif status == 409 and op == "save correction" and self.shared:
            run.conflicts += 1
            again = self.client.build_request("GET", self.form("vital_signs"),
                                              params={"visit": "C1D1"})
            status, body = await timed(self.client, again, "read form after 409",
                                       time.perf_counter(), run)
            if status == 200:
                self.shared_version = body["version"]


async def simulated_user(base: str, username: str, user_args: dict[str, Any],
                         args: argparse.Namespace, clock: Clock, run: Run) -> None:
    """Log in, then save and open casebooks until the window ends (see the module docstring)."""
    limits = httpx2.Limits(max_connections=1, max_keepalive_connections=1)
    # Without --keep-alive every request asks the server to close the connection after it,
    # so the next one is accepted by whichever worker takes it (see the module docstring).
    headers = {} if args.keep_alive else {"Connection": "close"}
    async with httpx2.AsyncClient(base_url=base, timeout=120, limits=limits, headers=headers,
                                  follow_redirects=False) as client:
        begun = time.perf_counter()
        answer = await client.post("/api/v1/session",
                                   json={"username": username, "password": PASSWORD})
        run.logins.append(time.perf_counter() - begun)
        answer.raise_for_status()
        client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
        user = User(client, rng=random.Random(user_args["index"]), **user_args)
        await clock.logged_in()  # everyone logged in before anyone starts
        round_no = 0
        while True:
            round_no += 1
            for op in args.ops:
                now = time.perf_counter()
                if now >= clock.stop:
                    return
                status, body = await timed(client, user.request(op, round_no), op, now, run)
                await user.answered(op, status, body, run)
                if args.think > 0:
                    await asyncio.sleep(args.think * user.rng.uniform(0.5, 1.5))


async def timed(client: httpx2.AsyncClient, request: httpx2.Request, op: str, started: float,
                run: Run) -> tuple[int, Any]:
    """Send, wait for the whole answer, record the time; (status, JSON body or None)."""
    try:
        response = await client.send(request)
        status = response.status_code
    except httpx2.HTTPError as exc:
        run.samples.append(Sample(op, started, time.perf_counter() - started, 0))
        if len(run.error_examples) < 5:
            run.error_examples.append(f"{op}: {type(exc).__name__}: {exc}")
        return 0, None
    run.samples.append(Sample(op, started, time.perf_counter() - started, status))
    if status >= 400 and status != 409 and len(run.error_examples) < 5:
        run.error_examples.append(f"{op}: {status} {response.text[:300]}")
    if response.headers.get("content-type", "").startswith(("application/json",
                                                             "application/problem+json")):
        return status, response.json()
    return status, None


@dataclass
class CpuUse:
    """CPU seconds in the counted window: the server's processes, this client, the machine."""

    server: float = float("nan")
    client: float = float("nan")
    busy: float = float("nan")  # share of all CPUs busy
    other: float = float("nan")  # PostgreSQL and everything else on the machine
    processes: list[float] = field(default_factory=list)  # server processes, most first

    async def watch(self, clock: Clock, pids: list[int]) -> None:
        await clock.ready.wait()
        await asyncio.sleep(max(0.0, clock.measure_from - time.perf_counter()))
        server, client, (busy, total) = cpu_by_process(pids), own_cpu(), machine_ticks()
        await asyncio.sleep(max(0.0, clock.stop - time.perf_counter()))
        busy2, total2 = machine_ticks()
        after = cpu_by_process(pids)
        self.processes = sorted((after[p] - server.get(p, 0.0) for p in after), reverse=True)
        self.server = sum(self.processes)
        self.client = own_cpu() - client
        self.busy = (busy2 - busy) / max(1, total2 - total)
        self.other = (busy2 - busy) / TICK - self.server - self.client


@dataclass
class LockWatch:
    """PostgreSQL only: how many of the server's connections are running a statement, and
    how many wait for the audit trail's lock (``pg_advisory_xact_lock`` taken by every audited
    write, so that the hash chain has one order), sampled every 50 ms in the window; and how
    many connections of other programs wait for the same lock in this database."""

    url: str | None
    name: str | None
    samples: list[tuple[int, int, int]] = field(default_factory=list)

    QUERY = ("SELECT count(*) FILTER (WHERE application_name = %(me)s AND state = 'active'), "
             "count(*) FILTER (WHERE application_name = %(me)s AND wait_event = 'advisory'), "
             "count(*) FILTER (WHERE application_name <> %(me)s AND wait_event = 'advisory') "
             "FROM pg_stat_activity WHERE datname = current_database()")

    async def watch(self, clock: Clock) -> None:
        if not self.url or not self.name:
            return
        await clock.ready.wait()
        await asyncio.sleep(max(0.0, clock.measure_from - time.perf_counter()))
        engine = make_engine(self.url)
        try:
            with engine.connect() as connection:
                while time.perf_counter() < clock.stop:
                    row = connection.exec_driver_sql(self.QUERY, {"me": self.name}).one()
                    connection.rollback()
                    self.samples.append((int(row[0]), int(row[1]), int(row[2])))
                    await asyncio.sleep(0.05)
        finally:
            engine.dispose()

    def summary(self) -> str:
        if not self.samples:
            return ""
        active, waiting, others = (np.array(c) for c in zip(*self.samples, strict=True))
        return (f"PostgreSQL, {len(self.samples)} samples: the server's connections in a "
                f"statement {active.mean():.1f} on average (waits included), "
                f"waiting for the audit-trail lock {waiting.mean():.1f} on average (>= 1 in "
                f"{(waiting > 0).mean():.0%} of samples); other programs waiting for it "
                f"{others.mean():.2f}")


async def drive(base: str, setup: Setup, args: argparse.Namespace, pids: list[int]
                ) -> tuple[Run, Clock, CpuUse, LockWatch]:
    """All users at once; the CPU counters read at the start and the end of the window."""
    run, cpu = Run(), CpuUse()
    locks = LockWatch(setup.cleanup_url, setup.schema)
    clock = Clock(len(setup.usernames), args.warm_up, args.duration)
    per_subject = -(-len(setup.usernames) // len(setup.subjects))
    subjects = len(setup.subjects)
    users = [simulated_user(base, name, {
        "subject": setup.subjects[i % subjects], "index": i, "slot": i // subjects,
        "per_subject": per_subject, "shared": args.shared is not None}, args, clock, run)
        for i, name in enumerate(setup.usernames)]
    await asyncio.gather(cpu.watch(clock, pids), locks.watch(clock), *users)
    return run, clock, cpu, locks


# --------------------------------------------------------------------------- report


def ms(values: np.ndarray[Any, Any], q: float) -> str:
    return f"{1e3 * float(np.percentile(values, q)):.1f}"


def report(run: Run, clock: Clock, args: argparse.Namespace, cpu: CpuUse) -> dict[str, Any]:
    counted = [s for s in run.samples if clock.measure_from <= s.started < clock.stop]
    shared = args.shared is not None
    by_op: dict[str, list[Sample]] = defaultdict(list)
    for sample in counted:
        by_op[sample.op].append(sample)
    table = Table(title=f"{args.users} users, {args.workers} worker(s), {args.backend}, "
                        f"think {args.think:g} s, "
                        f"{'keep-alive' if args.keep_alive else 'a connection a request'}, "
                        f"{args.duration:g} s counted after "
                        f"{args.warm_up:g} s warm-up", title_justify="left")
    for name in ("operation", "count", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms",
                 "errors", "409"):
        table.add_column(name, justify="left" if name == "operation" else "right")
    summary: dict[str, Any] = {}
    groups = [(op, by_op[op]) for op in (*OPS, "read form after 409") if by_op.get(op)]
    groups.append(("saves", [s for s in counted if s.op in SAVES]))
    groups.append(("casebooks", [s for s in counted if s.op.startswith("casebook")]))
    groups.append(("all", counted))
    for name, samples in groups:
        if not samples:
            continue
        times = np.array([s.seconds for s in samples])
        errors = sum(1 for s in samples if not (200 <= s.status < 400)
                     and not (shared and s.status == 409))
        conflicts = sum(1 for s in samples if s.status == 409)
        if name in ("saves", "all"):
            table.add_section()
        table.add_row(name, str(len(samples)), f"{len(samples) / args.duration:.1f}",
                      ms(times, 50), ms(times, 95), ms(times, 99),
                      f"{1e3 * times.max():.1f}", str(errors), str(conflicts))
        summary[name] = {"n": len(samples), "p95_ms": 1e3 * float(np.percentile(times, 95))}
    console.print(table)
    n = max(1, len(counted))
    logins = np.array(run.logins)
    console.print(f"log-ins (argon2, before the clock): {len(logins)}, p50 {ms(logins, 50)} "
                  f"ms, max {1e3 * logins.max():.1f} ms")
    console.print(f"CPU in the counted window ({args.duration:g} s wall, {os.cpu_count()} "
                  f"CPUs): server {cpu.server:.1f} s ({1e3 * cpu.server / n:.1f} ms a "
                  f"request), this client {cpu.client:.1f} s, machine busy {cpu.busy:.0%} "
                  f"(PostgreSQL and everything else on the machine: {cpu.other:.1f} s); "
                  f"load average {load_average()}")
    busy_processes = [c for c in cpu.processes if c >= 0.1]
    if len(busy_processes) > 1:
        console.print("server CPU by process (workers): "
                      + " / ".join(f"{c:.1f} s" for c in busy_processes))
    if shared:
        corrections = by_op.get("save correction", [])
        refused = sum(1 for c in corrections if c.status == 409)
        console.print(f"shared subjects: {refused} of {len(corrections)} corrections refused "
                      f"with 409 (someone saved in between; nothing written), each followed by "
                      f"a re-read of the form; {run.conflicts} in the whole run")
    for example in run.error_examples:
        console.print(f"[red]error[/red] {example}")
    all_p95 = summary.get("all", {}).get("p95_ms", float("nan"))
    verdict = "met" if all_p95 < 100 else "MISSED"
    console.print(f"target: p95 of all requests under 100 ms: {all_p95:.1f} ms, {verdict}")
    return summary


# --------------------------------------------------------------------------- profile


def profile(args: argparse.Namespace, ctx: TrialContext) -> None:
    """One user, requests one at a time in this process: per-operation times, a cProfile
    of the same requests, and the services called directly.

    The application runs behind ``httpx2.ASGITransport`` in this thread, and the thread pool
    that FastAPI gives synchronous endpoints is replaced here by a direct call, so that
    cProfile (which sees one thread) sees the whole of every request."""
    import anyio.to_thread

    from oncotrial.web import create_app

    async def inline(func: Callable[..., Any], *args: Any, **_: Any) -> Any:
        return func(*args)

    anyio.to_thread.run_sync = inline  # type: ignore[assignment]
    folder = Path(tempfile.mkdtemp(prefix="bench_web_"))
    setup = set_up(args.database_url, folder, 1, None, ctx, args.cycles)
    db = Database.from_url(setup.url)
    try:
        asyncio.run(_profile_requests(create_app(db, ctx), setup.subjects[0], args))
        _profile_services(db, ctx, setup.subjects[0], args.profile)
    finally:
        db.dispose()
        setup.drop()
        shutil.rmtree(folder, ignore_errors=True)


async def _profile_requests(app: Any, subject: str, args: argparse.Namespace) -> None:
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://bench") as client:
        answer = await client.post("/api/v1/session",
                                   json={"username": "nurse01", "password": PASSWORD})
        client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
        user = User(client, subject, 0, 0, 1, False, random.Random(1))
        times: dict[str, list[float]] = defaultdict(list)
        run = Run()
        rounds = [0]

        async def one_round() -> None:
            rounds[0] += 1
            for op in OPS:
                start = time.perf_counter()
                status, body = await timed(client, user.request(op, rounds[0]), op, start, run)
                times[op].append(time.perf_counter() - start)
                if status != 200:
                    raise SystemExit(f"{op}: {status} {run.error_examples}")
                await user.answered(op, status, body, run)

        for _ in range(5):  # warm-up: templates compiled, caches filled
            await one_round()
        times.clear()
        for _ in range(args.profile):
            await one_round()
        table = Table(title=f"one user, one request at a time, in-process ({args.backend}), "
                            f"{args.profile} rounds", title_justify="left")
        for name in ("operation", "p50 ms", "mean ms", "max ms"):
            table.add_column(name, justify="left" if name == "operation" else "right")
        for op in OPS:
            values_ms = 1e3 * np.array(times[op])
            table.add_row(op, f"{np.median(values_ms):.1f}", f"{values_ms.mean():.1f}",
                          f"{values_ms.max():.1f}")
        console.print(table)
        console.print(f"the subject's casebook held {14 + 2 * args.cycles + rounds[0]} forms "
                      "at the end")

        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.profile):
            await one_round()
        profiler.disable()
        for order, limit in (("cumulative", 60), ("tottime", 30)):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(limit)
            console.print(f"cProfile of {args.profile} more rounds ({4 * args.profile} "
                          f"requests), by {order} time:")
            print(out.getvalue())


def _profile_services(db: Database, ctx: TrialContext, subject: str, rounds: int) -> None:
    nurse = authenticate(db, "nurse01", PASSWORD).actor
    rng = random.Random(2)
    direct: dict[str, list[float]] = defaultdict(list)
    for n in range(1, rounds + 1):
        values = vital_signs(rng, EXAMPLE_DAY + dt.timedelta(days=7))
        start = time.perf_counter()
        save_form(db, nurse, ctx, subject, "vital_signs", values, visit="UNS",
                  occurrence=900 + n, expected_version=0)
        direct["save_form, new visit"].append(time.perf_counter() - start)
        start = time.perf_counter()
        load_casebook(db, nurse, ctx, subject)
        direct["load_casebook"].append(time.perf_counter() - start)
    table = Table(title="the services called directly (same database, same subject)",
                  title_justify="left")
    for name in ("service", "p50 ms", "mean ms"):
        table.add_column(name, justify="left" if name == "service" else "right")
    for name, values_s in direct.items():
        arr = 1e3 * np.array(values_s)
        table.add_row(name, f"{np.median(arr):.1f}", f"{arr.mean():.1f}")
    console.print(table)


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None,
                        help="sqlite:///new-file.db or a PostgreSQL URL (a private schema is "
                             "made in it); default: a new SQLite file in a temporary folder")
    parser.add_argument("--workers", type=int, default=1, help="oncotrial serve --workers")
    parser.add_argument("--users", type=int, default=20, help="simulated users")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds counted")
    parser.add_argument("--warm-up", type=float, default=5.0, help="seconds not counted")
    parser.add_argument("--think", type=float, default=0.0,
                        help="mean pause after each answer, seconds (uniform 0.5-1.5 times)")
    parser.add_argument("--keep-alive", action="store_true",
                        help="each user keeps one connection for the whole run (default: a "
                             "new connection for every request)")
    parser.add_argument("--shared", type=int, default=None, metavar="K",
                        help="all users work on K subjects (conflicting corrections)")
    parser.add_argument("--cycles", type=int, default=9,
                        help="treatment cycles entered per subject before the run (vital signs "
                             "and haematology each; at least 1)")
    parser.add_argument("--ops", default="all", metavar="LIST",
                        help="diagnosis: the operations each user repeats, comma-separated "
                             "numbers 1-4 of the four (1 save new visit, 2 casebook page, 3 save "
                             "correction, 4 casebook API); default all")
    parser.add_argument("--server-threads", type=int, default=None, metavar="N",
                        help="diagnosis: serve through uvicorn with at most N requests in the "
                             "thread pool (default: oncotrial serve as it is, 40)")
    parser.add_argument("--gc-freeze", action="store_true",
                        help="diagnosis: serve through uvicorn with gc.freeze() after start-up")
    parser.add_argument("--port", type=int, default=None, help="default: a free port")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary folder (database, server log)")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="no server: N rounds in-process, timed and profiled")
    args = parser.parse_args()
    args.backend = "PostgreSQL" if args.database_url and args.database_url.startswith(
        "postgres") else "SQLite"
    ctx = load_trial()
    console.print(f"machine: {os.cpu_count()} CPUs, {cpu_model()}, Python "
                  f"{sys.version.split()[0]}; {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    if args.profile:
        profile(args, ctx)
        return
    if args.shared is not None and not 1 <= args.shared <= args.users:
        raise SystemExit("--shared K: 1 <= K <= --users")
    numbers = "1,2,3,4" if args.ops == "all" else args.ops
    try:
        args.ops = [OPS[int(n) - 1] for n in numbers.split(",")]
    except (ValueError, IndexError):
        raise SystemExit("--ops: numbers 1-4, e.g. 2,4") from None
    if "save correction" in args.ops and "save new visit" not in args.ops and not args.shared:
        raise SystemExit("--ops: a correction (3) corrects the new form (1): give both")
    if not 1 <= args.cycles <= 9:
        raise SystemExit("--cycles: 1 to 9 (later cycles would be dated after today)")

    folder = Path(tempfile.mkdtemp(prefix="bench_web_"))
    setup = set_up(args.database_url, folder, args.users, args.shared, ctx, args.cycles)
    console.print(f"set-up: {len(setup.usernames)} users, {len(setup.subjects)} enrolled "
                  f"subjects (14 screening forms, {args.cycles} cycles x 2 forms each) in "
                  f"{setup.seconds:.1f} s; database {args.backend}"
                  + (f", schema {setup.schema}" if setup.schema else f", {setup.url}"))
    port = args.port or free_port()
    server = start_server(setup, port, args.workers, args.server_threads, args.gc_freeze)
    try:
        pids = process_tree(server.pid)
        console.print(f"server: oncotrial serve --workers {args.workers} on port {port}, "
                      f"{len(pids)} process(es); load average before {load_average()}")
        run, clock, cpu, locks = asyncio.run(drive(f"http://127.0.0.1:{port}", setup, args,
                                                   pids))
    finally:
        stop_server(server)
    report(run, clock, args, cpu)
    if locks.samples:
        console.print(locks.summary())
    held = stored(setup.url)
    same = "consistent" if held.new_forms == run.new_saved else "DIFFER"
    console.print(f"database: {held.new_forms} forms at unscheduled visits for {run.new_saved} "
                  f"new forms saved (200): {same}; a subject now has {held.forms[0]}-"
                  f"{held.forms[1]} forms at {held.visits[0]}-{held.visits[1]} visits")
    setup.drop()
    if args.keep:
        console.print(f"kept {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


if __name__ == "__main__":
    main()
