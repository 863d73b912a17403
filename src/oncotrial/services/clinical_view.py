"""The clinical views of one subject: tumour response, laboratory grades and adverse events,
and dosing (shell, read only).

One read (:func:`load_subject_clinical`) gives what is stored for a subject, each form
instance with its visit and version, and the shared records rebuilt by the one mapping of
:mod:`oncotrial.forms.mapping`. The derivations are the core's, never repeated here:

* :func:`tumour_view`: :func:`oncotrial.recist.evaluate` on the lesion records (sums, change
  from baseline, nadir, time-point response with its code and reason), the baseline checks of
  :func:`oncotrial.recist.check_baseline` with the protocol's imaging window, and the spider
  line of :func:`oncotrial.recist.derive_spider`.
* :func:`labs_view`: every laboratory result with its CTCAE v5.0 grade
  (:func:`oncotrial.ctcae.grade_lab_result`, against the subject's screening value as the
  baseline), the AEs the grades suggest (:func:`oncotrial.ctcae.suggest_adverse_events`) and
  the SAE clock (:func:`oncotrial.ctcae.sae_report_due`, the protocol's hours).
* :func:`dosing_view`: the dosing diary, capsule accountability, and today's recommendation
  of :func:`oncotrial.dosing.recommend` with the protocol's rules, carried through every
  blood count since the first dose so that a hold or a reduction is not forgotten.

Access: site staff with ``view`` see the subject; a statistician (``view_pseudonymised``)
sees the pseudonymised view; anyone else gets :class:`PermissionDenied`. Entering data goes
through :func:`oncotrial.services.save_form` and :func:`oncotrial.services.report_ae`, which
check the right to enter data themselves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from oncotrial.clinical import analyte_key
from oncotrial.context import TrialContext
from oncotrial.ctcae import (
    AdverseEvent,
    Grade,
    LabGrade,
    LabObservation,
    SuggestedAdverseEvent,
    bundled_dictionary,
    grade_lab_result,
    sae_report_due,
    suggest_adverse_events,
)
from oncotrial.dosing import (
    Action,
    BloodCounts,
    CbcTerm,
    DoseRecommendation,
    DosingState,
    Toxicity,
    ToxicityCategory,
    TreatmentCalendar,
    recommend,
)
from oncotrial.errors import Finding, InputError, OncotrialError
from oncotrial.forms import Entry, FormDef, FormSet
from oncotrial.forms.mapping import FormRecord, SubjectForms, SubjectRecords, records_for
from oncotrial.recist import (
    Evaluation,
    SpiderPoint,
    TimepointResponse,
    check_baseline,
    derive_spider,
    evaluate,
    inputs_from_measurements,
)
from oncotrial.records import LabResult
from oncotrial.services.access import Actor, can
from oncotrial.services.database import Database
from oncotrial.services.errors import PermissionDenied
from oncotrial.services.lookup import find_subject, forms_of, instance_data, subject_label
from oncotrial.store.models import FormInstance, Visit

__all__ = [
    "DosingView",
    "LabRow",
    "LabsView",
    "SaeClock",
    "StoredForm",
    "SubjectClinical",
    "TumourView",
    "ae_terms",
    "dosing_view",
    "lab_forms",
    "labs_view",
    "load_subject_clinical",
    "situation_on",
    "tumour_view",
    "visit_label",
]

Key = tuple[str, int, str]

#: Lab grades from this grade up, worse than the screening grade, without an AE record are
#: suggested as AEs. Grade 1 results are shown with their grade but not suggested: an AE for a
#: grade 1 laboratory abnormality is the investigator's call when clinically significant.
SUGGEST_MIN_GRADE = 2

#: Blood-count and febrile-neutropenia terms follow the haematological dose rules.
_HAEM_TERMS = frozenset({*(t.value for t in CbcTerm), "Febrile neutropenia"})


# --- the one read --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredForm:
    """One stored form instance with its visit (None for a log form) and its answers."""

    form_instance_id: int
    form_id: str
    visit_code: str | None
    occurrence: int
    visit_on: dt.date | None
    version: int
    locked: bool
    data: Mapping[Key, Entry]


@dataclass(frozen=True, slots=True)
class SubjectClinical:
    """What the clinical pages of one subject read, as the actor may see it."""

    subject: str
    pseudonymised: bool
    status: str
    enrolled_on: dt.date | None
    may_enter: bool
    forms: tuple[StoredForm, ...]
    records: SubjectRecords
    problem: str | None = None

    def instance(self, form_id: str, visit_code: str | None, occurrence: int = 1
                 ) -> StoredForm | None:
        """The stored instance of ``form_id`` at a visit (None: a log form), if any."""
        for stored in self.forms:
            if (stored.form_id == form_id and stored.visit_code == visit_code
                    and (visit_code is None or stored.occurrence == occurrence)):
                return stored
        return None

    def of_form(self, form_id: str) -> tuple[StoredForm, ...]:
        """Every stored instance of ``form_id``."""
        return tuple(s for s in self.forms if s.form_id == form_id)


def load_subject_clinical(db: Database, actor: Actor, ctx: TrialContext, subject: str
                          ) -> SubjectClinical:
    """A subject's stored forms and records for the clinical pages, in one read.

    Raises:
        NotFoundError: no such subject.
        PermissionDenied: the actor may not see the subject (another site, or no role that
            views subjects).
    """
    forms = forms_of(ctx)
    with db.transaction(actor, reason="") as session:
        row = find_subject(session, subject)
        pseudo = not can(session, actor, "view", row.site_id)
        if pseudo and not can(session, actor, "view_pseudonymised", row.site_id):
            raise PermissionDenied(
                f"{actor.full_name} ({actor.username}) may not see subject {subject} here.",
                field="role", value="view",
                hint="This needs a site role at the subject's site (investigator, "
                     "coordinator, monitor, data manager) or the statistician role.")
        may_enter = can(session, actor, "enter_data", row.site_id)
        rows = session.execute(
            select(FormInstance, Visit).outerjoin(Visit, Visit.id == FormInstance.visit_pk)
            .where(FormInstance.subject_pk == row.id).order_by(FormInstance.id)).all()
        data = instance_data(session, [inst.id for inst, _ in rows])
        label = row.pseudonym if pseudo else subject_label(row)
        stored = tuple(StoredForm(
            inst.id, inst.form_id, None if visit is None else visit.code,
            1 if visit is None else visit.occurrence, None if visit is None else visit.actual_on,
            inst.version, inst.locked, data[inst.id]) for inst, visit in rows)
        status, enrolled_on = row.status, row.enrolled_on
    subject_forms = SubjectForms(label, enrolled_on, tuple(
        FormRecord(s.form_id, s.visit_code, s.visit_on, s.data) for s in stored))
    problem = None
    try:
        records = records_for(forms, subject_forms)
    except OncotrialError as exc:  # stored data that make no record: show what there is
        records, problem = SubjectRecords(None), exc.message
    return SubjectClinical(label, pseudo, status, enrolled_on, may_enter, stored, records,
                           problem)


def ae_terms() -> tuple[str, ...]:
    """The CTCAE v5.0 terms an AE can be recorded under (the bundled dictionary)."""
    return tuple(sorted(t.term for t in bundled_dictionary()))


def _first_dose_on(clinical: SubjectClinical) -> dt.date | None:
    """The first dose: the earliest dosing stretch at a dose above 0, else the C1D1 date."""
    doses = [d.start_on for d in clinical.records.dosing if d.daily_dose_mg > 0]
    if doses:
        return min(doses)
    return _visit_date(clinical, "C1D1", 1)


def _date_item(form: FormDef) -> str | None:
    for group, item in form.items():
        if not group and item.type == "date":
            return item.id
    return None


def _visit_date(clinical: SubjectClinical, code: str, occurrence: int) -> dt.date | None:
    """The date of a visit: recorded, else the first date entered on one of its forms."""
    found: list[dt.date] = []
    for stored in clinical.forms:
        if stored.visit_code != code or stored.occurrence != occurrence:
            continue
        if stored.visit_on is not None:
            return stored.visit_on
        for (group, _, _), entry in stored.data.items():
            if not group and entry.value and len(entry.value) == 10 and entry.value[4] == "-":
                try:
                    found.append(dt.date.fromisoformat(entry.value))
                except ValueError:
                    continue
    return min(found) if found else None


# --- tumour ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LesionRow:
    """One lesion as measured at one scan."""

    lesion_id: str
    kind: str
    organ: str
    nodal: bool
    state: str
    diameter_mm: float | None
    status: str


@dataclass(frozen=True, slots=True)
class Scan:
    """One tumour_lesions form: its visit, the scan date and its lesions."""

    visit_code: str
    occurrence: int
    measured_on: dt.date | None
    method: str
    lesions: tuple[LesionRow, ...]
    recorded_response: str | None


@dataclass(frozen=True, slots=True)
class TumourView:
    """The subject's lesions, the time points derived from them, and the spider line."""

    scans: tuple[Scan, ...]
    evaluation: Evaluation | None
    baseline_findings: tuple[Finding, ...]
    spider: tuple[SpiderPoint, ...]
    origin: dt.date | None
    problem: str | None = None

    def timepoint_on(self, day: dt.date | None) -> TimepointResponse | None:
        """The time point of the scan on ``day``, if derived."""
        if self.evaluation is None or day is None:
            return None
        for tp in self.evaluation.timepoints:
            if tp.assessed_on == day:
                return tp
        return None


