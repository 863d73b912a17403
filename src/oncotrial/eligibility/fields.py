"""Resolve the screening fields a protocol rule names (``oncotrial.protocol.vocabulary``).

Each field is read from the screening record or derived from it (age from the birth date,
Child-Pugh from labs and the investigator's items, creatinine clearance by Cockcroft-Gault,
QTc from the ECGs, measurable lesions by RECIST 1.1). A field that cannot be had yields
:class:`Missing` naming exactly the record entries to fill in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

from oncotrial.clinical.age import age_in_years
from oncotrial.clinical.ecg import bazett_formula, fridericia_formula
from oncotrial.clinical.liver import child_pugh
from oncotrial.clinical.renal import cockcroft_gault_formula
from oncotrial.clinical.units import Quantity, convert
from oncotrial.eligibility.record import LabResult, Lesion, PriorTherapy, ScreeningRecord

__all__ = [
    "FIELD_SOURCES",
    "Context",
    "FieldValue",
    "Missing",
    "NoneRecorded",
    "as_number",
    "display_unit",
    "fmt_number",
]

Scalar = float | int | str | bool | dt.date


class FieldValue(NamedTuple):
    """A resolved field: its value, the words to show it, and lab context when it is a lab.

    The words are built only when asked for (``text``): screening many records for the answer
    alone then costs no string formatting.
    """

    value: Scalar
    describe: Callable[[], str]
    unit: str | None = None
    lln: float | None = None
    uln: float | None = None
    on: dt.date | None = None

    @property
    def text(self) -> str:
        """The value in words, with its unit and date: ``"ANC 0.9 x10^9/L on 2026-03-02"``."""
        return self.describe()


class Missing(NamedTuple):
    """The field cannot be resolved; ``fields`` are the record entries to fill in."""

    fields: tuple[str, ...]


class NoneRecorded(NamedTuple):
    """The record says there was none (``none``), e.g. no major surgery."""

    text: str


Resolved = FieldValue | Missing | NoneRecorded


def as_number(field: FieldValue) -> float:
    """The field's value as a number (booleans and dates are refused as a programming error)."""
    value = field.value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{field.text!r} is not numeric")
    return float(value)


def fmt_number(value: float) -> str:
    """Show a number without float noise: ``1.0`` stays ``1.0``, ``50.0`` becomes ``50``."""
    if float(value).is_integer() and abs(value) >= 10:
        return f"{value:.0f}"
    return f"{value:.10g}" if not float(value).is_integer() else f"{value:.1f}"


_DISPLAY = {"10^9/L": "x10^9/L", "10^3/uL": "x10^3/uL", "1": ""}


def display_unit(unit: str | None) -> str:
    """The unit as shown in sentences (``10^9/L`` as ``x10^9/L``); empty for unitless."""
    if unit is None:
        return ""
    return _DISPLAY.get(unit, unit)


def _with_unit(value: float, unit: str | None) -> str:
    shown = display_unit(unit)
    sep = "" if shown in ("", "%") else " "
    return f"{fmt_number(value)}{sep}{shown}"


