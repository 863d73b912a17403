"""One enrolled subject's course on study: visits, labs, dosing, AEs, scans, follow-up (shell).

The subject's efficacy course comes from the latent model (:mod:`.outcomes`): when
progression is seen, when the subject dies, whether the subject responds. The treatment course
is simulated visit by visit: Day 1 of each cycle (with its window), the mid-cycle blood counts
of the cycles the protocol names, re-checks the dose rules ask for, unscheduled visits for
grade 3 events, the end-of-treatment visit. At each visit a blood count is drawn (and a
chemistry on Day 1, at re-checks during a hold and at the end of treatment), and the
protocol's dose rules decide through :func:`oncotrial.dosing.recommend`, the same engine a
site uses; it is skipped only at visits where no rule can apply (no hold, no re-check due, no
blood count or other toxicity of grade 3 or worse), where it would say "start" or "continue".
The investigator's part is simulated too: a reduction when the engine flags a prolonged or
recurrent hold, a discontinuation for an adverse event, and the subject's: consent withdrawal,
loss to follow-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple

from oncotrial.dosing import (
    Action,
    BloodCounts,
    DoseRecommendation,
    DosingRules,
    DosingState,
    Flag,
    Toxicity,
    ToxicityCategory,
    recommend,
)
from oncotrial.records import (
    ActionTaken,
    AdverseEvent,
    Contact,
    Death,
    Discontinuation,
    DiscontinuationLevel,
    DiscontinuationReason,
    DosingRecord,
    Grade,
    GradeChange,
    LabResult,
    NewTherapy,
    Outcome,
    Relationship,
    Response,
    SeriousCriterion,
    Sex,
    TherapyType,
)
from oncotrial.synth.labs import Analyte, BloodBands, RatioBands, reference
from oncotrial.synth.schedule import Schedule
from oncotrial.synth.stream import Stream
from oncotrial.synth.toxicity import RELATIONSHIPS, Blood, ClinicalEvent, ClinicalSpec, Liver
from oncotrial.synth.tumour import TumourCourse

__all__ = ["CBC_TERMS", "Course", "Fate", "SubjectRecords"]

#: Blood-count analyte -> CTCAE v5.0 term (the dose rules' counted terms).
CBC_TERMS = {"anc": "Neutrophil count decreased", "wbc": "White blood cell decreased",
             "platelets": "Platelet count decreased", "hemoglobin": "Anemia"}
_LIVER_TERMS = {"alt": "Alanine aminotransferase increased",
                "ast": "Aspartate aminotransferase increased",
                "bilirubin": "Blood bilirubin increased"}
_HAEM_TERMS = frozenset({*CBC_TERMS.values(), "Febrile neutropenia"})
_NEXT_THERAPY = (("lenvatinib", TherapyType.SYSTEMIC, 0.2), ("apatinib", TherapyType.SYSTEMIC,
                 0.2), ("FOLFOX4", TherapyType.SYSTEMIC, 0.15),
                 ("camrelizumab", TherapyType.SYSTEMIC, 0.15),
                 ("regorafenib", TherapyType.SYSTEMIC, 0.1),
                 ("TACE", TherapyType.LOCOREGIONAL, 0.12),
                 ("radiotherapy to bone metastasis", TherapyType.RADIOTHERAPY, 0.08))
#: Causes of death without radiological progression: (cause, CTCAE term of the fatal AE or "",
#: weight) - hepatic decompensation above all in back-line HCC (assumption).
_FN = ClinicalSpec("Febrile neutropenia", "febrile neutropenia", "", 0.0, 1.0, 0.0, True,
                   min_grade=3, serious_g3=1.0)
_DEATH_CAUSES = (("hepatic failure", "Hepatic failure", 0.55),
                 ("clinical disease progression", "", 0.25),
                 ("variceal bleeding", "Upper gastrointestinal hemorrhage", 0.12),
                 ("sepsis", "Sepsis", 0.08))


@lru_cache(maxsize=4)
def _blood_refs(sex: Sex) -> tuple[tuple[str, Analyte, BloodBands], ...]:
    """The blood counts' reference entries and bands for a subject of this sex."""
    return tuple((key, reference(key, sex), BloodBands.of(reference(key, sex)))
                 for key in CBC_TERMS)


