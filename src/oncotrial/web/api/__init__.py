"""The JSON API under ``/api/v1``: one module per resource, each with its ``router``.

:data:`router` includes the router of every module of this package, so a new resource is a
new module. Errors are RFC 9457 problem details (:mod:`oncotrial.web.problems`); unsafe
methods need the session's CSRF token in ``X-CSRF-Token``.
"""

from __future__ import annotations

import importlib
import pkgutil

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter(prefix="/api/v1")

for _name in sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")):
    _module = importlib.import_module(f"{__name__}.{_name}")
    if isinstance(getattr(_module, "router", None), APIRouter):
        router.include_router(_module.router)
