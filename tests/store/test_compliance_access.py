"""Access control (21 CFR 11.10(d),(g), 11.300; ICH E6(R3) 4.3.8): one account per person and
every service checking the role (AC-1), site scoping and immediate revocation (AC-2), the
access report (AC-3), password rules, lock-out and hashing (AC-4), and which roles may sign,
lock, unlock, export or enter data (AC-5). Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from storekit import (
    BACKENDS,
    CONSENT,
    PASSWORD,
    PG_URL,
    SCREENING_DAY,
    VITALS,
    Staff,
    make_staff,
    reset_postgres,
)

from oncotrial.context import TrialContext
from oncotrial.errors import InputError
from oncotrial.services import (
    Actor,
    AuthenticationError,
    Database,
    PermissionDenied,
    access_report,
    add_site,
    answer_query,
    authenticate,
    change_password,
    close_out,
    close_query,
    create_user,
    enrol,
    export_dataset,
    export_json,
    grant_role,
    list_queries,
    list_subjects,
    load_casebook,
    lock_casebook,
    lock_database,
    lock_form,
    raise_query,
    record_visit,
    register_subject,
    revoke_role,
    save_form,
    screen_subject,
    sign,
    signatures,
    unlock_casebook,
    unlock_database,
    unlock_form,
    verify_items,
    withdraw,
)
from oncotrial.store.migrate import upgrade


def _vitals(db: Database, staff: Staff, ctx: TrialContext, subject: str) -> int:
    return save_form(db, staff["nurse"], ctx, subject, "vital_signs", VITALS, visit="SCR",
                     today=SCREENING_DAY).form_instance_id


def _aware(moment: datetime | None) -> datetime | None:
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)


# --------------------------------------------------------------------------- AC-1


def test_ac1_a_user_name_is_never_shared(db: Database, staff: Staff) -> None:
    """AC-1: one account per person: a second account with a taken user name is refused,
    and the first account is unchanged."""
    with pytest.raises(InputError, match="taken"):
        create_user(db, staff["admin"], "nurse", "Someone Else", "another pass 42 word",
                    {"research_coordinator": "HCH"})
    assert authenticate(db, "nurse", PASSWORD).actor.full_name == staff["nurse"].full_name


@pytest.fixture(scope="module", params=BACKENDS)
def shared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           ctx: TrialContext) -> Iterator[tuple[Database, Staff]]:
    """One database with the staff, shared by the cases that only try what a role may do
    (accounts are slow to make: argon2), in a schema of its own on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('shared') / 'trial.db'}"
    else:
        url = reset_postgres(PG_URL, f"oncotrial_test_access_{os.getpid()}")
    database = Database.from_url(url)
    upgrade(database.engine)
    yield database, make_staff(database)
    database.dispose()


_numbers = itertools.count(1)


def _new_subject(db: Database, staff: Staff, ctx: TrialContext) -> tuple[str, int, int]:
    """A new consented subject of site HCH with vital signs: (number, form, form version)."""
    number = f"A-{next(_numbers):03d}"
    register_subject(db, staff["nurse"], ctx, site="HCH", screening_number=number)
    save_form(db, staff["nurse"], ctx, number, "consent", CONSENT, visit="SCR",
              today=SCREENING_DAY)
    saved = save_form(db, staff["nurse"], ctx, number, "vital_signs", VITALS, visit="SCR",
                      today=SCREENING_DAY)
    return number, saved.form_instance_id, saved.version


@pytest.fixture(scope="module")
def without_role(shared: tuple[Database, Staff], ctx: TrialContext,
                 tmp_path_factory: pytest.TempPathFactory) -> tuple[Actor, dict[str, Any]]:
    """A logged-in account with no role, and a subject with a form and an open query."""
    db, staff = shared
    create_user(db, staff["admin"], "norole", "No Role", PASSWORD, None)
    number, form, version = _new_subject(db, staff, ctx)
    query = raise_query(db, staff["dm"], ctx, form, ("", 0, "pulse"), "Check the pulse.")
    return authenticate(db, "norole", PASSWORD).actor, {
        "subject": number, "form": form, "version": version, "query": query,
        "tmp": tmp_path_factory.mktemp("norole")}


