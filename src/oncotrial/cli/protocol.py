"""``oncotrial protocol ...``: validate, show and review a protocol file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from oncotrial.protocol import (
    Protocol,
    list_provenance,
    load_bundled_protocol,
    load_protocol,
)

__all__ = ["print_protocol_summary", "register"]

SECTIONS = ("study", "sites", "design", "enrolment", "intervention", "standards", "screening",
            "criteria", "visits", "endpoints")

protocol_app = typer.Typer(help="Validate, show and review protocol files.", no_args_is_help=True)

FileArg = Annotated[
    Path | None,
    typer.Argument(help="Protocol YAML file; the bundled NCT06478927 protocol when omitted.",
                   show_default=False),
]


def _load(file: Path | None) -> Protocol:
    return load_bundled_protocol() if file is None else load_protocol(file)


@protocol_app.command("validate")
def validate(
    file: Annotated[Path, typer.Argument(help="Protocol YAML file to check.")],
) -> None:
    """Check a protocol file and report every problem at once (exit 2 when there are any)."""
    protocol = load_protocol(file)
    n_in, n_ex = len(protocol.criteria.inclusion), len(protocol.criteria.exclusion)
    typer.echo(
        f"{file}: valid. {protocol.study.registry_id}, {n_in} inclusion and {n_ex} exclusion "
        f"criteria, {len(protocol.visits)} visits, target enrolment {protocol.enrolment.target}."
    )


@protocol_app.command("show")
def show(
    file: FileArg = None,
    section: Annotated[
        str | None,
        typer.Option("--section", "-s", help=f"One section: {', '.join(SECTIONS)}."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Show a protocol (the bundled one by default), whole or one section."""
    protocol = _load(file)
    if section is not None and section not in SECTIONS:
        raise typer.BadParameter(f"unknown section {section!r}; choose from {', '.join(SECTIONS)}",
                                 param_hint="--section")
    if as_json:
        data: Any = protocol.model_dump(mode="json")
        typer.echo(json.dumps(data[section] if section else data, indent=2, ensure_ascii=False))
        return
    console = Console(highlight=False)
    if section in (None, "study", "design", "enrolment", "intervention", "standards"):
        print_protocol_summary(protocol, console)
    if section in (None, "criteria"):
        _print_criteria(protocol, console)
    if section in (None, "visits"):
        _print_visits(protocol, console)
    if section in (None, "endpoints"):
        _print_endpoints(protocol, console)
    if section in ("sites", "screening"):
        _print_model(getattr(protocol, section), console, section)


