"""Turns decoded images into the model's input tensor, exactly as training did."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np
from PIL import Image


class Preprocess(Protocol):
    def __call__(self, images: Sequence[Image.Image], spec: Mapping[str, Any]) -> np.ndarray:
        """Float32 NCHW batch, resized and normalised as model.json's "input" says."""
        ...


class PreprocessingUnavailable(Exception):
    pass


def training_preprocess() -> Preprocess:
    """The trainer's own preprocessing, so serving can never drift from what the model was trained on."""
    # Why imported here: customlabels.training is a heavier package than serving needs until a
    # model is started, and serving must keep working in installs where only this function is used.
    try:
        from customlabels.training.preprocess import preprocess
    except ImportError as error:
        raise PreprocessingUnavailable(
            f"customlabels.training.preprocess is not importable: {error}"
        ) from error
    return preprocess
