"""Electronic signatures (21 CFR 11.50, 11.70, 11.100, 11.200, 11.300): what a signature shows
(ES-1), its binding to the signed content (ES-2), its components (ES-3), its owner (ES-4) and
failed signings (ES-5). Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from storekit import PASSWORD, SCREENING_DAY, VITALS, Staff, consented_subject

from oncotrial.context import TrialContext
from oncotrial.errors import InputError
from oncotrial.services import (
    AuthenticationError,
    Database,
    SavedForm,
    authenticate,
    load_casebook,
    save_form,
    sign,
    signatures,
)

MEANING = "Investigator review and approval of the screening vital signs"


def _vitals(db: Database, staff: Staff, ctx: TrialContext, subject: str) -> SavedForm:
    return save_form(db, staff["nurse"], ctx, subject, "vital_signs", VITALS, visit="SCR",
                     today=SCREENING_DAY)


def _audit(db: Database, action: str) -> list[dict[str, object]]:
    with db.engine.connect() as conn:
        return [dict(r) for r in conn.execute(text(
            "SELECT * FROM audit_log WHERE action = :a ORDER BY id"), {"a": action}).mappings()]


def _is_now_utc(moment: datetime) -> bool:
    offset = moment.utcoffset()
    return offset == timedelta(0) and abs(moment - datetime.now(UTC)) < timedelta(minutes=5)


# --------------------------------------------------------------------------- ES-1


def test_es1_the_signature_shows_printed_name_utc_time_and_meaning(
        db: Database, staff: Staff, ctx: TrialContext, subject: str) -> None:
    """ES-1: the signature names the signer's printed name, the date and time in UTC and the
    meaning, the same when signed, when listed and in the casebook."""
    drli = staff["drli"]
    form = _vitals(db, staff, ctx, subject).form_instance_id
    signed, _ = sign(db, drli, ctx, subject, password=PASSWORD, meaning=MEANING,
                     form_instance_id=form, username="drli")
    assert (signed.printed_name, signed.meaning) == (drli.full_name, MEANING)
    assert _is_now_utc(signed.signed_at)
    shown = signed.manifestation()
    assert drli.full_name in shown and MEANING in shown and "UTC" in shown
    assert f"{signed.signed_at:%Y-%m-%d %H:%M}" in shown
    (listed,) = signatures(db, drli, ctx, subject)
    (in_casebook,) = load_casebook(db, drli, ctx, subject).signatures
    for view in (listed, in_casebook):
        assert (view.printed_name, view.meaning) == (drli.full_name, MEANING)
        assert view.manifestation() == shown


def test_es1_a_stored_signature_time_is_unambiguous_utc(db: Database, staff: Staff,
                                                        ctx: TrialContext,
                                                        subject: str) -> None:
    """ES-1, L-5: the signing time read back from the database carries its UTC offset, not a
    bare clock time."""
    form = _vitals(db, staff, ctx, subject).form_instance_id
    sign(db, staff["drli"], ctx, subject, password=PASSWORD, meaning=MEANING,
         form_instance_id=form, username="drli")
    (listed,) = signatures(db, staff["drli"], ctx, subject)
    assert _is_now_utc(listed.signed_at)


# --------------------------------------------------------------------------- ES-2


def test_es2_a_signature_is_bound_to_the_content_and_a_change_invalidates_it(
        db: Database, staff: Staff, ctx: TrialContext, subject: str) -> None:
    """ES-2: the signature holds the hash of the signed form's content; saving the same
    content keeps it valid; a change marks it invalidated, visibly and in the trail."""
    drli = staff["drli"]
    saved = _vitals(db, staff, ctx, subject)
    signed, drli = sign(db, drli, ctx, subject, password=PASSWORD, meaning=MEANING,
                        form_instance_id=saved.form_instance_id, username="drli")
    with db.engine.connect() as conn:
        form_hash = conn.execute(text("SELECT content_hash FROM form_instance WHERE id = :i"),
                                 {"i": saved.form_instance_id}).scalar_one()
    assert signed.content_hash == form_hash and len(form_hash) == 64
    again = save_form(db, staff["nurse"], ctx, subject, "vital_signs", VITALS, visit="SCR",
                      expected_version=saved.version, reason="re-saved unchanged",
                      today=SCREENING_DAY)
    assert again.signatures_invalidated == 0
    assert [s.valid for s in signatures(db, drli, ctx, subject)] == [True]
    changed = save_form(db, staff["nurse"], ctx, subject, "vital_signs",
                        VITALS | {"pulse": "90"}, visit="SCR",
                        expected_version=again.version, reason="source says 90",
                        today=SCREENING_DAY)
    assert changed.signatures_invalidated == 1
    (view,) = signatures(db, drli, ctx, subject)
    assert not view.valid and view.invalidated_at is not None
    assert "source says 90" in (view.invalidated_reason or "")
    assert "INVALIDATED" in view.manifestation().upper()
    (event,) = _audit(db, "signature_invalidated")
    assert (event["subject_ref"], event["form_ref"]) == (subject, "vital_signs")
    assert drli.full_name in str(event["old_value"])


def test_es2_a_casebook_signature_is_invalidated_by_a_change_to_any_form(
        db: Database, staff: Staff, ctx: TrialContext, subject: str) -> None:
    """ES-2: the casebook signature binds every form of the subject: changing one of them
    invalidates it."""
    saved = _vitals(db, staff, ctx, subject)
    sign(db, staff["drli"], ctx, subject, password=PASSWORD, meaning="Casebook approval",
         username="drli")
    save_form(db, staff["nurse"], ctx, subject, "vital_signs", VITALS | {"pulse": "90"},
              visit="SCR", expected_version=saved.version, reason="source says 90",
              today=SCREENING_DAY)
    (view,) = signatures(db, staff["drli"], ctx, subject)
    assert not view.valid
    assert _audit(db, "signature_invalidated")


def test_es2_a_signature_cannot_be_moved_to_another_subjects_form(
        db: Database, staff: Staff, ctx: TrialContext, subject: str) -> None:
    """ES-2: signing names the subject and the form; a form of another subject is refused and
    nothing is signed."""
    other = consented_subject(db, staff, ctx, "S-002")
    theirs = _vitals(db, staff, ctx, other).form_instance_id
    with pytest.raises(InputError):
        sign(db, staff["drli"], ctx, subject, password=PASSWORD, meaning=MEANING,
             form_instance_id=theirs, username="drli")
    assert signatures(db, staff["drli"], ctx, subject) == []
    assert signatures(db, staff["drli"], ctx, other) == []


# --------------------------------------------------------------------------- ES-3


def test_es3_first_signing_needs_user_name_and_password_later_the_password(
        db: Database, staff: Staff, ctx: TrialContext, subject: str) -> None:
    """ES-3 (21 CFR 11.200(a)(1)): the first signing of a session needs both components;
    later signings in the same session need the password only; a wrong password is refused
    every time."""
    drli = staff["drli"]
    form = _vitals(db, staff, ctx, subject).form_instance_id
    with pytest.raises(AuthenticationError):
        sign(db, drli, ctx, subject, password=PASSWORD, meaning=MEANING,
             form_instance_id=form)
    with pytest.raises(AuthenticationError):
        sign(db, drli, ctx, subject, password="wrong password 1", meaning=MEANING,
             form_instance_id=form, username="drli")
    assert signatures(db, drli, ctx, subject) == []
    _, drli = sign(db, drli, ctx, subject, password=PASSWORD, meaning=MEANING,
                   form_instance_id=form, username="drli")
    assert drli.has_signed
    sign(db, drli, ctx, subject, password=PASSWORD, meaning="Casebook approval")
    with pytest.raises(AuthenticationError):
        sign(db, drli, ctx, subject, password="wrong password 1", meaning="Again")
    assert len(signatures(db, drli, ctx, subject)) == 2


def test_es3_a_new_session_needs_both_components_again(db: Database, staff: Staff,
                                                      ctx: TrialContext,
                                                      subject: str) -> None:
    """ES-3: signing outside the session of an earlier signing (a new log-in) needs the user
    name again."""
    drli = staff["drli"]
    form = _vitals(db, staff, ctx, subject).form_instance_id
    sign(db, drli, ctx, subject, password=PASSWORD, meaning=MEANING, form_instance_id=form,
         username="drli")
    fresh = authenticate(db, "drli", PASSWORD).actor
    with pytest.raises(AuthenticationError):
        sign(db, fresh, ctx, subject, password=PASSWORD, meaning="Casebook approval")


# --------------------------------------------------------------------------- ES-4


def test_es4_a_signature_names_its_own_signer_only(db: Database, staff: Staff,
                                                   ctx: TrialContext, subject: str) -> None:
    """ES-4: a signature belongs to the person signing: the investigator cannot sign with the
    sub-investigator's user name and password, and her signature names her, not another."""
    drli, drwang = staff["drli"], staff["drwang"]
    form = _vitals(db, staff, ctx, subject).form_instance_id
    with pytest.raises(AuthenticationError):
        sign(db, drli, ctx, subject, password=PASSWORD, meaning=MEANING,
             form_instance_id=form, username="drwang")
    assert signatures(db, drli, ctx, subject) == []
    signed, drli = sign(db, drli, ctx, subject, password=PASSWORD, meaning=MEANING,
                        form_instance_id=form, username="drli")
    assert signed.printed_name == drli.full_name != drwang.full_name
    with db.engine.connect() as conn:
        signer = conn.execute(text(
            "SELECT u.username FROM signature s JOIN app_user u ON u.id = s.user_id "
            "WHERE s.id = :i"), {"i": signed.id}).scalar_one()
    assert signer == "drli"
    (event,) = _audit(db, "signed")
    assert event["user_id"] == "drli"


