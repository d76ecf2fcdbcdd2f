"""The assumed threshold: per label, the score cut that maximises F1 on the test set."""

from __future__ import annotations

import bisect

import numpy as np

from customlabels.evaluation.counts import Counts
from customlabels.evaluation.curves import PrecisionRecallCurve

# Used when no cut gives a positive F1: the label has no positives in the test set, no
# predictions, or no correct ones. Every cut then scores F1 0, so the tie rule ("the higher
# threshold") would point above every score; a neutral 0.5 is a more useful default for serving.
DEFAULT_THRESHOLD = 0.5


def assumed_threshold(curve: PrecisionRecallCurve) -> float:
    """The threshold with the best F1, the higher on ties; DEFAULT_THRESHOLD when F1 is 0 at every cut."""
    if curve.positives == 0 or not curve.thresholds:
        return DEFAULT_THRESHOLD
    f1 = np.asarray(curve.f1_scores)
    # Thresholds run high to low and argmax returns the first maximum: ties go to the higher one.
    best = int(np.argmax(f1))
    if f1[best] == 0.0:
        return DEFAULT_THRESHOLD
    return curve.thresholds[best]


def counts_at(curve: PrecisionRecallCurve, threshold: float) -> Counts:
    """Counts when a decision is positive iff its score >= threshold."""
    # Points kept at this threshold are a prefix of the (descending) thresholds.
    kept = len(curve.thresholds) - bisect.bisect_left(curve.thresholds[::-1], threshold)
    if kept == 0:
        return Counts(0, 0, curve.positives)
    true_positives = curve.true_positives[kept - 1]
    return Counts(true_positives, curve.false_positives[kept - 1], curve.positives - true_positives)
