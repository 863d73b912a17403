"""Killing the process (SIGKILL) in the middle of a stream of saves leaves every committed form
intact and no half-written form, on SQLite and PostgreSQL (issue 11, "Done when").

The test process sets up the database; a child Python process opens the same database URL and
saves vital signs at unscheduled visits in a loop (``UNS``, occurrence ``n``, every value
derived from ``n``), printing ``committed n`` once each save has returned. After a number of
commits the test kills the child with SIGKILL while it is in the middle of the next save. It
does so in three rounds: two at a different delay after the last commit, and one where the
child stops inside the transaction, after its item rows (and their audit rows) were written and
before the commit, so that at least one kill surely lands mid-transaction. Then it checks that
every reported save is stored whole with the right values, that no stored form is partial
(visit, form, item and audit rows all or nothing: 21 CFR 11.10(e), ICH E6(R3) 4.2.2), that
the audit chain verifies, and that the database takes new saves (SQLite: a fresh open recovers
the write-ahead log the killed process left; PostgreSQL: the dead client's server process and
its locks are gone).
"""

from __future__ import annotations

import datetime as dt
import inspect
import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from storekit import Staff

from oncotrial.context import TrialContext
from oncotrial.forms import Entry
from oncotrial.services import Actor, Database, save_form
from oncotrial.services.lookup import content_hash
from oncotrial.store.audit import verify
from oncotrial.store.models import FormInstance, ItemValue, Subject, Visit

#: About 10 s a back end: three child processes, each loading the trial before it saves.
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")]

SUBJECT = "S-001"
#: The day the saves are made (every assessment date is on or before it).
TODAY = dt.date(2026, 12, 31)
#: Saves reported committed before each kill. In each round the kill comes a given delay after
#: the last report, or (None) once the next save has written its rows and not yet committed.
COMMITS_BEFORE_KILL = 20
KILL_DELAYS_S: tuple[float | None, ...] = (0.0, 0.006, None)
#: Occurrence numbers of round r start at ROUND_BASE * r + 1 (a save committed but not reported
#: before the kill must not collide with the next round's).
ROUND_BASE = 1000
DEADLINE_S = 60.0


def vitals(n: int) -> dict[str, str]:
    """The vital signs of save ``n``: every item derived from ``n`` (and within range)."""
    return {
        "assessed_on": (dt.date(2026, 3, 1) + dt.timedelta(days=n % 300)).isoformat(),
        "temperature": f"36.{n % 10}",
        "systolic_bp": str(100 + n % 70),
        "diastolic_bp": str(50 + n % 40),
        "pulse": str(60 + n % 61),
        "respiratory_rate": str(10 + n % 17),
        "weight": f"{40 + n // 100}.{n % 100:02d}",
    }


CHILD = textwrap.dedent("""
    import datetime as dt
    import sys
    import time

    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from oncotrial.services import Actor, Database, save_form
    from oncotrial.services.trial import load_trial
    from oncotrial.store.models import ItemValue

    {vitals}

    url, subject, user_pk, username, full_name, first, today, pause_at = sys.argv[1:]
    actor = Actor(int(user_pk), username, full_name)
    ctx = load_trial()
    db = Database.from_url(url)
    n = int(first)


    @event.listens_for(Session, "after_flush")
    def _pause(session, flush_context):
        # Inside the save's transaction, once its item rows are written: wait to be killed.
        if str(n) == pause_at and any(isinstance(o, ItemValue) for o in session.new):
            print(f"flushed {{n}}", flush=True)
            time.sleep(600)


    print("ready", flush=True)
    while True:
        save_form(db, actor, ctx, subject, "vital_signs", vitals(n), visit="UNS", occurrence=n,
                  today=dt.date.fromisoformat(today))
        print(f"committed {{n}}", flush=True)
        n += 1
""")


def _child_url(db_url: str, name: str) -> str:
    """The test database URL, with the child's connections named (PostgreSQL only)."""
    if db_url.startswith("sqlite"):
        return db_url
    separator = "&" if "?" in db_url else "?"
    return f"{db_url}{separator}application_name={name}"


