"""``oncotrial design ...``: what the planned sample size can show, and how to monitor the trial.

Thin commands over :mod:`oncotrial.design`: parse, call the core, print with Rich. When ``--n``
is omitted the planned enrolment of the bundled protocol is used (22 for NCT06478927).
"""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from oncotrial.design import (
    BetaPrior,
    BoundaryTable,
    DesignInputError,
    DesignReport,
    MonitoringPlan,
    Scenario,
    SimonDesign,
    bop2_design,
    design_report,
    futility_boundaries,
    hazard_ratio_from_medians,
    one_sample_logrank_n,
    one_sample_logrank_power,
    predictive_boundaries,
    simon_two_stage,
    simulate_trials,
    single_stage_binomial,
    single_stage_power,
    toxicity_boundaries,
)
from oncotrial.errors import OncotrialError
from oncotrial.records import to_plain

__all__ = ["register"]

design_app = typer.Typer(
    help="Trial design and interim monitoring: sample size, stopping rules, simulations.",
    no_args_is_help=True,
)

NOption = Annotated[
    int | None,
    typer.Option("--n", help="Number of patients; the bundled protocol's target when omitted."),
]
AlphaOption = Annotated[float, typer.Option("--alpha", help="One-sided type I error.")]


def _planned_n(n: int | None) -> int:
    """The given n, or the planned enrolment of the bundled protocol."""
    if n is not None:
        return n
    from oncotrial.protocol import load_bundled_protocol

    return load_bundled_protocol().enrolment.target


def _console() -> Console:
    return Console(highlight=False)


@design_app.command("single-stage")
def single_stage(
    p0: Annotated[float, typer.Argument(help="Response rate not worth pursuing (H0).")],
    p1: Annotated[float, typer.Argument(help="Response rate worth pursuing (H1).")],
    alpha: AlphaOption = 0.05,
    beta: Annotated[float, typer.Option("--beta", help="Type II error (1 - power).")] = 0.2,
    nmax: Annotated[int, typer.Option("--nmax", help="Largest n to try.")] = 200,
) -> None:
    """Smallest single-stage exact binomial design (A'Hern 2001) for p0 against p1."""
    d = single_stage_binomial(p0, p1, alpha, beta, nmax=nmax)
    typer.echo(d.summary())


@design_app.command("simon")
def simon(
    p0: Annotated[float, typer.Argument(help="Response rate not worth pursuing (H0).")],
    p1: Annotated[float, typer.Argument(help="Response rate worth pursuing (H1).")],
    alpha: AlphaOption = 0.05,
    beta: Annotated[float, typer.Option("--beta", help="Type II error (1 - power).")] = 0.2,
    nmax: Annotated[int, typer.Option("--nmax", help="Largest total n searched.")] = 100,
) -> None:
    """Simon (1989) optimal and minimax two-stage designs, with Jung's admissible designs."""
    res = simon_two_stage(p0, p1, alpha, beta, nmax=nmax)
    table = Table()
    for col in ("design", "r1/n1", "r/n", "EN(p0)", "PET(p0)", "alpha", "power"):
        table.add_column(col, justify="left" if col == "design" else "right")

    def add(name: str, d: SimonDesign) -> None:
        table.add_row(name, f"{d.r1}/{d.n1}", f"{d.r}/{d.n}", f"{d.en0:.2f}", f"{d.pet0:.3f}",
                      f"{d.alpha:.4f}", f"{d.power:.4f}")

    add("optimal", res.optimal)
    add("minimax", res.minimax)
    for adm in res.admissible:
        if adm.design not in (res.optimal, res.minimax):
            add(f"admissible (q {adm.q_low:.2f}-{adm.q_high:.2f})", adm.design)
    console = _console()
    console.print(f"[bold]Simon two-stage designs[/bold]: p0 {p0:g}, p1 {p1:g}, alpha {alpha:g}, "
                  f"power {1 - beta:g}, n <= {nmax}")
    console.print(table)
    console.print("Stop after stage 1 if r1 or fewer of n1 respond; the drug is worth further "
                  "study if more than r of n respond.")


