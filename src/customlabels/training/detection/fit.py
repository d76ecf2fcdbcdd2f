"""Fitting a detector: augmented batches, AdamW with warm-up and cosine decay, validation mAP, early stopping
and a time budget."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from customlabels.training.detection.augmentation import BoxAugmentation
from customlabels.training.detection.data import (
    Source,
    ValidationImage,
    batches,
    load_source,
    load_validation,
    steps_per_epoch,
)
from customlabels.training.detection.detectors import create_detector
from customlabels.training.detection.head import level_sizes
from customlabels.training.detection.loss import Targets, detection_loss
from customlabels.training.detection.model import Detector
from customlabels.training.detection.recipe import DetectionRecipe, estimate_seconds
from customlabels.training.detection.sample import DetectionSample
from customlabels.training.detection.threads import fastest_threads
from customlabels.training.detection.validation import to_tensor, validate
from customlabels.training.progress import NoProgress, Progress, ProgressTracker
from customlabels.training.sample import Sample
from customlabels.training.split import validation_split
from customlabels.training.weight_average import WeightAverage

EXPORT_RESERVE_S = 10.0
# With recipe.threads 0, the thread count is measured again this often, as other jobs come and go.
THREAD_PROBE_EPOCHS = 5
# The pace that decides how many epochs fit the budget: the mean of the last few epochs.
PACE_EPOCHS = 3
# Validation mAP is averaged over this many epochs to choose the kept epoch: a few validation images make a
# single epoch's mAP jump by 0.1 and more.
SMOOTHING_EPOCHS = 3
# Early stopping waits until this share of the planned epochs has run: before the learning rate has decayed,
# a plateau says little.
EARLY_STOP_AFTER = 0.6
GRAD_CLIP = 35.0
WARMUP_START = 0.1
FINAL_LR_SCALE = 0.05


@dataclass(frozen=True)
class FitResult:
    model: Detector
    metrics: dict[str, float]


def new_tracker(recipe: DetectionRecipe, num_images: int, progress: Progress | None = None) -> ProgressTracker:
    return ProgressTracker(progress or NoProgress(), estimate_seconds(recipe, num_images), clock=time.monotonic)


def fit_detector(
    samples: Sequence[DetectionSample],
    *,
    labels: Sequence[str],
    recipe: DetectionRecipe,
    seed: int = 0,
    tracker: ProgressTracker | None = None,
) -> FitResult:
    """The trained Detector (eval mode, CPU) and its validation metrics at the kept epoch."""
    started = time.monotonic()
    tracker = tracker or new_tracker(recipe, len(samples))
    tracker.report("reading", 0.0, epochs=recipe.epochs, force=True)
    index = _label_index(labels)
    if not samples:
        raise ValueError("no training images")
    torch.set_num_threads(recipe.threads or os.cpu_count() or 1)
    torch.manual_seed(seed)
    train_rows, validation_rows = validation_split(
        [Sample(sample.path, sample.labels) for sample in samples], fraction=recipe.validation_fraction, seed=seed
    )
    max_side = math.ceil(recipe.image_size * max(1.0, recipe.max_zoom))
    sources: list[Source] = []
    for number, row in enumerate(train_rows):
        sources.append(load_source(samples[row], index, max_side))
        tracker.report("reading", (number + 1) / len(samples), epochs=recipe.epochs)
    validation: list[ValidationImage] = []
    for number, row in enumerate(validation_rows):
        validation.append(load_validation(samples[row], index, recipe.image_size))
        tracker.report("reading", (len(train_rows) + number + 1) / len(samples), epochs=recipe.epochs)

    model = create_detector(recipe.detector, num_labels=len(labels), image_size=recipe.image_size, weights=recipe.weights)
    # Why channels-last: the reference measurements on this CPU found convolutions several times faster in it.
    # (The type: ignore: torch's stubs lack the memory_format overload.)
    model = model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    metrics = _train(model, sources, validation, labels, recipe, tracker, started, seed)
    model = model.to(memory_format=torch.contiguous_format).eval()  # type: ignore[call-overload]
    return FitResult(model, metrics)


def _label_index(labels: Sequence[str]) -> dict[str, int]:
    index = {label: position for position, label in enumerate(labels)}
    if len(index) != len(labels) or not labels:
        raise ValueError("labels must be distinct and not empty")
    return index


def _optimizer(model: Detector, recipe: DetectionRecipe) -> torch.optim.Optimizer:
    stages = model.body.stage_modules()
    for stage in stages[: recipe.frozen_stages]:
        stage.requires_grad_(False)
    new = {id(p) for module in [model.head, *model.body.new_modules()] for p in module.parameters()}
    trainable = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in trainable if id(p) not in new], "lr": recipe.learning_rate * recipe.body_lr_scale},
        {"params": [p for p in trainable if id(p) in new], "lr": recipe.learning_rate},
    ]
    return torch.optim.AdamW(groups, weight_decay=recipe.weight_decay)


def _set_train_mode(model: Detector) -> None:
    model.train()
    if model.body.freeze_batchnorm:
        # Why: batch statistics of a few large images are noisy; the pretrained running statistics are kept.
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.eval()


def schedule(step: int, total: int, warmup: float) -> float:
    """Linear warm-up from WARMUP_START, then cosine decay to FINAL_LR_SCALE."""
    if step < warmup:
        return WARMUP_START + (1 - WARMUP_START) * step / warmup
    progress = min(1.0, (step - warmup) / max(1.0, total - warmup))
    return FINAL_LR_SCALE + (1 - FINAL_LR_SCALE) * 0.5 * (1.0 + math.cos(math.pi * progress))


def _train(
    model: Detector,
    sources: Sequence[Source],
    validation: Sequence[ValidationImage],
    labels: Sequence[str],
    recipe: DetectionRecipe,
    tracker: ProgressTracker,
    started: float,
    seed: int,
) -> dict[str, float]:
    optimizer = _optimizer(model, recipe)
    base_rates = [group["lr"] for group in optimizer.param_groups]
    augmentation = BoxAugmentation(
        min_zoom=recipe.min_zoom, max_zoom=recipe.max_zoom, flip=recipe.flip, mosaic=recipe.mosaic
    )
    per_epoch = steps_per_epoch(len(sources), recipe.batch_size)
    warmup = max(1.0, recipe.warmup_epochs * per_epoch)
    trainable = [p for p in model.parameters() if p.requires_grad]
    average = WeightAverage(trainable, epochs=recipe.ema_epochs, steps_per_epoch=per_epoch)
    deadline = started + recipe.time_budget_s if recipe.time_budget_s is not None else None
    epochs = recipe.epochs
    best_key: tuple[float, float] | None = None
    best_state: dict[str, torch.Tensor] | None = None
    best_metrics: dict[str, float] = {}
    epoch_metrics: dict[str, float] = {}
    stale = 0
    step = 0
    epoch = 0
    durations: list[float] = []
    recent_maps: list[float] = []
    while epoch < epochs:
        epoch_began = time.monotonic()
        if recipe.threads == 0 and epoch % THREAD_PROBE_EPOCHS == 0:
            fastest_threads(model, batch_size=recipe.batch_size, size=recipe.image_size)
        _set_train_mode(model)
        totals = {"loss": 0.0, "qfl": 0.0, "giou": 0.0, "dfl": 0.0}
        for number, batch in enumerate(
            batches(sources, size=recipe.image_size, batch_size=recipe.batch_size, epoch=epoch, seed=seed, augmentation=augmentation)
        ):
            rate = schedule(step, epochs * per_epoch, warmup)
            for group, base in zip(optimizer.param_groups, base_rates, strict=True):
                group["lr"] = base * rate
            logits, sides, points = model.raw(to_tensor(batch.pixels))
            targets = [
                Targets(torch.from_numpy(boxes).float(), torch.from_numpy(kinds).long())
                for boxes, kinds in zip(batch.boxes, batch.labels, strict=True)
            ]
            loss, parts = detection_loss(logits, sides, points, level_sizes(points), targets)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), GRAD_CLIP)
            optimizer.step()
            average.update()
            step += 1
            totals["loss"] += float(loss.detach())
            for key, value in parts.items():
                totals[key] += value
            tracker.report("training", (epoch + (number + 1) / per_epoch) / epochs, epoch=epoch + 1, epochs=epochs)
        epoch_metrics = {"threads": float(torch.get_num_threads())}
        epoch_metrics.update({f"train_{key}": value / per_epoch for key, value in totals.items()})
        epoch += 1
        if validation:
            with average.applied():
                epoch_metrics.update(validate(model, validation, labels))
                recent_maps.append(epoch_metrics["val_map"])
                smoothed = sum(recent_maps[-SMOOTHING_EPOCHS:]) / len(recent_maps[-SMOOTHING_EPOCHS:])
                # Ties (a small validation set saturates) go to the lower validation loss.
                epoch_metrics["val_map_smoothed"] = smoothed
                score = (round(smoothed, 3), -epoch_metrics["val_loss"])
                if best_key is None or score > best_key:
                    best_key, stale = score, 0
                    best_state = {name: value.detach().clone() for name, value in model.state_dict().items()}
                    best_metrics = dict(epoch_metrics, best_epoch=float(epoch))
                else:
                    stale += 1
        tracker.report("training", epoch / epochs, epoch=epoch, epochs=epochs, metrics=epoch_metrics, force=True)
        if validation and stale >= recipe.patience and epoch >= EARLY_STOP_AFTER * epochs:
            break
        durations.append(time.monotonic() - epoch_began)
        if deadline is not None:
            # Why: the cost model is an estimate, and other jobs come and go on a shared machine: the run
            # shortens when epochs slow down and lengthens again (up to the recipe's epochs) when they speed up.
            seconds_per_epoch = sum(durations[-PACE_EPOCHS:]) / len(durations[-PACE_EPOCHS:])
            affordable = epoch + int((deadline - time.monotonic() - EXPORT_RESERVE_S) // max(seconds_per_epoch, 1e-3))
            epochs = max(epoch, min(recipe.epochs, affordable))
    if best_state is not None:
        model.load_state_dict(best_state)
    else:
        average.keep()
        best_metrics = dict(epoch_metrics)
    best_metrics["epochs_run"] = float(epoch)
    model.eval()
    return best_metrics
