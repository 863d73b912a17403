"""The single-condition rules of a protocol, each evaluated by one class (no second copy).

``range``, ``one_of``, ``compare``, ``date_window`` and ``attest`` rules
(:mod:`oncotrial.protocol.rules`) become these evaluators once per protocol; the named checks
(:mod:`oncotrial.eligibility.checks`) build them too where they need the same comparison
(the PT check, the surgery and scan windows). Each ``evaluate(ctx)`` writes the facts it read
(value, unit, date, limit) to ``ctx.facts`` and returns an :class:`Outcome` with its code and
the sentence as phrases that show those facts (:mod:`oncotrial.eligibility.phrases`). The
outcomes do not depend on the record, so each is made once, when the rule is compiled.

Codes (after the criterion id): ``not_met.<field>_below_min`` / ``_above_max`` and
``met.<field>_within_limits`` for numbers; ``not_met.<field>_not_allowed`` /
``met.<field>_allowed`` for categories; ``not_met.<field>_too_old`` / ``_too_recent`` /
``_after_reference`` / ``_none`` and ``met.<field>_in_window`` / ``_none`` for dates;
``attest.needed``, ``met.attested_yes`` and ``not_met.attested_no`` for attestations;
``missing.<entry>`` when data are absent.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from oncotrial.clinical import analyte_key, convert, normalise_unit
from oncotrial.eligibility.fields import (
    ABSENT,
    DATE_PATHS,
    LAB_FIELDS,
    Context,
    Missing,
    NoneRecorded,
    reader,
)
from oncotrial.eligibility.outcome import (
    INVESTIGATOR,
    MET,
    MISSING,
    NOT_MET,
    Outcome,
    VerdictStatus,
    compare,
    label_prefix,
    missing,
    missing_sentence,
)
from oncotrial.eligibility.phrases import Phrase, display_unit, fmt_number
from oncotrial.eligibility.record import Attestation

__all__ = ["Attest", "Compare", "DateWindow", "OneOf", "Range", "absent", "attestation"]


@lru_cache(maxsize=1024)
def absent(name: str, value: Missing | NoneRecorded) -> Outcome:
    """The outcome of a rule whose field could not be had: missing, naming what to fill in."""
    if isinstance(value, Missing):
        note = f"{value.note[0].upper()}{value.note[1:]}. " if value.note else ""
        return missing(f"{note}{missing_sentence(value.fields)}", value.fields)
    path = DATE_PATHS.get(name, name)
    return missing(f"{value.text}, but the rule needs a value. {missing_sentence((path,))}",
                   (path,))


def _bounds_text(low: float | None, low_inclusive: bool, high: float | None,
                 high_inclusive: bool) -> str:
    bounds = []
    if low is not None:
        bounds.append(f"{'at least' if low_inclusive else 'above'} {low:g}")
    if high is not None:
        bounds.append(f"{'at most' if high_inclusive else 'below'} {high:g}")
    return " and ".join(bounds)


class Range:
    """``min <= field <= max``, each bound inclusive unless stated."""

    __slots__ = ("below", "field", "high", "high_op", "inside", "keys", "label", "low", "low_op",
                 "over", "prefix", "read")

    def __init__(self, field: str, low: float | None, high: float | None, *,
                 low_inclusive: bool = True, high_inclusive: bool = True,
                 label: str | None = None) -> None:
        self.field, self.low, self.high, self.label = field, low, high, label
        self.read = reader(field)
        self.prefix = label_prefix(label)
        self.low_op = ">=" if low_inclusive else ">"
        self.high_op = "<=" if high_inclusive else "<"
        self.keys = (f"{field}_min", f"{field}_max")
        required = _bounds_text(low, low_inclusive, high, high_inclusive)
        shown = ("field", field)
        self.below = Outcome(NOT_MET, f"not_met.{field}_below_min",
                             (shown, f" is below the required minimum: {required}."))
        self.over = Outcome(NOT_MET, f"not_met.{field}_above_max",
                            (shown, f" is above the allowed maximum: {required}."))
        self.inside = Outcome(MET, f"met.{field}_within_limits",
                              (shown, f" is within the limits ({required})."))

    def evaluate(self, ctx: Context) -> Outcome:
        facts = ctx.facts
        number = self.read(ctx, facts)
        if isinstance(number, ABSENT):
            return absent(self.field, number)
        if self.low is not None:
            facts[self.keys[0]] = self.low
            if not compare(number, self.low_op, self.low):  # type: ignore[arg-type]
                return self.below
        if self.high is not None:
            facts[self.keys[1]] = self.high
            if not compare(number, self.high_op, self.high):  # type: ignore[arg-type]
                return self.over
        return self.inside


class OneOf:
    """A categorical (or integer, or yes/no) field takes one of the listed values."""

    __slots__ = ("allowed", "field", "label", "no", "prefix", "read", "yes")

    def __init__(self, field: str, values: list[str | int | bool], *,
                 label: str | None = None) -> None:
        self.field, self.label, self.prefix = field, label, label_prefix(label)
        self.read = reader(field)
        self.allowed = frozenset(str(v).lower() for v in values)
        shown = ", ".join("yes" if v is True else "no" if v is False else str(v) for v in values)
        self.yes = Outcome(MET, f"met.{field}_allowed",
                           (("field", field), f" (required: {shown})."))
        self.no = Outcome(NOT_MET, f"not_met.{field}_not_allowed",
                          (("field", field), f"; required: {shown}."))

    def evaluate(self, ctx: Context) -> Outcome:
        value = self.read(ctx, ctx.facts)
        if isinstance(value, ABSENT):
            return absent(self.field, value)
        return self.yes if str(value).lower() in self.allowed else self.no


_PASS_WORDS = {">=": "at or above the required", ">": "above the required",
               "<=": "within the allowed", "<": "below the required"}
_FAIL_WORDS = {">=": "below the required", ">": "not above the required",
               "<=": "above the allowed", "<": "not below the required"}
_RAW = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}
_FIELD_ANALYTE = {"qtc_fridericia": "qtc", "qtc_bazett": "qtc", "age_years": "age"}


def _no_reference(record: object) -> None:
    """Fields other than laboratory results carry no ULN or LLN."""
    return None


class Compare:
    """A number compared with a value in a unit, a multiple of the ULN or LLN, or a limit by sex.

    A value in another unit than the limit's is converted with :func:`oncotrial.clinical.convert`
    first; a ULN or LLN multiple uses the site's range carried with the result. Edges follow
    :func:`~oncotrial.eligibility.outcome.compare` (values within float noise are equal).
    """

    __slots__ = ("analyte", "by_sex", "factor", "fail", "field", "label", "limit", "limit_key",
                 "op", "own_unit_key", "passed", "prefix", "raw", "read", "ref_keys", "ref_of",
                 "reference", "strict", "unit", "unit_key")

    def __init__(self, field: str, op: str, *, value: float | None = None,
                 unit: str | None = None, times_uln: float | None = None,
                 times_lln: float | None = None, by_sex: Mapping[str, float] | None = None,
                 label: str | None = None) -> None:
        self.field, self.op, self.label, self.prefix = field, op, label, label_prefix(label)
        self.read = reader(field)
        self.raw, self.strict = _RAW[op], op in (">", "<")
        self.by_sex = dict(by_sex) if by_sex is not None else None
        side = "min" if op in (">=", ">") else "max"
        self.limit_key = f"{field}_{side}"
        self.limit = value
        self.unit = (normalise_unit(unit) or unit) if unit is not None else None
        self.analyte = ""
        if value is not None and self.unit is not None:
            self.analyte = _FIELD_ANALYTE.get(field) or analyte_key(field)
        self.reference = "ULN" if times_uln is not None else "LLN" if times_lln is not None \
            else None
        self.factor = times_uln if times_uln is not None else times_lln
        which = (self.reference or "ULN").lower()
        self.ref_keys = (f"{field}_{which}", f"{field}_{which}_times")
        # The site's limit carried with a laboratory result (labs.<field>.uln); other fields
        # have none.
        self.ref_of = operator.attrgetter(f"labs.{field}.{which}") if field in LAB_FIELDS \
            else _no_reference
        self.unit_key, self.own_unit_key = f"{field}_limit_unit", f"{field}_unit"
        shown = ("field", field)
        tails: tuple[Phrase, Phrase]
        if value is not None:
            unit_shown = display_unit(self.unit)
            limit = f"{fmt_number(value)}{'' if unit_shown in ('', '%') else ' '}{unit_shown}"
            tails = (f" is {_PASS_WORDS[op]} {limit}.", f" is {_FAIL_WORDS[op]} {limit}.")
        elif self.factor is not None:
            tails = (("reference_limit", field, _PASS_WORDS[op], self.reference, side),
                     ("reference_limit", field, _FAIL_WORDS[op], self.reference, side))
        else:
            tails = (("sex_limit", field, _PASS_WORDS[op], side),
                     ("sex_limit", field, _FAIL_WORDS[op], side))
        failed = "below_min" if side == "min" else "above_max"
        self.passed = Outcome(MET, f"met.{field}_within_limits", (shown, tails[0]))
        self.fail = Outcome(NOT_MET, f"not_met.{field}_{failed}", (shown, tails[1]))

    def _limit(self, ctx: Context) -> float | Outcome:
        """The ULN/LLN multiple or the limit by sex for this value (or what is missing)."""
        if self.factor is not None:
            which = self.reference or "ULN"
            ref: float | None = self.ref_of(ctx.record)
            if ref is None:
                path = f"labs.{self.field}.{which.lower()}"
                return Outcome(MISSING, f"missing.{self.field}_{which.lower()}", (
                    ("field", self.field), f": the site's {which} is needed to apply "
                    f"{self.factor:g} x {which}. {missing_sentence((path,))}"), (path,))
            ctx.facts[self.ref_keys[0]] = ref
            ctx.facts[self.ref_keys[1]] = self.factor
            return self.factor * ref
        sex = ctx.record.sex
        if sex is None or self.by_sex is None:
            return Outcome(MISSING, "missing.sex", (
                ("field", self.field), ": sex is needed for the sex-specific limit. Missing: "
                                       "sex."), ("sex",))
        ctx.facts["sex"] = sex.value
        return self.by_sex[sex]

    def evaluate(self, ctx: Context) -> Outcome:
        facts = ctx.facts
        number: Any = self.read(ctx, facts)
        if isinstance(number, ABSENT):
            return absent(self.field, number)
        limit: Any = self.limit
        if limit is None:
            limit = self._limit(ctx)
            if isinstance(limit, Outcome):
                return limit
        elif self.unit is not None:
            facts[self.unit_key] = self.unit
            unit = facts.get(self.own_unit_key)
            if unit != self.unit and unit is not None:
                number = convert(number, str(unit), self.unit, analyte=self.analyte)
        facts[self.limit_key] = limit
        # The plain test first: a value passing >= or <= outright needs no tolerance.
        if (not self.strict and self.raw(number, limit)) or compare(number, self.op, limit):
            return self.passed
        return self.fail


class DateWindow:
    """A dated event lies far enough, or recently enough, before the reference date.

    Days are (reference date - event date). ``if_absent`` is the status when the record says
    there was no such event (``none``); a date not recorded is always ``missing``.
    """

    __slots__ = ("field", "hi", "if_absent", "keys", "label", "lo", "outcomes", "prefix",
                 "read", "relative_to")

    def __init__(self, field: str, *, min_days_before: int | None = None,
                 max_days_before: int | None = None, relative_to: str = "enrolment",
                 if_absent: str = "missing", label: str | None = None) -> None:
        self.field, self.label, self.prefix = field, label, label_prefix(label)
        self.read = reader(field)
        self.lo, self.hi = min_days_before, max_days_before
        self.relative_to = relative_to
        self.if_absent = VerdictStatus(if_absent)
        self.keys = tuple(f"{field}_{k}" for k in ("days_before", "reference_on",
                                                    "min_days_before", "max_days_before"))
        ref_name = relative_to.replace("_", " ")
        self.outcomes = {
            verdict: Outcome(MET if verdict == "in_window" else NOT_MET,
                             f"{'met' if verdict == 'in_window' else 'not_met'}.{field}_{verdict}",
                             (("field", field), ("window", field, verdict, ref_name)))
            for verdict in ("after_reference", "too_old", "too_recent", "in_window")}

    def _none(self, value: NoneRecorded) -> Outcome:
        name = self.field
        if self.if_absent is MISSING:
            return absent(name, value)
        code = "met" if self.if_absent is MET else "not_met"
        return Outcome(self.if_absent, f"{code}.{name}_none", (f"{value.text}.",))

    def evaluate(self, ctx: Context) -> Outcome:
        name = self.field
        facts = ctx.facts
        event = self.read(ctx, facts)
        if isinstance(event, NoneRecorded):
            return self._none(event)
        if isinstance(event, Missing):
            return absent(name, event)
        assert isinstance(event, dt.date)
        ref = ctx.first_dose_on if self.relative_to == "first_dose" else ctx.on
        days = (ref - event).days
        keys = self.keys
        facts[keys[0]] = days
        facts[keys[1]] = ref
        lo, hi = self.lo, self.hi
        if lo is not None:
            facts[keys[2]] = lo
        if hi is not None:
            facts[keys[3]] = hi
        if days < 0:
            return self.outcomes["after_reference"]
        if hi is not None and days > hi:
            return self.outcomes["too_old"]
        if lo is not None and days < lo:
            return self.outcomes["too_recent"]
        return self.outcomes["in_window"]


@lru_cache(maxsize=256)
def _attestation_outcomes(key: str, prompt: str) -> tuple[Outcome, Outcome, Outcome]:
    return (Outcome(MET, "met.attested_yes", (("attested", key, prompt),)),
            Outcome(NOT_MET, "not_met.attested_no", (("attested", key, prompt),)),
            Outcome(INVESTIGATOR, "attest.needed",
                    (f"Investigator to attest ({key}): {prompt}",)))


def attestation(ctx: Context, key: str, prompt: str) -> Outcome:
    """The investigator's answer to ``prompt``, recorded under ``attestations[key]``.

    Keys read in the natural direction of the question (``recovered_from_surgery: true``
    means recovered): ``true`` is met, ``false`` not met, no answer needs the investigator.
    """
    yes, no, needed = _attestation_outcomes(key, prompt)
    answer = ctx.record.attestations.get(key)
    if answer is None:
        return needed
    if isinstance(answer, Attestation):
        ctx.facts[f"{key}_by"] = answer.by
        ctx.facts[f"{key}_on"] = answer.on
        answer = answer.answer
    ctx.facts[key] = answer
    return yes if answer else no


class Attest:
    """The investigator attests; the answer is read from ``attestations[key]``.

    The key is the rule's label (the protocol names each question in its natural direction,
    e.g. ``expected_survival_at_least_3_months``), else the criterion id.
    """

    __slots__ = ("key", "label", "prefix", "prompt")

    def __init__(self, key: str, prompt: str, *, label: str | None = None) -> None:
        self.key, self.prompt, self.label, self.prefix = key, prompt, label, label_prefix(label)

    def evaluate(self, ctx: Context) -> Outcome:
        return attestation(ctx, self.key, self.prompt)


#: Any single-condition evaluator.
Leaf = Range | OneOf | Compare | DateWindow | Attest
