"""The eligibility engine: evaluate a protocol's criteria against one screening record.

The criteria come from the protocol file (``criteria:`` of :class:`oncotrial.protocol.Protocol`);
nothing about a trial is written here. Each criterion's rule (``oncotrial.protocol.rules``) is
turned once per protocol into evaluators (:mod:`oncotrial.eligibility.leaves` for single
conditions, named checks from :mod:`oncotrial.eligibility.checks`, and the two combinators
below), and evaluated by that one evaluator into a :class:`Verdict`: plain data built eagerly,
with a code, the facts it used and the sentence as phrases (literal text, and templates that
show the facts: :mod:`oncotrial.eligibility.phrases`), rendered when ``reason`` is read.

Combining sub-rules: ``all_of`` is ``not_met`` if any part is, else ``missing`` if any part
is, else ``needs_investigator`` if any part is, else ``met``. ``any_of`` is ``met`` if any
part is, else ``missing``, else ``needs_investigator``, else ``not_met``. The subject is
eligible only when every criterion is ``met``.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import computed_field

from oncotrial.eligibility.checks import CHECK_FUNCTIONS, CheckFunction
from oncotrial.eligibility.fields import Context
from oncotrial.eligibility.leaves import Attest, Compare, DateWindow, OneOf, Range
from oncotrial.eligibility.outcome import (
    INVESTIGATOR,
    MET,
    MISSING,
    NOT_MET,
    Outcome,
    VerdictStatus,
    combine_all,
    label_prefix,
    labelled,
)
from oncotrial.eligibility.phrases import Phrase, render
from oncotrial.eligibility.record import ScreeningRecord
from oncotrial.errors import InputError, UnknownTermError
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
from oncotrial.records import Fact, Facts, slot_constructor, to_plain

if TYPE_CHECKING:
    from oncotrial.protocol import Protocol as TrialProtocol
    from oncotrial.protocol.rules import Rule

__all__ = ["Eligibility", "ScreeningResult", "Verdict", "screen"]


class Eligibility(StrEnum):
    """The overall answer: eligible, not eligible, or incomplete (data or attestations due)."""

    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"
    INCOMPLETE = "incomplete"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The verdict on one criterion: status, code, the sentence why, and the facts used.

    For an exclusion criterion ``met`` means the subject is not excluded by it. ``code`` is
    the criterion id, the status and what decided it (``I11.not_met.anc_below_min``,
    ``E3.attest.needed``; ``RESULT_CODES`` lists every pattern); ``facts`` holds the values,
    thresholds, units and dates the rule read; ``missing`` lists the record entries to fill in
    (only for ``missing``); ``warnings`` are things to look at even when the criterion is met
    (a value close to a limit); ``phrases`` are the sentence as data, and ``reason`` the
    sentence they render to. Plain data, built eagerly: it goes to JSON and back
    (:func:`oncotrial.records.to_json`, the same JSON text again) and pickles.
    """

    criterion_id: str
    title: str
    kind: str
    status: VerdictStatus
    code: str
    phrases: tuple[Phrase, ...]
    missing: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    facts: Facts = field(default_factory=dict, hash=False)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def reason(self) -> str:
        """The sentence showing the value, the threshold and the date used.

        Rendered from ``phrases`` and ``facts`` when read, and written into the stored JSON
        (``to_json``) so that a stored verdict carries its sentence; reading the JSON back
        renders it again from the same phrases.
        """
        return render(self.phrases, self.facts)

    def summary(self) -> str:
        """``"I1 met: Age 58 years on ... is within the limits (at least 18 and at most 75)."``"""
        return f"{self.criterion_id} {self.status}: {self.reason}"


_HEADS = {
    Eligibility.ELIGIBLE: "eligible: all {n} criteria met",
    Eligibility.NOT_ELIGIBLE: "NOT eligible",
    Eligibility.INCOMPLETE: "not yet decided (data or attestations due)",
}


