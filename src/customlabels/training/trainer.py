"""Fitting: cache the frozen trunk's outputs of augmented views once, then fine-tune the tail and a new head on them."""

from __future__ import annotations

import math
import os
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from customlabels.training.augmentation import Augmentation
from customlabels.training.backbones import create_backbone
from customlabels.training.classifier import Classifier
from customlabels.training.features import cache_trunk_outputs, trunk_runner
from customlabels.training.loss import classification_loss, label_weights, soft_targets
from customlabels.training.metrics import mean_average_precision
from customlabels.training.progress import NoProgress, Progress, ProgressTracker
from customlabels.training.recipe import Recipe, estimate_seconds
from customlabels.training.sample import Sample
from customlabels.training.split import validation_split
from customlabels.training.weight_average import WeightAverage

EXPORT_RESERVE_S = 10.0
# Even a run that overruns its budget trains this many epochs, lest it export an untrained head.
MIN_EPOCHS = 3
CACHE_BATCH_VIEWS = 32
EVALUATION_BATCH = 64


@dataclass(frozen=True)
class FitResult:
    model: Classifier
    metrics: dict[str, float]


@dataclass(frozen=True)
class _Data:
    features: torch.Tensor
    filled: torch.Tensor
    targets: torch.Tensor


def new_tracker(recipe: Recipe, num_images: int, progress: Progress | None = None) -> ProgressTracker:
    return ProgressTracker(
        progress if progress is not None else NoProgress(),
        estimate_seconds(recipe, num_images),
        clock=time.monotonic,
    )


