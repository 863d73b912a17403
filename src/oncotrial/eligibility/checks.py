"""Named domain checks that a protocol rule calls with ``kind: check`` and its parameters.

Each check implements a protocol clarification (PN-xx, written up in
``docs/protocol-notes.md``) and is parameterised by the rule's ``params`` (thresholds, days,
drug lists), never by trial-specific constants. Every check returns an
:class:`~oncotrial.eligibility.outcome.Outcome` with its code, and writes the values, limits
and dates it used to ``ctx.facts``. Where a check needs a plain comparison or date window it
uses the same evaluators as the generic rules (:mod:`oncotrial.eligibility.leaves`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from oncotrial.eligibility.fields import Context, count_prior_lines
from oncotrial.eligibility.leaves import Compare, DateWindow, Range, attestation
from oncotrial.eligibility.outcome import (
    INVESTIGATOR,
    MET,
    NOT_MET,
    Outcome,
    VerdictStatus,
    combine_all,
    missing,
    missing_sentence,
)
from oncotrial.eligibility.phrases import fmt_number
from oncotrial.eligibility.record import HepatitisData, ViralLoad

__all__ = ["CDK46_BRANDS", "CHECK_CODES", "CHECK_FUNCTIONS", "years_before"]

CheckFunction = Callable[[Mapping[str, Any], Context], Outcome]

#: Brand names that mean a CDK4/6 inhibitor (PN-40), mapped to the generic name.
CDK46_BRANDS: dict[str, str] = {
    "ibrance": "palbociclib",
    "kisqali": "ribociclib",
    "verzenio": "abemaciclib",
    "verzenios": "abemaciclib",
    "cosela": "trilaciclib",
}


def _days(event: dt.date, reference: dt.date) -> int:
    return (reference - event).days


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _said(status: VerdictStatus, code: str, text: str) -> Outcome:
    """An outcome whose sentence is made here (checks run a few times per record)."""
    return Outcome(status, code, (text,))


def _need(path: str, why: str = "") -> Outcome:
    return missing(f"{why}{missing_sentence((path,))}", (path,))


# --- PN-23, PN-24: HBV ------------------------------------------------------------------------


def _dna_text(load: ViralLoad) -> str:
    when = f" on {load.collected_on.isoformat()}" if load.collected_on else ""
    assay = f", {load.assay}" if load.assay else ""
    shown = "undetectable" if load.below_detection else f"{fmt_number(load.value)} {load.unit}"
    return f"HBV DNA {shown}{when}{assay}"


def _hbv_dna_facts(ctx: Context, load: ViralLoad, limit: float) -> None:
    facts = ctx.facts
    facts["hbv_dna"] = load.value
    facts["hbv_dna_unit"] = load.unit
    facts["hbv_dna_below_detection"] = load.below_detection
    facts["hbv_dna_max"] = limit
    if load.collected_on is not None:
        facts["hbv_dna_on"] = load.collected_on
    if load.assay:
        facts["hbv_dna_assay"] = load.assay


def _hbv_applies(hep: HepatitisData) -> Outcome | str:
    """Whether the HBV rule applies: the subject's description, or the outcome deciding it."""
    if hep.hbsag is None:
        return _need("hepatitis.hbsag", "HBsAg status is needed to decide whether the HBV rule "
                                        "applies. ")
    if hep.hbsag == "positive":
        return "HBsAg positive"
    if hep.anti_hbc is None:
        return _need("hepatitis.anti_hbc", "HBsAg is negative; anti-HBc is needed to rule out "
                                           "occult HBV. ")
    if hep.anti_hbc == "negative":
        return _said(MET, "met.hbv_not_applicable",
                       "HBsAg and anti-HBc negative: the HBV rule does not apply.")
    if hep.hbv_dna is None:
        return _need("hepatitis.hbv_dna", "HBsAg negative, anti-HBc positive: HBV DNA is "
                                          "needed. ")
    if hep.hbv_dna.below_detection or hep.hbv_dna.value == 0:
        return _said(MET, "met.hbv_dna_undetectable",
                       "HBsAg negative, anti-HBc positive, HBV DNA undetectable: the HBV rule "
                       "does not apply.")
    return "HBsAg negative, anti-HBc positive with detectable HBV DNA"