#: Where each vocabulary field comes from in the screening record (documentation and tests).
FIELD_SOURCES: dict[str, str] = {
    "age_years": "birth_date and the age reference date (protocol enrolment.age_reference)",
    "sex": "sex",
    "informed_consent_date": "informed_consent_date",
    "ecog": "ecog",
    "diagnosis_method": "diagnosis.method",
    "unresectable_advanced": "diagnosis.unresectable_advanced",
    "bclc_stage": "diagnosis.bclc_stage",
    "not_suitable_for_local_therapy": "diagnosis.not_suitable_for_local_therapy",
    "progressed_after_local_therapy": "diagnosis.progressed_after_local_therapy",
    "measurable_lesion_count": "imaging.lesions (RECIST 1.1 measurability)",
    "imaging_date": "imaging.date",
    "cns_metastases": "cns_metastases",
    "cns_stable_since": "cns_stable_since",
    "prior_systemic_lines": "prior_therapies (systemic, advanced setting, ended by progression "
                            "or intolerance; one line per line number)",
    "child_pugh_points": "labs.bilirubin, labs.albumin, labs.inr (or labs.pt_prolongation_s), "
                         "liver.ascites, liver.encephalopathy",
    "child_pugh_class": "as child_pugh_points",
    "anc": "labs.anc",
    "platelets": "labs.platelets",
    "hemoglobin": "labs.hemoglobin",
    "bilirubin": "labs.bilirubin",
    "alt": "labs.alt",
    "ast": "labs.ast",
    "albumin": "labs.albumin",
    "creatinine": "labs.creatinine",
    "creatinine_clearance": "labs.creatinine, weight_kg, sex, birth_date (age on the lab date)",
    "pt": "labs.pt",
    "inr": "labs.inr",
    "aptt": "labs.aptt",
    "lab_date": "the earliest date among labs (collected_on, else lab_date)",
    "lvef": "cardiac.echo.lvef",
    "echo_date": "cardiac.echo.date",
    "qtc_fridericia": "cardiac.ecgs (mean of Fridericia QTc over the tracings)",
    "qtc_bazett": "cardiac.ecgs (mean of Bazett QTc over the tracings)",
    "ecg_date": "cardiac.ecg_date",
    "last_trial_therapy_date": "history.last_trial_therapy_date ('none' when there was none)",
    "last_major_surgery_date": "history.last_major_surgery_date ('none' when there was none)",
}

_LAB_LABELS = {
    "anc": "ANC", "platelets": "Platelets", "hemoglobin": "Haemoglobin",
    "bilirubin": "Total bilirubin", "alt": "ALT", "ast": "AST", "albumin": "Albumin",
    "creatinine": "Creatinine", "pt": "PT", "inr": "INR", "aptt": "aPTT",
}

_LAB_NAMES = tuple(_LAB_LABELS)

_SIMPLE_LABELS = {
    "sex": "Sex", "ecog": "ECOG", "diagnosis_method": "Diagnosis method",
    "unresectable_advanced": "Unresectable advanced HCC", "bclc_stage": "BCLC stage",
    "not_suitable_for_local_therapy": "Not suitable for local therapy",
    "progressed_after_local_therapy": "Progressed after local therapy",
    "cns_metastases": "CNS metastases",
}


_DIAGNOSIS_FIELDS = {name: path.split(".", 1)[1] for name, path in FIELD_SOURCES.items()
                     if path.startswith("diagnosis.")}


def is_measurable(lesion: Lesion) -> bool:
    """RECIST 1.1 section 3.1: measurable at baseline.

    A non-nodal lesion needs a longest diameter of at least 10 mm (or twice the slice thickness
    when slices are thicker than 5 mm); a lymph node needs a short axis of at least 15 mm. A
    lesion treated locally (TACE, ablation, radiotherapy) counts only if it has progressed
    since (PN-20).
    """
    if lesion.previously_treated_locally and not lesion.progressed_since_local_therapy:
        return False
    if lesion.lymph_node:
        return lesion.short_axis_mm is not None and lesion.short_axis_mm >= 15.0
    floor = 10.0
    if lesion.slice_thickness_mm is not None and lesion.slice_thickness_mm > 5.0:
        floor = 2.0 * lesion.slice_thickness_mm
    return lesion.longest_diameter_mm >= floor


