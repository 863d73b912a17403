"""The eligibility engine: evaluate a protocol's criteria against one screening record.

The criteria come from the protocol file (``criteria:`` of :class:`oncotrial.protocol.Protocol`);
nothing about a trial is written here. Each criterion's rule (``oncotrial.protocol.rules``) is
evaluated generically; named domain checks live in :mod:`oncotrial.eligibility.checks`.

Combining sub-rules: ``all_of`` is ``not_met`` if any part is, else ``missing`` if any part
is, else ``needs_investigator`` if any part is, else ``met``. ``any_of`` is ``met`` if any
part is, else ``missing``, else ``needs_investigator``, else ``not_met``. The patient is
eligible only when every criterion is ``met``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache, partial
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from oncotrial.clinical.units import analyte_key, convert, normalise_unit
from oncotrial.eligibility.checks import CHECK_FUNCTIONS, status_check
from oncotrial.eligibility.fields import (
    LAB_FIELDS,
    NONE_RECORDED,
    RAW_UNITS,
    Context,
    FieldValue,
    Missing,
    NoneRecorded,
    as_number,
    display_unit,
    fmt_number,
    raw_getter,
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
from oncotrial.eligibility.record import Attestation, ScreeningRecord
from oncotrial.errors import InputError
from oncotrial.protocol.rules import (
    AllOfRule,
    AnyOfRule,
    AttestRule,
    CheckRule,
    CompareRule,
    DateWindowRule,
    OneOfRule,
    RangeRule,
)

if TYPE_CHECKING:
    from oncotrial.protocol import Protocol
    from oncotrial.protocol.model import Criterion
    from oncotrial.protocol.rules import Rule

__all__ = ["Eligibility", "ScreeningResult", "Verdict", "screen"]


class Eligibility(StrEnum):
    """The overall answer: eligible, not eligible, or incomplete (data or attestations due)."""

    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"
    INCOMPLETE = "incomplete"


@dataclass(frozen=True, slots=True, eq=False)
class Verdict:
    """The verdict on one criterion, with the sentence that explains it.

    For an exclusion criterion ``met`` means the patient is not excluded by it.
    ``missing`` lists the record entries to fill in; ``warnings`` are things to look at even
    when the criterion is met (a value close to a limit, a clarification applied).

    The status is decided when screening; the reason, missing entries and warnings are worked
    out on first access (by the plain rule evaluator) and kept, so screening many records for
    the answer alone formats no text. Two verdicts are equal when all of these are equal.
    """

    criterion_id: str
    title: str
    kind: str
    status: VerdictStatus
    detail_source: Outcome | Callable[[], Outcome] = field(repr=False)

    @property
    def detail(self) -> Outcome:
        """The full outcome (status, reason, missing, warnings), built once."""
        source = self.detail_source
        if isinstance(source, Outcome):
            return source
        outcome = source()
        object.__setattr__(self, "detail_source", outcome)
        return outcome

    @property
    def reason(self) -> str:
        """The sentence showing the value, the threshold and the date used."""
        outcome = self.detail
        text = reason_text(outcome.reason)
        if not isinstance(outcome.reason, str):
            object.__setattr__(self, "detail_source", outcome._replace(reason=text))
        return text

    @property
    def missing(self) -> tuple[str, ...]:
        """Record entries to fill in (only for a ``missing`` verdict)."""
        if self.status is not VerdictStatus.MISSING:
            return ()
        return self.detail.missing

    @property
    def warnings(self) -> tuple[str, ...]:
        """Things to look at even when the criterion is met."""
        return self.detail.warnings

    def _key(self) -> tuple[object, ...]:
        return (self.criterion_id, self.title, self.kind, self.status, self.reason,
                self.missing, self.warnings)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Verdict):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash((self.criterion_id, self.kind, self.status))

    def __repr__(self) -> str:
        return (f"Verdict(criterion_id={self.criterion_id!r}, status={self.status!r}, "
                f"reason={self.reason!r})")

    def summary(self) -> str:
        """``"I1 met: Age 58 years on ... is within 18 to 75."``"""
        return f"{self.criterion_id} {self.status}: {self.reason}"


@dataclass(frozen=True, slots=True, eq=False)
class ScreeningResult:
    """One verdict per criterion (in protocol order) and the overall answer.

    ``statuses`` holds each criterion's status in protocol order; the :class:`Verdict` objects
    are made on first access to ``verdicts`` and kept. Two results are equal when their
    patient, protocol, dates and verdicts are equal.
    """

    patient_id: str
    protocol_id: str
    on: dt.date
    first_dose_on: dt.date
    statuses: tuple[VerdictStatus, ...] = field(repr=False)
    verdicts_source: dict[str, Verdict] | Callable[[], dict[str, Verdict]] = field(repr=False)

    @property
    def verdicts(self) -> dict[str, Verdict]:
        """Criterion id (``I1``..., ``E1``...) to its verdict, in protocol order."""
        source = self.verdicts_source
        if isinstance(source, dict):
            return source
        verdicts = source()
        object.__setattr__(self, "verdicts_source", verdicts)
        return verdicts

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ScreeningResult):
            return NotImplemented
        return (self.patient_id, self.protocol_id, self.on, self.first_dose_on,
                self.verdicts) == (other.patient_id, other.protocol_id, other.on,
                                   other.first_dose_on, other.verdicts)

    def __hash__(self) -> int:
        return hash((self.patient_id, self.protocol_id, self.on, self.statuses))

    def __repr__(self) -> str:
        return (f"ScreeningResult(patient_id={self.patient_id!r}, "
                f"protocol_id={self.protocol_id!r}, on={self.on!r}, status={self.status!r})")

    @property
    def eligible(self) -> bool:
        """True only when every criterion is ``met``."""
        return all(s is VerdictStatus.MET for s in self.statuses)

    @property
    def status(self) -> Eligibility:
        """Not eligible when any criterion is not met; incomplete when data are still due."""
        statuses = set(self.statuses)
        if VerdictStatus.NOT_MET in statuses:
            return Eligibility.NOT_ELIGIBLE
        if statuses - {VerdictStatus.MET}:
            return Eligibility.INCOMPLETE
        return Eligibility.ELIGIBLE

    def missing(self) -> tuple[str, ...]:
        """Every record entry still to fill in, once each, in criterion order."""
        seen: dict[str, None] = {}
        for verdict in self.verdicts.values():
            for name in verdict.missing:
                seen.setdefault(name, None)
        return tuple(seen)

    def by_status(self, status: VerdictStatus | str) -> list[Verdict]:
        """The verdicts with this status."""
        return [v for v in self.verdicts.values() if v.status == status]

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready dictionary (the shape of ``oncotrial screen --json``)."""
        return {
            "patient_id": self.patient_id,
            "protocol": self.protocol_id,
            "on": self.on.isoformat(),
            "first_dose_on": self.first_dose_on.isoformat(),
            "status": str(self.status),
            "eligible": self.eligible,
            "missing": list(self.missing()),
            "verdicts": [
                {"criterion_id": v.criterion_id, "title": v.title, "kind": v.kind,
                 "status": str(v.status), "reason": v.reason, "missing": list(v.missing),
                 "warnings": list(v.warnings)}
                for v in self.verdicts.values()
            ],
        }

    def summary(self) -> str:
        """One paragraph: the answer, then each criterion that is not met or not decided."""
        head = {
            Eligibility.ELIGIBLE: "eligible: all {n} criteria met",
            Eligibility.NOT_ELIGIBLE: "NOT eligible",
            Eligibility.INCOMPLETE: "not yet decided (data or attestations due)",
        }[self.status].format(n=len(self.verdicts))
        lines = [f"{self.patient_id or 'Patient'} on {self.on.isoformat()} "
                 f"({self.protocol_id}): {head}."]
        lines += [f"  {v.summary()}" for v in self.verdicts.values()
                  if v.status is not VerdictStatus.MET]
        return "\n".join(lines)