#: Every use case, called by an actor on a subject with a saved form and a query.
_CALLS: dict[str, Callable[[Database, Actor, TrialContext, dict[str, Any]], object]] = {
    "register_subject": lambda db, a, ctx, s: register_subject(
        db, a, ctx, site="HCH", screening_number="S-999"),
    "save_form": lambda db, a, ctx, s: save_form(
        db, a, ctx, s["subject"], "vital_signs", VITALS, visit="SCR",
        expected_version=s["version"], reason="correction", today=SCREENING_DAY),
    "record_visit": lambda db, a, ctx, s: record_visit(db, a, ctx, s["subject"], "SCR",
                                                       actual_on=SCREENING_DAY),
    "screen_subject": lambda db, a, ctx, s: screen_subject(db, a, ctx, s["subject"],
                                                           on=SCREENING_DAY),
    "enrol": lambda db, a, ctx, s: enrol(db, a, ctx, s["subject"], enrolled_on=SCREENING_DAY),
    "withdraw": lambda db, a, ctx, s: withdraw(db, a, ctx, s["subject"], reason="consent"),
    "close_out": lambda db, a, ctx, s: close_out(db, a, ctx, s["subject"], reason="done"),
    "load_casebook": lambda db, a, ctx, s: load_casebook(db, a, ctx, s["subject"]),
    "signatures": lambda db, a, ctx, s: signatures(db, a, ctx, s["subject"]),
    "raise_query": lambda db, a, ctx, s: raise_query(db, a, ctx, s["form"], ("", 0, "pulse"),
                                                     "Check the pulse."),
    "answer_query": lambda db, a, ctx, s: answer_query(db, a, ctx, s["query"], "Checked."),
    "close_query": lambda db, a, ctx, s: close_query(db, a, ctx, s["query"]),
    "verify_items": lambda db, a, ctx, s: verify_items(db, a, ctx, s["form"]),
    "sign": lambda db, a, ctx, s: sign(db, a, ctx, s["subject"], password=PASSWORD,
                                       meaning="Review", form_instance_id=s["form"],
                                       username=a.username),
    "lock_form": lambda db, a, ctx, s: lock_form(db, a, ctx, s["form"]),
    "unlock_form": lambda db, a, ctx, s: unlock_form(db, a, ctx, s["form"], reason="why"),
    "lock_casebook": lambda db, a, ctx, s: lock_casebook(db, a, ctx, s["subject"]),
    "unlock_casebook": lambda db, a, ctx, s: unlock_casebook(db, a, ctx, s["subject"],
                                                             reason="why"),
    "lock_database": lambda db, a, ctx, s: lock_database(db, a, ctx, reason="analysis"),
    "unlock_database": lambda db, a, ctx, s: unlock_database(db, a, ctx, reason="why"),
    "export_json": lambda db, a, ctx, s: export_json(db, a, ctx, s["tmp"] / "out"),
    "export_dataset": lambda db, a, ctx, s: export_dataset(db, a, ctx),
    "create_user": lambda db, a, ctx, s: create_user(db, a, "mallory", "Mal Lory", PASSWORD),
    "grant_role": lambda db, a, ctx, s: grant_role(db, a, a.username, "administrator", None,
                                                   reason="self-service"),
    "revoke_role": lambda db, a, ctx, s: revoke_role(db, a, "nurse", "research_coordinator",
                                                     reason="why"),
    "access_report": lambda db, a, ctx, s: access_report(db, a),
    "add_site": lambda db, a, ctx, s: add_site(db, a, "NEW", "New Hospital"),
}


@pytest.mark.parametrize("call", sorted(_CALLS))
def test_ac1_every_service_refuses_a_user_without_a_role(
        shared: tuple[Database, Staff], ctx: TrialContext,
        without_role: tuple[Actor, dict[str, Any]], call: str) -> None:
    """AC-1: every use case checks the role on the server: an authenticated account without
    any role is refused by each of them."""
    actor, state = without_role
    with pytest.raises(PermissionDenied):
        _CALLS[call](shared[0], actor, ctx, state)


def test_ac1_lists_show_nothing_to_a_user_without_a_role(
        shared: tuple[Database, Staff], ctx: TrialContext,
        without_role: tuple[Actor, dict[str, Any]]) -> None:
    """AC-1: the lists are filtered on the server: no subject and no query for a user
    without a role."""
    db, staff = shared
    actor, state = without_role
    assert state["subject"] in {s.screening_number for s in list_subjects(db, staff["drli"],
                                                                           ctx)}
    assert list_subjects(db, actor, ctx) == []
    page = list_queries(db, actor, ctx)
    assert (page.rows, page.total) == ((), 0)


