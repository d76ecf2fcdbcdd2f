"""Task "detection": the detector's boxes and label scores -> labelled boxes as ratios of the original image,
after per-label NMS (NumPy only; the letterbox geometry is the trainer's own)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from customlabels.serving.prediction import Box, Frame, MalformedOutput, Prediction

BOX_COLUMNS = 4


def decode_detections(
    outputs: Sequence[np.ndarray], labels: tuple[str, ...], frames: Sequence[Frame] | None = None, *, floor: float = 0.0
) -> list[list[Prediction]]:
    """Per image, at most MAX_DETECTIONS boxes scoring at least SCORE_FLOOR and floor, most confident first.

    A floor above SCORE_FLOOR leaves out only boxes below it: whether NMS keeps a box depends on the boxes
    scoring higher alone, so those above the floor are the same, and the suppression has far fewer candidates.
    """
    # Why imported here: a missing or broken training package fails the start of a model, not the server.
    from customlabels.training.detection.letterbox import fit
    from customlabels.training.detection.nms import SCORE_FLOOR, select

    detections = np.asarray(outputs[0]) if outputs else np.zeros(0)
    if detections.ndim != 3 or detections.shape[2] != BOX_COLUMNS + len(labels):
        raise MalformedOutput(
            f"the model output has shape {detections.shape}; expected [N, cells, {BOX_COLUMNS + len(labels)}] "
            "(x1, y1, x2, y2, then one score per label of model.json)"
        )
    if frames is None or len(frames) != detections.shape[0]:
        raise ValueError("decoding boxes needs the frame (size and input size) of every image of the batch")
    results = []
    for image, frame in zip(detections, frames, strict=True):
        # Why clip: float32 sigmoids can land a hair outside 0..1, and confidence is a ratio.
        scores = np.clip(image[:, BOX_COLUMNS:], 0.0, 1.0)
        chosen = select(image[:, :BOX_COLUMNS], scores, floor=max(SCORE_FLOOR, floor))
        ratios = fit(frame.width, frame.height, frame.input_size).to_ratios(chosen.boxes)
        rows = zip(ratios.tolist(), chosen.scores.tolist(), chosen.labels.tolist(), strict=True)
        results.append([Prediction(labels[label], score, Box(*box)) for box, score, label in rows])
    return results