# --- rule evaluation --------------------------------------------------------------------------

_TOLERANCE = 1e-9


def _compare(a: float, op: str, b: float) -> bool:
    """``a op b`` where values within a relative 1e-9 count as equal (edges are inclusive
    or exclusive exactly as written, not by float noise)."""
    equal = math.isclose(a, b, rel_tol=_TOLERANCE, abs_tol=1e-12)
    if op == ">=":
        return equal or a > b
    if op == ">":
        return not equal and a > b
    if op == "<=":
        return equal or a < b
    return not equal and a < b


_PASS_WORDS = {">=": "at or above the required", ">": "above the required",
               "<=": "within the allowed", "<": "below the required"}
_FAIL_WORDS = {">=": "below the required", ">": "not above the required",
               "<=": "above the allowed", "<": "not below the required"}


def _resolved_or_outcome(ctx: Context, name: str) -> FieldValue | Outcome:
    value = ctx.get(name)
    if isinstance(value, Missing):
        return missing(missing_sentence(value.fields), value.fields)
    if isinstance(value, NoneRecorded):
        return missing(f"{value.text}, but the rule needs a value. "
                       + missing_sentence((name,)), (name,))
    return value


def _eval_range(rule: RangeRule, ctx: Context) -> Outcome:
    value = _resolved_or_outcome(ctx, rule.field)
    if isinstance(value, Outcome):
        return value
    number = as_number(value)
    low_ok = rule.min is None or _compare(number, ">=" if rule.min_inclusive else ">", rule.min)
    high_ok = rule.max is None or _compare(number, "<=" if rule.max_inclusive else "<", rule.max)

    def required() -> str:
        bounds = []
        if rule.min is not None:
            bounds.append(f"{'at least' if rule.min_inclusive else 'above'} {rule.min:g}")
        if rule.max is not None:
            bounds.append(f"{'at most' if rule.max_inclusive else 'below'} {rule.max:g}")
        return " and ".join(bounds)

    if not low_ok:
        return not_met(lambda: f"{value.text} is below the required minimum: {required()}.")
    if not high_ok:
        return not_met(lambda: f"{value.text} is above the allowed maximum: {required()}.")
    return met(lambda: f"{value.text} is within the limits ({required()}).")


