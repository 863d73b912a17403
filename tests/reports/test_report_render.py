"""The HTML page, the PDF and the files: self-contained, numbered, deterministic, and every
section present."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from reportkit import CUTOFF

from oncotrial import __version__
from oncotrial.context import TrialContext
from oncotrial.errors import InputError
from oncotrial.records import to_plain
from oncotrial.reports import (
    REPORT_STEPS,
    Report,
    build_report,
    figures,
    render_html,
    render_pdf,
    write_report,
)
from oncotrial.study import StudyData


class _Page(HTMLParser):
    """Collects ids, link targets, resource references and tag counts of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.anchors: list[str] = []
        self.resources: list[tuple[str, str, str]] = []
        self.tags: dict[str, int] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] = self.tags.get(tag, 0) + 1
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            if name == "href" and value and value.startswith("#"):
                self.anchors.append(value[1:])
            elif name in ("href", "src", "xlink:href", "srcset", "action") and value:
                self.resources.append((tag, name, value))


@pytest.fixture(scope="module")
def html(report: Report) -> str:
    return render_html(report)


@pytest.fixture(scope="module")
def page(html: str) -> _Page:
    parsed = _Page()
    parsed.feed(html)
    return parsed


def test_the_page_loads_nothing_from_anywhere(html: str, page: _Page) -> None:
    """Inline CSS and SVG only: no script, stylesheet link, image URL or remote reference
    (the SVG namespace declarations are names, not requests)."""
    assert "script" not in page.tags and "link" not in page.tags and "img" not in page.tags
    assert all(value.startswith("#") for _tag, _name, value in page.resources), page.resources
    assert "@import" not in html
    assert not re.search(r"url\((?!#)", html)  # only references inside the page
    without_namespaces = re.sub(r'xmlns(:\w+)?="[^"]*"', "", html)
    assert "http://" not in without_namespaces and "https://" not in without_namespaces


def test_every_figure_is_inline_svg(report: Report, html: str, page: _Page) -> None:
    assert page.tags.get("svg") == len(list(report.figures()))
    for figure in report.figures():
        assert figure.svg in html


def test_contents_link_to_every_table_and_figure(report: Report, page: _Page) -> None:
    assert set(page.anchors) <= page.ids
    for table in report.tables():
        assert f"t-{table.key}" in page.anchors
    for figure in report.figures():
        assert f"f-{figure.key}" in page.anchors


def test_numbers_are_unique_and_in_csr_order(report: Report) -> None:
    numbers = [t.number for t in report.tables()] + [f.number for f in report.figures()]
    assert len(numbers) == len(set(numbers))
    assert report.table("disposition").number == "Table 14.1.1"
    assert report.table("bor").number == "Table 14.2.1"
    assert report.table("exposure").number == "Table 14.3.1"
    assert report.table("analysis_rules").number == "Table 16.1.9.1"
    assert report.table("listing_discontinuations").number == "Listing 16.2.1"
    assert report.figure("km_pfs").number == "Figure 14.2.1"


def test_the_page_states_cut_off_version_and_source(report: Report, html: str) -> None:
    assert "2026-10-31" in html
    assert f"oncotrial {__version__}" in html
    assert report.source in html
    assert report.software_version == __version__


def test_protocol_rules_in_force_are_listed(report: Report, ctx: TrialContext) -> None:
    rules = {(r.cells[0], r.cells[1]): r.cells[2] for r in report.table("analysis_rules").rows}
    assert rules[("Endpoints", "time_origin")] == "first_dose"
    assert rules[("Endpoints", "confirm_min_days")] == str(ctx.endpoint_rules.confirm_min_days)
    assert rules[("Best overall response", "sd_min_days")] == str(ctx.bor.sd_min_days)
    assert rules[("Adverse events", "teae_window_days")] == str(ctx.teae_window_days)
    paths = [r.cells[0] for r in report.table("assumptions").rows]
    assert "endpoints.time_origin" in paths
    assert not any(str(p).startswith("intervention.dose_modification") for p in paths)


def test_a_long_listing_is_shown_in_part_and_says_so(report: Report) -> None:
    html = render_html(report, listing_rows=2)
    total = len(report.table("listing_discontinuations").rows)
    assert f"Rows 1&ndash;2 of {total} are shown" in html
    assert "listings/listing_discontinuations.csv" in html


