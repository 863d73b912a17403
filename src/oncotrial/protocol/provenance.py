"""Every value of a protocol with its source, so a sponsor can review assumptions in one place."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pydantic import BaseModel

from oncotrial.protocol.model import Protocol, Provenance, Section

__all__ = ["ProvenanceEntry", "list_provenance"]


@dataclass(frozen=True, slots=True)
class ProvenanceEntry:
    """One field of the protocol, its value and where the value came from."""

    path: str
    value: object
    provenance: Provenance


def list_provenance(protocol: Protocol, *, sources: tuple[str, ...] = (
        "registry", "assumption", "clarification")) -> list[ProvenanceEntry]:
    """Every field with an explicit or section-wide source, filtered by source kind.

    >>> from oncotrial.protocol import load_bundled_protocol
    >>> entries = list_provenance(load_bundled_protocol(), sources=("clarification",))
    >>> any(e.provenance.ref == "PN-01" for e in entries)
    True
    """
    return [e for e in _walk(protocol, "") if e.provenance.source in sources]


def _walk(node: BaseModel, prefix: str) -> Iterator[ProvenanceEntry]:
    for name in type(node).model_fields:
        if name == "sources":
            continue
        value = getattr(node, name)
        path = f"{prefix}.{name}" if prefix else name
        if isinstance(value, BaseModel) and _has_sections(value):
            yield from _walk(value, path)
            continue
        if isinstance(value, list) and value and all(isinstance(v, Section) for v in value):
            for i, item in enumerate(value):
                label = getattr(item, "id", None) or getattr(item, "code", None)
                yield from _walk(item, f"{path}[{i}]" + (f" ({label})" if label else ""))
            continue
        if isinstance(node, Section):
            prov = node.provenance(name)
            if prov is not None:
                yield ProvenanceEntry(path, value, prov)


def _has_sections(value: BaseModel) -> bool:
    return isinstance(value, Section) or any(
        isinstance(getattr(value, n), Section | list) for n in type(value).model_fields)
