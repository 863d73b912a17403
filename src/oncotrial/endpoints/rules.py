"""The protocol parameters that endpoint derivation depends on.

Every function of :mod:`oncotrial.endpoints` that needs them takes an :class:`EndpointRules`
explicitly; there is no built-in trial. Build it from a protocol file with
:meth:`EndpointRules.from_protocol` (the readings of the bundled NCT06478927 file are
``docs/protocol-notes.md#pn-01`` to ``#pn-05``), or set the fields by hand.

The fields without a default are the ones only a protocol can set (the time origin, the imaging
schedule and the minimum duration of stable disease: RECIST 1.1 section 4.4 leaves it to the
protocol). The others default to the published rule they name.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

from oncotrial.errors import InputError

if TYPE_CHECKING:
    from oncotrial.protocol import Protocol

ConfType = Literal["log-log", "log", "plain"]
CiMethod = Literal["clopper-pearson", "wilson", "jeffreys"]

__all__ = ["EndpointRules", "TimeOrigin"]


class TimeOrigin(StrEnum):
    """The day a subject's time to event starts (``docs/protocol-notes.md#pn-01``)."""

    FIRST_DOSE = "first_dose"
    ENROLMENT = "enrolment"


@dataclass(frozen=True, slots=True, kw_only=True)
class EndpointRules:
    """Protocol parameters for PFS, OS, ORR and DCR (keyword arguments only).

    Set by the protocol, no default: ``time_origin`` (a single-arm study has no
    randomisation date, ``docs/protocol-notes.md#pn-01``), ``assessment_interval_days`` and
    ``assessment_window_days`` (the imaging schedule, ``#pn-05``) and ``min_sd_days`` (RECIST
    1.1 section 4.4: the protocol sets the minimum duration of stable disease, ``#pn-04``).

    Defaults, each the published rule: PFS is censored after two or more missed assessments
    and at new anticancer therapy (FDA 2018 guidance "Clinical Trial Endpoints for the Approval
    of Cancer Drugs and Biologics", PFS tables; ``docs/endpoints.md`` rows 7 and 10); CR/PR are
    confirmed by a second assessment at least 28 days later (RECIST 1.1 section 4.6); at most
    one NE between a response and its confirmation (admiralonco ``max_n_ne = 1``); a
    treatment-emergent window of 30 days after the last dose; 95 % intervals, exact
    Clopper-Pearson for rates (Clopper & Pearson 1934) and log-log for Kaplan-Meier (the SAS
    PROC LIFETEST default).

    ``missed_assessment_gap_days`` is the FDA "two or more missed assessments" limit
    ``2 * I + W`` (``docs/endpoints.md``, PFS row 10).

    Raises:
        InputError: a value is out of range (a negative interval, a confidence level of 1...).

    >>> rules = EndpointRules(time_origin=TimeOrigin.FIRST_DOSE, assessment_interval_days=56,
    ...                       assessment_window_days=7, min_sd_days=42)
    >>> rules.missed_assessment_gap_days
    119
    >>> EndpointRules(time_origin=TimeOrigin.FIRST_DOSE, assessment_interval_days=0,
    ...               assessment_window_days=7, min_sd_days=42)
    Traceback (most recent call last):
    ...
    oncotrial.errors.InputError: The assessment interval is 0 days. ...
    """

    time_origin: TimeOrigin
    assessment_interval_days: int
    assessment_window_days: int
    min_sd_days: int
    sensitivity_time_origin: TimeOrigin = TimeOrigin.ENROLMENT
    missed_assessments_for_censoring: int = 2
    censor_at_new_therapy: bool = True
    confirmation_required: bool = True
    confirm_min_days: int = 28
    sd_window_days: int = 0
    max_ne_between: int = 1
    allow_sd_between: bool = False
    max_sd_between: int = 1
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
            (self.max_sd_between, 0, "The number of SD assessments allowed before confirmation",
             "assessments", "max_sd_between"),
            (self.teae_window_days, 0, "The treatment-emergent window", "days",
             "teae_window_days"),
        ]
        for value, minimum, what, unit, name in checks:
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise InputError(
                    f"{what} is {value} {unit}. It must be a whole number, at least {minimum}.",
                    field=f"endpoints.{name}",
                    value=value,
                    hint=f"Set endpoints.{name} in the protocol file.",
                )
        if not 0.5 <= self.conf_level < 1:
            raise InputError(
                f"The confidence level is {self.conf_level}. It must be at least 0.5 and below 1.",
                field="endpoints.conf_level",
                value=self.conf_level,
                hint="Use 0.95 for 95 % confidence intervals.",
            )

    @property
    def missed_assessment_gap_days(self) -> int:
        """``2 * I + W``: beyond this many days after the last adequate assessment, an event
        counts as "after two or more missed assessments" (``docs/endpoints.md``, PFS row 10).
        The 2 is ``missed_assessments_for_censoring``."""
        return (self.missed_assessments_for_censoring * self.assessment_interval_days
                + self.assessment_window_days)

    def bor_kwargs(self) -> dict[str, Any]:
        """The best-overall-response settings as keywords of
        :func:`oncotrial.recist.best_overall_response` (RECIST 1.1 section 4.4): the one
        mapping from these rules to the BOR derivation, used by the endpoints and the context.

        >>> from oncotrial.protocol import load_bundled_protocol
        >>> EndpointRules.from_protocol(load_bundled_protocol()).bor_kwargs()["sd_min_days"]
        42
        """
        return {"confirm": self.confirmation_required, "confirm_min_days": self.confirm_min_days,
                "sd_min_days": self.min_sd_days, "sd_window_days": self.sd_window_days,
                "max_ne_between": self.max_ne_between, "allow_sd_between": self.allow_sd_between,
                "max_sd_between": self.max_sd_between}

    @classmethod
    def from_protocol(cls, protocol: Protocol) -> EndpointRules:
        """The rules a protocol file sets in its ``endpoints`` section.

        Read: ``time_origin``, ``assessment_interval_days``, ``assessment_window_days``,
        ``pfs.missed_assessments_for_censoring``, ``pfs.censor_at_new_anticancer_therapy``,
        ``pfs.conf_type``, ``pfs.landmarks_months``, ``os.conf_type``,
        ``os.landmarks_months``, ``orr.confirmation_required``, ``orr.confirmation_min_days``,
        ``orr.ci_method``, ``dcr.min_sd_days``, ``adverse_events.teae_window_days``,
        ``sensitivity_time_origin`` (variant S3), ``conf_level``, ``sd_window_days``,
        ``bor_max_ne_between``, ``bor_allow_sd_between`` and ``bor_max_sd_between``. The
        protocol model guarantees that
        DCR confirms CR/PR as ORR does, so ORR's confirmation settings serve both.

        Raises:
            InputError: a value the protocol model accepts but endpoint derivation cannot use
                (for example a confirmation interval of 0 days).

        >>> from oncotrial.protocol import load_bundled_protocol
        >>> rules = EndpointRules.from_protocol(load_bundled_protocol())
        >>> rules.time_origin, rules.assessment_interval_days, rules.min_sd_days
        (<TimeOrigin.FIRST_DOSE: 'first_dose'>, 56, 42)
        """
        ep = protocol.endpoints
        min_sd = ep.dcr.min_sd_days
        if min_sd is None:  # pragma: no cover - the protocol model requires it
            raise InputError("The protocol sets no minimum duration of stable disease.",
                             field="endpoints.dcr.min_sd_days",
                             hint="Set endpoints.dcr.min_sd_days (RECIST 1.1 section 4.4).")
        return cls(
            time_origin=TimeOrigin(ep.time_origin),
            sensitivity_time_origin=TimeOrigin(ep.sensitivity_time_origin or "enrolment"),
            conf_level=ep.conf_level,
            sd_window_days=ep.sd_window_days,
            max_ne_between=ep.bor_max_ne_between,
            allow_sd_between=ep.bor_allow_sd_between,
            max_sd_between=ep.bor_max_sd_between,
            assessment_interval_days=ep.assessment_interval_days,
            assessment_window_days=ep.assessment_window_days,
            missed_assessments_for_censoring=ep.pfs.missed_assessments_for_censoring,
            censor_at_new_therapy=ep.pfs.censor_at_new_anticancer_therapy,
            confirmation_required=ep.orr.confirmation_required,
            confirm_min_days=ep.orr.confirmation_min_days,
            min_sd_days=min_sd,
            teae_window_days=ep.adverse_events.teae_window_days,
            ci_method=ep.orr.ci_method,
            pfs_conf_type=ep.pfs.conf_type,
            os_conf_type=ep.os.conf_type,
            pfs_landmarks_months=tuple(float(m) for m in ep.pfs.landmarks_months),
            os_landmarks_months=tuple(float(m) for m in ep.os.landmarks_months),
        )
