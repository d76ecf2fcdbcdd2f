"""Non-maximum suppression per label and the choice of an image's final boxes (NumPy, torch-free)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SCORE_FLOOR = 0.05
NMS_IOU = 0.6
MAX_DETECTIONS = 100
# Candidates kept before suppression, so a crowded score map does not make NMS quadratic in its size.
MAX_CANDIDATES = 1000


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float, limit: int | None = None) -> np.ndarray:
    """Indices of the boxes (x1, y1, x2, y2) kept, highest score first, at most limit; a box overlapping a kept
    one by more than iou_threshold is dropped."""
    x1, y1, x2, y2 = (np.ascontiguousarray(boxes[:, i], dtype=np.float64) for i in range(4))
    areas = np.maximum(x2 - x1, 0) * np.maximum(y2 - y1, 0)
    order = np.argsort(-scores, kind="stable")
    kept: list[int] = []
    # Each pass keeps the best box left and drops what it covers: as many passes as boxes kept, at most limit.
    while order.size and (limit is None or len(kept) < limit):
        best, rest = order[0], order[1:]
        kept.append(best)
        width = np.maximum(np.minimum(x2[best], x2[rest]) - np.maximum(x1[best], x1[rest]), 0)
        height = np.maximum(np.minimum(y2[best], y2[rest]) - np.maximum(y1[best], y1[rest]), 0)
        overlap = width * height
        # overlap / union <= threshold, without dividing by an empty union.
        order = rest[overlap <= iou_threshold * (areas[best] + areas[rest] - overlap)]
    return np.asarray(kept, dtype=np.int64)


def nms_per_label(
    boxes: np.ndarray, scores: np.ndarray, labels: np.ndarray, iou_threshold: float, limit: int | None = None
) -> np.ndarray:
    """nms within each label only: boxes of different labels never suppress each other."""
    if boxes.size == 0:
        return np.zeros(0, dtype=np.int64)
    # Shifting each label's boxes to its own region of the plane keeps NMS to one pass.
    span = float(np.abs(boxes).max()) * 2 + 1
    shifted = boxes + (labels.astype(np.float64) * span)[:, None]
    return nms(shifted, scores, iou_threshold, limit)


@dataclass(frozen=True)
class Selection:
    boxes: np.ndarray  # [K, 4] x1, y1, x2, y2 in the input's pixels
    scores: np.ndarray  # [K]
    labels: np.ndarray  # [K] label indices


def select(
    boxes: np.ndarray,
    scores: np.ndarray,
    *,
    floor: float = SCORE_FLOOR,
    iou_threshold: float = NMS_IOU,
    max_detections: int = MAX_DETECTIONS,
) -> Selection:
    """One image's boxes [A, 4] and label scores [A, L] -> (box, label) pairs at or above floor, after
    per-label NMS, at most max_detections, by descending score."""
    anchors, labels = np.nonzero(scores >= floor)
    candidate_scores = scores[anchors, labels].astype(np.float64)
    if candidate_scores.size > MAX_CANDIDATES:
        top = np.argsort(-candidate_scores, kind="stable")[:MAX_CANDIDATES]
        anchors, labels, candidate_scores = anchors[top], labels[top], candidate_scores[top]
    candidate_boxes = boxes[anchors].astype(np.float64)
    kept = nms_per_label(candidate_boxes, candidate_scores, labels, iou_threshold, max_detections)
    return Selection(candidate_boxes[kept], candidate_scores[kept], labels[kept])
