"""The screening record: everything the eligibility engine reads about one subject.

A typed pydantic model, read from YAML or JSON (:func:`parse_record`, :func:`load_record`) and
stored as a versioned JSON document (``record.model_dump_json()`` and
``ScreeningRecord.model_validate_json(text)`` give the same record back). Every field is
optional, because an incomplete record is normal during screening: the engine then answers
``missing`` for the criteria that need the absent data and names them.

Conventions that matter for safety:

* An absent value means "not yet recorded". Where "there was none" is a real answer (no major
  surgery, no trial therapy, no anti-HBV therapy, no informed consent), write ``none``; only
  then does the engine treat the event as absent. Lists work the same way (``[]`` is none).
* Each laboratory result carries its unit and the site's reference range (``lln``, ``uln``,
  in the result's unit) and may carry its own date (``collected_on``; default ``lab_date``).
  A unit that is not one of the analyte's, and a physiologically impossible value, are refused
  whenever a record is built, from YAML, JSON or Python.
* HBV DNA keeps the unit the laboratory reported (IU/mL or copies/mL) and is never converted
  (PN-23, ``docs/protocol-notes.md#pn-23``).

:meth:`ScreeningRecord.lab_results` gives the laboratory results as the shared
:class:`oncotrial.records.LabResult` records. The documented example of a typical eligible
subject is ``data/example_patient.yaml`` (:func:`example_record`).
"""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources
from pathlib import Path
from typing import Any, Literal, NoReturn

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from oncotrial.clinical import Ascites, Encephalopathy, check_plausible, normalise_unit
from oncotrial.errors import ImplausibleValueError, InputError, UnitError, UnknownTermError
from oncotrial.records import LabResult, Sex

__all__ = [
    "EXAMPLES",
    "Attestation",
    "CardiacData",
    "Diagnosis",
    "Ecg",
    "Echo",
    "HepatitisData",
    "History",
    "ImagingData",
    "LabEntry",
    "Labs",
    "Lesion",
    "LiverClinical",
    "OtherMalignancy",
    "PregnancyTest",
    "PriorTherapy",
    "Reproductive",
    "ScreeningRecord",
    "ViralLoad",
    "example_record",
    "load_record",
    "parse_record",
]

