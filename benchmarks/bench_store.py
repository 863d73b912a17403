"""Benchmark the trial database (issue 11): a form save with its audit rows, a two-year
casebook, and 5,000 synthetic subjects loaded and exported as JSON.

Run: ``.venv/bin/python benchmarks/bench_store.py [--database-url URL] [--subjects N]
[--service-subjects M] [--repeat R] [--only save,casebook,load] [--profile]``.

Without ``--database-url`` (or ``ONCOTRIAL_TEST_DATABASE_URL``) every part runs on a new SQLite
file in a temporary folder, set up by ``make_engine`` (WAL, foreign keys, ``BEGIN IMMEDIATE``)
and migrated by ``upgrade``. With a PostgreSQL URL each part gets its own schema
(``oncotrial_bench_<pid>_<part>``, made as ``storekit.reset_postgres`` does and dropped at the
end), so a run does not meet the tests running beside it. No network is needed.

1. ``save``: ``save_form`` for a consented subject, ``--repeat`` times each (after 5 untimed
   warm-up saves): vital signs (7 items), haematology (7 lab items with unit and range) and
   blood chemistry (13 items) each at a new unscheduled visit (``UNS``, occurrence n), and a
   correction of blood chemistry with a reason (two values changed, ``expected_version``).
2. ``casebook``: one subject screened in from the bundled example and enrolled
   (``storekit.screen_in_example`` + ``enrol``), then two years of visits entered through the
   services: C1D1, Day 1 of cycles 2-26 (``CD1`` occurrence n is cycle n + 1), Day 15 of every
   cycle (``CD15`` occurrence n is cycle n; the protocol asks for cycles 1 and 2 only, so this
   is heavier than the trial), tumour assessments every 56 days (``TA`` 1-13), each visit's date
   recorded, and an adverse-event log. Then ``load_casebook`` ``--repeat`` times.
3. ``load``: ``--subjects`` enrolled synthetic subjects, each with the example's screening forms
   (dates moved to its own enrolment day), a baseline tumour assessment, and follow-up forms at
   C1D1 (vital signs, haematology, chemistry, dosing) and at the first tumour assessment.
   The first ``--service-subjects`` go through the services (register, 14 screening saves,
   ``enrol`` with its eligibility check, ``record_visit``, ``save_form``); their time per subject
   is also extrapolated to ``--subjects`` (labelled so). The rest go through a bulk path: the
   same values through ``check_form`` (the check of every write path), then multi-row INSERTs
   of subjects, visits, form instances and item values in one transaction per 250 subjects with
   the audit context set, so the database's triggers write every audit row as for any write.
   Then ``export_json`` of all ``--subjects`` is timed. ``--profile`` prints the top functions
   (cProfile) of the service load, the bulk path and the export (profiled times are inflated).

Wall and CPU time are both printed for the load part: the CPU time of this process leaves out
other processes on a shared machine (and the PostgreSQL server's own work).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import importlib
import json
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, insert, select

from oncotrial.context import TrialContext
from oncotrial.forms import FormSet, check_form
from oncotrial.services import (
    Actor,
    Database,
    authenticate,
    create_user,
    enrol,
    export_json,
    load_casebook,
    record_visit,
    register_subject,
    save_form,
)
from oncotrial.services.lookup import as_form_data, content_hash, item_ref, visit_ref
from oncotrial.services.trial import load_trial
from oncotrial.store.audit import append_event
from oncotrial.store.db import make_engine
from oncotrial.store.migrate import upgrade
from oncotrial.store.models import (
    AuditLog,
    FormInstance,
    ItemValue,
    Subject,
    SubjectIdentity,
    Visit,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "support"))
storekit = importlib.import_module("storekit")

TODAY = dt.date(2027, 12, 31)
"""The day every synthetic save is made (all dates are before it)."""
WARM_UP = 5
BULK_BATCH = 250
console = Console(highlight=False, width=150)


# --------------------------------------------------------------------------- databases


@dataclass
class Backend:
    """Where the parts run: SQLite files in a temporary folder, or PostgreSQL schemas."""

    pg_url: str | None
    folder: Path
    schemas: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return "PostgreSQL" if self.pg_url else "SQLite"

    def open(self, part: str) -> Database:
        """A new, migrated, empty database for one part of the benchmark."""
        if self.pg_url is None:
            url = f"sqlite:///{self.folder / f'{part}.db'}"
        else:
            schema = f"oncotrial_bench_{os.getpid()}_{part}"
            self.schemas.append(schema)
            url = storekit.reset_postgres(self.pg_url, schema)
        db = Database.from_url(url)
        upgrade(db.engine)
        return db

    def cleanup(self) -> None:
        if self.pg_url is None or not self.schemas:
            return
        engine = make_engine(self.pg_url)
        with engine.begin() as connection:
            for schema in self.schemas:
                connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        engine.dispose()


def audit_rows(db: Database) -> int:
    return count(db, AuditLog)


def count(db: Database, model: Any) -> int:
    with db.engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(model)) or 0)


# --------------------------------------------------------------------------- synthetic values

#: item: (unit, lln, uln, low, high, decimals); values drawn uniformly in [low, high].
HAEMATOLOGY = {
    "wbc": ("10^9/L", 3.5, 9.5, 3.0, 9.0, 1),
    "anc": ("10^9/L", 1.8, 6.3, 1.5, 6.0, 1),
    "lymphocytes": ("10^9/L", 1.1, 3.2, 0.8, 3.0, 1),
    "hemoglobin": ("g/L", 130, 175, 95, 160, 0),
    "platelets": ("10^9/L", 125, 350, 80, 300, 0),
}
CHEMISTRY = {
    "bilirubin": ("umol/L", None, 21, 8, 30, 1),
    "alt": ("U/L", None, 40, 15, 80, 0),
    "ast": ("U/L", None, 40, 15, 90, 0),
    "alp": ("U/L", 45, 125, 60, 200, 0),
    "ggt": ("U/L", 10, 60, 20, 150, 0),
    "albumin": ("g/L", 40, 55, 30, 45, 0),
    "creatinine": ("umol/L", 57, 111, 50, 110, 0),
    "sodium": ("mmol/L", 137, 147, 132, 145, 0),
    "potassium": ("mmol/L", 3.5, 5.3, 3.4, 5.0, 1),
    "calcium": ("mmol/L", 2.11, 2.52, 2.0, 2.6, 2),
    "glucose": ("mmol/L", 3.9, 6.1, 4.0, 9.0, 1),
    "afp": ("ng/mL", None, 7, 5, 5000, 0),
}


def _labs(rng: random.Random, spec: dict[str, tuple[Any, ...]]) -> dict[str, Any]:
    out = {}
    for item, (unit, lln, uln, low, high, decimals) in spec.items():
        answer = {"value": f"{rng.uniform(low, high):.{decimals}f}", "unit": unit, "uln": uln}
        if lln is not None:
            answer["lln"] = lln
        out[item] = answer
    return out


def vital_signs(rng: random.Random, on: dt.date) -> dict[str, Any]:
    systolic = rng.randrange(100, 160)
    return {"assessed_on": on.isoformat(), "temperature": f"{rng.uniform(36.0, 37.4):.1f}",
            "systolic_bp": str(systolic), "diastolic_bp": str(systolic - rng.randrange(30, 50)),
            "pulse": str(rng.randrange(55, 100)), "respiratory_rate": str(rng.randrange(12, 20)),
            "weight": f"{rng.uniform(50, 90):.1f}"}


def haematology(rng: random.Random, on: dt.date) -> dict[str, Any]:
    return {"collected_on": on.isoformat(), **_labs(rng, HAEMATOLOGY),
            "transfusion_or_growth_factor": "no"}


def chemistry(rng: random.Random, on: dt.date) -> dict[str, Any]:
    return {"collected_on": on.isoformat(), **_labs(rng, CHEMISTRY)}


def ecog(rng: random.Random, on: dt.date) -> dict[str, Any]:
    return {"assessed_on": on.isoformat(), "ecog": str(rng.choice([0, 1, 1, 2]))}


def dosing(rng: random.Random, start: dt.date, days: int) -> dict[str, Any]:
    dose = rng.choice(["125", "125", "125", "100"])
    reason = "as_planned" if dose == "125" else "adverse_event"
    return {"doses": [{"start_on": start.isoformat(),
                       "end_on": (start + dt.timedelta(days=days - 1)).isoformat(),
                       "daily_dose_mg": dose, "change_reason": reason}]}


def capsules(rng: random.Random, on: dt.date) -> dict[str, Any]:
    return {"kit_number": f"K{rng.randrange(10_000, 99_999)}", "capsule_strength_mg": "125",
            "dispensed_on": on.isoformat(), "capsules_dispensed": "21",
            "returned_on": on.isoformat(), "capsules_returned": str(rng.randrange(0, 3)),
            "capsules_lost": "0"}


def lesions(rng: random.Random, on: dt.date, shrink: float) -> dict[str, Any]:
    return {"measured_on": on.isoformat(), "method": "CT", "lesions": [
        {"lesion_id": "T1", "kind": "target", "organ": "liver segment 7", "nodal": "no",
         "state": "measured", "diameter_mm": {"value": f"{46 * shrink:.0f}", "unit": "mm"}},
        {"lesion_id": "T2", "kind": "target", "organ": "right lower lobe lung", "nodal": "no",
         "state": "measured", "diameter_mm": {"value": f"{17 * shrink:.0f}", "unit": "mm"}},
        {"lesion_id": "NT1", "kind": "non_target", "organ": "portocaval lymph node",
         "nodal": "yes", "state": "measured",
         "diameter_mm": {"value": f"{16 + rng.randrange(-2, 3)}", "unit": "mm"},
         "status": "present"}]}


def tumour_response(on: dt.date, response: str | None) -> dict[str, Any]:
    values = {"assessed_on": on.isoformat(), "assessed_by": "investigator",
              "baseline": "yes" if response is None else "no"}
    if response is None:
        values["measurable_disease_at_baseline"] = "yes"
    else:
        values["overall_response"] = response
    return values


def adverse_events(rng: random.Random, first: dt.date) -> dict[str, Any]:
    terms = ["Neutrophil count decreased", "Platelet count decreased", "Fatigue", "Anemia",
             "Nausea", "Diarrhea", "White blood cell decreased", "Alanine aminotransferase "
             "increased"]
    rows = []
    for n, term in enumerate(terms):
        onset = first + dt.timedelta(days=20 + 70 * n + rng.randrange(10))
        rows.append({"term": term, "verbatim": term.lower(), "onset_on": onset.isoformat(),
                     "grade": str(rng.choice([1, 1, 2, 3])), "serious": "no",
                     "relationship": "possible", "action_taken": "dose_not_changed",
                     "outcome": "recovered",
                     "resolved_on": (onset + dt.timedelta(days=9)).isoformat()})
    return {"events": rows}


@dataclass(frozen=True)
class PlannedForm:
    """One form to enter: at visit ``visit`` (None: a log form), occurrence, visit date."""

    form_id: str
    visit: str | None
    occurrence: int
    visit_on: dt.date | None
    values: dict[str, Any]


def follow_up(rng: random.Random, enrolled_on: dt.date) -> list[PlannedForm]:
    """The load part's forms after screening: baseline response, C1D1 and the first TA."""
    first = enrolled_on + dt.timedelta(days=1)
    scan = first + dt.timedelta(days=56 + rng.randrange(-3, 4))
    response = rng.choice(["PR", "SD", "SD", "SD", "PD"])
    return [
        PlannedForm("tumour_response", "SCR", 1, None,
                    tumour_response(enrolled_on - dt.timedelta(days=10), None)),
        PlannedForm("vital_signs", "C1D1", 1, first, vital_signs(rng, first)),
        PlannedForm("haematology", "C1D1", 1, first, haematology(rng, first)),
        PlannedForm("chemistry", "C1D1", 1, first, chemistry(rng, first)),
        PlannedForm("dosing", "C1D1", 1, first, dosing(rng, first, 21)),
        PlannedForm("tumour_response", "TA", 1, scan, tumour_response(scan, response)),
    ]


