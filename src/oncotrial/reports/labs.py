"""Laboratory shift tables: each subject's baseline CTCAE grade against the worst grade after
it (ICH E3 section 12.4.2.2; ``docs/endpoints.md`` section 8.8).

Every value is graded by CTCAE v5.0 with :func:`oncotrial.ctcae.grade_labs` (the vectorised
grader, so 5,000 subjects take a fraction of a second), under each CTCAE term that grades its
analyte (potassium: Hypokalemia and Hyperkalemia). Baseline is the subject's last value on or
before the first-dose day; post-baseline values are those after the first dose up to the end
of the treatment-emergent window (the cut-off while on treatment; the TEAE window after the
last dose, and the day before a new anticancer therapy), the same window as the adverse-event
tables. Post-baseline values are graded with the subject's baseline value, which the terms
CTCAE v5.0 grades against the baseline use (ALT, AST, ALP, GGT, bilirubin when the baseline is
abnormal; creatinine, fibrinogen, INR).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from oncotrial.clinical import ANALYTES, analyte_key
from oncotrial.ctcae import grade_labs, lab_term, lab_terms
from oncotrial.errors import OncotrialError
from oncotrial.records import LabResult
from oncotrial.reports.inputs import ReportInputs, SubjectCourse
from oncotrial.reports.model import Column, Row, Table

__all__ = ["LAB_ORDER", "LabShift", "derive_lab_shifts", "lab_shift_tables"]

#: Analytes in the order the CSR shows them: haematology, then chemistry, then the rest.
LAB_ORDER = ("neutrophils", "wbc", "lymphocytes", "platelets", "hemoglobin", "alt", "ast",
             "alp", "ggt", "bilirubin", "creatinine", "albumin", "inr", "sodium", "potassium")

#: Grades of a shift table; -1 stands for "missing" (no value, or a value that cannot be graded).
GRADES = (0, 1, 2, 3, 4)
MISSING = -1


@dataclass(frozen=True, slots=True)
class LabShift:
    """One CTCAE term's shifts: subject -> (baseline grade, worst post-baseline grade),
    each -1 when missing; ``any_abnormal`` is True when some value is grade 1 or more."""

    term: str
    analyte: str
    shifts: dict[str, tuple[int, int]]
    any_abnormal: bool


def _window_end(course: SubjectCourse, cutoff: date, window_days: int) -> date:
    end = cutoff
    if not course.on_treatment and course.last_dose_on is not None:
        end = min(end, course.last_dose_on + timedelta(days=window_days))
    if course.next_therapy_on is not None:
        end = min(end, course.next_therapy_on - timedelta(days=1))
    return end


def _terms_by_analyte() -> dict[str, list[str]]:
    terms: dict[str, list[str]] = defaultdict(list)
    for name in lab_terms():
        terms[lab_term(name).analyte].append(name)
    return terms


def _nan(x: float | None) -> float:
    return math.nan if x is None else x


def _grade_rows(term: str, rows: list[LabResult], baselines: list[float | None]) -> np.ndarray:
    if not rows:  # grade_labs needs at least one value
        return np.zeros(0, dtype=np.int64)
    grades = grade_labs(term, [r.value for r in rows], [r.unit for r in rows],
                        lln=[_nan(r.lln) for r in rows], uln=[_nan(r.uln) for r in rows],
                        baseline=[_nan(b) for b in baselines])
    return np.asarray(grades.grade, dtype=np.int64)


def _analyte_shifts(analyte: str, terms: list[str], rows: list[LabResult],
                    courses: dict[str, SubjectCourse], ends: dict[str, date]) -> list[LabShift]:
    rows.sort(key=lambda r: (r.subject_id, r.collected_on))
    base_row: dict[str, LabResult] = {}
    post: list[LabResult] = []
    for r in rows:
        first = courses[r.subject_id].first_dose_on
        assert first is not None
        if r.collected_on <= first:
            base_row[r.subject_id] = r  # the last one on or before the first dose
        elif r.collected_on <= ends[r.subject_id]:
            post.append(r)
    subjects = sorted({r.subject_id for r in post} | set(base_row))
    base_list = [base_row[s] for s in sorted(base_row)]
    out = []
    for term in terms:
        base_grades = _grade_rows(term, base_list, [None] * len(base_list))
        post_grades = _grade_rows(term, post, [base_row[r.subject_id].value
                                               if r.subject_id in base_row else None
                                               for r in post])
        if not (base_grades >= 0).any() and not (post_grades >= 0).any():
            continue  # CTCAE grades this term by clinical criteria only (or nothing gradable)
        baseline = {r.subject_id: int(g) for r, g in zip(base_list, base_grades, strict=True)}
        worst: dict[str, int] = {}
        for r, g in zip(post, post_grades, strict=True):
            worst[r.subject_id] = max(worst.get(r.subject_id, MISSING), int(g))
        shifts = {s: (baseline.get(s, MISSING), worst.get(s, MISSING))
                  for s in subjects}
        abnormal = bool((base_grades > 0).any() or (post_grades > 0).any())
        out.append(LabShift(term, analyte, shifts, abnormal))
    return out


def derive_lab_shifts(inp: ReportInputs) -> tuple[tuple[LabShift, ...], tuple[str, ...]]:
    """Every CTCAE term's baseline-to-worst shifts in the safety set, in :data:`LAB_ORDER`
    (then by analyte name), and findings (analytes the platform does not know)."""
    courses = {c.subject.subject_id: c for c in inp.safety}
    ends = {sid: _window_end(c, inp.cutoff, inp.ctx.teae_window_days)
            for sid, c in courses.items()}
    by_analyte: dict[str, list[LabResult]] = defaultdict(list)
    unknown: set[str] = set()
    keys: dict[str, str | None] = {}
    for r in inp.study.labs:
        if r.subject_id not in courses or r.collected_on > inp.cutoff:
            continue
        if r.analyte not in keys:
            try:
                keys[r.analyte] = analyte_key(r.analyte)
            except OncotrialError:
                keys[r.analyte] = None
        key = keys[r.analyte]
        if key is None:
            unknown.add(r.analyte)
            continue
        by_analyte[key].append(r)
    terms = _terms_by_analyte()
    order = {a: i for i, a in enumerate(LAB_ORDER)}
    shifts: list[LabShift] = []
    for analyte in sorted(by_analyte, key=lambda a: (order.get(a, len(order)), a)):
        if analyte in terms:
            shifts += _analyte_shifts(analyte, terms[analyte], by_analyte[analyte], courses,
                                      ends)
    findings = tuple(f"Laboratory analyte {a!r} is not one the platform knows; its results "
                     "are left out of the shift tables." for a in sorted(unknown))
    return tuple(shifts), findings


def _label(grade: int) -> str:
    return "Missing" if grade == MISSING else f"Grade {grade}"


def _slug(term: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", term.lower()).strip("_")


def _shift_table(shift: LabShift, window_days: int) -> Table:
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for pair in shift.shifts.values():
        counts[pair] += 1
    columns = (*GRADES, MISSING)
    rows = []
    for b in columns:
        cells = [counts.get((b, w), 0) for w in columns]
        if b == MISSING and not sum(cells):
            continue
        rows.append(Row((_label(b), *cells, sum(cells))))
    totals = [sum(counts.get((b, w), 0) for b in columns) for w in columns]
    rows.append(Row(("Total", *totals, sum(totals)), strong=True))
    n = len(shift.shifts)
    return Table(
        key=f"lab_shift_{_slug(shift.term)}", number="",
        title=f"Laboratory shift from baseline to worst post-baseline grade: {shift.term}",
        population=f"Safety set, subjects with {ANALYTES[shift.analyte].label} results "
                   f"(N = {n})",
        columns=(Column("Baseline grade"), *(Column(f"Worst {_label(w).lower()}", "int")
                                             for w in columns), Column("Total", "int")),
        rows=tuple(rows),
        footnotes=("CTCAE v5.0 grades (oncotrial.ctcae.grade_labs). Baseline: last value on or "
                   "before the first-dose day. Post-baseline: after the first dose, to "
                   f"{window_days} days after the last dose (the cut-off while on treatment), "
                   "before any new anticancer therapy.",
                   "Missing: no value, or a value that cannot be graded (for example a limit of "
                   "normal not reported)."))


def lab_shift_tables(inp: ReportInputs) -> tuple[tuple[Table, ...], tuple[str, ...]]:
    """The summary of worsening from baseline and one shift table per CTCAE term with an
    abnormal value; terms whose values were all grade 0 are named in the summary's footnote.
    Returns the tables and findings."""
    shifts, findings = derive_lab_shifts(inp)
    rows = []
    for s in shifts:
        pairs = [p for p in s.shifts.values() if p[1] != MISSING]
        worse = sum(1 for b, w in pairs if w > max(b, 0))
        to_high = sum(1 for b, w in pairs if w >= 3 and b < 3)
        rows.append(Row((s.term, len(pairs), worse, to_high,
                         to_high / len(pairs) if pairs else None,
                         sum(1 for _, w in pairs if w == 3), sum(1 for _, w in pairs if w == 4))))
    normal = [s.term for s in shifts if not s.any_abnormal]
    notes = ["N: safety-set subjects with a graded post-baseline value. Worsened: worst "
             "post-baseline grade above the baseline grade (a missing baseline counts as "
             "grade 0). Worsened to grade 3 or 4: from a baseline grade below 3."]
    if normal:
        notes.append("Every value was grade 0 for: " + ", ".join(normal)
                     + "; their shift tables are not shown.")
    summary = Table(
        key="lab_summary", number="", title="Laboratory abnormalities worsening from baseline "
        "(CTCAE v5.0)", population=f"Safety set (N = {len(inp.safety)})",
        columns=(Column("CTCAE term"), Column("N", "int"), Column("Worsened", "int"),
                 Column("Worsened to grade 3 or 4", "int"), Column("% to grade 3 or 4", "pct"),
                 Column("Worst grade 3", "int"), Column("Worst grade 4", "int")),
        rows=tuple(rows), footnotes=tuple(notes))
    tables = [summary] + [_shift_table(s, inp.ctx.teae_window_days) for s in shifts
                          if s.any_abnormal]
    return tuple(tables), findings