class Context:
    """One record being screened on one date; resolves fields and caches derived values."""

    def __init__(
        self,
        record: ScreeningRecord,
        *,
        on: dt.date,
        first_dose_on: dt.date,
        age_reference: str,
        criterion_id: str = "",
    ) -> None:
        self.record = record
        self.on = on
        self.first_dose_on = first_dose_on
        self.age_reference = age_reference
        self.criterion_id = criterion_id
        self._cache: dict[str, Resolved] = {}
        self._labs: dict[str, LabResult | None] | None = None

    def reference_date(self, relative_to: str) -> dt.date:
        """The enrolment date or the planned first-dose date."""
        return self.first_dose_on if relative_to == "first_dose" else self.on

    def get(self, name: str) -> Resolved:
        """Resolve vocabulary field ``name`` (cached)."""
        cached = self._cache.get(name)
        if cached is None:
            resolver = _DISPATCH.get(name)
            if resolver is None:
                raise KeyError(f"the eligibility engine cannot resolve field {name!r}")
            cached = self._cache[name] = resolver(self)
        return cached

    # --- resolution -------------------------------------------------------------------

    def _simple(self, name: str) -> Resolved:
        path = FIELD_SOURCES[name]
        value: Scalar | None
        if name in _DIAGNOSIS_FIELDS:
            value = getattr(self.record.diagnosis, _DIAGNOSIS_FIELDS[name])
        else:
            value = getattr(self.record, path)
        if value is None:
            return Missing((path,))
        shown = {True: "yes", False: "no"}.get(value, str(value)) if isinstance(value, bool) \
            else str(value)
        return FieldValue(value, lambda: f"{_SIMPLE_LABELS[name]} {shown}")

    def lab_result(self, name: str) -> LabResult | None:
        """The record's lab result for ``name`` (None when absent)."""
        labs = self._labs
        if labs is None:
            source = self.record.labs
            labs = self._labs = {n: getattr(source, n) for n in _LAB_NAMES}
        return labs.get(name)

    def lab_on(self, result: LabResult) -> dt.date | None:
        """The sample date of a lab result (its own, else the record's lab_date)."""
        return result.collected_on or self.record.lab_date

    def _lab(self, name: str) -> Resolved:
        result = self.lab_result(name)
        if result is None:
            return Missing((f"labs.{name}",))
        on = self.lab_on(result)

        def text() -> str:
            when = f" on {on.isoformat()}" if on else ""
            return f"{_LAB_LABELS[name]} {_with_unit(result.value, result.unit)}{when}"

        return FieldValue(result.value, text, result.unit, result.lln, result.uln, on)

    def age_reference_date(self) -> tuple[dt.date | None, str]:
        """The date age is taken on, and its name (PN-16: informed consent by default)."""
        if self.age_reference == "informed_consent":
            return self.record.informed_consent_date, "informed consent"
        if self.age_reference == "first_dose":
            return self.first_dose_on, "first dose"
        return self.on, "enrolment"


def _age(ctx: Context) -> Resolved:
    ref, ref_name = ctx.age_reference_date()
    missing = [n for n, v in (("birth_date", ctx.record.birth_date),
                              ("informed_consent_date", ref)) if v is None]
    if missing or ctx.record.birth_date is None or ref is None:
        return Missing(tuple(missing))
    age = age_in_years(ctx.record.birth_date, on=ref)
    return FieldValue(age, lambda: f"Age {age} years on {ref.isoformat()} ({ref_name})",
                      unit="years", on=ref)


def _date_field(label: str, getter: Callable[[ScreeningRecord], object], path: str,
                ) -> Callable[[Context], Resolved]:
    def resolve(ctx: Context) -> Resolved:
        value = getter(ctx.record)
        if value == "none":
            return NoneRecorded(f"{label}: none recorded")
        if not isinstance(value, dt.date):
            return Missing((path,))
        return FieldValue(value, lambda: f"{label} {value.isoformat()}", on=value)

    return resolve


def _measurable(ctx: Context) -> Resolved:
    lesions = ctx.record.imaging.lesions
    if lesions is None:
        return Missing(("imaging.lesions",))
    count = sum(1 for lesion in lesions if is_measurable(lesion))
    return FieldValue(count, lambda: f"{count} measurable lesion{'s' if count != 1 else ''} "
                                     f"(of {len(lesions)} recorded)")


def count_prior_lines(ctx: Context, *, count_haic_as_line: bool) -> tuple[int, list[str]] | None:
    """Prior systemic lines for advanced HCC ended by progression or intolerance (PN-18).

    Entries sharing a ``line`` number form one line (a combination, or a switch within a class
    for toxicity); the line counts when its last entry ended by progression or intolerance.
    Locoregional therapies never count; HAIC counts only with ``count_haic_as_line``.
    Returns None when the therapy history has not been recorded.
    """
    therapies = ctx.record.prior_therapies
    if therapies is None:
        return None
    groups = _line_groups(therapies, count_haic_as_line)
    counted = [key for key, entries in groups.items()
               if therapies[entries[-1]].end_reason in ("progression", "intolerance")]
    return len(counted), [" + ".join(therapies[i].regimen for i in groups[key])
                          for key in counted]


