"""One training image and its labelled boxes."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

# (label, left, top, width, height) in pixels of the image as stored.
PixelBox = tuple[str, float, float, float, float]


@dataclass(frozen=True)
class DetectionSample:
    path: Path
    boxes: tuple[PixelBox, ...]

    def __post_init__(self) -> None:
        for box in self.boxes:
            if len(box) != 5 or not isinstance(box[0], str) or not box[0]:
                raise ValueError(f"{self.path}: a box is (label, left, top, width, height), got {box!r}")
            if not all(isinstance(value, (int, float)) and math.isfinite(value) for value in box[1:]):
                raise ValueError(f"{self.path}: box coordinates must be finite numbers, got {box!r}")
            if box[3] < 0 or box[4] < 0:
                raise ValueError(f"{self.path}: box width and height must be >= 0, got {box!r}")

    @property
    def labels(self) -> tuple[str, ...]:
        """The distinct labels of the boxes, in order of appearance."""
        return tuple(dict.fromkeys(box[0] for box in self.boxes))