def _eval_one_of(rule: OneOfRule, ctx: Context) -> Outcome:
    value = _resolved_or_outcome(ctx, rule.field)
    if isinstance(value, Outcome):
        return value
    allowed, shown = _one_of_plan(rule)
    if str(value.value).lower() in allowed:
        return met(lambda: f"{value.text} (required: {shown}).")
    return not_met(lambda: f"{value.text}; required: {shown}.")


def _eval_compare(rule: CompareRule, ctx: Context) -> Outcome:
    value = _resolved_or_outcome(ctx, rule.field)
    if isinstance(value, Outcome):
        return value
    number = as_number(value)
    limit_text: Callable[[], str]
    if rule.value is not None:
        limit = rule.value
        unit, fixed_text = _value_plan(rule)
        if unit is not None and value.unit is not None and value.unit != unit:
            number = convert(number, value.unit, unit, analyte=_analyte_for(rule.field))

        def limit_text() -> str:
            return fixed_text
    elif rule.times_uln is not None or rule.times_lln is not None:
        which = "ULN" if rule.times_uln is not None else "LLN"
        ref = value.uln if which == "ULN" else value.lln
        factor = rule.times_uln if rule.times_uln is not None else rule.times_lln
        assert factor is not None
        if ref is None:
            path = f"labs.{rule.field}.{which.lower()}"
            return missing(f"{value.text}: the site's {which} is needed to apply "
                           f"{factor:g} x {which}. {missing_sentence((path,))}", (path,))
        limit = factor * ref

        def limit_text() -> str:
            shown_unit = display_unit(value.unit)
            return (f"{factor:g} x {which} = {fmt_number(limit)}"
                    f"{'' if shown_unit in ('', '%') else ' '}{shown_unit} "
                    f"({which} {fmt_number(ref)})")
    else:
        assert rule.by_sex is not None
        sex = ctx.record.sex
        if sex is None:
            return missing(f"{value.text}: sex is needed for the sex-specific limit. "
                           + missing_sentence(("sex",)), ("sex",))
        limit = rule.by_sex[sex]

        def limit_text() -> str:
            unit_shown = f" {value.unit}" if value.unit else ""
            who = "men" if sex == "M" else "women"
            return f"{fmt_number(limit)}{unit_shown} for {who}"
    ok = _compare(number, rule.op, limit)
    words = _PASS_WORDS[rule.op] if ok else _FAIL_WORDS[rule.op]
    return Outcome(VerdictStatus.MET if ok else VerdictStatus.NOT_MET,
                   lambda: f"{value.text} is {words} {limit_text()}.")


