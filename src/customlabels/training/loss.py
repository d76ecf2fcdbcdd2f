"""The training loss: class-balanced soft-target cross-entropy, or BCE with positive weights for multi-label."""

from __future__ import annotations

import torch
import torch.nn.functional as F

MAX_POS_WEIGHT = 10.0


def label_weights(targets: torch.Tensor, multi_label: bool) -> torch.Tensor:
    """Single-label: per-class weights that balance the classes; multi-label: BCE pos_weight (negatives/positives)."""
    positives = targets.sum(dim=0)
    if multi_label:
        negatives = targets.shape[0] - positives
        return (negatives / positives.clamp(min=1.0)).clamp(1.0, MAX_POS_WEIGHT)
    present = positives > 0
    weights = torch.zeros_like(positives)
    weights[present] = targets.shape[0] / (present.sum() * positives[present])
    return weights


def soft_targets(targets: torch.Tensor, smoothing: float, multi_label: bool) -> torch.Tensor:
    if smoothing <= 0.0:
        return targets
    if multi_label:
        return targets * (1.0 - smoothing) + smoothing / 2
    return targets * (1.0 - smoothing) + smoothing / targets.shape[1]


def classification_loss(
    logits: torch.Tensor, targets: torch.Tensor, weights: torch.Tensor, multi_label: bool
) -> torch.Tensor:
    """targets are (soft) probabilities [N, labels]; weights come from label_weights."""
    if multi_label:
        return F.binary_cross_entropy_with_logits(logits, targets, pos_weight=weights)
    per_sample = -(targets * F.log_softmax(logits, dim=1)).sum(dim=1)
    sample_weights = targets @ weights
    return (per_sample * sample_weights).sum() / sample_weights.sum().clamp(min=1e-6)
