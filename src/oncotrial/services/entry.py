"""Entering and correcting forms: one save is one transaction with its audit rows.

A save runs the form's own checks (:func:`oncotrial.forms.check_form`, the same checks on
every write path): errors refuse the save and nothing is written; warnings are saved and raise
a query on the item. A change to saved data needs a reason (ICH E6(R3) 4.2.4), the version the
user edited (a stale edit gets a :class:`ConflictError`, nothing is overwritten), and it
invalidates, visibly and in the audit trail, the signatures and the source-data verification of
what it changed (21 CFR 11.70).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from oncotrial.context import TrialContext
from oncotrial.errors import InputError
from oncotrial.forms import Entry, FormDef, FormSet, check_form
from oncotrial.forms.values import Finding
from oncotrial.services.access import Actor, now_utc, require
from oncotrial.services.database import Database
from oncotrial.services.errors import ConflictError, NotFoundError, WorkflowError
from oncotrial.services.lookup import (
    as_form_data,
    content_hash,
    ensure_enrolled_for,
    ensure_writable,
    find_subject,
    forms_of,
    instance_of,
    item_ref,
    subject_label,
    visit_of,
    visit_ref,
)
from oncotrial.store.audit import append_event
from oncotrial.store.models import (
    FormInstance,
    ItemValue,
    Query,
    SdvMark,
    Signature,
    Subject,
    Visit,
)

__all__ = ["FormRejected", "SavedForm", "consent_form_ids", "record_dosing", "report_ae",
           "save_form"]

Key = tuple[str, int, str]


class FormRejected(InputError):
    """The form's checks found errors; nothing was saved. ``findings`` lists every one."""

    def __init__(self, form: FormDef, findings: tuple[Finding, ...]) -> None:
        lines = "; ".join(f.message for f in findings)
        super().__init__(f"{form.label.text('en')} was not saved: {lines}",
                         field=findings[0].key[2] if findings and findings[0].key else None,
                         hint="Correct the items named and save again; nothing was lost.")
        self.findings = findings


@dataclass(frozen=True, slots=True)
class SavedForm:
    """The outcome of a save: the new version, what changed, and what the checks raised."""

    form_instance_id: int
    form_id: str
    version: int
    changed_items: tuple[str, ...]
    warnings: tuple[Finding, ...]
    queries_raised: int
    signatures_invalidated: int
    sdv_reset: int
    notices: tuple[str, ...] = field(default=())


def consent_form_ids(forms: FormSet) -> frozenset[str]:
    """Forms that record informed consent (an item feeding ``informed_consent_date``)."""
    return frozenset(f.id for f in forms.forms for _, item in f.items()
                     if item.screening == "informed_consent_date")


def _consent_item(form: FormDef) -> Key | None:
    for group, item in form.items():
        if item.screening == "informed_consent_date" and not group:
            return ("", 0, item.id)
    return None


def _check_scheduled(forms: FormSet, form: FormDef, visit: str | None) -> None:
    is_log = any(f.id == form.id for f in forms.log())
    if visit is None and not is_log:
        raise InputError(f"{form.label.text('en')} is collected at a visit; name the visit.",
                         field="visit")
    if visit is not None and all(f.id != form.id for f in forms.forms_at(visit)):
        raise InputError(f"{form.label.text('en')} is not collected at visit {visit}.",
                         field="visit", value=visit,
                         hint="See the visit schedule of the forms file for where it belongs.")


def _visit_row(session: Session, subject: Subject, code: str | None,
               occurrence: int) -> Visit | None:
    if code is None:
        return None
    visit = visit_of(session, subject, code, occurrence)
    if visit is None:
        visit = Visit(subject_pk=subject.id, code=code, occurrence=occurrence,
                      status="planned", subject_ref=subject.subject_ref,
                      visit_ref=visit_ref(code, occurrence))
        session.add(visit)
        session.flush()
    return visit


def _apply_items(session: Session, inst: FormInstance, data: Mapping[Key, Entry]
                 ) -> list[Key]:
    """Insert, update and delete item rows to match ``data``; return the changed keys."""
    existing = {(r.group_id, r.row_no, r.item_id): r for r in session.scalars(
        select(ItemValue).where(ItemValue.form_instance_id == inst.id))}
    changed: list[Key] = []
    for key, entry in data.items():
        if entry.value is None:
            continue
        row = existing.pop(key, None)
        if row is None:
            session.add(ItemValue(
                form_instance_id=inst.id, group_id=key[0], row_no=key[1], item_id=key[2],
                value=entry.value, unit=entry.unit, lln=entry.lln, uln=entry.uln,
                subject_ref=inst.subject_ref, visit_ref=inst.visit_ref,
                form_ref=inst.form_ref, item_ref=item_ref(*key)))
            changed.append(key)
        elif (row.value, row.unit, row.lln, row.uln) != (entry.value, entry.unit,
                                                          entry.lln, entry.uln):
            row.value, row.unit, row.lln, row.uln = (entry.value, entry.unit, entry.lln,
                                                     entry.uln)
            changed.append(key)
    for key, row in existing.items():
        session.delete(row)
        changed.append(key)
    return changed


