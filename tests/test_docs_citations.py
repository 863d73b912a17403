"""The project stands alone: code and docs cite published sources or the project's own docs,
and every protocol clarification they cite (PN-xx) is written up in docs/protocol-notes.md."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTES = ROOT / "docs" / "protocol-notes.md"
#: Our team's working notes live outside the repository; nothing in it may point at them.
OUTSIDE = re.compile(r"\.\./shared|shared/domain|(?<!docs/)(?<!\()\b(?:protocol_notes|recist11|"
                     r"mrecist_hcc|ctcae_v5|palbociclib|hcc_clinical_scores|compliance|"
                     r"palbociclib_hcc_evidence)\.md\b|STYLE\.md")


def _project_files() -> list[Path]:
    files = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    for folder in ("src", "tests", "benchmarks"):
        files += [p for p in sorted((ROOT / folder).rglob("*"))
                  if p.suffix in {".py", ".md", ".yaml", ".yml", ".json", ".csv", ".txt", ".R"}
                  and "egg-info" not in p.parts and p.name != Path(__file__).name]
    return files


def test_nothing_points_outside_the_repository() -> None:
    bad = [f"{p.relative_to(ROOT)}:{n}" for p in _project_files()
           for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
           if OUTSIDE.search(line)]
    assert bad == [], "cite the published source or docs/... instead"


def test_every_cited_protocol_note_is_written_up() -> None:
    written = set(re.findall(r'<a id="pn-(\d\d)"></a>', NOTES.read_text(encoding="utf-8")))
    assert written == {f"{i:02d}" for i in range(1, 41)}
    cited = {m for p in _project_files()
             for m in re.findall(r"\bPN-(\d+)\b", p.read_text(encoding="utf-8"))}
    assert cited - written == set()
