"""Training object detectors: the API the training worker calls. Importing it does not import torch."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from customlabels.training.detection.detectors import (
    DetectorSpec,
    create_detector,
    list_detectors,
    register_detector,
)
from customlabels.training.detection.recipe import (
    DetectionRecipe,
    choose_detection_recipe,
)
from customlabels.training.detection.sample import DetectionSample
from customlabels.training.progress import Progress

__all__ = [
    "DetectionRecipe",
    "DetectionSample",
    "DetectorSpec",
    "choose_detection_recipe",
    "create_detector",
    "list_detectors",
    "register_detector",
    "train_detector",
]


def train_detector(
    samples: Sequence[DetectionSample],
    *,
    labels: Sequence[str],
    recipe: DetectionRecipe,
    progress: Progress,
    out_dir: Path,
    seed: int = 0,
) -> Path:
    """Trains and exports model.onnx + model.json (task "detection") into out_dir; returns out_dir."""
    from customlabels.training.detection.export import export_detector
    from customlabels.training.detection.fit import fit_detector, new_tracker

    tracker = new_tracker(recipe, len(samples), progress)
    fitted = fit_detector(samples, labels=labels, recipe=recipe, seed=seed, tracker=tracker)
    tracker.report("exporting", 0.0, force=True)
    export_detector(fitted.model, out_dir, labels=labels, recipe=recipe, validation=fitted.metrics)
    tracker.report("exporting", 1.0, metrics=fitted.metrics, force=True)
    return out_dir