NONE_WORD = "none"
Result = Literal["positive", "negative"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LabEntry(_Model):
    """One laboratory result as entered: value, unit, reference range and date.

    :meth:`ScreeningRecord.lab_results` turns these into :class:`oncotrial.records.LabResult`.
    """

    value: float
    unit: str = Field(default="", validate_default=True,
                      description="Unit as reported, e.g. 10^9/L, umol/L, g/L, U/L, s; "
                                  "empty for a ratio such as INR.")
    lln: float | None = Field(default=None, description="Lower limit of normal, result's unit.")
    uln: float | None = Field(default=None, description="Upper limit of normal, result's unit.")
    collected_on: dt.date | None = Field(default=None,
                                         description="Sample date; default: the record's lab_date.")

    @field_validator("unit")
    @classmethod
    def _known_unit(cls, unit: str) -> str:
        normal = normalise_unit(unit)
        if normal is None:
            raise ValueError(f"unit {unit!r} is not one we recognise (e.g. 10^9/L, g/L, U/L)")
        return normal


class Labs(_Model):
    """Screening laboratory results (inclusion 11); keys are analyte keys of docs/clinical.md."""

    anc: LabEntry | None = None
    platelets: LabEntry | None = None
    hemoglobin: LabEntry | None = None
    bilirubin: LabEntry | None = None
    alt: LabEntry | None = None
    ast: LabEntry | None = None
    albumin: LabEntry | None = None
    creatinine: LabEntry | None = None
    pt: LabEntry | None = None
    pt_prolongation_s: float | None = Field(
        default=None, description="Seconds of PT over control; Child-Pugh uses it without INR.")
    inr: LabEntry | None = None
    aptt: LabEntry | None = None


class ViralLoad(_Model):
    """A viral load in the unit the laboratory reported, with the assay name (PN-23)."""

    value: float = Field(ge=0, description="0 when below the limit of detection.")
    unit: str
    assay: str | None = None
    collected_on: dt.date | None = None
    below_detection: bool = False

    @field_validator("unit")
    @classmethod
    def _unit(cls, unit: str) -> str:
        normal = normalise_unit(unit)
        if normal not in ("IU/mL", "copies/mL"):
            raise ValueError(f"viral load unit {unit!r} must be IU/mL or copies/mL")
        return normal


class HepatitisData(_Model):
    """Hepatitis serology, viral loads and antiviral treatment (PN-23 to PN-25, PN-36)."""

    hbsag: Result | None = None
    anti_hbc: Result | None = None
    hbv_dna: ViralLoad | None = None
    anti_hbv_therapy_start: dt.date | Literal["none"] | None = Field(
        default=None, description="Start of nucleos(t)ide analogue therapy; 'none' when the "
                                  "subject receives none.")
    anti_hcv: Result | None = None
    hcv_rna: Result | None = Field(default=None, description="HCV RNA now.")
    hcv_rna_ever_positive: bool | None = None
    hcv_antiviral: Literal["never", "ongoing", "completed"] | None = None
    hcv_antiviral_end: dt.date | None = None
    anti_hdv: Result | None = None


class Lesion(_Model):
    """A lesion on the qualifying scan, for RECIST 1.1 measurability (section 3.1)."""

    site: str = ""
    longest_diameter_mm: float = Field(ge=0)
    short_axis_mm: float | None = Field(default=None, ge=0, description="Lymph nodes only.")
    lymph_node: bool = False
    slice_thickness_mm: float | None = Field(default=None, gt=0)
    previously_treated_locally: bool = False
    progressed_since_local_therapy: bool = False


class ImagingData(_Model):
    """The qualifying baseline CT or MRI."""

    date: dt.date | None = None
    modality: Literal["CT", "MRI"] | None = None
    lesions: list[Lesion] | None = None


class Ecg(_Model):
    """One ECG tracing: QT and heart rate (triplicates are three of these)."""

    qt_ms: float
    heart_rate_bpm: float


class Echo(_Model):
    """The qualifying echocardiogram."""

    date: dt.date | None = None
    lvef: float | None = Field(default=None, description="LVEF in %.")


class CardiacData(_Model):
    """Cardiac screening (inclusion 12)."""

    ecg_date: dt.date | None = None
    ecgs: list[Ecg] | None = None
    echo: Echo | None = None


class LiverClinical(_Model):
    """The investigator's Child-Pugh clinical items."""

    ascites: Ascites | None = None
    encephalopathy: Encephalopathy | None = None


class Diagnosis(_Model):
    """HCC diagnosis and stage (inclusions 3 and 7)."""

    method: Literal["histology", "cytology", "imaging"] | None = None
    unresectable_advanced: bool | None = None
    bclc_stage: Literal["0", "A", "B", "C", "D"] | None = None
    not_suitable_for_local_therapy: bool | None = None
    progressed_after_local_therapy: bool | None = None

    @field_validator("bclc_stage", mode="before")
    @classmethod
    def _stage_text(cls, value: object) -> object:
        return str(value).upper() if value is not None else None


class PriorTherapy(_Model):
    """One prior anticancer therapy. Entries with the same ``line`` form one line (PN-18)."""

    regimen: str
    drugs: list[str] = Field(default_factory=list)
    kind: Literal["systemic", "haic", "tace", "tare", "ablation", "resection", "radiotherapy",
                  "other_local"] = "systemic"
    setting: Literal["advanced", "adjuvant", "neoadjuvant", "other"] = "advanced"
    line: int | None = Field(default=None, ge=1)
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    end_reason: Literal["progression", "intolerance", "completed", "ongoing", "other"] | None = None
    in_clinical_trial: bool = False


class OtherMalignancy(_Model):
    """Another malignancy in the history (exclusion 7)."""

    diagnosis: str = Field(min_length=1)
    diagnosed_on: dt.date | None = None
    last_treatment_on: dt.date | None = None
    cured: bool | None = None


class History(_Model):
    """Dated events for the exclusion windows; ``none`` means there was none."""

    last_trial_therapy_date: dt.date | Literal["none"] | None = None
    last_major_surgery_date: dt.date | Literal["none"] | None = None
    other_malignancies: list[OtherMalignancy] | None = Field(
        default=None, description="Empty list: none. Absent: not yet asked.")


class PregnancyTest(_Model):
    """A serum or urine pregnancy test."""

    result: Result
    date: dt.date
    kind: Literal["serum", "urine"] | None = None


class Reproductive(_Model):
    """Reproductive potential, pregnancy and contraception (PN-12, PN-32, PN-39).

    ``reproductive_potential``: a woman of childbearing potential, or a man with a partner of
    childbearing potential.
    """

    reproductive_potential: bool | None = None
    pregnant: bool | None = None
    breastfeeding: bool | None = None
    pregnancy_test: PregnancyTest | None = None
    contraception_agreed: bool | None = None


class Attestation(_Model):
    """An investigator's answer to an attestation prompt."""

    answer: bool
    by: str | None = None
    on: dt.date | None = None


class ScreeningRecord(_Model):
    """One subject's screening data. See ``docs/eligibility.md`` for every field.

    >>> record = example_record()
    >>> ScreeningRecord.model_validate_json(record.model_dump_json()) == record
    True
    """

    subject_id: str = Field(min_length=1, description="Screening number of the subject "
                            "(the record is stored under it).")
    sex: Sex | None = None
    birth_date: dt.date | None = None
    informed_consent_date: dt.date | Literal["none"] | None = Field(
        default=None, description="Date the consent form was signed; 'none' when the subject "
                                  "declined (or has not signed).")
    planned_enrolment_date: dt.date | None = Field(
        default=None, description="Screening date when none is given to screen().")
    planned_first_dose_date: dt.date | None = Field(
        default=None, description="Default: the planned enrolment date.")
    ecog: int | None = Field(default=None, ge=0, le=5,
                             description="ECOG performance status 0-5.")
    weight_kg: float | None = Field(default=None, description="Actual body weight.")
    diagnosis: Diagnosis = Field(default_factory=Diagnosis)
    liver: LiverClinical = Field(default_factory=LiverClinical)
    prior_therapies: list[PriorTherapy] | None = Field(
        default=None, description="Empty list: none. Absent: not yet recorded.")
    imaging: ImagingData = Field(default_factory=ImagingData)
    cns_metastases: Literal["none", "asymptomatic", "treated_stable", "symptomatic"] | None = None
    cns_stable_since: dt.date | None = None
    lab_date: dt.date | None = None
    labs: Labs = Field(default_factory=Labs)
    cardiac: CardiacData = Field(default_factory=CardiacData)
    hepatitis: HepatitisData = Field(default_factory=HepatitisData)
    history: History = Field(default_factory=History)
    reproductive: Reproductive = Field(default_factory=Reproductive)
    attestations: dict[str, bool | Attestation] = Field(
        default_factory=dict,
        description="Investigator answers, keyed by the question in its natural direction "
                    "(recovered_from_surgery: true means recovered); see docs/eligibility.md.")

    @field_validator("sex", mode="before")
    @classmethod
    def _sex(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip().upper()
            return {"MALE": "M", "FEMALE": "F"}.get(text, text)
        return value

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, data: object) -> object:
        if isinstance(data, dict) and "patient_id" in data:
            raise ValueError("'patient_id' is now called 'subject_id'; rename the entry")
        return data

    @model_validator(mode="after")
    def _plausible(self) -> ScreeningRecord:
        problems = _plausibility(self)
        if problems:
            raise _Implausible(problems)
        return self

    def lab_results(self, *, undated_on: dt.date | None = None) -> tuple[LabResult, ...]:
        """The laboratory results as shared records (:class:`oncotrial.records.LabResult`).

        One per result present, in the order of :class:`Labs`; ``analyte`` is the entry's
        name (``anc``, ``platelets``...), the date is the result's ``collected_on``, else the
        record's ``lab_date``, else ``undated_on``. A ratio (INR) has unit ``""``.
        ``labs.pt_prolongation_s`` is a derived number, not a result, and is left out.

        Raises:
            InputError: a result has no date and no ``undated_on`` was given (names them).

        >>> [(r.analyte, r.value, r.unit) for r in example_record().lab_results()][:2]
        [('anc', 2.1, '10^9/L'), ('platelets', 112.0, '10^9/L')]
        """
        results, undated = [], []
        for name in LAB_NAMES:
            entry = getattr(self.labs, name)
            if entry is None:
                continue
            on = entry.collected_on or self.lab_date or undated_on
            if on is None:
                undated.append(f"labs.{name}")
                continue
            results.append(LabResult(self.subject_id, name, entry.value,
                                     "" if entry.unit == "1" else entry.unit, entry.lln,
                                     entry.uln, on))
        if undated:
            raise InputError(
                f"Laboratory results without a date: {', '.join(undated)}.", field="lab_date",
                hint="Fill in lab_date (or each result's collected_on), or pass undated_on.")
        return tuple(results)


#: The laboratory entries of :class:`Labs` that are results (not pt_prolongation_s).
LAB_NAMES: tuple[str, ...] = ("anc", "platelets", "hemoglobin", "bilirubin", "alt", "ast",
                              "albumin", "creatinine", "pt", "inr", "aptt")


class _Implausible(InputError):
    """Every unit and plausibility problem of a record (raised inside pydantic validation)."""

    def __init__(self, problems: list[InputError]) -> None:
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems), field=problems[0].field,
                         value=problems[0].value, hint=problems[0].hint)


