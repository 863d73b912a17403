"""Named domain checks that a protocol rule calls with ``kind: check`` and its parameters.

Each check implements one protocol note of ``protocol_notes.md`` (PN-xx) and is parameterised
by the rule's ``params`` (thresholds, days, drug lists), never by trial-specific constants.
Every check returns an :class:`~oncotrial.eligibility.outcome.Outcome` whose reason shows the
values, the threshold and the dates used.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from oncotrial.eligibility.fields import (
    Context,
    FieldValue,
    as_number,
    count_lines,
    count_prior_lines,
    fmt_number,
    is_measurable,
)
from oncotrial.eligibility.outcome import (
    Outcome,
    VerdictStatus,
    investigator,
    met,
    missing,
    missing_sentence,
    not_met,
    reason_text,
)

__all__ = ["CDK46_BRANDS", "CHECK_FUNCTIONS", "status_check", "years_before"]

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


def _iso(day: dt.date) -> str:
    return day.isoformat()


# --- PN-23, PN-24: HBV ------------------------------------------------------------------------


def hbv_control(params: Mapping[str, Any], ctx: Context) -> Outcome:
    """PN-23/PN-24: HBV DNA below the limit in its own unit and anti-HBV therapy long enough.

    Applies to HBsAg-positive patients, and to anti-HBc-positive patients with detectable
    HBV DNA. HBV DNA must be strictly below ``max_iu_per_ml`` when reported in IU/mL, or
    below ``max_copies_per_ml`` in copies/mL (never converted); nucleos(t)ide therapy must have
    started at least ``antiviral_min_days`` before enrolment. A value within 20 % of the limit
    gets a warning.
    """
    hep = ctx.record.hepatitis
    if hep.hbsag is None:
        return missing("HBsAg status is needed to decide whether the HBV rule applies. "
                       + missing_sentence(("hepatitis.hbsag",)), ("hepatitis.hbsag",))
    if hep.hbsag == "negative":
        if hep.anti_hbc is None:
            return missing("HBsAg is negative; anti-HBc is needed to rule out occult HBV. "
                           + missing_sentence(("hepatitis.anti_hbc",)), ("hepatitis.anti_hbc",))
        if hep.anti_hbc == "negative":
            return met("HBsAg and anti-HBc negative: the HBV rule does not apply.")
        if hep.hbv_dna is None:
            return missing("HBsAg negative, anti-HBc positive: HBV DNA is needed. "
                           + missing_sentence(("hepatitis.hbv_dna",)), ("hepatitis.hbv_dna",))
        if hep.hbv_dna.below_detection or hep.hbv_dna.value == 0:
            return met("HBsAg negative, anti-HBc positive, HBV DNA undetectable: the HBV rule "
                       "does not apply.")
        who = "HBsAg negative, anti-HBc positive with detectable HBV DNA"
    else:
        who = "HBsAg positive"
    needed = tuple(path for path, value in (("hepatitis.hbv_dna", hep.hbv_dna),
                                            ("hepatitis.anti_hbv_therapy_start",
                                             hep.anti_hbv_therapy_start)) if value is None)
    load = hep.hbv_dna
    if load is None:
        return missing(f"{who}: HBV DNA is needed. {missing_sentence(needed)}", needed)
    limit = float(params["max_iu_per_ml"] if load.unit == "IU/mL" else params["max_copies_per_ml"])

    def dna_text() -> str:
        when = f" on {_iso(load.collected_on)}" if load.collected_on else ""
        assay = f", {load.assay}" if load.assay else ""
        shown = ("undetectable" if load.below_detection
                 else f"{fmt_number(load.value)} {load.unit}")
        return f"HBV DNA {shown}{when}{assay}"

    warnings: tuple[str, ...] = ()
    if not load.below_detection and 0.8 * limit <= load.value <= 1.2 * limit:
        warnings = (f"{dna_text()} is close to the limit of {fmt_number(limit)} {load.unit}; "
                    "the unit was compared as reported (PN-23), confirm the assay.",)
    if not load.below_detection and load.value >= limit:
        return not_met(lambda: f"{who}: {dna_text()} is not below the required "
                               f"{fmt_number(limit)} {load.unit} (compared in the unit "
                               "reported, PN-23).", warnings)
    min_days = int(params["antiviral_min_days"])
    start = hep.anti_hbv_therapy_start
    if start is None:
        return missing(f"{who}, {dna_text()}: the start date of anti-HBV therapy is needed "
                       f"(at least {min_days} days before enrolment, PN-24). "
                       + missing_sentence(("hepatitis.anti_hbv_therapy_start",)),
                       ("hepatitis.anti_hbv_therapy_start",))
    on = ctx.on
    days = _days(start, on)

    def therapy() -> str:
        return (f"anti-HBV therapy started {_iso(start)}, {days} days before enrolment on "
                f"{_iso(on)}")

    if days < min_days:
        return not_met(lambda: f"{who}: {therapy()}; at least {min_days} days are required "
                               "(PN-24).", warnings)
    return met(lambda: f"{who}: {dna_text()} is below {fmt_number(limit)} {load.unit}; "
                       f"{therapy()} (at least {min_days} required).", warnings)


# --- PN-25: HCV -------------------------------------------------------------------------------


def hcv_treated(params: Mapping[str, Any], ctx: Context) -> Outcome:
    """PN-25: patients with HCV infection completed antivirals at least N days before enrolment.

    HCV infection means anti-HCV positive with HCV RNA positive now or before. Anti-HCV
    negative, or anti-HCV positive with HCV RNA never positive, is not an HCV infection. A
    currently viraemic patient never treated is referred to the investigator (PN-25).
    """
    hep = ctx.record.hepatitis
    min_days = int(params["completed_min_days"])
    if hep.anti_hcv is None and hep.hcv_rna is None:
        return missing("Anti-HCV status is needed. " + missing_sentence(("hepatitis.anti_hcv",)),
                       ("hepatitis.anti_hcv",))
    if hep.anti_hcv == "negative" and hep.hcv_rna != "positive" \
            and not hep.hcv_rna_ever_positive:
        return met("Anti-HCV negative: no HCV infection.")
    if hep.hcv_rna is None:
        return missing("Anti-HCV positive: current HCV RNA is needed. "
                       + missing_sentence(("hepatitis.hcv_rna",)), ("hepatitis.hcv_rna",))
    infected = hep.hcv_rna == "positive" or hep.hcv_rna_ever_positive
    if not infected and hep.hcv_antiviral in (None, "never"):
        if hep.hcv_rna_ever_positive is None and hep.hcv_antiviral is None:
            return missing("Anti-HCV positive, HCV RNA negative now: whether HCV RNA was ever "
                           "positive (or antivirals were given) is needed. "
                           + missing_sentence(("hepatitis.hcv_rna_ever_positive",)),
                           ("hepatitis.hcv_rna_ever_positive",))
        return met("Anti-HCV positive, HCV RNA never positive: no HCV infection to treat.")
    rna = f"HCV RNA {hep.hcv_rna} now"
    if hep.hcv_antiviral in (None, "never"):
        if hep.hcv_antiviral is None:
            return missing(f"{rna}: HCV antiviral treatment status is needed. "
                           + missing_sentence(("hepatitis.hcv_antiviral",)),
                           ("hepatitis.hcv_antiviral",))
        return investigator(lambda: f"{rna} and never treated: not automatically eligible; the "
                            "investigator decides (PN-25).")
    if hep.hcv_antiviral == "ongoing":
        return not_met(lambda: f"{rna}, antiviral treatment still ongoing; it must have been "
                               f"completed at least {min_days} days before enrolment (PN-25).")
    end = hep.hcv_antiviral_end
    if end is None:
        return missing(f"{rna}, antivirals completed: the end date is needed. "
                       + missing_sentence(("hepatitis.hcv_antiviral_end",)),
                       ("hepatitis.hcv_antiviral_end",))
    on = ctx.on
    days = _days(end, on)

    def text() -> str:
        return (f"{rna}, antivirals completed {_iso(end)}, {days} days before enrolment on "
                f"{_iso(on)}")

    if days < min_days:
        return not_met(lambda: f"{text()}; at least {min_days} days are required (PN-25).")
    return met(lambda: f"{text()} (at least {min_days} required).")


# --- PN-36: co-infection ----------------------------------------------------------------------


def no_hepatitis_coinfection(params: Mapping[str, Any], ctx: Context) -> Outcome:
    """PN-36: not HBsAg positive together with HCV RNA positive or anti-HDV positive."""
    hep = ctx.record.hepatitis
    if hep.hbsag is None:
        return missing(missing_sentence(("hepatitis.hbsag",)), ("hepatitis.hbsag",))
    if hep.hbsag == "negative":
        return met("HBsAg negative: no hepatitis B co-infection.")
    if hep.hcv_rna == "positive":
        return not_met("HBsAg positive with HCV RNA positive: hepatitis B and C co-infection.")
    if hep.anti_hdv == "positive":
        return not_met("HBsAg positive with anti-HDV positive: hepatitis B and D co-infection.")
    needed = tuple(path for path, value in (("hepatitis.hcv_rna", hep.hcv_rna),
                                            ("hepatitis.anti_hdv", hep.anti_hdv))
                   if value is None)
    if needed:
        return missing("HBsAg positive: HCV RNA and anti-HDV are needed to rule out "
                       f"co-infection. {missing_sentence(needed)}", needed)
    return met("HBsAg positive, HCV RNA negative, anti-HDV negative: no co-infection.")


# --- PN-26: CNS -------------------------------------------------------------------------------


def cns_metastases_controlled(params: Mapping[str, Any], ctx: Context) -> Outcome:
    """PN-26: no CNS metastases, asymptomatic ones, or treated ones stable long enough."""
    status = ctx.record.cns_metastases
    min_days = int(params["stable_min_days"])
    if status is None:
        return missing(missing_sentence(("cns_metastases",)), ("cns_metastases",))
    if status == "none":
        return met("No CNS metastases.")
    if status == "asymptomatic":
        return met("CNS metastases without clinical symptoms.")
    if status == "symptomatic":
        return not_met("Symptomatic CNS metastases, not controlled and stable (PN-26).")
    since = ctx.record.cns_stable_since
    if since is None:
        return missing("Treated CNS metastases: the date from which they are stable is needed. "
                       + missing_sentence(("cns_stable_since",)), ("cns_stable_since",))
    on = ctx.on
    days = _days(since, on)

    def text() -> str:
        return (f"Treated CNS metastases stable since {_iso(since)}, {days} days before "
                f"enrolment on {_iso(on)}")

    if days < min_days:
        return not_met(lambda: f"{text()}; at least {min_days} days are required.")
    return met(lambda: f"{text()} (at least {min_days} required).")


# --- PN-18: prior lines -----------------------------------------------------------------------


def prior_systemic_lines(params: Mapping[str, Any], ctx: Context) -> Outcome:
    """PN-18: at least ``min_lines`` prior systemic lines ended by progression or intolerance."""
    min_lines = int(params["min_lines"])
    counted = count_prior_lines(ctx, count_haic_as_line=bool(params.get("count_haic_as_line")))
    if counted is None:
        return missing("The prior therapy history is needed (an empty list if none). "
                       + missing_sentence(("prior_therapies",)), ("prior_therapies",))
    number, regimens = counted

    def text() -> str:
        listing = f": {'; '.join(regimens)}" if regimens else ""
        return (f"{number} prior systemic line{'s' if number != 1 else ''} for advanced HCC "
                f"ended by progression or intolerance{listing}")

    if number < min_lines:
        return not_met(lambda: f"{text()}; at least {min_lines} are required (PN-18).")
    return met(lambda: f"{text()} (at least {min_lines} required).")


# --- PN-20: measurable disease ----------------------------------------------------------------


def measurable_disease(params: Mapping[str, Any], ctx: Context) -> Outcome:
    """PN-20: at least ``min_lesions`` RECIST 1.1 measurable lesions on a recent enough scan."""
    min_lesions = int(params["min_lesions"])
    max_days = int(params["max_days_before"])
    imaging = ctx.record.imaging
    needed = tuple(path for path, value in (("imaging.date", imaging.date),
                                            ("imaging.lesions", imaging.lesions))
                   if value is None)
    if needed or imaging.date is None or imaging.lesions is None:
        return missing(missing_sentence(needed), needed)
    count = ctx.get("measurable_lesion_count")
    scan_date, on = imaging.date, ctx.on
    days = _days(scan_date, on)

    def scan() -> str:
        return f"Scan on {_iso(scan_date)}, {days} days before enrolment on {_iso(on)}"

    if days < 0:
        return not_met(lambda: f"Scan on {_iso(scan_date)} is after the enrolment date "
                               f"{_iso(on)}.")
    if days > max_days:
        return not_met(lambda: f"{scan()}; it must be at most {max_days} days before.")
    if not isinstance(count, FieldValue):  # pragma: no cover - lesions were checked above
        return missing(missing_sentence(("imaging.lesions",)), ("imaging.lesions",))
    number = as_number(count)
    if number < min_lesions:
        return not_met(lambda: f"{scan()}: {count.text}; at least {min_lesions} measurable by "
                               "RECIST 1.1 required (PN-20).")
    return met(lambda: f"{scan()} (at most {max_days}): {count.text}.")


# --- PN-40: CDK4/6 ----------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _words(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"[a-z0-9/]+", text.lower()))


def no_prior_cdk46_inhibitor(params: Mapping[str, Any], ctx: Context) -> Outcome:
    """PN-40: no drug in the therapy history is a CDK4/6 inhibitor (generic or brand name)."""
    therapies = ctx.record.prior_therapies
    if therapies is None:
        return missing("The prior therapy history is needed (an empty list if none). "
                       + missing_sentence(("prior_therapies",)), ("prior_therapies",))
    drugs = _lowered(tuple(str(d) for d in params["drugs"]))
    hits = []
    for therapy in therapies:
        words: set[str] = set(_words(therapy.regimen))
        for text in therapy.drugs:
            words |= _words(text)
        words |= {CDK46_BRANDS[w] for w in words if w in CDK46_BRANDS}
        found = sorted(words & drugs)
        if found or "cdk4/6" in words:
            hits.append(f"{therapy.regimen} ({', '.join(found) or 'CDK4/6 inhibitor'})")
    if hits:
        return not_met(lambda: f"Prior CDK4/6 inhibitor: {'; '.join(hits)}.")
    return met(lambda: f"No CDK4/6 inhibitor among {len(therapies)} prior therap"
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


@lru_cache(maxsize=64)
def _lowered(items: tuple[str, ...]) -> frozenset[str]:
    return frozenset(item.lower() for item in items)


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
        return missing("Other malignancies must be recorded (an empty list if none). "
                       + missing_sentence(("history.other_malignancies",)),
                       ("history.other_malignancies",))
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
            excluded.append(f"{item.diagnosis} ({_iso(latest)})")
    window = f"within {years} years (after {_iso(cutoff)})"
    if excluded:
        return not_met(lambda: f"Other malignancy {window}: {'; '.join(excluded)}.")
    if unknown:
        return investigator(lambda: f"Other malignancy without a date: {'; '.join(unknown)}; the "
                            f"investigator decides whether it falls {window}.")
    extra = f" Excepted: {'; '.join(excepted)}." if excepted else ""
    return met(lambda: f"No other malignancy {window}.{extra}")


# --- PN-12, PN-32, PN-39: pregnancy and contraception -----------------------------------------


def _potential(ctx: Context) -> Outcome | bool:
    r = ctx.record
    if r.sex is None:
        return missing(missing_sentence(("sex",)), ("sex",))
    if r.reproductive.reproductive_potential is None:
        return missing(missing_sentence(("reproductive.reproductive_potential",)),
                       ("reproductive.reproductive_potential",))
    return r.reproductive.reproductive_potential


def contraception_agreed(params: Mapping[str, Any], ctx: Context) -> Outcome:
    """PN-12/PN-32: patients of reproductive potential agree to contraception for N months."""
    months = int(params.get("months_after_last_dose", params.get(
        "contraception_months_after_last_dose", 0)))
    potential = _potential(ctx)
    if isinstance(potential, Outcome):
        return potential
    if not potential:
        return met("Not of reproductive potential: contraception not required.")
    agreed = ctx.record.reproductive.contraception_agreed
    if agreed is None:
        return missing(missing_sentence(("reproductive.contraception_agreed",)),
                       ("reproductive.contraception_agreed",))
    if not agreed:
        return not_met(lambda: f"Of reproductive potential and does not agree to contraception "
                               f"during treatment and {months} months after the last dose.")
    return met(lambda: f"Agrees to contraception during treatment and {months} months after the "
                       "last dose.")


def pregnancy_and_contraception(params: Mapping[str, Any], ctx: Context) -> Outcome:
    """PN-39/PN-32: not pregnant or breastfeeding; a negative pregnancy test recent enough.

    Women: not pregnant and not breastfeeding; a woman of childbearing potential needs a
    negative serum or urine test at most ``test_max_days_before`` days before the first dose
    (and not after it). Everyone of reproductive potential agrees to contraception.
    """
    r = ctx.record
    rep = r.reproductive
    if r.sex is None:
        return missing(missing_sentence(("sex",)), ("sex",))
    parts: list[str] = []
    if r.sex == "F":
        needed = tuple(path for path, value in (("reproductive.pregnant", rep.pregnant),
                                                ("reproductive.breastfeeding",
                                                 rep.breastfeeding)) if value is None)
        if rep.pregnant:
            return not_met("Pregnant.")
        if rep.breastfeeding:
            return not_met("Breastfeeding.")
        if needed:
            return missing(missing_sentence(needed), needed)
        parts.append("not pregnant or breastfeeding")
        potential = _potential(ctx)
        if isinstance(potential, Outcome):
            return potential
        if potential:
            max_days = int(params["test_max_days_before"])
            test = rep.pregnancy_test
            if test is None:
                return missing(f"Woman of childbearing potential: a pregnancy test at most "
                               f"{max_days} days before the first dose is needed. "
                               + missing_sentence(("reproductive.pregnancy_test",)),
                               ("reproductive.pregnancy_test",))
            days = _days(test.date, ctx.first_dose_on)
            kind = f"{test.kind} " if test.kind else ""
            test_text = (f"{kind}pregnancy test {test.result} on {_iso(test.date)}, {days} "
                         f"days before the first dose on {_iso(ctx.first_dose_on)}")
            if test.result == "positive":
                return not_met(lambda: f"Positive {test_text.removeprefix(kind)}.")
            if days < 0 or days > max_days:
                return not_met(lambda: f"{test_text[0].upper()}{test_text[1:]}; it must be at "
                                       f"most {max_days} days before the first dose.")
            parts.append(f"{test_text} (at most {max_days})")
    contraception = contraception_agreed(
        {"months_after_last_dose": params["contraception_months_after_last_dose"]}, ctx)
    if contraception.status != "met":
        return contraception

    def summary() -> str:
        agreed = reason_text(contraception.reason)
        joined = "; ".join([*parts, agreed[0].lower() + agreed[1:].rstrip(".")])
        return joined[0].upper() + joined[1:] + "."

    return met(summary)


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
}


# --- status only ------------------------------------------------------------------------------
# Screening many records needs only each check's status. For each check, a factory takes the
# rule's parameters once (thresholds as numbers, drug names lowered, exceptions parsed) and
# returns a function deciding the status exactly as the check above does, without building
# outcomes or sentences. The engine's tests check that both agree on random records.

StatusCheck = Callable[[Context], VerdictStatus]
_MET, _NOT_MET = VerdictStatus.MET, VerdictStatus.NOT_MET
_MISSING, _INVESTIGATOR = VerdictStatus.MISSING, VerdictStatus.NEEDS_INVESTIGATOR


def _hbv_control_status(params: Mapping[str, Any]) -> StatusCheck:
    iu = float(params["max_iu_per_ml"])
    copies = float(params["max_copies_per_ml"])
    min_days = int(params["antiviral_min_days"])

    def run(ctx: Context) -> VerdictStatus:
        hep = ctx.record.hepatitis
        hbsag, load = hep.hbsag, hep.hbv_dna
        if hbsag is None:
            return _MISSING
        if hbsag == "negative":
            if hep.anti_hbc is None:
                return _MISSING
            if hep.anti_hbc == "negative":
                return _MET
            if load is None:
                return _MISSING
            if load.below_detection or load.value == 0:
                return _MET
        if load is None:
            return _MISSING
        limit = iu if load.unit == "IU/mL" else copies
        if not load.below_detection and load.value >= limit:
            return _NOT_MET
        start = hep.anti_hbv_therapy_start
        if start is None:
            return _MISSING
        return _NOT_MET if (ctx.on - start).days < min_days else _MET

    return run


def _hcv_treated_status(params: Mapping[str, Any]) -> StatusCheck:
    min_days = int(params["completed_min_days"])

    def run(ctx: Context) -> VerdictStatus:
        hep = ctx.record.hepatitis
        rna, ever, antiviral = hep.hcv_rna, hep.hcv_rna_ever_positive, hep.hcv_antiviral
        if hep.anti_hcv is None and rna is None:
            return _MISSING
        if hep.anti_hcv == "negative" and rna != "positive" and not ever:
            return _MET
        if rna is None:
            return _MISSING
        infected = rna == "positive" or ever
        if not infected and antiviral in (None, "never"):
            return _MISSING if ever is None and antiviral is None else _MET
        if antiviral is None:
            return _MISSING
        if antiviral == "never":
            return _INVESTIGATOR
        if antiviral == "ongoing":
            return _NOT_MET
        end = hep.hcv_antiviral_end
        if end is None:
            return _MISSING
        return _NOT_MET if (ctx.on - end).days < min_days else _MET

    return run


def _coinfection_status(params: Mapping[str, Any]) -> StatusCheck:
    def run(ctx: Context) -> VerdictStatus:
        hep = ctx.record.hepatitis
        if hep.hbsag is None:
            return _MISSING
        if hep.hbsag == "negative":
            return _MET
        if hep.hcv_rna == "positive" or hep.anti_hdv == "positive":
            return _NOT_MET
        if hep.hcv_rna is None or hep.anti_hdv is None:
            return _MISSING
        return _MET

    return run


def _cns_status(params: Mapping[str, Any]) -> StatusCheck:
    min_days = int(params["stable_min_days"])

    def run(ctx: Context) -> VerdictStatus:
        status = ctx.record.cns_metastases
        if status is None:
            return _MISSING
        if status == "none" or status == "asymptomatic":
            return _MET
        if status == "symptomatic":
            return _NOT_MET
        since = ctx.record.cns_stable_since
        if since is None:
            return _MISSING
        return _NOT_MET if (ctx.on - since).days < min_days else _MET

    return run


def _prior_lines_status(params: Mapping[str, Any]) -> StatusCheck:
    min_lines = int(params["min_lines"])
    haic = bool(params.get("count_haic_as_line"))

    def run(ctx: Context) -> VerdictStatus:
        therapies = ctx.record.prior_therapies
        if therapies is None:
            return _MISSING
        return _NOT_MET if count_lines(therapies, count_haic_as_line=haic) < min_lines else _MET

    return run


def _measurable_status(params: Mapping[str, Any]) -> StatusCheck:
    min_lesions = int(params["min_lesions"])
    max_days = int(params["max_days_before"])

    def run(ctx: Context) -> VerdictStatus:
        imaging = ctx.record.imaging
        scan_date, lesions = imaging.date, imaging.lesions
        if scan_date is None or lesions is None:
            return _MISSING
        days = (ctx.on - scan_date).days
        if days < 0 or days > max_days:
            return _NOT_MET
        count = sum(1 for lesion in lesions if is_measurable(lesion))
        return _NOT_MET if count < min_lesions else _MET

    return run


def _cdk46_status(params: Mapping[str, Any]) -> StatusCheck:
    drugs = frozenset(str(d).lower() for d in params["drugs"])
    # A word means a CDK4/6 inhibitor when it is a listed drug, a brand of one, or "cdk4/6".
    flagged = drugs | {"cdk4/6"} | {brand for brand, generic in CDK46_BRANDS.items()
                                    if generic in drugs}

    def run(ctx: Context) -> VerdictStatus:
        therapies = ctx.record.prior_therapies
        if therapies is None:
            return _MISSING
        for therapy in therapies:
            if not _words(therapy.regimen).isdisjoint(flagged):
                return _NOT_MET
            for text in therapy.drugs:
                if not _words(text).isdisjoint(flagged):
                    return _NOT_MET
        return _MET

    return run


@lru_cache(maxsize=4096)
def _norm_cached(text: str) -> str:
    return _norm(text)


def _malignancy_status(params: Mapping[str, Any]) -> StatusCheck:
    years = int(params["years"])
    exceptions: dict[str, bool] = {}
    for text, needs_cure in _parse_exceptions(tuple(str(i) for i in
                                                    params.get("exceptions", []) or [])):
        exceptions.setdefault(text, needs_cure)  # the first one written applies

    def run(ctx: Context) -> VerdictStatus:
        malignancies = ctx.record.history.other_malignancies
        if malignancies is None:
            return _MISSING
        cutoff = years_before(ctx.on, years)
        unknown = False
        for item in malignancies:
            needs_cure = exceptions.get(_norm_cached(item.diagnosis))
            if needs_cure is not None and (not needs_cure or item.cured):
                continue
            diagnosed, treated = item.diagnosed_on, item.last_treatment_on
            latest = (diagnosed if treated is None else treated if diagnosed is None
                      else max(diagnosed, treated))
            if latest is None:
                unknown = True
            elif latest > cutoff:
                return _NOT_MET
        return _INVESTIGATOR if unknown else _MET

    return run


def _contraception_run(ctx: Context) -> VerdictStatus:
    r = ctx.record
    rep = r.reproductive
    if r.sex is None or rep.reproductive_potential is None:
        return _MISSING
    if not rep.reproductive_potential:
        return _MET
    agreed = rep.contraception_agreed
    if agreed is None:
        return _MISSING
    return _MET if agreed else _NOT_MET


def _contraception_status(params: Mapping[str, Any]) -> StatusCheck:
    int(params.get("months_after_last_dose", params.get(
        "contraception_months_after_last_dose", 0)))  # the check's own parameter test
    return _contraception_run


def _pregnancy_status(params: Mapping[str, Any]) -> StatusCheck:
    max_days = int(params["test_max_days_before"])
    int(params["contraception_months_after_last_dose"])  # as the full check reads it

    def run(ctx: Context) -> VerdictStatus:
        r = ctx.record
        if r.sex is None:
            return _MISSING
        if r.sex == "F":
            rep = r.reproductive
            if rep.pregnant or rep.breastfeeding:
                return _NOT_MET
            if rep.pregnant is None or rep.breastfeeding is None \
                    or rep.reproductive_potential is None:
                return _MISSING
            if rep.reproductive_potential:
                test = rep.pregnancy_test
                if test is None:
                    return _MISSING
                if test.result == "positive":
                    return _NOT_MET
                days = (ctx.first_dose_on - test.date).days
                if days < 0 or days > max_days:
                    return _NOT_MET
        return _contraception_run(ctx)

    return run


_STATUS_FACTORIES: dict[str, Callable[[Mapping[str, Any]], StatusCheck]] = {
    "hbv_control": _hbv_control_status,
    "hcv_treated": _hcv_treated_status,
    "cns_metastases_controlled": _cns_status,
    "prior_systemic_lines": _prior_lines_status,
    "measurable_disease": _measurable_status,
    "no_prior_cdk46_inhibitor": _cdk46_status,
    "no_hepatitis_coinfection": _coinfection_status,
    "no_recent_other_malignancy": _malignancy_status,
    "pregnancy_and_contraception": _pregnancy_status,
    "contraception_agreed": _contraception_status,
}


def status_check(name: str, params: Mapping[str, Any]) -> StatusCheck:
    """A function giving only the status that check ``name`` gives with ``params``.

    The parameters are read once, here; the function then decides each record's status by
    the same rule as the check (see each check's protocol note), without building the
    sentence. Parameters the fast form cannot read fall back to running the full check.

    >>> from oncotrial.eligibility.record import example_record
    >>> ctx = Context(example_record(), on=dt.date(2026, 3, 2),
    ...               first_dose_on=dt.date(2026, 3, 2), age_reference="informed_consent")
    >>> status_check("cns_metastases_controlled", {"stable_min_days": 28})(ctx)
    <VerdictStatus.MET: 'met'>
    """
    check = CHECK_FUNCTIONS[name]
    factory = _STATUS_FACTORIES.get(name)
    if factory is not None:
        try:
            return factory(params)
        except (KeyError, TypeError, ValueError):  # the full check reports it as before
            pass

    def run(ctx: Context) -> VerdictStatus:
        return check(params, ctx).status

    return run
