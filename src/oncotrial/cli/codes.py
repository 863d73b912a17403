"""``oncotrial codes``: the catalogue of result codes, for translators and integrators."""

from __future__ import annotations

from typing import Annotated

import typer

from oncotrial.codes import describe, render_markdown, result_codes

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the ``codes`` command."""

    @app.command("codes")
    def codes(
        code: Annotated[str | None, typer.Argument(
            help="A result code to explain, e.g. E5.not_met.hbv_hcv_coinfection.")] = None,
        markdown: Annotated[bool, typer.Option(
            "--markdown", help="Print the catalogue as docs/result-codes.md.")] = False,
    ) -> None:
        """List every result code the platform emits, with its meaning, or explain one code."""
        if code is not None:
            entry = describe(code)
            typer.echo(f"{code}: {entry.meaning} ({entry.package}, pattern {entry.pattern})")
        elif markdown:
            typer.echo(render_markdown())
        else:
            for entry in result_codes():
                typer.echo(f"{entry.pattern}\t{entry.meaning}")
