"""Baseline lesions, their measurability and the baseline checks: RECIST 1.1 and mRECIST.

RECIST 1.1 (Eisenhauer et al. 2009) section 3.1 defines which lesions are measurable and
section 4.2 how targets are chosen; modified RECIST for hepatocellular carcinoma (Lencioni &
Llovet 2010) changes a few of the thresholds. The thresholds are versioned data in
``recist/data/criteria.json``, applied by the generic code here.

Measurability lives in one place: :func:`measurability` decides it for one lesion, by the
first rule the lesion fails; :func:`is_measurable` and :func:`check_baseline` both read it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import KW_ONLY, dataclass, field
from enum import StrEnum
from functools import cache
from importlib.resources import files

from oncotrial.errors import Finding, InputError, UnknownTermError
from oncotrial.recist._response import NewLesionStatus
from oncotrial.records import Facts

__all__ = [
    "Criteria",
    "Lesion",
    "LesionKind",
    "Measurability",
    "Method",
    "check_baseline",
    "classify_new_lesion_mrecist",
    "get_criteria",
    "is_measurable",
    "measurability",
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
        UnknownTermError: the name is not a criteria set we have (vocabulary
            ``response_criteria``).

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
        raise UnknownTermError(
            "response_criteria", name, sorted(table),
            message=f"Response criteria {name!r} are not known. "
                    f"The criteria sets are {', '.join(sorted(table))}.",
            hint='Use "RECIST 1.1" (the protocol\'s criteria) or "mRECIST" (supportive, HCC).',
        )
    return table[key]


class Method(StrEnum):
    """How a lesion was measured (RECIST 1.1 section 3.2)."""

    CT = "CT"
    MRI = "MRI"
    CALIPER = "CALIPER"
    CHEST_XRAY = "CHEST_XRAY"

    @classmethod
    def parse(cls, value: Method | str) -> Method:
        """Read a method in any case: "ct", "MRI", "caliper", "chest x-ray".

        Raises:
            UnknownTermError: the text is not a measurement method.

        >>> Method.parse("chest x-ray")
        <Method.CHEST_XRAY: 'CHEST_XRAY'>
        """
        if isinstance(value, Method):
            return value
        key = re.sub(r"[^A-Z]+", "_", str(value).upper()).strip("_")
        key = {"XRAY": "CHEST_XRAY", "CXR": "CHEST_XRAY", "X_RAY": "CHEST_XRAY",
               "CHEST_X_RAY": "CHEST_XRAY", "CALLIPER": "CALIPER"}.get(key, key)
        if key in cls.__members__:
            return cls[key]
        raise UnknownTermError(
            "measurement_method", value, [m.value for m in cls],
            message=f"Measurement method {value!r} is not known. RECIST 1.1 section 3.2 names "
                    "CT, MRI, caliper (clinical lesions) and chest X-ray.",
            hint="Record the method as CT, MRI, CALIPER or CHEST_XRAY.")


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
    """A lesion recorded at baseline (an evaluation input).

    ``diameter_mm`` is the longest diameter of a non-nodal lesion or the short axis of a node
    (RECIST 1.1 section 3.2); for an mRECIST read of a typical HCC it is the longest **viable**
    (arterially enhancing) diameter. It may be None for a non-target that is not measured.
    ``previously_treated`` marks a lesion in a field of local therapy (radiotherapy, TACE,
    ablation); it is measurable only with ``progressed_since_treatment`` (RECIST 1.1 section
    3.1.3). :func:`inputs_from_measurements` builds these from
    :class:`oncotrial.records.LesionMeasurement` rows.

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
    progressed_since_treatment: bool = False


_PAIRED = {"lungs": "lung", "kidneys": "kidney", "ovaries": "ovary", "adrenals": "adrenal",
           "breasts": "breast", "adrenal gland": "adrenal", "adrenal glands": "adrenal"}