# Per-rule constants (allowed values, limit wording), computed once per rule object. The
# cache holds the rule itself, so an id is never reused while its entry exists.
_PLANS: dict[int, tuple[object, Any]] = {}


def _plan(rule: object, build: Callable[[], Any]) -> Any:
    entry = _PLANS.get(id(rule))
    if entry is not None and entry[0] is rule:
        return entry[1]
    data = build()
    if len(_PLANS) > 10_000:  # many protocols loaded in one process: start again
        _PLANS.clear()
    _PLANS[id(rule)] = (rule, data)
    return data


def _one_of_plan(rule: OneOfRule) -> tuple[frozenset[str], str]:
    def build() -> tuple[frozenset[str], str]:
        allowed = frozenset(str(v).lower() for v in rule.values)
        shown = ", ".join("yes" if v is True else "no" if v is False else str(v)
                          for v in rule.values)
        return allowed, shown

    result: tuple[frozenset[str], str] = _plan(rule, build)
    return result


def _value_plan(rule: CompareRule) -> tuple[str | None, str]:
    def build() -> tuple[str | None, str]:
        assert rule.value is not None
        unit = (normalise_unit(rule.unit) or rule.unit) if rule.unit is not None else None
        shown_unit = display_unit(unit)
        sep = "" if shown_unit in ("", "%") else " "
        return unit, f"{fmt_number(rule.value)}{sep}{shown_unit}"

    result: tuple[str | None, str] = _plan(rule, build)
    return result


_FIELD_ANALYTE = {"qtc_fridericia": "qtc", "qtc_bazett": "qtc", "age_years": "age"}


def _analyte_for(field: str) -> str:
    return _FIELD_ANALYTE.get(field) or analyte_key(field)


def _eval_date_window(rule: DateWindowRule, ctx: Context) -> Outcome:
    value = ctx.get(rule.field)
    if isinstance(value, Missing):
        return missing(missing_sentence(value.fields), value.fields)
    if isinstance(value, NoneRecorded):
        status = VerdictStatus(rule.if_absent)
        return Outcome(status, f"{value.text}.", (rule.field,) if status == "missing" else ())
    event = value.value
    assert isinstance(event, dt.date)
    ref = ctx.reference_date(rule.relative_to)
    days = (ref - event).days
    lo, hi = rule.min_days_before, rule.max_days_before

    def text() -> str:
        ref_name = rule.relative_to.replace("_", " ")
        if days >= 0:
            when = (f"{days} day{'s' if days != 1 else ''} before the {ref_name} on "
                    f"{ref.isoformat()}")
        else:
            when = (f"{-days} day{'s' if days != -1 else ''} after the {ref_name} on "
                    f"{ref.isoformat()}")
        return f"{value.text}, {when}"

    if days < 0:
        return not_met(lambda: f"{text()}; it must not be after the "
                               f"{rule.relative_to.replace('_', ' ')}.")
    if hi is not None and days > hi:
        return not_met(lambda: f"{text()}; it must be at most {hi} days before.")
    if lo is not None and days < lo:
        return not_met(lambda: f"{text()}; it must be at least {lo} days before.")

    def met_text() -> str:
        limits = []
        if lo is not None and lo > 0:
            limits.append(f"at least {lo}")
        if hi is not None:
            limits.append(f"at most {hi}")
        return f"{text()} ({' and '.join(limits)} days required)." if limits else f"{text()}."

    return met(met_text)


