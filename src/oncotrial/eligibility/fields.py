"""Resolve the screening fields a protocol rule names (``oncotrial.protocol.vocabulary``).

Each field is read from the screening record or derived from it (age from the birth date,
Child-Pugh from labs and the investigator's items, creatinine clearance by Cockcroft-Gault,
QTc from the ECGs, measurable lesions by RECIST 1.1 section 3.1). A field that cannot be had
yields :class:`Missing` naming exactly the record entries to fill in; a field the record says
there was none of (``none``) yields :class:`NoneRecorded`.

Each field has a reader, ``read(ctx, facts)``: it returns the field's value and writes to
``facts`` what a verdict reading it records (the value under the field's name, its unit and
date, and what a derivation used, such as the points of each Child-Pugh item). The words
showing a field are the phrase ``("field", name)``, rendered from those facts
(:mod:`oncotrial.eligibility.phrases`).

The :class:`Context` is one record screened on one date: it collects, criterion by criterion,
the facts and warnings the rules read. Each rule reads its field afresh (a field is read by one
rule in the usual protocol, and reading is cheaper than keeping a cache).
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import operator
from collections.abc import Callable
from typing import NamedTuple

from oncotrial import recist
from oncotrial.clinical import (
    Quantity,
    age_in_years,
    bazett_formula,
    child_pugh_class,
    child_pugh_points,
    cockcroft_gault_formula,
    convert,
    fridericia_formula,
)
from oncotrial.eligibility.record import LAB_NAMES, LabEntry, Lesion, PriorTherapy, ScreeningRecord
from oncotrial.errors import UnknownTermError
from oncotrial.records import Fact

__all__ = [
    "ABSENT",
    "DATE_PATHS",
    "FIELD_SOURCES",
    "Context",
    "Missing",
    "NoneRecorded",
    "Reader",
    "count_prior_lines",
    "is_measurable",
    "reader",
    "resolvable_fields",
]

Scalar = float | int | str | bool | dt.date


class Missing(NamedTuple):
    """The field cannot be resolved; ``fields`` are the record entries to fill in."""

    fields: tuple[str, ...]
    note: str = ""


class NoneRecorded(NamedTuple):
    """The record says there was none (``none``), e.g. no major surgery."""

    text: str


#: A field's value as read: the value, or why there is none.
Resolved = Scalar | Missing | NoneRecorded
#: The classes of a value that could not be had (``value.__class__ in ABSENT``).
ABSENT = (Missing, NoneRecorded)
#: Reads one field of the context's record, writing its facts: ``read(ctx, facts)``.
Reader = Callable[["Context", dict[str, Fact]], Resolved]


#: Where each vocabulary field comes from in the screening record (documentation and tests).
FIELD_SOURCES: dict[str, str] = {
    "age_years": "birth_date and the age reference date (protocol enrolment.age_reference)",
    "sex": "sex",
    "informed_consent_date": "informed_consent_date ('none' when not signed)",
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

#: The record entry of each date field (named when the date is missing).
DATE_PATHS: dict[str, str] = {
    "informed_consent_date": "informed_consent_date",
    "imaging_date": "imaging.date",
    "cns_stable_since": "cns_stable_since",
    "lab_date": "lab_date",
    "echo_date": "cardiac.echo.date",
    "ecg_date": "cardiac.ecg_date",
    "last_trial_therapy_date": "history.last_trial_therapy_date",
    "last_major_surgery_date": "history.last_major_surgery_date",
}

_SIMPLE_FIELDS = ("sex", "ecog", "diagnosis_method", "unresectable_advanced", "bclc_stage",
                  "not_suitable_for_local_therapy", "progressed_after_local_therapy",
                  "cns_metastases")

_DIAGNOSIS_FIELDS = {name: path.split(".", 1)[1] for name, path in FIELD_SOURCES.items()
                     if path.startswith("diagnosis.")}


def is_measurable(lesion: Lesion, *, modality: str | None = None) -> bool:
    """RECIST 1.1 section 3.1: measurable at baseline, decided by
    :func:`oncotrial.recist.measurability` (the one implementation of the rule).

    A non-nodal lesion needs a longest diameter of at least 10 mm (or twice the slice thickness
    when slices are thicker than 5 mm); a lymph node needs a short axis of at least 15 mm. A
    lesion treated locally (TACE, ablation, radiotherapy) counts only if it has progressed
    since (RECIST 1.1 section 3.1.3; PN-20, ``docs/protocol-notes.md#pn-20``).

    >>> is_measurable(Lesion(longest_diameter_mm=12.0))
    True
    >>> is_measurable(Lesion(longest_diameter_mm=30.0, short_axis_mm=12.0, lymph_node=True))
    False
    """
    size = lesion.short_axis_mm if lesion.lymph_node else lesion.longest_diameter_mm
    return _lesion_measurable(size, lesion.lymph_node, modality or "CT", lesion.slice_thickness_mm,
                       lesion.previously_treated_locally, lesion.progressed_since_local_therapy)


@functools.lru_cache(maxsize=4096)
def _lesion_measurable(size_mm: float | None, nodal: bool, modality: str, slice_mm: float | None,
                treated: bool, progressed: bool) -> bool:
    """recist.measurability of one lesion, remembered by the values it depends on (screening a
    cohort meets the same few lesion shapes again and again; building the rule's sentence for
    each would triple the screening time)."""
    lesion = recist.Lesion("L", "", size_mm, _ANY_DAY, nodal=nodal,
                           method=recist.Method(modality), slice_thickness_mm=slice_mm,
                           previously_treated=treated, progressed_since_treatment=progressed)
    return recist.is_measurable(lesion)


_ANY_DAY = dt.date(2000, 1, 1)  # measurability does not depend on the date


class Context:
    """One record being screened on one date, and the facts of the criterion being evaluated.

    ``begin(criterion_id)`` starts a criterion: its ``facts`` and ``warnings`` are fresh, and
    every rule evaluated for it adds what it read.
    """

    __slots__ = ("age_reference", "criterion_id", "facts", "first_dose_on", "on", "record",
                 "warnings")

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
        self.facts: dict[str, Fact] = {}
        self.warnings: list[str] = []

    def begin(self, criterion_id: str) -> None:
        """Start evaluating criterion ``criterion_id`` (fresh facts and warnings)."""
        self.criterion_id = criterion_id
        self.facts = {}
        self.warnings = []

    def get(self, name: str) -> Resolved:
        """The value of vocabulary field ``name`` (its facts are added to ``self.facts``).

        Raises:
            UnknownTermError: ``name`` is not a field of the screening vocabulary.

        >>> from oncotrial.eligibility import example_record
        >>> ctx = Context(example_record(), on=dt.date(2026, 3, 2),
        ...               first_dose_on=dt.date(2026, 3, 3), age_reference="informed_consent")
        >>> ctx.get("anc"), ctx.facts["anc_unit"]
        (2.1, '10^9/L')
        """
        return reader(name)(self, self.facts)

    def age_reference_date(self) -> tuple[dt.date | None, str]:
        """The date age is taken on, and its name (PN-16: informed consent by default)."""
        if self.age_reference == "informed_consent":
            consent = self.record.informed_consent_date
            return (consent if isinstance(consent, dt.date) else None), "informed consent"
        if self.age_reference == "first_dose":
            return self.first_dose_on, "first dose"
        return self.on, "enrolment"


def _lab(name: str) -> Reader:
    missing = Missing((f"labs.{name}",))
    unit_key, on_key = f"{name}_unit", f"{name}_on"

    def read(ctx: Context, facts: dict[str, Fact]) -> Resolved:
        result: LabEntry | None = getattr(ctx.record.labs, name)
        if result is None:
            return missing
        facts[name] = value = result.value
        facts[unit_key] = result.unit
        on = result.collected_on or ctx.record.lab_date
        if on is not None:
            facts[on_key] = on
        return value

    return read


def _simple(name: str) -> Reader:
    path = FIELD_SOURCES[name]
    attr = _DIAGNOSIS_FIELDS.get(name)
    missing = Missing((path,))

    def read(ctx: Context, facts: dict[str, Fact]) -> Resolved:
        value = (getattr(ctx.record.diagnosis, attr) if attr is not None
                 else getattr(ctx.record, path))
        if value is None:
            return missing
        if isinstance(value, str):  # a StrEnum (sex) is kept as its plain value
            value = str(value)
        facts[name] = value
        return value  # type: ignore[no-any-return]

    return read


def _age(ctx: Context, facts: dict[str, Fact]) -> Resolved:
    ref, ref_name = ctx.age_reference_date()
    birth = ctx.record.birth_date
    if birth is None or ref is None:
        needed = tuple(n for n, v in (("birth_date", birth), ("informed_consent_date", ref))
                       if v is None)
        note = ("informed consent: none recorded, and age is taken on the consent date (PN-16)"
                if ctx.record.informed_consent_date == "none" else "")
        return Missing(needed, note)
    age = age_in_years(birth, on=ref)
    facts.update(age_years=age, age_years_unit="years", age_years_on=ref,
                 age_reference=ref_name)
    return age


def _date_field(name: str, getter: Callable[[ScreeningRecord], object], path: str,
                none_text: str) -> Reader:
    missing, nothing = Missing((path,)), NoneRecorded(none_text)

    def read(ctx: Context, facts: dict[str, Fact]) -> Resolved:
        value = getter(ctx.record)
        if value == "none":
            facts[name] = "none"
            return nothing
        if not isinstance(value, dt.date):
            return missing
        facts[name] = value
        return value

    return read


def _measurable(ctx: Context, facts: dict[str, Fact]) -> Resolved:
    lesions = ctx.record.imaging.lesions
    if lesions is None:
        return Missing(("imaging.lesions",))
    modality = ctx.record.imaging.modality
    count = sum(1 for lesion in lesions if is_measurable(lesion, modality=modality))
    facts.update(measurable_lesion_count=count, measurable_lesions_recorded=len(lesions))
    return count


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


def _prior_lines(ctx: Context, facts: dict[str, Fact]) -> Resolved:
    counted = count_prior_lines(ctx, count_haic_as_line=False)
    if counted is None:
        return Missing(("prior_therapies",))
    number, regimens = counted
    facts.update(prior_systemic_lines=number, prior_systemic_line_regimens="; ".join(regimens))
    return number


def _child_pugh(ctx: Context, facts: dict[str, Fact]) -> Resolved:
    r = ctx.record
    bili, alb, inr = r.labs.bilirubin, r.labs.albumin, r.labs.inr
    ascites, encephalopathy = r.liver.ascites, r.liver.encephalopathy
    if bili is None or alb is None or ascites is None or encephalopathy is None \
            or (inr is None and r.labs.pt_prolongation_s is None):
        needed = [path for path, value in (("labs.bilirubin", bili), ("labs.albumin", alb))
                  if value is None]
        if inr is None and r.labs.pt_prolongation_s is None:
            needed.append("labs.inr")
        needed += [path for path, value in (("liver.ascites", ascites),
                                            ("liver.encephalopathy", encephalopathy))
                   if value is None]
        return Missing(tuple(needed))
    points = child_pugh_points(
        bilirubin=Quantity(bili.value, bili.unit), albumin=Quantity(alb.value, alb.unit),
        inr=inr.value if inr is not None else None, pt_prolongation_s=r.labs.pt_prolongation_s,
        ascites=ascites, encephalopathy=encephalopathy)
    facts.update(
        child_pugh_points=points.total,
        child_pugh_class=child_pugh_class(points.total).value,
        child_pugh_bilirubin_points=points.bilirubin,
        child_pugh_albumin_points=points.albumin,
        child_pugh_coagulation_item=points.coagulation_item.value,
        child_pugh_coagulation_points=points.coagulation,
        child_pugh_ascites_points=points.ascites,
        child_pugh_encephalopathy_points=points.encephalopathy,
    )
    return points.total


def _child_pugh_class(ctx: Context, facts: dict[str, Fact]) -> Resolved:
    points = _child_pugh(ctx, facts)
    return points if isinstance(points, ABSENT) else str(facts["child_pugh_class"])


def _crcl(ctx: Context, facts: dict[str, Fact]) -> Resolved:
    r = ctx.record
    creat = r.labs.creatinine
    if creat is None or r.weight_kg is None or r.sex is None or r.birth_date is None:
        return Missing(tuple(path for path, value in (
            ("labs.creatinine", creat), ("weight_kg", r.weight_kg), ("sex", r.sex),
            ("birth_date", r.birth_date)) if value is None))
    on = creat.collected_on or r.lab_date or ctx.on
    age = age_in_years(r.birth_date, on=on)
    sex = r.sex.value
    # The record was checked when it was built (plausible values, creatinine units), so the
    # Cockcroft and Gault (1976) formula is applied directly.
    scr_mg_dl = convert(creat.value, creat.unit, "mg/dL", analyte="creatinine")
    value = cockcroft_gault_formula(age, r.weight_kg, sex == "F", scr_mg_dl)
    facts.update(creatinine_clearance=value, creatinine_clearance_unit="mL/min",
                 creatinine_clearance_on=on, creatinine_clearance_age_years=age,
                 weight_kg=r.weight_kg, sex=sex, creatinine_clearance_creatinine=creat.value,
                 creatinine_clearance_creatinine_unit=creat.unit)
    return value


_NO_LAB_DATE = Missing(("lab_date",))


_ALL_LABS = operator.attrgetter(*LAB_NAMES)


def _lab_date(ctx: Context, facts: dict[str, Fact]) -> Resolved:
    default = ctx.record.lab_date
    oldest: dt.date | None = None
    for result in _ALL_LABS(ctx.record.labs):
        if result is not None:
            on = result.collected_on or default
            if on is None:
                return _NO_LAB_DATE
            if oldest is None or on < oldest:
                oldest = on
    if oldest is None:
        return _NO_LAB_DATE
    facts["lab_date"] = oldest
    return oldest


def _qtc(formula: str) -> Reader:
    field = f"qtc_{formula}"
    keys = (f"{field}_unit", f"{field}_on", f"{field}_ecg_count")
    correct = fridericia_formula if formula == "fridericia" else bazett_formula
    missing = Missing(("cardiac.ecgs",))

    def read(ctx: Context, facts: dict[str, Fact]) -> Resolved:
        ecgs = ctx.record.cardiac.ecgs
        if not ecgs:
            return missing
        # Each tracing was checked when the record was built; average the per-tracing QTc
        # (PN-30, docs/protocol-notes.md#pn-30).
        value = sum(correct(e.qt_ms, e.heart_rate_bpm) for e in ecgs) / len(ecgs)
        facts[field] = value
        facts[keys[0]] = "ms"
        on = ctx.record.cardiac.ecg_date
        if on is not None:
            facts[keys[1]] = on
        facts[keys[2]] = len(ecgs)
        return value

    return read


def _lvef(ctx: Context, facts: dict[str, Fact]) -> Resolved:
    echo = ctx.record.cardiac.echo
    if echo is None or echo.lvef is None:
        return Missing(("cardiac.echo.lvef",))
    facts["lvef"] = echo.lvef
    facts["lvef_unit"] = "%"
    if echo.date is not None:
        facts["lvef_on"] = echo.date
    return echo.lvef


def _date(name: str, path: str, none_text: str,
          getter: Callable[[ScreeningRecord], object]) -> Reader:
    return _date_field(name, getter, path, none_text)


_READERS: dict[str, Reader] = {
    "age_years": _age,
    "informed_consent_date": _date(
        "informed_consent_date", "informed_consent_date",
        "No informed consent signed (the record says none)",
        lambda r: r.informed_consent_date),
    "measurable_lesion_count": _measurable,
    "imaging_date": _date("imaging_date", "imaging.date", "No qualifying scan",
                          lambda r: r.imaging.date),
    "cns_stable_since": _date("cns_stable_since", "cns_stable_since",
                              "CNS metastases never stable", lambda r: r.cns_stable_since),
    "prior_systemic_lines": _prior_lines,
    "child_pugh_points": _child_pugh,
    "child_pugh_class": _child_pugh_class,
    "creatinine_clearance": _crcl,
    "lab_date": _lab_date,
    "lvef": _lvef,
    "echo_date": _date("echo_date", "cardiac.echo.date", "No echocardiogram",
                       lambda r: r.cardiac.echo.date if r.cardiac.echo else None),
    "qtc_fridericia": _qtc("fridericia"),
    "qtc_bazett": _qtc("bazett"),
    "ecg_date": _date("ecg_date", "cardiac.ecg_date", "No ECG", lambda r: r.cardiac.ecg_date),
    "last_trial_therapy_date": _date(
        "last_trial_therapy_date", "history.last_trial_therapy_date",
        "Last antitumour therapy in another trial: none recorded",
        lambda r: r.history.last_trial_therapy_date),
    "last_major_surgery_date": _date(
        "last_major_surgery_date", "history.last_major_surgery_date",
        "Last major surgery: none recorded", lambda r: r.history.last_major_surgery_date),
}


_DISPATCH: dict[str, Reader] = {
    **{name: _lab(name) for name in LAB_NAMES},
    **{name: _simple(name) for name in _SIMPLE_FIELDS},
    **_READERS,
}

#: The fields that are laboratory results (they carry a unit and reference limits).
LAB_FIELDS: frozenset[str] = frozenset(LAB_NAMES)


def resolvable_fields() -> frozenset[str]:
    """Every field name this module can resolve."""
    return frozenset(_DISPATCH)


def reader(name: str) -> Reader:
    """The reader of field ``name``: ``read(ctx, facts)`` returns the value (or
    :class:`Missing` / :class:`NoneRecorded`) and adds the field's facts to ``facts``.

    Raises:
        UnknownTermError: ``name`` is not a field of the screening vocabulary.

    >>> reader("anc_count")
    Traceback (most recent call last):
    ...
    oncotrial.errors.UnknownTermError: The eligibility engine has no screening field 'anc_count'...
    """
    found = _DISPATCH.get(name)
    if found is None:
        close = [f for f in _DISPATCH if f in name or name in f]
        close += difflib.get_close_matches(name, _DISPATCH, n=3)
        raise UnknownTermError(
            "screening field", name, list(dict.fromkeys(close))[:3],
            message=f"The eligibility engine has no screening field {name!r}.",
            hint=None if close else "The fields are listed in docs/eligibility.md.")
    return found