def _plausibility(record: ScreeningRecord) -> list[InputError]:
    """Every unit and plausibility problem of the record, before any criterion is evaluated."""
    checks: list[tuple[str, float, str]] = []
    for name in LAB_NAMES:
        result = getattr(record.labs, name)
        if result is not None:
            checks.append((name, result.value, result.unit))
    if record.weight_kg is not None:
        checks.append(("weight", record.weight_kg, "kg"))
    if record.cardiac.echo is not None and record.cardiac.echo.lvef is not None:
        checks.append(("lvef", record.cardiac.echo.lvef, "%"))
    for ecg in record.cardiac.ecgs or []:
        checks.append(("qt", ecg.qt_ms, "ms"))
        checks.append(("heart_rate", ecg.heart_rate_bpm, "bpm"))
    problems: list[InputError] = []
    for analyte, value, unit in checks:
        try:
            check_plausible(analyte, value, unit)
        except (ImplausibleValueError, UnitError) as error:
            problems.append(error)
    return problems


def _validate(data: Any, source: str) -> ScreeningRecord:
    if not isinstance(data, dict):
        raise InputError(
            f"{source} does not hold a screening record: expected a mapping of fields, got "
            f"{type(data).__name__}.",
            hint="See eligibility/data/example_patient.yaml for the layout.",
        )
    try:
        return ScreeningRecord.model_validate(data)
    except ValidationError as error:
        items = error.errors()
        implausible = [i["ctx"]["error"] for i in items
                       if isinstance(i.get("ctx", {}).get("error"), _Implausible)]
        if implausible and len(items) == 1:
            _raise_implausible(source, implausible[0].problems)
        lines = []
        for item in items:
            where = ".".join(str(p) for p in item["loc"]) or "record"
            lines.append(f"  - {where}: {item['msg']}")
        raise InputError(
            f"{source} has {len(lines)} problem{'s' if len(lines) != 1 else ''}:\n"
            + "\n".join(lines),
            field=".".join(str(p) for p in items[0]["loc"]),
            hint="Correct these fields; docs/eligibility.md describes each one.",
        ) from None