def _eval_attest(rule: AttestRule, ctx: Context) -> Outcome:
    answers = ctx.record.attestations
    answer = None
    if rule.label:
        answer = answers.get(f"{ctx.criterion_id}.{rule.label}")
    if answer is None:
        answer = answers.get(ctx.criterion_id)
    if answer is None:
        return investigator(f"Investigator to attest: {rule.prompt}")
    value = answer.answer if isinstance(answer, Attestation) else answer
    who = ""
    if isinstance(answer, Attestation) and (answer.by or answer.on):
        who = " (" + ", ".join(x for x in (answer.by, answer.on.isoformat()
                                           if answer.on else None) if x) + ")"
    if value:
        return met(f"Investigator attests{who}: {rule.prompt} Yes.")
    return not_met(f"Investigator answers{who}: {rule.prompt} No.")


def _eval_check(rule: CheckRule, ctx: Context) -> Outcome:
    return CHECK_FUNCTIONS[rule.check](rule.params, ctx)


_ALL_OF_ORDER = (VerdictStatus.NOT_MET, VerdictStatus.MISSING, VerdictStatus.NEEDS_INVESTIGATOR,
                 VerdictStatus.MET)
_ANY_OF_ORDER = (VerdictStatus.MET, VerdictStatus.MISSING, VerdictStatus.NEEDS_INVESTIGATOR,
                 VerdictStatus.NOT_MET)


def _labelled(rule: Rule, outcome: Outcome) -> str:
    text = reason_text(outcome.reason)
    return f"{rule.label}: {text}" if rule.label else text


def _combine(parts: list[tuple[Rule, Outcome]], order: tuple[VerdictStatus, ...],
             joiner: str) -> Outcome:
    for status in order:
        chosen = [(r, o) for r, o in parts if o.status is status]
        if chosen:
            break
    missing_fields: dict[str, None] = {}
    if status is VerdictStatus.MISSING:
        for _, outcome in chosen:
            for name in outcome.missing:
                missing_fields.setdefault(name, None)
    warnings = tuple(w for _, o in parts for w in o.warnings)
    return Outcome(status, lambda: joiner.join(_labelled(r, o) for r, o in chosen),
                   tuple(missing_fields), warnings)


def _eval_all_of(rule: AllOfRule, ctx: Context) -> Outcome:
    return _combine([(r, _evaluate(r, ctx)) for r in rule.rules], _ALL_OF_ORDER, " ")


def _eval_any_of(rule: AnyOfRule, ctx: Context) -> Outcome:
    parts = []
    for sub in rule.rules:
        outcome = _evaluate(sub, ctx)
        if outcome.status is VerdictStatus.MET:  # the first alternative that holds decides
            return Outcome(outcome.status, partial(_labelled, sub, outcome), (),
                           outcome.warnings)
        parts.append((sub, outcome))
    combined = _combine(parts, _ANY_OF_ORDER, " Or: ")

    def reason() -> str:
        joined = " Or: ".join(reason_text(o.reason) for _, o in parts)
        if combined.status is VerdictStatus.NOT_MET:
            return f"Neither alternative holds. {joined}"
        return joined

    return Outcome(combined.status, reason, combined.missing, combined.warnings)


_EVALUATORS: dict[str, Callable[[Any, Context], Outcome]] = {
    "all_of": _eval_all_of,
    "any_of": _eval_any_of,
    "range": _eval_range,
    "one_of": _eval_one_of,
    "compare": _eval_compare,
    "date_window": _eval_date_window,
    "attest": _eval_attest,
    "check": _eval_check,
}


