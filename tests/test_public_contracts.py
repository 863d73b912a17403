"""The public entry points the issues name are a contract: called here with exactly the names
and keywords the issues give, against values from the guidelines and published tables."""

from __future__ import annotations

import datetime as dt
import inspect

import pytest


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

    # Child-Pugh: bilirubin < 2 mg/dL (1), albumin 3.0 g/dL (2), INR 1.5 (1), mild ascites (2),
    # no encephalopathy (1) = 7 points, class B (Pugh 1973 as tabulated in hcc_clinical_scores.md).
    cp = child_pugh(bilirubin=Quantity(1.5, "mg/dL"), albumin=Quantity(3.0, "g/dL"), inr=1.5,
                    ascites="mild", encephalopathy="none", pt_prolongation_s=None)
    assert (cp.points, cp.child_pugh_class) == (7, "B")
    a = albi(bilirubin=Quantity(17.1, "umol/L"), albumin=Quantity(40, "g/L"))
    # ALBI = 0.66 * log10(17.1) - 0.085 * 40 = -2.586 (Johnson 2015): above -2.60, so grade 2.
    assert a.score == pytest.approx(0.66 * 1.2330 - 3.4, abs=1e-3) and a.grade == 2
    # Cockcroft-Gault: (140 - 60) * 72 / (72 * 1.0) = 80 mL/min for a man.
    crcl = cockcroft_gault(age_years=60, weight_kg=72, sex="M", creatinine=Quantity(1.0, "mg/dL"))
    assert float(crcl) == pytest.approx(80.0)
    # RR = 60 / 75 = 0.8 s: Bazett 400 / sqrt(0.8), Fridericia 400 / 0.8 ** (1/3).
    assert float(qtc_bazett(qt_ms=400, heart_rate_bpm=75)) == pytest.approx(447.2, abs=0.1)
    assert float(qtc_fridericia(qt_ms=400, heart_rate_bpm=75)) == pytest.approx(430.9, abs=0.1)


def test_eligibility_contract() -> None:
    """Issue 3: screen(record, protocol=None, on=date) with .eligible and .verdicts."""
    from oncotrial.eligibility import example_record, screen

    result = screen(example_record(), protocol=None, on=dt.date(2026, 3, 2))
    assert result.eligible is True
    assert list(result.verdicts) == [f"I{i}" for i in range(1, 15)] + [
        f"E{i}" for i in range(1, 11)]
    assert result.verdicts["I11"].status == "met" and result.verdicts["I11"].reason


def test_recist_contract() -> None:
    """Issue 4: target_response, overall_response, evaluate, best_overall_response."""
    from oncotrial import recist

    # RECIST 1.1 section 4.3.1: PD needs +20 % and +5 mm over the nadir.
    assert recist.target_response(baseline_sum_mm=60, nadir_mm=47, current_sum_mm=58,
                                  all_targets_in_cr=False) == "PD"
    assert recist.target_response(baseline_sum_mm=60, nadir_mm=60, current_sum_mm=42,
                                  all_targets_in_cr=False) == "PR"
    assert recist.overall_response(target="PR", non_target="NON-CR/NON-PD",
                                   new_lesion=False) == "PR"
    assert "criteria" in inspect.signature(recist.evaluate).parameters
    origin = dt.date(2026, 1, 1)
    bor = recist.best_overall_response(
        [(dt.date(2026, 2, 26), "PR"), (dt.date(2026, 4, 23), "PR")], origin=origin,
        confirm=True, confirm_min_days=28, sd_min_days=42, max_ne_between=1,
        allow_sd_between=False)
    assert (bor.response, bor.date) == ("PR", dt.date(2026, 2, 26))


def test_ctcae_and_dosing_contract() -> None:
    """Issue 5: grade_lab(term, value, unit, *, lln, uln, baseline) and dosing.recommend."""
    from oncotrial import dosing
    from oncotrial.ctcae import grade_lab

    # CTCAE v5.0 Neutrophil count decreased: grade 3 is <1.0-0.5 x 10^9/L.
    assert grade_lab("Neutrophil count decreased", 0.9, "10^9/L", lln=2.0, uln=None,
                     baseline=None) == 3
    assert grade_lab("Neutrophil count decreased", 1.6, "10^9/L") is None
    rec = dosing.recommend(125, cycle=1, cycle_day=1, assessed_on=dt.date(2026, 3, 3),
                           cbc=dosing.BloodCounts(dt.date(2026, 3, 2), anc_10e9_l=2.0))
    assert rec.dose_mg == 125 and rec.rule


def test_stats_contract() -> None:
    """Issue 6: kaplan_meier, log_rank, clopper_pearson with the issue's names."""
    from oncotrial.stats import clopper_pearson, kaplan_meier, log_rank

    km = kaplan_meier([1, 2, 3, 4, 5], [1, 1, 0, 1, 1], conf_type="log-log", conf_level=0.95)
    assert list(km.table.columns if hasattr(km.table, "columns") else km.table[0].keys()) == [
        "time", "n_risk", "n_event", "n_censor", "survival", "std_err", "lower", "upper"]
    assert km.median == 4.0
    assert len(km.median_ci) == 2
    est, _, _ = km.survival_at(2.5)
    assert est == pytest.approx(0.6)
    assert km.quantile(0.5) is not None
    lr = log_rank([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, 1], [0, 0, 0, 1, 1, 1])
    assert lr.df == 1 and 0 <= lr.p_value <= 1 and lr.statistic > 0
    # endpoints.md section 5: 1/22 = 4.5 % (0.1-22.8), exact Clopper-Pearson.
    low, high = clopper_pearson(1, 22, conf_level=0.95)
    assert (round(100 * low, 1), round(100 * high, 1)) == (0.1, 22.8)


def test_design_contract() -> None:
    """Issue 7: simon_two_stage(p0, p1, alpha, beta, *, nmax) against Simon (1989) Table 1."""
    from oncotrial.design import one_sample_logrank_n, simon_two_stage, single_stage_binomial

    d = simon_two_stage(0.05, 0.25, 0.05, 0.2, nmax=100)
    assert (d.optimal.r1, d.optimal.n1, d.optimal.r, d.optimal.n) == (0, 9, 2, 17)
    assert (d.minimax.r1, d.minimax.n1, d.minimax.r, d.minimax.n) == (0, 12, 2, 16)
    for design in (d.optimal, d.minimax):
        assert design.alpha <= 0.05 and design.power >= 0.8
        assert 0 < design.pet0 < 1 and design.n1 <= design.en0 <= design.n
    assert callable(one_sample_logrank_n) and callable(single_stage_binomial)