def _float(text: str | None) -> float | None:
    try:
        return None if text is None or text == "" else float(text)
    except ValueError:
        return None


def _scans(clinical: SubjectClinical, form_id: str) -> list[Scan]:
    scans = []
    for stored in clinical.of_form(form_id):
        if stored.visit_code is None:
            continue
        data = stored.data
        rows = sorted({row for (g, row, _) in data if g == "lesions"})

        def value(row: int, item: str, data: Mapping[Key, Entry] = data) -> str:
            entry = data.get(("lesions", row, item))
            return (entry.value or "") if entry else ""

        lesions = tuple(LesionRow(
            value(r, "lesion_id"), value(r, "kind"), value(r, "organ"),
            value(r, "nodal") == "yes", value(r, "state") or "measured",
            _float(value(r, "diameter_mm") or None), value(r, "status")) for r in rows)
        on = data.get(("", 0, "measured_on"))
        method = data.get(("", 0, "method"))
        response = clinical.instance("tumour_response", stored.visit_code, stored.occurrence)
        recorded = None
        if response is not None:
            answer = response.data.get(("", 0, "overall_response"))
            recorded = answer.value if answer else None
        scans.append(Scan(stored.visit_code, stored.occurrence,
                          _date_or_none(on.value if on else None),
                          (method.value or "") if method else "", lesions, recorded))
    return sorted(scans, key=lambda s: (s.measured_on or dt.date.max, s.occurrence))


