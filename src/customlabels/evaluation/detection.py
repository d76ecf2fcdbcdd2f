"""Object localization evaluation: box decisions matched to ground truth by IoU."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

from customlabels.evaluation.boxes import IOU_THRESHOLD, Box, Detection, match_boxes
from customlabels.evaluation.metrics import Evaluation, checked_labels, label_evaluation


class DetectionMetrics:
    """Accumulates test images one by one (matching as it goes); compute() gives the Evaluation."""

    def __init__(self, labels: Sequence[str], *, iou_threshold: float = IOU_THRESHOLD) -> None:
        if not 0.0 < iou_threshold <= 1.0:
            raise ValueError(f"iou_threshold must be within (0, 1], got {iou_threshold}")
        self.labels = checked_labels(labels)
        self.iou_threshold = iou_threshold
        self.reset()

    def reset(self) -> None:
        self._scores: dict[str, list[float]] = {name: [] for name in self.labels}
        self._hits: dict[str, list[bool]] = {name: [] for name in self.labels}
        self._positives = dict.fromkeys(self.labels, 0)
        self._images = dict.fromkeys(self.labels, 0)

    def update(self, detections: Sequence[Detection], truths: Sequence[Box]) -> Self:
        """Adds one image: its predicted boxes and its ground-truth boxes."""
        unknown = ({d.label for d in detections} | {t.label for t in truths}) - self._positives.keys()
        if unknown:
            raise ValueError(f"boxes have labels {sorted(unknown)} that are not among {list(self.labels)}")
        match = match_boxes(detections, truths, iou_threshold=self.iou_threshold)
        for detection, hit in zip(detections, match.hits, strict=True):
            self._scores[detection.label].append(float(detection.score))
            self._hits[detection.label].append(hit)
        for box in truths:
            self._positives[box.label] += 1
        for name in {box.label for box in truths}:
            self._images[name] += 1
        return self

    def compute(self) -> Evaluation:
        results = tuple(
            label_evaluation(
                name,
                self._scores[name],
                self._hits[name],
                positives=self._positives[name],
                testing_images=self._images[name],
            )
            for name in self.labels
        )
        return Evaluation(results, iou_threshold=self.iou_threshold)


def evaluate_detection(
    labels: Sequence[str],
    detections: Sequence[Sequence[Detection]],
    truths: Sequence[Sequence[Box]],
    *,
    iou_threshold: float = IOU_THRESHOLD,
) -> Evaluation:
    """Per-label metrics over box decisions; detections[i] and truths[i] belong to test image i."""
    if len(detections) != len(truths):
        raise ValueError(f"{len(detections)} images of detections but {len(truths)} of ground truth")
    metrics = DetectionMetrics(labels, iou_threshold=iou_threshold)
    for image_detections, image_truths in zip(detections, truths, strict=True):
        metrics.update(image_detections, image_truths)
    return metrics.compute()