def _line_groups(therapies: list[PriorTherapy], count_haic_as_line: bool,
                 ) -> dict[object, list[int]]:
    """Each line's entries (indices into ``therapies``), in order; see count_prior_lines."""
    kinds = ("systemic", "haic") if count_haic_as_line else ("systemic",)
    groups: dict[object, list[int]] = {}
    for index, therapy in enumerate(therapies):
        if therapy.kind not in kinds or therapy.setting != "advanced":
            continue
        key: object = therapy.line if therapy.line is not None else ("entry", index)
        groups.setdefault(key, []).append(index)
    return groups


def count_lines(therapies: list[PriorTherapy], *, count_haic_as_line: bool) -> int:
    """The number of lines :func:`count_prior_lines` counts, without their names (PN-18)."""
    if not therapies:
        return 0
    return sum(1 for entries in _line_groups(therapies, count_haic_as_line).values()
               if therapies[entries[-1]].end_reason in ("progression", "intolerance"))


def _prior_lines(ctx: Context) -> Resolved:
    counted = count_prior_lines(ctx, count_haic_as_line=False)
    if counted is None:
        return Missing(("prior_therapies",))
    number, regimens = counted
    listing = f" ({'; '.join(regimens)})" if regimens else ""
    return FieldValue(number, lambda: f"{number} prior systemic line"
                                      f"{'s' if number != 1 else ''}{listing}")


def _child_pugh(ctx: Context) -> Resolved:
    r = ctx.record
    missing = []
    bili, alb, inr = ctx.lab_result("bilirubin"), ctx.lab_result("albumin"), ctx.lab_result("inr")
    if bili is None:
        missing.append("labs.bilirubin")
    if alb is None:
        missing.append("labs.albumin")
    if inr is None and r.labs.pt_prolongation_s is None:
        missing.append("labs.inr")
    if r.liver.ascites is None:
        missing.append("liver.ascites")
    if r.liver.encephalopathy is None:
        missing.append("liver.encephalopathy")
    if missing or bili is None or alb is None or r.liver.ascites is None \
            or r.liver.encephalopathy is None:
        return Missing(tuple(missing))
    result = child_pugh(
        bilirubin=Quantity(bili.value, bili.unit), albumin=Quantity(alb.value, alb.unit),
        inr=inr.value if inr is not None else None, pt_prolongation_s=r.labs.pt_prolongation_s,
        ascites=r.liver.ascites, encephalopathy=r.liver.encephalopathy)
    return FieldValue(result.points, result.summary)


def _child_pugh_class(ctx: Context) -> Resolved:
    points = ctx.get("child_pugh_points")
    if not isinstance(points, FieldValue):
        return points
    number = as_number(points)
    klass = "A" if number <= 6 else ("B" if number <= 9 else "C")
    return FieldValue(klass, points.describe)


def _crcl(ctx: Context) -> Resolved:
    r = ctx.record
    creat = ctx.lab_result("creatinine")
    missing = [path for path, value in (("labs.creatinine", creat), ("weight_kg", r.weight_kg),
                                        ("sex", r.sex), ("birth_date", r.birth_date))
               if value is None]
    if missing or creat is None or r.weight_kg is None or r.sex is None or r.birth_date is None:
        return Missing(tuple(missing))
    on = ctx.lab_on(creat) or ctx.on
    age = age_in_years(r.birth_date, on=on)
    weight, sex = r.weight_kg, r.sex
    # The record was checked on reading (plausible values, creatinine units), so the formula
    # is applied directly; cockcroft_gault() would check everything again.
    scr_mg_dl = convert(creat.value, creat.unit, "mg/dL", analyte="creatinine")
    value = cockcroft_gault_formula(age, weight, sex == "F", scr_mg_dl)

    def text() -> str:
        return (f"Cockcroft-Gault clearance {value:.1f} mL/min (age {age}, {fmt_number(weight)} "
                f"kg, {sex}, creatinine {_with_unit(creat.value, creat.unit)})")

    return FieldValue(value, text, unit="mL/min", on=on)