def fit_classifier(
    samples: Sequence[Sample],
    *,
    labels: Sequence[str],
    multi_label: bool,
    recipe: Recipe,
    seed: int = 0,
    tracker: ProgressTracker | None = None,
) -> FitResult:
    """The trained Classifier (eval mode, on the CPU) and its validation metrics at the kept epoch."""
    started = time.monotonic()
    tracker = tracker or new_tracker(recipe, len(samples))
    tracker.report("caching", 0.0, epochs=recipe.epochs, force=True)
    torch.set_num_threads(os.cpu_count() or 1)
    torch.manual_seed(seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    targets = _targets(samples, labels, multi_label)
    model = _classifier(recipe, len(labels), multi_label).to(device, memory_format=torch.channels_last)

    train, validation = _cache(samples, targets, model, recipe, device, tracker, started, seed)
    cached_at = time.monotonic()
    metrics = _train(model, train, validation, recipe, multi_label, device, tracker, started, seed)
    metrics["views_cached"] = round(float(train.filled.float().mean()), 2)
    metrics["caching_s"] = round(cached_at - started, 1)
    metrics["training_s"] = round(time.monotonic() - cached_at, 1)
    return FitResult(model=model.to("cpu", memory_format=torch.contiguous_format).eval(), metrics=metrics)


def _classifier(recipe: Recipe, num_labels: int, multi_label: bool) -> Classifier:
    backbone = create_backbone(recipe.backbone, image_size=recipe.image_size, weights=recipe.weights)
    model = Classifier(
        backbone,
        trainable_stages=recipe.trainable_stages,
        num_labels=num_labels,
        multi_label=multi_label,
        dropout=recipe.dropout,
        flip_tta=recipe.flip_tta,
    )
    for module in model.tail.modules():
        if hasattr(module, "drop_path"):
            module.drop_path = recipe.drop_path
    return model


def _targets(samples: Sequence[Sample], labels: Sequence[str], multi_label: bool) -> torch.Tensor:
    index = {label: position for position, label in enumerate(labels)}
    if len(index) != len(labels) or not labels:
        raise ValueError("labels must be distinct and not empty")
    matrix = torch.zeros((len(samples), len(labels)), dtype=torch.float32)
    for row, sample in enumerate(samples):
        unknown = set(sample.labels) - set(index)
        if unknown:
            raise ValueError(f"{sample.path}: labels not in the label list: {sorted(unknown)}")
        if not multi_label and len(set(sample.labels)) != 1:
            raise ValueError(f"{sample.path}: single-label training needs exactly one label per image")
        for label in sample.labels:
            matrix[row, index[label]] = 1.0
    return matrix


def _cache(
    samples: Sequence[Sample],
    targets: torch.Tensor,
    model: Classifier,
    recipe: Recipe,
    device: torch.device,
    tracker: ProgressTracker,
    started: float,
    seed: int,
) -> tuple[_Data, _Data | None]:
    """Trunk outputs of the training views and of the validation images (plain, and mirrored with flip_tta)."""
    train_rows, validation_rows = validation_split(samples, fraction=recipe.validation_fraction, seed=seed)
    validation_views = 2 if recipe.flip_tta else 1
    total = len(train_rows) * recipe.views + len(validation_rows) * validation_views
    estimate = estimate_seconds(recipe, len(samples))
    deadline = None
    if recipe.time_budget_s is not None:
        deadline = started + recipe.time_budget_s * estimate["caching"] / sum(estimate.values())

    with tempfile.TemporaryDirectory(prefix="customlabels-trunk-") as workdir:
        run_trunk = trunk_runner(model.trunk, size=recipe.image_size, device=device, workdir=Path(workdir))

        def cached(rows: list[int], views: int, done_before: int, stream: int, until: float | None) -> _Data:
            def on_batch(done: int) -> None:
                tracker.report("caching", (done_before + done * views) / total, epochs=recipe.epochs)

            cache = cache_trunk_outputs(
                [samples[row].path for row in rows],
                run_trunk,
                size=recipe.image_size,
                views=views,
                seed=seed * 1000 + stream,
                augmentation=Augmentation(),
                batch_size=max(1, CACHE_BATCH_VIEWS // views),
                on_batch=on_batch,
                deadline=until,
            )
            return _Data(cache.features, cache.filled, targets[rows])

        train = cached(train_rows, recipe.views, 0, 0, deadline)
        validation = None
        if validation_rows:
            validation = cached(validation_rows, validation_views, len(train_rows) * recipe.views, 1, None)
    tracker.report("caching", 1.0, epochs=recipe.epochs, force=True)
    return train, validation


def _train(
    model: Classifier,
    train: _Data,
    validation: _Data | None,
    recipe: Recipe,
    multi_label: bool,
    device: torch.device,
    tracker: ProgressTracker,
    started: float,
    seed: int,
) -> dict[str, float]:
    """Trains the tail and head in place, leaves the kept weights in the model, returns their metrics."""
    generator = torch.Generator().manual_seed(seed)
    weights = label_weights(train.targets, multi_label).to(device)
    tail_parameters, head_parameters = model.trainable_parameters()
    optimizer = torch.optim.AdamW(
        [
            {"params": tail_parameters, "lr": recipe.learning_rate * recipe.tail_lr_scale},
            {"params": head_parameters, "lr": recipe.learning_rate},
        ],
        weight_decay=recipe.weight_decay,
    )
    base_rates = [group["lr"] for group in optimizer.param_groups]
    count = train.features.shape[0]
    steps_per_epoch = math.ceil(count / recipe.batch_size)
    average = WeightAverage(tail_parameters + head_parameters, epochs=recipe.ema_epochs, steps_per_epoch=steps_per_epoch)
    deadline = started + recipe.time_budget_s if recipe.time_budget_s is not None else None
    epochs, epoch, step, stale = recipe.epochs, 0, 0, 0
    best: tuple[float, dict[str, torch.Tensor], dict[str, float]] | None = None
    metrics: dict[str, float] = {}
    while epoch < epochs:
        epoch_began = time.monotonic()
        _set_train_mode(model)
        order = torch.randperm(count, generator=generator)
        view_choice = (torch.rand(count, generator=generator) * train.filled).long()
        running = 0.0
        for batch in range(steps_per_epoch):
            rows = order[batch * recipe.batch_size : (batch + 1) * recipe.batch_size]
            features = train.features[rows, view_choice[rows]].to(device, torch.float32)
            features = features.contiguous(memory_format=torch.channels_last)
            soft = soft_targets(train.targets[rows].to(device), recipe.label_smoothing, multi_label)
            if recipe.mixup_alpha > 0.0 and len(rows) > 1:
                mix = float(np.random.default_rng([seed, epoch, batch]).beta(recipe.mixup_alpha, recipe.mixup_alpha))
                permutation = torch.randperm(len(rows), generator=generator).to(device)
                features = mix * features + (1.0 - mix) * features[permutation]
                soft = mix * soft + (1.0 - mix) * soft[permutation]
            rate = _schedule(step, epochs * steps_per_epoch, recipe.warmup_epochs * steps_per_epoch)
            for group, base in zip(optimizer.param_groups, base_rates):
                group["lr"] = base * rate
            loss = classification_loss(model.logits_from_trunk(features), soft, weights, multi_label)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            average.update()
            step += 1
            running += float(loss.detach())
            tracker.report("training", (epoch + (batch + 1) / steps_per_epoch) / epochs, epoch=epoch + 1, epochs=epochs)
        metrics = {"train_loss": running / steps_per_epoch}
        with average.applied():
            if validation is not None:
                metrics.update(_evaluate(model, validation, multi_label, device))
                # Why the loss: on a few dozen validation images accuracy moves in coarse steps and ties often.
                if best is None or metrics["val_loss"] < best[0]:
                    best = (metrics["val_loss"], _trainable_state(model), dict(metrics, best_epoch=epoch + 1.0))
                    stale = 0
                else:
                    stale += 1
            if best is None or validation is None:
                best = (0.0, _trainable_state(model), dict(metrics))
        epoch += 1
        tracker.report("training", epoch / epochs, epoch=epoch, epochs=epochs, metrics=metrics, force=True)
        if validation is not None and stale >= recipe.patience:
            break
        if deadline is not None and epoch < epochs:
            # Why: the cost model is an estimate; a slower machine shortens the run instead of overrunning.
            seconds_per_epoch = max(time.monotonic() - epoch_began, 1e-3)
            affordable = epoch + int((deadline - time.monotonic() - EXPORT_RESERVE_S) // seconds_per_epoch)
            epochs = max(epoch, min(recipe.epochs, MIN_EPOCHS), min(epochs, affordable))
    assert best is not None
    model.load_state_dict(best[1], strict=False)
    return dict(best[2], epochs_run=float(epoch), epochs_planned=float(epochs))


def _trainable_state(model: Classifier) -> dict[str, torch.Tensor]:
    return {key: value.detach().clone() for key, value in model.state_dict().items() if not key.startswith("trunk.")}


def _set_train_mode(model: Classifier) -> None:
    model.train()
    model.trunk.eval()
    # Why: batch statistics of ~32 cached samples are noisy; the pretrained running statistics are kept.
    for module in model.tail.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.eval()


def _schedule(step: int, total: int, warmup: float) -> float:
    """Linear warm-up, then cosine decay to zero."""
    if step < warmup:
        return (step + 1) / (warmup + 1)
    progress = (step - warmup) / max(1.0, total - warmup)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def _evaluate(model: Classifier, data: _Data, multi_label: bool, device: torch.device) -> Mapping[str, float]:
    """Loss and accuracy (or mAP) of the probabilities averaged over the cached views, as the export averages them."""
    model.eval()
    probabilities = []
    with torch.inference_mode():
        for start in range(0, data.features.shape[0], EVALUATION_BATCH):
            chunk = data.features[start : start + EVALUATION_BATCH]
            per_view = [
                model.probabilities(
                    model.logits_from_trunk(
                        chunk[:, number].to(device, torch.float32).contiguous(memory_format=torch.channels_last)
                    )
                )
                for number in range(chunk.shape[1])
            ]
            probabilities.append(torch.stack(per_view).mean(dim=0).cpu())
    scores = torch.cat(probabilities).clamp(1e-7, 1 - 1e-7)
    targets = data.targets
    if multi_label:
        loss = float(F.binary_cross_entropy(scores, targets))
        return {"val_loss": loss, "val_map": mean_average_precision(scores.numpy(), targets.numpy())}
    loss = float(-(targets * scores.log()).sum(dim=1).mean())
    accuracy = float((scores.argmax(dim=1) == targets.argmax(dim=1)).float().mean())
    return {"val_loss": loss, "val_accuracy": accuracy}