def _date_or_none(text: str | None) -> dt.date | None:
    try:
        return None if not text else dt.date.fromisoformat(text)
    except ValueError:
        return None


def tumour_view(ctx: TrialContext, clinical: SubjectClinical,
                form_id: str = "tumour_lesions") -> TumourView:
    """Sums, change from baseline, nadir and time-point responses by RECIST 1.1, the
    baseline checks (protocol imaging window before enrolment) and the spider line (% change
    from baseline by day since the first dose)."""
    scans = tuple(_scans(clinical, form_id))
    rows = clinical.records.lesions
    origin = _first_dose_on(clinical) or clinical.enrolled_on
    if not rows:
        return TumourView(scans, None, (), (), origin, clinical.problem)
    try:
        baseline, assessments = inputs_from_measurements(rows)
        window = ctx.protocol.screening.imaging_max_days_before_enrolment
        findings = check_baseline(
            baseline, reference_date=clinical.enrolled_on,
            imaging_window_days=window if clinical.enrolled_on else None)
        evaluation = evaluate(baseline, assessments)
    except OncotrialError as exc:
        return TumourView(scans, None, (), (), origin, exc.message)
    spider = derive_spider({clinical.subject: evaluation},
                           origins={clinical.subject: origin or evaluation.baseline_on})
    return TumourView(scans, evaluation, findings, spider, origin)


