"""Baseline lesions and their checks: RECIST 1.1 sections 3.1-3.3 and mRECIST for HCC.

The thresholds are versioned data in ``recist/data/criteria.json`` (RECIST 1.1 as
Eisenhauer et al. 2009; mRECIST as Lencioni & Llovet 2010), applied by the generic code here.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import KW_ONLY, dataclass
from enum import StrEnum
from functools import cache
from importlib.resources import files

from oncotrial.errors import ConfigurationError, Finding, InputError
from oncotrial.recist._response import NewLesionStatus

__all__ = [
    "Criteria",
    "Lesion",
    "LesionKind",
    "Method",
    "check_baseline",
    "classify_new_lesion_mrecist",
    "get_criteria",
    "is_measurable",
    "organ_key",
]

RECIST_11 = "RECIST 1.1"
MRECIST = "mRECIST"


@dataclass(frozen=True, slots=True)
class Criteria:
    """The thresholds of one response criteria set, read from ``recist/data/criteria.json``."""

    name: str
    source: str
    pd_rel: float
    pd_abs_mm: float | None
    pr_rel: float
    min_measurable_mm: float
    slice_thickness_factor: float
    caliper_min_mm: float
    chest_xray_min_mm: float
    node_target_min_mm: float
    node_pathological_min_mm: float
    node_cr_below_mm: float
    too_small_mm: float
    max_targets: int
    max_targets_per_organ: int
    porta_hepatis_node_min_mm: float | None
    new_lesion_min_mm: float | None
    new_lesion_growth_mm: float | None
    effusion_needs_cytology: bool
    non_cr_non_pd_label: str


@cache
def _criteria_table() -> dict[str, Criteria]:
    raw = json.loads(files("oncotrial.recist").joinpath("data/criteria.json").read_text("utf-8"))
    return {name: Criteria(name=name, **values) for name, values in raw["criteria"].items()}


def get_criteria(name: str | Criteria = RECIST_11) -> Criteria:
    """The thresholds of a response criteria set: "RECIST 1.1" or "mRECIST".

    Raises:
        ConfigurationError: the name is not a criteria set we have.

    >>> c = get_criteria("RECIST 1.1")
    >>> c.pd_rel, c.pd_abs_mm, c.pr_rel, c.node_target_min_mm
    (0.2, 5.0, 0.3, 15.0)
    >>> get_criteria("mrecist").porta_hepatis_node_min_mm
    20.0
    """
    if isinstance(name, Criteria):
        return name
    table = _criteria_table()
    key = {k.lower().replace(" ", ""): k for k in table}.get(str(name).lower().replace(" ", ""))
    if key is None:
        raise ConfigurationError(
            f"Response criteria {name!r} are not known. "
            f"The criteria sets are {', '.join(sorted(table))}.",
            field="criteria",
            value=name,
            hint='Use "RECIST 1.1" (the protocol\'s criteria) or "mRECIST" (supportive, HCC).',
        )
    return table[key]


class Method(StrEnum):
    """How a lesion was measured (RECIST 1.1 section 3.2)."""

    CT = "CT"
    MRI = "MRI"
    CALIPER = "CALIPER"
    CHEST_XRAY = "CHEST_XRAY"


class LesionKind(StrEnum):
    """What the lesion is; some kinds are non-measurable by nature (RECIST 1.1 section 3.1.2).

    Portal vein tumour thrombus (mRECIST) and effusions/ascites are never targets.
    """

    SOLID = "SOLID"
    PORTAL_VEIN_THROMBUS = "PORTAL_VEIN_THROMBUS"
    EFFUSION = "EFFUSION"
    ASCITES = "ASCITES"
    OTHER_NON_MEASURABLE = "OTHER_NON_MEASURABLE"


@dataclass(frozen=True, slots=True)
class Lesion:
    """A lesion recorded at baseline.

    ``diameter_mm`` is the longest diameter of a non-nodal lesion or the short axis of a node
    (RECIST 1.1 section 3.2); for an mRECIST read of a typical HCC it is the longest **viable**
    (arterially enhancing) diameter. It may be None for a non-target that is not measured.

    >>> node = Lesion("N1", "mediastinum", 17.0, dt.date(2025, 2, 20), nodal=True)
    >>> node.diameter_mm, node.target, node.method
    (17.0, True, <Method.CT: 'CT'>)
    """

    lesion_id: str
    organ: str
    diameter_mm: float | None
    assessed_on: dt.date
    _: KW_ONLY
    nodal: bool = False
    target: bool = True
    method: Method = Method.CT
    slice_thickness_mm: float | None = None
    kind: LesionKind = LesionKind.SOLID
    site: str | None = None
    typical_hcc: bool | None = None
    previously_treated: bool = False


_PAIRED = {"lungs": "lung", "kidneys": "kidney", "ovaries": "ovary", "adrenals": "adrenal",
           "breasts": "breast", "adrenal gland": "adrenal", "adrenal glands": "adrenal"}


def organ_key(lesion: Lesion) -> str:
    """The organ for the "2 per organ" rule: all nodes are one organ, paired organs are one.

    EORTC RECIST working group FAQ "Paired organs" (recist11.md section 2).

    >>> organ_key(Lesion("T1", "Left lung", 20.0, dt.date(2025, 1, 1)))
    'lung'
    >>> organ_key(Lesion("T2", "mediastinum", 18.0, dt.date(2025, 1, 1), nodal=True))
    'lymph nodes'
    """
    if lesion.nodal:
        return "lymph nodes"
    words = re.sub(r"\b(left|right|bilateral|l|r)\b", " ", lesion.organ.lower())
    name = " ".join(words.split())
    return _PAIRED.get(name, name)


def _is_porta_hepatis(lesion: Lesion) -> bool:
    text = f"{lesion.site or ''} {lesion.organ}".lower().replace("-", " ").replace("_", " ")
    return "porta hepatis" in text or "portohepatic" in text or "porto hepatic" in text


def _min_size(lesion: Lesion, c: Criteria) -> tuple[float, str]:
    """Smallest measurable size of a lesion and the rule's words (RECIST 1.1 section 3.1.1)."""
    if lesion.nodal:
        if c.porta_hepatis_node_min_mm is not None and _is_porta_hepatis(lesion):
            return c.porta_hepatis_node_min_mm, "a porta-hepatis node under mRECIST (short axis)"
        return c.node_target_min_mm, "a lymph node (short axis)"
    if lesion.method is Method.CALIPER:
        return c.caliper_min_mm, "a clinical lesion measured by caliper"
    if lesion.method is Method.CHEST_XRAY:
        return c.chest_xray_min_mm, "a lesion on chest X-ray"
    if lesion.slice_thickness_mm is not None and lesion.slice_thickness_mm > 5:
        size = c.slice_thickness_factor * lesion.slice_thickness_mm
        return size, f"a lesion on {lesion.slice_thickness_mm:g} mm slices (2 x slice thickness)"
    return c.min_measurable_mm, "a non-nodal lesion"


