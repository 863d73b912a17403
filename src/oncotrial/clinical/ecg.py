"""QT correction for heart rate: Bazett (Heart 1920;7:353-370) and Fridericia (Acta Med Scand
1920;53:469-486).

RR (s) = 60 / heart rate (bpm). Bazett: QTc = QT / sqrt(RR). Fridericia: QTc = QT / cbrt(RR).
At 60 bpm (RR 1 s) both equal QT. When several ECGs are given (triplicates), each is corrected
and the mean QTc is returned (protocol note PN-30, ``docs/protocol-notes.md#pn-30``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from oncotrial.clinical.units import check_plausible
from oncotrial.errors import InputError

__all__ = ["bazett_formula", "fridericia_formula", "qtc_bazett", "qtc_fridericia"]


def bazett_formula(qt_ms: float, heart_rate_bpm: float) -> float:
    """Bazett on one checked tracing: QT / sqrt(60 / HR), in ms (no validation).

    >>> bazett_formula(400, 60)
    400.0
    """
    return qt_ms / math.sqrt(60.0 / heart_rate_bpm)


def fridericia_formula(qt_ms: float, heart_rate_bpm: float) -> float:
    """Fridericia on one checked tracing: QT / cbrt(60 / HR), in ms (no validation).

    >>> fridericia_formula(400, 60)
    400.0
    """
    return qt_ms / math.cbrt(60.0 / heart_rate_bpm)


def _pairs(
    qt_ms: float | Sequence[float], heart_rate_bpm: float | Sequence[float]
) -> list[tuple[float, float]]:
    qts = [float(qt_ms)] if isinstance(qt_ms, int | float) else [float(q) for q in qt_ms]
    hrs = ([float(heart_rate_bpm)] if isinstance(heart_rate_bpm, int | float)
           else [float(h) for h in heart_rate_bpm])
    if not qts or len(qts) != len(hrs):
        raise InputError(
            f"QTc needs one heart rate per QT interval, but got {len(qts)} QT value(s) and "
            f"{len(hrs)} heart rate(s).",
            field="qt_ms",
            value=qt_ms,
            hint="Give the QT and heart rate of each ECG, in the same order.",
        )
    for qt, hr in zip(qts, hrs, strict=True):
        check_plausible("qt", qt, "ms")
        check_plausible("heart_rate", hr, "bpm")
    return list(zip(qts, hrs, strict=True))


def qtc_bazett(*, qt_ms: float | Sequence[float], heart_rate_bpm: float | Sequence[float]) -> float:
    """Correct QT by Bazett (1920): QTc = QT / sqrt(60 / HR), in ms; mean over several ECGs.

    Raises:
        InputError: the QT and heart-rate lists differ in length, or a value is impossible.

    Example: QT 400 ms at 60 bpm stays 400; at 100 bpm (RR 0.6 s) it is 400 / 0.7746 = 516.4:

    >>> qtc_bazett(qt_ms=400, heart_rate_bpm=60)
    400.0
    >>> round(qtc_bazett(qt_ms=400, heart_rate_bpm=100), 1)
    516.4
    """
    values = [bazett_formula(qt, hr) for qt, hr in _pairs(qt_ms, heart_rate_bpm)]
    return sum(values) / len(values)


def qtc_fridericia(
    *, qt_ms: float | Sequence[float], heart_rate_bpm: float | Sequence[float]
) -> float:
    """Correct QT by Fridericia (1920): QTc = QT / cbrt(60 / HR), in ms; mean over several ECGs.

    Fridericia is the formula the platform uses for eligibility (PN-30).

    Raises:
        InputError: the QT and heart-rate lists differ in length, or a value is impossible.

    Example: QT 400 ms at 100 bpm (RR 0.6 s) is 400 / 0.8434 = 474.3; the mean of a triplicate:

    >>> round(qtc_fridericia(qt_ms=400, heart_rate_bpm=100), 1)
    474.3
    >>> qtc_fridericia(qt_ms=[410, 420, 430], heart_rate_bpm=[60, 60, 60])
    420.0
    """
    values = [fridericia_formula(qt, hr) for qt, hr in _pairs(qt_ms, heart_rate_bpm)]
    return sum(values) / len(values)
