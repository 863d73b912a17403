"""Optimistic concurrency of form saves: two users editing the same version of a form at the
same moment give one success and one conflict, nothing lost and nothing overwritten; a stale
edit is a conflict even without a race. Runs on SQLite and on PostgreSQL
(tests/store/conftest.py): each thread opens its own :class:`Database` on the same database."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import text
from storekit import SCREENING_DAY, VITALS, Staff

from oncotrial.context import TrialContext
from oncotrial.services import (
    Actor,
    ConflictError,
    Database,
    SavedForm,
    load_casebook,
    save_form,
)

AuditRow = dict[str, Any]


def _audit_updates(db: Database, item: str) -> list[AuditRow]:
    with db.engine.connect() as conn:
        return [dict(r) for r in conn.execute(text(
            "SELECT * FROM audit_log WHERE table_name = 'item_value' AND action = 'update' "
            "AND item_ref = :i ORDER BY id"), {"i": item}).mappings()]


def _vitals(db: Database, actor: Actor, ctx: TrialContext, subject: str) -> Any:
    (form,) = [f for f in load_casebook(db, actor, ctx, subject).forms
               if f.form_id == "vital_signs"]
    return form


def _pulse(db: Database, actor: Actor, ctx: TrialContext, subject: str) -> str:
    return str(_vitals(db, actor, ctx, subject).values[("", 0, "pulse")].value)


def test_two_concurrent_edits_of_one_form_give_one_success_and_one_conflict(
        db: Database, db_url: str, staff: Staff, ctx: TrialContext, subject: str) -> None:
    """Two users, each with their own database session, read version N of the saved vital
    signs and save a different pulse with ``expected_version=N`` at the same moment: exactly
    one save returns and the other raises ConflictError; the stored pulse is the winner's and
    the trail holds exactly the winner's change; the loser, reloading, saves with the new
    version and a reason."""
    first = save_form(db, staff["nurse"], ctx, subject, "vital_signs", VITALS, visit="SCR",
                      today=SCREENING_DAY)
    editors = {"nurse": ("81", "source says 81"), "drwang": ("82", "source says 82")}
    barrier = threading.Barrier(len(editors), timeout=30)
    outcomes: dict[str, SavedForm | BaseException] = {}
    versions: dict[str, int] = {}

    def edit(name: str) -> None:
        own = Database.from_url(db_url)
        try:
            actor = staff[name]
            version = _vitals(own, actor, ctx, subject).version
            versions[name] = version
            pulse, reason = editors[name]
            barrier.wait()
            outcomes[name] = save_form(own, actor, ctx, subject, "vital_signs",
                                       VITALS | {"pulse": pulse}, visit="SCR",
                                       expected_version=version, reason=reason,
                                       today=SCREENING_DAY)
        except BaseException as exc:  # handed to the main thread
            outcomes[name] = exc
        finally:
            own.dispose()

    threads = [threading.Thread(target=edit, args=(name,)) for name in editors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert versions == dict.fromkeys(editors, first.version)

    winners = [n for n, o in outcomes.items() if isinstance(o, SavedForm)]
    losers = [n for n, o in outcomes.items() if isinstance(o, ConflictError)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    (winner,), (loser,) = winners, losers
    assert _pulse(db, staff["nurse"], ctx, subject) == editors[winner][0]
    (change,) = _audit_updates(db, "pulse")
    assert (change["user_id"], change["reason"]) == (winner, editors[winner][1])
    assert change["new_value"].split()[0] == editors[winner][0]
    assert change["old_value"].split()[0] == VITALS["pulse"]

    fresh = _vitals(db, staff[loser], ctx, subject).version
    assert fresh != first.version
    retried = save_form(db, staff[loser], ctx, subject, "vital_signs",
                        VITALS | {"pulse": editors[loser][0]}, visit="SCR",
                        expected_version=fresh, reason=editors[loser][1] + " (re-entered)",
                        today=SCREENING_DAY)
    assert retried.changed_items == ("pulse",)
    assert _pulse(db, staff["nurse"], ctx, subject) == editors[loser][0]
    assert [(r["user_id"], r["new_value"].split()[0]) for r in _audit_updates(db, "pulse")] == [
        (winner, editors[winner][0]), (loser, editors[loser][0])]


def test_a_stale_edit_is_a_conflict_and_overwrites_nothing(db: Database, staff: Staff,
                                                           ctx: TrialContext,
                                                           subject: str) -> None:
    """Without any race: a save naming a version older than the stored one, or naming no
    version for a form already saved, is a ConflictError; so is a version named for a form
    never saved. Nothing is written and no audit row is added."""
    nurse, drwang = staff["nurse"], staff["drwang"]
    first = save_form(db, nurse, ctx, subject, "vital_signs", VITALS, visit="SCR",
                      today=SCREENING_DAY)
    second = save_form(db, drwang, ctx, subject, "vital_signs", VITALS | {"pulse": "81"},
                       visit="SCR", expected_version=first.version, reason="source says 81",
                       today=SCREENING_DAY)
    assert second.version > first.version
    with db.engine.connect() as conn:
        audit_rows = conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one()
    for stale in (first.version, None):
        with pytest.raises(ConflictError) as conflict:
            save_form(db, nurse, ctx, subject, "vital_signs", VITALS | {"pulse": "90"},
                      visit="SCR", expected_version=stale, reason="source says 90",
                      today=SCREENING_DAY)
        assert conflict.value.value == stale
    with pytest.raises(ConflictError):
        save_form(db, nurse, ctx, subject, "ecog", {"assessed_on": "2026-02-27", "ecog": "1"},
                  visit="SCR", expected_version=3, reason="edited elsewhere",
                  today=SCREENING_DAY)
    assert _pulse(db, nurse, ctx, subject) == "81"
    assert _vitals(db, nurse, ctx, subject).version == second.version
    assert [f.form_id for f in load_casebook(db, nurse, ctx, subject).forms] == [
        "consent", "vital_signs"]
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one() == audit_rows