def is_measurable(lesion: Lesion, criteria: str | Criteria = RECIST_11) -> bool:
    """Whether a baseline lesion is measurable (could be a target) under the criteria.

    >>> is_measurable(Lesion("N1", "neck", 12.0, dt.date(2025, 1, 1), nodal=True))
    False
    """
    c = get_criteria(criteria)
    if lesion.kind is not LesionKind.SOLID or lesion.diameter_mm is None:
        return False
    if c.name == MRECIST and lesion.typical_hcc is False and not lesion.nodal:
        # Atypical lesions may be followed with conventional RECIST, not as viable targets.
        return False
    return lesion.diameter_mm >= _min_size(lesion, c)[0]


def check_baseline(
    lesions: Iterable[Lesion],
    *,
    reference_date: dt.date | None = None,
    imaging_window_days: int = 21,
    criteria: str | Criteria = RECIST_11,
) -> tuple[Finding, ...]:
    """Check the baseline lesion record against RECIST 1.1 (or mRECIST) selection rules.

    RECIST 1.1 sections 3.1-3.3 (``recist11.md`` sections 1-2), mRECIST per Lencioni & Llovet
    2010 (``mrecist_hcc.md`` section 2). Never raises for bad data; each problem is a
    :class:`~oncotrial.errors.Finding` with a stable code:

    * ``RECIST_TOO_MANY_TARGETS``: more than 5 target lesions.
    * ``RECIST_TOO_MANY_TARGETS_IN_ORGAN``: more than 2 targets in one organ (all nodes are
      one organ, paired organs are one).
    * ``RECIST_TARGET_NOT_MEASURED``: a target without a diameter.
    * ``RECIST_TARGET_TOO_SMALL``: a non-nodal target under 10 mm (2 x slice thickness on
      slices over 5 mm; 20 mm on chest X-ray).
    * ``RECIST_NODE_NOT_MEASURABLE``: a nodal target of 10 to under 15 mm short axis; it is
      pathological but may only be a non-target.
    * ``RECIST_NODE_NOT_PATHOLOGICAL``: a node under 10 mm short axis (normal, not a lesion).
    * ``RECIST_TARGET_NOT_MEASURABLE_KIND``: an effusion, ascites, tumour thrombus or other
      non-measurable disease recorded as a target.
    * ``RECIST_PREVIOUSLY_TREATED_TARGET`` (warning): a target in a field of local therapy.
    * ``RECIST_BASELINE_TOO_OLD``: imaging more than ``imaging_window_days`` before
      ``reference_date`` (the protocol's 21 days); ``RECIST_BASELINE_AFTER_START`` after it.
    * ``RECIST_NO_MEASURABLE_DISEASE``: no measurable lesion at all.
    * ``RECIST_DUPLICATE_LESION_ID``: one id used for two lesions.
    * mRECIST only: ``MRECIST_ATYPICAL_TARGET`` (an intrahepatic target without arterial
      enhancement), ``MRECIST_PORTA_HEPATIS_NODE`` (porta-hepatis node under 20 mm as a target).

    Example: a liver target of 8 mm and a 12 mm node chosen as a target.

    >>> d = dt.date(2025, 2, 20)
    >>> found = check_baseline([Lesion("T1", "liver", 8.0, d),
    ...                         Lesion("T2", "hilum", 12.0, d, nodal=True)],
    ...                        reference_date=dt.date(2025, 3, 1))
    >>> [f.code for f in found]
    ['RECIST_TARGET_TOO_SMALL', 'RECIST_NODE_NOT_MEASURABLE', 'RECIST_NO_MEASURABLE_DISEASE']
    >>> print(found[0].message)  # doctest: +NORMALIZE_WHITESPACE
    Target lesion T1 measures 8 mm at baseline. RECIST 1.1 needs at least 10 mm for a
    non-nodal lesion. Record T1 as a non-target lesion, or correct the measurement.
    """
    c = get_criteria(criteria)
    items = list(lesions)
    out: list[Finding] = []
    name = c.name

    def add(code: str, lesion_id: str, message: str, severity: str = "error") -> None:
        out.append(Finding(code, f"lesions[{lesion_id}]" if lesion_id else "lesions",
                           message, severity))

    counts = Counter(lesion.lesion_id for lesion in items)
    for lesion_id, n in sorted(counts.items()):
        if n > 1:
            add("RECIST_DUPLICATE_LESION_ID", lesion_id,
                f"Lesion id {lesion_id} is used for {n} lesions. Each lesion needs its own id "
                "so it can be followed. Rename the extra lesions.")

    targets = [lesion for lesion in items if lesion.target]
    for lesion in targets:
        lid = lesion.lesion_id
        if lesion.kind is not LesionKind.SOLID:
            kind = lesion.kind.value.lower().replace("_", " ")
            add("RECIST_TARGET_NOT_MEASURABLE_KIND", lid,
                f"Target lesion {lid} is recorded as {kind}. "
                f"{name} treats it as non-measurable disease. Record {lid} as a non-target "
                "lesion.")
            continue
        if lesion.diameter_mm is None:
            add("RECIST_TARGET_NOT_MEASURED", lid,
                f"Target lesion {lid} has no baseline measurement. {name} targets need a "
                "baseline diameter. Enter the diameter, or record it as a non-target lesion.")
            continue
        size = lesion.diameter_mm
        minimum, what = _min_size(lesion, c)
        if lesion.nodal and size < c.node_pathological_min_mm:
            add("RECIST_NODE_NOT_PATHOLOGICAL", lid,
                f"Lymph node {lid} has a short axis of {size:g} mm at baseline. A node under "
                f"{c.node_pathological_min_mm:g} mm is normal under {name}. Remove it from the "
                "lesions, or correct the measurement.")
        elif lesion.nodal and size < minimum:
            code = ("MRECIST_PORTA_HEPATIS_NODE" if minimum == c.porta_hepatis_node_min_mm
                    and _is_porta_hepatis(lesion) else "RECIST_NODE_NOT_MEASURABLE")
            add(code, lid,
                f"Target lymph node {lid} has a short axis of {size:g} mm at baseline. "
                f"{name} needs at least {minimum:g} mm for {what}; a smaller pathological node "
                f"may only be a non-target. Record {lid} as a non-target lesion, or correct "
                "the measurement.")
        elif size < minimum:
            add("RECIST_TARGET_TOO_SMALL", lid,
                f"Target lesion {lid} measures {size:g} mm at baseline. {name} needs at least "
                f"{minimum:g} mm for {what}. Record {lid} as a non-target lesion, or correct "
                "the measurement.")
        if name == MRECIST and not lesion.nodal and lesion.typical_hcc is False:
            add("MRECIST_ATYPICAL_TARGET", lid,
                f"Target lesion {lid} shows no intratumoural arterial enhancement. mRECIST "
                "measures only viable (enhancing) tumour. Follow it with conventional RECIST 1.1 "
                "or record it as a non-target lesion.")
        if lesion.previously_treated:
            add("RECIST_PREVIOUSLY_TREATED_TARGET", lid,
                f"Target lesion {lid} lies in a field of previous local therapy. {name} counts "
                "it as measurable only if it progressed after that therapy. Confirm documented "
                "progression, or choose another target.", "warning")

    if len(targets) > c.max_targets:
        add("RECIST_TOO_MANY_TARGETS", "",
            f"{len(targets)} target lesions were chosen. {name} allows at most "
            f"{c.max_targets}. Record the extra lesions as non-targets.")
    per_organ = Counter(organ_key(lesion) for lesion in targets)
    for organ, n in sorted(per_organ.items()):
        if n > c.max_targets_per_organ:
            add("RECIST_TOO_MANY_TARGETS_IN_ORGAN", "",
                f"{n} target lesions are in the {organ}. {name} allows at most "
                f"{c.max_targets_per_organ} per organ (all lymph nodes count as one organ, "
                "paired organs as one). Record the extra lesions as non-targets.")

    for lesion in items:
        if lesion.nodal and not lesion.target and lesion.diameter_mm is not None and (
            lesion.diameter_mm < c.node_pathological_min_mm
        ):
            add("RECIST_NODE_NOT_PATHOLOGICAL", lesion.lesion_id,
                f"Lymph node {lesion.lesion_id} has a short axis of {lesion.diameter_mm:g} mm. "
                f"A node under {c.node_pathological_min_mm:g} mm is normal under {name}. "
                "Remove it from the non-target lesions.", "warning")

    if reference_date is not None:
        for lesion in items:
            lag = (reference_date - lesion.assessed_on).days
            if lag > imaging_window_days:
                add("RECIST_BASELINE_TOO_OLD", lesion.lesion_id,
                    f"Baseline imaging of {lesion.lesion_id} on {lesion.assessed_on.isoformat()} "
                    f"is {lag} days before {reference_date.isoformat()}. The protocol allows at "
                    f"most {imaging_window_days} days. Repeat the baseline scan.")
            elif lag < 0:
                add("RECIST_BASELINE_AFTER_START", lesion.lesion_id,
                    f"Baseline imaging of {lesion.lesion_id} on {lesion.assessed_on.isoformat()} "
                    f"is after {reference_date.isoformat()}. Baseline must precede treatment. "
                    "Correct the date.")

    if not any(is_measurable(lesion, c) for lesion in items):
        add("RECIST_NO_MEASURABLE_DISEASE", "",
            f"No lesion is measurable under {name} (at least 10 mm, or a node of at least "
            f"{c.node_target_min_mm:g} mm short axis). The patient has no measurable disease; "
            "check eligibility and the baseline measurements.")
    return tuple(out)


