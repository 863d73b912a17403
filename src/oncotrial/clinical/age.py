"""Age in completed years on a reference date (PN-16: the date of informed consent)."""

from __future__ import annotations

from datetime import date

from oncotrial.errors import InputError

__all__ = ["age_in_years"]


def age_in_years(birth_date: date, on: date) -> int:
    """Return the age in completed years on ``on``.

    The rule: years between the dates, minus one if the birthday has not yet come in the year
    of ``on``. Someone born on 29 February turns a year older on 1 March in a common year.

    Raises:
        InputError: ``on`` is before ``birth_date``.

    >>> age_in_years(date(1951, 3, 2), on=date(2026, 3, 2))
    75
    >>> age_in_years(date(1951, 3, 3), on=date(2026, 3, 2))
    74
    """
    if on < birth_date:
        raise InputError(
            f"Age cannot be computed: the reference date {on.isoformat()} is before the date "
            f"of birth {birth_date.isoformat()}.",
            field="birth_date",
            value=birth_date.isoformat(),
            hint="Check the date of birth and the reference date.",
        )
    before_birthday = (on.month, on.day) < (birth_date.month, birth_date.day)
    return on.year - birth_date.year - (1 if before_birthday else 0)
