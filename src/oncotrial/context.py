"""Everything a service needs about one trial, read once from its protocol (core, no I/O).

A service (screening, dosing, endpoint derivation, the coming store and web pages) takes a
:class:`TrialContext` and passes its parts to the core functions explicitly; no core function
falls back on a bundled protocol. The context is built once per protocol file and is immutable,
so it can be shared between requests.

>>> from oncotrial.protocol import load_bundled_protocol
>>> ctx = TrialContext.from_protocol(load_bundled_protocol())
>>> ctx.protocol_id, ctx.teae_window_days, ctx.sae_report_within_hours, ctx.bor.confirm_min_days
('NCT06478927', 30, 24, 28)
>>> [c.id for c in ctx.criteria][:3]
['I1', 'I2', 'I3']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from oncotrial.dosing import DosingRules
from oncotrial.endpoints import EndpointRules
from oncotrial.protocol import Criterion, Protocol
from oncotrial.protocol.vocabulary import CHECKS, FIELDS, CheckSpec, FieldSpec

if TYPE_CHECKING:
    from oncotrial.forms import FormSet

__all__ = ["BorSettings", "TrialContext"]


@dataclass(frozen=True, slots=True)
class BorSettings:
    """How the best overall response is derived (RECIST 1.1 section 4.4), from the protocol.

    The field names are the keywords of :func:`oncotrial.recist.best_overall_response`:
    ``recist.best_overall_response(points, origin=day1, **ctx.bor.as_kwargs())``.
    """

    confirm: bool
    confirm_min_days: int
    sd_min_days: int
    sd_window_days: int
    max_ne_between: int
    allow_sd_between: bool
    max_sd_between: int

    def as_kwargs(self) -> dict[str, Any]:
        """The settings as keyword arguments of ``best_overall_response``."""
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass(frozen=True, slots=True)
class TrialContext:
    """One trial's protocol and the rules every service reads from it.

    ``criteria`` are the eligibility criteria in registry order; ``fields`` and ``checks`` the
    screening vocabulary their rules may use; ``dose_rules`` the dose-modification rules;
    ``endpoint_rules`` the endpoint parameters; ``bor`` the best-overall-response settings;
    ``teae_window_days`` the treatment-emergent window after the last dose;
    ``sae_report_within_hours`` the clock from site awareness to the sponsor's SAE report;
    ``forms`` the trial's case report forms (``docs/forms.md``), when loaded.
    """

    protocol: Protocol
    criteria: tuple[Criterion, ...]
    fields: Mapping[str, FieldSpec]
    checks: Mapping[str, CheckSpec]
    dose_rules: DosingRules
    endpoint_rules: EndpointRules
    bor: BorSettings
    teae_window_days: int
    sae_report_within_hours: int
    forms: FormSet | None = None

    @classmethod
    def from_protocol(cls, protocol: Protocol, forms: FormSet | None = None) -> TrialContext:
        """Read a validated protocol once into a context, with its case report forms (the
        store needs them; the derivations do not)."""
        rules = EndpointRules.from_protocol(protocol)
        bor = BorSettings(**rules.bor_kwargs())
        return cls(
            protocol=protocol,
            criteria=tuple(protocol.criteria.all()),
            fields=FIELDS,
            checks=CHECKS,
            dose_rules=DosingRules.from_protocol(protocol),
            endpoint_rules=rules,
            bor=bor,
            teae_window_days=rules.teae_window_days,
            sae_report_within_hours=protocol.endpoints.adverse_events.sae_report_within_hours,
            forms=forms,
        )

    @property
    def protocol_id(self) -> str:
        """The registry id of the trial (``NCT06478927``)."""
        return self.protocol.study.registry_id
