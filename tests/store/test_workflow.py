"""The review workflow end to end through the services: queries (manual and raised by the form
checks, paginated), source-data verification, casebook locks, subject status changes, visit
dates and windows, adverse events and dosing, and the casebook that shows all of it. Runs on
SQLite and on PostgreSQL (tests/store/conftest.py)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from storekit import (
    EXAMPLE_DAY,
    PASSWORD,
    SCREENING_DAY,
    VITALS,
    Staff,
    consented_subject,
    screen_in_example,
)

from oncotrial.context import TrialContext
from oncotrial.errors import InputError
from oncotrial.records import DosingRecord
from oncotrial.services import (
    Database,
    NotFoundError,
    PermissionDenied,
    SavedForm,
    WorkflowError,
    answer_query,
    close_out,
    close_query,
    enrol,
    export_dataset,
    list_queries,
    list_subjects,
    load_casebook,
    lock_casebook,
    raise_query,
    record_dosing,
    record_visit,
    report_ae,
    save_form,
    sign,
    unlock_casebook,
    verify_items,
    withdraw,
)

AuditRow = dict[str, Any]
PULSE = ("", 0, "pulse")


def _audit(db: Database, where: str = "1 = 1", **params: object) -> list[AuditRow]:
    with db.engine.connect() as conn:
        return [dict(r) for r in conn.execute(
            text(f"SELECT * FROM audit_log WHERE {where} ORDER BY id"), params).mappings()]


def _vitals(db: Database, staff: Staff, ctx: TrialContext, subject: str,
            values: dict[str, str] = VITALS, *, version: int | None = None,
            reason: str = "") -> SavedForm:
    return save_form(db, staff["nurse"], ctx, subject, "vital_signs", values, visit="SCR",
                     expected_version=version, reason=reason, today=SCREENING_DAY)


def _form(db: Database, staff: Staff, ctx: TrialContext, subject: str, form_id: str,
          visit: str = "SCR") -> Any:
    (form,) = [f for f in load_casebook(db, staff["nurse"], ctx, subject).forms
               if f.form_id == form_id and f.visit == visit]
    return form


def _enrolled(db: Database, staff: Staff, ctx: TrialContext, number: str = "S-001") -> str:
    screen_in_example(db, staff, ctx, number)
    return enrol(db, staff["drli"], ctx, number, enrolled_on=EXAMPLE_DAY).subject_id


# --------------------------------------------------------------------------- queries


def test_a_query_goes_open_answered_closed_by_the_allowed_roles(
        db: Database, staff: Staff, ctx: TrialContext, subject: str) -> None:
    """A manual query on an item is raised by a data manager (not a coordinator, not staff of
    another site), answered by site staff (not the data manager), closed by a monitor (not the
    coordinator); each state shows in the list with who and what, and a closed query can be
    neither answered nor closed again."""
    dm, nurse, monitor = staff["dm"], staff["nurse"], staff["monitor"]
    form = _vitals(db, staff, ctx, subject).form_instance_id
    for who in (nurse, staff["other"]):
        with pytest.raises(PermissionDenied):
            raise_query(db, who, ctx, form, PULSE, "Pulse differs from source.")
    with pytest.raises(InputError):
        raise_query(db, dm, ctx, form, PULSE, "  ")
    query = raise_query(db, dm, ctx, form, PULSE, "Pulse differs from source.")
    (view,) = list_queries(db, dm, ctx).rows
    assert (view.id, view.subject, view.visit, view.form, view.item, view.status,
            view.origin, view.text, view.raised_by, view.answer) == (
        query, subject, "SCR", "vital_signs", "pulse", "open", "manual",
        "Pulse differs from source.", "dm", None)

    with pytest.raises(PermissionDenied):
        answer_query(db, dm, ctx, query, "Source says 74.")
    answer_query(db, nurse, ctx, query, "Source says 74.")
    (view,) = list_queries(db, dm, ctx, status="answered").rows
    assert (view.status, view.answer, view.answered_by) == ("answered", "Source says 74.",
                                                            "nurse")
    assert list_queries(db, dm, ctx, status="open").total == 0

    with pytest.raises(PermissionDenied):
        close_query(db, nurse, ctx, query, "resolved")
    close_query(db, monitor, ctx, query, "resolved")
    (view,) = list_queries(db, dm, ctx, status="closed").rows
    assert view.id == query and view.status == "closed"
    with pytest.raises(WorkflowError):
        close_query(db, dm, ctx, query, "again")
    with pytest.raises(WorkflowError):
        answer_query(db, nurse, ctx, query, "Late answer.")
    with pytest.raises(NotFoundError):
        answer_query(db, nurse, ctx, query + 1000, "No such query.")
    events = [(r["action"], r["user_id"]) for r in _audit(db, "table_name = 'query' AND "
                                                               "action LIKE 'query_%'")]
    assert events == [("query_opened", "dm"), ("query_answered", "nurse"),
                      ("query_closed", "monitor")]


def test_list_queries_pages_with_size_and_total(db: Database, staff: Staff,
                                                ctx: TrialContext, subject: str) -> None:
    """The query list is paged oldest first: 7 queries in pages of 3 give 3, 3 and 1 rows,
    each page reporting the total 7, together every query once; filters by status and subject
    change the total; staff of another site see none; a page number below 1 or a size above
    500 is refused."""
    dm = staff["dm"]
    form = _vitals(db, staff, ctx, subject).form_instance_id
    other = consented_subject(db, staff, ctx, "S-002")
    other_form = _vitals(db, staff, ctx, other).form_instance_id
    items = ["pulse", "systolic_bp", "diastolic_bp", "temperature", "weight"]
    ids = [raise_query(db, dm, ctx, form, ("", 0, item), f"Check {item}.") for item in items]
    ids += [raise_query(db, dm, ctx, other_form, ("", 0, item), f"Check {item}.")
            for item in items[:2]]
    answer_query(db, staff["nurse"], ctx, ids[0], "Checked.")
    pages = [list_queries(db, dm, ctx, page=n, page_size=3) for n in (1, 2, 3, 4)]
    assert [len(p.rows) for p in pages] == [3, 3, 1, 0]
    assert {(p.page, p.page_size, p.total) for p in pages} == {(n, 3, 7) for n in (1, 2, 3, 4)}
    assert [q.id for p in pages for q in p.rows] == sorted(ids)
    assert list_queries(db, dm, ctx, status="open").total == 6
    assert list_queries(db, dm, ctx, status="answered").total == 1
    by_subject = list_queries(db, dm, ctx, subject=other, page_size=1)
    assert (by_subject.total, len(by_subject.rows), by_subject.rows[0].subject) == (
        2, 1, other)
    assert list_queries(db, staff["other"], ctx).total == 0
    for page, size in ((0, 10), (1, 0), (1, 501)):
        with pytest.raises(InputError):
            list_queries(db, dm, ctx, page=page, page_size=size)


def test_a_warning_raises_a_query_that_closes_itself_when_corrected(
        db: Database, staff: Staff, ctx: TrialContext, subject: str) -> None:
    """A value outside the form's expected range (pulse 160, expected 40-140 bpm) is saved with
    a warning and raises one automatic query on the item; saving it again raises no second
    query; correcting the value closes the query by itself."""
    saved = _vitals(db, staff, ctx, subject, VITALS | {"pulse": "160"})
    assert saved.queries_raised == 1
    assert [w.key for w in saved.warnings] == [PULSE]
    assert _form(db, staff, ctx, subject, "vital_signs").values[PULSE].value == "160"
    (query,) = list_queries(db, staff["dm"], ctx).rows
    assert (query.origin, query.status, query.item, query.form, query.raised_by) == (
        "auto", "open", "pulse", "vital_signs", "nurse")

    again = _vitals(db, staff, ctx, subject, VITALS | {"pulse": "160"}, version=saved.version,
                    reason="confirmed with the source")
    assert again.queries_raised == 0
    assert list_queries(db, staff["dm"], ctx, status="open").total == 1

    fixed = _vitals(db, staff, ctx, subject, VITALS | {"pulse": "106"}, version=again.version,
                    reason="transcription error, source says 106")
    assert fixed.queries_raised == 0 and fixed.warnings == ()
    (closed,) = list_queries(db, staff["dm"], ctx).rows
    assert (closed.id, closed.status) == (query.id, "closed")
    assert _form(db, staff, ctx, subject, "vital_signs").open_queries == 0


# --------------------------------------------------------------------------- SDV


def test_sdv_by_the_monitor_resets_only_the_changed_item(db: Database, staff: Staff,
                                                         ctx: TrialContext,
                                                         subject: str) -> None:
    """Source-data verification is the monitor's (not the coordinator's, not the data
    manager's); it marks every item of the form; a changed value removes the mark of that item
    only (``sdv_reset`` in the trail) and leaves the others verified."""
    saved = _vitals(db, staff, ctx, subject)
    form = saved.form_instance_id
    for who in ("nurse", "dm"):
        with pytest.raises(PermissionDenied):
            verify_items(db, staff[who], ctx, form)
    with pytest.raises(InputError):
        verify_items(db, staff["monitor"], ctx, form, [("", 0, "respiratory_rate")])
    assert verify_items(db, staff["monitor"], ctx, form) == len(VITALS)
    keys = {("", 0, item) for item in VITALS}
    assert _form(db, staff, ctx, subject, "vital_signs").verified == keys

    changed = _vitals(db, staff, ctx, subject, VITALS | {"pulse": "80"}, version=saved.version,
                      reason="source says 80")
    assert changed.sdv_reset == 1
    assert _form(db, staff, ctx, subject, "vital_signs").verified == keys - {PULSE}
    (reset,) = _audit(db, "action = 'sdv_reset'")
    assert (reset["item_ref"], reset["form_ref"], reset["user_id"]) == ("pulse", "vital_signs",
                                                                        "nurse")
    assert verify_items(db, staff["monitor"], ctx, form, [PULSE]) == 1
    assert _form(db, staff, ctx, subject, "vital_signs").verified == keys


# --------------------------------------------------------------------------- locks, status


def test_casebook_lock_refuses_changes_and_unlocks_with_a_reason(
        db: Database, staff: Staff, ctx: TrialContext, subject: str) -> None:
    """A data manager locks a subject's casebook (a coordinator may not); then no form and no
    visit date of the subject can change; unlocking needs a reason, which the
    ``casebook_unlocked`` event keeps; after it the correction is saved."""
    dm, nurse = staff["dm"], staff["nurse"]
    saved = _vitals(db, staff, ctx, subject)
    with pytest.raises(PermissionDenied):
        lock_casebook(db, nurse, ctx, subject)
    lock_casebook(db, dm, ctx, subject, reason="casebook review complete")
    with pytest.raises(WorkflowError):
        lock_casebook(db, dm, ctx, subject)
    with pytest.raises(WorkflowError, match="locked"):
        _vitals(db, staff, ctx, subject, VITALS | {"pulse": "80"}, version=saved.version,
                reason="source says 80")
    with pytest.raises(WorkflowError, match="locked"):
        record_visit(db, nurse, ctx, subject, "SCR", actual_on=SCREENING_DAY)
    assert _form(db, staff, ctx, subject, "vital_signs").values[PULSE].value == "74"
    with pytest.raises(InputError):
        unlock_casebook(db, dm, ctx, subject, reason="")
    unlock_casebook(db, dm, ctx, subject, reason="late ECG result to enter")
    (locked,) = _audit(db, "action = 'casebook_locked'")
    (unlocked,) = _audit(db, "action = 'casebook_unlocked'")
    assert (locked["user_id"], locked["new_value"]) == ("dm", "casebook review complete")
    assert (unlocked["user_id"], unlocked["new_value"], unlocked["subject_ref"]) == (
        "dm", "late ECG result to enter", subject)
    _vitals(db, staff, ctx, subject, VITALS | {"pulse": "80"}, version=saved.version,
            reason="source says 80")
    assert _form(db, staff, ctx, subject, "vital_signs").values[PULSE].value == "80"


def test_withdraw_and_close_out_change_the_status_with_a_reason(
        db: Database, staff: Staff, ctx: TrialContext) -> None:
    """An investigator withdraws an enrolled subject (a coordinator may not; a reason is
    needed): the status becomes ``withdrawn``, the data stay, and the trail names the old and
    new status and the reason; closing out makes it ``off_study`` the same way."""
    subject = _enrolled(db, staff, ctx)
    forms_before = len(load_casebook(db, staff["drli"], ctx, subject).forms)
    with pytest.raises(PermissionDenied):
        withdraw(db, staff["nurse"], ctx, subject, reason="consent withdrawn")
    with pytest.raises(InputError):
        withdraw(db, staff["drli"], ctx, subject, reason=" ")
    summary = withdraw(db, staff["drli"], ctx, subject, reason="consent withdrawn")
    assert (summary.subject_id, summary.status) == (subject, "withdrawn")
    casebook = load_casebook(db, staff["drli"], ctx, subject)
    assert casebook.status == "withdrawn" and len(casebook.forms) == forms_before
    closed = close_out(db, staff["drli"], ctx, subject, reason="end of follow-up")
    assert closed.status == "off_study"
    assert [s.status for s in list_subjects(db, staff["drli"], ctx)] == ["off_study"]
    events = [(r["action"], r["old_value"], r["new_value"], r["reason"], r["user_id"])
              for r in _audit(db, "action IN ('withdrawal', 'close_out')")]
    assert events == [
        ("withdrawal", "enrolled", "withdrawn", "consent withdrawn", "drli"),
        ("close_out", "withdrawn", "off_study", "end of follow-up", "drli")]


# --------------------------------------------------------------------------- visits, AE, dosing


def test_record_visit_keeps_the_actual_date_and_flags_a_date_outside_the_window(
        db: Database, staff: Staff, ctx: TrialContext) -> None:
    """Enrolment plans C1D1 in its window (enrolment day to 7 days after); a visit date inside
    it is not flagged; changing the saved date needs a reason; a date after the window is kept
    and flagged; an unknown visit code is refused."""
    subject = _enrolled(db, staff, ctx)
    nurse = staff["nurse"]
    inside = record_visit(db, nurse, ctx, subject, "C1D1",
                          actual_on=EXAMPLE_DAY + timedelta(days=3))
    assert (inside.window_start_on, inside.window_end_on, inside.out_of_window) == (
        EXAMPLE_DAY, EXAMPLE_DAY + timedelta(days=7), False)
    with pytest.raises(WorkflowError):
        record_visit(db, nurse, ctx, subject, "C1D1",
                     actual_on=EXAMPLE_DAY + timedelta(days=10))
    late = record_visit(db, nurse, ctx, subject, "C1D1",
                        actual_on=EXAMPLE_DAY + timedelta(days=10),
                        reason="wrong date typed, clinic note says 12 March")
    assert (late.actual_on, late.out_of_window) == (date(2026, 3, 12), True)
    with db.engine.connect() as conn:
        stored = conn.execute(text("SELECT actual_on, status FROM visit WHERE "
                                   "subject_ref = :s AND code = 'C1D1'"), {"s": "S-001"}).one()
    assert (str(stored[0]), stored[1]) == ("2026-03-12", "done")
    with pytest.raises(NotFoundError):
        record_visit(db, nurse, ctx, subject, "C9D9", actual_on=EXAMPLE_DAY)


def test_report_ae_and_record_dosing_save_their_forms_and_export(
        db: Database, staff: Staff, ctx: TrialContext) -> None:
    """``record_dosing`` saves the dosing form at a visit and ``report_ae`` the adverse-event
    log (no visit); the casebook reads back the rows entered, and the export gives the dosing
    record with the subject id."""
    subject = _enrolled(db, staff, ctx)
    nurse = staff["nurse"]
    later = date(2026, 3, 25)
    doses = {"doses": [
        {"start_on": "2026-03-02", "end_on": "2026-03-15", "daily_dose_mg": "125",
         "change_reason": "as_planned"},
        {"start_on": "2026-03-16", "end_on": "2026-03-22", "daily_dose_mg": "100",
         "change_reason": "adverse_event"}]}
    dosing = record_dosing(db, nurse, ctx, subject, doses, visit="C1D1", today=later)
    assert dosing.form_id == "dosing" and len(dosing.changed_items) == 8
    event = {"term": "Neutrophil count decreased", "verbatim": "neutropenia",
             "onset_on": "2026-03-15", "grade": "3", "serious": "no",
             "relationship": "probable", "action_taken": "dose_reduced",
             "outcome": "recovering"}
    ae = report_ae(db, nurse, ctx, subject, {"events": [event]}, today=later)
    assert ae.form_id == "adverse_events"
    with pytest.raises(InputError):
        report_ae(db, nurse, ctx, subject, {"events": [event]}, visit="C1D1", today=later)

    casebook = load_casebook(db, nurse, ctx, subject)
    (log,) = [f for f in casebook.forms if f.form_id == "adverse_events"]
    assert log.visit == ""
    assert {k[2]: e.value for k, e in log.values.items()} == event
    (dose_form,) = [f for f in casebook.forms if f.form_id == "dosing"]
    assert dose_form.visit == "C1D1"
    assert dose_form.values[("doses", 2, "daily_dose_mg")].value == "100"
    dataset = export_dataset(db, staff["dm"], ctx)
    assert dataset.dosing == (
        DosingRecord(subject, date(2026, 3, 2), date(2026, 3, 15), 125.0),
        DosingRecord(subject, date(2026, 3, 16), date(2026, 3, 22), 100.0))


# --------------------------------------------------------------------------- casebook


def test_load_casebook_shows_forms_queries_sdv_and_signatures(
        db: Database, staff: Staff, ctx: TrialContext, subject: str) -> None:
    """One read of a casebook gives every form with its values, version, visit, who saved it,
    its open queries and its verified items, and the signatures; a statistician gets the
    pseudonymised view (pseudonym, no saver)."""
    saved = _vitals(db, staff, ctx, subject)
    consent = _form(db, staff, ctx, subject, "consent")
    raise_query(db, staff["dm"], ctx, consent.form_instance_id, ("", 0, "icf_version"),
                "Which ICF version was signed?")
    verify_items(db, staff["monitor"], ctx, saved.form_instance_id, [PULSE])
    sign(db, staff["drli"], ctx, subject, password=PASSWORD, meaning="Vital signs reviewed",
         form_instance_id=saved.form_instance_id, username="drli")

    casebook = load_casebook(db, staff["drli"], ctx, subject)
    assert (casebook.subject, casebook.pseudonymised, casebook.status) == (
        subject, False, "screened")
    forms = {f.form_id: f for f in casebook.forms}
    assert list(forms) == ["consent", "vital_signs"]
    vitals = forms["vital_signs"]
    assert (vitals.visit, vitals.version, vitals.status, vitals.locked, vitals.saved_by) == (
        "SCR", saved.version, "complete", False, "nurse")
    assert {k[2]: e.value for k, e in vitals.values.items()} == VITALS
    assert (vitals.open_queries, vitals.verified) == (0, frozenset({PULSE}))
    assert (forms["consent"].open_queries, forms["consent"].verified) == (1, frozenset())
    (signature,) = casebook.signatures
    assert (signature.printed_name, signature.meaning, signature.valid) == (
        "Li Wei", "Vital signs reviewed", True)

    pseudo = load_casebook(db, staff["stat"], ctx, subject)
    (listed,) = list_subjects(db, staff["stat"], ctx)
    assert pseudo.pseudonymised and pseudo.subject == listed.pseudonym != subject
    assert {f.saved_by for f in pseudo.forms} == {None}
    assert [f.values for f in pseudo.forms] == [f.values for f in casebook.forms]
    with pytest.raises(PermissionDenied):
        load_casebook(db, staff["other"], ctx, subject)