# --------------------------------------------------------------------------- ES-5


def test_es5_failed_signings_are_audited_and_lock_the_account(db: Database, staff: Staff,
                                                              ctx: TrialContext,
                                                              subject: str) -> None:
    """ES-5: each failed signing is in the trail as ``sign_failed`` and counts toward the
    lock-out: after five, neither signing nor log-in works with the right password."""
    drli = staff["drli"]
    form = _vitals(db, staff, ctx, subject).form_instance_id
    for _ in range(5):
        with pytest.raises(AuthenticationError):
            sign(db, drli, ctx, subject, password="wrong password 1", meaning=MEANING,
                 form_instance_id=form, username="drli")
    failed = _audit(db, "sign_failed")
    assert len(failed) == 5 and {r["user_id"] for r in failed} == {"drli"}
    assert _audit(db, "account_locked")
    with pytest.raises(AuthenticationError, match="locked"):
        sign(db, drli, ctx, subject, password=PASSWORD, meaning=MEANING,
             form_instance_id=form, username="drli")
    with pytest.raises(AuthenticationError, match="locked"):
        authenticate(db, "drli", PASSWORD)
    assert signatures(db, staff["nurse"], ctx, subject) == []


def test_es5_failed_log_ins_and_signings_count_together(db: Database, staff: Staff,
                                                       ctx: TrialContext,
                                                       subject: str) -> None:
    """ES-5: failed log-ins and failed signings add up toward the same lock-out."""
    drli = staff["drli"]
    form = _vitals(db, staff, ctx, subject).form_instance_id
    for _ in range(3):
        with pytest.raises(AuthenticationError):
            authenticate(db, "drli", "wrong password 1")
    for _ in range(2):
        with pytest.raises(AuthenticationError):
            sign(db, drli, ctx, subject, password="wrong password 1", meaning=MEANING,
                 form_instance_id=form, username="drli")
    with pytest.raises(AuthenticationError, match="locked"):
        authenticate(db, "drli", PASSWORD)
