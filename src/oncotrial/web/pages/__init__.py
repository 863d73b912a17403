"""The server-rendered pages: one module per page, each with its ``router``.

:func:`routers` finds every module of this package, so a new page is a new module (and its
template), with no list to edit.
"""

from __future__ import annotations

import importlib
import pkgutil

from fastapi import APIRouter

__all__ = ["routers"]


def routers() -> list[APIRouter]:
    """The router of every page module, in module-name order (``auth`` first)."""
    found = []
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
    for name in sorted(names, key=lambda n: (n != "auth", n)):
        module = importlib.import_module(f"{__name__}.{name}")
        router = getattr(module, "router", None)
        if isinstance(router, APIRouter):
            found.append(router)
    return found