def organ_key(lesion: Lesion) -> str:
    """The organ for the "2 per organ" rule: all nodes are one organ, paired organs are one.

    RECIST 1.1 section 4.2 (at most two target lesions per organ; all lymph nodes together
    count as one organ) and the EORTC RECIST working group FAQ "Paired organs".

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


def is_porta_hepatis(lesion: Lesion) -> bool:
    """Whether a lesion lies at the porta hepatis (mRECIST's 20 mm node rule), by its words."""
    text = f"{lesion.site or ''} {lesion.organ}".lower().replace("-", " ").replace("_", " ")
    return "porta hepatis" in text or "portohepatic" in text or "porto hepatic" in text


def node_normal_below_mm(lesion: Lesion, c: Criteria) -> float | None:
    """The short axis under which a nodal target counts as normal (target CR), else None.

    10 mm (RECIST 1.1 section 4.3.1); 20 mm for a porta-hepatis node under mRECIST. Lencioni
    & Llovet 2010 state the 20 mm rule for porta-hepatis nodes; applying it to a nodal target's
    CR is our reading (``docs/recist.md``, mRECIST).
    """
    if not lesion.nodal:
        return None
    ph = c.porta_hepatis_node_min_mm
    if ph is not None and is_porta_hepatis(lesion):
        return ph
    return c.node_cr_below_mm


def _min_size(lesion: Lesion, c: Criteria) -> tuple[float, str]:
    """Smallest measurable size of a lesion and the rule's words (RECIST 1.1 section 3.1.1)."""
    if lesion.nodal:
        if c.porta_hepatis_node_min_mm is not None and is_porta_hepatis(lesion):
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


@dataclass(frozen=True, slots=True)
class Measurability:
    """Whether one baseline lesion is measurable under a criteria set, and the deciding rule.

    ``code`` is ``recist.measurability.measurable`` or names the first rule the lesion fails
    (``RESULT_CODES`` lists them); ``minimum_mm`` is the size the lesion needed, when a size
    rule applies; ``facts`` has the diameter, the minimum and the criteria set.
    """

    lesion_id: str
    measurable: bool
    minimum_mm: float | None
    code: str
    reason: str
    facts: Facts = field(default_factory=dict, hash=False)


def _atypical_hcc(lesion: Lesion, c: Criteria) -> bool:
    """mRECIST: an intrahepatic lesion without arterial enhancement is not a viable target."""
    return c.name == MRECIST and lesion.typical_hcc is False and not lesion.nodal


def _treated_without_progression(lesion: Lesion) -> bool:
    """RECIST 1.1 section 3.1.3: a lesion in a field of local therapy is measurable only if
    it has progressed since."""
    return lesion.previously_treated and not lesion.progressed_since_treatment


_M = "recist.measurability."


def _size_rule(lesion: Lesion, c: Criteria) -> tuple[str, float | None, str]:
    """The first failing kind or size rule: (code suffix, minimum, words), or "measurable"."""
    if lesion.kind is not LesionKind.SOLID:
        kind = lesion.kind.value.lower().replace("_", " ")
        return "non_measurable_kind", None, f"is recorded as {kind}, which is non-measurable"
    size = lesion.diameter_mm
    if size is None:
        return "not_measured", None, "has no diameter"
    minimum, what = _min_size(lesion, c)
    if lesion.nodal and size < c.node_pathological_min_mm:
        return ("node_not_pathological", c.node_pathological_min_mm,
                f"has a short axis of {size:g} mm; a node under "
                f"{c.node_pathological_min_mm:g} mm is normal")
    if size < minimum:
        if lesion.nodal and minimum == c.porta_hepatis_node_min_mm and is_porta_hepatis(lesion):
            suffix = "porta_hepatis_node_too_small"
        else:
            suffix = "node_too_small" if lesion.nodal else "too_small"
        return suffix, minimum, f"measures {size:g} mm; {what} needs at least {minimum:g} mm"
    return "measurable", minimum, f"measures {size:g} mm, at least the {minimum:g} mm {what} needs"


def measurability(lesion: Lesion, criteria: str | Criteria = RECIST_11) -> Measurability:
    """Whether a baseline lesion is measurable (could be a target), and by which rule.

    The rules, in order (RECIST 1.1 section 3.1; mRECIST per Lencioni & Llovet 2010):

    1. Effusions, ascites, portal vein tumour thrombus and other non-measurable disease never
       are (``non_measurable_kind``); a lesion needs a diameter (``not_measured``).
    2. A node under 10 mm short axis is normal (``node_not_pathological``); a node needs
       15 mm short axis (``node_too_small``), a porta-hepatis node under mRECIST 20 mm
       (``porta_hepatis_node_too_small``).
    3. A non-nodal lesion needs 10 mm on CT/MRI with slices up to 5 mm (twice the slice
       thickness on thicker slices), 10 mm by caliper, 20 mm on chest X-ray (``too_small``).
    4. mRECIST: an intrahepatic lesion without arterial enhancement is not a viable target
       (``mrecist_atypical``).
    5. A lesion in a field of local therapy counts only once it has progressed
       (``previously_treated``, RECIST 1.1 section 3.1.3).

    >>> m = measurability(Lesion("N1", "neck", 12.0, dt.date(2025, 1, 1), nodal=True))
    >>> m.measurable, m.code, m.minimum_mm
    (False, 'recist.measurability.node_too_small', 15.0)
    >>> print(m.reason)  # doctest: +NORMALIZE_WHITESPACE
    N1 is not measurable under RECIST 1.1: it measures 12 mm; a lymph node (short axis)
    needs at least 15 mm.
    """
    c = get_criteria(criteria)
    suffix, minimum, words = _size_rule(lesion, c)
    if suffix == "measurable" and _atypical_hcc(lesion, c):
        suffix, words = "mrecist_atypical", "it shows no intratumoural arterial enhancement"
    elif suffix == "measurable" and _treated_without_progression(lesion):
        suffix, words = ("previously_treated", "it lies in a field of previous local therapy "
                         "and has not progressed since")
    elif not words.startswith("it "):
        words = "it " + words
    ok = suffix == "measurable"
    verdict = "is measurable" if ok else "is not measurable"
    return Measurability(
        lesion_id=lesion.lesion_id,
        measurable=ok,
        minimum_mm=minimum,
        code=_M + suffix,
        reason=f"{lesion.lesion_id} {verdict} under {c.name}: {words}.",
        facts={"criteria": c.name, "diameter_mm": lesion.diameter_mm, "minimum_mm": minimum,
               "nodal": lesion.nodal, "method": lesion.method.value,
               "kind": lesion.kind.value},
    )


def is_measurable(lesion: Lesion, criteria: str | Criteria = RECIST_11) -> bool:
    """Whether a baseline lesion is measurable (could be a target): :func:`measurability`.

    >>> is_measurable(Lesion("N1", "neck", 12.0, dt.date(2025, 1, 1), nodal=True))
    False
    >>> is_measurable(Lesion("T1", "liver", 30.0, dt.date(2025, 1, 1), previously_treated=True))
    False
    """
    return measurability(lesion, criteria).measurable


# --- Baseline checks: one small rule per function, applied in order by check_baseline -------

_B = "recist.baseline."
_Add = Callable[..., None]


def _where(lesion_id: str) -> str:
    return f"lesions[{lesion_id}]" if lesion_id else "lesions"


def _duplicate_ids(items: Sequence[Lesion], c: Criteria, add: _Add) -> None:
    """Each lesion needs its own id so it can be followed."""
    for lesion_id, n in sorted(Counter(lesion.lesion_id for lesion in items).items()):
        if n > 1:
            add("duplicate_lesion_id", lesion_id,
                f"Lesion id {lesion_id} is used for {n} lesions. Each lesion needs its own id "
                "so it can be followed. Rename the extra lesions.")


def _target_size(lesion: Lesion, c: Criteria, add: _Add) -> bool:
    """Kind and size of one target (RECIST 1.1 section 3.1); False stops its other checks."""
    lid, name = lesion.lesion_id, c.name
    suffix, minimum, _ = _size_rule(lesion, c)
    size = lesion.diameter_mm
    if suffix == "non_measurable_kind":
        kind = lesion.kind.value.lower().replace("_", " ")
        add("target_not_measurable_kind", lid,
            f"Target lesion {lid} is recorded as {kind}. {name} treats it as non-measurable "
            f"disease. Record {lid} as a non-target lesion.")
        return False
    if suffix == "not_measured":
        add("target_not_measured", lid,
            f"Target lesion {lid} has no baseline measurement. {name} targets need a "
            "baseline diameter. Enter the diameter, or record it as a non-target lesion.")
        return False
    what = _min_size(lesion, c)[1]
    if suffix == "node_not_pathological":
        add("node_not_pathological", lid,
            f"Lymph node {lid} has a short axis of {size:g} mm at baseline. A node under "
            f"{c.node_pathological_min_mm:g} mm is normal under {name}. Remove it from the "
            "lesions, or correct the measurement.")
    elif suffix in ("node_too_small", "porta_hepatis_node_too_small"):
        code = ("mrecist_porta_hepatis_node" if suffix == "porta_hepatis_node_too_small"
                else "node_not_measurable")
        add(code, lid,
            f"Target lymph node {lid} has a short axis of {size:g} mm at baseline. "
            f"{name} needs at least {minimum:g} mm for {what}; a smaller pathological node "
            f"may only be a non-target. Record {lid} as a non-target lesion, or correct "
            "the measurement.")
    elif suffix == "too_small":
        add("target_too_small", lid,
            f"Target lesion {lid} measures {size:g} mm at baseline. {name} needs at least "
            f"{minimum:g} mm for {what}. Record {lid} as a non-target lesion, or correct "
            "the measurement.")
    return True


def _target_viability(lesion: Lesion, c: Criteria, add: _Add) -> None:
    """mRECIST atypical targets, and targets in a field of local therapy (section 3.1.3)."""
    lid, name = lesion.lesion_id, c.name
    if _atypical_hcc(lesion, c):
        add("mrecist_atypical_target", lid,
            f"Target lesion {lid} shows no intratumoural arterial enhancement. mRECIST "
            "measures only viable (enhancing) tumour. Follow it with conventional RECIST 1.1 "
            "or record it as a non-target lesion.")
    if _treated_without_progression(lesion):
        add("previously_treated_target", lid,
            f"Target lesion {lid} lies in a field of previous local therapy. {name} counts "
            "it as measurable only if it progressed after that therapy. Confirm documented "
            "progression (progressed_since_treatment), or choose another target.", "warning")


def _target_counts(targets: Sequence[Lesion], c: Criteria, add: _Add) -> None:
    """RECIST 1.1 section 4.2: at most 5 targets, at most 2 per organ."""
    name = c.name
    if len(targets) > c.max_targets:
        add("too_many_targets", "",
            f"{len(targets)} target lesions were chosen. {name} allows at most "
            f"{c.max_targets}. Record the extra lesions as non-targets.")
    per_organ = Counter(organ_key(lesion) for lesion in targets)
    for organ, n in sorted(per_organ.items()):
        if n > c.max_targets_per_organ:
            add("too_many_targets_in_organ", "",
                f"{n} target lesions are in the {organ}. {name} allows at most "
                f"{c.max_targets_per_organ} per organ (all lymph nodes count as one organ, "
                "paired organs as one). Record the extra lesions as non-targets.")


def _normal_non_target_nodes(items: Sequence[Lesion], c: Criteria, add: _Add) -> None:
    """A non-target node under 10 mm short axis is normal, not a lesion (section 3.1.1)."""
    for lesion in items:
        if not lesion.target and _size_rule(lesion, c)[0] == "node_not_pathological":
            add("node_not_pathological", lesion.lesion_id,
                f"Lymph node {lesion.lesion_id} has a short axis of {lesion.diameter_mm:g} mm. "
                f"A node under {c.node_pathological_min_mm:g} mm is normal under {c.name}. "
                "Remove it from the non-target lesions.", "warning")


def _imaging_dates(items: Sequence[Lesion], reference_date: dt.date | None,
                   window_days: int | None, add: _Add) -> None:
    """Baseline imaging within the protocol's window before the reference date."""
    if reference_date is None:
        return
    if window_days is None:
        raise InputError(
            f"check_baseline was given the reference date {reference_date.isoformat()} but no "
            "imaging window. The window for baseline imaging is the protocol's.",
            field="imaging_window_days", value=None,
            hint="Pass imaging_window_days from the protocol (21 days in NCT06478927).")
    for lesion in items:
        lag = (reference_date - lesion.assessed_on).days
        if lag > window_days:
            add("imaging_too_old", lesion.lesion_id,
                f"Baseline imaging of {lesion.lesion_id} on {lesion.assessed_on.isoformat()} "
                f"is {lag} days before {reference_date.isoformat()}. The protocol allows at "
                f"most {window_days} days. Repeat the baseline scan.")
        elif lag < 0:
            add("imaging_after_start", lesion.lesion_id,
                f"Baseline imaging of {lesion.lesion_id} on {lesion.assessed_on.isoformat()} "
                f"is after {reference_date.isoformat()}. Baseline must precede treatment. "
                "Correct the date.")


def _measurable_disease(items: Sequence[Lesion], c: Criteria, add: _Add) -> None:
    """At least one measurable lesion (RECIST 1.1 section 4.1)."""
    if not any(measurability(lesion, c).measurable for lesion in items):
        add("no_measurable_disease", "",
            f"No lesion is measurable under {c.name} (at least 10 mm, or a node of at least "
            f"{c.node_target_min_mm:g} mm short axis, outside fields of local therapy unless "
            "progressed). The patient has no measurable disease; check eligibility and the "
            "baseline measurements.")


def check_baseline(
    lesions: Iterable[Lesion],
    *,
    reference_date: dt.date | None = None,
    imaging_window_days: int | None = None,
    criteria: str | Criteria = RECIST_11,
) -> tuple[Finding, ...]:
    """Check the baseline lesion record against RECIST 1.1 (or mRECIST) selection rules.

    RECIST 1.1 sections 3.1 and 4.2; mRECIST per Lencioni & Llovet 2010. Never raises for bad
    data; each problem is a :class:`~oncotrial.errors.Finding` with a stable code
    (``recist.baseline.*``, listed in ``RESULT_CODES`` and ``docs/recist.md``):

    * ``too_many_targets``: more than 5 target lesions.
    * ``too_many_targets_in_organ``: more than 2 targets in one organ (all nodes are one
      organ, paired organs are one).
    * ``target_not_measured``: a target without a diameter.
    * ``target_too_small``: a non-nodal target under 10 mm (2 x slice thickness on slices
      over 5 mm; 20 mm on chest X-ray).
    * ``node_not_measurable``: a nodal target of 10 to under 15 mm short axis; it is
      pathological but may only be a non-target.
    * ``node_not_pathological``: a node under 10 mm short axis (normal, not a lesion).
    * ``target_not_measurable_kind``: an effusion, ascites, tumour thrombus or other
      non-measurable disease recorded as a target.
    * ``previously_treated_target`` (warning): a target in a field of local therapy without
      documented progression since.
    * ``imaging_too_old``: imaging more than ``imaging_window_days`` before
      ``reference_date``; ``imaging_after_start`` after it. The window is the protocol's
      (21 days in NCT06478927), so it has no default: give it with ``reference_date``.
    * ``no_measurable_disease``: no measurable lesion at all.
    * ``duplicate_lesion_id``: one id used for two lesions.
    * mRECIST only: ``mrecist_atypical_target`` (an intrahepatic target without arterial
      enhancement), ``mrecist_porta_hepatis_node`` (porta-hepatis node under 20 mm as a target).

    Raises:
        InputError: ``reference_date`` without ``imaging_window_days`` (a wrong call, not
            bad data).

    Example: a liver target of 8 mm and a 12 mm node chosen as a target.

    >>> d = dt.date(2025, 2, 20)
    >>> found = check_baseline([Lesion("T1", "liver", 8.0, d),
    ...                         Lesion("T2", "hilum", 12.0, d, nodal=True)],
    ...                        reference_date=dt.date(2025, 3, 1), imaging_window_days=21)
    >>> [f.code for f in found]  # doctest: +NORMALIZE_WHITESPACE
    ['recist.baseline.target_too_small', 'recist.baseline.node_not_measurable',
     'recist.baseline.no_measurable_disease']
    >>> print(found[0].message)  # doctest: +NORMALIZE_WHITESPACE
    Target lesion T1 measures 8 mm at baseline. RECIST 1.1 needs at least 10 mm for a
    non-nodal lesion. Record T1 as a non-target lesion, or correct the measurement.
    """
    c = get_criteria(criteria)
    items = list(lesions)
    out: list[Finding] = []

    def add(code: str, lesion_id: str, message: str, severity: str = "error") -> None:
        out.append(Finding(_B + code, _where(lesion_id), message, severity))

    _duplicate_ids(items, c, add)
    targets = [lesion for lesion in items if lesion.target]
    for lesion in targets:
        if _target_size(lesion, c, add):
            _target_viability(lesion, c, add)
    _target_counts(targets, c, add)
    _normal_non_target_nodes(items, c, add)
    _imaging_dates(items, reference_date, imaging_window_days, add)
    _measurable_disease(items, c, add)
    return tuple(out)


def classify_new_lesion_mrecist(
    diameter_mm: float,
    *,
    intrahepatic: bool = True,
    typical_hallmark: bool,
    first_diameter_mm: float | None = None,
) -> NewLesionStatus:
    """Classify a new lesion by mRECIST for HCC (Lencioni & Llovet 2010, new lesions).

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
