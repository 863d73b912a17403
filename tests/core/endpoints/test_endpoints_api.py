"""The public API of oncotrial.endpoints: a sorted __all__ of documented names."""

from __future__ import annotations

import inspect

import oncotrial.endpoints as endpoints


def test_all_names_exist_once() -> None:
    """Every name in __all__ exists and appears once (ruff RUF022 keeps it sorted)."""
    names = endpoints.__all__
    assert len(names) == len(set(names))
    for name in names:
        assert hasattr(endpoints, name), name


def test_every_public_function_has_a_worked_example() -> None:
    """STYLE.md section 4: each public function's docstring has a doctest example."""
    for name in endpoints.__all__:
        obj = getattr(endpoints, name)
        if inspect.isfunction(obj):
            assert obj.__doc__ and ">>>" in obj.__doc__, name
        elif inspect.isclass(obj):
            assert obj.__doc__, name


def test_core_does_not_import_the_cli() -> None:
    """The core package never imports the shell (architecture rule)."""
    import sys

    assert "oncotrial.endpoints" in sys.modules
    source = "\n".join(inspect.getsource(m) for m in (
        endpoints.analysis, endpoints.exchange, endpoints.survival, endpoints.response,
        endpoints.sets, endpoints.model, endpoints.rules, endpoints.checks))
    assert "oncotrial.cli" not in source and "import typer" not in source
