"""The protocol parameters that endpoint derivation depends on.

Sources: ``endpoints.md`` sections 2-6 and ``protocol_notes.md`` PN-01 to PN-05 (the registry
record NCT06478927 names none of these numbers, so each default is the platform's recommended
resolution and is marked there as needing sponsor confirmation).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from oncotrial.errors import ConfigurationError

__all__ = ["EndpointRules", "TimeOrigin"]


class TimeOrigin(StrEnum):
    """The day a subject's time to event starts (``endpoints.md`` section 2, PN-01)."""

    FIRST_DOSE = "first_dose"
    ENROLMENT = "enrolment"


@dataclass(frozen=True, slots=True)
class EndpointRules:
    """Protocol parameters for PFS, OS, ORR and DCR.

    Defaults are the platform's recommended resolutions of the seed registry text
    (``protocol_notes.md``): origin = first dose of palbociclib, Cycle 1 Day 1 (PN-01); imaging
    every 56 days with a window of 7 days from C1D1 (PN-05); confirmation of CR/PR by a second
    assessment at least 28 days later (PN-03, RECIST 1.1 section 4.6); stable disease counts only
    when documented at least 42 days after the origin (PN-04, RECIST 1.1 section 4.4); a
    treatment-emergent window of 30 days after the last dose (``ctcae_v5.md`` section 6).

    ``missed_assessment_gap_days`` is the FDA "two or more missed assessments" limit
    ``2 * I + W`` of ``endpoints.md`` section 3.

    >>> rules = EndpointRules()
    >>> rules.assessment_interval_days, rules.assessment_window_days
    (56, 7)
    >>> rules.missed_assessment_gap_days
    119
    >>> EndpointRules(assessment_interval_days=0)
    Traceback (most recent call last):
    ...
    oncotrial.errors.ConfigurationError: The assessment interval is 0 days. ...
    """

    time_origin: TimeOrigin = TimeOrigin.FIRST_DOSE
    assessment_interval_days: int = 56
    assessment_window_days: int = 7
    confirm_min_days: int = 28
    min_sd_days: int = 42
    max_ne_between: int = 1
    allow_sd_between: bool = False
    teae_window_days: int = 30
    conf_level: float = 0.95

    def __post_init__(self) -> None:
        # (value, minimum, what it is, unit, field name)
        checks = [
            (self.assessment_interval_days, 1, "The assessment interval", "days",
             "assessment_interval_days"),
            (self.assessment_window_days, 0, "The assessment window", "days",
             "assessment_window_days"),
            (self.confirm_min_days, 1, "The confirmation interval", "days", "confirm_min_days"),
            (self.min_sd_days, 0, "The minimum duration of stable disease", "days",
             "min_sd_days"),
            (self.max_ne_between, 0, "The number of NE assessments allowed before confirmation",
             "assessments", "max_ne_between"),
            (self.teae_window_days, 0, "The treatment-emergent window", "days",
             "teae_window_days"),
        ]
        for value, minimum, what, unit, name in checks:
            if value < minimum:
                raise ConfigurationError(
                    f"{what} is {value} {unit}. It must be a whole number, at least {minimum}.",
                    field=name,
                    value=value,
                    hint=f"Set endpoints.{name} in the protocol file.",
                )
        if not 0.5 <= self.conf_level < 1:
            raise ConfigurationError(
                f"The confidence level is {self.conf_level}. It must be at least 0.5 and below 1.",
                field="conf_level",
                value=self.conf_level,
                hint="Use 0.95 for 95 % confidence intervals.",
            )

    @property
    def missed_assessment_gap_days(self) -> int:
        """``2 * I + W``: beyond this many days after the last adequate assessment, an event
        counts as "after two or more missed assessments" (``endpoints.md`` section 3)."""
        return 2 * self.assessment_interval_days + self.assessment_window_days