def hbv_control(params: Mapping[str, Any], ctx: Context) -> Outcome:
    """PN-23/PN-24: HBV DNA below the limit in its own unit and anti-HBV therapy long enough.

    Applies to HBsAg-positive subjects, and to anti-HBc-positive subjects with detectable
    HBV DNA. HBV DNA must be strictly below ``max_iu_per_ml`` when reported in IU/mL, or
    below ``max_copies_per_ml`` in copies/mL (never converted); nucleos(t)ide therapy must have
    started at least ``antiviral_min_days`` before enrolment. A subject the rule applies to who
    receives no anti-HBV therapy (``anti_hbv_therapy_start: none``) does not meet it. A value
    within 20 % of the limit gets a warning.
    """
    hep = ctx.record.hepatitis
    ctx.facts.update({"hbsag": hep.hbsag, "anti_hbc": hep.anti_hbc})
    who = _hbv_applies(hep)
    if isinstance(who, Outcome):
        return who
    load, start = hep.hbv_dna, hep.anti_hbv_therapy_start
    min_days = int(params["antiviral_min_days"])
    ctx.facts["anti_hbv_therapy_min_days"] = min_days
    if load is not None:
        limit = float(params["max_iu_per_ml"] if load.unit == "IU/mL"
                      else params["max_copies_per_ml"])
        _hbv_dna_facts(ctx, load, limit)
        dna = _dna_text(load)
        if not load.below_detection and 0.8 * limit <= load.value <= 1.2 * limit:
            ctx.warnings.append(f"{dna} is close to the limit of {fmt_number(limit)} "
                                f"{load.unit}; the unit was compared as reported (PN-23), "
                                "confirm the assay.")
        if not load.below_detection and load.value >= limit:
            return _said(NOT_MET, "not_met.hbv_dna_too_high",
                           f"{who}: {dna} is not below the required {fmt_number(limit)} "
                           f"{load.unit} (compared in the unit reported, PN-23).")
    if start == "none":
        ctx.facts["anti_hbv_therapy_start"] = "none"
        return _said(NOT_MET, "not_met.no_anti_hbv_therapy",
                       f"{who}: no anti-HBV therapy; at least {min_days} days of it before "
                       "enrolment are required (PN-24).")
    if load is None:
        needed = ("hepatitis.hbv_dna",) + (("hepatitis.anti_hbv_therapy_start",)
                                           if start is None else ())
        return missing(f"{who}: HBV DNA is needed. {missing_sentence(needed)}", needed)
    if start is None:
        return _need("hepatitis.anti_hbv_therapy_start",
                     f"{who}, {dna}: the start date of anti-HBV therapy is needed (at least "
                     f"{min_days} days before enrolment, PN-24). ")
    days = _days(start, ctx.on)
    ctx.facts.update({"anti_hbv_therapy_start": start, "anti_hbv_therapy_days": days})
    therapy = (f"anti-HBV therapy started {start.isoformat()}, {days} days before enrolment on "
               f"{ctx.on.isoformat()}")
    if days < min_days:
        return _said(NOT_MET, "not_met.anti_hbv_therapy_too_short",
                       f"{who}: {therapy}; at least {min_days} days are required (PN-24).")
    return _said(MET, "met.hbv_controlled",
                   f"{who}: {dna} is below {fmt_number(limit)} {load.unit}; {therapy} (at "
                   f"least {min_days} required).")


# --- PN-25: HCV -------------------------------------------------------------------------------


def _hcv_infection(hep: HepatitisData) -> Outcome | None:
    """Met when there is no HCV infection to treat, missing when undecided, None when there is.

    HCV infection means anti-HCV positive (or unknown) with HCV RNA positive now or before.
    """
    if hep.anti_hcv is None and hep.hcv_rna is None:
        return _need("hepatitis.anti_hcv", "Anti-HCV status is needed. ")
    if hep.anti_hcv == "negative" and hep.hcv_rna != "positive" \
            and not hep.hcv_rna_ever_positive:
        return _said(MET, "met.anti_hcv_negative", "Anti-HCV negative: no HCV infection.")
    antibody = _anti_hcv_words(hep.anti_hcv)
    if hep.hcv_rna is None:
        why = (" and HCV RNA was positive before" if hep.hcv_rna_ever_positive else "")
        return _need("hepatitis.hcv_rna", f"{antibody}{why}: current HCV RNA is needed. ")
    if hep.hcv_rna == "positive" or hep.hcv_rna_ever_positive:
        return None
    if hep.hcv_antiviral not in (None, "never"):
        return None  # treated: the treatment dates decide
    if hep.hcv_rna_ever_positive is None and hep.hcv_antiviral is None:
        return _need("hepatitis.hcv_rna_ever_positive",
                     f"{antibody}, HCV RNA negative now: whether HCV RNA was ever "
                     "positive (or antivirals were given) is needed. ")
    return _said(MET, "met.hcv_rna_never_positive",
                   f"{antibody}, HCV RNA never positive: no HCV infection to treat.")


