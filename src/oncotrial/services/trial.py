"""Load a trial: its protocol file and the forms file beside it, once, into a context."""

from __future__ import annotations

from pathlib import Path

from oncotrial.context import TrialContext
from oncotrial.forms import forms_path_for, load_bundled_forms, load_forms
from oncotrial.protocol import load_bundled_protocol, load_protocol

__all__ = ["load_trial"]


def load_trial(protocol_file: Path | None = None) -> TrialContext:
    """The trial context with forms: the bundled NCT06478927 when ``protocol_file`` is None,
    else that protocol and its ``<stem>.forms.yaml`` beside it.

    Raises:
        ProtocolError: the protocol or its forms file is invalid (every problem listed).
    """
    if protocol_file is None:
        protocol = load_bundled_protocol()
        return TrialContext.from_protocol(protocol, forms=load_bundled_forms(
            protocol.study.registry_id))
    protocol = load_protocol(protocol_file)
    forms = load_forms(forms_path_for(protocol_file), protocol=protocol)
    return TrialContext.from_protocol(protocol, forms=forms)