def two_years(rng: random.Random, enrolled_on: dt.date) -> list[PlannedForm]:
    """The casebook part's forms after screening: 26 four-week cycles and 13 scans."""
    first = enrolled_on + dt.timedelta(days=1)
    baseline = enrolled_on - dt.timedelta(days=10)
    out = [PlannedForm("tumour_lesions", "SCR", 1, None, lesions(rng, baseline, 1.0)),
           PlannedForm("tumour_response", "SCR", 1, None, tumour_response(baseline, None))]
    for cycle in range(1, 27):
        day1 = first + dt.timedelta(days=28 * (cycle - 1))
        code, occ = ("C1D1", 1) if cycle == 1 else ("CD1", cycle - 1)
        out += [PlannedForm("vital_signs", code, occ, day1, vital_signs(rng, day1)),
                PlannedForm("haematology", code, occ, day1, haematology(rng, day1)),
                PlannedForm("chemistry", code, occ, day1, chemistry(rng, day1))]
        if cycle > 1:
            out.append(PlannedForm("ecog", code, occ, day1, ecog(rng, day1)))
            out.append(PlannedForm("dosing", code, occ, day1,
                                   dosing(rng, day1 - dt.timedelta(days=14), 7)))
        out.append(PlannedForm("capsule_accountability", code, occ, day1, capsules(rng, day1)))
        day15 = day1 + dt.timedelta(days=14)
        out += [PlannedForm("haematology", "CD15", cycle, day15, haematology(rng, day15)),
                PlannedForm("dosing", "CD15", cycle, day15, dosing(rng, day1, 14))]
    for n in range(1, 14):
        scan = first + dt.timedelta(days=56 * n)
        shrink = 0.9 - 0.02 * n
        out += [PlannedForm("tumour_lesions", "TA", n, scan, lesions(rng, scan, shrink)),
                PlannedForm("tumour_response", "TA", n, scan, tumour_response(scan, "PR"))]
    out.append(PlannedForm("adverse_events", None, 1, None, adverse_events(rng, first)))
    return out


