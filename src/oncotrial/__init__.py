"""oncotrial: run a single-arm oncology trial from first screening to the final report.

The package is a functional core (``protocol``, ``clinical``, ``eligibility``, ``recist``,
``ctcae``, ``dosing``, ``endpoints``, ``stats``, ``design``: pure functions and dataclasses,
no I/O) inside a thin shell (``cli`` and, later, storage, web, reports and interop).
Imports point inward only: the shell may import the core, never the reverse.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("oncotrial")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
