"""The bundled example data set entered through the services gives, through ``oncotrial export
json`` and ``oncotrial analyze``, the same endpoint table as the example data itself (issue 11,
"Done when"). Every record travels the whole way: screening forms, eligibility, enrolment, the
dosing, tumour response, death, survival, subsequent-therapy, end-of-treatment and disposition
forms, the item rows, the one mapping back to the shared records, the exchange format."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

from storekit import PASSWORD, Staff, screen_in_example
from typer.testing import CliRunner

from oncotrial.cli import build_app
from oncotrial.context import TrialContext
from oncotrial.endpoints import Dataset, load_example_dataset
from oncotrial.services import Database, enrol, save_form

CUTOFF = "2026-10-31"


def _by_subject(dataset: Dataset) -> dict[str, dict[str, list[Any]]]:
    out: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for name in ("dosing", "assessments", "deaths", "contacts", "new_therapies",
                 "discontinuations"):
        for record in getattr(dataset, name):
            out[record.subject_id][name].append(record)
    return out


def _save(db: Database, staff: Staff, ctx: TrialContext, subject: str, form: str,
          values: dict[str, Any], visit: str | None = None, occurrence: int = 1) -> None:
    save_form(db, staff["drli"], ctx, subject, form, values, visit=visit,
              occurrence=occurrence, today=dt.date(2026, 12, 1))


def _enter_subject(db: Database, staff: Staff, ctx: TrialContext, number: str,
                   subject: Any, records: dict[str, list[Any]]) -> str:
    screen_in_example(db, staff, ctx, number, on=subject.enrolled_on)
    sid = enrol(db, staff["drli"], ctx, number, enrolled_on=subject.enrolled_on).subject_id
    measurable = "yes" if subject.measurable_disease_at_baseline else "no"
    occurrence = 0
    for a in sorted(records["assessments"], key=lambda r: r.assessed_on):
        values = {"assessed_on": a.assessed_on.isoformat(), "assessed_by": "investigator",
                  "baseline": "yes" if a.baseline else "no",
                  "overall_response": a.overall_response and a.overall_response.value,
                  "new_lesion_on": a.new_lesion_on and a.new_lesion_on.isoformat()}
        if a.baseline:
            _save(db, staff, ctx, sid, "tumour_response",
                  {**values, "measurable_disease_at_baseline": measurable}, visit="SCR")
        else:
            occurrence += 1
            _save(db, staff, ctx, sid, "tumour_response", values, "TA", occurrence)
    if subject.measurable_disease_at_baseline and not any(
            a.baseline for a in records["assessments"]):
        # The example gives this patient no baseline assessment, only the flag; at the site the
        # flag comes from the baseline scan's target lesion (RECIST 1.1 section 3.1).
        _save(db, staff, ctx, sid, "tumour_lesions", {
            "measured_on": subject.enrolled_on.isoformat(), "method": "CT", "lesions": [
                {"lesion_id": "T1", "kind": "target", "organ": "liver", "nodal": "no",
                 "state": "measured", "diameter_mm": {"value": "42", "unit": "mm"}}]},
              visit="SCR")
    if records["dosing"]:
        _save(db, staff, ctx, sid, "dosing", {"doses": [
            {"start_on": d.start_on.isoformat(), "end_on": d.end_on.isoformat(),
             "daily_dose_mg": f"{d.daily_dose_mg:g}", "change_reason": "as_planned"}
            for d in records["dosing"]]}, visit="C1D1")
    for n, c in enumerate(sorted(records["contacts"], key=lambda r: r.contact_on), 1):
        _save(db, staff, ctx, sid, "survival_follow_up", {
            "contact_on": c.contact_on.isoformat(), "method": "phone",
            "alive": "yes" if c.alive else "no", "new_anticancer_therapy": "no"}, "SURV", n)
    for death in records["deaths"]:
        _save(db, staff, ctx, sid, "death", {"died_on": death.died_on.isoformat(),
                                              "cause": "other", "cause_detail": death.cause,
                                              "source": "records"})
    if records["new_therapies"]:
        _save(db, staff, ctx, sid, "subsequent_therapy", {"therapies": [
            {"name": t.name or "unnamed", "therapy_type": t.therapy_type.value,
             "started_on": t.started_on.isoformat()} for t in records["new_therapies"]]})
    for stop in records["discontinuations"]:
        day, reason = stop.discontinued_on.isoformat(), stop.reason.value
        if stop.level.value == "treatment":
            _save(db, staff, ctx, sid, "end_of_treatment", {
                "last_dose_on": day, "discontinued_on": day, "reason": reason}, "EOT")
        else:
            _save(db, staff, ctx, sid, "disposition", {"ended_on": day, "reason": reason})
    return sid


def _analyze(folder: Path) -> dict[str, Any]:
    result = CliRunner().invoke(build_app(), ["analyze", str(folder), "--json",
                                              "--cutoff", CUTOFF])
    assert result.exit_code == 0, result.output
    payload: dict[str, Any] = json.loads(result.output)
    payload.pop("source")
    payload.pop("findings")
    return payload


def _rename(payload: Any, names: dict[str, str]) -> Any:
    text = json.dumps(payload, sort_keys=True)
    for old, new in names.items():
        text = text.replace(f'"{old}"', f'"{new}"')
    renamed = json.loads(text)
    # Subject rows are listed by subject id; after renaming, list them in one order again.
    renamed["subjects"] = sorted(renamed["subjects"], key=lambda row: row["subject_id"])
    return renamed


def test_example_data_through_the_services_gives_the_same_endpoints(
        db: Database, staff: Staff, ctx: TrialContext, tmp_path: Path) -> None:
    example = load_example_dataset()
    grouped = _by_subject(example)
    names = {}
    for n, subject in enumerate(sorted(example.subjects, key=lambda s: s.enrolled_on), 1):
        names[_enter_subject(db, staff, ctx, f"S-{n:03d}", subject,
                             grouped[subject.subject_id])] = subject.subject_id
    expected_dir = tmp_path / "example"
    expected_dir.mkdir()
    from oncotrial.endpoints import example_files

    for name, content in example_files().items():
        (expected_dir / name).write_text(content, encoding="utf-8")
    exported = tmp_path / "export"
    url = str(db.engine.url.render_as_string(hide_password=False))
    env = {**os.environ, "ONCOTRIAL_PASSWORD": PASSWORD}
    result = CliRunner(env=env).invoke(build_app(), [
        "export", "json", "--out", str(exported), "--user", "dm", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert _rename(_analyze(exported), names) == _rename(_analyze(expected_dir), {})