# --------------------------------------------------------------------------- staff and entry


@dataclass
class People:
    """The logged-in staff of storekit plus a principal investigator who is also an
    administrator (enrolment beyond the target of 22 needs both rights)."""

    staff: Any
    pi: Actor


def people(db: Database) -> People:
    staff = storekit.make_staff(db)
    create_user(db, staff["admin"], "pi", "Pat Investigator", storekit.PASSWORD,
                {"investigator": "HCH", "administrator": None})
    return People(staff, authenticate(db, "pi", storekit.PASSWORD).actor)


def enter(db: Database, ctx: TrialContext, actor: Actor, subject: str,
          planned: list[PlannedForm]) -> int:
    """Record each visit's date once, then save every form; return the number of saves."""
    dated: set[tuple[str, int]] = set()
    for form in planned:
        if form.visit and form.visit_on and (form.visit, form.occurrence) not in dated:
            record_visit(db, actor, ctx, subject, form.visit, actual_on=form.visit_on,
                         occurrence=form.occurrence)
            dated.add((form.visit, form.occurrence))
        save_form(db, actor, ctx, subject, form.form_id, form.values, visit=form.visit,
                  occurrence=form.occurrence, today=TODAY)
    return len(planned)


_SCREENING: dict[int, dict[str, dict[str, Any]]] = {}


