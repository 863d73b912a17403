"""A view from the shared lesion records to the evaluation inputs.

:class:`oncotrial.records.LesionMeasurement` is the one record of a lesion measured at one
assessment: what the store keeps and every package reads. :func:`evaluate` takes baseline
:class:`Lesion` values and per-date :class:`Assessment` values; :func:`inputs_from_measurements`
turns one subject's rows into those, so ``evaluate(*inputs_from_measurements(rows))`` derives
the time-point responses straight from the records.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from oncotrial.errors import InputError, UnknownTermError
from oncotrial.recist._lesions import Lesion, Method
from oncotrial.recist._response import NewLesionStatus, NonTargetStatus
from oncotrial.recist._timepoint import (
    Assessment,
    MeasurementState,
    TargetMeasurement,
    TargetValue,
)
from oncotrial.records import LesionMeasurement

__all__ = ["inputs_from_measurements"]

_KINDS = ("target", "non_target", "new")
_STATES = ("measured", "too_small", "disappeared", "not_evaluable", "split", "merged")


def _norm(text: str) -> str:
    return text.strip().lower().replace("-", "_").replace(" ", "_")


def _check_row(row: LesionMeasurement) -> tuple[str, str]:
    """The row's kind and state, normalised; unknown ones are refused with the row named."""
    kind, state = _norm(row.kind), _norm(row.state or "measured")
    if kind not in _KINDS:
        raise UnknownTermError(
            "lesion_kind", row.kind, list(_KINDS),
            message=f"Lesion {row.lesion_id} of subject {row.subject_id} on "
                    f"{row.measured_on.isoformat()} has kind {row.kind!r}, which is not a "
                    "RECIST lesion kind (target, non_target or new).",
            hint="Record the lesion as target, non_target or new.")
    if state not in _STATES:
        raise UnknownTermError(
            "lesion_state", row.state, list(_STATES),
            message=f"Lesion {row.lesion_id} of subject {row.subject_id} on "
                    f"{row.measured_on.isoformat()} has state {row.state!r}, which is not a "
                    "measurement state.",
            hint="Use measured, too_small, disappeared, not_evaluable, split or merged.")
    return kind, state


def _baseline_lesion(row: LesionMeasurement, kind: str) -> Lesion:
    if kind == "new":
        raise InputError(
            f"Lesion {row.lesion_id} of subject {row.subject_id} is recorded as new at the "
            f"baseline assessment ({row.measured_on.isoformat()}). Baseline lesions are "
            "targets or non-targets; new lesions appear only at follow-up.",
            field="kind", value=row.kind,
            hint="Record it as a target or non-target lesion, or correct the date.")
    return Lesion(row.lesion_id, row.organ, row.diameter_mm, row.measured_on,
                  nodal=row.nodal, target=kind == "target", method=Method.parse(row.method))


def _target_value(rows: Sequence[LesionMeasurement], state: str) -> TargetValue:
    """One target's follow-up value from its row (or its fragments' rows when it split)."""
    row = rows[0]
    if state == "split":
        return TargetMeasurement(fragments_mm=tuple(_diameter(r) for r in rows))
    if len(rows) > 1:
        raise InputError(
            f"Target {row.lesion_id} of subject {row.subject_id} has {len(rows)} rows on "
            f"{row.measured_on.isoformat()}. A target has one measurement per assessment; "
            "the fragments of a split lesion are rows with state split.",
            field="lesion_id", value=row.lesion_id,
            hint="Remove the duplicate, or record the fragments with state split.")
    if state == "too_small":
        return MeasurementState.TOO_SMALL
    if state in ("disappeared", "merged"):
        # A coalesced lesion counts 0 mm; the target it merged into carries the whole mass.
        return MeasurementState.DISAPPEARED
    if state == "not_evaluable":
        return MeasurementState.NOT_EVALUATED
    return _diameter(row)


def _diameter(row: LesionMeasurement) -> float:
    if row.diameter_mm is None:
        raise InputError(
            f"Target {row.lesion_id} of subject {row.subject_id} on "
            f"{row.measured_on.isoformat()} is recorded as measured but has no diameter.",
            field="diameter_mm", value=None,
            hint="Enter the diameter in mm, or set the state (too_small, disappeared, "
                 "not_evaluable).")
    return row.diameter_mm


def _non_target_status(row: LesionMeasurement, state: str) -> NonTargetStatus | str:
    if state == "not_evaluable":
        return NonTargetStatus.NOT_EVALUATED
    if not row.status:
        return NonTargetStatus.ABSENT if state == "disappeared" else NonTargetStatus.PRESENT
    return NonTargetStatus.parse(row.status)


