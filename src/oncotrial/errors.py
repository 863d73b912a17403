"""One exception hierarchy for everything a user can fix.

Every message says what was checked, the rule, the value we got and how to fix it, in the same
sentence shape each time. The web layer and the CLI read ``field``, ``value`` and ``hint``.

Tree::

    OncotrialError                 something the user can fix
    +-- ProtocolError              a protocol file is malformed (carries every problem at once)
    +-- ConfigurationError         a setting (ONCOTRIAL_* variable) is unusable; settings only
    +-- InputError (ValueError)    a clinical or trial record, or an argument, is wrong
        +-- UnitError              a value's unit is unknown or does not fit the analyte
        +-- ImplausibleValueError  a value is physiologically impossible (LVEF 150 %)
        +-- UnknownTermError (LookupError)
                                   a name (CTCAE term, analyte, criterion id) is not known
        +-- (package subclasses: stats.StatisticsInputError, design.DesignInputError)

``InputError`` is also a ``ValueError`` so that pydantic, which turns a ``ValueError`` raised in
a validator into a field error, reports it next to the field in the API. ``UnknownTermError``
is also a ``LookupError`` for callers that catch look-up failures; nothing in the public API
raises a bare ``KeyError``.

Findings about data (``check_*`` functions) are values, not exceptions: see :class:`Finding`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ConfigurationError",
    "Finding",
    "ImplausibleValueError",
    "InputError",
    "OncotrialError",
    "ProtocolError",
    "ProtocolProblem",
    "UnitError",
    "UnknownTermError",
]


class OncotrialError(Exception):
    """Something the user can fix.

    >>> err = OncotrialError("ECOG 4 is above the protocol's maximum of 2.", field="ecog",
    ...                      value=4, hint="Check the ECOG score recorded at screening.")
    >>> str(err)
    "ECOG 4 is above the protocol's maximum of 2. Check the ECOG score recorded at screening."
    >>> err.field, err.value
    ('ecog', 4)
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        value: object = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.field = field
        self.value = value
        self.hint = hint
        super().__init__(f"{message} {hint}" if hint else message)


class ConfigurationError(OncotrialError):
    """A setting is missing or unsafe; the hint names the ONCOTRIAL_* variable to set."""


class InputError(OncotrialError, ValueError):
    """A clinical or trial record is wrong or incomplete. Nothing already saved is lost.

    >>> isinstance(InputError("ANC -1 is below 0."), ValueError)
    True
    """


class UnitError(InputError):
    """A value's unit is unknown, or it is not a unit of this analyte."""


class ImplausibleValueError(InputError):
    """A value is physiologically impossible, so it is refused rather than stored."""


class UnknownTermError(InputError, LookupError):
    """A name is not in its vocabulary: a CTCAE term, an analyte key, a criterion id.

    ``field`` says which vocabulary, ``value`` the name given; ``suggestions`` lists the
    closest known names, best first, for the message and for a form's "did you mean".

    >>> err = UnknownTermError("ctcae_term", "Neutropenia", ["Neutrophil count decreased"])
    >>> print(err)
    'Neutropenia' is not a known ctcae_term. Did you mean: Neutrophil count decreased?
    >>> isinstance(err, LookupError) and isinstance(err, ValueError)
    True
    """

    def __init__(self, vocabulary: str, name: object, suggestions: list[str] | tuple[str, ...]
                 = (), *, message: str | None = None, hint: str | None = None) -> None:
        self.vocabulary = vocabulary
        self.name = name
        self.suggestions = tuple(suggestions)
        text = message or f"{name!r} is not a known {vocabulary}."
        if hint is None and self.suggestions:
            hint = f"Did you mean: {', '.join(self.suggestions)}?"
        super().__init__(text, field=vocabulary, value=name, hint=hint)

    def __str__(self) -> str:  # LookupError would otherwise quote the message like a KeyError
        return f"{self.message} {self.hint}" if self.hint else self.message


@dataclass(frozen=True, slots=True)
class ProtocolProblem:
    """One problem in a protocol file: where it is, what is wrong and how to fix it."""

    path: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        text = f"{self.path}: {self.message}"
        return f"{text} {self.hint}" if self.hint else text


class ProtocolError(OncotrialError):
    """A protocol file failed validation; ``problems`` lists every problem found, not the first.

    >>> err = ProtocolError("trial.yaml", [ProtocolProblem("enrolment.target", "must be at least 1",
    ...                                                     "Set the planned number of patients.")])
    >>> print(err)
    trial.yaml has 1 problem:
      - enrolment.target: must be at least 1 Set the planned number of patients.
    """

    def __init__(self, source: str, problems: list[ProtocolProblem]) -> None:
        self.source = source
        self.problems = list(problems)
        count = len(self.problems)
        lines = [f"{source} has {count} problem{'s' if count != 1 else ''}:"]
        lines += [f"  - {problem}" for problem in self.problems]
        super().__init__("\n".join(lines), field=self.problems[0].path if self.problems else None)


@dataclass(frozen=True, slots=True)
class Finding:
    """A finding about data from a ``check_*`` function: a stable ``code``, where, and a sentence.

    Tests assert on ``code``; the ``message`` is for people.
    """

    code: str
    field: str
    message: str
    severity: str = "error"
