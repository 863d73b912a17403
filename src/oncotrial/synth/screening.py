"""Screened patients: a full screening record each, eligible or failing for a stated reason.

:func:`draw_patient` draws one patient of the later-line HCC population the protocol
admits: age, sex, weight, ECOG, liver function (Child-Pugh A5, A6 or B7 through bilirubin,
albumin, INR, ascites and encephalopathy), BCLC stage with macrovascular invasion and
extrahepatic spread, aetiology with hepatitis serology and viral load, prior systemic lines
(at least two for advanced HCC, the registry's "failed or intolerant of at least second-line
treatment", PN-18), the baseline scan, laboratory results, ECG and echocardiogram, history,
reproductive status and the investigator's attestations, every date inside the protocol's
screening windows. :func:`screening_data` writes it as a screening record
(``oncotrial/eligibility/data/example_patient.yaml`` is the model) and :func:`fail` changes
one or two items so that one or two criteria are not met, for a realistic reason
(:data:`FAILURES`). The eligibility engine decides; ``tests/synth`` screens every patient.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from oncotrial.records import Sex
from oncotrial.synth.labs import Analyte, reference
from oncotrial.synth.params import SynthParams
from oncotrial.synth.schedule import Schedule
from oncotrial.synth.stream import Stream
from oncotrial.synth.tumour import BaselineLesion, baseline_lesions

__all__ = ["FAILURES", "Patient", "draw_patient", "fail", "screening_data"]


@dataclass(frozen=True, slots=True)
class Patient:
    """What the generator knows about a screened patient before the record is written.

    ``labs`` maps each screening analyte to its value (unit and range: :mod:`.labs`);
    ``cp_items`` says which Child-Pugh items score 2 points (``bilirubin``, ``albumin``,
    ``ascites``); ``aetiology`` uses the codes of :data:`oncotrial.study.AETIOLOGIES`.
    """

    screening_number: str
    sex: Sex
    birth_date: date
    weight_kg: float
    ecog: int
    consent_on: date
    screened_on: date
    first_dose_on: date
    imaging_on: date
    lab_on: date
    ecg_on: date
    echo_on: date
    aetiology: tuple[str, ...]
    macrovascular_invasion: bool
    extrahepatic_spread: bool
    bclc: str
    cp_items: tuple[str, ...]
    lesions: tuple[BaselineLesion, ...]
    labs: dict[str, float]
    method: str
    reproductive_potential: bool

    @property
    def child_pugh_points(self) -> int:
        """The Child-Pugh total this patient was drawn with (5 + items at 2 points)."""
        return 5 + len(self.cp_items)


def _days(n: int) -> timedelta:
    return timedelta(days=n)


def _age_on(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _birth_date(stream: Stream, age: int, on: date) -> date:
    birth = on - _days(365 * age + stream.integer(0, 364) + age // 4)
    while _age_on(birth, on) > age:
        birth += _days(30)
    while _age_on(birth, on) < age:
        birth -= _days(30)
    return birth


#: Child-Pugh items at 2 points, by total (A5, A6, B7): which items, with weights.
_CP_ITEMS: dict[int, tuple[tuple[tuple[str, ...], float], ...]] = {
    5: (((), 1.0),),
    6: ((("albumin",), 0.6), (("bilirubin",), 0.25), (("ascites",), 0.15)),
    7: ((("albumin", "bilirubin"), 0.5), (("albumin", "ascites"), 0.35),
        (("bilirubin", "ascites"), 0.15)),
}


def _liver_labs(stream: Stream, items: tuple[str, ...]) -> dict[str, float]:
    # Child-Pugh bands (Pugh 1973, as oncotrial.clinical scores them): bilirubin < 34 umol/L
    # and albumin > 35 g/L score 1 point, 34-51 umol/L and 28-35 g/L score 2. The values are
    # drawn well inside the bands.
    bili = stream.uniform(36, 49) if "bilirubin" in items else min(
        31.0, stream.lognormal(15, 0.35))
    albumin = stream.uniform(29, 34.4) if "albumin" in items else min(
        46.0, stream.uniform(36.5, 44))
    inr = round(stream.uniform(0.95, 1.32), 2)
    alt_ratio = min(3.8, stream.lognormal(1.0, 0.5))
    ast_ratio = min(4.2, stream.lognormal(1.25, 0.45))
    return {"bilirubin": round(bili, 1), "albumin": float(round(albumin)), "inr": inr,
            "pt": round(11.0 * inr + stream.uniform(-0.4, 0.4), 1),
            "aptt": round(stream.uniform(26, 38), 1),
            "alt": float(max(8, round(40 * alt_ratio))),
            "ast": float(max(14, round(40 * ast_ratio)))}


def _blood_labs(stream: Stream, sex: Sex) -> dict[str, float]:
    # Cirrhosis with portal hypertension lowers platelets and often haemoglobin (hypersplenism);
    # the values stay within inclusion 11's limits (ANC >= 1.0, platelets >= 50, Hb >= 80).
    hb = reference("hemoglobin", sex)
    assert hb.lln is not None
    return {
        "anc": round(min(6.0, max(1.05, stream.lognormal(2.9, 0.35))), 2),
        "wbc": round(min(9.0, max(2.2, stream.lognormal(4.9, 0.3))), 2),
        "platelets": float(round(min(330, max(55, stream.lognormal(118, 0.42))))),
        "hemoglobin": float(round(min(hb.lln + 25, max(86, stream.normal(hb.lln - 10, 14))))),
    }


def draw_patient(stream: Stream, params: SynthParams, schedule: Schedule, *,
                 number: str, screened_on: date) -> Patient:
    """One patient of the population the protocol admits, screened on ``screened_on``.

    >>> from numpy.random import default_rng
    >>> from oncotrial.context import TrialContext
    >>> from oncotrial.protocol import load_bundled_protocol
    >>> sched = Schedule.from_context(TrialContext.from_protocol(load_bundled_protocol()))
    >>> p = draw_patient(Stream(default_rng(1)), SynthParams(), sched, number="SCR-0001",
    ...                  screened_on=date(2024, 5, 6))
    >>> p.child_pugh_points in (5, 6, 7), p.bclc in ("B", "C"), p.first_dose_on > p.screened_on
    (True, True, True)
    """
    sex = Sex.FEMALE if stream.chance(0.15) else Sex.MALE
    ecog = stream.pick((0, 1, 2), params.ecog_shares)
    # BCLC 2022: stage B is multinodular disease with ECOG 0 and neither macrovascular
    # invasion nor extrahepatic spread; everything else the trial admits is stage C.
    b_given_ecog0 = params.bclc_b_share / params.ecog_shares[0] if params.ecog_shares[0] else 0
    stage_b = ecog == 0 and stream.chance(b_given_ecog0)
    if stage_b:
        mvi = ehs = False
    else:
        mvi = stream.chance(0.40)
        ehs = stream.chance(0.65)
        if ecog == 0 and not (mvi or ehs):
            ehs = True  # stage C with ECOG 0 needs invasion or spread
    points = stream.pick((5, 6, 7), params.child_pugh_shares)
    items_, weights = zip(*_CP_ITEMS[points], strict=True)
    items = stream.pick(items_, weights)
    other = max(0.0, 1.0 - params.aetiology_hbv - params.aetiology_hcv)
    cause = stream.pick(("hbv", "hcv", "other"), (params.aetiology_hbv, params.aetiology_hcv,
                                                  other))
    aetiology = ("hbv",) if cause == "hbv" else ("hcv",) if cause == "hcv" else \
        (stream.pick(("alcohol", "nafld", "other"), (0.6, 0.25, 0.15)),)
    consent = screened_on - _days(stream.integer(8, 26))
    first_dose = screened_on + _days(stream.pick((0, 1, 2, 3), (0.1, 0.4, 0.3, 0.2)))
    window = (screened_on - consent).days
    imaging = screened_on - _days(stream.integer(2, min(window, schedule.imaging_max_days - 1)))
    lab = first_dose - _days(stream.integer(1, min((first_dose - consent).days,
                                                   schedule.labs_max_days - 1)))
    ecg = first_dose - _days(stream.integer(2, min((first_dose - consent).days,
                                                   schedule.ecg_max_days - 2)))
    echo = first_dose - _days(stream.integer(2, min((first_dose - consent).days,
                                                    schedule.ecg_max_days - 2)))
    age = min(75, max(30, round(stream.normal(57, 9))))
    lesions = baseline_lesions(stream, bclc_b=stage_b, macrovascular_invasion=mvi,
                               extrahepatic_spread=ehs)
    labs = _blood_labs(stream, sex) | _liver_labs(stream, items)
    creat = reference("creatinine", sex)
    assert creat.uln is not None
    labs["creatinine"] = float(round(stream.uniform(0.55, 0.95) * creat.uln))
    weight = round(stream.normal(66 if sex is Sex.MALE else 56, 9), 1)
    potential = (sex is Sex.FEMALE and age < 50) or (sex is Sex.MALE and stream.chance(0.4))
    return Patient(number, sex, _birth_date(stream, age, consent), max(40.0, weight), ecog,
                   consent, screened_on, first_dose, imaging, lab, ecg, echo, aetiology, mvi,
                   ehs, "B" if stage_b else "C", items, lesions, labs,
                   stream.pick(("CT", "MRI"), (0.7, 0.3)), potential)


_LINE_1 = (("atezolizumab + bevacizumab", ["atezolizumab", "bevacizumab"]),
           ("sintilimab + IBI305", ["sintilimab", "IBI305"]), ("lenvatinib", ["lenvatinib"]),
           ("donafenib", ["donafenib"]), ("sorafenib", ["sorafenib"]),
           ("camrelizumab + apatinib", ["camrelizumab", "apatinib"]))
_LATER = (("regorafenib", ["regorafenib"]), ("apatinib", ["apatinib"]),
          ("FOLFOX4", ["oxaliplatin", "fluorouracil", "leucovorin"]),
          ("lenvatinib", ["lenvatinib"]), ("tislelizumab", ["tislelizumab"]),
          ("ramucirumab", ["ramucirumab"]), ("camrelizumab", ["camrelizumab"]))


def _prior_therapies(stream: Stream, p: Patient, lines: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    end = p.consent_on - _days(stream.integer(14, 60))
    used: set[str] = set()
    for line in range(lines, 0, -1):
        pool = _LINE_1 if line == 1 else _LATER
        options = [r for r in pool if r[0] not in used] or list(pool)
        regimen, drugs = options[stream.integer(0, len(options) - 1)]
        used.add(regimen)
        start = end - _days(stream.integer(50, 300))
        reason = "intolerance" if stream.chance(0.15) else "progression"
        out.append({"regimen": regimen, "drugs": drugs, "line": line, "start_date": start,
                    "end_date": end, "end_reason": reason})
        end = start - _days(stream.integer(10, 45))
    if stream.chance(0.55):  # chemoembolisation before systemic therapy (not a line, PN-18)
        day = end - _days(stream.integer(20, 200))
        out.append({"regimen": "TACE", "kind": "tace", "start_date": day, "end_date": day,
                    "end_reason": "completed"})
    return list(reversed(out))


def _qtc_ecgs(stream: Stream, qtc: float) -> list[dict[str, float]]:
    ecgs = []
    for _ in range(3):
        rate = round(stream.uniform(60, 92))
        rr_s = 60.0 / rate
        ecgs.append({"qt_ms": float(round((qtc + stream.uniform(-4, 4)) * rr_s ** (1 / 3))),
                     "heart_rate_bpm": float(rate)})
    return ecgs


def _hepatitis(stream: Stream, p: Patient) -> dict[str, Any]:
    dna_on = p.consent_on + _days(stream.integer(1, max(1, (p.screened_on - p.consent_on).days
                                                        - 1)))
    undetectable = {"value": 0, "unit": "IU/mL", "assay": "Roche COBAS TaqMan HBV v2.0",
                    "collected_on": dna_on, "below_detection": True}
    if p.aetiology == ("hbv",):
        if stream.chance(0.55):
            dna = undetectable
        elif stream.chance(0.85):
            dna = {"value": float(stream.integer(20, 420)), "unit": "IU/mL",
                   "assay": "Roche COBAS TaqMan HBV v2.0", "collected_on": dna_on}
        else:
            dna = {"value": float(stream.integer(100, 2000)), "unit": "copies/mL",
                   "assay": "Da An HBV DNA PCR", "collected_on": dna_on}
        started = p.screened_on - _days(stream.pick(
            (stream.integer(30, 180), stream.integer(181, 3650)), (0.15, 0.85)))
        return {"hbsag": "positive", "anti_hbc": "positive", "hbv_dna": dna,
                "anti_hbv_therapy_start": started, "anti_hcv": "negative",
                "hcv_rna": "negative", "anti_hdv": "negative"}
    past_hbv = stream.chance(0.3)
    base: dict[str, Any] = {"hbsag": "negative", "anti_hbc": "positive" if past_hbv
                            else "negative", "anti_hbv_therapy_start": "none",
                            "anti_hdv": "negative"}
    if past_hbv:
        base["hbv_dna"] = undetectable
    if p.aetiology == ("hcv",):
        return base | {"anti_hcv": "positive", "hcv_rna": "negative",
                       "hcv_rna_ever_positive": True, "hcv_antiviral": "completed",
                       "hcv_antiviral_end": p.screened_on - _days(stream.integer(120, 2500))}
    return base | {"anti_hcv": "negative", "hcv_rna": "negative"}


def _lab_entries(p: Patient) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("anc", "platelets", "hemoglobin", "bilirubin", "alt", "ast", "albumin",
                "creatinine", "pt", "inr", "aptt"):
        ref: Analyte = reference(key, p.sex)
        entry: dict[str, Any] = {"value": p.labs[key], "unit": ref.unit}
        if ref.lln is not None and key not in ("bilirubin", "alt", "ast"):
            entry["lln"] = ref.lln
        if ref.uln is not None:
            entry["uln"] = ref.uln
        out[key] = entry
    return out


def _lesion_entries(p: Patient) -> list[dict[str, Any]]:
    out = []
    for les in p.lesions:
        entry: dict[str, Any] = {"site": les.site, "longest_diameter_mm": les.longest_mm}
        if les.nodal:
            entry |= {"lymph_node": True, "short_axis_mm": les.short_axis_mm}
        out.append(entry)
    return out


def screening_data(stream: Stream, p: Patient) -> dict[str, Any]:
    """The patient's screening record as data for :class:`oncotrial.eligibility.ScreeningRecord`
    (every criterion of the protocol met)."""
    lines = stream.pick((2, 3, 4), (0.6, 0.3, 0.1))
    qtc = stream.normal(412, 12) if p.sex is Sex.MALE else stream.normal(425, 12)
    limit = 440 if p.sex is Sex.MALE else 460
    reproductive: dict[str, Any] = {"reproductive_potential": p.reproductive_potential}
    if p.sex is Sex.FEMALE:
        reproductive |= {"pregnant": False, "breastfeeding": False}
    if p.reproductive_potential:
        reproductive["contraception_agreed"] = True
        if p.sex is Sex.FEMALE:
            reproductive |= {"pregnancy_test": {
                "result": "negative", "kind": "serum", "date": max(
                    p.lab_on, p.first_dose_on - _days(stream.integer(1, 5)))}}
    ascites = "mild" if "ascites" in p.cp_items else "none"
    attest = {"expected_survival_at_least_3_months": True, "free_of_severe_cardiac_disease": True,
              "free_of_study_drug_allergy": True, "can_take_oral_capsules": True,
              "free_of_unsuitable_condition": True}
    surgery: date | str = "none"
    if stream.chance(0.12):  # a resection years before recurrence
        surgery = p.consent_on - _days(stream.integer(400, 2500))
        attest["recovered_from_surgery"] = True
    return {
        "subject_id": p.screening_number, "sex": p.sex.value, "birth_date": p.birth_date,
        "informed_consent_date": p.consent_on, "planned_enrolment_date": p.screened_on,
        "planned_first_dose_date": p.first_dose_on, "ecog": p.ecog, "weight_kg": p.weight_kg,
        "diagnosis": {"method": "histology" if stream.chance(0.85) else "cytology",
                      "unresectable_advanced": True, "bclc_stage": p.bclc,
                      "not_suitable_for_local_therapy": p.bclc == "C",
                      "progressed_after_local_therapy": p.bclc == "B"},
        "liver": {"ascites": ascites, "encephalopathy": "none"},
        "prior_therapies": _prior_therapies(stream, p, lines),
        "imaging": {"date": p.imaging_on, "modality": p.method,
                    "lesions": _lesion_entries(p)},
        "cns_metastases": "none",
        "lab_date": p.lab_on,
        "labs": _lab_entries(p),
        "cardiac": {"ecg_date": p.ecg_on, "ecgs": _qtc_ecgs(stream, min(qtc, limit)),
                    "echo": {"date": p.echo_on, "lvef": float(round(stream.uniform(56, 72)))}},
        "hepatitis": _hepatitis(stream, p),
        "history": {"last_trial_therapy_date": "none", "last_major_surgery_date": surgery,
                    "other_malignancies": []},
        "reproductive": reproductive,
        "attestations": attest,
    }


def _anc(stream: Stream, d: dict[str, Any], p: Patient) -> None:
    d["labs"]["anc"]["value"] = round(stream.uniform(0.45, 0.95), 2)


def _platelets(stream: Stream, d: dict[str, Any], p: Patient) -> None:
    d["labs"]["platelets"]["value"] = float(stream.integer(28, 48))


def _haemoglobin(stream: Stream, d: dict[str, Any], p: Patient) -> None:
    d["labs"]["hemoglobin"]["value"] = float(stream.integer(66, 78))


def _child_pugh(stream: Stream, d: dict[str, Any], p: Patient) -> None:
    # Child-Pugh B8: bilirubin, albumin and ascites each score 2 points.
    d["labs"]["bilirubin"]["value"] = round(stream.uniform(36, 49), 1)
    d["labs"]["albumin"]["value"] = float(stream.integer(29, 34))
    d["liver"]["ascites"] = "mild"


def _qtc(stream: Stream, d: dict[str, Any], p: Patient) -> None:
    qtc = stream.uniform(458, 485) if p.sex is Sex.MALE else stream.uniform(478, 495)
    d["cardiac"]["ecgs"] = _qtc_ecgs(stream, qtc)


def _lvef(stream: Stream, d: dict[str, Any], p: Patient) -> None:
    d["cardiac"]["echo"]["lvef"] = float(stream.integer(42, 53))


def _hbv_dna(stream: Stream, d: dict[str, Any], p: Patient) -> None:
    hep = d["hepatitis"]
    hep.update({"hbsag": "positive", "anti_hbc": "positive", "anti_hdv": "negative",
                "anti_hbv_therapy_start": p.screened_on - _days(stream.integer(30, 2000))})
    hep["hbv_dna"] = {"value": float(stream.integer(900, 60000)), "unit": "IU/mL",
                      "assay": "Roche COBAS TaqMan HBV v2.0", "collected_on": p.lab_on}


def _coinfection(stream: Stream, d: dict[str, Any], p: Patient) -> None:
    _hbv_dna(stream, d, p)
    d["hepatitis"]["hbv_dna"]["value"] = float(stream.integer(20, 300))
    d["hepatitis"]["anti_hdv"] = "positive"


def _one_line(stream: Stream, d: dict[str, Any], p: Patient) -> None:
    systemic = [t for t in d["prior_therapies"] if t.get("kind", "systemic") == "systemic"]
    last = systemic[-1]
    d["prior_therapies"] = [t for t in d["prior_therapies"]
                            if t.get("kind") == "tace"] + [{**last, "line": 1}]


def _ecog(stream: Stream, d: dict[str, Any], p: Patient) -> None:
    d["ecog"] = 3
    d["diagnosis"]["bclc_stage"] = "D"  # BCLC 2022: performance status 3-4 is stage D


def _old_imaging(stream: Stream, d: dict[str, Any], p: Patient) -> None:
    d["imaging"]["date"] = p.screened_on - _days(stream.integer(24, 40))


def _cns(stream: Stream, d: dict[str, Any], p: Patient) -> None:
    d["cns_metastases"] = "symptomatic"


def _malignancy(stream: Stream, d: dict[str, Any], p: Patient) -> None:
    d["history"]["other_malignancies"] = [{
        "diagnosis": stream.pick(("colorectal adenocarcinoma", "gastric adenocarcinoma",
                                  "papillary thyroid carcinoma"), (0.4, 0.35, 0.25)),
        "diagnosed_on": p.consent_on - _days(stream.integer(300, 1500)), "cured": True}]


def _age(stream: Stream, d: dict[str, Any], p: Patient) -> None:
    d["birth_date"] = _birth_date(stream, stream.integer(76, 80), p.consent_on)


#: Reasons for a screen failure: name -> (criteria not met, weight, how the record changes).
FAILURES: dict[str, tuple[frozenset[str], float, Any]] = {
    "anc_low": (frozenset({"I11"}), 0.13, _anc),
    "platelets_low": (frozenset({"I11"}), 0.12, _platelets),
    "haemoglobin_low": (frozenset({"I11"}), 0.05, _haemoglobin),
    "child_pugh_b8": (frozenset({"I8"}), 0.16, _child_pugh),
    "qtc_prolonged": (frozenset({"I12"}), 0.07, _qtc),
    "lvef_low": (frozenset({"I12"}), 0.03, _lvef),
    "hbv_dna_uncontrolled": (frozenset({"I9"}), 0.12, _hbv_dna),
    "hbv_hdv_coinfection": (frozenset({"E5"}), 0.03, _coinfection),
    "one_prior_line": (frozenset({"I4"}), 0.12, _one_line),
    "ecog_3": (frozenset({"I2", "I7"}), 0.05, _ecog),
    "imaging_too_old": (frozenset({"I6"}), 0.04, _old_imaging),
    "cns_symptomatic": (frozenset({"I10"}), 0.02, _cns),
    "other_malignancy": (frozenset({"E7"}), 0.03, _malignancy),
    "age_over_75": (frozenset({"I1"}), 0.03, _age),
}

#: Reasons that change the same items, so they are not combined in one patient.
_CLASH = {frozenset({"hbv_dna_uncontrolled", "hbv_hdv_coinfection"}),
          frozenset({"qtc_prolonged", "lvef_low"})}


def fail(stream: Stream, data: dict[str, Any], patient: Patient) -> tuple[str, ...]:
    """Change the record so that it fails screening, and return the reasons (one or two
    names of :data:`FAILURES`; a fifth of failures have two)."""
    names = list(FAILURES)
    weights = [FAILURES[n][1] for n in names]
    first = stream.pick(names, weights)
    chosen = [first]
    if stream.chance(0.2):
        second = stream.pick(names, weights)
        if second != first and frozenset({first, second}) not in _CLASH:
            chosen.append(second)
    for name in chosen:
        FAILURES[name][2](stream, data, patient)
    return tuple(chosen)