def screening_values(forms: FormSet, on: dt.date) -> dict[str, dict[str, Any]]:
    """The example patient's screening forms dated for enrolment on ``on`` (``storekit``
    reads the example file on every call, 6 ms; the load part asks for 100 dates only)."""
    shift = (on - storekit.EXAMPLE_DAY).days
    if shift not in _SCREENING:
        _SCREENING[shift] = storekit.example_screening(forms, shift)
    return _SCREENING[shift]


def screen_in(db: Database, ctx: TrialContext, who: People, number: str,
              on: dt.date) -> None:
    """``storekit.screen_in_example`` with the example read once per date."""
    forms = screening_values(ctx.forms, on)  # type: ignore[arg-type]
    nurse = who.staff["nurse"]
    register_subject(db, nurse, ctx, site="HCH", screening_number=number)
    for form_id in ["consent", *(f for f in forms if f != "consent")]:
        save_form(db, nurse, ctx, number, form_id, forms[form_id], visit="SCR", today=on)


def enrolled_subject(db: Database, ctx: TrialContext, who: People, number: str,
                     enrolled_on: dt.date, *, cached: bool = False) -> str:
    """Screen in the example patient as ``number`` and enrol it; return the subject id."""
    if cached:
        screen_in(db, ctx, who, number, enrolled_on)
    else:
        storekit.screen_in_example(db, who.staff, ctx, number, on=enrolled_on)
    return enrol(db, who.pi, ctx, number, enrolled_on=enrolled_on,
                 over_enrolment_reason="benchmark: synthetic subjects beyond the target"
                 ).subject_id


# --------------------------------------------------------------------------- timing helpers


@dataclass(frozen=True)
class Timing:
    label: str
    n: int
    median: float
    p95: float
    maximum: float
    note: str = ""


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def summarise(label: str, times: list[float], note: str = "") -> Timing:
    p95 = statistics.quantiles(times, n=20, method="inclusive")[-1] if len(times) > 1 \
        else times[0]
    return Timing(label, len(times), statistics.median(times), p95, max(times), note)


def timing_table(title: str, rows: list[Timing]) -> None:
    table = Table(title=title, title_justify="left")
    for name in ("workload", "n", "median ms", "p95 ms", "max ms", "note"):
        table.add_column(name, justify="left" if name in ("workload", "note") else "right")
    for row in rows:
        table.add_row(row.label, str(row.n), f"{1e3 * row.median:.2f}", f"{1e3 * row.p95:.2f}",
                      f"{1e3 * row.maximum:.2f}", row.note)
    console.print(table)


@contextmanager
def profiled(enabled: bool, title: str) -> Iterator[None]:
    """Profile the block with cProfile when ``enabled`` and print where the time goes."""
    if not enabled:
        yield
        return
    profile = cProfile.Profile()
    profile.enable()
    try:
        yield
    finally:
        profile.disable()
        print_profile(profile, title)


def print_profile(profile: cProfile.Profile, title: str, top: int = 5) -> None:
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    rows = [(key, tt, ct, nc) for key, (_cc, nc, tt, ct, _callers) in stats.items()]
    total = sum(tt for _k, tt, _c, _n in rows)

    def name(key: tuple[str, int, str]) -> str:
        path, line, fn = key
        short = path.split("site-packages/")[-1].split("src/")[-1]
        return f"{fn} ({short}:{line})" if line else fn

    ours = [r for r in rows if "/src/oncotrial/" in r[0][0]]
    table = Table(title=f"{title}: profile, {total:.2f} s of own time in all", title_justify="left")
    for column in ("top by", "function", "calls", "own s", "cumulative s"):
        table.add_column(column, justify="left" if column in ("top by", "function") else "right")
    for label, chosen in (
            ("own time", sorted(rows, key=lambda r: -r[1])[:top]),
            ("cumulative, oncotrial", sorted(ours, key=lambda r: -r[2])[:top])):
        for key, tt, ct, nc in chosen:
            table.add_row(label, name(key), str(nc), f"{tt:.2f}", f"{ct:.2f}")
    console.print(table)


