"""The one error tree (docs/architecture.md): walked here over every module of the package."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import oncotrial
from oncotrial.errors import (
    ConfigurationError,
    ImplausibleValueError,
    InputError,
    OncotrialError,
    ProtocolError,
    UnitError,
    UnknownTermError,
)

SRC = Path(oncotrial.__file__).parent


def _all_subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_all_subclasses(sub)}
    return found


def _import_everything() -> None:
    for info in pkgutil.walk_packages(oncotrial.__path__, "oncotrial."):
        # Alembic's migration scripts run only inside Alembic.
        if info.name.endswith("__main__") or ".migrations" in info.name:
            continue
        importlib.import_module(info.name)


def test_every_error_of_the_package_is_an_oncotrial_error_and_input_errors_are_value_errors(
) -> None:
    """Walk the tree: each exception class defined in oncotrial descends from OncotrialError,
    and every InputError (the ones pydantic must turn into field errors) is a ValueError."""
    _import_everything()
    ours = {c for c in _all_subclasses(Exception) if c.__module__.startswith("oncotrial")}
    assert ours, "no exception classes found"
    assert {c for c in ours if not issubclass(c, OncotrialError)} == set()
    for cls in _all_subclasses(InputError) | {InputError}:
        assert issubclass(cls, ValueError), cls
    assert {UnitError, ImplausibleValueError, UnknownTermError} <= _all_subclasses(InputError)
    assert issubclass(UnknownTermError, LookupError)
    assert not issubclass(ConfigurationError, InputError)
    assert not issubclass(ProtocolError, InputError)


def test_one_unknown_term_error() -> None:
    """No package defines a second "unknown term" error: every such class is UnknownTermError."""
    _import_everything()
    unknown = {c for c in _all_subclasses(Exception)
               if c.__module__.startswith("oncotrial") and "Unknown" in c.__name__}
    assert unknown == {UnknownTermError}


def _raises(path: Path) -> list[tuple[int, str]]:
    """(line, class name) of each ``raise``; a ConfigurationError that names an ``ONCOTRIAL_*``
    setting in ``field=`` is reported as ``ConfigurationError(setting)``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Raise) and node.exc is not None:
            call = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(call, ast.Name):
                name = call.id
                keywords = node.exc.keywords if isinstance(node.exc, ast.Call) else []
                if any(k.arg == "field" and isinstance(k.value, ast.Constant)
                       and str(k.value.value).startswith("ONCOTRIAL_") for k in keywords):
                    name += "(setting)"
                found.append((node.lineno, name))
    return found


def test_nothing_raises_a_bare_key_error() -> None:
    bad = [f"{p.relative_to(SRC)}:{line}" for p in sorted(SRC.rglob("*.py"))
           for line, name in _raises(p) if name == "KeyError"]
    assert bad == []


def test_configuration_error_is_raised_for_settings_only() -> None:
    """ConfigurationError means an ONCOTRIAL_* setting is unusable: raised by the settings, or
    naming the setting in ``field=`` (the database URL, say); protocol values that are wrong
    are ProtocolError or InputError."""
    bad = [f"{p.relative_to(SRC)}:{line}" for p in sorted(SRC.rglob("*.py"))
           for line, name in _raises(p) if name == "ConfigurationError"
           and p.name != "settings.py"]
    assert bad == []


def test_input_error_becomes_a_pydantic_field_error() -> None:
    """Raised inside a validator, an InputError is reported by pydantic against the field."""
    import pydantic

    class Form(pydantic.BaseModel):
        anc: float

        @pydantic.field_validator("anc")
        @classmethod
        def _check(cls, value: float) -> float:
            if value < 0:
                raise InputError(f"ANC {value} is below 0.", field="anc", value=value)
            return value

    try:
        Form(anc=-1)
    except pydantic.ValidationError as exc:
        (error,) = exc.errors()
        assert error["loc"] == ("anc",) and "ANC -1.0 is below 0." in error["msg"]
    else:  # pragma: no cover - the assertion is the point
        raise AssertionError("pydantic did not report the InputError")
