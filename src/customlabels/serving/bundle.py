"""An exported model version on disk: model.onnx and the model.json that describes it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from customlabels.serving.prediction import DECODERS

FORMAT_VERSION = 1
MODEL_FILE = "model.onnx"
SPEC_FILE = "model.json"
# The name of the output each task decodes; classifiers' is "probabilities".
OUTPUTS = {"detection": "detections"}


class InvalidBundle(Exception):
    pass


@dataclass(frozen=True)
class Bundle:
    path: Path
    spec: Mapping[str, Any]
    labels: tuple[str, ...]
    task: str
    thresholds: Mapping[str, float]

    @property
    def model(self) -> Path:
        return self.path / MODEL_FILE


def load_bundle(path: Path) -> Bundle:
    """Reads and checks model.json; raises InvalidBundle when this server cannot run the bundle."""
    spec_path, model_path = path / SPEC_FILE, path / MODEL_FILE
    if not model_path.is_file():
        raise InvalidBundle(f"{model_path} is missing")
    try:
        spec = json.loads(spec_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InvalidBundle(f"{spec_path} is unreadable: {error}") from error
    if not isinstance(spec, dict):
        raise InvalidBundle(f"{spec_path} must hold a JSON object")
    _check_spec(spec)
    thresholds = {label: float(value) for label, value in spec.get("thresholds", {}).items()}
    return Bundle(path=path, spec=spec, labels=tuple(spec["labels"]), task=spec["task"], thresholds=thresholds)


def _check_spec(spec: dict[str, Any]) -> None:
    if spec.get("format_version") != FORMAT_VERSION:
        raise InvalidBundle(f"format_version {spec.get('format_version')!r} is not {FORMAT_VERSION}")
    task = spec.get("task")
    if task not in DECODERS:
        raise InvalidBundle(f"task {task!r} is not supported by this server; expected one of {sorted(DECODERS)}")
    labels = spec.get("labels")
    if not isinstance(labels, list) or not labels or not all(isinstance(label, str) for label in labels):
        raise InvalidBundle("labels must be a non-empty list of strings")
    if len(set(labels)) != len(labels):
        raise InvalidBundle("labels must be unique")
    output = OUTPUTS.get(str(task), "probabilities")
    if spec.get("output") != output:
        raise InvalidBundle(f"output {spec.get('output')!r} is not {output!r}")
    image_input = spec.get("input")
    if not isinstance(image_input, dict):
        raise InvalidBundle("input must be an object")
    size = image_input.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
        raise InvalidBundle(f"input.size {size!r} is not a positive integer")
    if image_input.get("layout") != "NCHW" or image_input.get("color") != "RGB":
        raise InvalidBundle("input must be NCHW RGB")
    _check_thresholds(spec.get("thresholds", {}), labels)


def _check_thresholds(thresholds: object, labels: list[str]) -> None:
    """Optional: the assumed threshold of each label, recorded after evaluation."""
    if not isinstance(thresholds, dict):
        raise InvalidBundle("thresholds must be an object")
    for label, value in thresholds.items():
        if label not in labels:
            raise InvalidBundle(f"thresholds names {label!r}, which is not a label")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
            raise InvalidBundle(f"the threshold of {label!r} must be a number within 0..1, got {value!r}")
