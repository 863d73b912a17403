"""Protocol deviations of one synthetic subject, consistent with the subject's records (shell).

Two kinds (``docs/synth.md``, "Protocol deviations"):

* every scheduled tumour assessment the subject skipped is a minor deviation of category
  ``procedure_missed`` ("assessment not done", code list ``deviation_category`` of the
  forms), dated on the scan's day and identified at the next monitoring visit;
* a share of subjects (``SynthParams.deviation_share``) have one other deviation, chosen
  among those the generated records cannot contradict (the generator makes no dosing diaries,
  no on-study ECOG and keeps no consent versions): a dosing diary not returned at a visit
  (``study_drug``, minor), the ECOG performance status not recorded at a visit
  (``procedure_missed``, minor), or consent signed on a superseded version of the form
  (``consent``, major: re-consent and a report to the ethics committee, as ICH E6(R3)
  section 2.8 asks for new information on the consent form).

Nothing is dated after the cut-off or after the subject's death. The draws come from their own
:class:`~oncotrial.synth.stream.Stream`, so adding deviations leaves every other record of a
seed as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from oncotrial.study import ProtocolDeviation
from oncotrial.synth.stream import Stream

__all__ = ["OTHER_KINDS", "scan_deviation", "subject_deviations"]

#: The other deviations: (kind, weight). Assumed shares, not from a published source.
OTHER_KINDS: tuple[tuple[str, float], ...] = (("diary", 0.45), ("ecog", 0.35),
                                              ("consent", 0.20))
#: Days from a deviation to the monitoring visit that identifies it (uniform, assumption).
_IDENTIFIED_WITHIN_DAYS = 28


def scan_deviation(stream: Stream, subject_id: str, index: int, day: date, *,
                   last_day: date) -> ProtocolDeviation:
    """The deviation of a skipped tumour assessment ``TA<index>`` scheduled on ``day``,
    identified within four weeks but not after ``last_day`` (the cut-off or the day of death).

    >>> from datetime import date
    >>> import numpy as np
    >>> d = scan_deviation(Stream(np.random.default_rng(1)), "S01", 3, date(2025, 1, 6),
    ...                    last_day=date(2025, 1, 8))
    >>> d.category, d.major, d.description
    ('procedure_missed', False, 'Tumour assessment TA3 not done (CT/MRI scan missed).')
    >>> date(2025, 1, 6) <= d.identified_on <= date(2025, 1, 8)
    True
    """
    return ProtocolDeviation(
        subject_id, day, _identified(stream, day, last_day), "procedure_missed",
        f"Tumour assessment TA{index} not done (CT/MRI scan missed).", False,
        corrective_action="Next assessment kept to its scheduled day; site reminded of the "
                          "imaging calendar.", reported_to_ethics="not_applicable")


def subject_deviations(stream: Stream, subject_id: str, *, share: float, consented_on: date,
                       first_dose_on: date, visits: Sequence[date], last_day: date
                       ) -> list[ProtocolDeviation]:
    """With chance ``share``, one deviation other than a missed scan (see the module), dated
    on a treatment visit after the first dose (``visits``) or, for consent, on the consent
    day; none when nothing fits before ``last_day`` (the cut-off or the day of death).

    >>> import numpy as np
    >>> s = Stream(np.random.default_rng(3))
    >>> subject_deviations(s, "S01", share=0.0, consented_on=date(2025, 1, 2),
    ...                    first_dose_on=date(2025, 1, 9), visits=[date(2025, 2, 6)],
    ...                    last_day=date(2025, 6, 30))
    []
    >>> d, = subject_deviations(s, "S01", share=1.0, consented_on=date(2025, 1, 2),
    ...                         first_dose_on=date(2025, 1, 9), visits=[date(2025, 2, 6)],
    ...                         last_day=date(2025, 6, 30))
    >>> d.category in ("study_drug", "procedure_missed", "consent")
    True
    >>> d.identified_on <= date(2025, 6, 30)
    True
    """
    if not stream.chance(share):
        return []
    kind = stream.pick([k for k, _ in OTHER_KINDS], [w for _, w in OTHER_KINDS])
    on_study = [v for v in visits if first_dose_on < v <= last_day]
    if kind == "consent":
        if last_day < first_dose_on:
            return []
        found = _identified(stream, first_dose_on, last_day)
        return [ProtocolDeviation(
            subject_id, consented_on, found, "consent",
            "Informed consent signed on a superseded version of the consent form.", True,
            corrective_action=f"Subject re-consented on the current version on {found}; site "
                              "retrained on version control of the consent form.",
            reported_to_ethics="yes")]
    if not on_study:
        return []
    day = on_study[stream.integer(0, len(on_study) - 1)]
    study_day = (day - first_dose_on).days + 1
    if kind == "diary":
        return [ProtocolDeviation(
            subject_id, day, _identified(stream, day, last_day), "study_drug",
            f"Dosing diary not returned at the visit of study day {study_day}; doses taken "
            "confirmed from the subject's account and the capsules returned.", False,
            reported_to_ethics="not_applicable")]
    return [ProtocolDeviation(
        subject_id, day, _identified(stream, day, last_day), "procedure_missed",
        f"ECOG performance status not recorded at the visit of study day {study_day}.", False,
        reported_to_ethics="not_applicable")]


def _identified(stream: Stream, day: date, last_day: date) -> date:
    found = day + timedelta(days=stream.integer(1, _IDENTIFIED_WITHIN_DAYS))
    return max(day, min(found, last_day))