# --- labs and adverse events -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LabRow:
    """One laboratory value with its CTCAE v5.0 grade (or why it has none)."""

    form_id: str
    item_id: str
    analyte: str
    value: float
    text: str
    unit: str
    lln: float | None
    uln: float | None
    baseline: float | None
    grade: LabGrade | None
    not_graded: str | None


@dataclass(frozen=True, slots=True)
class LabPanel:
    """One laboratory form at one visit."""

    form_id: str
    visit_code: str
    occurrence: int
    collected_on: dt.date | None
    rows: tuple[LabRow, ...]
    form_instance_id: int


@dataclass(frozen=True, slots=True)
class SaeClock:
    """A serious AE's reporting clock at ``now``."""

    aware_at: dt.datetime | None
    due_at: dt.datetime | None
    hours_since_awareness: float | None
    hours_left: float | None
    within_hours: int

    @property
    def overdue(self) -> bool:
        return self.hours_left is not None and self.hours_left < 0


@dataclass(frozen=True, slots=True)
class AeRow:
    """One recorded AE (a row of the adverse-event log form)."""

    row: int
    event: AdverseEvent | None
    values: Mapping[str, str]
    serious: bool
    clock: SaeClock | None


@dataclass(frozen=True, slots=True)
class LabsView:
    """Lab panels with grades, AE suggestions and the recorded AEs with their SAE clocks."""

    panels: tuple[LabPanel, ...]
    suggestions: tuple[SuggestedAdverseEvent, ...]
    events: tuple[AeRow, ...]
    ae_form: StoredForm | None
    problem: str | None = None


def lab_forms(forms: FormSet) -> tuple[FormDef, ...]:
    """The forms whose items are laboratory results (``record: LabResult, per_item``)."""
    return tuple(f for f in forms.forms if f.record is not None and f.record.type == "LabResult")


def _lab_rows(form: FormDef, stored: StoredForm) -> tuple[dt.date | None, list[LabResult]]:
    date_item = (form.record.date if form.record else None) or _date_item(form)
    on = stored.data.get(("", 0, date_item or ""))
    day = _date_or_none(on.value if on else None)
    results = []
    for group, item in form.items():
        if group or item.type != "lab" or not item.analyte:
            continue
        entry = stored.data.get(("", 0, item.id))
        number = _float(entry.value if entry else None)
        if entry is None or number is None or day is None:
            continue
        results.append(LabResult("", item.analyte, number, entry.unit, entry.lln, entry.uln,
                                 day))
    return day, results


def _grade(result: LabResult, baseline: LabResult | None) -> tuple[LabGrade | None, str | None]:
    base = (baseline.value if baseline is not None and baseline.unit == result.unit
            and baseline.collected_on < result.collected_on else None)
    try:
        return grade_lab_result(result, baseline=base), None
    except OncotrialError as exc:
        return None, exc.message


