"""Validation of a detector during training: its loss, and its mAP@0.5 after the decoding serving applies."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from customlabels.evaluation import Box, Detection, evaluate_detection
from customlabels.training.detection.data import ValidationImage
from customlabels.training.detection.head import level_sizes
from customlabels.training.detection.loss import Targets, detection_loss
from customlabels.training.detection.model import Detector, decode_boxes
from customlabels.training.detection.nms import select

BATCH = 8


def to_tensor(pixels: np.ndarray) -> torch.Tensor:
    """uint8 [N, H, W, 3] -> normalised float NCHW (channels-last memory), as preprocess_letterboxed makes it."""
    images = torch.from_numpy(pixels).permute(0, 3, 1, 2).float()
    return ((images - 127.0) / 128.0).contiguous(memory_format=torch.channels_last)


def validate(model: Detector, images: Sequence[ValidationImage], labels: Sequence[str]) -> dict[str, float]:
    """{"val_loss", "val_map"}: mAP@0.5 over the labels present, boxes mapped back to the original images."""
    model.eval()
    detections: list[list[Detection]] = []
    truths: list[list[Box]] = []
    losses = []
    with torch.inference_mode():
        for start in range(0, len(images), BATCH):
            chunk = images[start : start + BATCH]
            logits, sides, points = model.raw(to_tensor(np.stack([item.view.pixels for item in chunk])))
            sizes = level_sizes(points)
            targets = [
                Targets(torch.from_numpy(item.view.boxes).float(), torch.from_numpy(item.view.labels).long())
                for item in chunk
            ]
            loss, _ = detection_loss(logits, sides, points, sizes, targets)
            losses.append(float(loss) * len(chunk))
            boxes = decode_boxes(sides, points).numpy()
            scores = torch.sigmoid(logits).numpy()
            for item, image_boxes, image_scores in zip(chunk, boxes, scores, strict=True):
                detections.append(_detections(item, image_boxes, image_scores, labels))
                truths.append(_truths(item, labels))
    evaluation = evaluate_detection(labels, detections, truths)
    return {"val_loss": sum(losses) / max(len(images), 1), "val_map": evaluation.average_precision}


def _detections(item: ValidationImage, boxes: np.ndarray, scores: np.ndarray, labels: Sequence[str]) -> list[Detection]:
    chosen = select(boxes, scores)
    return [
        Detection(labels[int(label)], float(score), *(float(value) for value in ratios))
        for ratios, score, label in zip(item.placement.to_ratios(chosen.boxes), chosen.scores, chosen.labels, strict=True)
    ]


def _truths(item: ValidationImage, labels: Sequence[str]) -> list[Box]:
    width, height = item.placement.width, item.placement.height
    return [
        Box(labels[int(label)], x1 / width, y1 / height, (x2 - x1) / width, (y2 - y1) / height)
        for (x1, y1, x2, y2), label in zip(item.truths, item.labels, strict=True)
    ]
