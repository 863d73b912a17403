"""Settings read from ``ONCOTRIAL_*`` environment variables (and an optional ``.env`` file).

Build them once at start-up with :func:`load_settings` and pass them in; nothing in the package
creates settings at import time.

>>> s = load_settings(database_url="sqlite:///var/test.db")
>>> s.database_url
'sqlite:///var/test.db'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from oncotrial.errors import ConfigurationError

__all__ = ["Settings", "load_settings"]


class Settings(BaseSettings):
    """Everything the shell needs to start. Each field is an ``ONCOTRIAL_<NAME>`` variable."""

    model_config = SettingsConfigDict(
        env_prefix="ONCOTRIAL_", env_file=".env", extra="ignore", frozen=True
    )

    database_url: str = Field(
        default="sqlite:///var/oncotrial.db",
        description="SQLAlchemy URL of the trial database (SQLite file by default).",
    )
    protocol_file: Path | None = Field(
        default=None,
        description="Protocol YAML to load; the bundled NCT06478927 protocol when unset.",
    )
    host: str = Field(default="127.0.0.1", description="Address the web server listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port of the web server.")
    environment: str = Field(
        default="development", description="'development', 'test' or 'production'."
    )

    @field_validator("environment")
    @classmethod
    def _known_environment(cls, value: str) -> str:
        allowed = ("development", "test", "production")
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}, got {value!r}")
        return value

    @field_validator("protocol_file")
    @classmethod
    def _protocol_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no protocol file at {value}")
        return value


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment, with keyword overrides; raise a readable error.

    Raises:
        ConfigurationError: a variable has an unusable value; the message names it.
    """
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "ONCOTRIAL_" + str(first["loc"][0]).upper() if first["loc"] else "ONCOTRIAL_*"
        raise ConfigurationError(
            f"Setting {name} is not usable: {first['msg']}.",
            field=name,
            value=first.get("input"),
            hint=f"Set {name} to a valid value, or unset it to use the default.",
        ) from exc