def test_the_report_is_deterministic(study: StudyData, ctx: TrialContext,
                                     report: Report, html: str) -> None:
    """The same data and cut-off give the same page, byte for byte (no clock, fixed SVG
    ids)."""
    again = build_report(study, ctx, cutoff=CUTOFF)
    assert render_html(again) == html


def test_progress_announces_every_step_in_order(study: StudyData, ctx: TrialContext) -> None:
    steps: list[str] = []
    build_report(study, ctx, cutoff=CUTOFF, progress=steps.append)
    assert steps == list(REPORT_STEPS)


def test_the_report_is_plain_data(report: Report) -> None:
    plain = to_plain(report)
    assert plain["cutoff_on"] == "2026-10-31"
    assert len(plain["sections"]) == 5


def test_the_svg_ids_of_two_figures_never_clash(report: Report) -> None:
    seen: set[str] = set()
    for figure in report.figures():
        ids = set(re.findall(r'id="([^"]+)"', figure.svg))
        assert not ids & seen
        seen |= ids


def test_large_studies_keep_figures_readable(study: StudyData, ctx: TrialContext,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Above the limits the waterfall draws every k-th sorted bar, the spider plot samples
    and the swimmer plot keeps the longest lanes; each caption says so (limits lowered here
    so that the small study crosses them)."""
    monkeypatch.setattr(figures, "MAX_BARS", 2)
    monkeypatch.setattr(figures, "MAX_SPIDER", 2)
    monkeypatch.setattr(figures, "MAX_LANES", 5)
    report = build_report(study, ctx, cutoff=CUTOFF)
    assert "one bar in every 2 (in sorted order) is drawn" in report.figure("waterfall").caption
    spider = report.figure("spider")
    assert spider.data["subjects_shown"] == 2 < spider.data["subjects_with_data"]
    assert "even sample" in spider.caption
    swimmer = report.figure("swimmer")
    assert swimmer.data["subjects_shown"] == 5 and swimmer.data["treated"] == 12
    assert "longest on treatment" in swimmer.caption
    assert swimmer.data["lanes"][0] == "S04"  # 9 months, ongoing


def test_write_report_writes_html_pdf_and_listings(report: Report, tmp_path: Path) -> None:
    out = tmp_path / "out"
    written = write_report(report, out, pdf=False)
    assert out / "report.html" in written and not (out / "report.pdf").exists()
    csv = (out / "listings" / "listing_deaths.csv").read_text(encoding="utf-8")
    assert csv.splitlines()[0].startswith("Subject,Date of death")
    assert len(csv.splitlines()) == 1 + len(report.table("listing_deaths").rows)
    findings = (out / "findings.txt").read_text(encoding="utf-8")
    assert findings.splitlines() == list(report.findings)


def test_a_long_list_of_findings_is_shown_in_part(report: Report) -> None:
    many = replace(report, findings=tuple(f"Finding {i}." for i in range(60)))
    html = render_html(many)
    assert "Finding 49." in html and "Finding 50." not in html
    assert "10 more are not shown here; findings.txt" in html


def test_write_report_refuses_a_file_for_a_folder(report: Report, tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="is a file"):
        write_report(report, target, pdf=False)


@pytest.mark.slow
def test_the_pdf_opens_and_holds_every_section(report: Report) -> None:
    """WeasyPrint from the same HTML; pypdf reads it back: every section, table and figure
    title, the cut-off and the version are in its text, on numbered pages."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(render_pdf(report)))
    text = " ".join(page.extract_text() for page in reader.pages)
    flat = re.sub(r"\s+", " ", text).replace("T able", "Table")
    for section in report.sections:
        assert f"{section.number} {section.title}" in flat
    for figure in report.figures():
        assert figure.title in flat
    assert "Data cut-off 2026-10-31" in flat
    assert f"oncotrial {__version__}" in flat
    assert f"Page 1 of {len(reader.pages)}" in flat
    assert reader.metadata is not None and report.protocol_id in (reader.metadata.title or "")


def test_a_report_without_screening_or_safety_data_still_renders(study: StudyData,
                                                                  ctx: TrialContext) -> None:
    """An exchange-format data set may hold only the endpoint domains."""
    bare = replace(study, screening=(), baseline=(), labs=(), lesions=(), adverse_events=())
    report = build_report(bare, ctx, cutoff=CUTOFF)
    assert report.table("disposition").cell("Patients screened", 1) == 0
    assert report.table("teae_overview").cell("Any TEAE", 1) == 0
    assert report.figure("waterfall").data["bars"] == []
    assert "<svg" in render_html(report)
