"""The checks across a whole forms file: ids, references, checks, records, subject and
screening paths. Each returns problems at their place in the file (core, no I/O)."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from oncotrial.errors import InputError
from oncotrial.forms._targets import (
    accepts,
    closest,
    coerce,
    entry_model,
    list_row_model,
    record_field_types,
    screening_target,
)
from oncotrial.records import Sex

if TYPE_CHECKING:
    from oncotrial.forms.model import CheckDef, FormDef, FormSet, ItemDef, Problem, RecordMap

__all__ = ["problems"]

Loc = tuple[str | int, ...]
_VISIT_CODE = re.compile(r"^[A-Z][A-Z0-9_]*$")


def problems(forms: FormSet) -> list[Problem]:
    """Every problem of the file that needs more than one part of it to see."""
    found = _schedule_problems(forms) + _code_list_problems(forms)
    seen_forms: set[str] = set()
    for fi, form in enumerate(forms.forms):
        at: Loc = ("forms", fi)
        if form.id in seen_forms:
            found.append(((*at, "id"), f"form id {form.id!r} is used twice",
                          "Give each form its own id."))
        seen_forms.add(form.id)
        found += _id_problems(form, at) + _code_ref_problems(forms, form, at)
        found += _check_problems(forms, form, at) + _record_problems(forms, form, at)
    found += _subject_problems(forms) + _screening_problems(forms)
    return found


# --- walking the file ------------------------------------------------------------------------


def _walk(form: FormDef, at: Loc) -> Iterator[tuple[Loc, str, ItemDef]]:
    """(place of the item, group id or "", item) for every item of ``form``."""
    for si, section in enumerate(form.sections):
        for ii, item in enumerate(section.items):
            yield (*at, "sections", si, "items", ii), "", item
        for gi, group in enumerate(section.groups):
            for ii, item in enumerate(group.items):
                yield (*at, "sections", si, "groups", gi, "items", ii), group.id, item


def _groups(form: FormDef, at: Loc) -> Iterator[tuple[Loc, Any]]:
    for si, section in enumerate(form.sections):
        for gi, group in enumerate(section.groups):
            yield (*at, "sections", si, "groups", gi), group


def _codes(forms: FormSet, item: ItemDef) -> list[str] | None:
    if item.type != "code" or item.code_list not in forms.code_lists:
        return None
    return [c.code for c in forms.code_lists[item.code_list or ""]]


# --- schedule and code lists -----------------------------------------------------------------


def _schedule_problems(forms: FormSet) -> list[Problem]:
    ids = {f.id for f in forms.forms}
    found: list[Problem] = []
    for code, listed in forms.schedule.items():
        if not _VISIT_CODE.match(code):
            found.append((("schedule", code), f"{code!r} is not a visit code",
                          "Use the protocol's visit codes (capitals and digits, e.g. C1D1)."))
        found += _listed_problems(("schedule", code), listed, ids)
    found += _listed_problems(("log_forms",), forms.log_forms, ids)
    used = {f for listed in forms.schedule.values() for f in listed} | set(forms.log_forms)
    for fi, form in enumerate(forms.forms):
        if form.id not in used:
            found.append((("forms", fi, "id"), f"form {form.id!r} is never collected",
                          "Add it to a visit in schedule: or to log_forms:, or remove it."))
    return found


def _listed_problems(at: Loc, listed: list[str], ids: set[str]) -> list[Problem]:
    found: list[Problem] = []
    for i, form_id in enumerate(listed):
        if form_id not in ids:
            found.append(((*at, i), f"there is no form {form_id!r}", closest(form_id, ids)))
        elif listed.index(form_id) != i:
            found.append(((*at, i), f"form {form_id!r} is listed twice", "List it once."))
    return found


def _code_list_problems(forms: FormSet) -> list[Problem]:
    found: list[Problem] = []
    for name, codes in forms.code_lists.items():
        if not codes:
            found.append((("code_lists", name), f"code list {name!r} is empty",
                          "Add its codes or remove it."))
        counts = Counter(c.code for c in codes)
        for i, entry in enumerate(codes):
            if counts[entry.code] > 1 and [c.code for c in codes].index(entry.code) != i:
                found.append((("code_lists", name, i, "code"),
                              f"code {entry.code!r} appears twice in {name!r}",
                              "Give each code once."))
    return found


# --- ids within a form -----------------------------------------------------------------------


def _id_problems(form: FormDef, at: Loc) -> list[Problem]:
    found: list[Problem] = []
    sections: set[str] = set()
    for si, section in enumerate(form.sections):
        if section.id in sections:
            found.append(((*at, "sections", si, "id"), f"section id {section.id!r} is used "
                          "twice in this form", "Give each section its own id."))
        sections.add(section.id)
    names: set[str] = set()
    for loc, group in _groups(form, at):
        if group.id in names:
            found.append(((*loc, "id"), f"group id {group.id!r} is used twice in this form",
                          "Give each group its own id."))
        names.add(group.id)
    for loc, _, item in _walk(form, at):
        if item.id in names:
            found.append(((*loc, "id"), f"id {item.id!r} is used twice in this form (item and "
                          "group ids share one name space)", "Rename one of them."))
        names.add(item.id)
    checks: set[str] = set()
    for ci, check in enumerate(form.checks):
        if check.id in checks:
            found.append(((*at, "checks", ci, "id"), f"check id {check.id!r} is used twice",
                          "Give each check its own id."))
        checks.add(check.id)
    return found


def _code_ref_problems(forms: FormSet, form: FormDef, at: Loc) -> list[Problem]:
    return [((*loc, "code_list"), f"there is no code list {item.code_list!r}",
             closest(item.code_list, forms.code_lists))
            for loc, _, item in _walk(form, at)
            if item.code_list is not None and item.code_list not in forms.code_lists]


# --- cross-field checks ----------------------------------------------------------------------


def _check_problems(forms: FormSet, form: FormDef, at: Loc) -> list[Problem]:
    found: list[Problem] = []
    for ci, check in enumerate(form.checks):
        loc: Loc = (*at, "checks", ci)
        refs = _check_refs(check)
        unknown = [(name, item_id) for name, item_id in refs if not form.has_item(item_id)]
        found += [((*loc, *name), f"there is no item {item_id!r} in this form",
                   closest(item_id, [i.id for _, i in form.items()]))
                  for name, item_id in unknown]
        if unknown:
            continue
        groups = {form.group_of(item_id) for _, item_id in refs}
        if len(groups) > 1:
            found.append((loc, "the check reads items of different groups ("
                          + ", ".join(sorted(g or "outside groups" for g in groups)) + ")",
                          "A check compares items of one row, or items outside groups."))
            continue
        found += _compare_problems(form, check, loc) + _when_problems(
            forms, form, check.when, (*loc, "when"))
    return found


def _check_refs(check: CheckDef) -> list[tuple[Loc, str]]:
    refs: list[tuple[Loc, str]] = [((name,), getattr(check, name))
                                   for name in ("left", "right", "item")
                                   if getattr(check, name) is not None]
    if check.when is not None:
        refs.append((("when", "item"), check.when.item))
    return refs


_KINDS = {"integer": "number", "decimal": "number", "lab": "number", "date": "date",
          "datetime": "datetime", "boolean": "boolean", "code": "text", "text": "text"}


def _compare_problems(form: FormDef, check: CheckDef, loc: Loc) -> list[Problem]:
    if check.kind != "compare" or check.left is None:
        return []
    left = form.item(check.left)
    if check.right is not None:
        right = form.item(check.right)
        if _KINDS[left.type] != _KINDS[right.type]:
            return [((*loc, "right"), f"{left.id} ({left.type}) cannot be compared with "
                     f"{right.id} ({right.type})", "Compare items of the same kind.")]
        return []
    return _compare_value_problem(left, check.value, loc)


def _compare_value_problem(left: ItemDef, value: object, loc: Loc) -> list[Problem]:
    kind = _KINDS[left.type]
    target: Any = {"number": float, "date": dt.date, "datetime": dt.datetime,
                   "boolean": bool, "text": str}[kind]
    try:
        coerce(target, value)
    except ValueError:
        return [((*loc, "value"), f"{value!r} is not a {kind} to compare {left.id} with",
                 "Give a value of the item's kind (dates as YYYY-MM-DD, booleans yes/no).")]
    return []


def _when_problems(forms: FormSet, form: FormDef, when: Any, loc: Loc) -> list[Problem]:
    if when is None or not form.has_item(when.item):
        return []
    item = form.item(when.item)
    allowed = _codes(forms, item) or (["yes", "no"] if item.type == "boolean" else None)
    if allowed is None:
        return [((*loc, "item"), f"{item.id} is a {item.type} item; a condition tests a code "
                 "or boolean item", "Test a code or boolean item.")]
    return [((*loc, "in", i), f"{answer!r} is not an answer of {item.id}",
             closest(answer, allowed)) for i, answer in enumerate(when.in_)
            if answer not in allowed]


# --- record mappings -------------------------------------------------------------------------


def _record_problems(forms: FormSet, form: FormDef, at: Loc) -> list[Problem]:
    found: list[Problem] = []
    if form.record is not None:
        scope = {i.id: i for g, i in form.items() if g == ""}
        found += _mapping_problems(forms, form, form.record, scope, (*at, "record"))
    for loc, group in _groups(form, at):
        if group.record is None:
            continue
        scope = {i.id: i for g, i in form.items() if g in ("", group.id)}
        if group.record.per_item:
            scope = {i.id: i for i in group.items} | {
                i.id: i for g, i in form.items() if g == "" and i.type == "date"}
        found += _mapping_problems(forms, form, group.record, scope, (*loc, "record"))
    return found


def _mapping_problems(forms: FormSet, form: FormDef, rec: RecordMap,
                      scope: dict[str, ItemDef], loc: Loc) -> list[Problem]:
    found = _when_scope_problems(forms, form, rec, scope, loc)
    if rec.per_item:
        return found + _per_item_scope_problems(rec, scope, loc)
    types = record_field_types(rec.type)
    for name, item_id in rec.fields.items():
        item = scope.get(item_id)
        if item is None:
            found.append(((*loc, "fields", name), f"there is no item {item_id!r} here",
                          closest(item_id, scope) + " A form's record reads items outside "
                          "groups; a group's record reads its row and the form's other items."))
        elif name in types:
            found += [((*loc, "fields", name), message, hint)
                      for message, hint in _fit_problems(forms, rec.type, name, types[name],
                                                         item)]
    return found


def _when_scope_problems(forms: FormSet, form: FormDef, rec: RecordMap,
                         scope: dict[str, ItemDef], loc: Loc) -> list[Problem]:
    if rec.when is None:
        return []
    if rec.when.item not in scope:
        return [((*loc, "when", "item"), f"there is no item {rec.when.item!r} here",
                 closest(rec.when.item, scope))]
    return _when_problems(forms, form, rec.when, (*loc, "when"))


def _per_item_scope_problems(rec: RecordMap, scope: dict[str, ItemDef],
                             loc: Loc) -> list[Problem]:
    found: list[Problem] = []
    date_item = scope.get(rec.date or "")
    if date_item is None:
        found.append(((*loc, "date"), f"there is no item {rec.date!r} here",
                      closest(rec.date or "", scope)))
    elif date_item.type != "date":
        found.append(((*loc, "date"), f"{date_item.id} is a {date_item.type} item",
                      "Name the date item that gives the collection date."))
    if not any(i.type == "lab" for i in scope.values()):
        found.append(((*loc, "per_item"), "there are no lab items to map",
                      "Make the results lab items, or remove the mapping."))
    return found


_FITS: dict[Any, frozenset[str]] = {
    dt.date: frozenset({"date"}),
    dt.datetime: frozenset({"datetime"}),
    float: frozenset({"decimal", "integer", "lab", "code"}),
    int: frozenset({"integer", "code"}),
    bool: frozenset({"boolean", "code"}),
    str: frozenset({"text", "code"}),
}


def _fit_problems(forms: FormSet, type_name: str, name: str, tp: Any,
                  item: ItemDef) -> list[tuple[str, str]]:
    """Whether ``item`` can give field ``name`` of type ``tp`` (codes are tried one by one)."""
    allowed = _FITS.get(tp) or (frozenset({"code", "integer"}) if isinstance(tp, type)
                                and issubclass(tp, int) else frozenset({"code"}))
    if item.type not in allowed:
        return [(f"{type_name}.{name} cannot come from {item.id}, a {item.type} item",
                 f"Map it to a {' or '.join(sorted(allowed))} item.")]
    if item.type != "code" or tp is str:
        return []
    bad = [code for code in _codes(forms, item) or [] if not _coerces(tp, code)]
    if bad:
        return [(f"codes {', '.join(map(repr, bad))} of {item.code_list!r} do not fit "
                 f"{type_name}.{name}", f"Use codes the field accepts: {_accepted(tp)}.")]
    return []


def _coerces(tp: Any, value: object) -> bool:
    try:
        coerce(tp, value)
    except ValueError:
        return False
    return True


def _accepted(tp: Any) -> str:
    members = getattr(tp, "__members__", None) or getattr(
        getattr(tp, "__args__", (None,))[0], "__members__", None)
    if members:
        return ", ".join(str(m.value) for m in members.values())
    return "yes, no" if tp is bool else "whole numbers"


# --- subject and screening -------------------------------------------------------------------


def _subject_problems(forms: FormSet) -> list[Problem]:
    found: list[Problem] = []
    seen: dict[str, str] = {}
    for fi, form in enumerate(forms.forms):
        for loc, group, item in _walk(form, ("forms", fi)):
            if item.subject is None:
                continue
            where = f"{form.id}.{item.id}"
            if item.subject in seen:
                found.append(((*loc, "subject"), f"{item.subject} is already fed by "
                              f"{seen[item.subject]}", "Feed each subject field from one item."))
            seen.setdefault(item.subject, where)
            if group:
                found.append(((*loc, "subject"), "an item in a repeating group cannot feed "
                              "the subject", "Move the item out of the group."))
            tp = Sex if item.subject == "sex" else bool
            found += [((*loc, "subject"), message, hint) for message, hint in
                      _fit_problems(forms, "Subject", item.subject, tp, item)]
    return found


def _screening_problems(forms: FormSet) -> list[Problem]:
    found: list[Problem] = []
    seen: dict[str, Loc] = {}
    for fi, form in enumerate(forms.forms):
        rows: dict[str, Any] = {}
        for loc, group in _groups(form, ("forms", fi)):
            if group.screening is not None:
                row, problem = _group_target(group.screening)
                found += _once(seen, group.screening, (*loc, "screening"))
                if problem:
                    found.append(((*loc, "screening"), *problem))
                rows[group.id] = row
        for loc, group_id, item in _walk(form, ("forms", fi)):
            if item.screening is None:
                continue
            if group_id and group_id not in rows:
                found.append(((*loc, "screening"), "the item is in a group that has no "
                              "screening path", "Give the group a screening: list path."))
                continue
            row_model = rows.get(group_id)
            key = f"{group_id}:{item.screening}" if group_id else item.screening
            found += _once(seen, key, (*loc, "screening"))
            found += [((*loc, "screening"), message, hint) for message, hint in
                      _item_target_problems(forms, item, row_model, bool(group_id))]
    return found


def _once(seen: dict[str, Loc], path: str, loc: Loc) -> list[Problem]:
    if path in seen:
        return [(loc, f"screening path {path.split(':')[-1]!r} is already filled by another "
                 "item", "Give each screening path one source.")]
    seen[path] = loc
    return []


def _group_target(path: str) -> tuple[Any, tuple[str, str] | None]:
    try:
        annotation = screening_target(path)
    except InputError as exc:
        return None, (exc.message, exc.hint or "")
    row = list_row_model(annotation)
    if row is None:
        return None, (f"{path} is not a list of rows in the screening record",
                      "Give a group the path of a list, such as imaging.lesions.")
    return row, None


def _item_target_problems(forms: FormSet, item: ItemDef, row_model: Any,
                          in_group: bool) -> list[tuple[str, str]]:
    path = item.screening or ""
    if in_group and row_model is None:
        return []  # the group's own path is wrong; reported there
    as_list = path.endswith("[]")
    try:
        annotation = (screening_target(path.removesuffix("[]"), row_model) if in_group
                      else screening_target(path.removesuffix("[]")))
    except InputError as exc:
        return [(exc.message, exc.hint or "")]
    if path == "subject_id":
        return [("subject_id comes from the subject, not from a form", "Remove it.")]
    samples = _samples(forms, item, as_list)
    bad = [s for s in samples if not _accepts_sample(annotation, item, s)]
    if bad:
        return [(f"{path} does not take the answers of {item.id}, a {item.type} item"
                 + (f" (not {', '.join(repr(b) for b in bad[:3])})"
                    if item.type == "code" else ""),
                 "Point it at a field of the same kind, or change the item's type or codes.")]
    return []


def _accepts_sample(annotation: Any, item: ItemDef, sample: object) -> bool:
    if item.type == "lab" and entry_model(annotation) is not None:
        return True
    return accepts(annotation, sample)


def _samples(forms: FormSet, item: ItemDef, as_list: bool) -> list[object]:
    if as_list:
        return [["a", "b"]] if item.type in ("text", "code") else [object()]
    if item.type == "code":
        codes = _codes(forms, item) or []
        return [codes] if item.multiple else list(codes)
    sample: dict[str, list[object]] = {
        "text": ["text"], "integer": [1], "decimal": [1.5], "lab": [1.5],
        "date": [dt.date(2000, 1, 1)] + (["none"] if item.none_allowed else []),
        "datetime": [dt.datetime(2000, 1, 1, tzinfo=dt.UTC)], "boolean": [True, False]}
    return sample[item.type]