# --------------------------------------------------------------------------- 1. save


def bench_save(backend: Backend, ctx: TrialContext, repeat: int) -> list[Timing]:
    db = backend.open("save")
    try:
        who = people(db)
        nurse = who.staff["nurse"]
        subject = storekit.consented_subject(db, who.staff, ctx)
        rng = random.Random(11)
        occurrence = 0

        def new_visit(form_id: str, make: Callable[..., dict[str, Any]]) -> Timing:
            nonlocal occurrence
            times, before = [], audit_rows(db)
            for n in range(WARM_UP + repeat):
                occurrence += 1
                values = make(rng, dt.date(2026, 3, 1) + dt.timedelta(days=n % 600))
                start = time.perf_counter()
                save_form(db, nurse, ctx, subject, form_id, values, visit="UNS",
                          occurrence=occurrence, today=TODAY)
                if n >= WARM_UP:
                    times.append(time.perf_counter() - start)
            per_save = (audit_rows(db) - before) / (WARM_UP + repeat)
            items = len(as_form_data(values))
            return summarise(f"save_form {form_id}, new UNS visit", times,
                             f"{items} items, {per_save:.0f} audit rows a save")

        rows = [new_visit("vital_signs", vital_signs), new_visit("haematology", haematology),
                new_visit("chemistry", chemistry)]
        rows.append(correct_chemistry(db, ctx, nurse, subject, occurrence, repeat))
        console.print(f"save: the audit trail holds {audit_rows(db):,} rows at the end")
        return rows
    finally:
        db.dispose()


def correct_chemistry(db: Database, ctx: TrialContext, actor: Actor, subject: str,
                      occurrence: int, repeat: int) -> Timing:
    """Correct the last chemistry form ``repeat`` times, each with a reason and the version."""
    rng = random.Random(12)
    values = chemistry(rng, dt.date(2026, 9, 1))
    saved = save_form(db, actor, ctx, subject, "chemistry", values, visit="UNS",
                      occurrence=occurrence + 1, today=TODAY)
    version, times, before = saved.version, [], audit_rows(db)
    for n in range(WARM_UP + repeat):
        values = {**values, "alt": {**values["alt"], "value": str(20 + n % 50)},
                  "ast": {**values["ast"], "value": str(21 + n % 50)}}
        start = time.perf_counter()
        saved = save_form(db, actor, ctx, subject, "chemistry", values, visit="UNS",
                          occurrence=occurrence + 1, expected_version=version,
                          reason="transcription error, see laboratory report", today=TODAY)
        if n >= WARM_UP:
            times.append(time.perf_counter() - start)
        version = saved.version
    per_save = (audit_rows(db) - before) / (WARM_UP + repeat)
    return summarise("save_form chemistry, correction with reason", times,
                     f"2 of {len(as_form_data(values))} items changed, {per_save:.0f} audit "
                     "rows a save")


# --------------------------------------------------------------------------- 2. casebook


def bench_casebook(backend: Backend, ctx: TrialContext, repeat: int) -> list[Timing]:
    db = backend.open("casebook")
    try:
        who = people(db)
        rng = random.Random(2)
        enrolled_on = dt.date(2025, 1, 6)
        start = time.perf_counter()
        sid = enrolled_subject(db, ctx, who, "S-CB1", enrolled_on)
        saves = enter(db, ctx, who.staff["drli"], sid, two_years(rng, enrolled_on))
        built = time.perf_counter() - start
        actor = who.staff["dm"]
        book = load_casebook(db, actor, ctx, sid)
        items = sum(len(f.values) for f in book.forms)
        visits = len({f.visit for f in book.forms if f.visit})
        times = [timed(lambda: load_casebook(db, actor, ctx, sid)) for _ in range(repeat)]
        pseudo = [timed(lambda: load_casebook(db, who.staff["stat"], ctx, sid))
                  for _ in range(repeat)]
        # The slow loads above are CPython's full (generation 2) collections of the whole
        # process heap; gc.freeze() moves what exists now out of the collector's way, as a
        # long-running server would after start-up.
        gc.collect()
        gc.freeze()
        try:
            frozen = [timed(lambda: load_casebook(db, actor, ctx, sid)) for _ in range(repeat)]
        finally:
            gc.unfreeze()
        note = (f"{len(book.forms)} forms, {visits} visits, {items:,} item values; "
                f"entered in {built:.1f} s ({saves} saves after screening)")
        return [summarise("load_casebook, 2 years, data manager", times, note),
                summarise("load_casebook, same, statistician (pseudonymised)", pseudo),
                summarise("load_casebook, data manager, after gc.freeze()", frozen,
                          "no full collection of the start-up heap")]
    finally:
        db.dispose()


