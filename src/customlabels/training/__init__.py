"""Training image classifiers and object detectors: the API the training worker calls. Importing it does not
import torch."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from customlabels.training.backbones import (
    BackboneSpec,
    create_backbone,
    list_backbones,
    register_backbone,
)
from customlabels.training.detection import (
    DetectionRecipe,
    DetectionSample,
    choose_detection_recipe,
    train_detector,
)
from customlabels.training.preprocess import preprocess
from customlabels.training.progress import Progress, TrainingCancelled
from customlabels.training.recipe import Recipe, choose_recipe
from customlabels.training.sample import Sample

__all__ = [
    "BackboneSpec",
    "DetectionRecipe",
    "DetectionSample",
    "Progress",
    "Recipe",
    "Sample",
    "TrainingCancelled",
    "choose_detection_recipe",
    "choose_recipe",
    "create_backbone",
    "list_backbones",
    "preprocess",
    "register_backbone",
    "train_classifier",
    "train_detector",
]


def train_classifier(
    samples: Sequence[Sample],
    *,
    labels: Sequence[str],
    multi_label: bool,
    recipe: Recipe,
    progress: Progress,
    out_dir: Path,
    seed: int = 0,
) -> Path:
    """Trains and exports to out_dir: model.onnx + model.json; returns out_dir."""
    if "torch" not in sys.modules:
        # Why: OpenMP threads that busy-wait stall each other whenever another process holds a core
        # (serving units, another training): measured 3-6x slower steps on a shared 2-core machine.
        # It must be set before torch loads its OpenMP runtime.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from customlabels.training.export import export_model
    from customlabels.training.trainer import fit_classifier, new_tracker

    tracker = new_tracker(recipe, len(samples), progress)
    fitted = fit_classifier(
        samples, labels=labels, multi_label=multi_label, recipe=recipe, seed=seed, tracker=tracker
    )
    tracker.report("exporting", 0.0, force=True)
    export_model(
        fitted.model, out_dir, labels=labels, multi_label=multi_label, recipe=recipe, validation=fitted.metrics
    )
    tracker.report("exporting", 1.0, metrics=fitted.metrics, force=True)
    return out_dir
