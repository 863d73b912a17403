"""A case report form as an HTML form: one field per item, read back from the posted fields.

Every page that enters data renders the form's own declaration (``docs/forms.md``): sections,
items with their label and unit in the user's language, code lists, repeating groups. The
names of the HTML fields follow the stored keys: ``<item>`` outside groups and
``<group>.<row>.<item>`` in a group; a unit is ``<name>__unit``, the laboratory's limits of
normal ``<name>__lln`` and ``<name>__uln``. :func:`posted_data` turns the posted fields back
into the form data the services save, so a rejected form is shown again with every value the
user typed and each error beside its field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from oncotrial.forms import Entry, FormDef, FormSet, GroupDef, ItemDef
from oncotrial.forms.values import FINDING_CODES, Finding
from oncotrial.web.i18n import translator

__all__ = ["FieldView", "FormView", "GroupView", "field_name", "form_view", "localise_findings",
           "posted_data"]

Key = tuple[str, int, str]


def field_name(key: Key) -> str:
    """The HTML field name of a stored key.

    >>> field_name(("", 0, "anc")), field_name(("lesions", 2, "diameter_mm"))
    ('anc', 'lesions.2.diameter_mm')
    """
    group, row, item = key
    return f"{group}.{row}.{item}" if group else item


def key_of(name: str) -> Key | None:
    """The stored key of an HTML field name, or None for another field.

    >>> key_of("lesions.2.diameter_mm"), key_of("anc"), key_of("anc__unit")
    (('lesions', 2, 'diameter_mm'), ('', 0, 'anc'), None)
    """
    if "__" in name or not name or name.startswith("_"):
        return None
    parts = name.split(".")
    if len(parts) == 1:
        return ("", 0, parts[0])
    if len(parts) == 3 and parts[1].isdigit():
        return (parts[0], int(parts[1]), parts[2])
    return None


@dataclass(frozen=True)
class FieldView:
    """One item as shown: its field name, label, value, unit choices and messages."""

    name: str
    item: ItemDef
    label: str
    help: str
    value: str
    unit: str
    units: tuple[str, ...]
    lln: str
    uln: str
    options: tuple[tuple[str, str], ...]
    errors: tuple[str, ...]
    warnings: tuple[str, ...]

    def _replace_typed(self, value: str, unit: str, lln: str, uln: str) -> FieldView:
        """The same field showing what the user typed (kept as typed, even when invalid)."""

        return replace(self, value=value, unit=unit or self.unit, lln=lln, uln=uln)

    @property
    def input_type(self) -> str:
        """The HTML input type."""
        return {"date": "date", "datetime": "datetime-local", "integer": "text",
                "decimal": "text", "lab": "text"}.get(self.item.type, "text")

    @property
    def inputmode(self) -> str:
        return "decimal" if self.item.type in ("decimal", "lab", "integer") else ""


@dataclass(frozen=True)
class GroupView:
    """A repeating group: its rows of fields (with empty rows to add more)."""

    group: GroupDef
    label: str
    headers: tuple[str, ...]
    helps: tuple[str, ...]
    rows: tuple[tuple[FieldView, ...], ...]
    errors: tuple[str, ...]


@dataclass(frozen=True)
class SectionView:
    label: str
    fields: tuple[FieldView, ...]
    groups: tuple[GroupView, ...]


@dataclass(frozen=True)
class FormView:
    """A whole form ready for the template ``_form.html``."""

    form: FormDef
    label: str
    sections: tuple[SectionView, ...]
    form_errors: tuple[str, ...]
    warnings: tuple[str, ...] = field(default=())


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _field(forms: FormSet, item: ItemDef, key: Key, data: Mapping[Key, Entry], lang: str,
           errors: Mapping[Key, list[str]], warnings: Mapping[Key, list[str]],
           posted: Mapping[str, str] | None = None) -> FieldView:
    entry = data.get(key)
    if posted is not None:
        name = field_name(key)
        return _field(forms, item, key, {}, lang, errors, warnings)._replace_typed(
            posted.get(name, ""), posted.get(f"{name}__unit", ""),
            posted.get(f"{name}__lln", ""), posted.get(f"{name}__uln", ""))
    options: tuple[tuple[str, str], ...] = ()
    if item.type == "code" and item.code_list:
        options = tuple((c.code, c.label.text(lang)) for c in forms.code_list(item.code_list))
    elif item.type == "boolean":
        options = (("yes", "是" if lang == "zh" else "Yes"), ("no", "否" if lang == "zh" else "No"))
    return FieldView(
        name=field_name(key), item=item, label=item.label.text(lang),
        help=item.help.text(lang) if item.help else "",
        value=_text(entry.value if entry else None),
        unit=(entry.unit if entry and entry.unit else item.default_unit),
        units=tuple(item.units), lln=_text(entry.lln if entry else None),
        uln=_text(entry.uln if entry else None), options=options,
        errors=tuple(errors.get(key, ())), warnings=tuple(warnings.get(key, ())))


def _rows_of(group: GroupDef, data: Mapping[Key, Entry], extra: int) -> list[int]:
    used = sorted({row for (g, row, _) in data if g == group.id})
    count = max([0, *used])
    wanted = max(count + extra, group.min_rows, 1)
    if group.max_rows is not None:
        wanted = min(wanted, group.max_rows)
    return list(range(1, max(wanted, count) + 1))


def localise_findings(form: FormDef, findings: tuple[Finding, ...], lang: str
                      ) -> tuple[Finding, ...]:
    """The findings of a form in the language of the labels ``lang`` (``en`` or ``zh``): a
    cross-field check's own message (the forms file has it in both languages), else the
    meaning of the finding code from the catalogue; English findings are returned as they are."""
    if lang == "en":
        return findings
    t = translator("zh-CN" if lang == "zh" else lang)
    checks = {c.id: c for c in form.checks}
    out = []
    for f in findings:
        if f.check_id and f.check_id in checks:
            out.append(replace(f, message=checks[f.check_id].message.text(lang), hint=""))
        elif f.code in FINDING_CODES:
            out.append(replace(f, message=t(FINDING_CODES[f.code]), hint=""))
        else:
            out.append(f)
    return tuple(out)


def form_view(forms: FormSet, form: FormDef, data: Mapping[Key, Entry], lang: str, *,
              findings: tuple[Finding, ...] = (), extra_rows: int = 1,
              posted: Mapping[str, str] | None = None) -> FormView:
    """The view of ``form`` with ``data`` and the findings of its checks, in ``lang`` (the
    key of the forms file's labels: ``en`` or ``zh``). With ``posted`` (the fields of a
    rejected submission) every field shows exactly what was typed, so nothing is lost; the
    rows shown are those of ``data`` (the posted data, from :func:`posted_data`)."""
    errors: dict[Key, list[str]] = {}
    warnings: dict[Key, list[str]] = {}
    form_errors: list[str] = []
    form_warnings: list[str] = []
    for finding in localise_findings(form, findings, lang):
        target = warnings if finding.severity == "warning" else errors
        message = f"{finding.message} {finding.hint}".strip()
        if finding.key is None:
            (form_warnings if finding.severity == "warning" else form_errors).append(message)
        else:
            target.setdefault(finding.key, []).append(message)
    sections = []
    for section in form.sections:
        fields = tuple(_field(forms, item, ("", 0, item.id), data, lang, errors, warnings,
                              posted) for item in section.items)
        groups = []
        for group in section.groups:
            rows = tuple(tuple(_field(forms, item, (group.id, row, item.id), data, lang,
                                      errors, warnings, posted) for item in group.items)
                         for row in _rows_of(group, data, extra_rows))
            group_errors = tuple(m for (g, _, item_id), ms in errors.items()
                                 if g == group.id and not item_id for m in ms)
            groups.append(GroupView(group, group.label.text(lang),
                                    tuple(i.label.text(lang) for i in group.items),
                                    tuple(i.help.text(lang) if i.help else ""
                                          for i in group.items), rows, group_errors))
        sections.append(SectionView(section.label.text(lang), fields, tuple(groups)))
    return FormView(form, form.label.text(lang), tuple(sections), tuple(form_errors),
                    tuple(form_warnings))


def posted_data(form: FormDef, posted: Mapping[str, str]
                ) -> tuple[dict[Key, Entry], tuple[Finding, ...]]:
    """The form data in the posted fields, and the limits of normal that are not numbers.

    Every item of the form that has a value is kept (empty rows of a repeating group are left
    out, and the rows are numbered 1.. again)."""
    data: dict[Key, Entry] = {}
    problems: list[Finding] = []
    known = {(g, item.id) for g, item in form.items()}
    for name, raw in posted.items():
        key = key_of(name)
        if key is None or (key[0], key[2]) not in known:
            continue
        value = raw.replace("\x00", "").strip()  # NUL is never data (nor storable)
        if not value:
            continue
        unit = posted.get(f"{name}__unit", "").strip()
        limits = []
        for which in ("lln", "uln"):
            text = posted.get(f"{name}__{which}", "").strip()
            try:
                limits.append(float(text) if text else None)
            except ValueError:
                limits.append(None)
                problems.append(Finding(
                    "forms.bad_number", key, None,
                    f"The {which.upper()} {text!r} is not a number.",
                    "Enter the laboratory's limit as a number, e.g. 1.8."))
        data[key] = Entry(value, unit, limits[0], limits[1])
    return _renumber(data), tuple(problems)


def _renumber(data: dict[Key, Entry]) -> dict[Key, Entry]:
    """Rows numbered 1.. in order, so a row left empty in the middle leaves no gap."""
    out: dict[Key, Entry] = {}
    rows: dict[str, list[int]] = {}
    for group, row, _ in data:
        if group and row not in rows.setdefault(group, []):
            rows[group].append(row)
    for (group, row, item), entry in data.items():
        new_row = sorted(rows[group]).index(row) + 1 if group else 0
        out[(group, new_row, item)] = entry
    return out
