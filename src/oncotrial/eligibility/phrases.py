"""Sentences as plain data: literal text, and templates that read the verdict's facts.

A verdict's sentence is a tuple of phrases, rendered against the verdict's ``facts`` when its
``reason`` is read. A phrase is literal text (``" is below the required 1.0 x10^9/L."``, made
once when the rule is compiled) or a template name with constant arguments, such as
``("field", "anc")``, which shows the ANC the facts hold with its unit and date. The values
themselves are only in the facts, so screening many records formats little text and a rule's
usual outcome is one object made in advance; the phrases and facts go to JSON and back with the
verdict and render to the same sentence.

>>> import datetime as dt
>>> render((("field", "anc"), " is below the required 1.0 x10^9/L."),
...        {"anc": 0.9, "anc_unit": "10^9/L", "anc_on": dt.date(2026, 3, 1)})
'ANC 0.9 x10^9/L on 2026-03-01 is below the required 1.0 x10^9/L.'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from oncotrial.errors import InputError
from oncotrial.records import Fact

__all__ = ["FIELD_LABELS", "TEMPLATES", "Phrase", "display_unit", "fmt_number", "render",
           "with_unit"]

#: Literal text, or a template name (a key of :data:`TEMPLATES`) and its constant arguments.
Phrase = str | tuple[Fact, ...]
Facts = Mapping[str, Any]


def fmt_number(value: Any) -> str:
    """Show a number without float noise: ``1.0`` stays ``1.0``, ``50.0`` becomes ``50``.

    >>> fmt_number(50.0), fmt_number(1.0), fmt_number(0.1 * 3), fmt_number(7)
    ('50', '1.0', '0.3', '7')
    """
    if isinstance(value, int):
        return str(value)
    if float(value).is_integer():
        return f"{value:.0f}" if abs(value) >= 10 else f"{value:.1f}"
    return f"{value:.10g}"


_DISPLAY = {"10^9/L": "x10^9/L", "10^3/uL": "x10^3/uL", "1": ""}


def display_unit(unit: Any) -> str:
    """The unit as shown in sentences (``10^9/L`` as ``x10^9/L``); empty for unitless."""
    if unit is None:
        return ""
    return _DISPLAY.get(str(unit), str(unit))


def with_unit(value: Any, unit: Any) -> str:
    """``"0.9 x10^9/L"``, ``"63%"``, ``"1.12"`` (a ratio has no unit)."""
    shown = display_unit(unit)
    return f"{fmt_number(value)}{'' if shown in ('', '%') else ' '}{shown}"


def _on(day: Any) -> str:
    return f" on {day}" if day else ""


def _plural(count: Any, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


#: How each screening field is named in sentences.
FIELD_LABELS: dict[str, str] = {
    "anc": "ANC", "platelets": "Platelets", "hemoglobin": "Haemoglobin",
    "bilirubin": "Total bilirubin", "alt": "ALT", "ast": "AST", "albumin": "Albumin",
    "creatinine": "Creatinine", "pt": "PT", "inr": "INR", "aptt": "aPTT",
    "sex": "Sex", "ecog": "ECOG", "diagnosis_method": "Diagnosis method",
    "unresectable_advanced": "Unresectable advanced HCC", "bclc_stage": "BCLC stage",
    "not_suitable_for_local_therapy": "Not suitable for local therapy",
    "progressed_after_local_therapy": "Progressed after local therapy",
    "cns_metastases": "CNS metastases",
    "informed_consent_date": "Informed consent", "imaging_date": "Qualifying scan",
    "cns_stable_since": "CNS metastases stable since", "echo_date": "Echocardiogram",
    "ecg_date": "ECG", "last_trial_therapy_date": "Last antitumour therapy in another trial",
    "last_major_surgery_date": "Last major surgery",
}


def _plain(facts: Facts, name: str) -> str:
    """A laboratory value, a category, a yes/no or a date, after its label."""
    value = facts[name]
    if isinstance(value, bool):
        value = "yes" if value else "no"
    elif isinstance(value, int | float):
        value = with_unit(value, facts.get(f"{name}_unit"))
    return f"{FIELD_LABELS[name]} {value}{_on(facts.get(f'{name}_on'))}"


def _age(facts: Facts, name: str) -> str:
    return (f"Age {facts['age_years']} years on {facts['age_years_on']} "
            f"({facts['age_reference']})")


def _measurable(facts: Facts, name: str) -> str:
    return (f"{_plural(facts[name], 'measurable lesion')} (of "
            f"{facts['measurable_lesions_recorded']} recorded)")


def _lines(facts: Facts, name: str) -> str:
    listing = facts["prior_systemic_line_regimens"]
    return f"{_plural(facts[name], 'prior systemic line')}{f' ({listing})' if listing else ''}"


def _child_pugh(facts: Facts, name: str) -> str:
    coag = "INR" if facts["child_pugh_coagulation_item"] == "inr" else "PT prolongation"
    return (f"Child-Pugh {facts['child_pugh_class']}{facts['child_pugh_points']} (bilirubin "
            f"{facts['child_pugh_bilirubin_points']}, albumin "
            f"{facts['child_pugh_albumin_points']}, {coag} "
            f"{facts['child_pugh_coagulation_points']}, ascites "
            f"{facts['child_pugh_ascites_points']}, encephalopathy "
            f"{facts['child_pugh_encephalopathy_points']})")


def _crcl(facts: Facts, name: str) -> str:
    return (f"Cockcroft-Gault clearance {facts[name]:.1f} mL/min (age "
            f"{facts['creatinine_clearance_age_years']}, {fmt_number(facts['weight_kg'])} kg, "
            f"{facts['sex']}, creatinine "
            f"{with_unit(facts['creatinine_clearance_creatinine'], facts['creatinine_clearance_creatinine_unit'])})")  # noqa: E501


def _qtc(facts: Facts, name: str) -> str:
    count = facts[f"{name}_ecg_count"]
    how = f"mean of {count} ECGs" if count > 1 else "1 ECG"
    short = "QTcF" if name == "qtc_fridericia" else "QTcB"
    return f"{short} {facts[name]:.0f} ms ({how}){_on(facts.get(f'{name}_on'))}"


def _lvef(facts: Facts, name: str) -> str:
    return f"LVEF {fmt_number(facts[name])}%{_on(facts.get(f'{name}_on'))}"


_FIELDS: dict[str, Callable[[Facts, str], str]] = {
    "age_years": _age,
    "measurable_lesion_count": _measurable,
    "prior_systemic_lines": _lines,
    "child_pugh_points": _child_pugh,
    "child_pugh_class": _child_pugh,
    "creatinine_clearance": _crcl,
    "qtc_fridericia": _qtc,
    "qtc_bazett": _qtc,
    "lvef": _lvef,
    "lab_date": lambda facts, name: f"Qualifying labs from {facts[name]}",
}


def _field(facts: Facts, name: Any) -> str:
    return _FIELDS.get(name, _plain)(facts, name)


def _reference_limit(facts: Facts, name: Any, words: Any, which: Any, side: Any) -> str:
    unit = display_unit(facts.get(f"{name}_unit"))
    key = which.lower()
    return (f" is {words} {facts[f'{name}_{key}_times']:g} x {which} = "
            f"{fmt_number(facts[f'{name}_{side}'])}{'' if unit in ('', '%') else ' '}{unit} "
            f"({which} {fmt_number(facts[f'{name}_{key}'])}).")


def _sex_limit(facts: Facts, name: Any, words: Any, side: Any) -> str:
    unit = facts.get(f"{name}_unit")
    return (f" is {words} {fmt_number(facts[f'{name}_{side}'])}{f' {unit}' if unit else ''} for "
            f"{'men' if facts['sex'] == 'M' else 'women'}.")


def _window(facts: Facts, name: Any, verdict: Any, ref_name: Any) -> str:
    days, ref = facts[f"{name}_days_before"], facts[f"{name}_reference_on"]
    lo, hi = facts.get(f"{name}_min_days_before"), facts.get(f"{name}_max_days_before")
    if days >= 0:
        when = f"{_plural(days, 'day')} before the {ref_name} on {ref}"
    else:
        when = f"{_plural(-days, 'day')} after the {ref_name} on {ref}"
    if verdict == "after_reference":
        return f", {when}; it must not be after the {ref_name}."
    if verdict == "too_old":
        return f", {when}; it must be at most {hi} days before."
    if verdict == "too_recent":
        return f", {when}; it must be at least {lo} days before."
    limits = ([f"at least {lo}"] if lo else []) + ([f"at most {hi}"] if hi is not None else [])
    return f", {when} ({' and '.join(limits)} days required)." if limits else f", {when}."


def _attested(facts: Facts, key: Any, prompt: Any) -> str:
    who = ", ".join(str(x) for x in (facts.get(f"{key}_by"), facts.get(f"{key}_on")) if x)
    who = f" ({who})" if who else ""
    if facts[key]:
        return f"Investigator attests{who}: {prompt} Yes."
    return f"Investigator answers{who}: {prompt} No."


#: Template name -> the function that renders it from the facts and its arguments.
TEMPLATES: dict[str, Callable[..., str]] = {
    "field": _field,
    "reference_limit": _reference_limit,
    "sex_limit": _sex_limit,
    "window": _window,
    "attested": _attested,
}


def render(phrases: Iterable[Phrase], facts: Facts) -> str:
    """The sentence the phrases make with these facts (literal text as it is).

    Raises:
        InputError: a phrase names a template that does not exist, or a fact it shows is not
            in ``facts`` (a verdict document that was edited by hand).
    """
    try:
        return "".join(p if isinstance(p, str) else TEMPLATES[str(p[0])](facts, *p[1:])
                       for p in phrases)
    except (KeyError, TypeError, ValueError) as error:
        raise InputError(
            f"The verdict's sentence cannot be rendered: {error!r} is missing or wrong in its "
            "phrases or facts.", field="phrases",
            hint="Keep the verdict as the engine wrote it, or screen the record again.") from None
