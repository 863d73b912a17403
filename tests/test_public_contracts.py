"""The public entry points the issues name are a contract: called here with exactly the names
and keywords the issues give, against values from the guidelines and published tables.

Issue 10 made the protocol an explicit argument of the core (no silent NCT06478927 default), so
the calls pass the bundled protocol, its rules or the trial context."""

from __future__ import annotations

import datetime as dt

import pytest
from scipy import stats as scipy_stats

from oncotrial.context import TrialContext
from oncotrial.protocol import load_bundled_protocol


@pytest.fixture(scope="module")
def ctx() -> TrialContext:
    return TrialContext.from_protocol(load_bundled_protocol())


def test_clinical_contract() -> None:
    """Issue 3: Quantity, child_pugh, albi, cockcroft_gault, qtc_bazett, qtc_fridericia."""
    from oncotrial.clinical import (
        Quantity,
        albi,
        child_pugh,
        cockcroft_gault,
        qtc_bazett,
        qtc_fridericia,
    )
    from oncotrial.records import ChildPughClass

    # Child-Pugh: bilirubin < 2 mg/dL (1), albumin 3.0 g/dL (2), INR 1.5 (1), mild ascites (2),
    # no encephalopathy (1) = 7 points, class B (Pugh et al. 1973).
    cp = child_pugh(bilirubin=Quantity(1.5, "mg/dL"), albumin=Quantity(3.0, "g/dL"), inr=1.5,
                    ascites="mild", encephalopathy="none", pt_prolongation_s=None)
    assert (cp.points, cp.child_pugh_class) == (7, ChildPughClass.B)
    a = albi(bilirubin=Quantity(17.1, "umol/L"), albumin=Quantity(40, "g/L"))
    # ALBI = 0.66 * log10(17.1) - 0.085 * 40 = -2.586 (Johnson 2015): above -2.60, so grade 2.
    assert a.score == pytest.approx(0.66 * 1.2330 - 3.4, abs=1e-3) and a.grade == 2
    # Cockcroft-Gault: (140 - 60) * 72 / (72 * 1.0) = 80 mL/min for a man.
    crcl = cockcroft_gault(age_years=60, weight_kg=72, sex="M", creatinine=Quantity(1.0, "mg/dL"))
    assert float(crcl) == pytest.approx(80.0)
    # RR = 60 / 75 = 0.8 s: Bazett 400 / sqrt(0.8), Fridericia 400 / 0.8 ** (1/3).
    assert float(qtc_bazett(qt_ms=400, heart_rate_bpm=75)) == pytest.approx(447.2, abs=0.1)
    assert float(qtc_fridericia(qt_ms=400, heart_rate_bpm=75)) == pytest.approx(430.9, abs=0.1)


def test_eligibility_contract(ctx: TrialContext) -> None:
    """Issue 3: screen(record, protocol=..., on=date) with .eligible and .verdicts."""
    from oncotrial.eligibility import example_record, screen

    result = screen(example_record(), protocol=ctx.protocol, on=dt.date(2026, 3, 2))
    assert result.eligible is True
    assert list(result.verdicts) == [f"I{i}" for i in range(1, 15)] + [
        f"E{i}" for i in range(1, 11)]
    i11 = result.verdicts["I11"]
    assert (i11.status, i11.code) == ("met", "I11.met.all_parts")
    # Registry inclusion 11(1): ANC >= 1.0 x 10^9/L; the bundled example's ANC is 2.1.
    assert (i11.facts["anc"], i11.facts["anc_min"]) == (2.1, 1.0)
    assert "ANC 2.1 x10^9/L" in i11.reason


def test_screen_needs_a_protocol() -> None:
    """Issue 10: no silent NCT06478927 default in the core."""
    from oncotrial.eligibility import example_record, screen
    from oncotrial.errors import InputError

    with pytest.raises(InputError, match="protocol"):
        screen(example_record(), protocol=None, on=dt.date(2026, 3, 2))  # type: ignore[arg-type]


def test_recist_contract(ctx: TrialContext) -> None:
    """Issue 4: target_response, overall_response, evaluate, best_overall_response."""
    from oncotrial import recist
    from oncotrial.records import Response

    # RECIST 1.1 section 4.3.1: PD needs +20 % and +5 mm over the nadir.
    assert recist.target_response(baseline_sum_mm=60, nadir_mm=47, current_sum_mm=58,
                                  all_targets_in_cr=False) == Response.PD
    # PR needs a 30 % decrease from the baseline sum: 42 mm is exactly -30 %.
    assert recist.target_response(baseline_sum_mm=60, nadir_mm=60, current_sum_mm=42,
                                  all_targets_in_cr=False) == Response.PR
    # RECIST 1.1 Table 1: target PR, non-target non-CR/non-PD, no new lesion -> PR.
    assert recist.overall_response(target="PR", non_target="NON-CR/NON-PD",
                                   new_lesion=False) == Response.PR
    # A 40 mm liver target shrinking to 26 mm is -35 %: PR by RECIST 1.1 section 4.3.1.
    base = dt.date(2026, 1, 1)
    ev = recist.evaluate([recist.Lesion("T1", "liver", 40.0, base)],
                         [recist.Assessment(dt.date(2026, 2, 26), {"T1": 26.0})],
                         criteria="RECIST 1.1")
    assert [tp.overall for tp in ev.timepoints] == [Response.PR]
    origin = dt.date(2026, 1, 1)
    bor = recist.best_overall_response(
        [(dt.date(2026, 2, 26), "PR"), (dt.date(2026, 4, 23), "PR")], origin=origin,
        confirm=True, confirm_min_days=28, sd_min_days=42, max_ne_between=1,
        allow_sd_between=False)
    assert (bor.response, bor.date) == (Response.PR, dt.date(2026, 2, 26))
    assert bor.code == "recist.bor.pr.confirmed"
    assert recist.best_overall_response(
        [(dt.date(2026, 2, 26), "PR"), (dt.date(2026, 4, 23), "PR")], origin=origin,
        **ctx.bor.as_kwargs()) == bor