# --------------------------------------------------------------------------- AC-2


def test_ac2_an_investigator_of_another_site_cannot_enter_or_see_a_subject(
        db: Database, staff: Staff, ctx: TrialContext, subject: str) -> None:
    """AC-2: the investigator of site OTH can neither enter data for a subject of site HCH
    nor see it: not in the subject list, casebook, signatures or query list."""
    other = staff["other"]
    form = _vitals(db, staff, ctx, subject)
    raise_query(db, staff["dm"], ctx, form, ("", 0, "pulse"), "Check the pulse.")
    with pytest.raises(PermissionDenied):
        save_form(db, other, ctx, subject, "ecog", {"assessed_on": "2026-02-27", "ecog": "1"},
                  visit="SCR", today=SCREENING_DAY)
    with pytest.raises(PermissionDenied):
        load_casebook(db, other, ctx, subject)
    with pytest.raises(PermissionDenied):
        signatures(db, other, ctx, subject)
    assert subject not in {s.screening_number for s in list_subjects(db, other, ctx)}
    assert list_queries(db, other, ctx).total == 0
    # the same calls succeed for the site's own investigator
    assert subject in {s.screening_number for s in list_subjects(db, staff["drli"], ctx)}
    assert list_queries(db, staff["drli"], ctx).total == 1


def test_ac2_revoking_a_role_takes_effect_at_the_next_call(db: Database, staff: Staff,
                                                          ctx: TrialContext,
                                                          subject: str) -> None:
    """AC-2: revocation is immediate: the nurse, still holding the actor of her log-in, is
    refused at her next call, without logging in again."""
    nurse = staff["nurse"]
    _vitals(db, staff, ctx, subject)
    assert load_casebook(db, nurse, ctx, subject).forms
    revoke_role(db, staff["admin"], "nurse", "research_coordinator", reason="left the unit")
    with pytest.raises(PermissionDenied):
        save_form(db, nurse, ctx, subject, "ecog", {"assessed_on": "2026-02-27", "ecog": "1"},
                  visit="SCR", today=SCREENING_DAY)
    with pytest.raises(PermissionDenied):
        load_casebook(db, nurse, ctx, subject)


# --------------------------------------------------------------------------- AC-3


def test_ac3_access_report_lists_grants_and_revocations_with_times(db: Database,
                                                                  staff: Staff) -> None:
    """AC-3: the access review lists every grant, active and revoked, with who granted and
    revoked it and when; only administrators may read it."""
    admin = staff["admin"]
    start = datetime.now(UTC).replace(microsecond=0)
    grant_role(db, admin, "nurse", "sub_investigator", "HCH", reason="promoted")
    revoke_role(db, admin, "nurse", "sub_investigator", reason="promotion withdrawn")
    rows = access_report(db, admin)
    listed = {(r.username, r.role, r.site) for r in rows}
    assert {("drli", "investigator", "HCH"), ("other", "investigator", "OTH"),
            ("admin", "administrator", "all sites")} <= listed
    (promoted,) = [r for r in rows if (r.username, r.role) == ("nurse", "sub_investigator")]
    granted_at, revoked_at = _aware(promoted.granted_at), _aware(promoted.revoked_at)
    assert granted_at is not None and revoked_at is not None
    assert start <= granted_at <= revoked_at <= datetime.now(UTC)
    assert (promoted.granted_by, promoted.revoked_by) == ("admin", "admin")
    (active,) = [r for r in rows if (r.username, r.role) == ("nurse", "research_coordinator")]
    assert active.revoked_at is None
    with pytest.raises(PermissionDenied):
        access_report(db, staff["dm"])


# --------------------------------------------------------------------------- AC-4


@pytest.mark.parametrize("weak", ["short 1", "no digits in this one", "1234567890123",
                                  "xx-newbie-2026-yy"])
