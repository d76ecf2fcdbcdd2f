"""Non-maximum suppression per label and the choice of an image's final boxes (NumPy, torch-free)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SCORE_FLOOR = 0.05
NMS_IOU = 0.6
MAX_DETECTIONS = 100
# Candidates kept before suppression, so a crowded score map does not make NMS quadratic in its size.
MAX_CANDIDATES = 1000
# Candidates compared at a time: enough to need few NumPy calls, few enough that the overlap matrices stay small.
BLOCK = 128


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float, limit: int | None = None) -> np.ndarray:
    """Indices of the boxes (x1, y1, x2, y2) kept, highest score first, at most limit; a box overlapping a kept
    one by more than iou_threshold is dropped."""
    order = np.argsort(-scores, kind="stable")
    ranked = np.asarray(boxes, dtype=np.float64)[order]
    areas = np.maximum(ranked[:, 2] - ranked[:, 0], 0) * np.maximum(ranked[:, 3] - ranked[:, 1], 0)
    limit = len(order) if limit is None else limit
    kept: list[int] = []
    # Greedy, one block of candidates at a time: first what the boxes kept so far drop, then the block's own
    # boxes in score order, with their overlaps computed at once instead of one NumPy pass per kept box.
    for start in range(0, len(order), BLOCK):
        if len(kept) >= limit:
            break
        block = np.arange(start, min(start + BLOCK, len(order)))
        if kept:
            block = block[~_overlapping(ranked, areas, np.asarray(kept), block, iou_threshold).any(axis=0)]
        within = _overlapping(ranked, areas, block, block, iou_threshold)
        dropped = np.zeros(len(block), dtype=bool)
        for position, candidate in enumerate(block.tolist()):
            if dropped[position]:
                continue
            kept.append(candidate)
            if len(kept) >= limit:
                break
            dropped[position + 1 :] |= within[position, position + 1 :]
    return order[np.asarray(kept, dtype=np.int64)]


def _overlapping(
    boxes: np.ndarray, areas: np.ndarray, rows: np.ndarray, columns: np.ndarray, iou_threshold: float
) -> np.ndarray:
    """[len(rows), len(columns)]: whether boxes[row] and boxes[column] overlap by more than iou_threshold."""
    a, b = boxes[rows], boxes[columns]
    overlap = np.minimum.outer(a[:, 2], b[:, 2])
    overlap -= np.maximum.outer(a[:, 0], b[:, 0])
    np.maximum(overlap, 0, out=overlap)
    height = np.minimum.outer(a[:, 3], b[:, 3])
    height -= np.maximum.outer(a[:, 1], b[:, 1])
    np.maximum(height, 0, out=height)
    overlap *= height
    # overlap / union > threshold, without dividing by an empty union.
    union = np.add.outer(areas[rows], areas[columns])
    union -= overlap
    union *= iou_threshold
    return overlap > union


def nms_per_label(
    boxes: np.ndarray, scores: np.ndarray, labels: np.ndarray, iou_threshold: float, limit: int | None = None
) -> np.ndarray:
    """nms within each label only: boxes of different labels never suppress each other. What is kept, highest
    score first (equal scores in index order), at most limit."""
    kept = [
        indices[nms(boxes[indices], scores[indices], iou_threshold, limit)]
        for indices in (np.flatnonzero(labels == label) for label in np.unique(labels))
    ]
    if not kept:
        return np.zeros(0, dtype=np.int64)
    merged = np.concatenate(kept)
    # Why lexsort on the index too: it keeps the tie order of one NMS over every label at once.
    return merged[np.lexsort((merged, -scores[merged]))][:limit]


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