def _new_status(row: LesionMeasurement) -> NewLesionStatus:
    status = _norm(row.status)
    if status in ("", "present", "unequivocal_progression", "progression"):
        return NewLesionStatus.YES
    if status == "absent":
        return NewLesionStatus.NO
    return NewLesionStatus.parse(status)


def _assessment(when: dt.date, rows: Sequence[LesionMeasurement]) -> Assessment:
    """One follow-up assessment from the rows of one date."""
    by_target: dict[str, list[LesionMeasurement]] = defaultdict(list)
    states: dict[str, str] = {}
    non_targets: dict[str, NonTargetStatus | str] = {}
    new: dict[str, NewLesionStatus] = {}
    for row in rows:
        kind, state = _check_row(row)
        if kind == "target":
            by_target[row.lesion_id].append(row)
            if states.get(row.lesion_id) != "split":
                states[row.lesion_id] = state
        elif kind == "non_target":
            non_targets[row.lesion_id] = _non_target_status(row, state)
        else:
            new[row.lesion_id] = _new_status(row)
    targets = {tid: _target_value(group, states[tid]) for tid, group in by_target.items()}
    return Assessment(when, targets, non_targets, new or None)


def inputs_from_measurements(
    measurements: Iterable[LesionMeasurement],
    *,
    baseline_on: dt.date | None = None,
) -> tuple[tuple[Lesion, ...], tuple[Assessment, ...]]:
    """One subject's lesion records as the inputs of :func:`evaluate`.

    * Baseline: rows measured on or before ``baseline_on`` (default: the earliest date in the
      rows) are the baseline lesions; ``kind`` ``"target"`` rows are targets, ``"non_target"``
      rows non-targets (RECIST 1.1 section 4.2).
    * Follow-up: the rows of each later date are one :class:`Assessment`. A target's
      ``state`` ``"too_small"`` counts 5 mm, ``"disappeared"`` and ``"merged"`` 0 mm (the
      target it coalesced into carries the mass), ``"not_evaluable"`` is not evaluated, and
      rows with ``"split"`` are the fragments of one target, summed (RECIST 1.1 section 4.3,
      special notes). A target without a row that day was not evaluated.
    * A non-target's ``status`` (``present``, ``absent``, ``unequivocal_progression``) is
      read as :class:`NonTargetStatus`; a new lesion's (``equivocal``, or empty for an
      unequivocal one) as :class:`NewLesionStatus`, by lesion id so that a confirmed
      equivocal lesion back-dates PD.

    The records carry no slice thickness, lesion kind (effusion, thrombus), arterial
    enhancement or previous local therapy; build :class:`Lesion` values directly when an
    evaluation needs them (mRECIST).

    Raises:
        InputError: no rows, rows of more than one subject, a new lesion at baseline, a
            measured target without a diameter, two rows of one target on one date, or a
            status that is not a RECIST status.
        UnknownTermError: a kind, state or method that is not a RECIST term.

    >>> from oncotrial.records import LesionMeasurement as M
    >>> b, v = dt.date(2025, 2, 20), dt.date(2025, 4, 26)
    >>> rows = [M("S1", "T1", b, 40.0, organ="liver"), M("S1", "T2", b, 20.0, organ="lung"),
    ...         M("S1", "T1", v, 30.0), M("S1", "T2", v, None, state="too_small")]
    >>> lesions, visits = inputs_from_measurements(rows)
    >>> [(les.lesion_id, les.diameter_mm) for les in lesions], dict(visits[0].targets)
    ([('T1', 40.0), ('T2', 20.0)], {'T1': 30.0, 'T2': <MeasurementState.TOO_SMALL: 'TOO_SMALL'>})
    """
    rows = sorted(measurements, key=lambda r: (r.measured_on, r.lesion_id))
    if not rows:
        raise InputError("No lesion measurements were given. Response needs baseline "
                         "lesions.", field="measurements", value=None,
                         hint="Record the baseline lesions.")
    subjects = sorted({row.subject_id for row in rows})
    if len(subjects) > 1:
        raise InputError(
            f"The lesion measurements belong to {len(subjects)} subjects "
            f"({', '.join(subjects)}). Response is derived one subject at a time.",
            field="subject_id", value=subjects,
            hint="Group the rows by subject_id and call this once per subject.")
    cut = rows[0].measured_on if baseline_on is None else baseline_on
    baseline = tuple(_baseline_lesion(row, _check_row(row)[0])
                     for row in rows if row.measured_on <= cut)
    by_date: dict[dt.date, list[LesionMeasurement]] = defaultdict(list)
    for row in rows:
        if row.measured_on > cut:
            by_date[row.measured_on].append(row)
    return baseline, tuple(_assessment(when, group) for when, group in sorted(by_date.items()))