def test_ac4_a_weak_password_is_refused(shared: tuple[Database, Staff], weak: str) -> None:
    """AC-4: too short, without a letter or a digit, or containing the user name: refused at
    account creation and at a password change; no account is made."""
    db, staff = shared
    with pytest.raises(InputError):
        create_user(db, staff["admin"], "newbie", "New Bie", weak, {"monitor": "HCH"})
    with pytest.raises(AuthenticationError):
        authenticate(db, "newbie", weak)
    with pytest.raises(InputError):
        change_password(db, staff["nurse"], PASSWORD, weak.replace("newbie", "nurse"))


def test_ac4_five_failed_log_ins_lock_the_account(db: Database, staff: Staff) -> None:
    """AC-4: after five wrong passwords in a row the account is locked: the right password is
    then refused too; the failures and the lock-out are in the trail."""
    for _ in range(5):
        with pytest.raises(AuthenticationError):
            authenticate(db, "monitor", "wrong password 99")
    with pytest.raises(AuthenticationError, match="locked"):
        authenticate(db, "monitor", PASSWORD)
    with db.engine.connect() as conn:
        actions = list(conn.execute(text(
            "SELECT action FROM audit_log WHERE action IN ('login_failed', 'account_locked') "
            "ORDER BY id")).scalars())
    assert actions.count("login_failed") == 6 and "account_locked" in actions


def test_ac4_the_password_is_stored_as_an_argon2_hash_only(db: Database,
                                                           staff: Staff) -> None:
    """AC-4: the password is never stored in clear: the account holds an argon2 hash, and
    neither the password nor its hash appears in the audit trail."""
    change_password(db, staff["nurse"], PASSWORD, "a brand new pass 77")
    with db.engine.connect() as conn:
        stored = conn.execute(text("SELECT password_hash FROM app_user WHERE username = "
                                   "'nurse'")).scalar_one()
        users = [" ".join(str(v) for v in r) for r in conn.execute(
            text("SELECT * FROM app_user"))]
        trail = [" ".join(str(v) for v in r) for r in conn.execute(
            text("SELECT * FROM audit_log"))]
    assert stored.startswith("$argon2")
    for secret in (PASSWORD, "a brand new pass 77"):
        assert not [row for row in users + trail if secret in row]
    assert not [row for row in trail if stored in row]
    assert authenticate(db, "nurse", "a brand new pass 77").actor.username == "nurse"


# --------------------------------------------------------------------------- AC-5

#: Who may do what (ICH E6(R3) 3.16, 4.3.8 and the issue's roles): investigators sign, site
#: staff enter data, data managers lock and unlock, data managers, statisticians and
#: administrators export, and so does the investigator, for their own site (E6(R3) App. C.1.3).
_ALLOWED: dict[str, set[str]] = {
    "sign": {"drli", "drwang"},
    "lock": {"dm"},
    "unlock": {"dm"},
    "export": {"dm", "stat", "admin", "drli"},
    "enter_data": {"drli", "drwang", "nurse"},
}
_ROLES = ["admin", "drli", "drwang", "nurse", "dm", "monitor", "stat"]


@pytest.mark.parametrize("role", _ROLES)
@pytest.mark.parametrize("action", sorted(_ALLOWED))
def test_ac5_only_authorised_roles_sign_lock_unlock_export_or_enter_data(
        shared: tuple[Database, Staff], ctx: TrialContext, tmp_path: Path, action: str,
        role: str) -> None:
    """AC-5: authority checks (21 CFR 11.10(g)): each role may do exactly its own tasks."""
    db, staff = shared
    number, form, version = _new_subject(db, staff, ctx)
    if action == "unlock":
        lock_form(db, staff["dm"], ctx, form)
    actor = staff[role]
    attempts: dict[str, Callable[[], object]] = {
        "sign": lambda: sign(db, actor, ctx, number, password=PASSWORD, meaning="Review",
                             form_instance_id=form, username=actor.username),
        "lock": lambda: lock_form(db, actor, ctx, form),
        "unlock": lambda: unlock_form(db, actor, ctx, form, reason="late result"),
        "export": lambda: export_json(db, actor, ctx, tmp_path / "out"),
        "enter_data": lambda: save_form(db, actor, ctx, number, "vital_signs",
                                        VITALS | {"pulse": "80"}, visit="SCR",
                                        expected_version=version,
                                        reason="source says 80",
                                        today=SCREENING_DAY),
    }
    if role in _ALLOWED[action]:
        attempts[action]()
    else:
        with pytest.raises(PermissionDenied):
            attempts[action]()
