"""Every result code ``oncotrial.recist`` emits, with its meaning (``docs/recist.md``).

Codes are stable: pages and the database store and translate them, never the reason sentence.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["RESULT_CODES"]

_CODES: dict[str, str] = {
    # Time-point responses (TimepointResponse.code): RECIST 1.1 section 4.3, Tables 1 and 2.
    "recist.timepoint.cr": "Complete response: every target and non-target lesion is gone "
    "(nodes under 10 mm short axis) and there is no new lesion (RECIST 1.1 Tables 1 and 2).",
    "recist.timepoint.pr": "Partial response: the sum of target diameters is at least 30 % "
    "below the baseline sum, without progression (RECIST 1.1 section 4.3.1, Table 1).",
    "recist.timepoint.pr.target_cr_only": "Partial response: the targets are in complete "
    "response but non-target disease persists or was not evaluated (RECIST 1.1 Table 1).",
    "recist.timepoint.sd": "Stable disease: the target sum is neither 30 % below baseline nor "
    "20 % and 5 mm above the nadir (RECIST 1.1 section 4.3.1).",
    "recist.timepoint.non_cr_non_pd": "Non-CR/non-PD: non-target disease only, which persists "
    "without unequivocal progression (RECIST 1.1 Table 2; IR/SD in mRECIST).",
    "recist.timepoint.ne.targets_missing": "Not evaluable: a target lesion was not evaluated "
    "and the evaluated targets do not prove progression (RECIST 1.1 section 4.4).",
    "recist.timepoint.ne.non_targets_missing": "Not evaluable: non-target disease only, and a "
    "non-target lesion was not evaluated (RECIST 1.1 Table 2).",
    "recist.timepoint.pd.sum_increase": "Progression: the sum of target diameters is at least "
    "20 % and at least 5 mm above the nadir (RECIST 1.1 section 4.3.1; mRECIST without the "
    "5 mm rule).",
    "recist.timepoint.pd.sum_increase_partial": "Progression: the evaluated targets alone, "
    "with some targets not evaluated, are already 20 % and 5 mm above the nadir (RECIST 1.1 "
    "2016 clarification).",
    "recist.timepoint.pd.target_reappeared": "Progression: a non-nodal target lesion "
    "reappeared after the targets were in complete response.",
    "recist.timepoint.pd.non_target_progression": "Progression: unequivocal progression of "
    "non-target lesions (a reader's judgement; RECIST 1.1 section 4.3).",
    "recist.timepoint.pd.new_lesion": "Progression: an unequivocal new lesion (RECIST 1.1 "
    "section 4.3, new lesions).",
    "recist.timepoint.pd.new_lesion_backdated": "Progression: a new lesion first seen as "
    "equivocal was later confirmed; PD dates from the scan where it was first seen.",
    "recist.timepoint.pd.final": "Progression documented at an earlier time point: PD is "
    "final, whatever this assessment reads (facts.as_read).",
    # Subject evaluations (Evaluation.code).
    "recist.evaluation.pd": "The subject's time points include progression; "
    "facts.progression_on is the date it counts from.",
    "recist.evaluation.no_pd": "The subject has follow-up assessments and none shows "
    "progression.",
    "recist.evaluation.no_assessment": "The subject has baseline lesions but no follow-up "
    "assessment.",
    # Best overall response (BestOverallResponse.code): RECIST 1.1 section 4.4, Table 3.
    "recist.bor.cr.confirmed": "Best overall response CR: a CR confirmed by a later CR at "
    "least the confirmation interval (28 days) later.",
    "recist.bor.pr.confirmed": "Best overall response PR: a PR confirmed by a later PR or CR "
    "at least the confirmation interval (28 days) later.",
    "recist.bor.cr.confirmation_not_required": "Best overall response CR, confirmation not "
    "required (randomised trials).",
    "recist.bor.pr.confirmation_not_required": "Best overall response PR, confirmation not "
    "required (randomised trials).",
    "recist.bor.sd": "Best overall response SD: a stable assessment at least the minimum SD "
    "duration (42 days) after the origin.",
    "recist.bor.sd.response_not_confirmed": "Best overall response SD: a CR or PR was seen but "
    "not confirmed, and a non-PD assessment met the minimum SD duration.",
    "recist.bor.non_cr_non_pd": "Best overall response NON-CR/NON-PD: the best qualifying time "
    "point of a patient with non-target disease only is NON-CR/NON-PD (RECIST 1.1 Table 2 "
    "note).",
    "recist.bor.non_cr_non_pd.response_not_confirmed": "Best overall response NON-CR/NON-PD: "
    "non-target disease only, a CR was seen but not confirmed.",
    "recist.bor.pd": "Best overall response PD: progression with no earlier non-PD "
    "assessment.",
    "recist.bor.pd.sd_too_early": "Best overall response PD: the non-PD assessments came "
    "before the minimum SD duration, then progression.",
    "recist.bor.ne.no_assessment": "Best overall response NE: no assessment inside the "
    "evaluation window.",
    "recist.bor.ne.sd_too_early": "Best overall response NE: the non-PD assessments came before "
    "the minimum SD duration and no progression followed.",
    "recist.bor.ne.all_not_evaluable": "Best overall response NE: every assessment in the "
    "evaluation window was not evaluable.",
    "recist.bor.review.cr_then_pr": "Review flag: a CR is followed by PR; disease reappeared, "
    "or the CR should be re-read as PR (RECIST 1.1 Table 3 note).",
    "recist.bor.review.cr_then_sd": "Review flag: a CR is followed by SD; disease reappeared, "
    "or the CR should be re-read (RECIST 1.1 Table 3 note).",
    # Measurability of one baseline lesion (Measurability.code): RECIST 1.1 section 3.1.
    "recist.measurability.measurable": "The lesion is measurable: it could be a target.",
    "recist.measurability.non_measurable_kind": "Not measurable: an effusion, ascites, portal "
    "vein tumour thrombus or other non-measurable disease.",
    "recist.measurability.not_measured": "Not measurable: the lesion has no diameter.",
    "recist.measurability.node_not_pathological": "Not a lesion: a lymph node under 10 mm "
    "short axis is normal.",
    "recist.measurability.node_too_small": "Not measurable: a pathological lymph node under "
    "15 mm short axis may only be a non-target.",
    "recist.measurability.porta_hepatis_node_too_small": "Not measurable under mRECIST: a "
    "porta-hepatis lymph node under 20 mm short axis.",
    "recist.measurability.too_small": "Not measurable: a non-nodal lesion under 10 mm (twice "
    "the slice thickness on slices over 5 mm; 20 mm on chest X-ray).",
    "recist.measurability.mrecist_atypical": "Not a viable target under mRECIST: an "
    "intrahepatic lesion without arterial enhancement.",
    "recist.measurability.previously_treated": "Not measurable: a lesion in a field of local "
    "therapy without documented progression since (RECIST 1.1 section 3.1.3).",
    # Baseline findings (Finding.code from check_baseline): RECIST 1.1 sections 3.1 and 4.2.
    "recist.baseline.too_many_targets": "More than 5 target lesions were chosen.",
    "recist.baseline.too_many_targets_in_organ": "More than 2 target lesions in one organ "
    "(all lymph nodes are one organ, paired organs are one).",
    "recist.baseline.target_not_measured": "A target lesion has no baseline diameter.",
    "recist.baseline.target_too_small": "A non-nodal target is under the measurable size.",
    "recist.baseline.node_not_measurable": "A nodal target of 10 to under 15 mm short axis: "
    "pathological, but only a non-target.",
    "recist.baseline.node_not_pathological": "A lymph node under 10 mm short axis is normal, "
    "not a lesion.",
    "recist.baseline.target_not_measurable_kind": "An effusion, ascites, thrombus or other "
    "non-measurable disease was chosen as a target.",
    "recist.baseline.previously_treated_target": "A target lies in a field of local therapy "
    "without documented progression (warning).",
    "recist.baseline.imaging_too_old": "Baseline imaging is older than the protocol's window "
    "before the reference date.",
    "recist.baseline.imaging_after_start": "Baseline imaging is after the reference date.",
    "recist.baseline.no_measurable_disease": "No lesion is measurable.",
    "recist.baseline.duplicate_lesion_id": "One lesion id is used for two lesions.",
    "recist.baseline.mrecist_atypical_target": "mRECIST: an intrahepatic target without "
    "arterial enhancement.",
    "recist.baseline.mrecist_porta_hepatis_node": "mRECIST: a porta-hepatis nodal target under "
    "20 mm short axis.",
}

#: Code pattern -> one-sentence meaning, for every code the package emits.
RESULT_CODES: Mapping[str, str] = MappingProxyType(_CODES)
