"""Errors raised by :mod:`oncotrial.design`, and the argument checks that raise them.

Tree (inside the project's tree in :mod:`oncotrial.errors`)::

    OncotrialError
    +-- InputError (ValueError)
    |   +-- DesignInputError        a design argument is out of range (rate, alpha, n ...)
    +-- DesignNotFoundError         no design meets the error rates within the size limit

Every message says what was checked, the rule, the value and the fix.
"""

from __future__ import annotations

import math

from oncotrial.errors import InputError, OncotrialError

__all__ = ["DesignInputError", "DesignNotFoundError"]


class DesignInputError(InputError):
    """A design argument is outside its allowed range; nothing was computed."""


class DesignNotFoundError(OncotrialError):
    """No design meets the requested error rates within the maximum sample size."""


def check_rate(name: str, value: float, *, low_open: bool = True, high_open: bool = True) -> float:
    """Check that ``value`` is a probability strictly inside (0, 1) unless an end is allowed.

    >>> check_rate("p0", 0.05)
    0.05
    """
    number = float(value)
    ok = math.isfinite(number)
    ok = ok and (number > 0.0 if low_open else number >= 0.0)
    ok = ok and (number < 1.0 if high_open else number <= 1.0)
    if not ok:
        low = "(0" if low_open else "[0"
        high = "1)" if high_open else "1]"
        raise DesignInputError(
            f"{name} was {value!r}. It is a probability and must lie in {low}, {high}.",
            field=name,
            value=value,
            hint=f"Give {name} as a proportion, for example 0.05 for 5 %.",
        )
    return number


def check_positive(name: str, value: float, *, unit: str = "") -> float:
    """Check that ``value`` is a finite number above zero.

    >>> check_positive("median0", 2.0, unit="months")
    2.0
    """
    number = float(value)
    if not (math.isfinite(number) and number > 0.0):
        suffix = f" {unit}" if unit else ""
        raise DesignInputError(
            f"{name} was {value!r}{suffix}. It must be a number above zero.",
            field=name,
            value=value,
            hint=f"Enter {name} as a positive number{(' in ' + unit) if unit else ''}.",
        )
    return number


def check_count(name: str, value: int, *, minimum: int = 1, maximum: int | None = None) -> int:
    """Check that ``value`` is a whole number in ``[minimum, maximum]``.

    >>> check_count("n", 22)
    22
    """
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise DesignInputError(
            f"{name} was {value!r}. It must be a whole number.",
            field=name,
            value=value,
            hint=f"Enter {name} as a count of patients, for example 22.",
        )
    count = int(value)
    if count < minimum or (maximum is not None and count > maximum):
        allowed = f"at least {minimum}" if maximum is None else f"from {minimum} to {maximum}"
        raise DesignInputError(
            f"{name} was {count}. It must be {allowed}.",
            field=name,
            value=value,
            hint=f"Choose {name} {allowed}.",
        )
    return count


def check_order(p0: float, p1: float) -> None:
    """Check that the alternative rate ``p1`` is above the null rate ``p0``.

    >>> check_order(0.05, 0.25)
    """
    if not p1 > p0:
        raise DesignInputError(
            f"p1 was {p1} and p0 was {p0}. The designs here test H0: p <= p0 against "
            "H1: p >= p1, so p1 must be above p0.",
            field="p1",
            value=p1,
            hint="Set p1 to the response rate that would make the drug worth pursuing.",
        )
