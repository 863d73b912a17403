"""The web application (shell): server-rendered pages and the JSON API ``/api/v1``.

See :mod:`oncotrial.web.app` and ``docs/web.md``.
"""

from __future__ import annotations

from oncotrial.web.app import app_from_settings, create_app

__all__ = ["app_from_settings", "create_app"]