@dataclass(frozen=True, slots=True)
class ScreeningResult:
    """One verdict per criterion (in protocol order) and the overall answer.

    ``code`` is ``eligibility.eligible``, ``eligibility.not_eligible`` or
    ``eligibility.incomplete``; ``facts`` counts the verdicts by status; ``reason`` is the
    one-line answer. Plain data: :func:`oncotrial.records.to_json` and ``from_json`` give it
    back equal, and it pickles.
    """

    subject_id: str
    protocol_id: str
    on: dt.date
    first_dose_on: dt.date
    status: Eligibility
    code: str
    reason: str
    verdicts: dict[str, Verdict] = field(default_factory=dict, hash=False)
    facts: Facts = field(default_factory=dict, hash=False)

    @classmethod
    def of(cls, subject_id: str, protocol_id: str, on: dt.date, first_dose_on: dt.date,
           verdicts: dict[str, Verdict]) -> ScreeningResult:
        """The result of these verdicts: the answer, its code, sentence and counts."""
        counts = dict.fromkeys(VerdictStatus, 0)
        counts.update(Counter([v.status for v in verdicts.values()]))
        if counts[NOT_MET]:
            status = Eligibility.NOT_ELIGIBLE
        elif counts[MISSING] or counts[INVESTIGATOR]:
            status = Eligibility.INCOMPLETE
        else:
            status = Eligibility.ELIGIBLE
        reason = (f"{subject_id or 'Subject'} on {on.isoformat()} ({protocol_id}): "
                  f"{_HEADS[status].format(n=len(verdicts))}.")
        facts: dict[str, Any] = {"enrolment_on": on, "first_dose_on": first_dose_on,
                                 "criteria": len(verdicts)}
        facts.update({str(s): n for s, n in counts.items()})
        return cls(subject_id, protocol_id, on, first_dose_on, status,
                   f"eligibility.{status}", reason, verdicts, facts)

    @property
    def eligible(self) -> bool:
        """True only when every criterion is ``met``."""
        return self.status is Eligibility.ELIGIBLE

    def missing(self) -> tuple[str, ...]:
        """Every record entry still to fill in, once each, in criterion order."""
        return tuple(dict.fromkeys(name for v in self.verdicts.values() for name in v.missing))

    def by_status(self, status: VerdictStatus | str) -> list[Verdict]:
        """The verdicts with this status."""
        return [v for v in self.verdicts.values() if v.status == status]

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready dictionary (the shape of ``oncotrial screen --json``)."""
        plain = to_plain(self)
        for verdict in plain["verdicts"].values():
            verdict["reason"] = render(verdict.pop("phrases"), verdict["facts"])
        return {
            "subject_id": self.subject_id,
            "protocol": self.protocol_id,
            "on": plain["on"],
            "first_dose_on": plain["first_dose_on"],
            "status": str(self.status),
            "code": self.code,
            "reason": self.reason,
            "eligible": self.eligible,
            "missing": list(self.missing()),
            "verdicts": list(plain["verdicts"].values()),
        }

    def summary(self) -> str:
        """One paragraph: the answer, then each criterion that is not met or not decided."""
        lines = [self.reason]
        lines += [f"  {v.summary()}" for v in self.verdicts.values() if v.status is not MET]
        return "\n".join(lines)


#: ``Verdict(...)`` for the screening loop, which makes 24 of them a record (see
#: :func:`oncotrial.records.slot_constructor`).
_verdict = slot_constructor(Verdict)


_new = tuple.__new__


# --- compiling a protocol's rules into evaluators ---------------------------------------------


class Evaluator(Protocol):
    """Anything that evaluates one rule for one record (a leaf, a check, a combinator).

    ``prefix`` is the rule's label as it starts its part of a combined sentence (``"11(1)
    ANC: "``), or ``""``.
    """

    @property
    def prefix(self) -> str: ...

    def evaluate(self, ctx: Context) -> Outcome: ...


class _Check:
    """A named domain check with its parameters."""

    __slots__ = ("function", "params", "prefix")

    def __init__(self, function: CheckFunction, params: Mapping[str, Any],
                 label: str | None) -> None:
        self.function, self.params, self.prefix = function, params, label_prefix(label)

    def evaluate(self, ctx: Context) -> Outcome:
        return self.function(self.params, ctx)


class _AllOf:
    """Every part holds (see :func:`~oncotrial.eligibility.outcome.combine_all`)."""

    __slots__ = ("joints", "parts", "prefix")

    def __init__(self, parts: list[Evaluator], label: str | None) -> None:
        self.parts, self.prefix = parts, label_prefix(label)
        # Each part with what goes before its sentence when all are met: a space, its label.
        self.joints = [((" " if i else "") + part.prefix, part) for i, part in enumerate(parts)]

    def evaluate(self, ctx: Context) -> Outcome:
        phrases: list[Phrase] = []
        outcomes = []
        met = True
        for joint, part in self.joints:
            outcome = part.evaluate(ctx)
            outcomes.append(outcome)
            if outcome[0] is not MET:
                met = False
            elif met:  # every part met so far: the usual case, joined as it comes
                if joint:
                    phrases.append(joint)
                phrases += outcome[2]
        if met:
            return _new(Outcome, (MET, "met.all_parts", tuple(phrases), ()))
        return combine_all([(part.prefix, o) for part, o in zip(self.parts, outcomes,
                                                                 strict=True)])


_ANY_OF_ORDER = (MISSING, INVESTIGATOR, NOT_MET)


class _AnyOf:
    """At least one part holds; the first that does decides (in protocol order)."""

    __slots__ = ("parts", "prefix")

    def __init__(self, parts: list[Evaluator], label: str | None) -> None:
        self.parts, self.prefix = parts, label_prefix(label)

    def evaluate(self, ctx: Context) -> Outcome:
        tried = []
        for part in self.parts:
            outcome = part.evaluate(ctx)
            if outcome.status is MET:
                return outcome._replace(phrases=labelled(part.prefix, outcome))
            tried.append(outcome)
        status = next(s for s in _ANY_OF_ORDER if any(o.status is s for o in tried))
        chosen = [o for o in tried if o.status is status]
        phrases: list[Phrase] = ["Neither alternative holds. "] if status is NOT_MET else []
        for outcome in tried:
            if outcome is not tried[0]:
                phrases.append(" Or: ")
            phrases.extend(outcome.phrases)
        needed = tuple(dict.fromkeys(n for o in chosen for n in o.missing))
        return Outcome(status, chosen[0].code, tuple(phrases), needed)


def _compile_all(rule: Any, criterion_id: str) -> Evaluator:
    return _AllOf([_compile(r, criterion_id) for r in rule.rules], rule.label)


def _compile_any(rule: Any, criterion_id: str) -> Evaluator:
    return _AnyOf([_compile(r, criterion_id) for r in rule.rules], rule.label)


def _compile_range(rule: RangeRule, criterion_id: str) -> Evaluator:
    return Range(rule.field, rule.min, rule.max, low_inclusive=rule.min_inclusive,
                 high_inclusive=rule.max_inclusive, label=rule.label)


def _compile_one_of(rule: OneOfRule, criterion_id: str) -> Evaluator:
    return OneOf(rule.field, rule.values, label=rule.label)


def _compile_compare(rule: CompareRule, criterion_id: str) -> Evaluator:
    return Compare(rule.field, rule.op, value=rule.value, unit=rule.unit,
                   times_uln=rule.times_uln, times_lln=rule.times_lln,
                   by_sex=None if rule.by_sex is None else {str(k): v for k, v in
                                                             rule.by_sex.items()},
                   label=rule.label)


def _compile_window(rule: DateWindowRule, criterion_id: str) -> Evaluator:
    return DateWindow(rule.field, min_days_before=rule.min_days_before,
                      max_days_before=rule.max_days_before, relative_to=rule.relative_to,
                      if_absent=rule.if_absent, label=rule.label)


def _compile_attest(rule: AttestRule, criterion_id: str) -> Evaluator:
    return Attest(rule.label or criterion_id, rule.prompt, label=rule.label)


def _compile_check(rule: CheckRule, criterion_id: str) -> Evaluator:
    function = CHECK_FUNCTIONS.get(rule.check)
    if function is None:
        raise UnknownTermError("eligibility check", rule.check, sorted(CHECK_FUNCTIONS),
                               message=f"Criterion {criterion_id}: the eligibility engine has "
                                       f"no check {rule.check!r}.")
    return _Check(function, dict(rule.params), rule.label)


_COMPILERS: dict[type, Callable[[Any, str], Evaluator]] = {
    AllOfRule: _compile_all,
    AnyOfRule: _compile_any,
    RangeRule: _compile_range,
    OneOfRule: _compile_one_of,
    CompareRule: _compile_compare,
    DateWindowRule: _compile_window,
    AttestRule: _compile_attest,
    CheckRule: _compile_check,
}


def _compile(rule: Rule, criterion_id: str) -> Evaluator:
    """The evaluator of ``rule`` within criterion ``criterion_id``."""
    return _COMPILERS[type(rule)](rule, criterion_id)


# criterion id, title, kind, evaluator, and its full codes by the evaluator's code
_Plan = list[tuple[str, str, str, Evaluator, dict[str, str]]]
# Compiled criteria, per protocol object. The entry holds the protocol itself, so an id is
# never reused while its entry exists.
_PLANS: dict[int, tuple[object, _Plan]] = {}


def _compiled(protocol: TrialProtocol) -> _Plan:
    """The protocol's criteria with their evaluators (built once per protocol object)."""
    entry = _PLANS.get(id(protocol))
    if entry is not None and entry[0] is protocol:
        return entry[1]
    plan: _Plan = [(c.id, c.title, "inclusion", _compile(c.rule, c.id), {})
                   for c in protocol.criteria.inclusion]
    plan += [(c.id, c.title, "exclusion", _compile(c.rule, c.id), {})
             for c in protocol.criteria.exclusion]
    if len(_PLANS) > 256:  # many protocols loaded in one process: start again
        _PLANS.clear()
    _PLANS[id(protocol)] = (protocol, plan)
    return plan