def _evaluate(rule: Rule, ctx: Context) -> Outcome:
    """Evaluate any rule: dispatch on its ``kind`` (the discriminator of the rule union)."""
    return _EVALUATORS[rule.kind](rule, ctx)


# --- compiled status evaluation ---------------------------------------------------------------
# Screening many records evaluates the same rules again and again. Each criterion's rule tree is
# turned once, per protocol object, into nested closures with its constants bound, which decide
# the status only; the reason, missing entries and warnings come from the plain evaluator above
# when first asked for. Tests check that both give the same status on every example and on
# random records.

StatusFn = Callable[[Context], VerdictStatus]
_MET, _NOT_MET = VerdictStatus.MET, VerdictStatus.NOT_MET
_MISSING, _INVESTIGATOR = VerdictStatus.MISSING, VerdictStatus.NEEDS_INVESTIGATOR
_TESTS: dict[str, Callable[[float, float], bool]] = {
    ">=": lambda a, b: a >= b or math.isclose(a, b, rel_tol=_TOLERANCE, abs_tol=1e-12),
    ">": lambda a, b: a > b and not math.isclose(a, b, rel_tol=_TOLERANCE, abs_tol=1e-12),
    "<=": lambda a, b: a <= b or math.isclose(a, b, rel_tol=_TOLERANCE, abs_tol=1e-12),
    "<": lambda a, b: a < b and not math.isclose(a, b, rel_tol=_TOLERANCE, abs_tol=1e-12),
}


def _is_absent(value: object) -> bool:
    return value is None or value is NONE_RECORDED


def _status_compare(rule: CompareRule, criterion_id: str) -> StatusFn:
    field_name, test, by_sex = rule.field, _TESTS[rule.op], rule.by_sex
    is_lab = field_name in LAB_FIELDS
    lab = attrgetter(f"labs.{field_name}")
    raw = raw_getter(field_name)
    if rule.value is not None:
        limit = rule.value
        unit = _value_plan(rule)[0]
        if is_lab:
            analyte = _analyte_for(field_name) if unit is not None else ""

            def run_lab_value(ctx: Context) -> VerdictStatus:
                result = lab(ctx.record)
                if result is None:
                    return _MISSING
                number = result.value
                if unit is not None and result.unit != unit:
                    number = convert(number, result.unit, unit, analyte=analyte)
                return _MET if test(number, limit) else _NOT_MET

            return run_lab_value
        own_unit = RAW_UNITS.get(field_name)
        if unit is None or own_unit is None or own_unit == unit:
            def run_value(ctx: Context) -> VerdictStatus:
                number = raw(ctx)
                if _is_absent(number):
                    return _MISSING
                return _MET if test(number, limit) else _NOT_MET

            return run_value
        analyte = _analyte_for(field_name)

        def run_converted(ctx: Context) -> VerdictStatus:
            number = raw(ctx)
            if _is_absent(number):
                return _MISSING
            number = convert(number, own_unit, unit, analyte=analyte)
            return _MET if test(number, limit) else _NOT_MET

        return run_converted
    if by_sex is not None:
        def run_sex(ctx: Context) -> VerdictStatus:
            number = raw(ctx)
            sex = ctx.record.sex
            if _is_absent(number) or sex is None:
                return _MISSING
            return _MET if test(number, by_sex[sex]) else _NOT_MET

        return run_sex
    uln = rule.times_uln is not None
    factor = rule.times_uln if uln else rule.times_lln
    assert factor is not None
    if not is_lab:  # only laboratory results carry reference limits
        def run_no_reference(ctx: Context) -> VerdictStatus:
            return _MISSING

        return run_no_reference

    def run_reference(ctx: Context) -> VerdictStatus:
        result = lab(ctx.record)
        if result is None:
            return _MISSING
        ref = result.uln if uln else result.lln
        if ref is None:
            return _MISSING
        return _MET if test(result.value, factor * ref) else _NOT_MET

    return run_reference


