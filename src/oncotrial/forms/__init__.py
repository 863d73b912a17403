"""Case report forms as data: the forms file, its checks, and the one mapping to the records.

Public entry points::

    load_forms(path, protocol)      read and validate a forms file (every problem at once)
    parse_forms(text, source)       validate forms YAML given as text
    load_bundled_forms(id)          the bundled forms of a bundled protocol (NCT06478927)
    forms_path_for(protocol_path)   <protocol stem>.forms.yaml beside the protocol
    FormSet, FormDef, SectionDef,   the model of the file (frozen pydantic)
      GroupDef, ItemDef, CheckDef, Label
    Entry, Key, FormData            stored answers: (group, row, item) -> canonical text
    form_data(nested)               form data from {"item": value, "group": [{...}, ...]}
    check_form(form, data, ...)     every write path's check: errors, warnings, canonical data
    typed_value(item, entry)        the typed value of a stored answer
    records_for(forms, subject)     the shared records of oncotrial.records from stored forms
    screening_record(forms, ...)    the eligibility screening record from stored forms

The file format is documented field by field in ``docs/forms.md``.
"""

from oncotrial.forms.loader import (
    forms_path_for,
    load_bundled_forms,
    load_forms,
    parse_forms,
    protocol_path_for,
    protocol_problems,
)
from oncotrial.forms.mapping import (
    FormRecord,
    SubjectForms,
    SubjectRecords,
    records_for,
    screening_record,
)
from oncotrial.forms.model import (
    ITEM_TYPES,
    RECORD_TYPE_NAMES,
    UNSCHEDULED,
    CheckDef,
    CodeDef,
    FormDef,
    FormSet,
    GroupDef,
    ItemDef,
    Label,
    Limits,
    RecordMap,
    SectionDef,
    SubjectIds,
    When,
)
from oncotrial.forms.values import (
    FINDING_CODES,
    Entry,
    Finding,
    FormCheck,
    FormData,
    Key,
    canonical_text,
    check_form,
    form_data,
    nested_data,
    rows_of,
    typed_value,
)

__all__ = [
    "FINDING_CODES",
    "ITEM_TYPES",
    "RECORD_TYPE_NAMES",
    "UNSCHEDULED",
    "CheckDef",
    "CodeDef",
    "Entry",
    "Finding",
    "FormCheck",
    "FormData",
    "FormDef",
    "FormRecord",
    "FormSet",
    "GroupDef",
    "ItemDef",
    "Key",
    "Label",
    "Limits",
    "RecordMap",
    "SectionDef",
    "SubjectForms",
    "SubjectIds",
    "SubjectRecords",
    "When",
    "canonical_text",
    "check_form",
    "form_data",
    "forms_path_for",
    "load_bundled_forms",
    "load_forms",
    "nested_data",
    "parse_forms",
    "protocol_path_for",
    "protocol_problems",
    "records_for",
    "rows_of",
    "screening_record",
    "typed_value",
]