def _lab_date(ctx: Context) -> Resolved:
    dates = []
    undated = []
    for name in _LAB_NAMES:
        result = ctx.lab_result(name)
        if result is None:
            continue
        on = ctx.lab_on(result)
        if on is None:
            undated.append(f"labs.{name}.collected_on")
        else:
            dates.append(on)
    if not dates and not undated:
        return Missing(("lab_date",))
    if undated:
        return Missing(("lab_date",))
    oldest = min(dates)
    return FieldValue(oldest, lambda: f"Qualifying labs from {oldest.isoformat()}", on=oldest)


def _qtc(formula: str) -> Callable[[Context], Resolved]:
    def resolve(ctx: Context) -> Resolved:
        ecgs = ctx.record.cardiac.ecgs
        if not ecgs:
            return Missing(("cardiac.ecgs",))
        # Each tracing was checked on reading; average the per-tracing QTc (PN-30).
        correct = fridericia_formula if formula == "fridericia" else bazett_formula
        name = "QTcF" if formula == "fridericia" else "QTcB"
        value = sum(correct(e.qt_ms, e.heart_rate_bpm) for e in ecgs) / len(ecgs)
        on = ctx.record.cardiac.ecg_date

        def text() -> str:
            how = f"mean of {len(ecgs)} ECGs" if len(ecgs) > 1 else "1 ECG"
            when = f" on {on.isoformat()}" if on else ""
            return f"{name} {value:.0f} ms ({how}){when}"

        return FieldValue(value, text, unit="ms", on=on)

    return resolve


def _lvef(ctx: Context) -> Resolved:
    echo = ctx.record.cardiac.echo
    if echo is None or echo.lvef is None:
        return Missing(("cardiac.echo.lvef",))
    lvef, on = echo.lvef, echo.date

    def text() -> str:
        when = f" on {on.isoformat()}" if on else ""
        return f"LVEF {fmt_number(lvef)}%{when}"

    return FieldValue(lvef, text, unit="%", on=on)


_RESOLVERS: dict[str, Callable[[Context], Resolved]] = {
    "age_years": _age,
    "informed_consent_date": _date_field("Informed consent", lambda r: r.informed_consent_date,
                                         "informed_consent_date"),
    "measurable_lesion_count": _measurable,
    "imaging_date": _date_field("Qualifying scan", lambda r: r.imaging.date, "imaging.date"),
    "cns_stable_since": _date_field("CNS metastases stable since", lambda r: r.cns_stable_since,
                                    "cns_stable_since"),
    "prior_systemic_lines": _prior_lines,
    "child_pugh_points": _child_pugh,
    "child_pugh_class": _child_pugh_class,
    "creatinine_clearance": _crcl,
    "lab_date": _lab_date,
    "lvef": _lvef,
    "echo_date": _date_field("Echocardiogram",
                             lambda r: r.cardiac.echo.date if r.cardiac.echo else None,
                             "cardiac.echo.date"),
    "qtc_fridericia": _qtc("fridericia"),
    "qtc_bazett": _qtc("bazett"),
    "ecg_date": _date_field("ECG", lambda r: r.cardiac.ecg_date, "cardiac.ecg_date"),
    "last_trial_therapy_date": _date_field(
        "Last antitumour therapy in another trial", lambda r: r.history.last_trial_therapy_date,
        "history.last_trial_therapy_date"),
    "last_major_surgery_date": _date_field(
        "Last major surgery", lambda r: r.history.last_major_surgery_date,
        "history.last_major_surgery_date"),
}


_DISPATCH: dict[str, Callable[[Context], Resolved]] = {
    **{name: partial(Context._lab, name=name) for name in _LAB_LABELS},
    **{name: partial(Context._simple, name=name) for name in _SIMPLE_LABELS},
    **_RESOLVERS,
}


