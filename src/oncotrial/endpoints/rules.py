"""The protocol parameters that endpoint derivation depends on.

Sources: ``endpoints.md`` sections 2-6 and ``protocol_notes.md`` PN-01 to PN-05 (the registry
record NCT06478927 names none of these numbers, so each default is the platform's recommended
resolution and is marked there as needing sponsor confirmation).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

from oncotrial.errors import ConfigurationError

if TYPE_CHECKING:
    from oncotrial.protocol import Protocol

ConfType = Literal["log-log", "log", "plain"]
CiMethod = Literal["clopper-pearson", "wilson", "jeffreys"]

__all__ = ["EndpointRules", "TimeOrigin"]


_DEFAULT_MIN_SD_DAYS = 42


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
    sensitivity_time_origin: TimeOrigin = TimeOrigin.ENROLMENT
    assessment_interval_days: int = 56
    assessment_window_days: int = 7
    missed_assessments_for_censoring: int = 2
    censor_at_new_therapy: bool = True
    confirmation_required: bool = True
    confirm_min_days: int = 28
    min_sd_days: int = _DEFAULT_MIN_SD_DAYS
    sd_window_days: int = 0
    max_ne_between: int = 1
    allow_sd_between: bool = False
    teae_window_days: int = 30
    conf_level: float = 0.95
    ci_method: CiMethod = "clopper-pearson"
    pfs_conf_type: ConfType = "log-log"
    os_conf_type: ConfType = "log-log"
    pfs_landmarks_months: tuple[float, ...] = (3.0, 6.0, 12.0)
    os_landmarks_months: tuple[float, ...] = (6.0, 12.0, 18.0, 24.0)

    def __post_init__(self) -> None:
        # (value, minimum, what it is, unit, field name)
        checks = [
            (self.assessment_interval_days, 1, "The assessment interval", "days",
             "assessment_interval_days"),
            (self.assessment_window_days, 0, "The assessment window", "days",
             "assessment_window_days"),
            (self.missed_assessments_for_censoring, 1,
             "The number of missed assessments that censors PFS", "assessments",
             "missed_assessments_for_censoring"),
            (self.confirm_min_days, 1, "The confirmation interval", "days", "confirm_min_days"),
            (self.min_sd_days, 0, "The minimum duration of stable disease", "days",
             "min_sd_days"),
            (self.sd_window_days, 0, "The window allowed on the minimum SD duration", "days",
             "sd_window_days"),
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
        counts as "after two or more missed assessments" (``endpoints.md`` section 3).
        The 2 is ``missed_assessments_for_censoring``."""
        return (self.missed_assessments_for_censoring * self.assessment_interval_days
                + self.assessment_window_days)

    @classmethod
    def from_protocol(cls, protocol: Protocol) -> EndpointRules:
        """The rules a protocol file sets in its ``endpoints`` section.

        Read: ``time_origin``, ``assessment_interval_days``, ``assessment_window_days``,
        ``pfs.missed_assessments_for_censoring``, ``pfs.censor_at_new_anticancer_therapy``,
        ``pfs.conf_type``, ``pfs.landmarks_months``, ``os.conf_type``,
        ``os.landmarks_months``, ``orr.confirmation_required``, ``orr.confirmation_min_days``,
        ``orr.ci_method``, ``dcr.min_sd_days``, ``adverse_events.teae_window_days``,
        ``sensitivity_time_origin`` (variant S3), ``conf_level``, ``sd_window_days``,
        ``bor_max_ne_between`` and ``bor_allow_sd_between``. The protocol model guarantees that
        DCR confirms CR/PR as ORR does, so ORR's confirmation settings serve both.

        >>> from oncotrial.protocol import load_bundled_protocol
        >>> rules = EndpointRules.from_protocol(load_bundled_protocol())
        >>> rules.time_origin, rules.assessment_interval_days, rules.min_sd_days
        (<TimeOrigin.FIRST_DOSE: 'first_dose'>, 56, 42)
        >>> rules == EndpointRules()
        True
        """
        ep = protocol.endpoints
        min_sd = ep.dcr.min_sd_days
        return cls(
            time_origin=TimeOrigin(ep.time_origin),
            sensitivity_time_origin=TimeOrigin(ep.sensitivity_time_origin or "enrolment"),
            conf_level=ep.conf_level,
            sd_window_days=ep.sd_window_days,
            max_ne_between=ep.bor_max_ne_between,
            allow_sd_between=ep.bor_allow_sd_between,
            assessment_interval_days=ep.assessment_interval_days,
            assessment_window_days=ep.assessment_window_days,
            missed_assessments_for_censoring=ep.pfs.missed_assessments_for_censoring,
            censor_at_new_therapy=ep.pfs.censor_at_new_anticancer_therapy,
            confirmation_required=ep.orr.confirmation_required,
            confirm_min_days=ep.orr.confirmation_min_days,
            min_sd_days=_DEFAULT_MIN_SD_DAYS if min_sd is None else min_sd,
            teae_window_days=ep.adverse_events.teae_window_days,
            ci_method=ep.orr.ci_method,
            pfs_conf_type=ep.pfs.conf_type,
            os_conf_type=ep.os.conf_type,
            pfs_landmarks_months=tuple(float(m) for m in ep.pfs.landmarks_months),
            os_landmarks_months=tuple(float(m) for m in ep.os.landmarks_months),
        )
