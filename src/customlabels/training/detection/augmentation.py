"""Training views of an image and its boxes: random scale, aspect, placement (crop), mirror and colour;
the boxes follow every geometric change (Pillow and NumPy)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from customlabels.training.augmentation import jitter_colour
from customlabels.training.detection.letterbox import FILL, Placement, fit, render


@dataclass(frozen=True)
class BoxAugmentation:
    # The image's size relative to the letterbox fit, drawn log-uniformly: < 1 shrinks it, > 1 crops it.
    min_zoom: float = 0.6
    max_zoom: float = 1.6
    max_aspect_change: float = 1.2
    flip: bool = True
    brightness: float = 0.25
    contrast: float = 0.25
    saturation: float = 0.25
    # A box cut by the crop is kept, clipped, while this share of its area is still in view.
    min_visible: float = 0.4
    min_side: float = 2.0
    # The share of views that are mosaics of four images, each in a quarter around a random centre.
    mosaic: float = 0.0

    def __post_init__(self) -> None:
        if not 0 < self.min_zoom <= self.max_zoom or self.max_aspect_change < 1 or not 0 < self.min_visible <= 1:
            raise ValueError(f"inconsistent augmentation settings: {self}")


@dataclass(frozen=True)
class View:
    pixels: np.ndarray  # uint8 [size, size, 3]
    boxes: np.ndarray  # float [K, 4] x1, y1, x2, y2 in input pixels
    labels: np.ndarray  # int [K]


def flip_boxes(boxes: np.ndarray, size: int) -> np.ndarray:
    """Boxes of an input mirrored left to right."""
    flipped = np.array(boxes, dtype=np.float64).reshape(-1, 4)
    flipped[:, [0, 2]] = size - flipped[:, [2, 0]]
    return flipped


def random_placement(width: int, height: int, size: int, rng: np.random.Generator, augmentation: BoxAugmentation) -> Placement:
    """The letterbox fit, zoomed and stretched at random, at a random position (overhanging sides are cropped)."""
    base = fit(width, height, size)
    zoom = math.exp(rng.uniform(math.log(augmentation.min_zoom), math.log(augmentation.max_zoom)))
    limit = math.log(augmentation.max_aspect_change)
    aspect = math.exp(rng.uniform(-limit, limit))
    inner_width = max(1, round(base.inner_width * zoom * math.sqrt(aspect)))
    inner_height = max(1, round(base.inner_height * zoom / math.sqrt(aspect)))
    left = int(rng.integers(min(0, size - inner_width), max(0, size - inner_width) + 1))
    top = int(rng.integers(min(0, size - inner_height), max(0, size - inner_height) + 1))
    return Placement(width, height, inner_width, inner_height, left, top)


def place_boxes(
    boxes: np.ndarray,
    labels: np.ndarray,
    placement: Placement,
    size: int,
    augmentation: BoxAugmentation,
    height: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Boxes in input pixels, clipped to the input (size wide, height or size high); those mostly cut away or
    too thin to see are dropped."""
    placed = placement.to_input(boxes)
    limit = np.array([size, height or size, size, height or size], dtype=np.float64)
    clipped = np.clip(placed, 0.0, limit)
    area = _area(placed)
    visible = _area(clipped)
    sides = np.minimum(clipped[:, 2] - clipped[:, 0], clipped[:, 3] - clipped[:, 1])
    keep = (visible >= augmentation.min_visible * area) & (sides >= augmentation.min_side) & (area > 0)
    return clipped[keep], np.asarray(labels)[keep]


def augmented_view(
    image: Image.Image,
    boxes: np.ndarray,
    labels: np.ndarray,
    size: int,
    rng: np.random.Generator,
    augmentation: BoxAugmentation,
) -> View:
    placement = random_placement(image.width, image.height, size, rng, augmentation)
    pixels = render(image, placement, size)
    placed, kept_labels = place_boxes(boxes, labels, placement, size, augmentation)
    if augmentation.flip and rng.random() < 0.5:
        pixels = np.ascontiguousarray(pixels[:, ::-1])
        placed = flip_boxes(placed, size)
    return View(jitter_colour(pixels, rng, augmentation), placed, kept_labels)


def mosaic_view(
    parts: list[tuple[Image.Image, np.ndarray, np.ndarray]],
    size: int,
    rng: np.random.Generator,
    augmentation: BoxAugmentation,
) -> View:
    """Four (image, boxes, labels) in the quarters around a random centre, each quarter a random crop of its
    image at the scale of augmented_view (its letterbox fit, zoomed): mosaics add context, not smaller objects."""
    centre_x, centre_y = (int(rng.integers(size // 4, 3 * size // 4 + 1)) for _ in range(2))
    canvas = np.full((size, size, 3), FILL, dtype=np.uint8)
    all_boxes, all_labels = [], []
    for quarter, (image, boxes, labels) in enumerate(parts[:4]):
        right, bottom = quarter % 2 == 1, quarter >= 2
        x0, y0 = (centre_x if right else 0), (centre_y if bottom else 0)
        width, height = (size - centre_x if right else centre_x), (size - centre_y if bottom else centre_y)
        if width < 1 or height < 1:
            continue
        zoom = math.exp(rng.uniform(math.log(augmentation.min_zoom), math.log(augmentation.max_zoom)))
        scale = zoom * size / max(image.width, image.height)
        inner_width, inner_height = max(1, round(image.width * scale)), max(1, round(image.height * scale))
        left = int(rng.integers(min(0, width - inner_width), max(0, width - inner_width) + 1))
        top = int(rng.integers(min(0, height - inner_height), max(0, height - inner_height) + 1))
        placement = Placement(image.width, image.height, inner_width, inner_height, left, top)
        canvas[y0 : y0 + height, x0 : x0 + width] = render(image, placement, width, height)
        placed, kept = place_boxes(boxes, labels, placement, width, augmentation, height)
        all_boxes.append(placed + np.array([x0, y0, x0, y0], dtype=np.float64))
        all_labels.append(kept)
    merged = np.concatenate(all_boxes) if all_boxes else np.zeros((0, 4))
    merged_labels = np.concatenate(all_labels) if all_labels else np.zeros(0, dtype=np.int64)
    if augmentation.flip and rng.random() < 0.5:
        canvas = np.ascontiguousarray(canvas[:, ::-1])
        merged = flip_boxes(merged, size)
    return View(jitter_colour(canvas, rng, augmentation), merged, merged_labels)


def plain_view(image: Image.Image, boxes: np.ndarray, labels: np.ndarray, size: int) -> View:
    """The input exactly as served (letterboxed), with its boxes."""
    placement = fit(image.width, image.height, size)
    return View(render(image, placement, size), placement.to_input(boxes), np.asarray(labels))


def _area(boxes: np.ndarray) -> np.ndarray:
    return np.clip(boxes[:, 2] - boxes[:, 0], 0, None) * np.clip(boxes[:, 3] - boxes[:, 1], 0, None)
