"""Finding rows and naming them the same way everywhere (shared by the services)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from oncotrial.context import TrialContext
from oncotrial.errors import ProtocolError, ProtocolProblem
from oncotrial.forms import Entry, FormData, FormSet, form_data
from oncotrial.services.errors import NotFoundError, WorkflowError
from oncotrial.store.models import FormInstance, ItemValue, Subject, TrialState, Visit

__all__ = [
    "as_form_data",
    "content_hash",
    "entry_hash",
    "find_subject",
    "forms_of",
    "instance_data",
    "item_ref",
    "trial_state",
    "visit_ref",
]


def forms_of(ctx: TrialContext) -> FormSet:
    """The trial's forms; the store cannot work without them."""
    if ctx.forms is None:
        raise ProtocolError(ctx.protocol_id, [ProtocolProblem(
            "forms", "the trial has no case report forms loaded",
            "Put the forms file beside the protocol (docs/forms.md) and load the trial with "
            "oncotrial.services.trial.load_trial.")])
    return ctx.forms


def find_subject(session: Session, ref: str, *, for_update: bool = False) -> Subject:
    """A subject by subject id (``HCH-001``), screening number or pseudonym (what a
    statistician sees)."""
    query = select(Subject).where(or_(Subject.subject_id == ref,
                                      Subject.screening_number == ref,
                                      Subject.pseudonym == ref))
    if for_update:
        query = query.with_for_update()
    subject = session.scalar(query)
    if subject is None:
        raise NotFoundError(f"There is no subject {ref!r}.", field="subject", value=ref,
                            hint="Give the subject id (e.g. HCH-001) or the screening number.")
    return subject


def trial_state(session: Session, ctx: TrialContext) -> TrialState:
    """The trial's state row, made on first use."""
    state = session.scalar(select(TrialState).where(TrialState.protocol_id == ctx.protocol_id))
    if state is None:
        state = TrialState(protocol_id=ctx.protocol_id, database_locked=False)
        session.add(state)
        session.flush()
    return state


def ensure_database_open(session: Session, ctx: TrialContext) -> None:
    """Refuse any write once the database is locked for analysis (L-4): data, queries,
    source-data verification, signatures, locks and new subjects alike."""
    if trial_state(session, ctx).database_locked:
        raise WorkflowError(f"The {ctx.protocol_id} database is locked for analysis; nothing "
                            "can be changed.", hint="An administrator can unlock it with a "
                            "documented reason.")


def ensure_writable(session: Session, ctx: TrialContext, subject: Subject) -> None:
    """Refuse any change after database or casebook lock (V-3, L-4)."""
    if trial_state(session, ctx).database_locked:
        raise WorkflowError(f"The {ctx.protocol_id} database is locked for analysis; no data "
                            "can be changed.", hint="An administrator can unlock it with a "
                            "documented reason.")
    if subject.casebook_locked:
        raise WorkflowError(f"The casebook of {subject_label(subject)} is locked.",
                            hint="A data manager can unlock it with a reason.")


def screening_visits(ctx: TrialContext) -> frozenset[str]:
    """The visits before enrolment: those planned before the enrolment day (``SCR``)."""
    return frozenset(v.code for v in ctx.protocol.visits if v.anchor == "enrolment" and v.day < 0)


def ensure_enrolled_for(ctx: TrialContext, subject: Subject, visit_code: str | None) -> None:
    """Refuse data of a treatment or follow-up visit before enrolment (V-3: no study data
    before consent and eligibility). Screening visits and subject-level log forms (adverse
    events and medications from consent on) are allowed once consent is recorded, and so are
    unscheduled visits (``UNS``: a repeat blood count during screening, say)."""
    if visit_code in (None, "UNS") or subject.subject_id is not None:
        return
    if visit_code not in screening_visits(ctx):
        raise WorkflowError(
            f"{subject.screening_number} is not enrolled: visit {visit_code} comes after "
            "enrolment (21 CFR 11.10(f); ICH E6(R3) 2.8).", field="visit", value=visit_code,
            hint="Complete screening and enrol the patient first; screening data go to "
                 f"visit {', '.join(sorted(screening_visits(ctx))) or 'SCR'}.")


