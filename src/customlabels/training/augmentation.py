"""Augmented views of a training image (Pillow and NumPy), each resized exactly as serving resizes."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from PIL import Image

from customlabels.training.preprocess import resize


@dataclass(frozen=True)
class Augmentation:
    min_area: float = 0.55
    max_aspect_change: float = 4 / 3
    brightness: float = 0.2
    contrast: float = 0.2
    saturation: float = 0.2


def view(image: Image.Image, size: int, index: int, rng: np.random.Generator, augmentation: Augmentation) -> np.ndarray:
    """uint8 [size, size, 3]; view 0 is the served input, view 1 its mirror, later views random crops and colours."""
    if index == 0:
        return np.asarray(resize(image, size), dtype=np.uint8)
    if index == 1:
        return np.asarray(resize(image, size).transpose(Image.Transpose.FLIP_LEFT_RIGHT), dtype=np.uint8)
    resized = resize(image, size, box=_random_box(image.size, rng, augmentation))
    if rng.random() < 0.5:
        resized = resized.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return jitter_colour(np.asarray(resized, dtype=np.uint8), rng, augmentation)


def _random_box(
    image_size: tuple[int, int], rng: np.random.Generator, augmentation: Augmentation
) -> tuple[float, float, float, float]:
    width, height = image_size
    area = rng.uniform(augmentation.min_area, 1.0)
    log_limit = math.log(augmentation.max_aspect_change)
    aspect = math.exp(rng.uniform(-log_limit, log_limit))
    # Fractions of the stretched square, so an aspect change of 1 keeps the served geometry.
    box_w = min(1.0, math.sqrt(area * aspect))
    box_h = min(1.0, math.sqrt(area / aspect))
    left = rng.uniform(0.0, 1.0 - box_w)
    top = rng.uniform(0.0, 1.0 - box_h)
    return (left * width, top * height, (left + box_w) * width, (top + box_h) * height)


class ColourJitter(Protocol):
    """The largest relative changes of brightness, contrast and saturation."""

    @property
    def brightness(self) -> float: ...

    @property
    def contrast(self) -> float: ...

    @property
    def saturation(self) -> float: ...


def jitter_colour(pixels: np.ndarray, rng: np.random.Generator, augmentation: ColourJitter) -> np.ndarray:
    """uint8 pixels with brightness, contrast and saturation each scaled by a random factor within the limits."""
    x = pixels.astype(np.float32)
    x *= rng.uniform(1 - augmentation.brightness, 1 + augmentation.brightness)
    mean = x.mean()
    x = (x - mean) * rng.uniform(1 - augmentation.contrast, 1 + augmentation.contrast) + mean
    grey = x.mean(axis=2, keepdims=True)
    x = (x - grey) * rng.uniform(1 - augmentation.saturation, 1 + augmentation.saturation) + grey
    return np.clip(x + 0.5, 0, 255).astype(np.uint8)