def _read_lines(stream: Any, lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line.strip())
    lines.put(None)


def _run_and_kill(script: Path, url: str, actor: Actor, first: int, delay: float | None,
                  stderr_path: Path, db: Database, name: str) -> list[int]:
    """Start a child saving from ``first`` on, SIGKILL it after the commits, return them."""
    pause_at = first + COMMITS_BEFORE_KILL if delay is None else 0
    with stderr_path.open("w") as stderr:
        child = subprocess.Popen(
            [sys.executable, str(script), url, SUBJECT, str(actor.user_pk), actor.username,
             actor.full_name, str(first), TODAY.isoformat(), str(pause_at)],
            stdout=subprocess.PIPE, stderr=stderr, text=True)
    lines: queue.Queue[str | None] = queue.Queue()
    reader = threading.Thread(target=_read_lines, args=(child.stdout, lines), daemon=True)
    reader.start()
    committed: list[int] = []
    deadline = time.monotonic() + DEADLINE_S
    flushed = False
    try:
        while len(committed) < COMMITS_BEFORE_KILL or (delay is None and not flushed):
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"the saving process reported {len(committed)} commits in "
                            f"{DEADLINE_S:.0f} s")
            if line is None:
                pytest.fail("the saving process stopped before it was killed:\n"
                            + stderr_path.read_text())
            if line.startswith("committed "):
                committed.append(int(line.split()[1]))
            flushed = flushed or line == f"flushed {pause_at}"
        if delay is None and db.engine.dialect.name == "postgresql":
            # Mid-transaction: the child's server process holds the save's row locks.
            assert _postgres_backends(db, name)[1] > 0
        time.sleep(delay or 0.0)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=30)
        reader.join(timeout=10)
        if child.stdout is not None:
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    # A line written just before the kill is still a commit the child reported.
    while (line := lines.get_nowait() if not lines.empty() else None) is not None:
        if line.startswith("committed "):
            committed.append(int(line.split()[1]))
    return committed


