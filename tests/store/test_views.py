"""The per-form SQL views (oncotrial.store.views): one typed row per form or group row, the
pseudonymised ``vp_`` set for statisticians (AC-2), and a refresh that touches views only.
Runs on SQLite and on PostgreSQL (tests/store/conftest.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import inspect, text

from oncotrial.forms import FormSet, load_bundled_forms, parse_forms
from oncotrial.services.database import Database
from oncotrial.store.models import FormInstance, ItemValue, Site, Subject, Visit
from oncotrial.store.views import drop_views, refresh_views, view_names

FORMS_YAML = """
forms_version: 1
protocol: DEMO-1
version: "2.0"
subject_ids: {pattern: "D-{n:03d}"}
code_lists:
  yes_no:
    - {code: "yes", en: "Yes", zh: "是"}
    - {code: "no", en: "No", zh: "否"}
schedule:
  SCR: [labs]
log_forms: [surgery]
forms:
  - id: labs
    label: {en: Labs, zh: 化验}
    sections:
      - id: main
        label: {en: Labs, zh: 化验}
        items:
          - {id: collected_on, type: date, label: {en: Date, zh: 日期}}
          - {id: anc, type: lab, units: ["10^9/L", "/mm3"], label: {en: ANC, zh: 中性粒细胞}}
          - {id: weight, type: decimal, units: [kg], label: {en: Weight, zh: 体重}}
          - {id: cycles, type: integer, label: {en: Cycles, zh: 周期}}
          - {id: fasting, type: code, code_list: yes_no, label: {en: Fasting, zh: 空腹}}
          - {id: comment, type: text, label: {en: Comment, zh: 备注}}
          - {id: visit_date, type: date, label: {en: Visit date, zh: 访视日期}}
        groups:
          - id: lesions
            label: {en: Lesions, zh: 病灶}
            items:
              - {id: lesion_id, type: text, label: {en: Lesion, zh: 病灶}}
              - {id: diameter, type: decimal, units: [mm], label: {en: Diameter, zh: 直径}}
  - id: surgery
    label: {en: Surgery, zh: 手术}
    sections:
      - id: main
        label: {en: Surgery, zh: 手术}
        items:
          - {id: surgery_on, type: date, none_allowed: true, label: {en: Surgery, zh: 手术}}