def subject_label(subject: Subject) -> str:
    """Subject id once enrolled, else the screening number."""
    return subject.subject_id or subject.screening_number


def visit_ref(code: str | None, occurrence: int = 1) -> str:
    """How a visit is named in the audit trail.

    >>> visit_ref("TA", 3), visit_ref("SCR"), visit_ref(None)
    ('TA.3', 'SCR', '')
    """
    if code is None:
        return ""
    return code if occurrence == 1 else f"{code}.{occurrence}"


def item_ref(group_id: str, row_no: int, item_id: str) -> str:
    """How an item is named in the audit trail.

    >>> item_ref("", 0, "anc"), item_ref("lesions", 2, "diameter_mm")
    ('anc', 'lesions[2].diameter_mm')
    """
    return f"{group_id}[{row_no}].{item_id}" if group_id else item_id


def as_form_data(values: Mapping[Any, Any]) -> dict[tuple[str, int, str], Entry]:
    """Accept stored-style keys ``(group, row, item) -> Entry`` or the nested form."""
    if values and all(isinstance(k, tuple) for k in values):
        return {k: v if isinstance(v, Entry) else Entry(str(v)) for k, v in values.items()}
    return form_data(dict(values))


def entry_hash(entry: Entry) -> str:
    """SHA-256 of one value with its unit and range: what SDV and signatures bind to."""
    text = json.dumps([entry.value, entry.unit, entry.lln, entry.uln])
    return hashlib.sha256(text.encode()).hexdigest()


def content_hash(data: FormData) -> str:
    """SHA-256 of a form's canonical content (sorted keys), bound by signatures (ES-2)."""
    rows = sorted([list(key), e.value, e.unit, e.lln, e.uln] for key, e in data.items()
                  if e.value is not None)
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


def instance_data(session: Session, instance_ids: Iterable[int]
                  ) -> dict[int, dict[tuple[str, int, str], Entry]]:
    """The stored values of several form instances, keyed by instance.

    Read as plain rows, not ORM objects: a two-year casebook holds thousands of answers and
    only reads them, so the identity map and attribute instrumentation would be pure cost
    (``docs/benchmarks.md``). Ids go in chunks of 500 to stay under the bound-parameter limits
    of the back ends.
    """
    ids = list(instance_ids)
    out: dict[int, dict[tuple[str, int, str], Entry]] = {i: {} for i in ids}
    columns = (ItemValue.form_instance_id, ItemValue.group_id, ItemValue.row_no,
               ItemValue.item_id, ItemValue.value, ItemValue.unit, ItemValue.lln, ItemValue.uln)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for fid, group, row_no, item, value, unit, lln, uln in session.execute(
                select(*columns).where(ItemValue.form_instance_id.in_(chunk))):
            out[fid][(group, row_no, item)] = Entry(value, unit, lln, uln)
    return out


def visit_of(session: Session, subject: Subject, code: str, occurrence: int) -> Visit | None:
    """The subject's visit with this code and occurrence, if recorded or planned."""
    return session.scalar(select(Visit).where(
        Visit.subject_pk == subject.id, Visit.code == code, Visit.occurrence == occurrence))


def instance_of(session: Session, subject: Subject, visit: Visit | None,
                form_id: str, *, for_update: bool = False) -> FormInstance | None:
    """The subject's instance of a form at a visit (None visit: a log form)."""
    query = select(FormInstance).where(
        FormInstance.subject_pk == subject.id, FormInstance.form_id == form_id,
        FormInstance.visit_pk.is_(None) if visit is None else FormInstance.visit_pk == visit.id)
    if for_update:
        query = query.with_for_update()
    return session.scalar(query)


def iso(day: date | None) -> str | None:
    """ISO text of a date, or None."""
    return None if day is None else day.isoformat()
