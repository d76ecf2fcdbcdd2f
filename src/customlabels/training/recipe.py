"""How to train: the Recipe, its automatic choice from dataset size and time budget, and its cost model."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from customlabels.training.backbones import backbone_spec

DEFAULT_BACKBONE = "efficientnet-lite0"
# Seconds: ~4 minutes for ~600 images, growing with the dataset.
BASE_BUDGET_S = 240.0
BASE_BUDGET_IMAGES = 600
MAX_CACHE_BYTES = 3 * 1024**3


@dataclass(frozen=True)
class Recipe:
    backbone: str = DEFAULT_BACKBONE
    image_size: int = 224
    epochs: int = 20
    batch_size: int = 32
    learning_rate: float = 1e-3
    # The fine-tuned stages learn at learning_rate * tail_lr_scale, the new head at learning_rate.
    tail_lr_scale: float = 0.3
    weight_decay: float = 1e-4
    # How many final stages (the head conv counts as one) are fine-tuned; the rest runs once per view.
    trainable_stages: int = 3
    # Cached views per training image: the plain one, its mirror, then random crops with colour jitter.
    views: int = 4
    label_smoothing: float = 0.1
    mixup_alpha: float = 0.0
    dropout: float = 0.2
    drop_path: float = 0.0
    # Whether the exported model averages the image with its mirror image.
    flip_tta: bool = True
    validation_fraction: float = 0.1
    patience: int = 6
    warmup_epochs: float = 1.0
    # Training shortens its epochs when it measures that it would overrun this budget.
    time_budget_s: float | None = None
    # A weights file or URL for the backbone; None: the weights of the installed package.
    weights: str | None = None

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class CostModel:
    """Seconds on a 2-core CPU for EfficientNet-Lite0 at 224 px; other backbones and sizes scale from it."""

    read_per_image: float = 0.008
    trunk_per_view: float = 0.030
    tail_step_per_stage: float = 0.003
    fixed: float = 10.0


_BACKBONE_COST = {
    "efficientnet-lite0": 1.0,
    "efficientnet-lite1": 1.35,
    "efficientnet-lite2": 1.9,
    "tiny-test": 0.01,
}
COSTS = CostModel()


def estimate_seconds(recipe: Recipe, num_images: int) -> dict[str, float]:
    """Expected seconds per phase: reading+caching views, training, exporting."""
    spec = backbone_spec(recipe.backbone)
    scale = _BACKBONE_COST.get(recipe.backbone, 2.0) * (recipe.image_size / spec.native_size) ** 2
    train_images = num_images * (1.0 - recipe.validation_fraction)
    validation_images = num_images - train_images
    views = train_images * recipe.views + validation_images * (2 if recipe.flip_tta else 1)
    caching = num_images * COSTS.read_per_image + views * COSTS.trunk_per_view * scale
    per_epoch = (train_images + validation_images) * COSTS.tail_step_per_stage * recipe.trainable_stages * scale
    return {"caching": caching, "training": recipe.epochs * per_epoch, "exporting": COSTS.fixed * min(scale, 1.0)}


def default_budget_s(num_images: int) -> float:
    return BASE_BUDGET_S * max(0.25, num_images / BASE_BUDGET_IMAGES) ** 0.85


def choose_recipe(
    *,
    num_images: int,
    num_labels: int,
    multi_label: bool,
    time_budget_s: float | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Recipe:
    """The recipe that measured best for ~600 images, with views then epochs cut to fit the budget; overrides win."""
    overrides = dict(overrides or {})
    unknown = set(overrides) - {field.name for field in dataclasses.fields(Recipe)}
    if unknown:
        raise ValueError(f"unknown recipe fields: {', '.join(sorted(unknown))}")
    budget = time_budget_s if time_budget_s is not None else default_budget_s(num_images)
    backbone = overrides.get("backbone", DEFAULT_BACKBONE)
    recipe = Recipe(
        backbone=backbone,
        image_size=backbone_spec(backbone).native_size,
        label_smoothing=0.0 if multi_label else 0.1,
        time_budget_s=budget,
    )
    recipe = dataclasses.replace(recipe, **overrides)
    recipe = _fit_budget(recipe, num_images=num_images, budget=budget, fixed=set(overrides))
    return recipe


def _fit_budget(recipe: Recipe, *, num_images: int, budget: float, fixed: set[str]) -> Recipe:
    if "views" not in fixed:
        views = recipe.views
        while views > 1 and (
            _total(dataclasses.replace(recipe, views=views, epochs=_min_epochs(recipe)), num_images) > budget
            or _cache_bytes(recipe, num_images, views) > MAX_CACHE_BYTES
        ):
            views -= 1
        recipe = dataclasses.replace(recipe, views=views)
    if "epochs" not in fixed:
        estimate = estimate_seconds(recipe, num_images)
        per_epoch = estimate["training"] / max(recipe.epochs, 1)
        room = budget - estimate["caching"] - estimate["exporting"]
        affordable = math.floor(room / per_epoch) if per_epoch > 0 else recipe.epochs
        recipe = dataclasses.replace(recipe, epochs=max(_min_epochs(recipe), min(recipe.epochs, affordable)))
    return recipe


def _min_epochs(recipe: Recipe) -> int:
    return min(recipe.epochs, 3)


def _total(recipe: Recipe, num_images: int) -> float:
    return sum(estimate_seconds(recipe, num_images).values())


def _cache_bytes(recipe: Recipe, num_images: int, views: int) -> float:
    # Float16 trunk outputs: roughly 112 channels at 1/16 of the input side for the default split.
    side = math.ceil(recipe.image_size / 16)
    return num_images * views * 2 * 112 * side * side
