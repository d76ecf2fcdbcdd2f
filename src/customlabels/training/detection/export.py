"""Writing the served detector: model.onnx (decoded boxes and label scores from the letterboxed input) and
model.json (task "detection")."""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from customlabels.training.detection.letterbox import input_spec
from customlabels.training.detection.model import Detector
from customlabels.training.detection.nms import MAX_DETECTIONS, NMS_IOU, SCORE_FLOOR
from customlabels.training.detection.recipe import DetectionRecipe

FORMAT_VERSION = 1
ONNX_OPSET = 17
MODEL_FILE = "model.onnx"
DESCRIPTION_FILE = "model.json"
TASK = "detection"
INPUT_NAME = "images"
OUTPUT_NAME = "detections"
# Why these tolerances: boxes are in input pixels (hundreds), scores are 0..1; float32 reorderings in ONNX
# Runtime move both by far less.
BOX_TOLERANCE = 1e-2
SCORE_TOLERANCE = 1e-4


def model_description(
    *, labels: Sequence[str], recipe: DetectionRecipe, validation: Mapping[str, float]
) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "task": TASK,
        "labels": list(labels),
        "input": input_spec(recipe.image_size),
        "output": OUTPUT_NAME,
        # [N, cells, 4 + labels]: x1, y1, x2, y2 in input pixels, then each label's score.
        "output_layout": "boxes_xyxy_input_pixels+scores",
        "decoding": {"score_floor": SCORE_FLOOR, "nms_iou": NMS_IOU, "max_detections": MAX_DETECTIONS},
        "detector": recipe.detector,
        "recipe": recipe.to_json(),
        "validation": dict(validation),
    }


def export_detector(
    model: Detector,
    out_dir: Path,
    *,
    labels: Sequence[str],
    recipe: DetectionRecipe,
    validation: Mapping[str, float],
) -> Path:
    """Writes out_dir/model.onnx and out_dir/model.json, checking onnxruntime agrees with torch; returns out_dir."""
    out_dir.mkdir(parents=True, exist_ok=True)
    model = model.to("cpu", memory_format=torch.contiguous_format).eval()  # type: ignore[call-overload]
    size = recipe.image_size
    onnx_path = out_dir / MODEL_FILE
    with warnings.catch_warnings():
        # Why: without onnxscript only the TorchScript exporter is available, and it announces its deprecation.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (torch.zeros((1, 3, size, size)),),
            str(onnx_path),
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}},
            opset_version=ONNX_OPSET,
            dynamo=False,
        )
    check_onnx(model, onnx_path, size)
    description = model_description(labels=labels, recipe=recipe, validation=validation)
    (out_dir / DESCRIPTION_FILE).write_text(json.dumps(description, indent=2) + "\n")
    return out_dir


def check_onnx(model: Detector, onnx_path: Path, size: int) -> float:
    """Raises unless ONNX Runtime's boxes and scores match torch's on two random images; returns the box gap."""
    import onnxruntime

    images = torch.from_numpy(np.random.default_rng(0).normal(size=(2, 3, size, size)).astype(np.float32))
    with torch.inference_mode():
        expected = model(images).numpy()
    session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    served = session.run([OUTPUT_NAME], {INPUT_NAME: images.numpy()})[0]
    if served.shape != expected.shape:
        raise RuntimeError(f"the exported model gives {served.shape}, the trained one {expected.shape}")
    box_gap = float(np.abs(served[..., :4] - expected[..., :4]).max())
    score_gap = float(np.abs(served[..., 4:] - expected[..., 4:]).max())
    if box_gap > BOX_TOLERANCE or score_gap > SCORE_TOLERANCE:
        raise RuntimeError(f"the exported model disagrees with the trained one (boxes {box_gap}, scores {score_gap})")
    return box_gap