def _status_range(rule: RangeRule, criterion_id: str) -> StatusFn:
    raw = raw_getter(rule.field)
    low = None if rule.min is None else (_TESTS[">=" if rule.min_inclusive else ">"], rule.min)
    high = None if rule.max is None else (_TESTS["<=" if rule.max_inclusive else "<"], rule.max)

    def run(ctx: Context) -> VerdictStatus:
        number = raw(ctx)
        if number is None or number is NONE_RECORDED:
            return _MISSING
        if low is not None and not low[0](number, low[1]):
            return _NOT_MET
        if high is not None and not high[0](number, high[1]):
            return _NOT_MET
        return _MET

    return run


def _status_one_of(rule: OneOfRule, criterion_id: str) -> StatusFn:
    raw = raw_getter(rule.field)
    allowed = _one_of_plan(rule)[0]

    def run(ctx: Context) -> VerdictStatus:
        value = raw(ctx)
        if value is None or value is NONE_RECORDED:
            return _MISSING
        return _MET if str(value).lower() in allowed else _NOT_MET

    return run


def _status_date_window(rule: DateWindowRule, criterion_id: str) -> StatusFn:
    raw, lo, hi = raw_getter(rule.field), rule.min_days_before, rule.max_days_before
    first_dose = rule.relative_to == "first_dose"
    if_absent = VerdictStatus(rule.if_absent)

    def run(ctx: Context) -> VerdictStatus:
        value = raw(ctx)
        if value is None:
            return _MISSING
        if value is NONE_RECORDED:
            return if_absent
        days = ((ctx.first_dose_on if first_dose else ctx.on) - value).days
        if days < 0 or (hi is not None and days > hi) or (lo is not None and days < lo):
            return _NOT_MET
        return _MET

    return run


def _status_attest(rule: AttestRule, criterion_id: str) -> StatusFn:
    labelled = f"{criterion_id}.{rule.label}" if rule.label else None

    def run(ctx: Context) -> VerdictStatus:
        answers = ctx.record.attestations
        answer = answers.get(labelled) if labelled is not None else None
        if answer is None:
            answer = answers.get(criterion_id)
        if answer is None:
            return _INVESTIGATOR
        value = answer.answer if isinstance(answer, Attestation) else answer
        return _MET if value else _NOT_MET

    return run


def _status_check(rule: CheckRule, criterion_id: str) -> StatusFn:
    return status_check(rule.check, rule.params)


def _status_combined(parts: tuple[StatusFn, ...], decisive: VerdictStatus,
                     otherwise: VerdictStatus) -> StatusFn:
    """all_of (NOT_MET decides, else MET) and any_of (MET decides, else NOT_MET): a decisive
    part ends the evaluation; otherwise missing data outranks a pending attestation."""

    def run(ctx: Context) -> VerdictStatus:
        seen_missing = seen_investigator = False
        for part in parts:
            status = part(ctx)
            if status is decisive:
                return decisive
            if status is _MISSING:
                seen_missing = True
            elif status is _INVESTIGATOR:
                seen_investigator = True
        if seen_missing:
            return _MISSING
        return _INVESTIGATOR if seen_investigator else otherwise

    return run


def _status_all_of(rule: AllOfRule, criterion_id: str) -> StatusFn:
    return _status_combined(tuple(_compile(sub, criterion_id) for sub in rule.rules),
                            _NOT_MET, _MET)


def _status_any_of(rule: AnyOfRule, criterion_id: str) -> StatusFn:
    return _status_combined(tuple(_compile(sub, criterion_id) for sub in rule.rules),
                            _MET, _NOT_MET)


_COMPILERS: dict[str, Callable[[Any, str], StatusFn]] = {
    "all_of": _status_all_of,
    "any_of": _status_any_of,
    "range": _status_range,
    "one_of": _status_one_of,
    "compare": _status_compare,
    "date_window": _status_date_window,
    "attest": _status_attest,
    "check": _status_check,
}


def _compile(rule: Rule, criterion_id: str) -> StatusFn:
    """The status-only function of ``rule`` within criterion ``criterion_id``."""
    return _COMPILERS[rule.kind](rule, criterion_id)


