"""Validation scores (NumPy)."""

from __future__ import annotations

import numpy as np


def average_precision(scores: np.ndarray, positives: np.ndarray) -> float:
    """Area under the precision-recall curve, as the mean precision at each positive; 0 without positives."""
    order = np.argsort(-scores, kind="stable")
    hits = positives[order].astype(bool)
    if not hits.any():
        return 0.0
    precision_at = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float(precision_at[hits].mean())


def mean_average_precision(scores: np.ndarray, targets: np.ndarray) -> float:
    """Mean over the labels that have positives."""
    values = [
        average_precision(scores[:, column], targets[:, column])
        for column in range(targets.shape[1])
        if targets[:, column].any()
    ]
    return float(np.mean(values)) if values else 0.0
