"""Tumour lesions at baseline and at each tumour assessment, by RECIST 1.1 (shell).

Baseline: the liver disease (one to four lesions; BCLC B is multinodular liver disease
without vascular invasion or spread), a portal vein tumour thrombus for macrovascular
invasion, and extrahepatic spread to lung, lymph nodes, bone, adrenal gland or peritoneum.
Up to five measurable lesions, at most two per organ (all nodes count as one organ), are
targets; the others are non-targets (RECIST 1.1 section 4.2).

Follow-up: each assessment has an intended category (SD, PR, CR or PD, from the latent
model), and the measurements are drawn to show it. The category is then taken from
:func:`oncotrial.recist.target_response` and :func:`oncotrial.recist.overall_response` on the
drawn sums, so each stored response is the RECIST engine's; ``tests/synth`` re-derives every
one from the lesion rows with :func:`oncotrial.recist.evaluate`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

from oncotrial.recist import overall_response, target_response
from oncotrial.records import LesionMeasurement, Response, TumourAssessment
from oncotrial.synth.stream import Stream

__all__ = ["BaselineLesion", "TumourCourse", "baseline_lesions"]


@dataclass(frozen=True, slots=True)
class BaselineLesion:
    """One lesion on the baseline scan.

    ``value_mm`` is what RECIST 1.1 sums for a target: the longest diameter, or the short
    axis of a node; ``longest_mm`` and ``short_axis_mm`` are what the screening record holds.
    """

    lesion_id: str
    organ: str
    site: str
    target: bool
    nodal: bool
    longest_mm: float
    short_axis_mm: float | None

    @property
    def value_mm(self) -> float:
        """The RECIST 1.1 measurement: short axis for a node, else the longest diameter."""
        return self.short_axis_mm if self.nodal and self.short_axis_mm is not None \
            else self.longest_mm


_LIVER_SEGMENTS = ("segment 2", "segment 3", "segment 4", "segment 5", "segment 6",
                   "segment 7", "segment 8")
_NODES = ("portocaval lymph node", "hepatic hilar lymph node", "retroperitoneal lymph node",
          "paraaortic lymph node", "mediastinal lymph node")
#: Extrahepatic sites and how often each is involved when there is spread (assumptions in the
#: range of series of advanced HCC: lung and nodes most often, then bone, peritoneum, adrenal).
_SPREAD = (("lung", 0.50), ("lymph node", 0.40), ("bone", 0.25), ("peritoneum", 0.12),
           ("adrenal gland", 0.10))


def _mm(value: float) -> float:
    return float(round(value))


def _liver(stream: Stream, multinodular: bool) -> list[tuple[str, str, bool, float, float | None]]:
    n = stream.integer(2, 4) if multinodular else stream.pick((1, 2, 3), (0.45, 0.35, 0.20))
    segments = stream.sample(_LIVER_SEGMENTS, n)
    sizes = sorted((min(150.0, max(11.0, stream.lognormal(45 if i == 0 else 22, 0.45)))
                    for i in range(n)), reverse=True)
    return [("liver", f"liver {seg}", False, _mm(size), None)
            for seg, size in zip(segments, sizes, strict=True)]


def _spread(stream: Stream) -> list[tuple[str, str, bool, float, float | None]]:
    organs = [organ for organ, p in _SPREAD if stream.chance(p)] or ["lung"]
    found: list[tuple[str, str, bool, float, float | None]] = []
    for organ in organs:
        if organ == "lung":
            for i in range(stream.pick((1, 2, 3), (0.5, 0.3, 0.2))):
                side = stream.pick(("right", "left"), (0.55, 0.45))
                lobe = stream.pick(("upper", "middle", "lower"), (0.4, 0.2, 0.4)) \
                    if side == "right" else stream.pick(("upper", "lower"), (0.5, 0.5))
                size = max(6.0, stream.lognormal(16 if i == 0 else 9, 0.4))
                found.append(("lung", f"{side} {lobe} lobe lung", False, _mm(size), None))
        elif organ == "lymph node":
            for site in stream.sample(_NODES, stream.pick((1, 2), (0.6, 0.4))):
                short = max(11.0, stream.lognormal(19, 0.3))
                found.append(("lymph node", site, True, _mm(short * stream.uniform(1.2, 1.6)),
                              _mm(short)))
        elif organ == "bone":
            site = stream.pick(("thoracic vertebra", "lumbar vertebra", "rib", "pelvis"),
                               (0.3, 0.3, 0.2, 0.2))
            found.append(("bone", site, False, _mm(stream.uniform(12, 40)), None))
        else:
            found.append((organ, organ, False, _mm(max(10.0, stream.lognormal(20, 0.35))),
                          None))
    return found


def _measurable(organ: str, nodal: bool, longest: float, short: float | None) -> bool:
    # RECIST 1.1 section 3.1: 10 mm (15 mm short axis for a node); lytic bone lesions without
    # a measured soft-tissue component, and the tumour thrombus, are kept as non-targets here.
    if organ in ("bone", "portal vein"):
        return False
    return (short or 0.0) >= 15 if nodal else longest >= 10


def baseline_lesions(stream: Stream, *, bclc_b: bool, macrovascular_invasion: bool,
                     extrahepatic_spread: bool) -> tuple[BaselineLesion, ...]:
    """The lesions of a subject's baseline scan, targets first (largest first).

    >>> from numpy.random import default_rng
    >>> les = baseline_lesions(Stream(default_rng(5)), bclc_b=False,
    ...                        macrovascular_invasion=True, extrahepatic_spread=True)
    >>> les[0].lesion_id, les[0].organ, les[0].target, les[-1].target
    ('T1', 'liver', True, False)
    """
    found = _liver(stream, multinodular=bclc_b)
    if macrovascular_invasion:
        branch = stream.pick(("right branch", "left branch", "main trunk"), (0.45, 0.3, 0.25))
        found.append(("portal vein", f"portal vein {branch} tumour thrombus", False,
                      _mm(stream.uniform(10, 25)), None))
    if extrahepatic_spread:
        found += _spread(stream)
    per_organ: dict[str, int] = {}
    targets: list[tuple[str, str, bool, float, float | None]] = []
    others: list[tuple[str, str, bool, float, float | None]] = []
    ranked = sorted(found, key=lambda f: -(f[4] if f[2] and f[4] else f[3]))
    for item in ranked:
        organ, _, nodal, longest, short = item
        key = "lymph node" if nodal else organ
        if _measurable(organ, nodal, longest, short) and len(targets) < 5 \
                and per_organ.get(key, 0) < 2:
            per_organ[key] = per_organ.get(key, 0) + 1
            targets.append(item)
        else:
            others.append(item)
    lesions = [BaselineLesion(f"T{i}", o, s, True, n, lo, sh)
               for i, (o, s, n, lo, sh) in enumerate(targets, 1)]
    lesions += [BaselineLesion(f"NT{i}", o, s, False, n, lo, sh)
                for i, (o, s, n, lo, sh) in enumerate(others, 1)]
    return tuple(lesions)


#: How progression shows when it is seen (assumption): target growth, a new lesion, or
#: unequivocal progression of non-target disease.
_PD_MODES = (("target", 0.55), ("new", 0.35), ("non_target", 0.10))
_NEW_SITES = (("liver", 0.5), ("lung", 0.25), ("bone", 0.15), ("lymph node", 0.10))


@dataclass(slots=True)
class TumourCourse:
    """One subject's lesions through the study: add assessments in date order.

    ``rows`` are the lesion measurements (baseline first) and ``assessments`` the tumour
    assessments with their overall response, both ready for the study's records.
    """

    subject_id: str
    lesions: tuple[BaselineLesion, ...]
    baseline_on: date
    method: str
    rows: list[LesionMeasurement] = field(default_factory=list)
    assessments: list[TumourAssessment] = field(default_factory=list)
    _fraction: float = 1.0
    _nadir: float = 0.0
    _baseline_sum: float = 0.0

    def __post_init__(self) -> None:
        sid, on = self.subject_id, self.baseline_on
        for les in self.lesions:
            self.rows.append(LesionMeasurement(
                sid, les.lesion_id, on, les.value_mm if les.target else None,
                kind="target" if les.target else "non_target", organ=les.organ,
                nodal=les.nodal, method=self.method, status="" if les.target else "present"))
        self._baseline_sum = self._nadir = sum(les.value_mm for les in self.lesions
                                               if les.target)
        self.assessments.append(TumourAssessment(sid, on, None, baseline=True, visit="SCR"))

    @property
    def targets(self) -> tuple[BaselineLesion, ...]:
        """The target lesions."""
        return tuple(les for les in self.lesions if les.target)

    def assess(self, stream: Stream, on: date, intended: Response, visit: str) -> Response:
        """Measure every lesion on ``on`` so as to show ``intended`` (SD, PR, CR or PD), store
        the rows and the assessment, and return the overall response RECIST 1.1 gives."""
        mode = stream.pick([m for m, _ in _PD_MODES], [w for _, w in _PD_MODES]) \
            if intended is Response.PD else ""
        if mode == "non_target" and all(les.target for les in self.lesions):
            mode = "new"
        if intended is not Response.PD or mode == "target":
            shown = intended
        else:  # progression shows elsewhere: the targets keep their course
            shown = Response.PR if self._fraction <= 0.68 else Response.SD
        values, target = self._targets(stream, shown)
        cr = intended is Response.CR
        nt_status = "absent" if cr else "present"
        progressed = stream.integer(0, self._n_non_targets() - 1) if mode == "non_target" else -1
        new = mode == "new"
        sid = self.subject_id
        j = 0
        for les in self.lesions:
            if les.target:
                value = values[les.lesion_id]
                state = "disappeared" if value == 0 else "measured"
                self.rows.append(LesionMeasurement(
                    sid, les.lesion_id, on, value, kind="target", organ=les.organ,
                    nodal=les.nodal, method=self.method, state=state))
            else:
                status = "unequivocal_progression" if j == progressed else nt_status
                j += 1
                self.rows.append(LesionMeasurement(
                    sid, les.lesion_id, on, None, kind="non_target", organ=les.organ,
                    nodal=les.nodal, method=self.method, status=status))
        if new:
            organ = stream.pick([o for o, _ in _NEW_SITES], [w for _, w in _NEW_SITES])
            self.rows.append(LesionMeasurement(
                sid, "N1", on, _mm(stream.uniform(8, 25)), kind="new", organ=organ,
                nodal=organ == "lymph node", method=self.method, status="present"))
        non_target = None if self._n_non_targets() == 0 else (
            Response.PD if progressed >= 0 else Response.CR if cr else Response.NON_CR_NON_PD)
        overall = overall_response(target=target, non_target=non_target, new_lesion=new)
        self.assessments.append(TumourAssessment(sid, on, overall,
                                                 new_lesion_on=on if new else None, visit=visit))
        return overall

    def _n_non_targets(self) -> int:
        return sum(1 for les in self.lesions if not les.target)

    def _bounds(self, intended: Response) -> tuple[float, float]:
        """Fractions of the baseline sum the target sum may take to show ``intended``."""
        base, nadir = self._baseline_sum, self._nadir / self._baseline_sum
        below_pd = max(1.18 * nadir, nadir + 4.0 / base)
        if intended is Response.PD:
            low = max(1.22 * nadir, nadir + 6.0 / base)
            return low, low * 1.25
        if intended is Response.PR:
            return (0.25, min(0.66, below_pd)) if self._fraction <= 0.68 else (0.35, 0.66)
        return 0.74, min(1.35, below_pd)

    def _targets(self, stream: Stream, intended: Response) -> tuple[dict[str, float], Response]:
        """Target values that RECIST 1.1 reads as ``intended``, and the response it gives."""
        if intended is Response.CR:
            values = {les.lesion_id: (_mm(stream.uniform(5, 9)) if les.nodal else 0.0)
                      for les in self.targets}
            return values, self._read(values)
        low, high = self._bounds(intended)
        drift = stream.normal(-0.15 if intended is Response.PR else 0.02, 0.07)
        fraction = min(high, max(low, self._fraction * math.exp(drift)))
        if intended is Response.PD or (intended is Response.PR and self._fraction > 0.68):
            fraction = stream.uniform(low, high)
        noise = {les.lesion_id: math.exp(stream.normal(0.0, 0.04)) for les in self.targets}
        for attempt in range(4):
            values = {les.lesion_id: self._size(les, fraction * (noise[les.lesion_id]
                                                                  if attempt == 0 else 1.0))
                      for les in self.targets}
            got = self._read(values)
            if got is intended:
                break
            fraction = (low + high) / 2 if attempt < 2 else (low + 3 * high) / 4 \
                if intended is Response.PD else (3 * low + high) / 4
        self._fraction = sum(values.values()) / self._baseline_sum
        self._nadir = min(self._nadir, sum(values.values()))
        return values, got

    @staticmethod
    def _size(les: BaselineLesion, fraction: float) -> float:
        return max(_mm(les.value_mm * fraction), 5.0)

    def _read(self, values: dict[str, float]) -> Response:
        in_cr = all((values[les.lesion_id] < 10) if les.nodal else values[les.lesion_id] == 0
                    for les in self.targets)
        return target_response(baseline_sum_mm=self._baseline_sum, nadir_mm=self._nadir,
                                current_sum_mm=sum(values.values()), all_targets_in_cr=in_cr)
