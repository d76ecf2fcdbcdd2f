"""What a model says about an image, and how each task's raw outputs become that."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Box:
    """Ratios of the image's width and height, origin at the top left."""

    left: float
    top: float
    width: float
    height: float


@dataclass(frozen=True)
class Prediction:
    label: str
    confidence: float
    box: Box | None = None


class MalformedOutput(Exception):
    pass


class Decoder(Protocol):
    def __call__(self, outputs: Sequence[np.ndarray], labels: tuple[str, ...]) -> list[list[Prediction]]:
        """One list of predictions per image of the batch, most confident first."""
        ...


def rank_probabilities(outputs: Sequence[np.ndarray], labels: tuple[str, ...]) -> list[list[Prediction]]:
    """Every label with its probability, per image, sorted by confidence descending."""
    probabilities = np.asarray(outputs[0])
    if probabilities.ndim != 2 or probabilities.shape[1] != len(labels):
        raise MalformedOutput(
            f"the model output has shape {probabilities.shape}; expected [N, {len(labels)}] "
            "to match the labels of model.json"
        )
    # Why clip: float32 softmax/sigmoid can land a hair outside 0..1, and confidence is a ratio.
    rows = np.clip(probabilities.astype(np.float64), 0.0, 1.0)
    ranked = []
    for row in rows:
        # Why stable: equal confidences keep the order of model.json's labels, so results are reproducible.
        order = np.argsort(-row, kind="stable")
        pairs = zip(order.tolist(), row[order].tolist(), strict=True)
        ranked.append([Prediction(labels[index], confidence) for index, confidence in pairs])
    return ranked


# Object localization ("detection") adds its decoder here; its predictions carry a Box.
DECODERS: Mapping[str, Decoder] = {
    "classification": rank_probabilities,
    "multi_label": rank_probabilities,
}