# --------------------------------------------------------------------------- 3. load + export


def enrolment_day(n: int) -> dt.date:
    """Subject n's enrolment day: spread over 700 days from 2024-01-01."""
    return dt.date(2024, 1, 1) + dt.timedelta(days=(n * 7) % 700)


@dataclass
class Spent:
    """Wall-clock and CPU time of this process (CPU leaves out the PostgreSQL server's)."""

    wall: float = 0.0
    cpu: float = 0.0

    @contextmanager
    def running(self) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.wall += time.perf_counter() - wall
            self.cpu += time.process_time() - cpu

    def cells(self, n: int = 1) -> tuple[str, str]:
        return f"{self.wall * n:.1f} s", f"{self.cpu * n:.1f} s"


def service_load(db: Database, ctx: TrialContext, who: People, numbers: range
                 ) -> tuple[Spent, list[float]]:
    """Load subjects through the services; return the time and each subject's CPU time."""
    spent, each = Spent(), []
    with spent.running():
        for n in numbers:
            start = time.process_time()
            on = enrolment_day(n)
            sid = enrolled_subject(db, ctx, who, f"S-{n:05d}", on, cached=True)
            enter(db, ctx, who.staff["drli"], sid, follow_up(random.Random(n), on))
            each.append(time.process_time() - start)
    return spent, each


@dataclass
class BulkSubject:
    """One subject's rows before they are written: canonical data of each form."""

    number: str
    subject_id: str
    enrolled_on: dt.date
    consented_on: dt.date
    forms: list[tuple[PlannedForm, dict[tuple[str, int, str], Any]]]


def bulk_prepare(ctx: TrialContext, n: int, enrolled_count: int) -> BulkSubject:
    """Subject ``n``'s forms as the services would enter them, checked by ``check_form``."""
    forms: FormSet = ctx.forms  # type: ignore[assignment]
    on = enrolment_day(n)
    screening = screening_values(forms, on)
    planned = [PlannedForm(f, "SCR", 1, None, v) for f, v in screening.items()]
    planned += follow_up(random.Random(n), on)
    checked = []
    for form in planned:
        result = check_form(forms.form(form.form_id), as_form_data(form.values),
                            today=TODAY, code_lists=forms.code_lists)
        if result.errors:
            raise SystemExit(f"synthetic form {form.form_id} refused: {result.errors}")
        checked.append((form, result.data))
    consent = dt.date.fromisoformat(screening["consent"]["consent_date"])
    return BulkSubject(f"S-{n:05d}", forms.subject_ids.subject_id(enrolled_count), on,
                       consent, checked)


#: Core tables (not the ORM classes): multi-row INSERTs without the unit of work.
SUBJECT, IDENTITY, VISIT, INSTANCE, ITEM = (
    model.__table__ for model in (Subject, SubjectIdentity, Visit, FormInstance, ItemValue))