def _reset_sdv(session: Session, inst: FormInstance, changed: list[Key]) -> int:
    marks = session.scalars(select(SdvMark).where(SdvMark.form_instance_id == inst.id)).all()
    keys = set(changed)
    count = 0
    for mark in marks:
        if (mark.group_id, mark.row_no, mark.item_id) in keys:
            append_event(session.connection(), "sdv_reset", table="sdv_mark",
                         row_key=str(mark.id), subject_ref=inst.subject_ref,
                         visit_ref=inst.visit_ref, form_ref=inst.form_ref,
                         item_ref=mark.item_ref, old="verified", new="value changed")
            session.delete(mark)
            count += 1
    return count


def invalidate_signatures(session: Session, subject: Subject, inst: FormInstance | None,
                          why: str) -> int:
    """Mark the form's and the casebook's valid signatures invalidated (ES-2), audited."""
    query = select(Signature).where(Signature.subject_pk == subject.id,
                                    Signature.invalidated_at.is_(None))
    count = 0
    for sig in session.scalars(query):
        if sig.form_instance_id is not None and (inst is None
                                                 or sig.form_instance_id != inst.id):
            continue
        sig.invalidated_at = now_utc()
        sig.invalidated_reason = why
        append_event(session.connection(), "signature_invalidated", table="signature",
                     row_key=str(sig.id), subject_ref=sig.subject_ref,
                     visit_ref=sig.visit_ref, form_ref=sig.form_ref,
                     old=f"signed by {sig.printed_name}: {sig.meaning}", new=why)
        count += 1
    return count


def _auto_queries(session: Session, actor: Actor, subject: Subject, inst: FormInstance,
                  warnings: tuple[Finding, ...]) -> int:
    """Raise one query per new warning; close auto queries whose warning went away."""
    open_auto = {(q.group_id, q.row_no, q.item_id, q.check_code): q for q in session.scalars(
        select(Query).where(Query.form_instance_id == inst.id, Query.origin == "auto",
                            Query.status != "closed"))}
    raised = 0
    for finding in warnings:
        group, row_no, item = finding.key or ("", 0, "")
        code = f"{finding.code}:{finding.check_id}" if finding.check_id else finding.code
        if open_auto.pop((group, row_no, item, code), None) is not None:
            continue
        session.add(Query(
            subject_pk=subject.id, form_instance_id=inst.id, group_id=group, row_no=row_no,
            item_id=item, origin="auto", check_code=code, status="open",
            text=finding.message, raised_by=actor.username, raised_at=now_utc(),
            subject_ref=inst.subject_ref, visit_ref=inst.visit_ref, form_ref=inst.form_ref,
            item_ref=item_ref(group, row_no, item)))
        raised += 1
    for query in open_auto.values():
        query.status = "closed"
        query.closed_by = actor.username
        query.closed_at = now_utc()
        query.answer = (query.answer or "") + " [closed: the check passes after the change]"
    return raised


def _existing_instance(session: Session, subject: Subject, visit: Visit | None,
                       form: FormDef, expected_version: int | None, reason: str
                       ) -> FormInstance | None:
    inst = instance_of(session, subject, visit, form.id, for_update=True)
    if inst is None:
        if expected_version not in (None, 0):
            raise ConflictError(f"{form.label.text('en')} of {subject_label(subject)} no "
                                "longer exists at the version you edited.",
                                hint="Reload the form.")
        return None
    if inst.locked:
        raise WorkflowError(f"{form.label.text('en')} of {subject_label(subject)} is locked.",
                            hint="A data manager can unlock it with a reason.")
    if expected_version is None or expected_version != inst.version:
        raise ConflictError(
            f"{form.label.text('en')} of {subject_label(subject)} was saved by "
            f"{inst.saved_by or 'someone'} after you opened it (version {inst.version}, you "
            f"edited version {expected_version}). Nothing was overwritten.",
            field="version", value=expected_version,
            hint="Reload the form, check the other change, and enter yours again.")
    return inst


def _need_reason(form: FormDef, reason: str) -> None:
    if not reason.strip():
        raise WorkflowError(
            f"{form.label.text('en')} is already saved: a change needs a reason "
            "(ICH E6(R3) 4.2.4; 21 CFR 11.10(e)).", field="reason",
            hint="Say why the data change, e.g. 'transcription error, see lab report'.")


def _new_instance(session: Session, subject: Subject, visit: Visit | None, form: FormDef,
                  forms: FormSet) -> FormInstance:
    inst = FormInstance(
        subject_pk=subject.id, visit_pk=None if visit is None else visit.id, form_id=form.id,
        form_version=forms.version, status="in_progress", locked=False, content_hash="",
        subject_ref=subject.subject_ref, visit_ref="" if visit is None else visit.visit_ref,
        form_ref=form.id)
    session.add(inst)
    session.flush()
    return inst


