"""Synthetic cohorts of the trial for demos, docs, tests and benchmarks (shell).

:func:`generate_study` makes a complete, protocol-conformant data set of the bundled
NCT06478927 protocol (or another trial context): screened patients with their screening
records (some failing a criterion), enrolled subjects with labs, dosing, tumour lesions and
assessments, adverse events, deaths, follow-up and discontinuations, as one
:class:`oncotrial.study.StudyData`. :class:`SynthParams` holds the outcome and toxicity rates,
with defaults from published benchmarks of later-line HCC (``docs/synth.md``).
"""

from oncotrial.synth.generator import SITE_ID, generate_study
from oncotrial.synth.params import TOXICITY_FIELDS, SynthParams

__all__ = ["SITE_ID", "TOXICITY_FIELDS", "SynthParams", "generate_study"]