def classify_new_lesion_mrecist(
    diameter_mm: float,
    *,
    intrahepatic: bool = True,
    typical_hallmark: bool,
    first_diameter_mm: float | None = None,
) -> NewLesionStatus:
    """Classify a new lesion by mRECIST for HCC (Lencioni & Llovet 2010, ``mrecist_hcc.md`` 3).

    A new intrahepatic lesion is HCC (YES, PD) if its longest diameter is at least 10 mm and
    it shows the typical hallmark (arterial hyperenhancement with washout). Otherwise it is
    EQUIVOCAL, and becomes YES when it has grown by at least 10 mm since it was first seen
    (``first_diameter_mm``) or acquired the typical pattern at 10 mm or more.
    New extrahepatic lesions follow RECIST 1.1 (the reader's call), so they are YES here.

    Raises:
        InputError: a diameter is negative.

    >>> classify_new_lesion_mrecist(14.0, typical_hallmark=True)
    <NewLesionStatus.YES: 'YES'>
    >>> classify_new_lesion_mrecist(8.0, typical_hallmark=True)
    <NewLesionStatus.EQUIVOCAL: 'EQUIVOCAL'>
    >>> classify_new_lesion_mrecist(19.0, typical_hallmark=False, first_diameter_mm=8.0)
    <NewLesionStatus.YES: 'YES'>
    """
    c = get_criteria(MRECIST)
    for label, value in (("diameter_mm", diameter_mm), ("first_diameter_mm", first_diameter_mm)):
        if value is not None and not value >= 0:
            raise InputError(
                f"New lesion {label} is {value} mm. A diameter cannot be negative.",
                field=label, value=value, hint="Correct the measurement.",
            )
    if not intrahepatic:
        return NewLesionStatus.YES
    min_mm = 10.0 if c.new_lesion_min_mm is None else c.new_lesion_min_mm
    growth_mm = 10.0 if c.new_lesion_growth_mm is None else c.new_lesion_growth_mm
    if typical_hallmark and diameter_mm >= min_mm:
        return NewLesionStatus.YES
    if first_diameter_mm is not None and diameter_mm - first_diameter_mm >= growth_mm:
        return NewLesionStatus.YES
    return NewLesionStatus.EQUIVOCAL