def labs_view(ctx: TrialContext, clinical: SubjectClinical, *, now: dt.datetime,
              min_grade: int = SUGGEST_MIN_GRADE) -> LabsView:
    """Every lab value graded by CTCAE v5.0, the AE suggestions and the SAE clocks.

    The baseline of an analyte is its screening (SCR) value: liver tests are graded against
    it when it was above ULN (CTCAE v5.0), and a result is suggested as an AE only when its
    grade is worse than the screening grade.
    """
    forms = forms_of(ctx)
    panels: list[LabPanel] = []
    baselines: dict[str, LabResult] = {}
    pending: list[tuple[FormDef, StoredForm, dt.date | None, list[LabResult]]] = []
    for form in lab_forms(forms):
        for stored in clinical.of_form(form.id):
            if stored.visit_code is None:
                continue
            day, results = _lab_rows(form, stored)
            pending.append((form, stored, day, results))
            if stored.visit_code == "SCR":
                for r in results:
                    known = baselines.get(r.analyte)
                    if known is None or r.collected_on > known.collected_on:
                        baselines[r.analyte] = r
    observations: list[LabObservation] = []
    for form, stored, day, results in pending:
        rows = []
        for result in results:
            is_baseline = stored.visit_code == "SCR"
            base = None if is_baseline else baselines.get(result.analyte)
            grade, why = _grade(result, base)
            entry = stored.data[("", 0, _item_of(form, result.analyte))]
            rows.append(LabRow(form.id, _item_of(form, result.analyte), result.analyte,
                               result.value, entry.value or "", result.unit, result.lln,
                               result.uln, None if base is None else base.value, grade, why))
            if not is_baseline and grade is not None and grade.grade is not None:
                base_grade = Grade.G0
                if base is not None:
                    graded, _ = _grade(base, None)
                    if graded is not None and graded.term == grade.term and graded.grade:
                        base_grade = graded.grade
                observations.append(LabObservation(
                    clinical.subject, grade.term, result.collected_on, grade.grade,
                    visit_label(stored.visit_code or "", stored.occurrence), base_grade))
        panels.append(LabPanel(form.id, stored.visit_code or "", stored.occurrence, day,
                               tuple(rows), stored.form_instance_id))
    panels.sort(key=lambda p: (p.collected_on or dt.date.max, p.form_id))
    events = clinical.records.adverse_events
    suggestions = suggest_adverse_events(observations, events, min_grade=min_grade)
    ae_form = _ae_form(forms)
    stored_ae = clinical.instance(ae_form.id, None) if ae_form else None
    return LabsView(tuple(panels), suggestions,
                    _ae_rows(ctx, stored_ae, events, now), stored_ae, clinical.problem)


def _item_of(form: FormDef, analyte: str) -> str:
    for group, item in form.items():
        if not group and item.analyte == analyte:
            return item.id
    return analyte


def visit_label(code: str, occurrence: int) -> str:
    """C1D1, C3D1 (Day 1 of a later cycle), C2D15, TA2..., as the site names visits."""
    if code == "CD1":
        return f"C{occurrence + 1}D1"
    if code == "CD15":
        return f"C{occurrence}D15"
    return code if occurrence == 1 else f"{code}{occurrence}"


def _ae_form(forms: FormSet) -> FormDef | None:
    for form in forms.log():
        if any(g.record is not None and g.record.type == "AdverseEvent" for g in form.groups()):
            return form
    return None


def _ae_rows(ctx: TrialContext, stored: StoredForm | None, events: Sequence[AdverseEvent],
             now: dt.datetime) -> tuple[AeRow, ...]:
    if stored is None:
        return ()
    group = next((g for (g, row, _) in stored.data if g), "")
    rows = sorted({row for (g, row, _) in stored.data if g == group})
    out = []
    for n, row in enumerate(rows):
        values = {item: (e.value or "") for (g, r, item), e in stored.data.items()
                  if g == group and r == row}
        event = events[n] if n < len(events) else None
        serious = values.get("serious") == "yes" or bool(values.get("serious_criteria"))
        clock = _clock(ctx, event, now) if serious and event is not None else None
        out.append(AeRow(row, event, values, serious, clock))
    return tuple(out)


