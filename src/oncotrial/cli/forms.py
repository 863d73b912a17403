"""``oncotrial forms ...``: validate a case report forms file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oncotrial.errors import ProtocolError
from oncotrial.forms import FormSet, load_forms, protocol_path_for
from oncotrial.protocol import Protocol, load_protocol

__all__ = ["register"]

forms_app = typer.Typer(help="Validate case report forms files.", no_args_is_help=True)


@forms_app.command("validate")
def validate(
    file: Annotated[Path, typer.Argument(help="Forms YAML file to check (NAME.forms.yaml).")],
    protocol_file: Annotated[
        Path | None,
        typer.Option("--protocol", "-p",
                     help="Protocol file to check the forms against; default: NAME.yaml beside "
                          "FILE, when there is one."),
    ] = None,
) -> None:
    """Check a forms file and report every problem at once.

    Prints OK with the number of forms and items, or every problem with its place in the file,
    what is wrong and how to fix it (exit 1). A protocol file that does not load is exit 2.
    """
    protocol = _protocol(file, protocol_file)
    try:
        forms = load_forms(file, protocol)
    except ProtocolError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(_summary(file, forms, protocol))


def _protocol(file: Path, given: Path | None) -> Protocol | None:
    if given is not None:
        return load_protocol(given)
    beside = protocol_path_for(file)
    return load_protocol(beside) if beside != file and beside.is_file() else None


def _summary(file: Path, forms: FormSet, protocol: Protocol | None) -> str:
    groups = sum(len(form.groups()) for form in forms.forms)
    checks = sum(len(form.checks) for form in forms.forms)
    against = (f"checked against protocol {protocol.study.registry_id}" if protocol is not None
               else "not checked against a protocol (give --protocol)")
    return (f"OK {file}: {len(forms.forms)} forms, {forms.item_count()} items, {groups} "
            f"repeating groups, {checks} checks, {len(forms.code_lists)} code lists; form set "
            f"{forms.version} for {forms.protocol}, {against}.")


def register(app: typer.Typer) -> None:
    """Add ``oncotrial forms ...`` to the root command."""
    app.add_typer(forms_app, name="forms")
