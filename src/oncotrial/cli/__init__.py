"""The ``oncotrial`` command line (Typer, with Rich output).

Each command group lives in its own module of this package and exposes ``register(app)``;
:func:`build_app` collects them in name order, so a new capability adds a module here and
touches nothing else. Commands are thin: they parse arguments, call the core or the services,
and print. Errors a user can fix (:class:`oncotrial.errors.OncotrialError`) are printed as
plain sentences with exit code 2, never as tracebacks.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from typing import Annotated

import typer
from rich.console import Console

from oncotrial import __version__
from oncotrial.errors import OncotrialError

__all__ = ["build_app", "main"]

err_console = Console(stderr=True, highlight=False)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"oncotrial {__version__}")
        raise typer.Exit()


def build_app() -> typer.Typer:
    """Make the Typer application with every command module of this package registered."""
    app = typer.Typer(
        name="oncotrial",
        help="Run a single-arm oncology trial from first screening to the final report.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )

    @app.callback()
    def _root(
        version: Annotated[
            bool,
            typer.Option(
                "--version", callback=_version, is_eager=True, help="Print the version and exit."
            ),
        ] = False,
    ) -> None:
        """Run a single-arm oncology trial from first screening to the final report."""

    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if callable(register):
            register(app)
    return app


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``oncotrial`` console script.

    Exit codes: 0 success; 1 a negative result the command documents (for example "not
    eligible"); 2 a usage error or a problem the user can fix (the message says how).
    """
    app = build_app()
    try:
        app(args=argv, prog_name="oncotrial")
    except OncotrialError as exc:
        err_console.print(f"Error: {exc}", markup=False, soft_wrap=True)
        sys.exit(2)