@protocol_app.command("assumptions")
def assumptions(
    file: FileArg = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List every assumption and clarification with its reason, for sponsor review."""
    protocol = _load(file)
    entries = list_provenance(protocol, sources=("assumption", "clarification"))
    if as_json:
        typer.echo(json.dumps([
            {"path": e.path, "value": _jsonable(e.value), **e.provenance.model_dump(mode="json")}
            for e in entries], indent=2, ensure_ascii=False))
        return
    table = Table(title=f"{protocol.study.registry_id}: assumptions and clarifications "
                        f"({len(entries)})", show_lines=False)
    for col in ("Field", "Value", "Source", "Note", "Reason", "Sponsor to confirm"):
        table.add_column(col, overflow="fold")
    for e in entries:
        table.add_row(e.path, _short(e.value), e.provenance.source, e.provenance.ref or "",
                      e.provenance.reason or "",
                      "yes" if e.provenance.needs_sponsor_confirmation else "")
    Console(highlight=False, width=200).print(table)


def print_protocol_summary(protocol: Protocol, console: Console) -> None:
    """Print the study, design, intervention and endpoint parameters in a few lines."""
    s, iv, sch = protocol.study, protocol.intervention, protocol.intervention.schedule
    site = protocol.sites[0]
    console.print(f"[bold]{s.registry_id}[/bold]: {s.title}")
    console.print(f"Sponsor {s.sponsor}; site {site.name}, {site.city}, {site.country}; "
                  f"{s.status.lower()}; phase {s.phase}"
                  + (f" (treated as {s.phase_treated_as})" if s.phase_treated_as else ""))
    console.print(f"Design: {protocol.design.allocation.replace('_', ' ')}, "
                  f"{protocol.design.masking.replace('_', ' ')}; target enrolment "
                  f"{protocol.enrolment.target}; ages {protocol.enrolment.min_age_years}-"
                  f"{protocol.enrolment.max_age_years}")
    levels = " -> ".join(f"{d:g}" for d in iv.dose_levels_mg())
    console.print(f"Intervention: {iv.drug} {iv.formulation}, {iv.route}, {iv.frequency}; "
                  f"dose levels {levels} mg; {sch.days_on} days on / {sch.days_off} off, "
                  f"{sch.cycle_length_days}-day cycles"
                  + ("; with food" if sch.take_with_food else ""))
    e = protocol.endpoints
    console.print(f"Endpoints: primary {e.pfs.name}; secondary {e.orr.name}, {e.dcr.name}, "
                  f"{e.os.name}, {e.adverse_events.name}")
    console.print(f"Rules: {protocol.standards.response_criteria}, {protocol.standards.ae_grading};"
                  f" origin {e.time_origin.replace('_', ' ')}; imaging every "
                  f"{e.assessment_interval_days} +/- {e.assessment_window_days} days; "
                  f"confirmation >= {e.orr.confirmation_min_days} days; SD >= "
                  f"{e.dcr.min_sd_days} days; TEAE window {e.adverse_events.teae_window_days} days")
    n = len(list_provenance(protocol, sources=("assumption", "clarification")))
    console.print(f"{n} values are assumptions or clarifications: "
                  "see 'oncotrial protocol assumptions'.")


def _print_criteria(protocol: Protocol, console: Console) -> None:
    table = Table(title="Eligibility criteria", show_lines=True)
    for col in ("Id", "Criterion", "Machine rule", "Notes"):
        table.add_column(col, overflow="fold")
    for c in protocol.criteria.all():
        table.add_row(c.id, c.text, c.rule.describe(), ", ".join(c.clarifications))
    console.print(table)


def _print_visits(protocol: Protocol, console: Console) -> None:
    table = Table(title="Visit schedule")
    for col in ("Code", "Visit", "Anchor", "Day", "Window", "Repeats"):
        table.add_column(col)
    for v in protocol.visits:
        table.add_row(v.code, v.name, v.anchor.replace("_", " "), str(v.day),
                      f"{v.window.start_day} to {v.window.end_day}",
                      f"every {v.repeat_every_days} d" if v.repeat_every_days else "")
    console.print(table)


def _print_endpoints(protocol: Protocol, console: Console) -> None:
    table = Table(title="Endpoints", show_lines=True)
    for col in ("Endpoint", "Role", "Definition"):
        table.add_column(col, overflow="fold")
    e = protocol.endpoints
    for ep in (e.pfs, e.orr, e.dcr, e.os, e.adverse_events):
        table.add_row(ep.name, ep.role, ep.definition)
    console.print(table)


def _print_model(value: Any, console: Console, title: str) -> None:
    items = value if isinstance(value, list) else [value]
    for item in items:
        table = Table(title=title)
        table.add_column("Field")
        table.add_column("Value", overflow="fold")
        for name in type(item).model_fields:
            if name != "sources":
                table.add_row(name, _short(getattr(item, name)))
        console.print(table)


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value if isinstance(value, str | int | float | bool | type(None)) else str(value)


def _short(value: Any) -> str:
    data = _jsonable(value)
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return text if len(text) <= 120 else text[:117] + "..."


def register(app: typer.Typer) -> None:
    """Add ``oncotrial protocol ...`` to the root command."""
    app.add_typer(protocol_app, name="protocol")