def _before_consent(subject: Subject, form: FormDef, forms: FormSet) -> None:
    if subject.consented_on is None and form.id not in consent_form_ids(forms):
        raise WorkflowError(
            f"No trial data can be entered for {subject_label(subject)} before informed "
            "consent is recorded (ICH E6(R3) 2.8; 21 CFR 11.10(f)).", field="consent",
            hint="Enter the informed consent form first.")


def _update_consent(subject: Subject, form: FormDef, data: Mapping[Key, Entry]) -> None:
    key = _consent_item(form)
    if key is None:
        return
    value = data.get(key, Entry(None)).value
    subject.consented_on = (date.fromisoformat(value) if value and value != "none" else None)


def save_form(db: Database, actor: Actor, ctx: TrialContext, subject: str, form_id: str,
              values: Mapping[Any, Any], *, visit: str | None = None, occurrence: int = 1,
              expected_version: int | None = None, reason: str = "",
              today: date | None = None) -> SavedForm:
    """Enter or correct one form of one subject; return what the save did.

    Raises:
        FormRejected: the form's checks found errors (nothing saved).
        ConflictError: someone saved the form after ``expected_version`` (nothing saved).
        WorkflowError: before consent, after a lock, or a change without a reason.
        PermissionDenied: the actor may not enter data at the subject's site.
    """
    forms = forms_of(ctx)
    form = forms.form(form_id)
    _check_scheduled(forms, form, visit)
    result = check_form(form, as_form_data(values), today=today or now_utc().date(),
                        code_lists=forms.code_lists)
    if result.errors:
        raise FormRejected(form, result.errors)
    try:
        with db.transaction(actor, reason=reason) as session:
            return _save(session, actor, ctx, forms, form, subject, visit, occurrence,
                         expected_version, reason, result)
    except StaleDataError as exc:
        raise ConflictError(f"{form.label.text('en')} was saved by someone else at the same "
                            "moment. Nothing was overwritten.",
                            hint="Reload the form and enter your change again.") from exc


def _save(session: Session, actor: Actor, ctx: TrialContext, forms: FormSet, form: FormDef,
          subject_ref: str, visit_code: str | None, occurrence: int,
          expected_version: int | None, reason: str, result: Any) -> SavedForm:
    subject = find_subject(session, subject_ref, for_update=True)
    require(session, actor, "enter_data", subject.site_id)
    ensure_writable(session, ctx, subject)
    _before_consent(subject, form, forms)
    ensure_enrolled_for(ctx, subject, visit_code)
    visit = _visit_row(session, subject, visit_code, occurrence)
    inst = _existing_instance(session, subject, visit, form, expected_version, reason)
    existed = inst is not None
    if inst is None:
        inst = _new_instance(session, subject, visit, form, forms)
    data = result.data
    changed = _apply_items(session, inst, data)
    if existed and not changed:
        # Saved again unchanged: nothing to record, no new version, no reason needed.
        return SavedForm(inst.id, form.id, inst.version, (), result.warnings, 0, 0, 0)
    if existed:
        _need_reason(form, reason)  # raising here rolls the item changes back
    digest = content_hash(data)
    invalidated = reset = 0
    if changed:
        why = f"{form.label.text('en')} changed: {reason}"
        invalidated = invalidate_signatures(session, subject, inst, why)
        reset = _reset_sdv(session, inst, changed)
    inst.content_hash = digest
    inst.status = "complete"
    inst.saved_at = now_utc()
    inst.saved_by = actor.username
    _update_consent(subject, form, data)
    raised = _auto_queries(session, actor, subject, inst, result.warnings)
    session.flush()
    return SavedForm(inst.id, form.id, inst.version, tuple(item_ref(*k) for k in changed),
                     result.warnings, raised, invalidated, reset)


def _form_with_record(forms: FormSet, record_type: str) -> FormDef:
    for form in forms.forms:
        maps = [form.record, *(g.record for g in form.groups())]
        if any(m is not None and m.type == record_type for m in maps):
            return form
    raise NotFoundError(f"The forms of this trial have no form for {record_type} records.")


def report_ae(db: Database, actor: Actor, ctx: TrialContext, subject: str,
              values: Mapping[Any, Any], **kwargs: Any) -> SavedForm:
    """Save the adverse-event log form (the form whose rows map to AdverseEvent)."""
    form = _form_with_record(forms_of(ctx), "AdverseEvent")
    return save_form(db, actor, ctx, subject, form.id, values, **kwargs)


def record_dosing(db: Database, actor: Actor, ctx: TrialContext, subject: str,
                  values: Mapping[Any, Any], **kwargs: Any) -> SavedForm:
    """Save the dosing form (the form whose rows map to DosingRecord)."""
    form = _form_with_record(forms_of(ctx), "DosingRecord")
    return save_form(db, actor, ctx, subject, form.id, values, **kwargs)