def _anti_hcv_words(anti_hcv: str | None) -> str:
    """The anti-HCV result as recorded, for the sentence (never assumed positive)."""
    return {"positive": "Anti-HCV positive", "negative": "Anti-HCV negative"}.get(
        anti_hcv or "", "Anti-HCV not recorded")


def hcv_treated(params: Mapping[str, Any], ctx: Context) -> Outcome:
    """PN-25: subjects with HCV infection completed antivirals at least N days before enrolment.

    HCV infection means anti-HCV positive with HCV RNA positive now or before. Anti-HCV
    negative, or anti-HCV positive with HCV RNA never positive, is not an HCV infection. A
    currently viraemic subject never treated is referred to the investigator (PN-25).
    """
    hep = ctx.record.hepatitis
    min_days = int(params["completed_min_days"])
    ctx.facts.update({"anti_hcv": hep.anti_hcv, "hcv_rna": hep.hcv_rna,
                      "hcv_rna_ever_positive": hep.hcv_rna_ever_positive,
                      "hcv_antiviral": hep.hcv_antiviral, "hcv_treatment_min_days": min_days})
    decided = _hcv_infection(hep)
    if decided is not None:
        return decided
    rna = f"HCV RNA {hep.hcv_rna} now"
    if hep.hcv_antiviral is None:
        return _need("hepatitis.hcv_antiviral", f"{rna}: HCV antiviral treatment status is "
                                                "needed. ")
    if hep.hcv_antiviral == "never":
        return _said(INVESTIGATOR, "needs_investigator.hcv_untreated",
                       f"{rna} and never treated: not automatically eligible; the investigator "
                       "decides (PN-25).")
    if hep.hcv_antiviral == "ongoing":
        return _said(NOT_MET, "not_met.hcv_treatment_ongoing",
                       f"{rna}, antiviral treatment still ongoing; it must have been completed "
                       f"at least {min_days} days before enrolment (PN-25).")
    end = hep.hcv_antiviral_end
    if end is None:
        return _need("hepatitis.hcv_antiviral_end", f"{rna}, antivirals completed: the end date "
                                                    "is needed. ")
    days = _days(end, ctx.on)
    ctx.facts.update({"hcv_antiviral_end": end, "hcv_treatment_days": days})
    text = (f"{rna}, antivirals completed {end.isoformat()}, {days} days before enrolment on "
            f"{ctx.on.isoformat()}")
    if days < min_days:
        return _said(NOT_MET, "not_met.hcv_treated_too_recently",
                       f"{text}; at least {min_days} days are required (PN-25).")
    return _said(MET, "met.hcv_treated", f"{text} (at least {min_days} required).")


# --- PN-36: co-infection ----------------------------------------------------------------------


def no_hepatitis_coinfection(params: Mapping[str, Any], ctx: Context) -> Outcome:
    """PN-36: not HBsAg positive together with an HCV or HDV infection.

    HCV infection is HCV RNA positive. An anti-HCV-negative subject has no HCV infection, so
    HCV RNA is needed only when anti-HCV is positive (or unknown). HDV infection is anti-HDV
    positive; anti-HDV negative rules it out.
    """
    hep = ctx.record.hepatitis
    ctx.facts.update({"hbsag": hep.hbsag, "anti_hcv": hep.anti_hcv, "hcv_rna": hep.hcv_rna,
                      "anti_hdv": hep.anti_hdv})
    if hep.hbsag is None:
        return _need("hepatitis.hbsag")
    if hep.hbsag == "negative":
        return _said(MET, "met.hbsag_negative", "HBsAg negative: no hepatitis B co-infection.")
    if hep.hcv_rna == "positive":
        return _said(NOT_MET, "not_met.hbv_hcv_coinfection",
                       "HBsAg positive with HCV RNA positive: hepatitis B and C co-infection.")
    if hep.anti_hdv == "positive":
        return _said(NOT_MET, "not_met.hbv_hdv_coinfection",
                       "HBsAg positive with anti-HDV positive: hepatitis B and D co-infection.")
    needed: list[str] = []
    if hep.hcv_rna is None and hep.anti_hcv != "negative":
        needed.append("hepatitis.hcv_rna" if hep.anti_hcv == "positive" else "hepatitis.anti_hcv")
    if hep.anti_hdv is None:
        needed.append("hepatitis.anti_hdv")
    if needed:
        return missing("HBsAg positive: "
                       + " and ".join(_WHY_NEEDED[n] for n in needed)
                       + f" to rule out co-infection. {missing_sentence(tuple(needed))}",
                       tuple(needed))
    hcv = "HCV RNA negative" if hep.hcv_rna == "negative" else "anti-HCV negative"
    return _said(MET, "met.no_coinfection",
                   f"HBsAg positive, {hcv}, anti-HDV negative: no co-infection.")


