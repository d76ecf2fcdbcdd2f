"""An exported model version running in this process."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PIL import Image

from customlabels.serving.bundle import InvalidBundle, load_bundle
from customlabels.serving.prediction import DECODERS, Box, Frame, MalformedOutput, Prediction
from customlabels.serving.preprocessing import (
    Preprocess,
    probe_batch,
    training_preprocess,
)
from customlabels.serving.session import Session

__all__ = ["Box", "Prediction", "Predictor"]


class Predictor:
    """An exported model loaded in ONNX Runtime."""

    def __init__(self, bundle: Path, *, threads: int = 1, preprocess: Preprocess | None = None) -> None:
        loaded = load_bundle(bundle)
        self.labels: tuple[str, ...] = loaded.labels
        self.task: str = loaded.task
        self.spec: dict[str, Any] = dict(loaded.spec)
        self._preprocess = preprocess or training_preprocess()
        self._decode = DECODERS[loaded.task]
        self._session = Session(loaded.model, threads=threads)
        size = int(self.spec["input"]["size"])
        try:
            probe = probe_batch(self._preprocess, self.spec["input"])
            self._decode(self._session.run(probe), self.labels, [Frame(size, size, size)])
        except MalformedOutput as error:
            raise InvalidBundle(str(error)) from error

    def predict(self, images: Sequence[Image.Image]) -> list[list[Prediction]]:
        """Per image, every label with its probability, most confident first."""
        if not images:
            return []
        size = int(self.spec["input"]["size"])
        frames = [Frame(image.width, image.height, size) for image in images]
        return self._decode(self._session.run(self._preprocess(images, self.spec["input"])), self.labels, frames)