@dataclass(frozen=True, slots=True)
class Fate:
    """What the latent model and the subject's draws decided, in days from the first dose.

    ``pd_day`` is the day of the scan that shows progression (None: never seen), ``death_day``
    the day of death (None: after the horizon), ``death_type`` a death without progression;
    ``withdrawal_day`` consent withdrawn; ``ae_stop_day`` the investigator stops treatment for
    an adverse event; ``scans`` the scheduled assessments (index, day, skipped).
    """

    pd_day: int | None
    death_day: int | None
    death_type: bool
    responder: bool
    complete_response: bool
    withdrawal_day: int | None
    ae_stop_day: int | None
    ae_stop_term: str
    febrile_neutropenia: bool
    scans: tuple[tuple[int, int, bool], ...]


@dataclass(slots=True)
class SubjectRecords:
    """Every record of one enrolled subject."""

    dosing: list[DosingRecord] = field(default_factory=list)
    labs: list[LabResult] = field(default_factory=list)
    adverse_events: list[AdverseEvent] = field(default_factory=list)
    deaths: list[Death] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    new_therapies: list[NewTherapy] = field(default_factory=list)
    discontinuations: list[Discontinuation] = field(default_factory=list)
    #: Scheduled tumour assessments skipped while the subject was being scanned: (index, day).
    missed_scans: list[tuple[int, date]] = field(default_factory=list)


class _Episode(NamedTuple):
    term: str
    verbatim: str
    changes: list[tuple[int, int]]
    resolved: int | None
    relationship: Relationship


@dataclass(slots=True)
class _Visit:
    day: int
    cbc: dict[str, int]
    liver: dict[str, int]


