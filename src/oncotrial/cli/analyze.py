"""``oncotrial analyze``: the endpoint table of a data set in the exchange format.

Thin: reads the domain files of a folder (``docs/exchange-format.md``), calls
:func:`oncotrial.endpoints.analyze_endpoints` and prints the result with Rich, or as JSON.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from oncotrial.endpoints import (
    NE_CATEGORIES,
    Dataset,
    EndpointAnalysis,
    EndpointRules,
    TimeToEventSummary,
    analyze_endpoints,
    check_dataset,
    example_files,
    parse_exchange,
)
from oncotrial.errors import InputError
from oncotrial.protocol import load_bundled_protocol, load_protocol
from oncotrial.records import months
from oncotrial.study import STUDY_DOMAINS

#: Domains of a whole study that the endpoints do not read (the screening log is JSON only).
STUDY_ONLY = frozenset({d.name for d in STUDY_DOMAINS} | {"screening"})

__all__ = ["register"]


def _read_folder(folder: Path) -> dict[str, str]:
    if not folder.is_dir():
        raise InputError(
            f"{folder} is not a folder. DATA must be a folder holding one file per domain "
            "(subjects.csv, tumour_assessments.csv, ...).",
            field="DATA", value=str(folder),
            hint="Give the folder of the data set, or use --example for the bundled one.",
        )
    files = {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.iterdir())
             if p.is_file() and p.suffix in (".csv", ".json")}
    if not files:
        raise InputError(
            f"{folder} has no .csv or .json files. A data set needs at least subjects.csv.",
            field="DATA", value=str(folder),
            hint="See docs/exchange-format.md for the files and their columns.",
        )
    return files


def _latest_date(dataset: Dataset) -> date:
    dates = [s.enrolled_on for s in dataset.subjects]
    dates += [d.end_on for d in dataset.dosing]
    dates += [a.assessed_on for a in dataset.assessments]
    dates += [d.died_on for d in dataset.deaths]
    dates += [c.contact_on for c in dataset.contacts]
    dates += [t.started_on for t in dataset.new_therapies]
    dates += [d.discontinued_on for d in dataset.discontinuations]
    return max(dates)


def _months(value: float | None) -> str:
    return "NR" if value is None else f"{value:.1f}"


def _days_in_months(value: float | None) -> str:
    return _months(None if value is None else months(value))


def _pct(value: float | None) -> str:
    return "NE" if value is None else f"{100 * value:.1f}"


def _tte_rows(table: Table, s: TimeToEventSummary, population: str) -> None:
    table.add_row(f"{s.endpoint}: median (months)", population, str(s.n),
                  f"{s.events} events", _months(s.median_months),
                  f"{_months(s.median_lower_months)}-{_months(s.median_upper_months)}",
                  f"KM, Brookmeyer-Crowley {s.conf_type}")
    for lm in s.landmarks:
        table.add_row(f"{s.endpoint}: rate at {lm.months:g} months (%)", population, str(s.n),
                      f"{lm.n_risk} at risk", _pct(lm.estimate),
                      f"{_pct(lm.lower)}-{_pct(lm.upper)}", f"KM, Greenwood {s.conf_type}")


def _endpoint_table(result: EndpointAnalysis, ci_header: str) -> Table:
    table = Table(title="Endpoint table", title_justify="left")
    for col in ("Endpoint", "Population", "N", "Count", "Estimate", ci_header, "Method"):
        table.add_column(col)
    _tte_rows(table, result.pfs, "FAS")
    _tte_rows(table, result.os, "FAS")
    fu = result.follow_up
    if fu is not None:
        table.add_row("Median follow-up (months)", "FAS", str(result.os.n), "",
                      _days_in_months(fu.time),
                      f"{_days_in_months(fu.lower)}-{_days_in_months(fu.upper)}", "reverse KM")
    for rate in result.rates:
        est = rate.estimate
        table.add_row(rate.endpoint + " (%)", rate.population, str(rate.n),
                      f"{rate.x}", _pct(est.estimate if est else None),
                      f"{_pct(est.lower if est else None)}-{_pct(est.upper if est else None)}",
                      est.method.value if est else "")
    dor = result.duration_of_response
    if dor.n:
        table.add_row("DoR: median (months)", "responders", str(dor.n), f"{dor.events} events",
                      _months(dor.median_months),
                      f"{_months(dor.median_lower_months)}-{_months(dor.median_upper_months)}",
                      f"KM, Brookmeyer-Crowley {dor.conf_type}")
    ttr = result.time_to_response
    if ttr.n:
        table.add_row("Time to response: median (months)", "responders", str(ttr.n), "",
                      _months(ttr.median_months),
                      f"range {_months(ttr.min_months)}-{_months(ttr.max_months)}", "")
    return table


def _sensitivity_table(result: EndpointAnalysis, ci_header: str) -> Table:
    sens = Table(title="PFS sensitivity analyses", title_justify="left")
    for col in ("Analysis", "N", "Events", "Median (months)", ci_header):
        sens.add_column(col)
    for s in (result.pfs, *result.pfs_sensitivity):
        sens.add_row(s.description, str(s.n), str(s.events), _months(s.median_months),
                     f"{_months(s.median_lower_months)}-{_months(s.median_upper_months)}")
    return sens


def _bor_table(result: EndpointAnalysis) -> Table:
    bor = Table(title="Best overall response (confirmed), response-evaluable set",
                title_justify="left")
    bor.add_column("BOR")
    bor.add_column("n")
    for code, count in result.bor_distribution:
        bor.add_row(code, str(count))
    for category, count in result.ne_reasons:
        bor.add_row(f"  NE: {NE_CATEGORIES.get(category, category)}", str(count))
    return bor


def _listing(result: EndpointAnalysis) -> Table:
    listing = Table(title="Subjects", title_justify="left", show_lines=False)
    for col in ("Subject", "Sets", "PFS days", "PFS", "PFS reason", "OS days", "OS", "BOR"):
        listing.add_column(col, overflow="fold")
    for subj in result.subjects:
        flags = (("FAS", subj.sets.fas), ("RE", subj.sets.response_evaluable))
        sets = "/".join(n for n, on in flags if on) or "-"
        if subj.pfs is None:
            listing.add_row(subj.subject_id, sets, "", "", subj.sets.reason, "", "", "")
            continue
        os_, row = subj.os, subj.pfs.facts.get("row")
        listing.add_row(
            subj.subject_id, sets, str(subj.pfs.days),
            f"{'event' if subj.pfs.event else 'censored'} (row {row})",
            subj.pfs.reason,
            "" if os_ is None else str(os_.days),
            "" if os_ is None else ("event" if os_.event else "censored"),
            "" if subj.response is None else subj.response.bor.response.value,
        )
    return listing


def _print(console: Console, result: EndpointAnalysis, source: str, note: str) -> None:
    r = result.rules
    console.print(f"[bold]Endpoints[/bold] of {source} at data cut-off {result.cutoff_on}{note}")
    console.print(
        f"Rules: origin {r.time_origin.value}; imaging every {r.assessment_interval_days} "
        f"+/- {r.assessment_window_days} days (PFS censored after "
        f"{r.missed_assessments_for_censoring} missed, > {r.missed_assessment_gap_days} days); "
        f"confirmation >= {r.confirm_min_days} days; SD >= {r.min_sd_days} days.",
        highlight=False,
    )
    console.print("Analysis sets: " + ", ".join(f"{k} {v}" for k, v in result.set_counts),
                  highlight=False)
    ci_header = f"{100 * r.conf_level:g} % CI"
    console.print(_endpoint_table(result, ci_header))
    console.print(_sensitivity_table(result, ci_header))
    console.print(_bor_table(result))
    if result.non_measurable_non_cr_non_pd:
        console.print("Non-measurable disease with BOR NON-CR/NON-PD (not in DCR): "
                      + ", ".join(result.non_measurable_non_cr_non_pd), highlight=False)
    console.print(_listing(result))


def analyze(
    data: Annotated[
        Path | None,
        typer.Argument(help="Folder of the data set: one .csv or .json file per domain."),
    ] = None,
    cutoff: Annotated[
        str | None,
        typer.Option("--cutoff", help="Data cut-off date, YYYY-MM-DD. Default: the latest "
                     "date in the data set."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the full result as JSON.")
    ] = False,
    example: Annotated[
        bool, typer.Option("--example", help="Use the bundled example data set instead of DATA.")
    ] = False,
    protocol: Annotated[
        Path | None,
        typer.Option("--protocol", help="Protocol file whose endpoints section sets the rules. "
                     "Default: the bundled NCT06478927 protocol."),
    ] = None,
) -> None:
    """Print the endpoint table (PFS, OS, ORR, DCR, with reasons) of a data set.

    DATA is a folder in the exchange format (docs/exchange-format.md). Each subject's PFS and
    OS date, event or censoring, and the reason are listed; rates have exact Clopper-Pearson
    confidence intervals. The rules (time origin, imaging interval and window, confirmation,
    minimum SD duration) come from the protocol's endpoints section (docs/endpoints.md).
    """
    if example == (data is not None):
        raise InputError(
            "Give either DATA (a folder of domain files) or --example, not both or neither.",
            field="DATA", hint="For instance: oncotrial analyze --example",
        )
    if example:
        files, source = example_files(), "the bundled example data set"
    else:
        assert data is not None
        files, source = _read_folder(data), str(data)
        # A whole study's folder (oncotrial synth, docs/exchange-format.md) also holds the
        # domains the report reads; the endpoints need only theirs. Unknown files still fail.
        files = {name: text for name, text in files.items()
                 if name.rpartition(".")[0] not in STUDY_ONLY}
    dataset = parse_exchange(files)
    note = ""
    if cutoff is None:
        when = _latest_date(dataset)
        note = " (no --cutoff given: the latest date in the data)"
    else:
        try:
            when = date.fromisoformat(cutoff)
        except ValueError:
            raise InputError(
                f"The cut-off is {cutoff!r}. It must be an ISO 8601 date.",
                field="cutoff", value=cutoff, hint="Write it as YYYY-MM-DD, e.g. 2026-10-31.",
            ) from None
    trial = load_bundled_protocol() if protocol is None else load_protocol(protocol)
    rules = EndpointRules.from_protocol(trial)
    findings = check_dataset(dataset)
    result = analyze_endpoints(dataset, cutoff=when, rules=rules)
    if as_json:
        payload = {
            "source": source,
            "findings": [{"code": f.code, "field": f.field, "message": f.message}
                         for f in findings],
            **result.to_dict(),
        }
        typer.echo(json.dumps(payload, indent=2))
        return
    # A terminal gets its own width; a file or pipe gets lines wide enough for the listing.
    console = Console() if sys.stdout.isatty() else Console(width=160)
    _print(console, result, source, note)
    if findings:
        console.print(f"[bold]Data findings ({len(findings)})[/bold]: records that contradict "
                      "each other; the endpoints above used them as they are.")
        for f in findings:
            console.print(f"  {f.code} {f.field}: {f.message}", highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    """Add ``oncotrial analyze`` to the root application."""
    app.command("analyze")(analyze)