@design_app.command("logrank")
def logrank(
    median0: Annotated[float, typer.Option("--median0", help="Historical median PFS.")],
    median1: Annotated[
        float | None, typer.Option("--median1", help="Median PFS under the alternative.")
    ] = None,
    hazard_ratio: Annotated[
        float | None, typer.Option("--hazard-ratio", help="Hazard ratio (< 1) instead of median1.")
    ] = None,
    accrual: Annotated[float, typer.Option("--accrual", help="Accrual time (same unit).")] = 12.0,
    follow_up: Annotated[
        float, typer.Option("--follow-up", help="Follow-up after the last patient enters.")
    ] = 6.0,
    shape: Annotated[float, typer.Option("--shape", help="Weibull shape (1 = exponential).")] = 1.0,
    alpha: AlphaOption = 0.05,
    power: Annotated[float, typer.Option("--power", help="Target power for sizing.")] = 0.8,
    n: Annotated[
        int | None, typer.Option("--n", help="Give n to get its power instead of a size.")
    ] = None,
) -> None:
    """One-sample log-rank test of PFS against a historical median (Wu 2015 sizing)."""
    if (median1 is None) == (hazard_ratio is None):
        raise DesignInputError(
            "Give exactly one of --median1 and --hazard-ratio.",
            field="median1",
            hint="For example --median1 3.6 with --median0 1.8.",
        )
    hr = hazard_ratio if hazard_ratio is not None else hazard_ratio_from_medians(
        median0, float(median1 or 0.0), shape=shape)
    if n is None:
        d = one_sample_logrank_n(median0, hr, accrual_time=accrual, follow_up_time=follow_up,
                                 alpha=alpha, power=power, shape=shape)
    else:
        d = one_sample_logrank_power(n, median0, hr, accrual_time=accrual,
                                     follow_up_time=follow_up, alpha=alpha, shape=shape)
    typer.echo(d.summary())


def _print_boundaries(table: BoundaryTable, console: Console) -> None:
    """A boundary table with its rule above it."""
    console.print(table.rule)
    out = Table()
    out.add_column("patients evaluated", justify="right")
    out.add_column("stop if events", justify="right")
    for row in table.boundaries:
        if row.stop_at_or_below is not None:
            text = f"<= {row.stop_at_or_below}"
        elif row.stop_at_or_above is not None:
            text = f">= {row.stop_at_or_above}"
        else:
            text = "-"
        out.add_row(str(row.patients), text)
    console.print(out)


@design_app.command("boundaries")
def boundaries(
    kind: Annotated[
        str, typer.Argument(help="futility, toxicity or predictive.")
    ],
    rate: Annotated[
        float, typer.Option("--rate", help="p0 for futility/predictive; the limit for toxicity.")
    ],
    threshold: Annotated[
        float | None,
        typer.Option("--threshold", help="Posterior cut-off (defaults 0.05 futility, 0.8 "
                                         "toxicity, 0.05 predictive theta_L)."),
    ] = None,
    theta_t: Annotated[
        float, typer.Option("--theta-t", help="Predictive: final success cut-off.")
    ] = 0.9,
    prior_a: Annotated[float, typer.Option("--prior-a", help="Beta prior a.")] = 1.0,
    prior_b: Annotated[float, typer.Option("--prior-b", help="Beta prior b.")] = 1.0,
    first_look: Annotated[
        int, typer.Option("--first-look", help="Patients evaluated at the first look.")
    ] = 5,
    every: Annotated[int, typer.Option("--every", help="Patients between looks.")] = 1,
    n: NOption = None,
) -> None:
    """Bayesian stopping-boundary table by number of patients evaluated (beta-binomial)."""
    n_max = _planned_n(n)
    if every < 1 or first_look < 1 or first_look > n_max:
        raise DesignInputError(
            f"Looks from {first_look} every {every} up to {n_max} patients make no table.",
            field="first_look",
            value=first_look,
            hint="Use --first-look between 1 and n and --every of 1 or more.",
        )
    looks = list(range(first_look, n_max + 1, every))
    if looks[-1] != n_max:
        looks.append(n_max)
    prior = BetaPrior(prior_a, prior_b)
    if kind == "futility":
        table = futility_boundaries(rate, looks=looks, prior=prior,
                                    min_posterior=0.05 if threshold is None else threshold)
    elif kind == "toxicity":
        table = toxicity_boundaries(rate, looks=looks, prior=prior,
                                    max_posterior=0.8 if threshold is None else threshold)
    elif kind == "predictive":
        table = predictive_boundaries(rate, n_max=n_max, looks=looks, prior=prior,
                                      theta_t=theta_t,
                                      theta_l=0.05 if threshold is None else threshold)
    else:
        raise typer.BadParameter(f"unknown kind {kind!r}; choose futility, toxicity or "
                                 "predictive", param_hint="KIND")
    _print_boundaries(table, _console())


