"""The protocol: a single-arm oncology trial as a validated file.

Public entry points::

    load_protocol(path)             read and validate a protocol file (every problem at once)
    load_bundled_protocol(id)       the bundled protocol (NCT06478927 by default)
    parse_protocol(text)            validate protocol YAML given as text
    Protocol                        the model; sections study, sites, design, enrolment,
                                    intervention, standards, screening, criteria, visits, endpoints
    list_provenance(protocol)       every value's source, for review (assumptions, clarifications)

The schema is documented field by field in ``docs/protocol.md``.
"""

from oncotrial.protocol.loader import (
    BUNDLED,
    bundled_protocol_path,
    load_bundled_protocol,
    load_protocol,
    parse_protocol,
)
from oncotrial.protocol.model import (
    Criterion,
    Protocol,
    Provenance,
)
from oncotrial.protocol.provenance import ProvenanceEntry, list_provenance

__all__ = [
    "BUNDLED",
    "Criterion",
    "Protocol",
    "Provenance",
    "ProvenanceEntry",
    "bundled_protocol_path",
    "list_provenance",
    "load_bundled_protocol",
    "load_protocol",
    "parse_protocol",
]