def resolvable_fields() -> frozenset[str]:
    """Every field name this module can resolve."""
    return frozenset(_DISPATCH)


# --- raw values for the status-only path --------------------------------------------------------
# Screening many records for the answer alone needs each field's bare value, not its words.
# A raw getter returns what ``Context.get(name).value`` would be, ``None`` where ``get`` gives
# :class:`Missing`, or :data:`NONE_RECORDED` where it gives :class:`NoneRecorded`. They build
# no FieldValue, closure or cache entry. The engine's tests check that both paths agree.

#: Raw marker of a field the record says there was none of (``none``).
NONE_RECORDED: Any = NoneRecorded("")

RawGetter = Callable[[Context], Any]


def _raw_lab(name: str) -> RawGetter:
    def raw(ctx: Context) -> Any:
        result = getattr(ctx.record.labs, name)
        return None if result is None else result.value

    return raw


def _raw_simple(name: str) -> RawGetter:
    path = FIELD_SOURCES[name]
    if name in _DIAGNOSIS_FIELDS:
        attr = _DIAGNOSIS_FIELDS[name]

        def raw_diagnosis(ctx: Context) -> Any:
            return getattr(ctx.record.diagnosis, attr)

        return raw_diagnosis

    def raw(ctx: Context) -> Any:
        return getattr(ctx.record, path)

    return raw


def _raw_age(ctx: Context) -> Any:
    birth = ctx.record.birth_date
    ref = ctx.age_reference_date()[0]
    if birth is None or ref is None:
        return None
    return age_in_years(birth, on=ref)


def _raw_date(getter: Callable[[ScreeningRecord], object]) -> RawGetter:
    def raw(ctx: Context) -> Any:
        value = getter(ctx.record)
        if value == "none":
            return NONE_RECORDED
        return value if isinstance(value, dt.date) else None

    return raw


def _raw_measurable(ctx: Context) -> Any:
    lesions = ctx.record.imaging.lesions
    if lesions is None:
        return None
    return sum(1 for lesion in lesions if is_measurable(lesion))


def _raw_prior_lines(ctx: Context) -> Any:
    therapies = ctx.record.prior_therapies
    return None if therapies is None else count_lines(therapies, count_haic_as_line=False)


def _raw_child_pugh(ctx: Context) -> Any:
    r = ctx.record
    labs, liver = r.labs, r.liver
    bili, alb, inr = labs.bilirubin, labs.albumin, labs.inr
    ascites, encephalopathy = liver.ascites, liver.encephalopathy
    if bili is None or alb is None or (inr is None and labs.pt_prolongation_s is None) \
            or ascites is None or encephalopathy is None:
        return None
    asc, enc = _CP_ASCITES.get(ascites), _CP_ENCEPHALOPATHY.get(encephalopathy)
    if inr is None or asc is None or enc is None or bili.unit not in ("umol/L", "mg/dL") \
            or alb.unit not in ("g/L", "g/dL"):
        full = _child_pugh(ctx)  # anything unusual: the full score decides
        return full.value if isinstance(full, FieldValue) else None
    # child_pugh() on canonical units, without building Quantity objects (same bands).
    b = bili.value
    if bili.unit == "mg/dL":
        points = 1 if b < 2.0 else (2 if b <= 3.0 else 3)
    else:
        points = 1 if b < 34.0 else (2 if b <= 51.0 else 3)
    a = alb.value
    if alb.unit == "g/dL":
        points += 1 if a > 3.5 else (2 if a >= 2.8 else 3)
    else:
        points += 1 if a > 35.0 else (2 if a >= 28.0 else 3)
    i = inr.value
    points += 1 if i < 1.7 else (2 if i <= 2.3 else 3)
    return points + asc + enc


_CP_ASCITES = {"none": 1, "mild": 2, "moderate_severe": 3}
_CP_ENCEPHALOPATHY = {"none": 1, "grade_1_2": 2, "grade_3_4": 3}


def _raw_child_pugh_class(ctx: Context) -> Any:
    points = _raw_child_pugh(ctx)
    if points is None:
        return None
    return "A" if points <= 6 else ("B" if points <= 9 else "C")