def bulk_write(db: Database, actor: Actor, site_id: int, batch: list[BulkSubject]) -> None:
    """Write a batch of subjects in one transaction with multi-row INSERTs (audited)."""
    with db.transaction(actor, reason="bulk load (benchmark)") as session:
        subject_ids = session.scalars(insert(SUBJECT).returning(
            SUBJECT.c.id, sort_by_parameter_order=True), [
            {"site_id": site_id, "screening_number": s.number, "subject_id": s.subject_id,
             "pseudonym": f"P-B{s.number[2:]}", "status": "enrolled",
             "consented_on": s.consented_on, "enrolled_on": s.enrolled_on,
             "casebook_locked": False, "subject_ref": s.number, "version": 1}
            for s in batch]).all()
        session.execute(insert(IDENTITY), [
            {"subject_pk": pk, "full_name": "", "initials": "", "hospital_number": "",
             "phone": "", "subject_ref": s.number} for pk, s in zip(subject_ids, batch,
                                                                   strict=True)])
        visit_keys = [(pk, s, code, occ, on) for pk, s in zip(subject_ids, batch, strict=True)
                      for code, occ, on in dict.fromkeys(
                          (f.visit, f.occurrence, f.visit_on) for f, _ in s.forms if f.visit)]
        visit_pks = session.scalars(insert(VISIT).returning(
            VISIT.c.id, sort_by_parameter_order=True), [
            {"subject_pk": pk, "code": code, "occurrence": occ, "actual_on": on,
             "status": "planned" if on is None else "done", "subject_ref": s.number,
             "visit_ref": visit_ref(code, occ)} for pk, s, code, occ, on in visit_keys]).all()
        visit_of = {(pk, code, occ): vpk for (pk, _s, code, occ, _on), vpk
                    in zip(visit_keys, visit_pks, strict=True)}
        now = dt.datetime.now(dt.UTC)
        instances = [(pk, s, f, data) for pk, s in zip(subject_ids, batch, strict=True)
                     for f, data in s.forms]
        instance_pks = session.scalars(insert(INSTANCE).returning(
            INSTANCE.c.id, sort_by_parameter_order=True), [
            {"subject_pk": pk, "visit_pk": visit_of.get((pk, f.visit, f.occurrence)),
             "form_id": f.form_id, "form_version": "1", "status": "complete",
             "saved_at": now, "saved_by": actor.username, "locked": False,
             "content_hash": content_hash(data), "subject_ref": s.number,
             "visit_ref": visit_ref(f.visit, f.occurrence), "form_ref": f.form_id,
             "version": 1} for pk, s, f, data in instances]).all()
        session.execute(insert(ITEM), [
            {"form_instance_id": ipk, "group_id": key[0], "row_no": key[1], "item_id": key[2],
             "value": entry.value, "unit": entry.unit, "lln": entry.lln, "uln": entry.uln,
             "subject_ref": s.number, "visit_ref": visit_ref(f.visit, f.occurrence),
             "form_ref": f.form_id, "item_ref": item_ref(*key)}
            for ipk, (_pk, s, f, data) in zip(instance_pks, instances, strict=True)
            for key, entry in data.items() if entry.value is not None])
        for pk, s in zip(subject_ids, batch, strict=True):
            append_event(session.connection(), "enrolment", table="subject", row_key=str(pk),
                         subject_ref=s.number, new=s.subject_id)


def bulk_load(db: Database, ctx: TrialContext, actor: Actor, numbers: range,
              first_enrolled: int) -> tuple[Spent, Spent]:
    """Load subjects through the bulk path; return the time of check_form and of writing."""
    with db.transaction(actor) as session:
        site_id = session.scalar(select(Subject.site_id).limit(1)) or 1
    prepare, write = Spent(), Spent()
    batch: list[BulkSubject] = []
    for k, n in enumerate(numbers):
        with prepare.running():
            batch.append(bulk_prepare(ctx, n, first_enrolled + k))
        if len(batch) == BULK_BATCH or k == len(numbers) - 1:
            with write.running():
                bulk_write(db, actor, site_id, batch)
            batch = []
    return prepare, write


@dataclass
class LoadRun:
    """What the load part measured."""

    subjects: int
    via_services: int
    services: Spent
    each: list[float]
    prepare: Spent
    write: Spent
    export: Spent
    items: tuple[int, int]
    audits: tuple[int, int, int]
    exported: int
    megabytes: float


def bench_load(backend: Backend, ctx: TrialContext, subjects: int, via_services: int,
               profile: bool) -> LoadRun:
    db = backend.open("load")
    try:
        who = people(db)
        via_services = min(via_services, subjects)
        audit0 = audit_rows(db)
        with profiled(profile, f"load of {via_services} subjects through the services"):
            services, each = service_load(db, ctx, who, range(via_services))
        audit1, items1 = audit_rows(db), count(db, ItemValue)
        with profiled(profile, f"bulk path, {subjects - via_services} subjects"):
            prepare, write = bulk_load(db, ctx, who.staff["drli"],
                                       range(via_services, subjects), via_services + 1)
        audit2, items2 = audit_rows(db), count(db, ItemValue)
        out = Path(tempfile.mkdtemp(dir=backend.folder, prefix="export-"))
        export = Spent()
        with profiled(profile, f"export_json of {subjects} subjects"), export.running():
            files = export_json(db, who.staff["dm"], ctx, out)
        exported = len(json.loads((out / "subjects.json").read_text(encoding="utf-8")))
        megabytes = sum(p.stat().st_size for p in files) / 1e6
        return LoadRun(subjects, via_services, services, each, prepare, write, export,
                       (items1, items2), (audit0, audit1, audit2), exported, megabytes)
    finally:
        db.dispose()


