"""Evaluation results: per-label metrics at the assumed threshold and their aggregates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce

import numpy as np
import numpy.typing as npt

from customlabels.evaluation.counts import Counts
from customlabels.evaluation.curves import PrecisionRecallCurve, average_precision, precision_recall_curve
from customlabels.evaluation.thresholds import assumed_threshold, counts_at


@dataclass(frozen=True)
class LabelEvaluation:
    label: str
    threshold: float
    # Images that truly have the label (AWS NumberOfTestingImages), not decisions or boxes.
    testing_images: int
    curve: PrecisionRecallCurve

    def __post_init__(self) -> None:
        if not self.label:
            raise ValueError("a label evaluation needs a non-empty label")
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"threshold must be within [0, 1], got {self.threshold}")
        if self.testing_images < 0:
            raise ValueError(f"testing_images must be >= 0, got {self.testing_images}")

    @property
    def counts(self) -> Counts:
        return counts_at(self.curve, self.threshold)

    @property
    def positives(self) -> int:
        return self.curve.positives

    @property
    def precision(self) -> float:
        return self.counts.precision

    @property
    def recall(self) -> float:
        return self.counts.recall

    @property
    def f1_score(self) -> float:
        return self.counts.f1_score

    @property
    def average_precision(self) -> float:
        return average_precision(self.curve)

    @property
    def max_recall(self) -> float:
        return self.curve.max_recall


def checked_labels(labels: Sequence[str]) -> tuple[str, ...]:
    """The label names as a tuple, refused when empty, blank or repeated."""
    names = tuple(labels)
    if not names or not all(isinstance(name, str) and name for name in names):
        raise ValueError(f"labels must be a non-empty sequence of non-empty names, got {names!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"labels must be unique, got {list(names)}")
    return names


def label_evaluation(
    label: str,
    scores: Sequence[float] | npt.NDArray[np.floating],
    hits: Sequence[bool] | npt.NDArray[np.bool_],
    *,
    positives: int,
    testing_images: int,
) -> LabelEvaluation:
    """Metrics of one label at its assumed threshold, from its scored decisions."""
    curve = precision_recall_curve(scores, hits, positives)
    return LabelEvaluation(label, assumed_threshold(curve), testing_images, curve)


@dataclass(frozen=True)
class ConfusionCell:
    ground_truth: str
    predicted: str
    value: float


@dataclass(frozen=True)
class Evaluation:
    """A model's results on its test set; iou_threshold is set for object localization only."""

    labels: tuple[LabelEvaluation, ...]
    confusion_matrix: tuple[ConfusionCell, ...] | None = None
    iou_threshold: float | None = None

    def __post_init__(self) -> None:
        names = self.label_names
        if not names:
            raise ValueError("an evaluation needs at least one label")
        if len(set(names)) != len(names):
            raise ValueError(f"label names must be unique, got {list(names)}")
        if self.confusion_matrix is not None:
            if self.iou_threshold is not None:
                raise ValueError("object localization has no confusion matrix")
            unknown = {
                name
                for cell in self.confusion_matrix
                for name in (cell.ground_truth, cell.predicted)
                if name not in names
            }
            if unknown:
                raise ValueError(f"confusion matrix names unknown labels {sorted(unknown)}")
        if self.iou_threshold is not None and not 0.0 < self.iou_threshold <= 1.0:
            raise ValueError(f"iou_threshold must be within (0, 1], got {self.iou_threshold}")

    @property
    def is_localization(self) -> bool:
        return self.iou_threshold is not None

    @property
    def label_names(self) -> tuple[str, ...]:
        return tuple(result.label for result in self.labels)

    @property
    def thresholds(self) -> dict[str, float]:
        return {result.label: result.threshold for result in self.labels}

    @property
    def counts(self) -> Counts:
        """Micro-averaged: every decision of every label at its own threshold."""
        return reduce(Counts.__add__, (result.counts for result in self.labels), Counts())

    @property
    def precision(self) -> float:
        return self.counts.precision

    @property
    def recall(self) -> float:
        return self.counts.recall

    @property
    def f1_score(self) -> float:
        return self.counts.f1_score

    @property
    def _scored_labels(self) -> tuple[LabelEvaluation, ...]:
        # Labels absent from the test set have no meaningful F1, AP or recall; averaging their
        # zeros would grade the split rather than the model.
        return tuple(result for result in self.labels if result.positives > 0)

    @property
    def macro_f1_score(self) -> float:
        """Mean per-label F1 over labels with positives in the test set."""
        return _mean([result.f1_score for result in self._scored_labels])

    @property
    def average_precision(self) -> float:
        """mAP: mean per-label AP over labels with positives in the test set."""
        return _mean([result.average_precision for result in self._scored_labels])

    @property
    def average_recall(self) -> float:
        """mAR: mean per-label recall with every prediction kept (threshold 0), over labels with positives."""
        return _mean([result.max_recall for result in self._scored_labels])


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0
