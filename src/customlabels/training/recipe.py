"""How to train: the Recipe, its automatic choice from dataset size and time budget, and the cost model behind it."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from customlabels.training.backbones import backbone_spec

DEFAULT_BACKBONE = "efficientnet-lite0"
# Seconds: about 4 minutes for ~600 images, growing a little less than linearly with the dataset.
BASE_BUDGET_S = 240.0
BASE_BUDGET_IMAGES = 600
MIN_BUDGET_S = 60.0
MAX_CACHE_BYTES = 6 * 1024**3
# From this many training images on, a tenth is held out to stop early and keep the best epoch. Below it a tenth
# is too few images to choose an epoch by, and costs a tenth of the data (on clothing's 600, holding none out
# gained 0.02-0.03 macro-F1 seed for seed): every image trains, the schedule runs to its end, the average is kept.
EARLY_STOPPING_MIN_IMAGES = 1000
VALIDATION_FRACTION = 0.1
# (views, epochs) from the most to the least preferred; the first that fits the budget is chosen.
PLANS: tuple[tuple[int, int], ...] = (
    (8, 12), (6, 12), (5, 12), (4, 12), (4, 10), (3, 10), (2, 10), (2, 8), (1, 8), (1, 6), (1, 4), (1, 3),
)  # fmt: skip


@dataclass(frozen=True)
class Recipe:
    backbone: str = DEFAULT_BACKBONE
    image_size: int = 288
    epochs: int = 12
    batch_size: int = 32
    learning_rate: float = 1e-3
    # The fine-tuned stages learn at learning_rate * tail_lr_scale, the new head at learning_rate.
    tail_lr_scale: float = 0.3
    weight_decay: float = 0.05
    # How many final stages (the head conv counts as one) are fine-tuned; the rest runs once per view.
    trainable_stages: int = 3
    # Cached views per training image: the plain one, its mirror, then random crops with colour jitter.
    views: int = 8
    label_smoothing: float = 0.1
    mixup_alpha: float = 0.0
    dropout: float = 0.2
    drop_path: float = 0.2
    # Whether the exported model averages the image with its mirror image.
    flip_tta: bool = True
    validation_fraction: float = VALIDATION_FRACTION
    patience: int = 5
    warmup_epochs: float = 1.0
    # The exported weights are an exponential moving average over about this many last epochs (0: the last step's).
    ema_epochs: float = 1.0
    # Training caches fewer views and runs fewer epochs when it measures that it would overrun this.
    time_budget_s: float | None = None
    # A weights file or URL for the backbone; None: the weights of the installed package.
    weights: str | None = None

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class BackboneCost:
    """Measured on a 2-core CPU at the native size, channels_last, batch 32."""

    trunk_per_view_s: float
    # Forward + backward + step per training sample, by trainable_stages (0, 1, 2, ...).
    tail_per_sample_s: tuple[float, ...]
    # Float16 trunk output per view, by trainable_stages.
    cache_bytes_per_view: tuple[int, ...]

    def tail_s(self, trainable_stages: int) -> float:
        return _lookup(self.tail_per_sample_s, trainable_stages, growth=1.6)

    def cache_bytes(self, trainable_stages: int) -> float:
        return _lookup(self.cache_bytes_per_view, trainable_stages, growth=2.0)


def _lookup(table: tuple[float, ...] | tuple[int, ...], index: int, *, growth: float) -> float:
    index = max(0, index)
    if index < len(table):
        return float(table[index])
    return float(table[-1]) * growth ** (index - len(table) + 1)


COSTS: dict[str, BackboneCost] = {
    "efficientnet-lite0": BackboneCost(
        0.025, (0.0002, 0.0008, 0.0025, 0.009, 0.014, 0.029), (125440, 31360, 18816, 43904, 31360, 62720)
    ),
    "efficientnet-lite1": BackboneCost(
        0.032, (0.0002, 0.001, 0.003, 0.0125, 0.0245, 0.035), (163840, 40960, 24576, 50400, 36000, 72000)
    ),
    "efficientnet-lite2": BackboneCost(
        0.043, (0.0002, 0.0012, 0.0041, 0.0175, 0.030, 0.045), (207360, 57024, 33696, 69360, 50864, 104544)
    ),
    "tiny-test": BackboneCost(0.0005, (0.0005,), (8192,)),
}
UNKNOWN_COST = BackboneCost(0.06, (0.0005, 0.002, 0.006, 0.025, 0.04, 0.07), (250000, 60000, 40000, 80000))
READ_PER_IMAGE_S = 0.005
PREPARE_PER_VIEW_S = 0.001
FIXED_S = 10.0
SAFETY = 1.15


def estimate_seconds(recipe: Recipe, num_images: int) -> dict[str, float]:
    """Expected seconds per phase (caching, training, exporting) on a 2-core CPU, with a safety margin."""
    cost = COSTS.get(recipe.backbone, UNKNOWN_COST)
    scale = (recipe.image_size / backbone_spec(recipe.backbone).native_size) ** 2
    validation = num_images * recipe.validation_fraction
    train = num_images - validation
    views = train * recipe.views + validation * (2 if recipe.flip_tta else 1)
    caching = num_images * READ_PER_IMAGE_S + views * (PREPARE_PER_VIEW_S + cost.trunk_per_view_s * scale)
    tail = cost.tail_s(recipe.trainable_stages) * scale
    # Validation runs forward only (about a third of a training step) on every validation view.
    per_epoch = train * tail + validation * (2 if recipe.flip_tta else 1) * tail / 3
    return {
        "caching": SAFETY * caching,
        "training": SAFETY * recipe.epochs * per_epoch,
        "exporting": FIXED_S * min(1.0, scale * cost.trunk_per_view_s / COSTS[DEFAULT_BACKBONE].trunk_per_view_s),
    }


def default_budget_s(num_images: int) -> float:
    return max(MIN_BUDGET_S, BASE_BUDGET_S * (num_images / BASE_BUDGET_IMAGES) ** 0.85)


def choose_recipe(
    *,
    num_images: int,
    num_labels: int,
    multi_label: bool,
    time_budget_s: float | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Recipe:
    """The recipe that measured best on ~600 images, with fewer views then epochs to fit the budget, a validation
    split for early stopping from EARLY_STOPPING_MIN_IMAGES on; overrides win."""
    overrides = dict(overrides or {})
    unknown = set(overrides) - {field.name for field in dataclasses.fields(Recipe)}
    if unknown:
        raise ValueError(f"unknown recipe fields: {', '.join(sorted(unknown))}")
    budget = float(overrides.get("time_budget_s") or time_budget_s or default_budget_s(num_images))
    backbone = overrides.get("backbone", DEFAULT_BACKBONE)
    base = Recipe(
        backbone=backbone,
        image_size=backbone_spec(backbone).default_size,
        label_smoothing=0.0 if multi_label else 0.1,
        validation_fraction=VALIDATION_FRACTION if num_images >= EARLY_STOPPING_MIN_IMAGES else 0.0,
        time_budget_s=budget,
    )
    base = dataclasses.replace(base, **overrides)
    plans = [
        (overrides.get("views", views), overrides.get("epochs", epochs))
        for views, epochs in PLANS
    ]
    for views, epochs in plans:
        recipe = dataclasses.replace(base, views=views, epochs=epochs)
        if _fits(recipe, num_images, budget):
            return recipe
    return dataclasses.replace(base, views=plans[-1][0], epochs=plans[-1][1])


def _fits(recipe: Recipe, num_images: int, budget: float) -> bool:
    cost = COSTS.get(recipe.backbone, UNKNOWN_COST)
    scale = (recipe.image_size / backbone_spec(recipe.backbone).native_size) ** 2
    cache_bytes = num_images * recipe.views * cost.cache_bytes(recipe.trainable_stages) * scale
    return cache_bytes <= MAX_CACHE_BYTES and sum(estimate_seconds(recipe, num_images).values()) <= budget
