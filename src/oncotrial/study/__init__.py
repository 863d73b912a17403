"""The data of a whole study, as the report reads it (core): see :mod:`oncotrial.study.model`."""

from oncotrial.study.model import AETIOLOGIES, Baseline, ScreenedPatient, StudyData

__all__ = ["AETIOLOGIES", "Baseline", "ScreenedPatient", "StudyData"]