@dataclass(slots=True)
class Course:
    """Simulate one subject; :meth:`run` returns the records, all dated on or before the
    cut-off."""

    stream: Stream
    schedule: Schedule
    rules: DosingRules
    subject_id: str
    sex: Sex
    first_dose: date
    cutoff: date
    fate: Fate
    blood: Blood
    liver: Liver
    events: list[ClinicalEvent]
    labs0: dict[str, float]
    tumour: TumourCourse
    new_therapy_share: float
    lost_share: float
    reduce_on_flag: float
    out: SubjectRecords = field(default_factory=SubjectRecords)
    _state: DosingState | int = 0
    _dose_days: dict[int, int] = field(default_factory=dict)
    _visits: list[_Visit] = field(default_factory=list)
    _actions: list[tuple[int, ActionTaken, tuple[str, ...]]] = field(default_factory=list)
    _liver_grade: dict[str, int] = field(default_factory=dict)
    _liver_rel: dict[str, Relationship] = field(default_factory=dict)
    _hold_terms: tuple[str, ...] = ()
    _hold_flagged: bool = False
    _fn_event: ClinicalEvent | None = None
    _stop_day: int = 0
    _stop_reason: DiscontinuationReason | None = None
    _cutoff_day: int = 0
    _chem_baseline: bool = False

    # --- dates -------------------------------------------------------------------------------

    def _date(self, day: int) -> date:
        return self.first_dose + timedelta(days=day)

    # --- the whole course --------------------------------------------------------------------

    def run(self) -> SubjectRecords:
        """Simulate the subject and return the records."""
        self._cutoff_day = (self.cutoff - self.first_dose).days
        self._state = self.schedule.levels_mg[0]
        self._liver_rel = {k: self._relationship(related=self.stream.chance(0.6))
                           for k in _LIVER_TERMS}
        self._plan_stop()
        self._treat()
        # The last day on treatment: the day before the discontinuation (a hold may have kept
        # the last dose earlier), or the cut-off.
        end = min(self._stop_day, self._cutoff_day)
        self._end_of_treatment(end)
        pd_seen = self._scans()
        self._follow_up(end, pd_seen)
        self._write_dosing()
        self._write_adverse_events(end)
        return self.out

    def _plan_stop(self) -> None:
        """The last day a dose may be taken, and why treatment stops then."""
        f = self.fate
        options: list[tuple[int, DiscontinuationReason | None]] = [(self._cutoff_day, None)]
        if f.pd_day is not None:
            options.append((f.pd_day - 1, DiscontinuationReason.PROGRESSIVE_DISEASE))
        if f.death_day is not None:
            if f.death_type and self.stream.chance(0.5) and f.death_day > 8:
                stop = f.death_day - self.stream.integer(3, min(14, f.death_day - 4))
                options.append((stop - 1, DiscontinuationReason.CLINICAL_PROGRESSION))
            else:
                options.append((f.death_day - 1, DiscontinuationReason.DEATH))
        if f.withdrawal_day is not None:
            options.append((f.withdrawal_day - 1, DiscontinuationReason.WITHDRAWAL_OF_CONSENT))
        if f.ae_stop_day is not None:
            options.append((f.ae_stop_day - 1, DiscontinuationReason.ADVERSE_EVENT))
        self._stop_day, self._stop_reason = min(options, key=lambda o: o[0])

    # --- treatment ---------------------------------------------------------------------------

    def _treat(self) -> None:
        cycle, planned = 1, 0
        while planned <= self._stop_day:
            start = self._cycle_start(cycle, planned)
            if start is None:
                return
            planned = start + self.schedule.cycle_days + self._day1_shift()
            if not self._within_cycle(cycle, start, planned):
                return
            cycle += 1

    def _day1_shift(self) -> int:
        low, high = self.schedule.day1_window
        return self.stream.pick((-1, 0, 1, 2), (0.1, 0.6, 0.2, 0.1)) if low <= -1 and high >= 2 \
            else 0

    def _cycle_start(self, cycle: int, day: int) -> int | None:
        """Day 1 of ``cycle``, on ``day`` or later if the dose rules hold it; None: stopped."""
        first = day
        rec = self._visit(day, cycle, 1, cbc=self.blood.day1(self.stream, cycle),
                          chemistry=cycle - 1 if cycle > 1 else -1)
        while rec is not None and rec.action is Action.HOLD:
            day = (rec.recheck_by - self.first_dose).days if rec.recheck_by else day + 7
            if day > self._stop_day:
                self._hold_days(first, self._stop_day)
                return None
            rec = self._visit(day, cycle, 1, cbc=self.blood.week_off(self.stream),
                              chemistry=-1)
        if rec is not None and rec.action is Action.DISCONTINUE:
            self._engine_stop(day)
            return None
        self._hold_days(first, day - 1)
        dose = self._dose_after(rec, day)
        for d in range(day, min(day + self.schedule.days_on, self._stop_day + 1)):
            self._dose_days[d] = dose
        return day

    def _within_cycle(self, cycle: int, start: int, next_day1: int) -> bool:
        """Visits from Day 2 to the day before the next Day 1 (at most the cycle's last day);
        False when treatment stopped."""
        s = self.schedule
        next_day1 = min(next_day1, start + s.cycle_days)
        planned: list[int] = []
        if cycle in s.mid_cycle_cycles:
            planned.append(start + s.mid_cycle_day - 1)
        planned += [e.onset_day for e in self.events
                    if start < e.onset_day < next_day1 and e.worst >= 3]
        done: set[int] = set()
        while planned:
            day = min(planned)
            planned = [d for d in planned if d != day]
            if day in done or day > self._stop_day or day >= next_day1:
                continue
            done.add(day)
            rec = self._visit(day, cycle, day - start + 1, cbc=self._cbc_mid(cycle, start, day),
                              chemistry=-1 if self._on_hold() else None)
            if rec is None:
                continue
            if rec.action is Action.DISCONTINUE:
                self._engine_stop(day)
                return False
            self._apply_mid_cycle(rec, start, day)
            if rec.recheck_by is not None:
                planned.append((rec.recheck_by - self.first_dose).days)
        return True

    def _cbc_mid(self, cycle: int, start: int, day: int) -> dict[str, int]:
        if self._on_hold():
            return self.blood.week_off(self.stream)
        if day - start + 1 > self.schedule.days_on:
            return self.blood.after_last_dose(self.stream)
        if day - start >= 7:
            return self.blood.at_nadir(self.stream, cycle)
        return self.blood.early_cycle()

    def _on_hold(self) -> bool:
        return isinstance(self._state, DosingState) and self._state.hold is not None

    def _apply_mid_cycle(self, rec: DoseRecommendation, start: int, day: int) -> None:
        last_on = min(start + self.schedule.days_on - 1, self._stop_day)
        if rec.action is Action.HOLD:
            self._hold_days(day, last_on)
        elif rec.action in (Action.RESUME_SAME_DOSE, Action.RESUME_REDUCED):
            dose = self._dose_after(rec, day)
            for d in range(day, last_on + 1):
                self._dose_days[d] = dose

    def _hold_days(self, first: int, last: int) -> None:
        for d in range(first, min(last, self._stop_day) + 1):
            self._dose_days[d] = 0

    def _engine_stop(self, day: int) -> None:
        self._actions.append((day, ActionTaken.DRUG_WITHDRAWN, self._hold_terms))
        self._stop_day = day - 1
        self._stop_reason = DiscontinuationReason.ADVERSE_EVENT
        for d in [d for d in self._dose_days if d >= day]:
            del self._dose_days[d]

    def _dose_after(self, rec: DoseRecommendation | None, day: int) -> int:
        """The dose taken from now on, with the investigator's reduction when the engine
        flags one for consideration (IBRANCE USPI 2019 Table 2: prolonged recovery, recurrent
        Day-1 holds)."""
        state = self._state
        if rec is None:
            return state.prescribed_mg if isinstance(state, DosingState) else state
        dose = rec.dose_mg if rec.dose_mg is not None else rec.state.prescribed_mg
        flagged = self._hold_flagged or Flag.CONSIDER_DOSE_REDUCTION in rec.flags
        if rec.action is not Action.HOLD:
            self._hold_flagged = False
        if (rec.action is Action.RESUME_SAME_DOSE and flagged
                and self.stream.chance(self.reduce_on_flag)):
            lower = self.rules.next_lower_dose_mg(rec.state.level_mg)
            if lower is not None:
                self._state = replace(rec.state, level_mg=lower, dose_mg=lower,
                                      reductions=rec.state.reductions + 1)
                self._reduced(day)
                return lower
        if rec.action is Action.RESUME_REDUCED:
            self._reduced(day)
        elif rec.action is Action.RESUME_SAME_DOSE:
            self._hold_terms = ()
        return dose

    def _reduced(self, day: int) -> None:
        self.blood.reduced(self.stream)
        self._actions.append((day, ActionTaken.DOSE_REDUCED, self._hold_terms))
        self._hold_terms = ()

    # --- one visit ---------------------------------------------------------------------------

    def _visit(self, day: int, cycle: int, cycle_day: int, *, cbc: dict[str, int],
               chemistry: int | None) -> DoseRecommendation | None:
        """Draw the labs of a visit and ask the dose rules; None when no rule can apply."""
        on = self._date(day)
        counts = self._labs(on, cbc)
        if chemistry is not None:
            self._chemistry(on, chemistry if chemistry > 0 else None)
        toxicities = self._toxicities(day, cbc)
        self._visits.append(_Visit(day, dict(cbc), dict(self._liver_grade)))
        state = self._state
        worst = max((*cbc.values(), *toxicities.values()), default=0)
        held = isinstance(state, DosingState) and (state.hold is not None
                                                   or state.recheck_due_on is not None)
        if worst < 3 and not held:
            return None
        before_hold = isinstance(state, DosingState) and state.hold is not None
        rec = recommend(state, rules=self.rules, cycle=cycle, cycle_day=cycle_day,
                        assessed_on=on, cbc=BloodCounts.from_labs(counts),
                        toxicities=self._toxicity_records(day, toxicities),
                        resolved=self._resolved(day))
        self._state = rec.state
        if rec.action is Action.HOLD and Flag.CONSIDER_DOSE_REDUCTION in rec.flags:
            self._hold_flagged = True  # a prolonged or recurrent hold (IBRANCE USPI Table 2)
        if rec.action is Action.HOLD:
            terms = tuple(CBC_TERMS[k] for k, g in cbc.items() if g >= 3) + tuple(
                t for t, g in toxicities.items() if g >= 3)
            new = tuple(t for t in terms if t not in self._hold_terms)
            if new or not before_hold:
                self._actions.append((day, ActionTaken.DRUG_INTERRUPTED, new))
            self._hold_terms += new
        return rec

    def _labs(self, on: date, cbc: dict[str, int]) -> list[LabResult]:
        u, sid = self.stream.u, self.subject_id
        counts = [LabResult(sid, key, bands.draw(cbc[key], u()), ref.unit, ref.lln, ref.uln, on)
                  for key, ref, bands in _blood_refs(self.sex)]
        self.out.labs += counts
        return counts

    def _chemistry(self, on: date, day1_index: int | None) -> None:
        grades = self.liver.at_chemistry(self.stream, day1_index)
        first = not self._chem_baseline
        for key in ("alt", "ast", "bilirubin"):
            ref = reference(key, self.sex)
            assert ref.uln is not None
            base = self.labs0[key]
            abnormal = base > ref.uln
            bands = RatioBands.of(ref.term, abnormal_baseline=abnormal)
            anchor = base if abnormal else ref.uln
            if first:  # the pre-dose value is the baseline CTCAE grades against: same side
                step = 10.0 ** -ref.decimals
                value = base * self.stream.lognormal(1.0, 0.08)
                value = max(value, ref.uln + step) if abnormal else min(value, ref.uln - step)
                value = round(value, ref.decimals)
                self.labs0[key] = value
            elif grades[key] == 0:
                value = bands.near(base / anchor * self.stream.lognormal(1.0, 0.1),
                                   reference=anchor)
            else:
                value = bands.value(grades[key], self.stream.u(), reference=anchor)
            self.out.labs.append(LabResult(self.subject_id, key, round(value, ref.decimals),
                                           ref.unit, ref.lln, ref.uln, on))
            self._liver_grade[key] = grades[key]
        self._chem_baseline = True
        for key in ("albumin", "creatinine"):
            ref = reference(key, self.sex)
            value = round(self.labs0[key] * self.stream.lognormal(1.0, 0.06), ref.decimals)
            self.out.labs.append(LabResult(self.subject_id, key, float(value), ref.unit,
                                           ref.lln, ref.uln, on))

    def _toxicities(self, day: int, cbc: dict[str, int]) -> dict[str, int]:
        """Open non-blood-count events on ``day`` and their grades."""
        out = {_LIVER_TERMS[k]: g for k, g in self._liver_grade.items()
               if g > 0 and self._liver_rel[k].is_related}
        for event in self.events:
            grade = event.grade_on(day)
            if grade and event.relationship.is_related:
                out[event.spec.term] = max(out.get(event.spec.term, 0), grade)
        fn = self._febrile(day, cbc)
        if fn is not None:
            grade = fn.grade_on(day)
            if grade:
                out["Febrile neutropenia"] = grade
        return out

    def _febrile(self, day: int, cbc: dict[str, int]) -> ClinicalEvent | None:
        fn = self._fn_event
        if fn is None and self.fate.febrile_neutropenia and cbc["anc"] >= 3 and \
                self._dose_days.get(day - 1, 0) > 0:
            fn = ClinicalEvent(_FN, ((day, 3),), day + self.stream.integer(3, 7),
                               self.stream.pick((Relationship.PROBABLE, Relationship.DEFINITE),
                                                (0.6, 0.4)))
            self._fn_event = fn
        return fn

    def _toxicity_records(self, day: int, open_: dict[str, int]) -> list[Toxicity]:
        return [Toxicity(term, Grade(g), ToxicityCategory.HAEMATOLOGICAL if term in _HAEM_TERMS
                         else ToxicityCategory.NON_HAEMATOLOGICAL)
                for term, g in sorted(open_.items())]

    def _resolved(self, day: int) -> list[str]:
        """Terms of events that have resolved by ``day`` (a hold may wait for them)."""
        gone = [t for k, t in _LIVER_TERMS.items() if self._liver_grade.get(k, 0) == 0]
        gone += [e.spec.term for e in self.events if e.onset_day <= day and
                 e.grade_on(day) == 0]
        if self._fn_event is not None and self._fn_event.grade_on(day) == 0:
            gone.append("Febrile neutropenia")
        return sorted(set(gone))

    # --- after treatment ---------------------------------------------------------------------

    def _end_of_treatment(self, last_dose: int) -> None:
        """The treatment discontinuation record and the end-of-treatment visit."""
        if self._stop_reason is None:
            return  # still on treatment at the cut-off
        stop = self._stop_day + 1
        if stop <= self._cutoff_day:
            self.out.discontinuations.append(Discontinuation(
                self.subject_id, DiscontinuationLevel.TREATMENT, self._date(stop),
                self._stop_reason))
        eot = last_dose + self.stream.integer(5, 10)
        f = self.fate
        alive_until = min(d for d in (self._cutoff_day, (f.death_day or 10**6) - 1,
                                      (f.withdrawal_day or 10**6) - 1))
        if eot <= alive_until and eot > max(self._visits[-1].day if self._visits else 0,
                                            self._stop_day):
            cbc = self.blood.week_off(self.stream)
            on = self._date(eot)
            self._labs(on, cbc)
            self._chemistry(on, None)
            self._visits.append(_Visit(eot, dict(cbc), dict(self._liver_grade)))
            self.out.contacts.append(Contact(self.subject_id, on, "visit"))

    def _scans(self) -> bool:
        """The tumour assessments up to progression; True when progression was seen."""
        f = self.fate
        limit = min(self._cutoff_day, (f.death_day or 10**6) - 1,
                    (f.withdrawal_day or 10**6) - 1, self._therapy_before_pd())
        attended = 0
        for index, day, skipped in f.scans:
            if day > limit:
                break
            if skipped:
                self.out.missed_scans.append((index, self._date(day)))
                continue
            attended += 1
            if f.pd_day == day:
                intended = Response.PD
            elif f.responder:
                intended = Response.CR if f.complete_response and attended >= 2 else Response.PR
            else:
                intended = Response.SD
            self.tumour.assess(self.stream, self._date(day), intended, f"TA{index}")
            if intended is Response.PD:
                return True
        return False

    def _therapy_before_pd(self) -> int:
        """New therapy started before progression after an AE discontinuation (FDA 2018 PFS
        table row 7: the scans stop there); returns the last scan day allowed."""
        f = self.fate
        if self._stop_reason is not DiscontinuationReason.ADVERSE_EVENT or not \
                self.stream.chance(0.3):
            return 10**6
        start = self._stop_day + 1 + self.stream.integer(21, 60)
        end = min(self._cutoff_day, (f.death_day or 10**6) - 1, (f.withdrawal_day or 10**6) - 1,
                  (f.pd_day or 10**6) - 1)
        if start > end:
            return 10**6
        name, kind = self._next_therapy()
        self.out.new_therapies.append(NewTherapy(self.subject_id, self._date(start), kind, name))
        return start - 1

    def _next_therapy(self) -> tuple[str, TherapyType]:
        names = [n for n, _, _ in _NEXT_THERAPY]
        name = self.stream.pick(names, [w for *_, w in _NEXT_THERAPY])
        return name, next(k for n, k, _ in _NEXT_THERAPY if n == name)

    def _follow_up(self, last_dose: int, pd_seen: bool) -> None:
        """Safety and survival follow-up, new therapy after progression, death, leaving."""
        f, s, sid = self.fate, self.schedule, self.subject_id
        gone = min((f.withdrawal_day or 10**6), self._cutoff_day + 1)
        if pd_seen and f.pd_day is not None and not self.out.new_therapies and \
                self.stream.chance(self.new_therapy_share):
            start = f.pd_day + self.stream.integer(14, 42)
            if start < min(gone, f.death_day or 10**6):
                name, kind = self._next_therapy()
                self.out.new_therapies.append(NewTherapy(sid, self._date(start), kind, name))
        end_of_treatment = self._stop_reason is not None
        lost = None
        if end_of_treatment and self.stream.chance(self.lost_share):
            lost = last_dose + self.stream.integer(60, 400)
        death = f.death_day
        if death is not None and (death >= gone or (lost is not None and lost < death)):
            death = None  # not known: after the cut-off, or after the subject left
        if end_of_treatment:
            until = min(gone, death or 10**6, lost or 10**6)
            after = max(last_dose, self._stop_day, self._visits[-1].day if self._visits else 0)
            day = last_dose + s.safety_follow_up_day + self.stream.integer(-5, 5)
            if after < day < until:
                self.out.contacts.append(Contact(sid, self._date(day), "safety follow-up"))
            day = last_dose + s.eot_day + s.survival_every_days + self.stream.integer(0, 28)
            while day < until:
                if day > after:
                    self.out.contacts.append(Contact(sid, self._date(day),
                                                     "survival follow-up"))
                day += s.survival_every_days + self.stream.integer(0, 14)
        if death is not None:
            self._death(death, last_dose)
        elif lost is not None and lost <= self._cutoff_day and lost < gone:
            self.out.discontinuations.append(Discontinuation(
                sid, DiscontinuationLevel.STUDY, self._date(lost),
                DiscontinuationReason.LOST_TO_FOLLOW_UP))
        if f.withdrawal_day is not None and f.withdrawal_day <= self._cutoff_day and \
                (death is None) and (lost is None or f.withdrawal_day <= lost):
            self.out.discontinuations.append(Discontinuation(
                sid, DiscontinuationLevel.STUDY, self._date(f.withdrawal_day),
                DiscontinuationReason.WITHDRAWAL_OF_CONSENT))

    def _death(self, day: int, last_dose: int) -> None:
        sid, on = self.subject_id, self._date(day)
        f = self.fate
        cause, term = "disease progression", ""
        if f.death_type:
            cause, term, _ = self.stream.pick(_DEATH_CAUSES, [w for *_, w in _DEATH_CAUSES])
        self.out.deaths.append(Death(sid, on, cause))
        self.out.discontinuations.append(Discontinuation(
            sid, DiscontinuationLevel.STUDY, on, DiscontinuationReason.DEATH))
        if term and day <= last_dose + self.schedule.teae_window_days:
            onset = max(1, day - self.stream.integer(2, 10))
            ae = AdverseEvent(
                sid, term, cause, self._date(onset),
                (GradeChange(self._date(onset), Grade.G4), GradeChange(on, Grade.G5)),
                resolved_on=on, serious_criteria=frozenset({
                    SeriousCriterion.DEATH, SeriousCriterion.HOSPITALISATION}),
                relationship=self.stream.pick((Relationship.UNRELATED, Relationship.UNLIKELY),
                                              (0.45, 0.55)),
                action_taken=ActionTaken.DRUG_WITHDRAWN if onset <= last_dose
                else ActionTaken.NOT_APPLICABLE,
                outcome=Outcome.FATAL)
            aware, reported = self._awareness(onset, serious=True)
            ae = replace(ae, aware_at=aware, reported_at=reported)
            self.out.adverse_events.append(ae)

    # --- records -----------------------------------------------------------------------------

    def _write_dosing(self) -> None:
        days = sorted(d for d in self._dose_days if d <= self._cutoff_day)
        run_start = prev = None
        dose = -1
        for d in days:
            mg = self._dose_days[d]
            if run_start is None or d != prev + 1 or mg != dose:  # type: ignore[operator]
                if run_start is not None:
                    self._stretch(run_start, prev, dose)  # type: ignore[arg-type]
                run_start, dose = d, mg
            prev = d
        if run_start is not None:
            self._stretch(run_start, prev, dose)  # type: ignore[arg-type]

    def _stretch(self, first: int, last: int, mg: int) -> None:
        self.out.dosing.append(DosingRecord(self.subject_id, self._date(first), self._date(last),
                                            float(mg)))

    def _awareness(self, onset: int, *, serious: bool) -> tuple[datetime | None, datetime | None]:
        """When the site learnt of a serious AE and reported it to the sponsor (a few late)."""
        if not serious:
            return None, None
        aware = datetime.combine(self._date(onset + self.stream.integer(0, 1)),
                                 time(self.stream.integer(8, 17), self.stream.integer(0, 59)))
        late = self.stream.chance(0.05)
        hours = self.stream.uniform(26, 60) if late else self.stream.uniform(1, 20)
        reported = aware + timedelta(hours=hours)
        if aware.date() > self.cutoff:
            return None, None  # not yet known at the cut-off
        return aware, reported if reported.date() <= self.cutoff else None

    def _write_adverse_events(self, last_dose: int) -> None:
        """The AE records: blood-count and liver-test episodes from the labs, the clinical
        events, febrile neutropenia; each with the action its dosing shows."""
        f = self.fate
        end = min(self._cutoff_day, (f.death_day or 10**6), (f.withdrawal_day or 10**6) - 1,
                  last_dose + self.schedule.teae_window_days)
        episodes: list[_Episode] = []
        for key, term in CBC_TERMS.items():
            base = self.blood.baseline[key]
            series = [(v.day, v.cbc[key]) for v in self._visits]
            episodes += self._lab_episodes(term, series, base, None)
        for key, term in _LIVER_TERMS.items():
            series = [(v.day, v.liver.get(key, 0)) for v in self._visits]
            episodes += self._lab_episodes(term, series, 0, self._liver_rel[key])
        for event in [*self.events, *([self._fn_event] if self._fn_event else [])]:
            if event.onset_day > end or event.onset_day < 1:
                continue
            changes = [(d, g) for d, g in event.changes if d <= self._cutoff_day]
            resolved = event.resolved_day if event.resolved_day <= self._cutoff_day else None
            episodes.append(_Episode(event.spec.term, event.spec.verbatim, changes, resolved,
                                     event.relationship))
        for term, verbatim, changes, resolved, rel in episodes:
            onset = changes[0][0]
            if onset > end:
                continue
            if f.death_day is not None and resolved is not None and resolved >= f.death_day:
                resolved = None
            changes = [(d, g) for d, g in changes if d <= end]
            last_grade = changes[-1][1]
            outcome = Outcome.RECOVERED if resolved is not None else (
                Outcome.RECOVERING if last_grade == 1 else Outcome.NOT_RECOVERED)
            worst = max(g for _, g in changes)
            serious = worst >= 3 and self._serious(term, worst)
            aware, reported = self._awareness(onset, serious=serious)
            self.out.adverse_events.append(AdverseEvent(
                self.subject_id, term, verbatim, self._date(onset),
                tuple(GradeChange(self._date(d), Grade(g)) for d, g in changes),
                resolved_on=None if resolved is None else self._date(resolved),
                serious_criteria=frozenset({SeriousCriterion.HOSPITALISATION})
                if serious else frozenset(), relationship=rel,
                action_taken=self._action(term, onset, resolved, last_dose),
                outcome=outcome, aware_at=aware, reported_at=reported))

    def _reduced_dose_taken(self, day: int) -> bool:
        """A dose lower than the last one before ``day`` was taken on or after it (a reduction
        decided just before treatment ended shows in no dosing row)."""
        before = [d for d, mg in self._dose_days.items() if d < day and mg > 0]
        if not before:
            return False
        last = self._dose_days[max(before)]
        return any(0 < mg < last for d, mg in self._dose_days.items() if d >= day)

    def _serious(self, term: str, grade: int) -> bool:
        if term in ("Febrile neutropenia", "Lung infection", "Upper gastrointestinal hemorrhage"):
            return True
        return self.stream.chance(0.35 if grade >= 4 else 0.15)

    def _lab_episodes(self, term: str, series: list[tuple[int, int]], base: int,
                      relationship: Relationship | None) -> list[_Episode]:
        """Runs of visits with the lab's grade above its baseline grade, as AE episodes; an
        episode resolves the day before the visit that shows it back at baseline."""
        out: list[_Episode] = []
        changes: list[tuple[int, int]] = []
        for day, grade in series:
            if grade > base and grade >= 1:
                if not changes or changes[-1][1] != grade:
                    changes.append((day, grade))
            elif changes:
                out.append(_Episode(term, term.lower(), changes, max(day - 1, changes[-1][0]),
                                    relationship or self._relationship(related=True)))
                changes = []
        if changes:
            out.append(_Episode(term, term.lower(), changes, None,
                                relationship or self._relationship(related=True)))
        return out

    def _relationship(self, *, related: bool) -> Relationship:
        weights = (0.0, 0.05, 0.3, 0.5, 0.15) if related else (0.1, 0.3, 0.45, 0.15, 0.0)
        return self.stream.pick(RELATIONSHIPS, weights)

    def _action(self, term: str, onset: int, resolved: int | None, last_dose: int,
                ) -> ActionTaken:
        """What the dosing shows for this event: the most serious action taken while it lasted
        (CDISC ACN)."""
        end = resolved if resolved is not None else 10**6
        if self._stop_reason is DiscontinuationReason.ADVERSE_EVENT and \
                onset <= self._stop_day + 1 <= end and self.fate.ae_stop_term == term:
            return ActionTaken.DRUG_WITHDRAWN
        if onset > last_dose:
            return ActionTaken.NOT_APPLICABLE
        mine = [(d, a if a is not ActionTaken.DOSE_REDUCED or self._reduced_dose_taken(d)
                 else ActionTaken.DRUG_INTERRUPTED)
                for d, a, terms in self._actions if term in terms and onset <= d <= end + 14]
        taken = {a for _, a in mine}
        for action in (ActionTaken.DRUG_WITHDRAWN, ActionTaken.DOSE_REDUCED,
                       ActionTaken.DRUG_INTERRUPTED):
            if action in taken:
                return action
        return ActionTaken.DOSE_NOT_CHANGED
