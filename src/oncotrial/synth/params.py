"""The parameters of a synthetic cohort: :class:`SynthParams` (shell, no I/O).

Every outcome and toxicity rate is an argument with a default. The defaults are assumptions
anchored on published benchmarks of later-line hepatocellular carcinoma (HCC) and on the
palbociclib label, as ``docs/synth.md`` sets out: median PFS and OS between the placebo arms of
RESORCE (Bruix et al., Lancet 2017) and CELESTIAL (Abou-Alfa et al., NEJM 2018) and below
them, since this trial's patients have had at least two prior lines; ORR and DCR of those
placebo arms; neutropenia and the other palbociclib toxicities from the IBRANCE US Prescribing
Information (2019, section 6.1, PALOMA-2/-3), scaled down for the short exposure of a
back-line HCC population. They are not data about palbociclib in HCC.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from datetime import date

from oncotrial.errors import InputError

__all__ = ["TOXICITY_FIELDS", "SynthParams"]

#: The toxicity rates of :class:`SynthParams`: field stem -> CTCAE v5.0 term. Each stem has an
#: ``_any`` field (share of treated subjects with the event at any grade) and a ``_g3`` field
#: (grade 3 or worse), except alopecia (CTCAE grades 1-2 only) and febrile neutropenia
#: (grade 3 or worse by definition), which have one rate.
TOXICITY_FIELDS: dict[str, str] = {
    "neutropenia": "Neutrophil count decreased",
    "thrombocytopenia": "Platelet count decreased",
    "anaemia": "Anemia",
    "leukopenia": "White blood cell decreased",
    "transaminases": "Aspartate aminotransferase increased",
    "bilirubin": "Blood bilirubin increased",
    "fatigue": "Fatigue",
    "nausea": "Nausea",
    "decreased_appetite": "Anorexia",
    "diarrhoea": "Diarrhea",
    "stomatitis": "Mucositis oral",
}


@dataclass(frozen=True, slots=True)
class SynthParams:
    """What a synthetic cohort looks like; every rate is a share of subjects (0 to 1).

    Cohort: ``n_enrolled`` subjects enrolled between ``start_on`` and ``accrual_months``
    later (staggered at random), with ``screen_failure_share`` of the screened patients
    failing screening; the data are cut off at ``cutoff`` (nothing is dated after it).

    Efficacy (``docs/synth.md`` explains how each is reached): ``median_pfs_months`` and
    ``median_os_months`` (Kaplan-Meier medians the endpoint module should find),
    ``orr`` (confirmed objective response rate), ``dcr`` (disease control rate, SD for at
    least 42 days counting), ``death_without_pd_share`` (share of PFS events that are deaths
    without radiological progression).

    Treatment: ``ae_discontinuation`` (share of subjects stopping palbociclib for an adverse
    event), ``dose_reduction`` (target share of subjects with a dose reduction), toxicity rates
    (``<stem>_any`` and ``<stem>_g3``, :data:`TOXICITY_FIELDS`), ``febrile_neutropenia``,
    ``alopecia``.

    Population: ``aetiology_hbv`` / ``aetiology_hcv`` (the rest alcohol or other),
    ``ecog_shares`` (0, 1, 2), ``child_pugh_shares`` (A5, A6, B7), ``bclc_b_share``.

    Conduct: ``consent_withdrawal`` and ``lost_to_follow_up`` (shares of subjects),
    ``new_therapy_after_pd`` (share of subjects alive after progression who start another
    anticancer therapy), ``missed_scan`` (chance that a scheduled tumour assessment is
    skipped; each skipped one is a protocol deviation), ``deviation_share`` (share of subjects
    with one other protocol deviation).

    Raises:
        InputError: a share outside 0-1, a grade 3 rate above its any-grade rate, a median
            that is not positive or an OS median not above the PFS median, shares that do not
            add up, no subject, or a cut-off less than 28 days after the end of accrual.

    >>> SynthParams().median_pfs_months, SynthParams(n_enrolled=100).n_enrolled
    (2.0, 100)
    >>> SynthParams(orr=1.5)
    Traceback (most recent call last):
    ...
    oncotrial.errors.InputError: orr is 1.5; it is a share of subjects and must be between 0 ...
    """

    n_enrolled: int = 22
    screen_failure_share: float = 0.30
    start_on: date = date(2024, 3, 1)
    accrual_months: float = 14.0
    cutoff: date = date(2025, 12, 31)

    median_pfs_months: float = 2.0
    median_os_months: float = 6.5
    orr: float = 0.04
    dcr: float = 0.35
    death_without_pd_share: float = 0.15

    ae_discontinuation: float = 0.10
    dose_reduction: float = 0.30
    neutropenia_any: float = 0.70
    neutropenia_g3: float = 0.45
    thrombocytopenia_any: float = 0.50
    thrombocytopenia_g3: float = 0.15
    anaemia_any: float = 0.45
    anaemia_g3: float = 0.10
    leukopenia_any: float = 0.55
    leukopenia_g3: float = 0.25
    febrile_neutropenia: float = 0.03
    transaminases_any: float = 0.35
    transaminases_g3: float = 0.08
    bilirubin_any: float = 0.20
    bilirubin_g3: float = 0.05
    fatigue_any: float = 0.35
    fatigue_g3: float = 0.05
    nausea_any: float = 0.25
    nausea_g3: float = 0.02
    decreased_appetite_any: float = 0.25
    decreased_appetite_g3: float = 0.03
    diarrhoea_any: float = 0.20
    diarrhoea_g3: float = 0.04
    stomatitis_any: float = 0.15
    stomatitis_g3: float = 0.02
    alopecia: float = 0.10

    aetiology_hbv: float = 0.80
    aetiology_hcv: float = 0.05
    ecog_shares: tuple[float, float, float] = (0.30, 0.60, 0.10)
    child_pugh_shares: tuple[float, float, float] = (0.55, 0.30, 0.15)
    bclc_b_share: float = 0.15

    consent_withdrawal: float = 0.03
    lost_to_follow_up: float = 0.01
    new_therapy_after_pd: float = 0.45
    missed_scan: float = 0.03
    deviation_share: float = 0.15

    def __post_init__(self) -> None:
        _check_count(self.n_enrolled)
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and f.name not in _NOT_SHARES:
                _check_share(f.name, value)
        for stem in TOXICITY_FIELDS:
            low, high = getattr(self, f"{stem}_g3"), getattr(self, f"{stem}_any")
            if low > high:
                raise InputError(
                    f"{stem}_g3 is {low}, above {stem}_any ({high}). Subjects with a grade 3 or "
                    "worse event are among those with an event of any grade.",
                    field=f"{stem}_g3", value=low,
                    hint=f"Make {stem}_g3 at most {stem}_any.")
        if self.screen_failure_share >= 1:
            raise InputError(
                "screen_failure_share is 1: nobody would pass screening.",
                field="screen_failure_share", value=self.screen_failure_share,
                hint="Give a share below 1, for example 0.3.")
        if self.aetiology_hbv + self.aetiology_hcv > 1:
            raise InputError(
                f"aetiology_hbv ({self.aetiology_hbv}) and aetiology_hcv ({self.aetiology_hcv})"
                " add up to more than 1.", field="aetiology_hbv", value=self.aetiology_hbv,
                hint="Lower one of them; the rest of the subjects have alcohol or other causes.")
        _check_shares("ecog_shares", self.ecog_shares)
        _check_shares("child_pugh_shares", self.child_pugh_shares)
        if self.bclc_b_share > self.ecog_shares[0]:
            raise InputError(
                f"bclc_b_share is {self.bclc_b_share}, above the share with ECOG 0 "
                f"({self.ecog_shares[0]}). BCLC 2022 stage B needs ECOG 0 (performance status "
                "1-2 with cancer-related symptoms is stage C).", field="bclc_b_share",
                value=self.bclc_b_share, hint="Lower bclc_b_share or raise the ECOG 0 share.")
        self._check_times()

    def _check_times(self) -> None:
        for name in ("median_pfs_months", "median_os_months", "accrual_months"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise InputError(f"{name} is {value}; it must be a positive number of months.",
                                 field=name, value=value, hint="Give a number above 0.")
        if self.median_os_months <= self.median_pfs_months:
            raise InputError(
                f"median_os_months ({self.median_os_months}) is not above median_pfs_months "
                f"({self.median_pfs_months}). Death ends PFS too, so overall survival is at "
                "least as long as PFS for every subject.", field="median_os_months",
                value=self.median_os_months, hint="Give a median OS above the median PFS.")
        if (self.cutoff - self.accrual_end_on).days < _MIN_FOLLOW_UP_DAYS:
            raise InputError(
                f"The cut-off {self.cutoff} is less than {_MIN_FOLLOW_UP_DAYS} days after the "
                f"end of accrual ({self.accrual_end_on}: {self.accrual_months} months from "
                f"{self.start_on}); the last subject enrolled would have no follow-up.",
                field="cutoff", value=self.cutoff,
                hint="Move the cut-off later, or shorten accrual_months.")

    @property
    def n_screen_failures(self) -> int:
        """Screen failures: the share of all screened patients, rounded.

        >>> SynthParams().n_screen_failures, SynthParams(n_enrolled=100).n_screen_failures
        (9, 43)
        """
        share = self.screen_failure_share
        return round(self.n_enrolled * share / (1.0 - share))

    @property
    def accrual_end_on(self) -> date:
        """The last possible enrolment day (``start_on`` + ``accrual_months``)."""
        return date.fromordinal(self.start_on.toordinal()
                                + int(self.accrual_months * 365.25 / 12))


#: Follow-up the last subject enrolled gets at least (a cycle).
_MIN_FOLLOW_UP_DAYS = 28

_NOT_SHARES = frozenset({"median_pfs_months", "median_os_months", "accrual_months"})


def _check_count(n: object) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InputError(f"n_enrolled is {n!r}; a cohort needs a whole number of at least 1 "
                         "enrolled subject.", field="n_enrolled", value=n,
                         hint="Give the number of subjects to enrol, for example 22.")


def _check_share(name: str, value: float) -> None:
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise InputError(f"{name} is {value}; it is a share of subjects and must be between 0 "
                         "and 1.", field=name, value=value,
                         hint="Write a percentage as a fraction: 30 % is 0.30.")


def _check_shares(name: str, shares: tuple[float, ...]) -> None:
    for value in shares:
        _check_share(name, value)
    if abs(sum(shares) - 1.0) > 1e-9:
        raise InputError(f"{name} {shares} add up to {sum(shares):g}, not 1.", field=name,
                         value=shares, hint="Give shares that add up to 1.")
