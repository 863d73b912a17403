"""Settings come from ONCOTRIAL_* variables, are built on request, and refuse bad values."""

from __future__ import annotations

import pytest

from oncotrial.errors import ConfigurationError
from oncotrial.settings import load_settings


def test_defaults(monkeypatch) -> None:
    for name in ("ONCOTRIAL_DATABASE_URL", "ONCOTRIAL_PORT", "ONCOTRIAL_ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)
    s = load_settings()
    assert s.database_url == "sqlite:///var/oncotrial.db"
    assert (s.host, s.port) == ("127.0.0.1", 8000)


def test_environment_variables_are_read(monkeypatch) -> None:
    monkeypatch.setenv("ONCOTRIAL_PORT", "8123")
    assert load_settings().port == 8123


def test_bad_value_names_the_variable(monkeypatch) -> None:
    monkeypatch.setenv("ONCOTRIAL_PORT", "99999")
    with pytest.raises(ConfigurationError) as info:
        load_settings()
    assert info.value.field == "ONCOTRIAL_PORT"
    assert "ONCOTRIAL_PORT" in str(info.value)


def test_missing_protocol_file_is_refused(tmp_path) -> None:
    with pytest.raises(ConfigurationError, match="ONCOTRIAL_PROTOCOL_FILE"):
        load_settings(protocol_file=tmp_path / "nope.yaml")


def test_settings_module_builds_nothing_at_import() -> None:
    import oncotrial.settings as module

    assert not any(isinstance(v, module.Settings) for v in vars(module).values())
