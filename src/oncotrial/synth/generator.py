"""``generate_study``: a seeded synthetic cohort of the trial, as :class:`StudyData` (shell).

Steps (``docs/synth.md``): read the protocol's schedule; calibrate the latent efficacy model
to the parameters; draw the enrolment and screening days, the scan days and the latent times
of the whole cohort at once (NumPy); then, patient by patient in screening order, draw the
screening record (and, for a screen failure, its reason), and for an enrolled subject the
course on study (:class:`oncotrial.synth.course.Course`) and its protocol deviations
(:mod:`oncotrial.synth.deviations`). One :class:`numpy.random.Generator` seeded with ``seed``
makes every draw but the deviations', in a fixed order; the deviations come from a second
generator seeded with ``(seed, 13)``, so that adding them left the other records of a seed as
they were. The same parameters and seed give the same :class:`StudyData`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np

from oncotrial.context import TrialContext
from oncotrial.eligibility import ScreeningRecord
from oncotrial.endpoints import Dataset
from oncotrial.protocol import load_bundled_protocol
from oncotrial.records import (
    AdverseEvent,
    ConcomitantMedication,
    Contact,
    Death,
    Discontinuation,
    DosingRecord,
    LabResult,
    LesionMeasurement,
    NewTherapy,
    Subject,
    TumourAssessment,
)
from oncotrial.study import Baseline, ProtocolDeviation, ScreenedPatient, StudyData
from oncotrial.synth.course import CBC_TERMS, Course, Fate, SubjectRecords
from oncotrial.synth.deviations import scan_deviation, subject_deviations
from oncotrial.synth.labs import BloodBands, reference
from oncotrial.synth.outcomes import (
    LatentTimes,
    OutcomeModel,
    calibrate,
    latent_times,
    scan_offsets,
)
from oncotrial.synth.params import SynthParams
from oncotrial.synth.schedule import Schedule
from oncotrial.synth.screening import Patient, draw_patient, fail, screening_data
from oncotrial.synth.stream import Stream
from oncotrial.synth.toxicity import (
    CLINICAL,
    Blood,
    ClinicalEvent,
    ClinicalSpec,
    Liver,
    exposure_share,
)
from oncotrial.synth.tumour import TumourCourse

__all__ = ["SITE_ID", "generate_study"]

#: The site of every synthetic subject (the trial's one hospital).
SITE_ID = "HNCH"
#: Terms of the adverse event that makes the investigator stop treatment (assumption).
_STOP_TERMS = (("Fatigue", "fatigue", 0.3), ("Anorexia", "decreased appetite", 0.15),
               ("Ascites", "ascites", 0.2), ("Diarrhea", "diarrhoea", 0.1),
               ("Abdominal pain", "right upper quadrant pain", 0.1),
               ("Mucositis oral", "stomatitis", 0.05), ("Edema limbs", "oedema", 0.1))
#: How dose_reduction is reached (``docs/synth.md``, "Dosing"): the share of grade 4 among
#: grade >= 3 blood counts (grade 4 means a reduction by the label) and the share of flagged
#: holds (prolonged recovery, recurrent Day-1 hold) after which the investigator reduces, both
#: scaled by dose_reduction / 0.30; at 0.30 they are as tuned on a 5,000-subject cohort.
_DEFAULT_REDUCTION = 0.30
_G4_SCALE = 0.65
_REDUCE_ON_FLAG = 0.4
#: The second part of the deviations' seed, ``(seed, 13)`` (issue 13 added them).
_DEVIATION_STREAM = 13


@dataclass(frozen=True, slots=True)
class _Cohort:
    """The cohort-wide draws made at once."""

    enrolled_on: list[date]
    failed_on: list[date]
    times: LatentTimes
    responder: list[bool]
    complete: list[bool]
    scheduled: list[int]


def generate_study(
    params: SynthParams,
    seed: int,
    *,
    ctx: TrialContext | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> StudyData:
    """A complete synthetic trial: screened patients, enrolled subjects and all their records.

    Pure given its arguments: the same ``params`` and ``seed`` give the same data (no clock,
    no files; ``ctx`` defaults to the bundled NCT06478927 protocol). ``progress(done, total)``
    is called as screened patients are generated (about 200 times, and at the end).

    Raises:
        InputError: the parameters cannot be reached with the protocol's schedule (see
            :func:`oncotrial.synth.outcomes.calibrate`), or the protocol lacks a visit the
            generator follows.

    >>> study = generate_study(SynthParams(), 7)
    >>> len(study.dataset.subjects), len(study.screening)
    (22, 31)
    >>> generate_study(SynthParams(), 7) == study
    True
    """
    context = ctx if ctx is not None else TrialContext.from_protocol(load_bundled_protocol())
    schedule = Schedule.from_context(context)
    model = calibrate(params, schedule)
    rng = np.random.default_rng(seed)
    cohort = _draw_cohort(rng, params, schedule, model)
    stream = Stream(rng)
    return _Builder(params, context, schedule, stream, cohort, progress, seed).build()


def _deviation_stream(seed: int) -> Stream:
    """The deviations' own stream (see the module's documentation)."""
    return Stream(np.random.default_rng([seed, _DEVIATION_STREAM]))


def _draw_cohort(rng: np.random.Generator, params: SynthParams, schedule: Schedule,
                 model: OutcomeModel) -> _Cohort:
    n = params.n_enrolled
    days = (params.accrual_end_on - params.start_on).days
    enrol = np.sort(rng.integers(0, days + 1, size=n))
    failed = np.sort(rng.integers(0, days + 1, size=params.n_screen_failures))
    horizon = (params.cutoff - params.start_on).days
    k = horizon // schedule.scan_every_days + 2
    scheduled = [schedule.scan_scheduled_day(i + 1) for i in range(k)]
    scan_days = np.array(scheduled)[None, :] + scan_offsets(rng, (n, k),
                                                            schedule.scan_window_days)
    times = latent_times(
        model, scan_days=scan_days, missed=rng.random((n, k)) < params.missed_scan,
        e_pfs=rng.exponential(size=n), death_type=rng.random(n) < params.death_without_pd_share,
        e_pps=rng.exponential(size=n))
    responder = times.responder_pool & (rng.random(n) < model.responder_prob)
    complete = responder & (rng.random(n) < 0.1)
    start = params.start_on
    return _Cohort([start + timedelta(days=int(d)) for d in enrol],
                   [start + timedelta(days=int(d)) for d in failed], times,
                   responder.tolist(), complete.tolist(), scheduled)


class _Builder:
    """Draws the patients in screening order and gathers their records."""

    def __init__(self, params: SynthParams, ctx: TrialContext, schedule: Schedule,
                 stream: Stream, cohort: _Cohort,
                 progress: Callable[[int, int], None] | None, seed: int) -> None:
        self.params, self.ctx, self.schedule, self.seed = params, ctx, schedule, seed
        self.stream, self.cohort, self.progress = stream, cohort, progress
        n = params.n_enrolled
        self.width = max(3, len(str(n)))
        self.screening: list[ScreenedPatient] = []
        self.subjects: list[Subject] = []
        self.baseline: list[Baseline] = []
        self.dosing: list[DosingRecord] = []
        self.assessments: list[TumourAssessment] = []
        self.deaths: list[Death] = []
        self.contacts: list[Contact] = []
        self.therapies: list[NewTherapy] = []
        self.stops: list[Discontinuation] = []
        self.labs: list[LabResult] = []
        self.lesions: list[LesionMeasurement] = []
        self.events: list[AdverseEvent] = []
        self.conmeds: list[ConcomitantMedication] = []
        self.deviations: list[ProtocolDeviation] = []
        self.deviation_stream = _deviation_stream(seed)
        self.planned_end = self._planned_ends()
        self.scale = self._exposure_scales()

    # --- cohort-level -------------------------------------------------------------------

    def _planned_ends(self) -> list[float]:
        """Each subject's latest possible last dose without a toxicity stop (days)."""
        t = self.cohort.times
        ends = []
        for i, enrolled in enumerate(self.cohort.enrolled_on):
            cut = (self.params.cutoff - enrolled).days
            pd = t.scan_days[i, t.pd_scan[i]] if t.pd_scan[i] >= 0 else math.inf
            ends.append(float(min(cut, pd, t.os_day[i])))
        return ends

    def _exposure_scales(self) -> dict[str, float]:
        """Rates are per treated subject; events can only be seen while a subject is followed,
        so each latent rate is the parameter divided by the share who are followed long
        enough (from this cohort's latent times)."""
        window = self.schedule.teae_window_days
        ends = [e + window for e in self.planned_end]
        n = max(1, len(ends))
        scales = {spec.term: 1.0 / max(0.05, exposure_share(spec.onset_mean_days, ends))
                  for spec in CLINICAL}
        nadir = self.schedule.mid_cycle_day or 8
        # A subject's worst count is seen at the first nadir visit in 95 % of cycle 1s.
        scales["blood"] = n / max(1, sum(e >= nadir for e in self.planned_end)) / 0.95
        cycle = self.schedule.cycle_days
        # The chemistry of Day 1 of cycle k + 1 is taken only while treatment goes on.
        reach = sum(w * sum(e > k * cycle + 2 for e in self.planned_end) / n
                    for k, w in ((1, 0.65), (2, 0.25), (3, 0.10)))
        scales["liver"] = 1.0 / max(0.05, reach)
        return scales

    # --- the loop -------------------------------------------------------------------------

    def build(self) -> StudyData:
        order = sorted([(d, 0, i) for i, d in enumerate(self.cohort.enrolled_on)]
                       + [(d, 1, i) for i, d in enumerate(self.cohort.failed_on)])
        total = len(order)
        every = max(1, total // 200)
        for done, (day, failed, i) in enumerate(order, 1):
            number = f"SCR-{done:0{max(4, len(str(total)))}d}"
            if failed:
                self._screen_failure(number, day)
            else:
                self._enrolled(i, number, day)
            if self.progress is not None and (done % every == 0 or done == total):
                self.progress(done, total)
        dataset = Dataset(tuple(self.subjects), tuple(self.dosing), tuple(self.assessments),
                          tuple(self.deaths), tuple(self.contacts), tuple(self.therapies),
                          tuple(self.stops))
        return StudyData(dataset, tuple(self.screening), tuple(self.baseline),
                         tuple(self.labs), tuple(self.lesions), tuple(self.events),
                         tuple(self.conmeds), tuple(self.deviations),
                         source=f"synthetic cohort (oncotrial.synth, seed "
                                                     f"{self.seed}, {len(self.subjects)} enrolled)")

    def _patient(self, number: str, day: date) -> tuple[Patient, dict[str, object]]:
        patient = draw_patient(self.stream, self.params, self.schedule, number=number,
                               screened_on=day)
        return patient, screening_data(self.stream, patient)

    def _screen_failure(self, number: str, day: date) -> None:
        patient, data = self._patient(number, day)
        fail(self.stream, data, patient)
        record = ScreeningRecord.model_validate(data)
        self.screening.append(ScreenedPatient(number, day, record))

    def _enrolled(self, i: int, number: str, day: date) -> None:
        patient, data = self._patient(number, day)
        record = ScreeningRecord.model_validate(data)
        sid = f"{SITE_ID}-{i + 1:0{self.width}d}"
        self.screening.append(ScreenedPatient(number, day, record, sid))
        self.subjects.append(Subject(sid, day, True, sex=patient.sex, site_id=SITE_ID))
        self.baseline.append(Baseline(sid, patient.aetiology, patient.macrovascular_invasion,
                                      patient.extrahepatic_spread))
        self.labs += [replace(r, subject_id=sid) for r in record.lab_results()]
        self.conmeds += self._conmeds(sid, record)
        course = self._course(i, sid, patient)
        out = course.run()
        self.assessments += course.tumour.assessments
        self.lesions += course.tumour.rows
        self.dosing += out.dosing
        self.labs += out.labs
        self.events += out.adverse_events
        self.deaths += out.deaths
        self.contacts += out.contacts
        self.therapies += out.new_therapies
        self.stops += out.discontinuations
        self._deviations(sid, record, day, patient.first_dose_on, out)

    def _deviations(self, sid: str, record: ScreeningRecord, screened_on: date,
                    first_dose_on: date, out: SubjectRecords) -> None:
        """A deviation for each skipped scan and, for a few subjects, one other; nothing
        after the cut-off or the day of death."""
        s, params = self.deviation_stream, self.params
        last_day = min([params.cutoff, *(d.died_on for d in out.deaths)])
        self.deviations += [scan_deviation(s, sid, index, on, last_day=last_day)
                            for index, on in out.missed_scans]
        consent = record.informed_consent_date
        self.deviations += subject_deviations(
            s, sid, share=params.deviation_share,
            consented_on=consent if isinstance(consent, date) else screened_on,
            first_dose_on=first_dose_on,
            visits=[c.contact_on for c in out.contacts if c.source == "visit"],
            last_day=last_day)

    def _conmeds(self, sid: str, record: ScreeningRecord) -> list[ConcomitantMedication]:
        """Medications of the liver disease taken through the study (none is a CYP3A
        modulator): the nucleos(t)ide analogue of an HBV patient (PN-24), diuretics for
        ascites, a beta-blocker for varices."""
        s, out = self.stream, []
        start = record.hepatitis.anti_hbv_therapy_start
        if isinstance(start, date):
            name = s.pick(("entecavir", "tenofovir alafenamide", "tenofovir disoproxil"),
                          (0.6, 0.25, 0.15))
            out.append(ConcomitantMedication(sid, name, start, indication="chronic hepatitis B"))
        day = record.informed_consent_date
        if record.liver.ascites == "mild" and isinstance(day, date):
            out += [ConcomitantMedication(sid, drug, day - timedelta(days=s.integer(20, 300)),
                                          indication="ascites")
                    for drug in ("spironolactone", "furosemide")]
        if s.chance(0.3) and isinstance(day, date):
            out.append(ConcomitantMedication(sid, "propranolol",
                                             day - timedelta(days=s.integer(60, 900)),
                                             indication="oesophageal varices"))
        return out

    def _course(self, i: int, sid: str, patient: Patient) -> Course:
        s, params = self.stream, self.params
        fate = self._fate(i, patient)
        baseline = {key: BloodBands.of(reference(key, patient.sex)).grade_of(
            patient.labs[key]) for key in CBC_TERMS}
        scale = params.dose_reduction / _DEFAULT_REDUCTION
        blood = Blood.draw(s, params, baseline, self.scale["blood"], _G4_SCALE * scale)
        liver = Liver.draw(s, params, self.scale["liver"])
        events = self._clinical_events(fate)
        tumour = TumourCourse(sid, patient.lesions, patient.imaging_on, patient.method)
        reduce = min(1.0, _REDUCE_ON_FLAG * scale)
        course = Course(s, self.schedule, self.ctx.dose_rules, sid, patient.sex,
                        patient.first_dose_on, params.cutoff, fate, blood, liver, events,
                        dict(patient.labs), tumour, params.new_therapy_after_pd,
                        params.lost_to_follow_up, reduce)
        return course

    def _fate(self, i: int, patient: Patient) -> Fate:
        t, s, params = self.cohort.times, self.stream, self.params
        cutoff_day = (params.cutoff - patient.first_dose_on).days
        pd_day = int(t.scan_days[i, t.pd_scan[i]]) if t.pd_scan[i] >= 0 else None
        os_day = float(t.os_day[i])
        death_day = max(3, math.ceil(os_day)) if os_day < 10**5 else None
        last = min(cutoff_day, death_day or 10**6)
        withdrawal = s.integer(14, last) if s.chance(params.consent_withdrawal) and \
            last > 14 else None
        planned = min(cutoff_day, pd_day or 10**6, death_day or 10**6, withdrawal or 10**6)
        ae_stop = None
        term = ""
        if s.chance(params.ae_discontinuation) and planned > 10:
            ae_stop = max(7, int(s.uniform(0.2, 0.9) * planned))
            term = s.pick([t for t, _, _ in _STOP_TERMS], [w for *_, w in _STOP_TERMS])
        scans = tuple((k + 1, int(t.scan_days[i, k]), bool(t.missed[i, k]))
                      for k in range(t.scan_days.shape[1]))
        fn = params.neutropenia_g3 > 0 and s.chance(
            min(1.0, params.febrile_neutropenia / params.neutropenia_g3))
        return Fate(pd_day, death_day, bool(t.death_type[i]), self.cohort.responder[i],
                    self.cohort.complete[i], withdrawal, ae_stop, term, fn, scans)

    def _clinical_events(self, fate: Fate) -> list[ClinicalEvent]:
        s, params = self.stream, self.params
        events = []
        for spec in CLINICAL:
            if spec.stem == "alopecia":
                rate, g3 = params.alopecia, 0.0
            elif spec.stem:
                rate = getattr(params, f"{spec.stem}_any")
                g3 = getattr(params, f"{spec.stem}_g3")
            else:
                rate, g3 = spec.rate, spec.rate * spec.g3_share
            if not s.chance(min(1.0, rate * self.scale[spec.term])):
                continue
            onset = 1 + int(s.exponential(spec.onset_mean_days))
            grade3 = s.chance(g3 / rate) if rate > 0 else False
            events.append(ClinicalEvent.draw(s, spec, grade3=grade3, onset=onset))
        if fate.ae_stop_day is not None:
            events = [e for e in events if e.spec.term != fate.ae_stop_term
                      or e.onset_day > fate.ae_stop_day or e.resolved_day < fate.ae_stop_day]
            spec = next((c for c in CLINICAL if c.term == fate.ae_stop_term),
                        ClinicalSpec(fate.ae_stop_term, fate.ae_stop_term.lower(), "", 0, 1,
                                     1, False))
            events.append(ClinicalEvent.draw(s, spec, grade3=True, onset=fate.ae_stop_day))
        return events
