"""ECOG performance status (Oken et al., Am J Clin Oncol 1982;5:649-655)."""

from __future__ import annotations

from enum import IntEnum

from oncotrial.errors import Finding, InputError

__all__ = ["EcogStatus", "check_ecog", "parse_ecog"]


class EcogStatus(IntEnum):
    """ECOG performance status 0-5 (5 is dead)."""

    FULLY_ACTIVE = 0
    RESTRICTED_STRENUOUS = 1
    AMBULATORY_SELF_CARE = 2
    LIMITED_SELF_CARE = 3
    COMPLETELY_DISABLED = 4
    DEAD = 5


def parse_ecog(value: object) -> EcogStatus:
    """Return the ECOG performance status for ``value``, a whole number from 0 to 5.

    ECOG (Oken 1982) has six grades, 0 fully active to 5 dead; nothing in between. A string
    of digits is accepted ("1"); fractions, booleans and other values are refused.

    Raises:
        InputError: the value is not a whole number from 0 to 5.

    >>> parse_ecog(1), parse_ecog("2")
    (<EcogStatus.RESTRICTED_STRENUOUS: 1>, <EcogStatus.AMBULATORY_SELF_CARE: 2>)
    >>> parse_ecog(1.5)
    Traceback (most recent call last):
    ...
    oncotrial.errors.InputError: ECOG performance status 1.5 is not valid: ...
    """
    number: int | None = None
    if isinstance(value, EcogStatus):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    if number is None or not 0 <= number <= 5:
        raise InputError(
            f"ECOG performance status {value!r} is not valid: it must be a whole number "
            "from 0 to 5.",
            field="ecog",
            value=value,
            hint="Record the ECOG score the investigator assessed (0, 1, 2, 3, 4 or 5).",
        )
    return EcogStatus(number)


def check_ecog(value: object) -> list[Finding]:
    """Return findings about an ECOG value; an empty list when it is valid (never raises).

    >>> check_ecog(2)
    []
    >>> [finding.code for finding in check_ecog(7)]
    ['ecog.invalid']
    """
    try:
        parse_ecog(value)
    except InputError as error:
        return [Finding("ecog.invalid", "ecog", str(error))]
    return []