_Plan = tuple[list[tuple["Criterion", str, StatusFn]], tuple[StatusFn, ...]]


def _compiled(protocol: Protocol) -> _Plan:
    """The protocol's criteria with their compiled rules (built once per protocol object)."""

    def build() -> _Plan:
        plan = [(c, "inclusion", _compile(c.rule, c.id)) for c in protocol.criteria.inclusion]
        plan += [(c, "exclusion", _compile(c.rule, c.id)) for c in protocol.criteria.exclusion]
        return plan, tuple(run for _, _, run in plan)

    result: _Plan = _plan(protocol, build)
    return result


def _detail(criterion: Criterion, ctx: Context) -> Outcome:
    ctx.criterion_id = criterion.id
    return _evaluate(criterion.rule, ctx)


def evaluate_criterion(criterion: Criterion, ctx: Context, kind: str) -> Verdict:
    """Evaluate one criterion's rule into a :class:`Verdict` with the plain evaluator."""
    outcome = _detail(criterion, ctx)
    return Verdict(criterion.id, criterion.title, kind, outcome.status, outcome)


@lru_cache(maxsize=1)
def _bundled() -> Protocol:
    from oncotrial.protocol import load_bundled_protocol

    return load_bundled_protocol()


def screen(
    record: ScreeningRecord,
    protocol: Protocol | None = None,
    *,
    on: dt.date | None = None,
) -> ScreeningResult:
    """Screen one patient against every eligibility criterion of a protocol.

    ``on`` is the planned enrolment date (default: ``record.planned_enrolment_date``; the core
    never reads the clock); windows "before first dose" use ``record.planned_first_dose_date``
    (default: ``on``). ``protocol`` defaults to the bundled
    NCT06478927 protocol. Each criterion gets a verdict: ``met``, ``not_met``, ``missing``
    (with the record entries to fill in) or ``needs_investigator``, and a sentence showing the
    value, the threshold and the date used. The patient is eligible only if all are ``met``.

    Raises:
        InputError: no enrolment date (neither ``on`` nor the record's), or the first-dose
            date is before it.

    Example, the bundled example of a typical eligible patient:

    >>> from oncotrial.eligibility import example_record
    >>> result = screen(example_record(), on=dt.date(2026, 3, 2))
    >>> result.eligible, len(result.verdicts), result.verdicts["I11"].status
    (True, 24, <VerdictStatus.MET: 'met'>)
    """
    proto = protocol if protocol is not None else _bundled()
    if on is None:
        on = record.planned_enrolment_date
    if on is None:
        raise InputError(
            "Screening needs the planned enrolment date, but none was given and the record "
            "has no planned_enrolment_date.",
            field="planned_enrolment_date",
            hint="Pass on=<date> (oncotrial screen --on YYYY-MM-DD) or fill in "
                 "planned_enrolment_date in the record.",
        )
    first_dose = record.planned_first_dose_date or on
    if first_dose < on:
        raise InputError(
            f"The planned first dose on {first_dose.isoformat()} is before the enrolment date "
            f"{on.isoformat()}.",
            field="planned_first_dose_date",
            value=first_dose.isoformat(),
            hint="Correct the planned first-dose date, or screen on the enrolment date.",
        )
    ctx = Context(record, on=on, first_dose_on=first_dose,
                  age_reference=proto.enrolment.age_reference)
    plan, runs = _compiled(proto)
    decided = tuple([run(ctx) for run in runs])
    return ScreeningResult(record.patient_id, proto.study.registry_id, on, first_dose, decided,
                           partial(_make_verdicts, plan, decided, ctx))


def _make_verdicts(plan: list[tuple[Criterion, str, StatusFn]],
                   statuses: tuple[VerdictStatus, ...], ctx: Context) -> dict[str, Verdict]:
    return {criterion.id: Verdict(criterion.id, criterion.title, kind, status,
                                  partial(_detail, criterion, ctx))
            for (criterion, kind, _), status in zip(plan, statuses, strict=True)}
