"""The data of a whole study, as the report reads it (core): see :mod:`oncotrial.study.model`;
the exchange format of a whole study (file contents in, file contents out) is
:mod:`oncotrial.study.exchange`."""

from oncotrial.study.exchange import (
    STUDY_DOMAINS,
    dump_study,
    files_digest,
    parse_study,
    split_endpoint_files,
)
from oncotrial.study.model import (
    AETIOLOGIES,
    DEVIATION_CATEGORIES,
    ETHICS_REPORTED,
    Baseline,
    ProtocolDeviation,
    ScreenedPatient,
    StudyData,
)

__all__ = [
    "AETIOLOGIES",
    "DEVIATION_CATEGORIES",
    "ETHICS_REPORTED",
    "STUDY_DOMAINS",
    "Baseline",
    "ProtocolDeviation",
    "ScreenedPatient",
    "StudyData",
    "dump_study",
    "files_digest",
    "parse_study",
    "split_endpoint_files",
]