def test_ctcae_and_dosing_contract(ctx: TrialContext) -> None:
    """Issue 5: grade_lab(term, value, unit, *, lln, uln, baseline) and dosing.recommend."""
    from oncotrial import dosing
    from oncotrial.ctcae import grade_lab
    from oncotrial.records import Grade

    # CTCAE v5.0 Neutrophil count decreased: grade 3 is <1.0-0.5 x 10^9/L.
    assert grade_lab("Neutrophil count decreased", 0.9, "10^9/L", lln=2.0, uln=None,
                     baseline=None) == Grade.G3
    # 1.6 x 10^9/L cannot be graded without the LLN (grade 1 is <LLN-1.5).
    assert grade_lab("Neutrophil count decreased", 1.6, "10^9/L") is None
    rec = dosing.recommend(125, cycle=1, cycle_day=1, assessed_on=dt.date(2026, 3, 3),
                           cbc=dosing.BloodCounts(dt.date(2026, 3, 2), anc_10e9_l=2.0),
                           rules=ctx.dose_rules)
    # IBRANCE USPI 2019 section 2.2: start at 125 mg when the Day-1 count is grade <= 2.
    assert rec.dose_mg == 125 and rec.code == "dose.start" and rec.reason
    # ANC 0.8 on Day 1 of cycle 2 is grade 3: hold and repeat the count within a week.
    held = dosing.recommend(125, cycle=2, cycle_day=1, assessed_on=dt.date(2026, 4, 1),
                            cbc=dosing.BloodCounts(dt.date(2026, 4, 1), anc_10e9_l=0.8),
                            rules=ctx.dose_rules)
    assert (held.action, held.code) == (dosing.Action.HOLD, "dose.hold.heme_grade3_day1")
    assert held.facts["resume_dose_mg"] == 125
    assert held.facts["recheck_by"] == dt.date(2026, 4, 8)


def test_stats_contract() -> None:
    """Issue 6: kaplan_meier, log_rank, clopper_pearson with the issue's names."""
    from oncotrial.stats import clopper_pearson, kaplan_meier, log_rank

    km = kaplan_meier([1, 2, 3, 4, 5], [1, 1, 0, 1, 1], conf_type="log-log", conf_level=0.95)
    assert list(km.table.columns if hasattr(km.table, "columns") else km.table[0].keys()) == [
        "time", "n_risk", "n_event", "n_censor", "survival", "std_err", "lower", "upper"]
    # Product limit: S = 4/5 * 3/4 = 0.6 after t = 2, then 0.6 * 1/2 = 0.3 at t = 4 (< 0.5).
    assert km.median == 4.0
    est, _, _ = km.survival_at(2.5)
    assert est == pytest.approx(0.6)
    assert km.quantile(0.5).time == 4.0
    # Log-rank by the Mantel-Haenszel sums R survdiff uses, by hand: group 0 has the events at
    # t = 1, 2, 3 with expected 3/6 + 2/5 + 1/4 = 1.15 and variance 0.25 + 0.24 + 0.1875.
    lr = log_rank([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, 1], [0, 0, 0, 1, 1, 1])
    chi2 = (3 - 1.15) ** 2 / 0.6775
    assert lr.df == 1 and lr.statistic == pytest.approx(chi2)
    assert lr.p_value == pytest.approx(scipy_stats.chi2.sf(chi2, 1))
    # 1/22 = 4.5 % (0.1-22.8), exact Clopper-Pearson (Clopper & Pearson 1934).
    low, high = clopper_pearson(1, 22, conf_level=0.95)
    assert (round(100 * low, 1), round(100 * high, 1)) == (0.1, 22.8)


def test_design_contract() -> None:
    """Issue 7: simon_two_stage(p0, p1, alpha, beta, *, nmax) against Simon (1989) Table 1."""
    from oncotrial.design import one_sample_logrank_n, simon_two_stage, single_stage_binomial

    d = simon_two_stage(0.05, 0.25, 0.05, 0.2, nmax=100)
    assert (d.optimal.r1, d.optimal.n1, d.optimal.r, d.optimal.n) == (0, 9, 2, 17)
    assert (d.minimax.r1, d.minimax.n1, d.minimax.r, d.minimax.n) == (0, 12, 2, 16)
    # Simon (1989) Table 1: EN0 12.0 (PET0 0.63) optimal, 13.8 (PET0 0.54) minimax.
    assert (round(d.optimal.en0, 1), round(d.optimal.pet0, 2)) == (12.0, 0.63)
    assert (round(d.minimax.en0, 1), round(d.minimax.pet0, 2)) == (13.8, 0.54)
    # Wu (2015) section 4: n = 88 for power 0.80.
    assert one_sample_logrank_n(9, 1 / 1.75, accrual_time=5, follow_up_time=3, shape=1.22).n == 88
    # A'Hern (2001) Table 1: p0 0.05, p1 0.25, alpha 0.05, power 0.80 -> n 16, 3 responses.
    single = single_stage_binomial(0.05, 0.25, 0.05, 0.2)
    assert (single.n, single.min_responses) == (16, 3)