def attestation_keys(protocol: TrialProtocol) -> frozenset[str]:
    """The investigator answers a protocol's criteria read (``attestations`` keys).

    An ``attest`` rule is answered under its ``label`` (else its criterion id); a named check
    that asks a question (``major_surgery_recovered``) under its ``attestation`` parameter.

    >>> from oncotrial.protocol import load_bundled_protocol
    >>> sorted(attestation_keys(load_bundled_protocol()))[:2]
    ['can_take_oral_capsules', 'expected_survival_at_least_3_months']
    """
    keys: set[str] = set()

    def walk(rule: Any, criterion_id: str) -> None:
        if isinstance(rule, AttestRule):
            keys.add(rule.label or criterion_id)
        elif isinstance(rule, CheckRule) and "attestation" in rule.params:
            keys.add(str(rule.params["attestation"]))
        for child in getattr(rule, "rules", ()):
            walk(child, criterion_id)

    for criterion in protocol.criteria.all():
        walk(criterion.rule, criterion.id)
    return frozenset(keys)


#: The attestation keys and criterion ids of each protocol object seen (built once per protocol).
_ATTESTATION_KEYS: dict[int, tuple[TrialProtocol, frozenset[str], frozenset[str]]] = {}


def _check_attestation_keys(record: ScreeningRecord, protocol: TrialProtocol) -> None:
    """Refuse an answer filed under a criterion id (``E3: true``, the old form) or under a
    near-miss of a key this protocol asks (a typo): either would otherwise be ignored and leave
    the criterion waiting for the investigator. Keys of another protocol's questions are left
    alone, so one record can be screened against two protocols."""
    entry = _ATTESTATION_KEYS.get(id(protocol))
    if entry is None or entry[0] is not protocol:
        if len(_ATTESTATION_KEYS) > 256:
            _ATTESTATION_KEYS.clear()
        entry = _ATTESTATION_KEYS[id(protocol)] = (
            protocol, attestation_keys(protocol), frozenset(c.id for c in protocol.criteria.all()))
    _, known, ids = entry
    if set(record.attestations) <= known:
        return
    for key in sorted(set(record.attestations) - known):
        near = difflib.get_close_matches(key, sorted(known), n=3, cutoff=0.75)
        if key in ids or near:
            what = ("is a criterion id, not a question" if key in ids
                    else "is not a question this protocol asks")
            raise UnknownTermError(
                "attestation key", key, near,
                message=f"The record answers {key!r}, which {what}; each answer goes under "
                        "the key of the question asked, so that true means the subject "
                        "stays eligible.",
                hint=(f"Did you mean: {', '.join(near)}? " if near else "")
                     + f"The protocol asks: {', '.join(sorted(known))}.")


