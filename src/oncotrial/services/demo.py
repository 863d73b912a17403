"""The demo trial: the bundled example patients entered through the services (shell).

``make run`` loads it into a fresh database so that a new user sees a trial with patients;
the storage tests use it to check that data entered through the services give, through
``oncotrial export json`` and ``oncotrial analyze``, the endpoints of the example data itself.
Nothing here writes around the services: every value goes through :func:`save_form` with its
checks and its audit trail, as a research coordinator's entry would.

The screening patient is ``oncotrial/eligibility/data/example_patient.yaml``; the treated
patients are the example exchange-format data set of :mod:`oncotrial.endpoints`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from importlib import resources
from typing import Any

import yaml

from oncotrial.context import TrialContext
from oncotrial.endpoints import Dataset, load_example_dataset
from oncotrial.forms import FormSet, canonical_text
from oncotrial.forms.model import ItemDef
from oncotrial.services.access import Actor
from oncotrial.services.database import Database
from oncotrial.services.entry import save_form
from oncotrial.services.lookup import forms_of
from oncotrial.services.subjects import enrol, register_subject

__all__ = ["EXAMPLE_DAY", "EXAMPLE_EXTRA", "enter_example_subject", "example_screening",
           "load_example_trial", "screen_example_patient"]

#: The example patient is eligible when screened on this day.
EXAMPLE_DAY = dt.date(2026, 3, 2)

#: Required answers of the screening forms that the screening record does not hold.
EXAMPLE_EXTRA: dict[str, dict[str, Any]] = {
    "consent": {"icf_version": "2.0", "consent_obtained_by": "Dr Li", "copy_given": "yes"},
    "eligibility": {"attested_by": "Dr Li", "attested_on": "2026-03-01"},
    "hcc_history": {"diagnosis_date": "2024-08-20", "aetiology": "hbv",
                    "macrovascular_invasion": "no", "extrahepatic_spread": "yes"},
    "ecog": {"assessed_on": "2026-02-27"},
    "chemistry": {"collected_on": "2026-02-27"},
    "coagulation": {"collected_on": "2026-02-27"},
    "hepatitis": {"collected_on": "2026-02-23"},
    "ecg": {"interpretation": "normal"},
    "echocardiogram": {"method": "echo"},
    "pregnancy": {"woman_of_childbearing_potential": "not_applicable"},
}


def _at(data: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def _shift(value: Any, days: int) -> Any:
    """Move an ISO date (or the dates inside a structure) by ``days``."""
    if isinstance(value, dt.date):
        return value + dt.timedelta(days=days)
    if isinstance(value, str) and len(value) == 10 and value[4] == "-":
        try:
            return (dt.date.fromisoformat(value) + dt.timedelta(days=days)).isoformat()
        except ValueError:
            return value
    if isinstance(value, dict):
        return {k: _shift(v, days) for k, v in value.items()}
    if isinstance(value, list):
        return [_shift(v, days) for v in value]
    return value


def _answer(item: ItemDef, value: Any) -> Any:
    if item.type == "lab" and isinstance(value, dict):
        return {k: value[k] for k in ("value", "unit", "lln", "uln") if value.get(k) is not None}
    if item.type == "boolean" and isinstance(value, dict) and "answer" in value:
        return canonical_text(value["answer"])  # an attestation with its author and date
    return canonical_text(value)


def example_screening(forms: FormSet, shift_days: int = 0) -> dict[str, dict[str, Any]]:
    """The example patient's screening forms as nested answers (form id -> answers), with
    every date moved by ``shift_days`` (so the same patient can be screened on another day)."""
    text = (resources.files("oncotrial.eligibility") / "data" / "example_patient.yaml"
            ).read_text(encoding="utf-8")
    example = _shift(yaml.safe_load(text), shift_days)
    entered: dict[str, dict[str, Any]] = {}
    for form in forms.forms:
        if not any(item.screening for _, item in form.items()):
            continue
        nested: dict[str, Any] = _shift(dict(EXAMPLE_EXTRA.get(form.id, {})), shift_days)
        for group_id, item in form.items():
            if item.screening and not group_id:
                value = _at(example, item.screening)
                if value is not None:
                    nested[item.id] = _answer(item, value)
        for group in form.groups():
            rows = _at(example, group.screening) if group.screening else None
            if rows is not None:
                nested[group.id] = [
                    {item.id: _answer(item, row[key]) for item in group.items
                     if item.screening and (key := item.screening.removesuffix("[]")) in row}
                    for row in rows]
        entered[form.id] = nested
    return entered


def screen_example_patient(db: Database, nurse: Actor, ctx: TrialContext, number: str, *,
                           on: dt.date = EXAMPLE_DAY, site: str = "HCH") -> str:
    """Register ``number`` at ``site`` and enter the example patient's screening forms, dated
    so that the patient is eligible on ``on``; return the screening number."""
    forms = example_screening(forms_of(ctx), (on - EXAMPLE_DAY).days)
    register_subject(db, nurse, ctx, site=site, screening_number=number)
    for form_id in ["consent", *(f for f in forms if f != "consent")]:
        save_form(db, nurse, ctx, number, form_id, forms[form_id], visit="SCR", today=on)
    return number


def _by_subject(dataset: Dataset) -> dict[str, dict[str, list[Any]]]:
    out: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for name in ("dosing", "assessments", "deaths", "contacts", "new_therapies",
                 "discontinuations"):
        for record in getattr(dataset, name):
            out[record.subject_id][name].append(record)
    return out


def enter_example_subject(db: Database, nurse: Actor, investigator: Actor,
                          ctx: TrialContext, number: str, subject: Any,
                          records: dict[str, list[Any]], *, today: dt.date) -> str:
    """Screen, enrol and follow one subject of the example data set through the forms;
    return the subject id given at enrolment."""

    def save(form: str, values: dict[str, Any], visit: str | None = None,
             occurrence: int = 1) -> None:
        save_form(db, investigator, ctx, sid, form, values, visit=visit,
                  occurrence=occurrence, today=today)

    screen_example_patient(db, nurse, ctx, number, on=subject.enrolled_on)
    sid = enrol(db, investigator, ctx, number, enrolled_on=subject.enrolled_on).subject_id
    measurable = "yes" if subject.measurable_disease_at_baseline else "no"
    occurrence = 0
    for a in sorted(records["assessments"], key=lambda r: r.assessed_on):
        values = {"assessed_on": a.assessed_on.isoformat(), "assessed_by": "investigator",
                  "baseline": "yes" if a.baseline else "no",
                  "overall_response": a.overall_response and a.overall_response.value,
                  "new_lesion_on": a.new_lesion_on and a.new_lesion_on.isoformat()}
        if a.baseline:
            save("tumour_response", {**values, "measurable_disease_at_baseline": measurable},
                 visit="SCR")
        else:
            occurrence += 1
            save("tumour_response", values, "TA", occurrence)
    if subject.measurable_disease_at_baseline and not any(
            a.baseline for a in records["assessments"]):
        # The example gives this patient no baseline assessment, only the flag; at the site
        # the flag comes from the baseline scan's target lesion (RECIST 1.1 section 3.1).
        save("tumour_lesions", {
            "measured_on": subject.enrolled_on.isoformat(), "method": "CT", "lesions": [
                {"lesion_id": "T1", "kind": "target", "organ": "liver", "nodal": "no",
                 "state": "measured", "diameter_mm": {"value": "42", "unit": "mm"}}]},
             visit="SCR")
    if records["dosing"]:
        save("dosing", {"doses": [
            {"start_on": d.start_on.isoformat(), "end_on": d.end_on.isoformat(),
             "daily_dose_mg": f"{d.daily_dose_mg:g}", "change_reason": "as_planned"}
            for d in records["dosing"]]}, visit="C1D1")
    for n, c in enumerate(sorted(records["contacts"], key=lambda r: r.contact_on), 1):
        save("survival_follow_up", {
            "contact_on": c.contact_on.isoformat(), "method": "phone",
            "alive": "yes" if c.alive else "no", "new_anticancer_therapy": "no"}, "SURV", n)
    for death in records["deaths"]:
        save("death", {"died_on": death.died_on.isoformat(), "cause": "other",
                       "cause_detail": death.cause, "source": "records"})
    if records["new_therapies"]:
        save("subsequent_therapy", {"therapies": [
            {"name": t.name or "unnamed", "therapy_type": t.therapy_type.value,
             "started_on": t.started_on.isoformat()} for t in records["new_therapies"]]})
    for stop in records["discontinuations"]:
        day, reason = stop.discontinued_on.isoformat(), stop.reason.value
        if stop.level.value == "treatment":
            save("end_of_treatment", {"last_dose_on": day, "discontinued_on": day,
                                      "reason": reason}, "EOT")
        else:
            save("disposition", {"ended_on": day, "reason": reason})
    return sid


def load_example_trial(db: Database, ctx: TrialContext, *, nurse: Actor, investigator: Actor,
                       today: dt.date | None = None) -> dict[str, str]:
    """Enter every subject of the example data set (in order of enrolment, screening numbers
    S-001, S-002, ...); return subject id -> the example's own subject id."""
    example = load_example_dataset()
    grouped = _by_subject(example)
    names = {}
    for n, subject in enumerate(sorted(example.subjects, key=lambda s: s.enrolled_on), 1):
        sid = enter_example_subject(db, nurse, investigator, ctx, f"S-{n:03d}", subject,
                                    grouped[subject.subject_id],
                                    today=today or dt.date.today())
        names[sid] = subject.subject_id
    return names