_WHY_NEEDED = {"hepatitis.hcv_rna": "HCV RNA is needed (anti-HCV is positive)",
               "hepatitis.anti_hcv": "anti-HCV (or HCV RNA) is needed",
               "hepatitis.anti_hdv": "anti-HDV is needed"}


# --- PN-26: CNS -------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _stable_window(min_days: int) -> DateWindow:
    return DateWindow("cns_stable_since", min_days_before=min_days)


def cns_metastases_controlled(params: Mapping[str, Any], ctx: Context) -> Outcome:
    """PN-26: no CNS metastases, asymptomatic ones, or treated ones stable long enough."""
    status = ctx.record.cns_metastases
    ctx.facts["cns_metastases"] = status
    if status is None:
        return _need("cns_metastases")
    if status == "none":
        return _said(MET, "met.cns_metastases_none", "No CNS metastases.")
    if status == "asymptomatic":
        return _said(MET, "met.cns_metastases_asymptomatic",
                       "CNS metastases without clinical symptoms.")
    if status == "symptomatic":
        return _said(NOT_MET, "not_met.cns_metastases_symptomatic",
                       "Symptomatic CNS metastases, not controlled and stable (PN-26).")
    window = _stable_window(int(params["stable_min_days"])).evaluate(ctx)
    if window.status is MET or window.status is NOT_MET:
        return window._replace(phrases=("Treated ", *window.phrases))
    return window._replace(phrases=("Treated CNS metastases: the date from which they are "
                                    "stable is needed. ", *window.phrases))


# --- PN-18: prior lines -----------------------------------------------------------------------


def prior_systemic_lines(params: Mapping[str, Any], ctx: Context) -> Outcome:
    """PN-18: at least ``min_lines`` prior systemic lines ended by progression or intolerance."""
    min_lines = int(params["min_lines"])
    counted = count_prior_lines(ctx, count_haic_as_line=bool(params.get("count_haic_as_line")))
    if counted is None:
        return _need("prior_therapies", "The prior therapy history is needed (an empty list if "
                                        "none). ")
    number, regimens = counted
    ctx.facts.update({"prior_systemic_lines": number, "prior_systemic_lines_min": min_lines})
    listing = f": {'; '.join(regimens)}" if regimens else ""
    text = (f"{number} prior systemic line{'s' if number != 1 else ''} for advanced HCC "
            f"ended by progression or intolerance{listing}")
    if number < min_lines:
        return _said(NOT_MET, "not_met.prior_systemic_lines_below_min",
                       f"{text}; at least {min_lines} are required (PN-18).")
    return _said(MET, "met.prior_systemic_lines_within_limits",
                   f"{text} (at least {min_lines} required).")


# --- PN-20: measurable disease ----------------------------------------------------------------


@lru_cache(maxsize=64)
def _measurable_rules(min_lesions: int, max_days: int) -> tuple[DateWindow, Range]:
    return (DateWindow("imaging_date", max_days_before=max_days),
            Range("measurable_lesion_count", min_lesions, None))


