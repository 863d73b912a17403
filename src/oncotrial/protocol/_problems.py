"""Build pydantic errors that carry a fix, so every protocol problem says how to mend it."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from pydantic_core import PydanticCustomError

__all__ = ["closest", "problem"]


def problem(message: str, hint: str = "") -> PydanticCustomError:
    """A validation error whose context carries a hint; the loader prints both."""
    return PydanticCustomError("protocol", "{message}", {"message": message, "hint": hint})


def closest(name: str, candidates: Iterable[str]) -> str:
    """A 'Did you mean ...?' sentence, or a list of what is allowed when nothing is close.

    >>> closest("anc_count", ["anc", "alt", "ast"])
    "Did you mean 'anc'?"
    """
    options = sorted(candidates)
    match = difflib.get_close_matches(name, options, n=1, cutoff=0.5)
    if match:
        return f"Did you mean {match[0]!r}?"
    shown = ", ".join(options[:12]) + (", ..." if len(options) > 12 else "")
    return f"Allowed: {shown}."
