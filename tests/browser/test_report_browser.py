"""The study report in the browser (issue 13): a statistician opens Results on the demo trial
(the synthetic cohort of 22 patients, seed 1, entered through the services), opens the study
report from there and sees every section with its figures drawn, no console error (the
report's own Content-Security-Policy lets its inline CSS and SVG through, nothing else), and
the same Results page in Chinese.

The README's report pictures (the PFS Kaplan-Meier plot, the waterfall plot and the response
rate table) are made here, into ``docs/screenshots/`` when ONCOTRIAL_README_SCREENSHOTS=1
(else under ``.cache/``), as the walk-through makes the others."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from storekit import PASSWORD

from oncotrial.services import authenticate, load_study, load_trial
from oncotrial.synth import SynthParams, generate_study

SCREENSHOTS = Path(__file__).resolve().parents[2] / (
    "docs/screenshots" if os.environ.get("ONCOTRIAL_README_SCREENSHOTS") == "1"
    else ".cache/screenshots/readme")
#: The default synthetic cohort's data cut-off (SynthParams().cutoff).
CUTOFF = SynthParams().cutoff.isoformat()
SECTIONS = ("Subject disposition and baseline characteristics", "Efficacy", "Safety",
            "Patient data listings")


@pytest.fixture(scope="module")
def trial(live: Any) -> Any:
    server, db = live
    ctx = load_trial()
    study = generate_study(SynthParams(), 1, ctx=ctx)
    load_study(db, ctx, study, nurse=authenticate(db, "nurse", PASSWORD).actor,
               investigator=authenticate(db, "drli", PASSWORD).actor,
               today=dt.date(2026, 1, 15), site="HCH")
    return server


def log_in(page: Any, url: str, username: str) -> None:
    page.goto(url + "/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(url + "/")


def test_a_statistician_opens_the_study_report_from_results(trial: Any, page: Any) -> None:
    log_in(page, trial.url, "stat")
    page.goto(f"{trial.url}/results?cutoff={CUTOFF}")
    section = page.get_by_role("region", name="Study report")
    link = section.get_by_role("link", name="Open the study report (HTML)")
    with page.context.expect_page() as opened:
        link.click()
    report = opened.value
    report.wait_for_load_state()
    errors: list[str] = []
    report.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    report.reload()
    for title in SECTIONS:
        assert report.get_by_role("heading", name=title).count() >= 1, title
    assert f"(data cut-off {CUTOFF})" in report.title()
    cutoff_row = report.get_by_role("row", name="Data cut-off")
    assert cutoff_row.get_by_role("cell").inner_text() == CUTOFF
    for figure in ("f-km_pfs", "f-km_os", "f-waterfall", "f-spider", "f-swimmer"):
        svg = report.locator(f"#{figure} svg")
        box = svg.bounding_box()
        assert box is not None and box["width"] > 400 and box["height"] > 200, figure
    assert not errors, errors
    assert not page.console_errors, page.console_errors
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for element, name in (("#f-km_pfs", "report-km-pfs.png"),
                          ("#f-waterfall", "report-waterfall.png"),
                          ("#t-response_rates", "report-response-rates.png")):
        report.locator(element).screenshot(path=str(SCREENSHOTS / name))
    report.close()


def test_results_in_chinese_offer_the_report(trial: Any, page: Any) -> None:
    log_in(page, trial.url, "stat")
    page.goto(f"{trial.url}/results?cutoff={CUTOFF}")
    page.get_by_label("Language").select_option(label="简体中文")
    page.get_by_role("button", name="Switch").click()
    page.wait_for_selector("html[lang='zh-CN']", state="attached")
    section = page.get_by_role("region", name="研究报告")
    assert section.get_by_role("link", name="打开研究报告（HTML）").count() == 1
    assert section.get_by_role("link", name="下载研究报告（PDF）").count() == 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "results-zh.png"))
    page.get_by_label("语言").select_option(label="English")
    page.get_by_role("button", name="切换").click()
    page.wait_for_selector("html[lang='en']", state="attached")
    page.screenshot(path=str(SCREENSHOTS / "results.png"))
