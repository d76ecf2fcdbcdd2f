"""How to train a detector: the DetectionRecipe, its automatic choice from dataset size and time budget, and its
cost model."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from customlabels.training.detection.detectors import detector_spec
from customlabels.training.detection.sample import DetectionSample

# Measured best per minute of training (bench/detection.py --compare); the fallback needs no fetched weights.
DEFAULT_DETECTOR = "nanodet-g"
FALLBACK_DETECTOR = "efficientnet-lite0-pan"
MIN_EPOCHS = 4
# Input sizes to choose from, and the side (square root of the area, in input pixels) that the dataset's
# small boxes (its 10th percentile) should keep.
INPUT_SIZES = (320, 416, 512)
SMALL_BOX_PIXELS = 24.0
SMALL_BOX_PERCENTILE = 10


@dataclass(frozen=True)
class DetectionRecipe:
    detector: str = DEFAULT_DETECTOR
    image_size: int = 416
    epochs: int = 80
    batch_size: int = 8
    learning_rate: float = 5e-3
    # The pretrained body learns at learning_rate * body_lr_scale; the head (and any new neck) at learning_rate.
    body_lr_scale: float = 0.2
    weight_decay: float = 0.05
    # How many of the body's first stages stay frozen (the stem counts as one).
    frozen_stages: int = 1
    warmup_epochs: float = 1.0
    min_zoom: float = 0.6
    max_zoom: float = 1.6
    flip: bool = True
    mosaic: float = 0.8
    validation_fraction: float = 0.1
    patience: int = 12
    # Validated and exported: an exponential moving average of the weights over about this many last epochs
    # (0: the last step's).
    ema_epochs: float = 2.0
    # Torch threads; 0: one per core. Why not always all: a small model's many small ops spend more time
    # waiting for a second busy core than computing.
    threads: int = 0
    # Training shortens its epochs when it measures that it would overrun this budget.
    time_budget_s: float | None = None
    # The pretrained weights (a file, folder or URL); None: those installed on this machine.
    weights: str | None = None

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class CostModel:
    """Seconds on a 2-core CPU; training and validation scale with the input area and the detector."""

    read_per_image: float = 0.02
    train_per_image: float = 0.12  # one augmented image through a training step, NanoDet-g at 416 px
    validate_per_image: float = 0.05
    export: float = 8.0


_DETECTOR_COST = {
    "nanodet-g": 1.0,
    "efficientnet-lite0-pan": 1.2,
    "efficientnet-lite1-pan": 1.5,
    "efficientnet-lite2-pan": 2.0,
    "tiny-test": 0.02,
}
COSTS = CostModel()


def _default_detector(weights: str | None) -> str:
    from customlabels.training.detection.weights import weights_available

    # Weights given explicitly are NanoDet-g's: a missing file is an error to report, not a reason to switch.
    return DEFAULT_DETECTOR if weights is not None or weights_available() else FALLBACK_DETECTOR


def _scale(recipe: DetectionRecipe) -> float:
    return _DETECTOR_COST.get(recipe.detector, 2.0) * (recipe.image_size / 416) ** 2


def estimate_seconds(recipe: DetectionRecipe, num_images: int) -> dict[str, float]:
    """Expected seconds per phase: reading, training (with validation), exporting."""
    scale = _scale(recipe)
    validation = num_images * recipe.validation_fraction
    per_epoch = (num_images - validation) * COSTS.train_per_image * scale + validation * COSTS.validate_per_image * scale
    return {
        "reading": num_images * COSTS.read_per_image,
        "training": recipe.epochs * per_epoch,
        "exporting": COSTS.export * min(1.0, scale),
    }


def default_budget_s(num_images: int) -> float:
    """14 minutes for 150 images, growing more slowly than the dataset (17 for 210)."""
    return 840.0 * max(0.2, num_images / 150) ** 0.6


def input_size_for(box_scales: Sequence[float]) -> int:
    """The smallest input size at which the small boxes keep SMALL_BOX_PIXELS; box_scales are each box's
    sqrt(width * height) / its image's longer side (the letterbox maps that side to the input size)."""
    if not len(box_scales):
        return INPUT_SIZES[1]
    small = float(np.percentile(np.asarray(box_scales, dtype=np.float64), SMALL_BOX_PERCENTILE))
    return next((size for size in INPUT_SIZES if small * size >= SMALL_BOX_PIXELS), INPUT_SIZES[-1])


def box_scales(samples: Sequence[DetectionSample]) -> list[float]:
    """Each box's sqrt(width * height) over its image's longer side (reads the image headers only)."""
    from PIL import Image

    scales: list[float] = []
    for sample in samples:
        with Image.open(sample.path) as image:
            longer = max(image.size)
        scales.extend(math.sqrt(max(w, 0.0) * max(h, 0.0)) / longer for _, _, _, w, h in sample.boxes)
    return scales


def choose_detection_recipe(
    *,
    num_images: int,
    num_labels: int,
    time_budget_s: float | None = None,
    overrides: Mapping[str, Any] | None = None,
    samples: Sequence[DetectionSample] | None = None,
) -> DetectionRecipe:
    """The recipe that measured best, its input size fitted to the samples' small boxes when they are given
    (reading their image headers), epochs cut to fit the time budget; overrides win. Without the NanoDet-g
    weights on this machine the default detector is FALLBACK_DETECTOR."""
    overrides = dict(overrides or {})
    unknown = set(overrides) - {field.name for field in dataclasses.fields(DetectionRecipe)}
    if unknown:
        raise ValueError(f"unknown recipe fields: {', '.join(sorted(unknown))}")
    if num_images < 1 or num_labels < 1:
        raise ValueError("a detector needs at least one image and one label")
    budget = time_budget_s if time_budget_s is not None else default_budget_s(num_images)
    detector = overrides.get("detector") or _default_detector(overrides.get("weights"))
    spec = detector_spec(detector)
    size = input_size_for(box_scales(samples)) if samples and spec.pretraining != "none" else spec.native_size
    recipe = DetectionRecipe(detector=detector, image_size=size, time_budget_s=budget)
    recipe = dataclasses.replace(recipe, **{**spec.recipe_defaults, **overrides})
    if "epochs" not in overrides:
        estimate = estimate_seconds(recipe, num_images)
        per_epoch = estimate["training"] / max(recipe.epochs, 1)
        room = budget - estimate["reading"] - estimate["exporting"]
        affordable = math.floor(room / per_epoch) if per_epoch > 0 else recipe.epochs
        recipe = dataclasses.replace(recipe, epochs=max(MIN_EPOCHS, min(recipe.epochs, affordable)))
    return recipe
