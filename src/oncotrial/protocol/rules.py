"""Machine-checkable eligibility rules, as they appear under ``rule:`` in a protocol file.

A rule states the condition a patient must satisfy to pass the criterion. For an exclusion
criterion it states the condition of *not* being excluded, so every criterion reads the same
way: the rule holds, the criterion is ``met``. Rules are data; the eligibility engine evaluates
them. The kinds:

``attest``        the investigator attests (expected survival, consent, judgement calls)
``range``         a numeric field lies within bounds (inclusive unless stated)
``one_of``        a categorical field takes one of the listed values
``compare``       a numeric field compared with a number, a multiple of the ULN/LLN, or a
                  sex-specific limit (QTc)
``date_window``   a dated event lies far enough, or recently enough, before enrolment
``all_of``        every sub-rule holds
``any_of``        at least one sub-rule holds (inclusion 11(2): creatinine OR clearance)
``check``         a named domain check with parameters (hepatitis logic, prior lines, ...)

Field names and check names come from :mod:`oncotrial.protocol.vocabulary`; an unknown name
fails when the file loads.

>>> from pydantic import TypeAdapter
>>> rule = TypeAdapter(Rule).validate_python(
...     {"kind": "compare", "field": "anc", "op": ">=", "value": 1.0, "unit": "10^9/L"})
>>> rule.describe()
'anc >= 1 10^9/L'
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from oncotrial.protocol._problems import closest, problem
from oncotrial.protocol.vocabulary import CHECKS, FIELDS
from oncotrial.records import Sex

__all__ = [
    "AllOfRule",
    "AnyOfRule",
    "AttestRule",
    "CheckRule",
    "CompareRule",
    "DateWindowRule",
    "OneOfRule",
    "RangeRule",
    "Rule",
]

Comparator = Literal[">=", ">", "<=", "<"]


class _RuleBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str | None = Field(
        default=None, description="Short label shown on the checklist, e.g. '11(1) ANC'."
    )


def _known_field(name: str, *kinds: str) -> str:
    spec = FIELDS.get(name)
    if spec is None:
        raise problem(
            f"unknown screening field {name!r}",
            f"{closest(name, FIELDS)} Fields are listed in docs/protocol.md (rule vocabulary).",
        )
    if kinds and spec.kind not in kinds:
        raise problem(
            f"field {name!r} is a {spec.kind}, but this rule needs a {' or '.join(kinds)} field",
            "Use a rule kind that fits the field (date_window for dates, one_of for categories).",
        )
    return name


class AttestRule(_RuleBase):
    """The investigator attests; the engine cannot decide it from data."""

    kind: Literal["attest"]
    prompt: str = Field(description="The question put to the investigator.", min_length=1)

    def describe(self) -> str:
        return f"investigator attests: {self.prompt}"


class RangeRule(_RuleBase):
    """``min <= field <= max`` (each bound inclusive unless stated)."""

    kind: Literal["range"]
    field: str
    min: float | None = None
    max: float | None = None
    min_inclusive: bool = True
    max_inclusive: bool = True

    _check_field = field_validator("field")(lambda v: _known_field(v, "number", "integer"))

    @model_validator(mode="after")
    def _bounds(self) -> RangeRule:
        if self.min is None and self.max is None:
            raise problem("a range rule needs 'min', 'max' or both", "Add the missing bound.")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise problem(
                f"range minimum {self.min} is above its maximum {self.max}",
                "Swap the bounds or correct the one that is wrong.",
            )
        return self

    def describe(self) -> str:
        parts = []
        if self.min is not None:
            parts.append(f"{self.field} {'>=' if self.min_inclusive else '>'} {self.min:g}")
        if self.max is not None:
            parts.append(f"{self.field} {'<=' if self.max_inclusive else '<'} {self.max:g}")
        return " and ".join(parts)


class OneOfRule(_RuleBase):
    """A categorical (or integer) field takes one of ``values``."""

    kind: Literal["one_of"]
    field: str
    values: list[str | int | bool] = Field(min_length=1)

    _check_field = field_validator("field")(
        lambda v: _known_field(v, "category", "integer", "bool"))

    @model_validator(mode="after")
    def _categories(self) -> OneOfRule:
        spec = FIELDS[self.field]
        if spec.categories:
            bad = [v for v in self.values if str(v) not in spec.categories]
            if bad:
                raise problem(
                    f"{self.field} cannot take {', '.join(map(repr, bad))}",
                    f"Allowed values: {', '.join(spec.categories)}.",
                )
        return self

    def describe(self) -> str:
        return f"{self.field} in {{{', '.join(str(v) for v in self.values)}}}"


class CompareRule(_RuleBase):
    """Compare a numeric field with exactly one of: a value (with its unit), a multiple of the
    upper or lower limit of normal, or a sex-specific value."""

    kind: Literal["compare"]
    field: str
    op: Comparator
    value: float | None = None
    unit: str | None = None
    times_uln: float | None = Field(default=None, gt=0)
    times_lln: float | None = Field(default=None, gt=0)
    by_sex: dict[Sex, float] | None = None

    _check_field = field_validator("field")(lambda v: _known_field(v, "number", "integer"))

    @model_validator(mode="after")
    def _unit_fits_field(self) -> CompareRule:
        if self.unit is None:
            return self
        from oncotrial.clinical.units import accepted_units, analyte_key, normalise_unit
        from oncotrial.errors import UnitError, UnknownTermError

        analyte = {"qtc_fridericia": "qtc", "qtc_bazett": "qtc", "age_years": "age"}.get(
            self.field, self.field)
        try:
            units = accepted_units(analyte_key(analyte))
        except (UnitError, UnknownTermError):
            return self  # a field without a unit table (a count of lesions, a score)
        if normalise_unit(self.unit) not in units:
            raise problem(f"unit {self.unit!r} is not a unit of {self.field}",
                          f"Accepted units: {', '.join(units)}.")
        return self

    @model_validator(mode="after")
    def _one_reference(self) -> CompareRule:
        given = [n for n in ("value", "times_uln", "times_lln", "by_sex")
                 if getattr(self, n) is not None]
        if len(given) != 1:
            raise problem(
                f"a compare rule needs exactly one of value, times_uln, times_lln, by_sex; "
                f"got {', '.join(given) or 'none'}",
                "Keep the one limit the registry states.",
            )
        if self.by_sex is not None and set(self.by_sex) != {"M", "F"}:
            raise problem("by_sex needs a limit for both 'M' and 'F'", "Add the missing sex.")
        return self

    def describe(self) -> str:
        if self.value is not None:
            return f"{self.field} {self.op} {self.value:g}{' ' + self.unit if self.unit else ''}"
        if self.times_uln is not None:
            return f"{self.field} {self.op} {self.times_uln:g} x ULN"
        if self.times_lln is not None:
            return f"{self.field} {self.op} {self.times_lln:g} x LLN"
        assert self.by_sex is not None
        return (f"{self.field} {self.op} {self.by_sex[Sex.MALE]:g} (men), "
                f"{self.by_sex[Sex.FEMALE]:g} (women)")


class DateWindowRule(_RuleBase):
    """A dated event lies within a window before the reference date (enrolment or first dose).

    ``max_days_before``: the event is at most this many days before (recent enough).
    ``min_days_before``: the event is at least this many days before (long enough ago).
    ``if_absent``: the verdict when the record says there was no such event (``none``), e.g.
    ``met`` for "no major surgery". A date that is simply not recorded is always ``missing``.
    Days are counted as (reference date - event date); an event after the reference date
    never satisfies the window.
    """

    kind: Literal["date_window"]
    field: str
    min_days_before: int | None = Field(default=None, ge=0)
    max_days_before: int | None = Field(default=None, ge=0)
    relative_to: Literal["enrolment", "first_dose"] = "enrolment"
    if_absent: Literal["met", "missing", "not_met"] = "missing"

    _check_field = field_validator("field")(lambda v: _known_field(v, "date"))

    @model_validator(mode="after")
    def _window(self) -> DateWindowRule:
        lo, hi = self.min_days_before, self.max_days_before
        if lo is None and hi is None:
            raise problem("a date_window rule needs min_days_before, max_days_before or both",
                          "Add the number of days the registry gives.")
        if lo is not None and hi is not None and lo > hi:
            raise problem(f"window starts {lo} days before but ends {hi} days before",
                          "min_days_before must not exceed max_days_before.")
        return self

    def describe(self) -> str:
        parts = []
        if self.max_days_before is not None:
            parts.append(f"at most {self.max_days_before} days")
        if self.min_days_before is not None:
            parts.append(f"at least {self.min_days_before} days")
        return f"{self.field} {' and '.join(parts)} before {self.relative_to.replace('_', ' ')}"


class CheckRule(_RuleBase):
    """A named domain check from the vocabulary, with its parameters."""

    kind: Literal["check"]
    check: str
    params: dict[str, Any] = Field(default_factory=dict)

    @field_validator("check")
    @classmethod
    def _known_check(cls, name: str) -> str:
        if name not in CHECKS:
            raise problem(f"unknown check {name!r}", closest(name, CHECKS))
        return name

    @model_validator(mode="after")
    def _params(self) -> CheckRule:
        spec = CHECKS[self.check]
        unknown = sorted(set(self.params) - set(spec.params))
        missing = [p for p in spec.required if p not in self.params]
        if unknown:
            raise problem(
                f"check {self.check!r} has no parameter {', '.join(map(repr, unknown))}",
                f"Its parameters: {', '.join(spec.params) or 'none'}.",
            )
        if missing:
            raise problem(
                f"check {self.check!r} needs {', '.join(map(repr, missing))}",
                "Add the value the registry (or a clarification) gives.",
            )
        return self

    def describe(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.check}({args})"


class AllOfRule(_RuleBase):
    """Every sub-rule holds."""

    kind: Literal["all_of"]
    rules: list[Rule] = Field(min_length=1)

    def describe(self) -> str:
        return " AND ".join(f"({r.describe()})" for r in self.rules)


class AnyOfRule(_RuleBase):
    """At least one sub-rule holds."""

    kind: Literal["any_of"]
    rules: list[Rule] = Field(min_length=2)

    def describe(self) -> str:
        return " OR ".join(f"({r.describe()})" for r in self.rules)


Rule = Annotated[
    AttestRule | RangeRule | OneOfRule | CompareRule | DateWindowRule | CheckRule | AllOfRule
    | AnyOfRule,
    Field(discriminator="kind"),
]

AllOfRule.model_rebuild()
AnyOfRule.model_rebuild()