def load_rows(run: LoadRun) -> list[tuple[str, ...]]:
    """The load part's table: workload, wall, CPU, note."""
    (items1, items2), (audit0, audit1, audit2) = run.items, run.audits
    n, m, bulk = run.subjects, run.via_services, run.subjects - run.via_services
    rows: list[tuple[str, ...]] = []
    if m:
        rows.append((f"load through the services, {m:,} subjects", *run.services.cells(),
                     f"{1e3 * run.services.wall / m:.1f} ms a subject; {items1 / m:.0f} item "
                     f"rows, {(audit1 - audit0) / m:.0f} audit rows a subject"))
        tenth = max(1, m // 10)
        rows.append(("  CPU a subject, first and last tenth", "",
                     f"{1e3 * statistics.mean(run.each[:tenth]):.0f} ms",
                     f"{1e3 * statistics.mean(run.each[-tenth:]):.0f} ms for the last "
                     f"{tenth:,} (does the time grow as the trial fills?)"))
        if m < n:
            rows.append((f"  extrapolated to {n:,} subjects (not measured)",
                         *run.services.cells(n / m), f"the time a subject x {n:,}"))
    if bulk:
        rows.append((f"bulk path, {bulk:,} subjects: check_form", *run.prepare.cells(),
                     "the same synthetic values checked as every write path checks them"))
        rows.append(("  multi-row INSERTs, audited by the triggers", *run.write.cells(),
                     f"{(items2 - items1) / bulk:.0f} item rows, "
                     f"{(audit2 - audit1) / bulk:.0f} audit rows a subject"))
    rows.append((f"export_json, {n:,} subjects", *run.export.cells(),
                 f"{run.exported:,} subjects exported, {run.megabytes:.1f} MB; the database "
                 f"holds {items2:,} item rows and {audit2:,} audit rows"))
    if bulk:
        total = Spent(run.prepare.wall + run.write.wall + run.export.wall,
                      run.prepare.cpu + run.write.cpu + run.export.cpu)
        rows.append((f"bulk load + export_json, {n:,} subjects", *total.cells(),
                     "target < 60 s"))
    if m:
        total = Spent(run.services.wall * n / m + run.export.wall,
                      run.services.cpu * n / m + run.export.cpu)
        rows.append((f"services load + export_json, {n:,} subjects"
                     + ("" if m == n else " (load extrapolated)"), *total.cells(),
                     "target < 60 s"))
    return rows


# --------------------------------------------------------------------------- main


def calibration() -> float:
    """CPU seconds of 3 million additions (as ``bench_eligibility.py``): how busy the machine
    is, to read a figure against."""
    start = time.process_time()
    total = 0
    for i in range(3_000_000):
        total += i
    return time.process_time() - start


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get(
        "ONCOTRIAL_TEST_DATABASE_URL", ""), help="a PostgreSQL URL (default: "
        "ONCOTRIAL_TEST_DATABASE_URL if set, else SQLite files in a temporary folder)")
    parser.add_argument("--subjects", type=int, default=5000,
                        help="subjects loaded and exported (default 5000)")
    parser.add_argument("--service-subjects", type=int, default=200,
                        help="how many of them go through the services (default 200)")
    parser.add_argument("--repeat", type=int, default=200,
                        help="timed saves per workload and casebook loads (default 200)")
    parser.add_argument("--only", default="save,casebook,load",
                        help="parts to run, comma-separated (default all)")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile the service load, the bulk path and the export")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    parts = {p.strip() for p in args.only.split(",")}
    if not parts <= {"save", "casebook", "load"}:
        raise SystemExit(f"--only takes save, casebook and load, not {args.only!r}.")
    url = args.database_url or None
    if url and not url.startswith(("postgresql", "postgres")):
        raise SystemExit("--database-url takes a PostgreSQL URL; SQLite is the default.")
    ctx = load_trial()
    with tempfile.TemporaryDirectory(prefix="bench-store-") as folder:
        backend = Backend(url, Path(folder))
        console.print(f"{backend.name}, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
                      f"load average {os.getloadavg()[0]:.2f}, calibration loop "
                      f"{calibration():.3f} s; repeat {args.repeat}, subjects {args.subjects:,} "
                      f"({min(args.service_subjects, args.subjects):,} through the services)")
        try:
            if "save" in parts:
                timing_table(f"1. save_form with its audit rows ({backend.name}; target "
                             "median < 20 ms)", bench_save(backend, ctx, args.repeat))
            if "casebook" in parts:
                timing_table(f"2. casebook of one subject, 2 years ({backend.name}; target "
                             "< 50 ms)", bench_casebook(backend, ctx, args.repeat))
            if "load" in parts:
                run = bench_load(backend, ctx, args.subjects, args.service_subjects,
                                 args.profile)
                table = Table(title=f"3. load and export_json ({backend.name}; target < 60 s)",
                              title_justify="left")
                for column in ("workload", "wall", "CPU", "note"):
                    table.add_column(column, justify="left" if column in ("workload", "note")
                                     else "right")
                for row in load_rows(run):
                    table.add_row(*row)
                console.print(table)
        finally:
            backend.cleanup()
            console.print(f"done; load average {os.getloadavg()[0]:.2f}, calibration loop "
                          f"{calibration():.3f} s")


if __name__ == "__main__":
    main()