@design_app.command("bop2")
def bop2(
    null_response: Annotated[float, typer.Option("--null-response", help="ORR not worth "
                                                                         "pursuing.")],
    alt_response: Annotated[float, typer.Option("--alt-response", help="ORR worth pursuing.")],
    looks: Annotated[
        str | None,
        typer.Option("--looks", help="Comma-separated patients at each analysis; the last is "
                                     "n (default: about a half, three quarters and n)."),
    ] = None,
    alpha: Annotated[float, typer.Option("--alpha", help="Largest P(go) under a null.")] = 0.1,
    null_toxicity: Annotated[
        float | None, typer.Option("--null-toxicity", help="Unacceptable toxicity rate.")
    ] = None,
    alt_toxicity: Annotated[
        float | None, typer.Option("--alt-toxicity", help="Expected toxicity rate.")
    ] = None,
    n: NOption = None,
) -> None:
    """BOP2-style futility and toxicity boundaries, calibrated exactly (Zhou et al. 2017)."""
    if looks is None:
        size = _planned_n(n)
        look_list = sorted({max(1, round(size * 0.45)), max(1, round(size * 0.73)), size})
    else:
        try:
            look_list = [int(part) for part in looks.split(",") if part.strip()]
        except ValueError:
            raise DesignInputError(
                f"--looks was {looks!r}. It must be whole numbers separated by commas.",
                field="looks",
                value=looks,
                hint="For example --looks 10,16,22.",
            ) from None
    d = bop2_design(null_response=null_response, alt_response=alt_response, looks=look_list,
                    alpha=alpha, null_toxicity=null_toxicity, alt_toxicity=alt_toxicity)
    console = _console()
    console.print(
        f"BOP2-style design: C(n) = 1 - {d.lambda_:g} (n / {d.looks[-1]})^{d.gamma:g}; type I "
        f"error {d.type_i_error:.4f}, power {d.power:.4f}; expected n {d.en_null:.1f} under "
        f"the null, {d.en_alt:.1f} under the alternative."
    )
    _print_boundaries(d.futility, console)
    if d.toxicity is not None:
        _print_boundaries(d.toxicity, console)


