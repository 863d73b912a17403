"""docs/cli.md is the commands' own --help, regenerated; it fails here when out of date."""

from __future__ import annotations

from pathlib import Path

from oncotrial.cli._docs import render_cli_reference

DOC = Path(__file__).parents[2] / "docs" / "cli.md"


def test_cli_reference_is_current() -> None:
    """Regenerate with: python -m oncotrial.cli._docs > docs/cli.md"""
    assert DOC.read_text(encoding="utf-8").rstrip("\n") == render_cli_reference().rstrip("\n"), (
        "docs/cli.md is out of date: run 'python -m oncotrial.cli._docs > docs/cli.md'")


def test_every_command_is_in_the_reference() -> None:
    text = render_cli_reference()
    for command in ("oncotrial run", "oncotrial screen", "oncotrial analyze",
                    "oncotrial protocol validate", "oncotrial protocol show",
                    "oncotrial protocol assumptions", "oncotrial ctcae import",
                    "oncotrial design simon", "oncotrial design report"):
        assert f"## `{command}`" in text