def _postgres_backends(db: Database, name: str) -> tuple[int, int]:
    """The server processes of the client named ``name``, and the locks they hold."""
    with db.engine.connect() as conn:
        left = conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = :n"),
            {"n": name}).scalar_one()
        locks = conn.execute(text(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE a.application_name = :n"), {"n": name}).scalar_one()
    return int(left), int(locks)


def _wait_for_postgres_backends(db: Database, name: str) -> None:
    """The killed client's server process ends and releases its locks (none stuck)."""
    deadline = time.monotonic() + 30
    while True:
        left, locks = _postgres_backends(db, name)
        if left == 0 and locks == 0:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"{left} server processes of the killed client still hold {locks} "
                        "locks after 30 s")
        time.sleep(0.1)


def _stored_uns_vitals(db: Database) -> dict[int, tuple[FormInstance, dict[str, Entry]]]:
    """Every vital-signs form stored at an unscheduled visit, by occurrence, with its items."""
    out: dict[int, tuple[FormInstance, dict[str, Entry]]] = {}
    with db.sessions() as session:
        rows = session.execute(
            select(FormInstance, Visit).join(Visit, Visit.id == FormInstance.visit_pk)
            .join(Subject, Subject.id == FormInstance.subject_pk)
            .where(Subject.screening_number == SUBJECT, Visit.code == "UNS",
                   FormInstance.form_id == "vital_signs")).all()
        for inst, visit in rows:
            items = session.scalars(select(ItemValue).where(
                ItemValue.form_instance_id == inst.id)).all()
            out[visit.occurrence] = (inst, {r.item_id: Entry(r.value, r.unit, r.lln, r.uln)
                                            for r in items})
    return out


def _check_no_partial_save(db: Database, stored: dict[int, tuple[FormInstance,
                           dict[str, Entry]]]) -> None:
    """Visit rows, form rows, item rows and audit rows are all there or all absent."""
    with db.sessions() as session:
        visits = set(session.scalars(select(Visit.occurrence).join(
            Subject, Subject.id == Visit.subject_pk).where(
            Subject.screening_number == SUBJECT, Visit.code == "UNS")))
        item_ids = {str(i) for i in session.scalars(select(ItemValue.id).where(
            ItemValue.form_ref == "vital_signs"))}
        audited = set(session.scalars(text(
            "SELECT row_key FROM audit_log WHERE table_name = 'item_value' "
            "AND action = 'insert' AND form_ref = 'vital_signs'")))
    assert visits == set(stored), "an unscheduled visit row without its form, or the reverse"
    assert audited == item_ids, "item rows and their audit rows differ"
    for n, (inst, items) in stored.items():
        assert inst.status == "complete", n
        assert inst.content_hash == content_hash({("", 0, k): e for k, e in items.items()}), n


def test_sigkill_mid_stream_leaves_committed_forms_whole_and_none_half_written(
        db: Database, db_url: str, staff: Staff, subject: str, ctx: TrialContext,
        tmp_path: Path) -> None:
    """AT-1/AT-4 under a crash: every committed save is whole, with its audit rows; the save
    killed in flight left nothing; the chain verifies; the database takes new saves."""
    script = tmp_path / "save_forever.py"
    script.write_text(CHILD.format(vitals=inspect.getsource(vitals)), encoding="utf-8")
    nurse = staff["nurse"]
    db.dispose()  # the child and, after the kill, a fresh engine are the only users
    reported: dict[int, list[int]] = {}
    for round_no, delay in enumerate(KILL_DELAYS_S):
        name = f"oncotrial_crash_{os.getpid()}_{round_no}"
        first = ROUND_BASE * round_no + 1
        reported[round_no] = _run_and_kill(script, _child_url(db_url, name), nurse, first,
                                           delay, tmp_path / f"child{round_no}.err", db, name)
        assert reported[round_no] == list(range(first, first + len(reported[round_no])))
        if not db_url.startswith("sqlite"):
            _wait_for_postgres_backends(db, name)
    db.dispose()
    if db_url.startswith("sqlite"):
        # The killed process left its write-ahead log behind, not checkpointed into the file.
        wal = Path(db_url.removeprefix("sqlite:///") + "-wal")
        assert wal.exists() and wal.stat().st_size > 0

    after = Database.from_url(db_url)  # SQLite: a new process-level open recovers the WAL
    try:
        stored = _stored_uns_vitals(after)
        expected_items = set(vitals(1))
        for round_no, committed in reported.items():
            for n in committed:
                assert n in stored, f"save {n} was reported committed but is not stored"
            # Besides the reported saves, at most the one that committed as the kill came.
            extra = {n for n in stored if n // ROUND_BASE == round_no} - set(committed)
            assert extra <= {max(committed) + 1}, extra
            if KILL_DELAYS_S[round_no] is None:  # killed after its rows were written
                assert max(committed) + 1 not in stored
        for n, (_inst, items) in stored.items():
            assert set(items) == expected_items, f"save {n} is half-written: {sorted(items)}"
            assert {k: e.value for k, e in items.items()} == vitals(n), n
            assert all(e.unit for k, e in items.items() if k != "assessed_on"), n
        _check_no_partial_save(after, stored)
        with after.engine.connect() as conn:
            rows, problem = verify(conn)
            if after.engine.dialect.name == "sqlite":
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
        assert problem is None, problem
        assert rows > 0

        # The database accepts a new save after the crash, and a correction of a crashed-era form.
        new_n = ROUND_BASE * len(KILL_DELAYS_S) + 1
        save_form(after, nurse, ctx, SUBJECT, "vital_signs", vitals(new_n), visit="UNS",
                  occurrence=new_n, today=TODAY)
        last = max(reported[0])
        inst, _ = stored[last]
        corrected = {**vitals(last), "pulse": "99"}
        save_form(after, nurse, ctx, SUBJECT, "vital_signs", corrected, visit="UNS",
                  occurrence=last, expected_version=inst.version, reason="crash test correction",
                  today=TODAY)
        again = _stored_uns_vitals(after)
        assert {k: e.value for k, e in again[new_n][1].items()} == vitals(new_n)
        assert again[last][1]["pulse"].value == "99"
        with after.engine.connect() as conn:
            assert verify(conn)[1] is None
    finally:
        after.dispose()
