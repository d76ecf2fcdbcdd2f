"""Turns decoded images into the model's input tensor, exactly as training did."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np
from PIL import Image

from customlabels.serving.bundle import InvalidBundle


class Preprocess(Protocol):
    def __call__(self, images: Sequence[Image.Image], spec: Mapping[str, Any]) -> np.ndarray:
        """Float32 NCHW batch, resized and normalised as `spec` (model.json's "input" object) says."""
        ...


class PreprocessingUnavailable(Exception):
    pass


def training_preprocess() -> Preprocess:
    """The trainer's own preprocessing, so serving can never drift from what the model was trained on."""
    # Why imported here: a missing or broken training package then fails the start of a model with
    # a clear message, instead of the import of the whole server.
    try:
        from customlabels.training.detection.letterbox import LETTERBOX, preprocess_letterboxed
        from customlabels.training.preprocess import preprocess
    except ImportError as error:
        raise PreprocessingUnavailable(
            f"customlabels.training.preprocess is not importable: {error}"
        ) from error

    def by_resize(images: Sequence[Image.Image], spec: Mapping[str, Any]) -> np.ndarray:
        # Detectors letterbox (their boxes map back exactly); classifiers stretch.
        if spec.get("resize") == LETTERBOX:
            return preprocess_letterboxed(images, spec)
        return preprocess(images, spec)

    return by_resize


def probe_batch(preprocess: Preprocess, spec: Mapping[str, Any]) -> np.ndarray:
    """A batch of one grey image; raises InvalidBundle at start when the preprocessing refuses the input spec."""
    size = spec["size"]
    try:
        batch = preprocess([Image.new("RGB", (size, size), (128, 128, 128))], spec)
    except Exception as error:  # why: whatever the preprocessing refuses, the bundle cannot be served
        raise InvalidBundle(f"the model's input cannot be prepared: {error}") from error
    if batch.shape != (1, 3, size, size) or batch.dtype != np.float32:
        raise InvalidBundle(
            f"the preprocessing made a {batch.dtype} batch of shape {batch.shape}, not float32 [1, 3, {size}, {size}]"
        )
    return batch
