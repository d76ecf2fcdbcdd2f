"""Writing the served model: model.onnx (probabilities from normalised NCHW input) and model.json."""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from customlabels.training.classifier import Classifier
from customlabels.training.preprocess import input_spec
from customlabels.training.recipe import Recipe

FORMAT_VERSION = 1
ONNX_OPSET = 17
MODEL_FILE = "model.onnx"
DESCRIPTION_FILE = "model.json"
INPUT_NAME = "images"
OUTPUT_NAME = "probabilities"


def model_description(
    *, labels: Sequence[str], multi_label: bool, recipe: Recipe, validation: Mapping[str, float]
) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "task": "multi_label" if multi_label else "classification",
        "labels": list(labels),
        "input": input_spec(recipe.image_size),
        "output": OUTPUT_NAME,
        "backbone": recipe.backbone,
        "recipe": recipe.to_json(),
        "validation": dict(validation),
    }


def export_model(
    model: Classifier,
    out_dir: Path,
    *,
    labels: Sequence[str],
    multi_label: bool,
    recipe: Recipe,
    validation: Mapping[str, float],
) -> Path:
    """Writes out_dir/model.onnx and out_dir/model.json, checking onnxruntime agrees with torch; returns out_dir."""
    out_dir.mkdir(parents=True, exist_ok=True)
    model = model.to("cpu", memory_format=torch.contiguous_format).eval()
    example = torch.zeros((1, 3, recipe.image_size, recipe.image_size))
    onnx_path = out_dir / MODEL_FILE
    write_onnx(model, example, onnx_path, input_name=INPUT_NAME, output_name=OUTPUT_NAME)
    _check_onnx(model, onnx_path, recipe.image_size)
    description = model_description(labels=labels, multi_label=multi_label, recipe=recipe, validation=validation)
    (out_dir / DESCRIPTION_FILE).write_text(json.dumps(description, indent=2) + "\n")
    return out_dir


def _check_onnx(model: Classifier, onnx_path: Path, size: int) -> None:
    images = torch.from_numpy(np.random.default_rng(0).normal(size=(2, 3, size, size)).astype(np.float32))
    with torch.inference_mode():
        expected = model(images).numpy()
    session = onnx_session(onnx_path)
    served = session.run([OUTPUT_NAME], {INPUT_NAME: images.numpy()})[0]
    if served.shape != expected.shape or not np.allclose(served, expected, atol=1e-4):
        raise RuntimeError(f"the exported model disagrees with the trained one (max {np.abs(served - expected).max()})")


def write_onnx(module: torch.nn.Module, example: torch.Tensor, path: Path, *, input_name: str, output_name: str) -> None:
    """The module (in eval mode) as ONNX with a dynamic batch axis."""
    module.eval()
    with warnings.catch_warnings():
        # Why: without onnxscript only the TorchScript exporter is available, and it announces its deprecation;
        # it also notes that the mirror (a Slice with step -1) cannot be constant-folded, which is expected.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", message="Constant folding", category=UserWarning)
        torch.onnx.export(
            module,
            (example,),
            str(path),
            input_names=[input_name],
            output_names=[output_name],
            dynamic_axes={input_name: {0: "batch"}, output_name: {0: "batch"}},
            opset_version=ONNX_OPSET,
            dynamo=False,
        )


def onnx_session(path: Path) -> Any:
    """An onnxruntime CPU session using every core, without busy-waiting threads."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = os.cpu_count() or 1
    # Why: spinning threads steal the cores of other processes (serving units, a second training)
    # and then wait for each other; on a shared CPU that costs more than it saves.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