def _clock(ctx: TrialContext, event: AdverseEvent, now: dt.datetime) -> SaeClock:
    hours = ctx.sae_report_within_hours
    due = sae_report_due(event, within_hours=hours) if event.serious else None
    aware = event.aware_at
    if aware is None:
        return SaeClock(None, None, None, None, hours)
    since = (now - aware).total_seconds() / 3600
    due = due or aware + dt.timedelta(hours=hours)
    return SaeClock(aware, due, since, (due - now).total_seconds() / 3600, hours)


# --- dosing ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Situation:
    """Where the subject stands on a day: cycle and day, and how that was found."""

    on: dt.date
    cycle: int
    cycle_day: int
    from_calendar: bool


@dataclass(frozen=True, slots=True)
class DosingView:
    """The dosing diary, capsule accountability and today's recommendation."""

    situation: Situation
    recommendation: DoseRecommendation | None
    cbc: BloodCounts | None
    toxicities: tuple[Toxicity, ...]
    history: tuple[DoseRecommendation, ...]
    first_dose_on: dt.date | None
    problem: str | None = None
    diary: tuple[StoredForm, ...] = field(default=())
    accountability: tuple[StoredForm, ...] = field(default=())


def _cycle_starts(clinical: SubjectClinical) -> list[dt.date]:
    first = _visit_date(clinical, "C1D1", 1) or _first_dose_on(clinical)
    if first is None:
        return []
    starts = [first]
    occurrences = sorted({s.occurrence for s in clinical.forms if s.visit_code == "CD1"})
    for occurrence in occurrences:
        day = _visit_date(clinical, "CD1", occurrence)
        if day is not None and day > starts[-1]:
            starts.append(day)
    return starts


def situation_on(ctx: TrialContext, clinical: SubjectClinical, on: dt.date) -> Situation:
    """The cycle and day of ``on`` from the Day-1 dates of the subject's visits (C1D1, then
    CD1 of each later cycle); before the first dose, or after the last cycle has ended
    (a delayed start), Day 1 of the next cycle."""
    starts = _cycle_starts(clinical)
    if not starts or on < starts[0]:
        return Situation(on, 1, 1, False)
    try:
        calendar = TreatmentCalendar.from_cycle_starts(starts, rules=ctx.dose_rules)
    except InputError:
        return Situation(on, len(starts), 1, False)
    found = calendar.locate(on)
    if found is None or found.cycle_day is None:
        cycle = found.cycle if found is not None else len(starts) + 1
        return Situation(on, cycle, 1, True)
    return Situation(on, found.cycle, found.cycle_day, True)


def _toxicities(events: Sequence[AdverseEvent], on: dt.date
                ) -> tuple[tuple[Toxicity, ...], tuple[str, ...]]:
    """The AEs ongoing on ``on`` (worst grade per term) and the terms resolved by then."""
    ongoing: dict[str, Toxicity] = {}
    for event in events:
        category = (ToxicityCategory.HAEMATOLOGICAL if event.term in _HAEM_TERMS
                    else ToxicityCategory.NON_HAEMATOLOGICAL)
        tox = Toxicity.from_adverse_event(event, on=on, category=category)
        if tox is not None and (event.term not in ongoing
                                or tox.grade > ongoing[event.term].grade):
            ongoing[event.term] = tox
    resolved = sorted({e.term for e in events if e.term not in ongoing
                       and e.onset_on <= on and e.resolved_on is not None
                       and e.resolved_on <= on})
    return tuple(ongoing.values()), tuple(resolved)