def _raw_crcl(ctx: Context) -> Any:
    r = ctx.record
    creat = r.labs.creatinine
    if creat is None or r.weight_kg is None or r.sex is None or r.birth_date is None:
        return None
    on = ctx.lab_on(creat) or ctx.on
    age = age_in_years(r.birth_date, on=on)
    scr_mg_dl = (float(creat.value) if creat.unit == "mg/dL"
                 else convert(creat.value, creat.unit, "mg/dL", analyte="creatinine"))
    return cockcroft_gault_formula(age, r.weight_kg, r.sex == "F", scr_mg_dl)


def _raw_lab_date(ctx: Context) -> Any:
    labs, default = ctx.record.labs, ctx.record.lab_date
    oldest = None
    for name in _LAB_NAMES:
        result = getattr(labs, name)
        if result is None:
            continue
        on = result.collected_on or default
        if on is None:
            return None
        if oldest is None or on < oldest:
            oldest = on
    return oldest


def _raw_qtc(formula: str) -> RawGetter:
    correct = fridericia_formula if formula == "fridericia" else bazett_formula

    def raw(ctx: Context) -> Any:
        ecgs = ctx.record.cardiac.ecgs
        if not ecgs:
            return None
        return sum(correct(e.qt_ms, e.heart_rate_bpm) for e in ecgs) / len(ecgs)

    return raw


def _raw_lvef(ctx: Context) -> Any:
    echo = ctx.record.cardiac.echo
    return None if echo is None else echo.lvef


_RAW: dict[str, RawGetter] = {
    **{name: _raw_lab(name) for name in _LAB_LABELS},
    **{name: _raw_simple(name) for name in _SIMPLE_LABELS},
    "age_years": _raw_age,
    "informed_consent_date": _raw_date(lambda r: r.informed_consent_date),
    "measurable_lesion_count": _raw_measurable,
    "imaging_date": _raw_date(lambda r: r.imaging.date),
    "cns_stable_since": _raw_date(lambda r: r.cns_stable_since),
    "prior_systemic_lines": _raw_prior_lines,
    "child_pugh_points": _raw_child_pugh,
    "child_pugh_class": _raw_child_pugh_class,
    "creatinine_clearance": _raw_crcl,
    "lab_date": _raw_lab_date,
    "lvef": _raw_lvef,
    "echo_date": _raw_date(lambda r: r.cardiac.echo.date if r.cardiac.echo else None),
    "qtc_fridericia": _raw_qtc("fridericia"),
    "qtc_bazett": _raw_qtc("bazett"),
    "ecg_date": _raw_date(lambda r: r.cardiac.ecg_date),
    "last_trial_therapy_date": _raw_date(lambda r: r.history.last_trial_therapy_date),
    "last_major_surgery_date": _raw_date(lambda r: r.history.last_major_surgery_date),
}

#: The unit of each derived field's value (lab fields carry the result's own unit).
RAW_UNITS: dict[str, str] = {"age_years": "years", "creatinine_clearance": "mL/min",
                             "lvef": "%", "qtc_fridericia": "ms", "qtc_bazett": "ms"}

LAB_FIELDS: frozenset[str] = frozenset(_LAB_NAMES)


def raw_getter(name: str) -> RawGetter:
    """The raw-value getter of vocabulary field ``name`` (for the engine's status-only path).

    It returns the value :meth:`Context.get` would resolve (``.value`` of the FieldValue),
    ``None`` where that is :class:`Missing`, and :data:`NONE_RECORDED` where it is
    :class:`NoneRecorded`, without building any words.

    >>> from oncotrial.eligibility.record import example_record
    >>> ctx = Context(example_record(), on=dt.date(2026, 3, 2), first_dose_on=dt.date(2026, 3, 2),
    ...               age_reference="informed_consent")
    >>> raw_getter("ecog")(ctx) == ctx.get("ecog").value
    True
    """
    getter = _RAW.get(name)
    if getter is None:
        raise KeyError(f"the eligibility engine cannot resolve field {name!r}")
    return getter