def _dates(record: ScreeningRecord, on: dt.date | None) -> tuple[dt.date, dt.date]:
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
    return on, first_dose


def screen(
    record: ScreeningRecord,
    protocol: TrialProtocol,
    *,
    on: dt.date | None = None,
) -> ScreeningResult:
    """Screen one subject against every eligibility criterion of a protocol.

    ``protocol`` is required: load it with :func:`oncotrial.protocol.load_protocol` (or
    :func:`oncotrial.protocol.load_bundled_protocol`). ``on`` is the planned enrolment date
    (default: ``record.planned_enrolment_date``; the core never reads the clock); windows
    "before first dose" use ``record.planned_first_dose_date`` (default: ``on``). Each
    criterion gets a :class:`Verdict`: ``met``, ``not_met``, ``missing`` (with the record
    entries to fill in) or ``needs_investigator``, with its code, facts and a sentence showing
    the value, the threshold and the date used. The subject is eligible only if all are ``met``.

    Raises:
        InputError: no protocol; no enrolment date (neither ``on`` nor the record's); or the
            first-dose date is before it.
        UnknownTermError: the record answers an attestation the protocol does not ask.

    Example, the bundled example of a typical eligible subject:

    >>> from oncotrial.eligibility import example_record
    >>> from oncotrial.protocol import load_bundled_protocol
    >>> result = screen(example_record(), load_bundled_protocol(), on=dt.date(2026, 3, 2))
    >>> result.eligible, len(result.verdicts), result.verdicts["I11"].code
    (True, 24, 'I11.met.all_parts')
    """
    if protocol is None:
        raise InputError(
            "screen() needs the protocol whose criteria to apply, but got None.",
            field="protocol",
            hint="Load one with oncotrial.protocol.load_protocol(path), or "
                 "load_bundled_protocol() for NCT06478927, and pass it.",
        )
    if record.attestations:
        _check_attestation_keys(record, protocol)
    on, first_dose = _dates(record, on)
    ctx = Context(record, on=on, first_dose_on=first_dose,
                  age_reference=protocol.enrolment.age_reference)
    verdicts = {}
    warnings = ctx.warnings
    for cid, title, kind, evaluator, codes in _compiled(protocol):
        ctx.criterion_id = cid  # ctx.begin(cid), inlined
        facts: dict[str, Fact] = {}
        ctx.facts = facts
        status, code, phrases, needed = evaluator.evaluate(ctx)
        full = codes.get(code) or codes.setdefault(code, f"{cid}.{code}")
        noted: tuple[str, ...] = ()
        if warnings:
            noted = tuple(warnings)
            warnings.clear()
        verdicts[cid] = _verdict(cid, title, kind, status, full, phrases, needed, noted, facts)
    return ScreeningResult.of(record.subject_id, protocol.study.registry_id, on, first_dose,
                              verdicts)