def _raise_implausible(source: str, problems: list[InputError]) -> NoReturn:
    """Raise the one problem with its own type, or all of them at once in one InputError."""
    if len(problems) == 1:
        only = problems[0]
        kind = ImplausibleValueError if isinstance(only, ImplausibleValueError) else UnitError
        raise kind(f"{source}: {only.message}", field=only.field, value=only.value,
                   hint=only.hint)
    # Report every unit and plausibility problem at once, so one correction pass suffices.
    raise InputError(
        f"{source} has {len(problems)} problems:\n"
        + "\n".join(f"  - {p.message} {p.hint or ''}".rstrip() for p in problems),
        field=problems[0].field,
        hint="Correct these values; nothing was screened.",
    )


def parse_record(text: str, *, source: str = "screening record") -> ScreeningRecord:
    """Read a screening record from YAML (or JSON, which is YAML) text and validate it.

    Raises:
        InputError: the text is not a mapping, or fields are wrong (every problem listed).
        UnitError: a laboratory unit does not fit its analyte.
        ImplausibleValueError: a value is physiologically impossible.

    >>> record = parse_record("subject_id: SCR-009\\nsex: F\\necog: 1\\n"
    ...                       "labs: {anc: {value: 1.5, unit: /mm3}}")
    >>> record.sex, record.ecog, record.labs.anc.unit
    (<Sex.FEMALE: 'F'>, 1, 'cells/uL')
    """
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise InputError(f"{source} is not valid YAML or JSON: {error}",
                         hint="Check indentation and quoting.") from None
    return _validate(data, source)