"""


@pytest.fixture
def forms() -> FormSet:
    return parse_forms(FORMS_YAML, "demo.forms.yaml")


def _instance(session: Any, subject: Subject, visit: Visit | None, form_id: str,
              values: dict[tuple[str, int, str], tuple[str | None, str, float | None,
                                                        float | None]]) -> int:
    visit_ref = visit.code if visit else ""
    inst = FormInstance(subject_pk=subject.id, visit_pk=visit.id if visit else None,
                        form_id=form_id, form_version="2.0", status="complete", locked=False,
                        content_hash="", subject_ref=subject.subject_ref, visit_ref=visit_ref,
                        form_ref=form_id)
    session.add(inst)
    session.flush()
    for (group, row, item), (value, unit, lln, uln) in values.items():
        session.add(ItemValue(form_instance_id=inst.id, group_id=group, row_no=row,
                              item_id=item, value=value, unit=unit, lln=lln, uln=uln,
                              subject_ref=subject.subject_ref, visit_ref=visit_ref,
                              form_ref=form_id, item_ref=item))
    session.flush()
    return inst.id


def _seed(db: Database) -> dict[str, int]:
    """Two subjects: one enrolled with labs (two lesion rows) and a surgery log form, one still
    in screening with an empty labs form."""
    with db.transaction(None, reason="test data") as session:
        site = Site(code="HCH", name="Hospital")
        session.add(site)
        session.flush()
        enrolled = Subject(site_id=site.id, screening_number="S-001", subject_id="D-001",
                           pseudonym="P-AAAA0001", status="enrolled", subject_ref="S-001",
                           casebook_locked=False)
        screened = Subject(site_id=site.id, screening_number="S-002", subject_id=None,
                           pseudonym="P-BBBB0002", status="screened", subject_ref="S-002",
                           casebook_locked=False)
        session.add_all([enrolled, screened])
        session.flush()
        visits = [Visit(subject_pk=s.id, code="SCR", occurrence=1, actual_on=date(2026, 3, 1),
                        status="done", subject_ref=s.subject_ref, visit_ref="SCR")
                  for s in (enrolled, screened)]
        session.add_all(visits)
        session.flush()
        labs = _instance(session, enrolled, visits[0], "labs", {
            ("", 0, "collected_on"): ("2026-02-27", "", None, None),
            ("", 0, "anc"): ("2.10", "10^9/L", 1.8, 7.5),
            ("", 0, "weight"): ("61.5", "kg", None, None),
            ("", 0, "cycles"): ("3", "", None, None),
            ("", 0, "fasting"): ("yes", "", None, None),
            ("", 0, "comment"): ("好", "", None, None),
            ("", 0, "visit_date"): ("2026-03-01", "", None, None),
            ("lesions", 1, "lesion_id"): ("T1", "", None, None),
            ("lesions", 1, "diameter"): ("23", "mm", None, None),
            ("lesions", 2, "lesion_id"): ("T2", "", None, None),
            ("lesions", 2, "diameter"): ("not measured", "mm", None, None),
        })
        empty = _instance(session, screened, visits[1], "labs", {})
        surgery = _instance(session, enrolled, None, "surgery",
                            {("", 0, "surgery_on"): ("none", "", None, None)})
    return {"labs": labs, "empty": empty, "surgery": surgery}


def _rows(db: Database, view: str, order: str = "form_instance_id") -> list[dict[str, Any]]:
    with db.engine.connect() as conn:
        return [dict(r) for r in conn.execute(text(f"SELECT * FROM {view} ORDER BY {order}"))
                .mappings()]


def _refresh(db: Database, forms: FormSet) -> list[str]:
    with db.engine.begin() as conn:
        return refresh_views(conn, forms)


def test_form_view_has_one_typed_row_per_form_instance(db: Database, forms: FormSet) -> None:
    keys = _seed(db)
    made = _refresh(db, forms)
    assert made == view_names(forms)
    rows = _rows(db, "v_labs")
    assert [r["form_instance_id"] for r in rows] == [keys["labs"], keys["empty"]]
    full, empty = rows
    assert (full["subject"], full["pseudonym"], full["site_code"], full["visit_code"],
            full["occurrence"], full["form_status"]) == ("D-001", "P-AAAA0001", "HCH", "SCR", 1,
                                                         "complete")
    assert str(full["visit_date"]) == "2026-03-01"
    assert str(full["collected_on"]) == "2026-02-27"
    assert float(full["anc"]) == 2.10 and full["anc_unit"] == "10^9/L"
    assert (full["anc_lln"], full["anc_uln"]) == (1.8, 7.5)
    assert float(full["weight"]) == 61.5 and full["weight_unit"] == "kg"
    assert full["cycles"] == 3 and isinstance(full["cycles"], int)
    assert (full["fasting"], full["comment"]) == ("yes", "好")
    # A screened subject appears by screening number; a form without answers still has a row.
    assert empty["subject"] == "S-002" and empty["anc"] is None and empty["cycles"] is None


def test_item_named_like_a_leading_column_gets_an_item_prefix(db: Database,
                                                               forms: FormSet) -> None:
    _seed(db)
    _refresh(db, forms)
    row = _rows(db, "v_labs")[0]
    assert str(row["visit_date"]) == "2026-03-01"  # the visit's date
    assert str(row["item_visit_date"]) == "2026-03-01"  # the item of that name


def test_group_view_has_one_row_per_group_row(db: Database, forms: FormSet) -> None:
    keys = _seed(db)
    _refresh(db, forms)
    rows = _rows(db, "v_labs__lesions", "row_no")
    assert [(r["form_instance_id"], r["row_no"], r["lesion_id"]) for r in rows] == [
        (keys["labs"], 1, "T1"), (keys["labs"], 2, "T2")]
    assert float(rows[0]["diameter"]) == 23 and rows[0]["diameter_unit"] == "mm"
    assert rows[0]["subject"] == "D-001"
    # A value that is not a number shows as NULL instead of breaking the view.
    assert rows[1]["diameter"] is None


def test_date_allowing_none_has_a_none_flag_and_log_forms_have_no_visit(
        db: Database, forms: FormSet) -> None:
    _seed(db)
    _refresh(db, forms)
    (row,) = _rows(db, "v_surgery")
    assert row["surgery_on"] is None and row["surgery_on_none"] == 1
    assert row["visit_code"] is None and row["visit_date"] is None


def test_ac2_pseudonymised_views_show_no_subject_id(db: Database, forms: FormSet) -> None:
    """AC-2: the vp_ views give statisticians the data with the pseudonym only."""
    _seed(db)
    _refresh(db, forms)
    for view in ("vp_labs", "vp_labs__lesions", "vp_surgery"):
        rows = _rows(db, view)
        assert rows and all("subject" not in r for r in rows)
        values = {str(v) for r in rows for v in r.values()}
        assert not values & {"D-001", "S-001", "S-002"}
        assert "P-AAAA0001" in values
    identified = _rows(db, "v_labs")
    pseudonymised = _rows(db, "vp_labs")
    assert [{k: v for k, v in r.items() if k != "subject"} for r in identified] == pseudonymised


def test_refresh_drops_stale_views_and_never_touches_tables(db: Database,
                                                           forms: FormSet) -> None:
    _seed(db)
    _refresh(db, forms)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE VIEW my_own_view AS SELECT code FROM site")
    tables_before = _table_counts(db)
    smaller = FormSet.model_validate({**forms.model_dump(by_alias=True, exclude_none=True),
                                      "forms": [forms.form("surgery").model_dump(
                                          by_alias=True, exclude_none=True)],
                                      "schedule": {"SCR": []}})
    made = _refresh(db, smaller)
    views = set(inspect(db.engine).get_view_names())
    assert made == ["v_surgery", "vp_surgery"]
    assert views == {"v_surgery", "vp_surgery", "my_own_view"}
    assert _table_counts(db) == tables_before
    with db.engine.begin() as conn:
        dropped = drop_views(conn)
    assert dropped == ["v_surgery", "vp_surgery"]
    assert set(inspect(db.engine).get_view_names()) == {"my_own_view"}


def _table_counts(db: Database) -> dict[str, int]:
    with db.engine.connect() as conn:
        names = inspect(conn).get_table_names()
        return {n: int(conn.execute(text(f'SELECT count(*) FROM "{n}"')).scalar_one())
                for n in names}


def test_bundled_forms_make_a_readable_view_for_every_form_and_group(db: Database) -> None:
    forms = load_bundled_forms()
    made = _refresh(db, forms)
    groups = sum(len(f.groups()) for f in forms.forms)
    assert len(made) == 2 * (len(forms.forms) + groups)
    assert all(len(name) <= 63 for name in made)
    with db.engine.connect() as conn:
        for name in made:
            columns = list(conn.execute(text(f"SELECT * FROM {name}")).keys())
            assert len(columns) == len(set(columns))
            assert ("subject" in columns) == name.startswith("v_")
