"""Fitting an image of any aspect ratio into the square model input, and mapping boxes both ways (torch-free)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from customlabels.training.preprocess import MEAN, STD, normalise

LETTERBOX = "letterbox_bilinear"
# Why 127: the normalised input is (x - 127) / 128, so the padding reads as zero, as in training.
FILL = 127


@dataclass(frozen=True)
class Placement:
    """An image of width x height, resized to inner_width x inner_height and pasted at (left, top) of the input."""

    width: int
    height: int
    inner_width: int
    inner_height: int
    left: int
    top: int

    def __post_init__(self) -> None:
        if min(self.width, self.height, self.inner_width, self.inner_height) < 1:
            raise ValueError(f"a placement needs positive sizes, got {self}")

    @property
    def scale_x(self) -> float:
        return self.inner_width / self.width

    @property
    def scale_y(self) -> float:
        return self.inner_height / self.height

    def to_input(self, boxes: np.ndarray) -> np.ndarray:
        """[K, 4] (x1, y1, x2, y2) in image pixels -> the same boxes in input pixels."""
        boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        scale = np.array([self.scale_x, self.scale_y, self.scale_x, self.scale_y])
        return boxes * scale + np.array([self.left, self.top, self.left, self.top], dtype=np.float64)

    def to_image(self, boxes: np.ndarray) -> np.ndarray:
        """The inverse of to_input."""
        boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        scale = np.array([self.scale_x, self.scale_y, self.scale_x, self.scale_y])
        return (boxes - np.array([self.left, self.top, self.left, self.top], dtype=np.float64)) / scale

    def to_ratios(self, boxes: np.ndarray) -> np.ndarray:
        """[K, 4] (x1, y1, x2, y2) in input pixels -> (left, top, width, height) as ratios of the image, clipped
        to it (a box that reaches into the padding ends at the image's edge)."""
        size = np.array([self.width, self.height, self.width, self.height], dtype=np.float64)
        corners = np.clip(self.to_image(boxes), 0.0, size) / size
        return np.concatenate((corners[:, :2], corners[:, 2:] - corners[:, :2]), axis=1)


def fit(width: int, height: int, size: int) -> Placement:
    """The letterbox: the longer side fills the input, the image centred on the padding."""
    scale = size / max(width, height)
    inner_width = min(size, max(1, round(width * scale)))
    inner_height = min(size, max(1, round(height * scale)))
    return Placement(width, height, inner_width, inner_height, (size - inner_width) // 2, (size - inner_height) // 2)


def render(image: Image.Image, placement: Placement, size: int, height: int | None = None) -> np.ndarray:
    """uint8 [height or size, size, 3]: the image resized (Pillow's antialiased bilinear) and pasted; outside
    it, FILL."""
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    if rgb.size != (placement.width, placement.height):
        raise ValueError(f"the placement is for a {placement.width}x{placement.height} image, not {rgb.size}")
    # Why reducing_gap: a large photo is first shrunk by an integer factor (box filter), then resampled;
    # several times faster, and Pillow documents the result as close to the fair resampling.
    resized = rgb.resize((placement.inner_width, placement.inner_height), Image.Resampling.BILINEAR, reducing_gap=2.0)
    canvas = Image.new("RGB", (size, height or size), (FILL, FILL, FILL))
    # Pillow clips a paste that runs past the canvas, which is how augmentation crops.
    canvas.paste(resized, (placement.left, placement.top))
    return np.asarray(canvas, dtype=np.uint8)


def letterbox(image: Image.Image, size: int) -> tuple[np.ndarray, Placement]:
    placement = fit(image.width, image.height, size)
    return render(image, placement, size), placement


def input_spec(size: int) -> dict[str, Any]:
    """The "input" object of a detector's model.json."""
    return {"size": size, "layout": "NCHW", "color": "RGB", "resize": LETTERBOX, "mean": MEAN, "std": STD, "fill": FILL}


def preprocess_letterboxed(images: Sequence[Image.Image], spec: Mapping[str, Any]) -> np.ndarray:
    """Exactly the detector's model.json "input": float32 [N, 3, size, size]."""
    if spec.get("layout") != "NCHW" or spec.get("color") != "RGB" or spec.get("resize") != LETTERBOX:
        raise ValueError(f"unsupported input spec: {dict(spec)}")
    size = int(spec["size"])
    if not images:
        return np.zeros((0, 3, size, size), dtype=np.float32)
    pixels = np.stack([letterbox(image, size)[0] for image in images])
    return normalise(pixels, mean=float(spec["mean"]), std=float(spec["std"]))
