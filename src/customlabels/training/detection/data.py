"""Training data in memory: decoded (and downscaled) images with their boxes, and batches of augmented views."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from PIL import Image

from customlabels.training.detection.augmentation import (
    BoxAugmentation,
    View,
    augmented_view,
    mosaic_view,
    plain_view,
)
from customlabels.training.detection.letterbox import Placement, fit
from customlabels.training.detection.orientation import load_oriented
from customlabels.training.detection.sample import DetectionSample


@dataclass(frozen=True)
class Source:
    """An image and its boxes (x1, y1, x2, y2 in its pixels) with label indices."""

    image: Image.Image
    boxes: np.ndarray
    labels: np.ndarray


@dataclass(frozen=True)
class Batch:
    pixels: np.ndarray  # uint8 [N, size, size, 3]
    boxes: list[np.ndarray]
    labels: list[np.ndarray]


@dataclass(frozen=True)
class ValidationImage:
    view: View  # the letterboxed input as served, boxes in input pixels
    placement: Placement
    truths: np.ndarray  # [K, 4] x1, y1, x2, y2 in the original image's pixels
    labels: np.ndarray


def corner_boxes(sample: DetectionSample, index: Mapping[str, int]) -> tuple[np.ndarray, np.ndarray]:
    unknown = {box[0] for box in sample.boxes} - set(index)
    if unknown:
        raise ValueError(f"{sample.path}: labels not in the label list: {sorted(unknown)}")
    boxes = np.array([(x, y, x + w, y + h) for _, x, y, w, h in sample.boxes], dtype=np.float64).reshape(-1, 4)
    labels = np.array([index[box[0]] for box in sample.boxes], dtype=np.int64)
    return boxes, labels


def load_source(sample: DetectionSample, index: Mapping[str, int], max_side: int) -> Source:
    """The oriented image, shrunk (boxes alike) when its longer side exceeds max_side: no view needs more."""
    boxes, labels = corner_boxes(sample, index)
    image, boxes = load_oriented(str(sample.path), boxes)
    scale = max_side / max(image.size)
    if scale < 1:
        width, height = max(1, round(image.width * scale)), max(1, round(image.height * scale))
        boxes = boxes * np.array([width / image.width, height / image.height] * 2)
        image = image.resize((width, height), Image.Resampling.BILINEAR)
    return Source(image, boxes, labels)


def load_validation(sample: DetectionSample, index: Mapping[str, int], size: int) -> ValidationImage:
    boxes, labels = corner_boxes(sample, index)
    image, boxes = load_oriented(str(sample.path), boxes)
    return ValidationImage(plain_view(image, boxes, labels, size), fit(image.width, image.height, size), boxes, labels)


def batches(
    sources: Sequence[Source],
    *,
    size: int,
    batch_size: int,
    epoch: int,
    seed: int,
    augmentation: BoxAugmentation,
) -> Iterator[Batch]:
    """One epoch of batches in a seeded order; the next batch is prepared on a thread while this one trains."""
    order = np.random.default_rng([seed, epoch]).permutation(len(sources))
    chunks = [order[start : start + batch_size] for start in range(0, len(order), batch_size)]

    def build(chunk: np.ndarray) -> Batch:
        views = []
        for position in chunk:
            source = sources[int(position)]
            # Seeded per image and epoch, so the views do not depend on the batch size or the thread.
            rng = np.random.default_rng([seed, epoch, int(position)])
            if rng.random() < augmentation.mosaic:
                others = rng.choice(len(sources), size=3)
                parts = [(s.image, s.boxes, s.labels) for s in (source, *(sources[int(i)] for i in others))]
                views.append(mosaic_view(parts, size, rng, augmentation))
            else:
                views.append(augmented_view(source.image, source.boxes, source.labels, size, rng, augmentation))
        return Batch(np.stack([v.pixels for v in views]), [v.boxes for v in views], [v.labels for v in views])

    # Why a thread: Pillow resizes and NumPy jitters without the GIL while torch trains on the batch before.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending: Future[Batch] | None = pool.submit(build, chunks[0]) if chunks else None
        for number in range(len(chunks)):
            assert pending is not None
            batch = pending.result()
            pending = pool.submit(build, chunks[number + 1]) if number + 1 < len(chunks) else None
            yield batch


def steps_per_epoch(num_images: int, batch_size: int) -> int:
    return max(1, math.ceil(num_images / batch_size))