def load_record(path: str | Path) -> ScreeningRecord:
    """Read and validate a screening record file (``.yaml``, ``.yml`` or ``.json``).

    Raises:
        InputError: the file cannot be read or does not hold a valid record.
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(f"Cannot read screening record {file}: {error.strerror}.",
                         field="path", value=str(file),
                         hint="Check the path and the file permissions.") from None
    if file.suffix.lower() == ".json":
        try:
            return _validate(json.loads(text), str(file))
        except json.JSONDecodeError as error:
            raise InputError(f"{file} is not valid JSON: {error}", field="path") from None
    return parse_record(text, source=str(file))


#: Bundled example records: name -> file in ``eligibility/data``.
EXAMPLES: dict[str, str] = {
    "eligible": "example_patient.yaml",
    "not_eligible": "example_not_eligible.yaml",
    "incomplete": "example_incomplete.yaml",
}


def example_record(name: str = "eligible") -> ScreeningRecord:
    """Return a bundled example screening record (default: a typical eligible patient).

    ``name`` is ``"eligible"``, ``"not_eligible"`` (neutropenia, QTc and HBV DNA too high) or
    ``"incomplete"`` (labs not yet back).

    Raises:
        UnknownTermError: there is no example of that name (the message lists them).

    >>> example_record().subject_id
    'SCR-001'
    """
    file = EXAMPLES.get(name)
    if file is None:
        raise UnknownTermError("example record", name, message=f"There is no example record "
                               f"{name!r}.", hint=f"Use one of: {', '.join(EXAMPLES)}.")
    text = (resources.files("oncotrial.eligibility") / "data" / file).read_text(encoding="utf-8")
    return parse_record(text, source=f"example {file}")


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The model class an annotation holds (``X | None`` -> X), or None for a plain value."""
    for candidate in (annotation, *getattr(annotation, "__args__", ())):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def entry_paths(model: type[BaseModel] = ScreeningRecord, prefix: str = "") -> tuple[str, ...]:
    """Every entry of the screening record by its dotted path, as ``missing`` names them.

    A laboratory result is an entry, and so are its ``uln``, ``lln`` and ``collected_on``; a
    viral load and a pregnancy test are entries as a whole; lists are entries as a whole.

    >>> paths = entry_paths()
    >>> "labs.alt.uln" in paths and "hepatitis.hbv_dna" in paths and "cardiac.echo.lvef" in paths
    True
    """
    paths: list[str] = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        sub = _model_of(info.annotation)
        if sub is None or sub in (ViralLoad, PregnancyTest, Attestation):
            paths.append(path)
        elif sub is LabEntry:
            paths += [path, f"{path}.uln", f"{path}.lln", f"{path}.collected_on"]
        else:
            paths += entry_paths(sub, f"{path}.")
    return tuple(paths)
