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


@dataclass(frozen=True)
class Frame:
    """An image's size in pixels and the side of the square model input it was fitted into."""

    width: int
    height: int
    input_size: int


class Decoder(Protocol):
    def __call__(
        self,
        outputs: Sequence[np.ndarray],
        labels: tuple[str, ...],
        frames: Sequence[Frame] | None = None,
        *,
        floor: float = 0.0,
    ) -> list[list[Prediction]]:
        """One list of predictions per image of the batch, most confident first, none below floor (which the
        caller sets to the least confidence it can use); boxes need the images' frames."""
        ...


def rank_probabilities(
    outputs: Sequence[np.ndarray], labels: tuple[str, ...], frames: Sequence[Frame] | None = None, *, floor: float = 0.0
) -> list[list[Prediction]]:
    """Every label with its probability (at least floor), per image, sorted by confidence descending."""
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
        ranked.append([Prediction(labels[index], confidence) for index, confidence in pairs if confidence >= floor])
    return ranked


def locate_objects(
    outputs: Sequence[np.ndarray], labels: tuple[str, ...], frames: Sequence[Frame] | None = None, *, floor: float = 0.0
) -> list[list[Prediction]]:
    """Object localization: labelled boxes, see customlabels.serving.detection."""
    # Why imported here: serving.detection imports this module's types.
    from customlabels.serving.detection import decode_detections

    return decode_detections(outputs, labels, frames, floor=floor)


DECODERS: Mapping[str, Decoder] = {
    "classification": rank_probabilities,
    "multi_label": rank_probabilities,
    "detection": locate_objects,
}