@design_app.command("simulate")
def simulate(
    orr: Annotated[float, typer.Option("--orr", help="True response rate.")],
    toxicity_rate: Annotated[
        float, typer.Option("--toxicity-rate", help="True rate of the monitored toxicity.")
    ] = 0.0,
    median_pfs: Annotated[
        float | None, typer.Option("--median-pfs", help="True median PFS, months.")
    ] = None,
    accrual_rate: Annotated[
        float, typer.Option("--accrual-rate", help="Patients entered per month.")
    ] = 2.0,
    min_responses: Annotated[
        int | None,
        typer.Option("--min-responses", help="Responses needed for success at the end "
                                             "(default: exact test of --p0 at --alpha)."),
    ] = None,
    p0: Annotated[float, typer.Option("--p0", help="Null response rate.")] = 0.05,
    alpha: AlphaOption = 0.05,
    toxicity_limit: Annotated[
        float | None, typer.Option("--toxicity-limit", help="Stop if the toxicity rate is "
                                                            "probably above this.")
    ] = None,
    toxicity_threshold: Annotated[
        float, typer.Option("--toxicity-threshold", help="Posterior probability that stops.")
    ] = 0.8,
    futility: Annotated[
        bool, typer.Option("--futility/--no-futility",
                           help="Predictive-probability futility looks (Lee & Liu 2008).")
    ] = False,
    first_look: Annotated[int, typer.Option("--first-look", help="First look, patients.")] = 5,
    evaluation_months: Annotated[
        float, typer.Option("--evaluation-months", help="Months from entry until response and "
                                                        "toxicity are known.")
    ] = 2.0,
    follow_up_months: Annotated[
        float, typer.Option("--follow-up-months", help="Months from the last entry to the "
                                                       "final analysis.")
    ] = 6.0,
    pfs_null_median: Annotated[
        float | None, typer.Option("--pfs-null-median", help="Historical median PFS, months, "
                                                             "for the log-rank test.")
    ] = None,
    trials: Annotated[int, typer.Option("--trials", help="Number of simulated trials.")] = 100_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (reproducible).")] = 20240601,
    n: NOption = None,
) -> None:
    """Simulate the whole trial under a scenario and report its operating characteristics."""
    n_max = _planned_n(n)
    if min_responses is None:
        min_responses = single_stage_power(n_max, p0, alpha).min_responses
    looks = list(range(min(first_look, n_max), n_max + 1))
    tox = None
    if toxicity_limit is not None:
        tox = toxicity_boundaries(toxicity_limit, looks=looks, max_posterior=toxicity_threshold)
    fut = predictive_boundaries(p0, n_max=n_max, looks=looks[:-1] or looks) if futility else None
    plan = MonitoringPlan(n_max=n_max, success_min_responses=min_responses, futility=fut,
                          toxicity=tox, evaluation_months=evaluation_months,
                          follow_up_months=follow_up_months, pfs_null_median=pfs_null_median,
                          logrank_alpha=alpha)
    scenario = Scenario(orr, toxicity_rate, median_pfs, accrual_per_month=accrual_rate)
    err = Console(stderr=True)
    with Progress(TextColumn("simulating"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=True) as bar:
        task = bar.add_task("simulate", total=trials)
        result = simulate_trials(
            scenario, plan, n_trials=trials, seed=seed,
            progress=lambda done, total: bar.update(task, completed=done),
        )
    typer.echo(f"Scenario: ORR {orr:g}, toxicity {toxicity_rate:g}, median PFS "
               f"{median_pfs if median_pfs is not None else '-'} months, accrual "
               f"{accrual_rate:g}/month; n = {n_max}, success with >= {min_responses} responses.")
    typer.echo(result.summary())


def _write_plot_data(rep: DesignReport, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["series", "x", "power"])
        for name, points in rep.plot_series().items():
            for x, y in points:
                writer.writerow([name, f"{x:g}", f"{y:.6f}"])


def _write_png(rep: DesignReport, path: Path) -> None:
    if importlib.util.find_spec("matplotlib") is None:
        raise OncotrialError(
            "Writing the plot as PNG needs matplotlib, which is not installed.",
            field="plot",
            value=str(path),
            hint="Install matplotlib, or use --plot-data to write the plot's data as CSV.",
        )
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = rep.plot_series()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    xs, ys = zip(*series["orr_power"], strict=True)
    left.plot([100 * x for x in xs], ys, marker="o")
    left.set(xlabel="true ORR (%)", ylabel="power", ylim=(0, 1),
             title=f"Exact test of ORR <= {rep.orr.p0:g}, n = {rep.n}")
    if series["pfs_power"]:
        xs, ys = zip(*series["pfs_power"], strict=True)
        right.plot(xs, ys, marker="o")
    right.set(xlabel="true median PFS (months)", ylabel="power", ylim=(0, 1),
              title=f"One-sample log-rank vs {rep.pfs_null_median_months:g} months")
    for ax in (left, right):
        ax.axhline(0.8, color="grey", linestyle=":")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _print_report(rep: DesignReport, console: Console) -> None:
    """The design report as Rich tables."""
    console.print(f"[bold]What n = {rep.n} can show[/bold] (planning scenarios, not efficacy "
                  "claims; protocol note PN-08)")
    console.print(f"Exact {rep.conf_level:.0%} Clopper-Pearson intervals for the response rate:")
    ci = Table()
    for col in ("responders", "rate", "lower", "upper", "half-width"):
        ci.add_column(col, justify="right")
    for row in rep.intervals:
        ci.add_row(str(row.responders), f"{row.estimate:.1%}", f"{row.lower:.1%}",
                   f"{row.upper:.1%}", f"{row.half_width:.1%}")
    console.print(ci)
    console.print(f"Exact test of ORR <= {rep.orr.p0:g}: call the drug active with "
                  f"{rep.orr.min_responses} or more responses (exact alpha {rep.orr.alpha:.4f}).")
    orr = Table()
    orr.add_column("true ORR", justify="right")
    orr.add_column("power", justify="right")
    for point in rep.orr.points:
        orr.add_row(f"{point.true_rate:.0%}", f"{point.power:.3f}")
    console.print(orr)
    console.print(f"Minimum ORR detected with {rep.orr.target_power:.0%} power: "
                  f"{rep.orr.minimum_detectable_rate:.1%}")
    console.print(f"One-sample log-rank test of PFS against a historical median of "
                  f"{rep.pfs_null_median_months:g} months (accrual {rep.accrual_months:g} "
                  f"months, follow-up {rep.follow_up_months:g} months, Weibull shape "
                  f"{rep.pfs_shape:g}):")
    pfs = Table()
    for col in ("true median", "hazard ratio", "expected events", "power"):
        pfs.add_column(col, justify="right")
    for p in rep.pfs:
        pfs.add_row(f"{p.median_months:.1f}", f"{p.hazard_ratio:.3f}",
                    f"{p.expected_events:.1f}", f"{p.power:.3f}")
    console.print(pfs)


@design_app.command("report")
def report(
    n: NOption = None,
    alpha: AlphaOption = 0.05,
    orr_null: Annotated[
        float, typer.Option("--orr-null", help="ORR not worth pursuing (placebo-like).")
    ] = 0.05,
    pfs_null_median: Annotated[
        float, typer.Option("--pfs-null-median", help="Historical median PFS, months.")
    ] = 1.8,
    accrual_months: Annotated[
        float, typer.Option("--accrual-months", help="Accrual period, months.")
    ] = 12.0,
    follow_up_months: Annotated[
        float, typer.Option("--follow-up-months", help="Follow-up after the last entry.")
    ] = 6.0,
    shape: Annotated[float, typer.Option("--shape", help="Weibull shape of PFS.")] = 1.0,
    conf_level: Annotated[
        float, typer.Option("--conf-level", help="Confidence level of the exact intervals.")
    ] = 0.95,
    plot_data: Annotated[
        Path | None, typer.Option("--plot-data", help="Write the plot's data to this CSV.")
    ] = None,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Write the plot as PNG (needs matplotlib).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """What the planned n can show: exact CIs, ORR power and PFS power (PN-08: no hypothesis)."""
    size = _planned_n(n)
    rep = design_report(size, alpha=alpha, conf_level=conf_level, orr_null=orr_null,
                        pfs_null_median_months=pfs_null_median, pfs_shape=shape,
                        accrual_months=accrual_months, follow_up_months=follow_up_months)
    if plot_data is not None:
        _write_plot_data(rep, plot_data)
    if plot is not None:
        _write_png(rep, plot)
    if as_json:
        doc = to_plain(rep)
        for row, interval in zip(doc["intervals"], rep.intervals, strict=True):
            row["half_width"] = interval.half_width
        doc["plot_series"] = rep.plot_series()
        typer.echo(json.dumps(doc, indent=2))
        return
    console = _console()
    _print_report(rep, console)
    if plot_data is not None:
        console.print(f"Plot data written to {plot_data}")
    if plot is not None:
        console.print(f"Plot written to {plot}")


def register(app: typer.Typer) -> None:
    """Add ``oncotrial design ...`` to the root command."""
    app.add_typer(design_app, name="design")