def measurable_disease(params: Mapping[str, Any], ctx: Context) -> Outcome:
    """PN-20: at least ``min_lesions`` RECIST 1.1 measurable lesions on a recent enough scan.

    The scan (``imaging.date``) is 0 to ``max_days_before`` days before enrolment; lesions are
    measurable by RECIST 1.1 section 3.1 (:func:`~oncotrial.eligibility.fields.is_measurable`).
    """
    window, count = _measurable_rules(int(params["min_lesions"]),
                                      int(params["max_days_before"]))
    outcome = combine_all([("", window.evaluate(ctx)), ("", count.evaluate(ctx))],
                          met_code="met.measurable_disease")
    if outcome.status is NOT_MET and outcome.code.endswith("_below_min"):
        return outcome._replace(phrases=(*outcome.phrases, " Lesions are measurable by RECIST "
                                                           "1.1 section 3.1 (PN-20)."))
    return outcome


# --- PN-40: CDK4/6 ----------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _words(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"[a-z0-9/]+", text.lower()))


@lru_cache(maxsize=64)
def _cdk46_words(drugs: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """The drug names lowered, and every word that means one of them (a brand, "cdk4/6")."""
    lowered = frozenset(d.lower() for d in drugs)
    brands = {brand for brand, generic in CDK46_BRANDS.items() if generic in lowered}
    return lowered, lowered | brands | {"cdk4/6"}


def no_prior_cdk46_inhibitor(params: Mapping[str, Any], ctx: Context) -> Outcome:
    """PN-40: no drug in the therapy history is a CDK4/6 inhibitor (generic or brand name).

    The regimen and drug names of each prior therapy are split into words (case ignored); a
    word that is a listed drug, the brand of one (Ibrance, Kisqali...) or "CDK4/6" excludes.
    """
    therapies = ctx.record.prior_therapies
    if therapies is None:
        return _need("prior_therapies", "The prior therapy history is needed (an empty list if "
                                        "none). ")
    drugs, flagged = _cdk46_words(tuple(str(d) for d in params["drugs"]))
    hits = []
    for therapy in therapies:
        words = _words(therapy.regimen).union(*(_words(text) for text in therapy.drugs))
        if words.isdisjoint(flagged):
            continue
        generic = words & drugs | {CDK46_BRANDS[w] for w in words if w in CDK46_BRANDS} & drugs
        hits.append(f"{therapy.regimen} ({', '.join(sorted(generic)) or 'CDK4/6 inhibitor'})")
    ctx.facts["prior_therapy_count"] = len(therapies)
    if hits:
        ctx.facts["prior_cdk46_inhibitor"] = "; ".join(hits)
        return _said(NOT_MET, "not_met.prior_cdk46_inhibitor",
                     f"Prior CDK4/6 inhibitor: {'; '.join(hits)}.")
    return _said(MET, "met.no_prior_cdk46_inhibitor",
                 f"No CDK4/6 inhibitor among {len(therapies)} prior therap"
                 f"{'y' if len(therapies) == 1 else 'ies'}.")


# --- PN-37: other malignancy ------------------------------------------------------------------


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


@lru_cache(maxsize=64)
def _parse_exceptions(items: tuple[str, ...]) -> tuple[tuple[str, bool], ...]:
    """Normalised exception texts, each with whether it applies only once cured."""
    parsed = []
    for item in items:
        text = _norm(item)
        parsed.append((text.removeprefix("cured "), text.startswith("cured ")))
    return tuple(parsed)


def no_recent_other_malignancy(params: Mapping[str, Any], ctx: Context) -> Outcome:
    """PN-37: no other malignancy diagnosed or treated within ``years`` before enrolment.

    An exception written with a leading "cured" (e.g. "cured basal cell carcinoma of the
    skin") applies only when the malignancy is recorded as cured. Matching is on the
    diagnosis words, ignoring case and punctuation; anything else within the period excludes.
    A malignancy without dates cannot be placed in time and goes to the investigator.
    """
    years = int(params["years"])
    malignancies = ctx.record.history.other_malignancies
    if malignancies is None:
        return _need("history.other_malignancies", "Other malignancies must be recorded (an "
                                                   "empty list if none). ")
    cutoff = years_before(ctx.on, years)
    exceptions = _parse_exceptions(tuple(str(i) for i in params.get("exceptions", []) or []))
    excluded, unknown, excepted = [], [], []
    for item in malignancies:
        latest = max((d for d in (item.diagnosed_on, item.last_treatment_on) if d is not None),
                     default=None)
        diagnosis = _norm(item.diagnosis)
        rule = next((need for text, need in exceptions if text == diagnosis), None)
        if rule is not None and (not rule or item.cured):
            excepted.append(item.diagnosis)
            continue
        if latest is None:
            unknown.append(item.diagnosis)
        elif latest > cutoff:
            excluded.append(f"{item.diagnosis} ({latest.isoformat()})")
    ctx.facts.update({"other_malignancy_years": years, "other_malignancy_cutoff_on": cutoff,
                      "other_malignancy_count": len(malignancies)})
    window = f"within {years} years (after {cutoff.isoformat()})"
    if excluded:
        return _said(NOT_MET, "not_met.recent_other_malignancy",
                       f"Other malignancy {window}: {'; '.join(excluded)}.")
    if unknown:
        return _said(INVESTIGATOR, "needs_investigator.undated_other_malignancy",
                       f"Other malignancy without a date: {'; '.join(unknown)}; the investigator "
                       f"decides whether it falls {window}.")
    extra = f" Excepted: {'; '.join(excepted)}." if excepted else ""
    return _said(MET, "met.no_recent_other_malignancy", f"No other malignancy {window}.{extra}")


# --- PN-12, PN-32, PN-39: pregnancy and contraception -----------------------------------------


def _potential(ctx: Context) -> Outcome | bool:
    r = ctx.record
    if r.sex is None:
        return _need("sex")
    potential = r.reproductive.reproductive_potential
    ctx.facts.update({"sex": r.sex.value, "reproductive_potential": potential})
    if potential is None:
        return _need("reproductive.reproductive_potential")
    return potential


def contraception_agreed(params: Mapping[str, Any], ctx: Context) -> Outcome:
    """PN-12/PN-32: subjects of reproductive potential agree to contraception for N months."""
    months = int(params.get("months_after_last_dose", params.get(
        "contraception_months_after_last_dose", 0)))
    potential = _potential(ctx)
    if isinstance(potential, Outcome):
        return potential
    if not potential:
        return _said(MET, "met.no_reproductive_potential",
                       "Not of reproductive potential: contraception not required.")
    agreed = ctx.record.reproductive.contraception_agreed
    ctx.facts.update({"contraception_agreed": agreed, "contraception_months": months})
    if agreed is None:
        return _need("reproductive.contraception_agreed")
    if not agreed:
        return _said(NOT_MET, "not_met.contraception_declined",
                       f"Of reproductive potential and does not agree to contraception during "
                       f"treatment and {months} months after the last dose.")
    return _said(MET, "met.contraception_agreed",
                   f"Agrees to contraception during treatment and {months} months after the "
                   "last dose.")


def _pregnancy_test(params: Mapping[str, Any], ctx: Context) -> Outcome | str:
    """For a woman of childbearing potential: the test's outcome if it fails, else its words."""
    max_days = int(params["test_max_days_before"])
    test = ctx.record.reproductive.pregnancy_test
    if test is None:
        return _need("reproductive.pregnancy_test",
                     f"Woman of childbearing potential: a pregnancy test at most {max_days} days "
                     "before the first dose is needed. ")
    days = _days(test.date, ctx.first_dose_on)
    ctx.facts.update({"pregnancy_test": test.result, "pregnancy_test_on": test.date,
                      "pregnancy_test_days_before": days,
                      "pregnancy_test_max_days_before": max_days})
    kind = f"{test.kind} " if test.kind else ""
    text = (f"{kind}pregnancy test {test.result} on {test.date.isoformat()}, {days} days before "
            f"the first dose on {ctx.first_dose_on.isoformat()}")
    if test.result == "positive":
        return _said(NOT_MET, "not_met.pregnancy_test_positive",
                       f"Positive {text.removeprefix(kind)}.")
    if days < 0 or days > max_days:
        return _said(NOT_MET, "not_met.pregnancy_test_outside_window",
                       f"{text[0].upper()}{text[1:]}; it must be at most {max_days} days before "
                       "the first dose.")
    return f"{text} (at most {max_days})"


def _not_pregnant(params: Mapping[str, Any], ctx: Context) -> Outcome | list[str]:
    """A woman: not pregnant or breastfeeding, and a recent negative test if of potential."""
    rep = ctx.record.reproductive
    ctx.facts.update({"pregnant": rep.pregnant, "breastfeeding": rep.breastfeeding})
    if rep.pregnant:
        return _said(NOT_MET, "not_met.pregnant", "Pregnant.")
    if rep.breastfeeding:
        return _said(NOT_MET, "not_met.breastfeeding", "Breastfeeding.")
    needed = tuple(path for path, value in (("reproductive.pregnant", rep.pregnant),
                                            ("reproductive.breastfeeding", rep.breastfeeding))
                   if value is None)
    if needed:
        return missing(missing_sentence(needed), needed)
    parts = ["not pregnant or breastfeeding"]
    potential = _potential(ctx)
    if isinstance(potential, Outcome):
        return potential
    if potential:
        test = _pregnancy_test(params, ctx)
        if isinstance(test, Outcome):
            return test
        parts.append(test)
    return parts


def pregnancy_and_contraception(params: Mapping[str, Any], ctx: Context) -> Outcome:
    """PN-39/PN-32: not pregnant or breastfeeding; a negative pregnancy test recent enough.

    Women: not pregnant and not breastfeeding; a woman of childbearing potential needs a
    negative serum or urine test at most ``test_max_days_before`` days before the first dose
    (and not after it). Everyone of reproductive potential agrees to contraception.
    """
    if ctx.record.sex is None:
        return _need("sex")
    parts: list[str] = []
    if ctx.record.sex == "F":
        woman = _not_pregnant(params, ctx)
        if isinstance(woman, Outcome):
            return woman
        parts = woman
    contraception = contraception_agreed(
        {"months_after_last_dose": params["contraception_months_after_last_dose"]}, ctx)
    if contraception.status is not MET:
        return contraception
    if not parts:
        return contraception
    agreed = str(contraception.phrases[0])
    joined = "; ".join([*parts, agreed[0].lower() + agreed[1:].rstrip(".")])
    return _said(MET, "met.not_pregnant", joined[0].upper() + joined[1:] + ".")


# --- PN-29: prothrombin time, INR only when PT was not reported -------------------------------


@lru_cache(maxsize=64)
def _coagulation_rules(times_uln: float, inr_max: float | None) -> tuple[Compare, Compare | None]:
    return (Compare("pt", "<=", times_uln=times_uln),
            None if inr_max is None else Compare("inr", "<=", value=inr_max))


def prothrombin_time(params: Mapping[str, Any], ctx: Context) -> Outcome:
    """PN-29: PT at most ``max_times_uln`` x ULN; INR stands in only when PT was not reported.

    When the PT in seconds is reported it decides, whatever the INR: a PT above the limit is
    not met even with a normal INR, and a PT without its ULN is missing the ULN. Only when no
    PT was reported does an INR at most ``inr_max`` stand in for it (absent ``inr_max``: never).
    """
    inr_max = params.get("inr_max")
    pt_rule, inr_rule = _coagulation_rules(float(params["max_times_uln"]),
                                           None if inr_max is None else float(inr_max))
    if ctx.record.labs.pt is not None or inr_rule is None:
        return pt_rule.evaluate(ctx)
    if ctx.record.labs.inr is None:
        return _need("labs.pt", "PT is needed (or, when PT in seconds is not reported, INR). ")
    ctx.facts["inr_stands_in_for_pt"] = True
    outcome = inr_rule.evaluate(ctx)
    return outcome._replace(phrases=("PT in seconds not reported, so INR stands in for it "
                                     "(PN-29): ", *outcome.phrases))


# --- PN-34: major surgery ---------------------------------------------------------------------


@lru_cache(maxsize=64)
def _surgery_window(min_days: int) -> DateWindow:
    return DateWindow("last_major_surgery_date", min_days_before=min_days, if_absent="met")


def major_surgery_recovered(params: Mapping[str, Any], ctx: Context) -> Outcome:
    """PN-34: no major surgery within ``min_days_before`` days, and recovered from any earlier.

    ``history.last_major_surgery_date: none`` (no major surgery) is met and needs no
    attestation. After an earlier major surgery the investigator answers the question
    ``prompt`` under ``attestations[<attestation>]`` (``recovered_from_surgery: true`` means
    recovered).
    """
    window = _surgery_window(int(params["min_days_before"])).evaluate(ctx)
    if window.status is not MET or ctx.facts.get("last_major_surgery_date") == "none":
        return window
    key = str(params["attestation"])
    prompt = str(params.get("prompt") or "Has the patient fully recovered from the major "
                                         "surgery?")
    answer = attestation(ctx, key, prompt)
    return answer._replace(phrases=(*window.phrases, " ", *answer.phrases))


#: Check name (as in ``oncotrial.protocol.vocabulary.CHECKS``) to its implementation.
CHECK_FUNCTIONS: dict[str, CheckFunction] = {
    "hbv_control": hbv_control,
    "hcv_treated": hcv_treated,
    "cns_metastases_controlled": cns_metastases_controlled,
    "prior_systemic_lines": prior_systemic_lines,
    "measurable_disease": measurable_disease,
    "no_prior_cdk46_inhibitor": no_prior_cdk46_inhibitor,
    "no_hepatitis_coinfection": no_hepatitis_coinfection,
    "no_recent_other_malignancy": no_recent_other_malignancy,
    "pregnancy_and_contraception": pregnancy_and_contraception,
    "contraception_agreed": contraception_agreed,
    "prothrombin_time": prothrombin_time,
    "major_surgery_recovered": major_surgery_recovered,
}

#: The codes each check emits itself (after the criterion id), with their meaning. Checks that
#: reuse a comparison or date window also emit that rule's field codes.
CHECK_CODES: dict[str, str] = {
    "met.hbv_not_applicable": "HBsAg and anti-HBc negative: the HBV rule does not apply.",
    "met.hbv_dna_undetectable":
        "HBsAg negative, anti-HBc positive with undetectable HBV DNA: the HBV rule does not "
        "apply.",
    "met.hbv_controlled":
        "HBV DNA below the limit in the unit reported and anti-HBV therapy long enough.",
    "not_met.hbv_dna_too_high": "HBV DNA at or above the limit, in the unit reported (PN-23).",
    "not_met.no_anti_hbv_therapy":
        "The HBV rule applies and the record says there is no anti-HBV therapy (PN-24).",
    "not_met.anti_hbv_therapy_too_short":
        "Anti-HBV therapy started fewer days before enrolment than required (PN-24).",
    "met.anti_hcv_negative": "Anti-HCV negative: no HCV infection.",
    "met.hcv_rna_never_positive": "Anti-HCV positive but HCV RNA never positive: no infection.",
    "met.hcv_treated": "HCV infection treated, completed long enough before enrolment.",
    "needs_investigator.hcv_untreated":
        "HCV RNA positive and never treated: the investigator decides (PN-25).",
    "not_met.hcv_treatment_ongoing": "HCV antiviral treatment still ongoing (PN-25).",
    "not_met.hcv_treated_too_recently":
        "HCV antiviral treatment completed fewer days before enrolment than required (PN-25).",
    "met.hbsag_negative": "HBsAg negative: no hepatitis B co-infection possible.",
    "met.no_coinfection": "HBsAg positive without HCV or HDV infection.",
    "not_met.hbv_hcv_coinfection": "HBsAg positive with HCV RNA positive (PN-36).",
    "not_met.hbv_hdv_coinfection": "HBsAg positive with anti-HDV positive (PN-36).",
    "met.cns_metastases_none": "No CNS metastases.",
    "met.cns_metastases_asymptomatic": "CNS metastases without clinical symptoms.",
    "not_met.cns_metastases_symptomatic": "Symptomatic CNS metastases (PN-26).",
    "met.measurable_disease":
        "Enough RECIST 1.1 measurable lesions on a recent enough scan (PN-20).",
    "not_met.prior_cdk46_inhibitor": "A prior therapy is a CDK4/6 inhibitor (PN-40).",
    "met.no_prior_cdk46_inhibitor": "No prior therapy is a CDK4/6 inhibitor.",
    "not_met.recent_other_malignancy": "Another malignancy within the look-back period (PN-37).",
    "needs_investigator.undated_other_malignancy":
        "Another malignancy without a date: the investigator decides (PN-37).",
    "met.no_recent_other_malignancy": "No other malignancy within the look-back period.",
    "met.no_reproductive_potential": "Not of reproductive potential: no contraception needed.",
    "met.contraception_agreed": "Agrees to contraception for the required period.",
    "not_met.contraception_declined":
        "Of reproductive potential and does not agree to contraception (PN-32).",
    "not_met.pregnant": "Pregnant.",
    "not_met.breastfeeding": "Breastfeeding.",
    "not_met.pregnancy_test_positive": "Positive pregnancy test.",
    "not_met.pregnancy_test_outside_window":
        "The pregnancy test is not within the window before the first dose (PN-39).",
    "met.not_pregnant":
        "A woman not pregnant or breastfeeding, with a negative pregnancy test in the window "
        "where needed and contraception agreed where needed.",
}