def dosing_view(ctx: TrialContext, clinical: SubjectClinical, *, on: dt.date,
                cycle: int | None = None, cycle_day: int | None = None,
                dosing_form: str = "dosing",
                accountability_form: str = "capsule_accountability") -> DosingView:
    """Today's recommendation with the protocol's rules.

    The subject's course is replayed from the first blood count on or after the first Day 1
    (its cycle and day from the visits' dates) up to ``on``, each step with the blood count of
    that day and the AEs ongoing then, so that a hold or a reduction carries over; the last
    step is ``on`` itself, with the latest blood count, at ``cycle`` and ``cycle_day`` when
    given (else as the calendar places ``on``).
    """
    rules = ctx.dose_rules
    labs = [lab for lab in clinical.records.labs if lab.collected_on <= on]
    starts = _cycle_starts(clinical)
    diary = clinical.of_form(dosing_form)
    accountability = clinical.of_form(accountability_form)
    first = _first_dose_on(clinical)
    events = clinical.records.adverse_events
    history: list[DoseRecommendation] = []
    state: DosingState | int = rules.starting_dose_mg
    delayed: tuple[int, dt.date] | None = None
    cbc_days = sorted({lab.collected_on for lab in labs if _is_cbc(lab)})
    situation = _where(ctx, clinical, on, None)
    try:
        if starts:
            earliest = starts[0] - dt.timedelta(days=rules.blood_counts.day1_max_age_days)
            for day in cbc_days:
                if day < earliest or day >= on:
                    continue
                where = _where(ctx, clinical, day, delayed)
                step = _step(ctx, state, where, labs, events)[0]
                history.append(step)
                state = step.state
                delayed = _delay_after(step, where, delayed)
        situation = _where(ctx, clinical, on, delayed)
        if cycle is not None and cycle_day is not None:
            situation = Situation(on, cycle, cycle_day, False)
        result, cbc, toxicities = _step(ctx, state, situation, labs, events)
    except OncotrialError as exc:
        return DosingView(situation, None, None, (), tuple(history), first, exc.message,
                          diary, accountability)
    return DosingView(situation, result, cbc, toxicities, tuple(history), first, None, diary,
                      accountability)


def _where(ctx: TrialContext, clinical: SubjectClinical, day: dt.date,
           delayed: tuple[int, dt.date] | None) -> Situation:
    """Where ``day`` falls; while a cycle's Day 1 is on hold (and no later Day 1 has been
    recorded), Day 1 of that delayed cycle, as the dose rules expect."""
    base = situation_on(ctx, clinical, day)
    if delayed is None:
        return base
    cycle, since = delayed
    if any(start > since for start in _cycle_starts(clinical)):
        return base
    return Situation(day, cycle, 1, True)


def _delay_after(step: DoseRecommendation, where: Situation,
                 delayed: tuple[int, dt.date] | None) -> tuple[int, dt.date] | None:
    """A hold on Day 1 delays the cycle until the drug is resumed."""
    if step.action is not Action.HOLD:
        return None
    if delayed is None and where.cycle_day == 1:
        return (where.cycle, where.on)
    return delayed


_CBC_ANALYTES = frozenset({"neutrophils", "platelets", "hemoglobin", "wbc", "lymphocytes"})


def _is_cbc(lab: LabResult) -> bool:
    """Whether the result is one of the blood counts the dose rules read."""
    try:
        return analyte_key(lab.analyte) in _CBC_ANALYTES
    except OncotrialError:
        return False


def _step(ctx: TrialContext, state: DosingState | int, where: Situation,
          labs: Sequence[LabResult], events: Sequence[AdverseEvent]
          ) -> tuple[DoseRecommendation, BloodCounts | None, tuple[Toxicity, ...]]:
    upto = [lab for lab in labs if lab.collected_on <= where.on and _is_cbc(lab)]
    cbc = BloodCounts.from_labs(upto) if upto else None
    toxicities, resolved = _toxicities(events, where.on)
    result = recommend(state, rules=ctx.dose_rules, cycle=where.cycle,
                       cycle_day=where.cycle_day, assessed_on=where.on, cbc=cbc,
                       toxicities=toxicities, resolved=resolved)
    return result, cbc, toxicities
