"""Boxes as ratios of the image size (origin top-left), IoU and greedy matching."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Protocol

import numpy as np
import numpy.typing as npt

IOU_THRESHOLD = 0.5


class Rect(Protocol):
    @property
    def left(self) -> float: ...
    @property
    def top(self) -> float: ...
    @property
    def width(self) -> float: ...
    @property
    def height(self) -> float: ...


def _check_rect(rect: Rect, label: str) -> None:
    if not label:
        raise ValueError("a box needs a non-empty label")
    values = (rect.left, rect.top, rect.width, rect.height)
    if not all(isinstance(v, Real) and math.isfinite(v) for v in values):
        raise ValueError(f"box coordinates must be finite numbers, got {values}")
    # Left and top may fall outside [0, 1] like AWS BoundingBox values; sizes may not be negative.
    if rect.width < 0 or rect.height < 0:
        raise ValueError(f"box width and height must be >= 0, got {rect.width} x {rect.height}")


@dataclass(frozen=True)
class Box:
    label: str
    left: float
    top: float
    width: float
    height: float

    def __post_init__(self) -> None:
        _check_rect(self, self.label)


@dataclass(frozen=True)
class Detection:
    label: str
    score: float
    left: float
    top: float
    width: float
    height: float

    def __post_init__(self) -> None:
        _check_rect(self, self.label)
        if not (isinstance(self.score, Real) and 0.0 <= self.score <= 1.0):
            raise ValueError(f"a detection score must be within [0, 1], got {self.score!r}")


def iou(a: Rect, b: Rect) -> float:
    """Intersection over union; 0 when the union is empty."""
    overlap_width = min(a.left + a.width, b.left + b.width) - max(a.left, b.left)
    overlap_height = min(a.top + a.height, b.top + b.height) - max(a.top, b.top)
    intersection = max(overlap_width, 0.0) * max(overlap_height, 0.0)
    union = a.width * a.height + b.width * b.height - intersection
    return intersection / union if union > 0 else 0.0


def _corners(rects: Sequence[Rect]) -> npt.NDArray[np.float64]:
    return np.array(
        [(r.left, r.top, r.left + r.width, r.top + r.height) for r in rects], dtype=np.float64
    ).reshape(-1, 4)


def _iou_matrix(a: Sequence[Rect], b: Sequence[Rect]) -> npt.NDArray[np.float64]:
    ca, cb = _corners(a)[:, None, :], _corners(b)[None, :, :]
    width = np.clip(np.minimum(ca[..., 2], cb[..., 2]) - np.maximum(ca[..., 0], cb[..., 0]), 0, None)
    height = np.clip(np.minimum(ca[..., 3], cb[..., 3]) - np.maximum(ca[..., 1], cb[..., 1]), 0, None)
    intersection = width * height
    area_a = (ca[..., 2] - ca[..., 0]) * (ca[..., 3] - ca[..., 1])
    area_b = (cb[..., 2] - cb[..., 0]) * (cb[..., 3] - cb[..., 1])
    union = area_a + area_b - intersection
    overlaps: npt.NDArray[np.float64] = np.divide(
        intersection, union, out=np.zeros_like(intersection), where=union > 0
    )
    return overlaps


@dataclass(frozen=True)
class BoxMatch:
    """For each detection (input order), the index of the ground-truth box it matched, or None."""

    truth_indices: tuple[int | None, ...]
    truth_count: int

    def __post_init__(self) -> None:
        matched = [i for i in self.truth_indices if i is not None]
        if len(set(matched)) != len(matched):
            raise ValueError("a ground-truth box can be matched at most once")
        if any(not 0 <= i < self.truth_count for i in matched):
            raise ValueError(f"matched indices must be within [0, {self.truth_count})")

    @property
    def hits(self) -> tuple[bool, ...]:
        return tuple(i is not None for i in self.truth_indices)

    @property
    def missed(self) -> tuple[int, ...]:
        """Ground-truth boxes that no detection matched."""
        matched = set(self.truth_indices)
        return tuple(i for i in range(self.truth_count) if i not in matched)


def match_boxes(
    detections: Sequence[Detection],
    truths: Sequence[Box],
    *,
    iou_threshold: float = IOU_THRESHOLD,
) -> BoxMatch:
    """Greedy by descending score: each detection takes the free same-label truth of best IoU >= threshold."""
    if not 0.0 < iou_threshold <= 1.0:
        raise ValueError(f"iou_threshold must be within (0, 1], got {iou_threshold}")
    matches: list[int | None] = [None] * len(detections)
    if not detections or not truths:
        return BoxMatch(tuple(matches), len(truths))
    overlaps = _iou_matrix(detections, truths)
    same_label = np.array([[d.label == t.label for t in truths] for d in detections])
    overlaps[~same_label] = -1.0
    taken = np.zeros(len(truths), dtype=bool)
    # A stable sort keeps input order among equal scores, so the result is deterministic.
    for d in np.argsort([-d.score for d in detections], kind="stable"):
        candidates = np.where(taken, -1.0, overlaps[d])
        best = int(np.argmax(candidates))
        if candidates[best] >= iou_threshold:
            matches[d] = best
            taken[best] = True
    return BoxMatch(tuple(matches), len(truths))
