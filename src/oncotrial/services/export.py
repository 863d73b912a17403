"""Reading stored data back as the shared records: casebooks and the exchange-format export.

The records are rebuilt from the stored item values by the one mapping of
:mod:`oncotrial.forms.mapping`; nothing derived is stored. ``oncotrial export json`` writes the
whole trial in the exchange format (``docs/exchange-format.md``) that ``oncotrial analyze``
reads, so the endpoints of the stored data are the endpoints of the export. A statistician's
export carries pseudonyms instead of subject ids (ICH E6(R3) 2.5).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from oncotrial.context import TrialContext
from oncotrial.endpoints import Dataset, dump_exchange
from oncotrial.forms import Entry
from oncotrial.forms.mapping import SubjectRecords, records_for
from oncotrial.services.access import Actor, can, require
from oncotrial.services.database import Database
from oncotrial.services.errors import PermissionDenied
from oncotrial.services.lookup import find_subject, forms_of, instance_data, subject_label
from oncotrial.services.subjects import subject_forms
from oncotrial.services.workflow import SignatureView
from oncotrial.store.audit import append_event
from oncotrial.store.models import FormInstance, Query, SdvMark, Signature, Subject, Visit

__all__ = ["Casebook", "CasebookForm", "export_dataset", "export_json", "load_casebook"]


def _pseudonymise(records: SubjectRecords, pseudonym: str) -> SubjectRecords:
    """The same records with the subject id replaced by the pseudonym everywhere."""
    changed: dict[str, Any] = {}
    for name in SubjectRecords.__dataclass_fields__:
        value = getattr(records, name)
        if isinstance(value, tuple):
            changed[name] = tuple(replace(r, subject_id=pseudonym) for r in value)
        elif value is not None and hasattr(value, "subject_id"):
            changed[name] = replace(value, subject_id=pseudonym)
    return replace(records, **changed)


def _subject_records(session: Session, ctx: TrialContext, actor: Actor
                     ) -> list[SubjectRecords]:
    forms = forms_of(ctx)
    out = []
    rights: dict[int, tuple[bool, bool]] = {}  # site -> (may export, sees identities)
    for subject in session.scalars(select(Subject).where(Subject.subject_id.is_not(None))
                                   .order_by(Subject.subject_id)):
        if subject.site_id not in rights:
            rights[subject.site_id] = (can(session, actor, "export", subject.site_id),
                                       can(session, actor, "view", subject.site_id))
        may_export, sees = rights[subject.site_id]
        if may_export:
            records = records_for(forms, subject_forms(session, subject))
            if not sees:
                records = _pseudonymise(records, subject.pseudonym)
            out.append(records)
    return out


def _dataset(all_records: list[SubjectRecords]) -> Dataset:
    return Dataset(
        subjects=tuple(r.subject for r in all_records if r.subject is not None),
        dosing=tuple(x for r in all_records for x in r.dosing),
        assessments=tuple(x for r in all_records for x in r.assessments),
        deaths=tuple(x for r in all_records for x in r.deaths),
        contacts=tuple(x for r in all_records for x in r.contacts),
        new_therapies=tuple(x for r in all_records for x in r.new_therapies),
        discontinuations=tuple(x for r in all_records for x in r.discontinuations),
    )


def export_dataset(db: Database, actor: Actor, ctx: TrialContext) -> Dataset:
    """The enrolled subjects' records as one endpoints :class:`Dataset`."""
    with db.transaction(actor, reason="export") as session:
        require(session, actor, "export")
        return _dataset(_subject_records(session, ctx, actor))


def export_json(db: Database, actor: Actor, ctx: TrialContext, out: Path) -> list[Path]:
    """Write the trial in the exchange format (JSON files) to folder ``out``; audited."""
    with db.transaction(actor, reason="export json") as session:
        require(session, actor, "export")
        dataset = _dataset(_subject_records(session, ctx, actor))
        append_event(session.connection(), "export", table="workflow",
                     new=f"exchange format (JSON), {len(dataset.subjects)} subjects")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in sorted(dump_exchange(dataset, fmt="json").items()):
        path = out / name
        path.write_text(content, encoding="utf-8")
        written.append(path)
    return written


@dataclass(frozen=True, slots=True)
class CasebookForm:
    """One form of a casebook: values, SDV state per item, open queries, signatures."""

    form_instance_id: int
    form_id: str
    visit: str
    visit_on: date | None
    version: int
    status: str
    locked: bool
    saved_at: datetime | None
    saved_by: str | None
    values: dict[tuple[str, int, str], Entry]
    verified: frozenset[tuple[str, int, str]]
    open_queries: int


@dataclass(frozen=True, slots=True)
class Casebook:
    """Everything stored for one subject, as the actor may see it."""

    subject: str
    pseudonymised: bool
    status: str
    enrolled_on: date | None
    forms: tuple[CasebookForm, ...]
    signatures: tuple[SignatureView, ...]


def _verified(session: Session, ids: list[int], data: dict[int, dict[tuple[str, int, str],
              Entry]]) -> dict[int, set[tuple[str, int, str]]]:
    from oncotrial.services.lookup import entry_hash

    out: dict[int, set[tuple[str, int, str]]] = {i: set() for i in ids}
    for mark in session.scalars(select(SdvMark).where(SdvMark.form_instance_id.in_(ids))):
        key = (mark.group_id, mark.row_no, mark.item_id)
        entry = data[mark.form_instance_id].get(key)
        if entry is not None and entry_hash(entry) == mark.value_hash:
            out[mark.form_instance_id].add(key)
    return out


def load_casebook(db: Database, actor: Actor, ctx: TrialContext, subject: str) -> Casebook:
    """A subject's casebook in one read (statisticians get the pseudonymised view)."""
    with db.transaction(actor, reason="") as session:
        row = find_subject(session, subject)
        pseudo = not can(session, actor, "view", row.site_id)
        if pseudo and not can(session, actor, "view_pseudonymised", row.site_id):
            raise PermissionDenied(f"{actor.username} may not see this subject's casebook.")
        rows = session.execute(
            select(FormInstance, Visit).outerjoin(Visit, Visit.id == FormInstance.visit_pk)
            .where(FormInstance.subject_pk == row.id).order_by(FormInstance.id)).all()
        ids = [inst.id for inst, _ in rows]
        data = instance_data(session, ids)
        verified = _verified(session, ids, data)
        open_q: dict[int, int] = {}
        for q in session.scalars(select(Query).where(Query.subject_pk == row.id,
                                                     Query.status != "closed")):
            open_q[q.form_instance_id] = open_q.get(q.form_instance_id, 0) + 1
        forms = tuple(CasebookForm(
            inst.id, inst.form_id, "" if visit is None else visit.visit_ref,
            None if visit is None else visit.actual_on, inst.version, inst.status,
            inst.locked, inst.saved_at, None if pseudo else inst.saved_by, data[inst.id],
            frozenset(verified[inst.id]), open_q.get(inst.id, 0)) for inst, visit in rows)
        sigs = tuple(SignatureView(s.id, s.printed_name, s.signed_at, s.meaning,
                                   s.content_hash, s.invalidated_at, s.invalidated_reason)
                     for s in session.scalars(select(Signature).where(
                         Signature.subject_pk == row.id).order_by(Signature.id)))
        return Casebook(row.pseudonym if pseudo else subject_label(row), pseudo, row.status,
                        row.enrolled_on, forms, sigs)
