"""Image-level evaluation: single-label and multi-label classification."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Self

import numpy as np
import numpy.typing as npt

from customlabels.evaluation.metrics import ConfusionCell, Evaluation, checked_labels, label_evaluation

Scores = npt.ArrayLike


def _score_matrix(labels: tuple[str, ...], scores: Scores) -> npt.NDArray[np.float64]:
    matrix = np.asarray(scores, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[1] != len(labels):
        raise ValueError(f"scores must have shape (images, {len(labels)}), got {matrix.shape}")
    if not np.all(np.isfinite(matrix)) or np.any((matrix < 0) | (matrix > 1)):
        raise ValueError("scores must be finite and within [0, 1]")
    return matrix


def truth_matrix(labels: Sequence[str], image_labels: Sequence[Collection[str]]) -> npt.NDArray[np.bool_]:
    """(images, labels) booleans: whether each image truly has each label."""
    column = {name: index for index, name in enumerate(labels)}
    matrix = np.zeros((len(image_labels), len(column)), dtype=bool)
    for row, names in enumerate(image_labels):
        if isinstance(names, str):
            raise ValueError(f"image {row}: expected a collection of label names, got the string {names!r}")
        unknown = set(names) - column.keys()
        if unknown:
            raise ValueError(f"image {row} has labels {sorted(unknown)} that are not among {list(column)}")
        matrix[row, [column[name] for name in names]] = True
    return matrix


def confusion_matrix(
    labels: Sequence[str], scores: Scores, truth: npt.NDArray[np.bool_]
) -> tuple[ConfusionCell, ...]:
    """Ground truth -> top-scoring label, each row divided by its ground-truth count (rows sum to 1)."""
    names = checked_labels(labels)
    matrix = _score_matrix(names, scores)
    if truth.shape != matrix.shape or np.any(truth.sum(axis=1) != 1):
        raise ValueError("a confusion matrix needs exactly one ground-truth label per image")
    size = len(names)
    counts = np.zeros((size, size), dtype=np.int64)
    np.add.at(counts, (truth.argmax(axis=1), matrix.argmax(axis=1)), 1)
    totals = counts.sum(axis=1, keepdims=True)
    # A label absent from the test set gets a row of zeros rather than NaN.
    values = np.divide(counts, totals, out=np.zeros((size, size)), where=totals > 0)
    return tuple(
        ConfusionCell(names[g], names[p], float(values[g, p])) for g in range(size) for p in range(size)
    )


class ClassificationMetrics:
    """Accumulates test images batch by batch; compute() gives the Evaluation."""

    def __init__(self, labels: Sequence[str], *, multi_label: bool = False) -> None:
        self.labels = checked_labels(labels)
        self.multi_label = multi_label
        self._scores: list[npt.NDArray[np.float64]] = []
        self._present: list[npt.NDArray[np.bool_]] = []

    def update(self, scores: Scores, truth: Sequence[Collection[str]]) -> Self:
        """Adds images: `scores` rows of per-label scores (columns follow `labels`) and their label names."""
        matrix = _score_matrix(self.labels, scores)
        present = truth_matrix(self.labels, truth)
        if present.shape[0] != matrix.shape[0]:
            raise ValueError(f"{matrix.shape[0]} score rows but {present.shape[0]} ground truths")
        if not self.multi_label and np.any(present.sum(axis=1) != 1):
            raise ValueError("single-label classification needs exactly one ground-truth label per image")
        self._scores.append(matrix)
        self._present.append(present)
        return self

    def reset(self) -> None:
        self._scores.clear()
        self._present.clear()

    def compute(self) -> Evaluation:
        size = len(self.labels)
        scores = np.concatenate(self._scores) if self._scores else np.zeros((0, size))
        present = np.concatenate(self._present) if self._present else np.zeros((0, size), dtype=bool)
        results = tuple(
            label_evaluation(
                name,
                scores[:, column],
                present[:, column],
                positives=int(present[:, column].sum()),
                testing_images=int(present[:, column].sum()),
            )
            for column, name in enumerate(self.labels)
        )
        # AWS documents the confusion matrix for classification; with several labels per image the
        # argmax has no single ground truth to compare with, so multi-label models have none.
        cells = None if self.multi_label else confusion_matrix(self.labels, scores, present)
        return Evaluation(results, confusion_matrix=cells)


def evaluate_classification(
    labels: Sequence[str],
    scores: Scores,
    truth: Sequence[Collection[str]],
    *,
    multi_label: bool = False,
) -> Evaluation:
    """Per-label metrics over (image, label) decisions; `scores` columns follow `labels`."""
    return ClassificationMetrics(labels, multi_label=multi_label).update(scores, truth).compute()
