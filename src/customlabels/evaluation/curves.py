"""Precision-recall curves over scored decisions, and average precision."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class PrecisionRecallCurve:
    """One point per distinct score, highest first: the decisions kept at threshold = that score."""

    thresholds: tuple[float, ...]
    true_positives: tuple[int, ...]
    false_positives: tuple[int, ...]
    positives: int

    def __post_init__(self) -> None:
        size = len(self.thresholds)
        if len(self.true_positives) != size or len(self.false_positives) != size:
            raise ValueError("thresholds, true_positives and false_positives must have the same length")
        if self.positives < 0:
            raise ValueError(f"positives must be >= 0, got {self.positives}")
        if any(not 0.0 <= t <= 1.0 for t in self.thresholds):
            raise ValueError("thresholds must be within [0, 1]")
        if any(a <= b for a, b in pairwise(self.thresholds)):
            raise ValueError("thresholds must be strictly decreasing")
        for name in ("true_positives", "false_positives"):
            values = (0, *getattr(self, name))
            if any(a > b for a, b in pairwise(values)):
                raise ValueError(f"{name} must be non-negative and non-decreasing")
        if self.true_positives and self.true_positives[-1] > self.positives:
            raise ValueError(
                f"{self.true_positives[-1]} true positives exceed the {self.positives} positives"
            )

    @property
    def precision(self) -> tuple[float, ...]:
        return tuple(tp / (tp + fp) for tp, fp in zip(self.true_positives, self.false_positives, strict=True))

    @property
    def recall(self) -> tuple[float, ...]:
        if self.positives == 0:
            return tuple(0.0 for _ in self.true_positives)
        return tuple(tp / self.positives for tp in self.true_positives)

    @property
    def f1_scores(self) -> tuple[float, ...]:
        return tuple(
            2 * tp / (tp + fp + self.positives)
            for tp, fp in zip(self.true_positives, self.false_positives, strict=True)
        )

    @property
    def max_recall(self) -> float:
        """Recall with every decision kept (threshold 0)."""
        return self.recall[-1] if self.true_positives else 0.0


def precision_recall_curve(
    scores: Sequence[float] | npt.NDArray[np.floating],
    hits: Sequence[bool] | npt.NDArray[np.bool_],
    positives: int,
) -> PrecisionRecallCurve:
    """Curve of decisions `scores` (0-1) whose correctness is `hits`, against `positives` truths."""
    score_array = np.asarray(scores, dtype=np.float64).reshape(-1)
    hit_array = np.asarray(hits, dtype=bool).reshape(-1)
    if score_array.shape != hit_array.shape:
        raise ValueError(f"{score_array.size} scores but {hit_array.size} hits")
    if not np.all(np.isfinite(score_array)) or np.any((score_array < 0) | (score_array > 1)):
        raise ValueError("scores must be finite and within [0, 1]")
    if score_array.size == 0:
        return PrecisionRecallCurve(thresholds=(), true_positives=(), false_positives=(), positives=positives)
    order = np.argsort(-score_array, kind="stable")
    sorted_scores = score_array[order]
    true_positives = np.cumsum(hit_array[order])
    false_positives = np.cumsum(~hit_array[order])
    # Decisions with equal scores are kept or dropped together, so a point sits at the last of each run.
    last = np.flatnonzero(np.r_[sorted_scores[1:] != sorted_scores[:-1], True])
    return PrecisionRecallCurve(
        thresholds=tuple(float(s) for s in sorted_scores[last]),
        true_positives=tuple(int(n) for n in true_positives[last]),
        false_positives=tuple(int(n) for n in false_positives[last]),
        positives=positives,
    )


def average_precision(curve: PrecisionRecallCurve) -> float:
    """Area under the all-point interpolated curve (VOC2010+); 0 when there are no positives."""
    if curve.positives == 0 or not curve.thresholds:
        return 0.0
    precision = np.asarray(curve.precision)
    recall = np.asarray(curve.recall)
    interpolated = np.maximum.accumulate(precision[::-1])[::-1]
    steps = np.diff(recall, prepend=0.0)
    # Rounding can push a perfect curve a hair above 1.
    return min(float(np.sum(steps * interpolated)), 1.0)
