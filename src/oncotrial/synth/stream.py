"""A fast stream of random numbers for the per-subject loop (shell).

The generator's per-subject loop asks for thousands of single random numbers; a NumPy call per
number costs microseconds, so :class:`Stream` draws them in blocks from one
:class:`numpy.random.Generator` and hands them out one at a time. Same seed, same numbers, in
the same order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypeVar

import numpy as np

__all__ = ["Stream"]

T = TypeVar("T")

_BLOCK = 1 << 16


class Stream:
    """Uniform, normal, integer and weighted draws, one at a time, from a seeded generator.

    >>> s = Stream(np.random.default_rng(7))
    >>> 0 <= s.u() < 1, s.integer(3, 3), s.pick(("a",), (1.0,))
    (True, 3, 'a')
    """

    __slots__ = ("_i", "_j", "_normals", "_rng", "_uniforms")

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._uniforms: list[float] = []
        self._normals: list[float] = []
        self._i = self._j = 0

    def u(self) -> float:
        """A uniform number in [0, 1)."""
        if self._i >= len(self._uniforms):
            self._uniforms = self._rng.random(_BLOCK).tolist()
            self._i = 0
        self._i += 1
        return self._uniforms[self._i - 1]

    def normal(self, mean: float = 0.0, sd: float = 1.0) -> float:
        """A normal number."""
        if self._j >= len(self._normals):
            self._normals = self._rng.standard_normal(_BLOCK).tolist()
            self._j = 0
        self._j += 1
        return mean + sd * self._normals[self._j - 1]

    def chance(self, p: float) -> bool:
        """True with probability ``p``."""
        return self.u() < p

    def integer(self, low: int, high: int) -> int:
        """A whole number from ``low`` to ``high`` inclusive, each equally likely."""
        return low + min(int(self.u() * (high - low + 1)), high - low)

    def uniform(self, low: float, high: float) -> float:
        """A uniform number in [low, high)."""
        return low + (high - low) * self.u()

    def exponential(self, mean: float) -> float:
        """An exponential number with this mean."""
        return -mean * math.log1p(-self.u())

    def lognormal(self, median: float, sd_log: float) -> float:
        """A log-normal number with this median and standard deviation of the log."""
        return median * math.exp(self.normal(0.0, sd_log))

    def pick(self, items: Sequence[T], weights: Sequence[float]) -> T:
        """One of ``items``, with the given weights (need not add up to 1)."""
        total = sum(weights)
        x = self.u() * total
        for item, weight in zip(items, weights, strict=True):
            x -= weight
            if x < 0:
                return item
        return items[-1]

    def sample(self, items: Sequence[T], k: int) -> list[T]:
        """``k`` different items, in random order."""
        pool = list(items)
        out: list[T] = []
        for _ in range(min(k, len(pool))):
            out.append(pool.pop(self.integer(0, len(pool) - 1)))
        return out
