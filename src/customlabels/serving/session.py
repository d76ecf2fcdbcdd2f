"""An ONNX Runtime session on the CPU with a fixed number of threads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort

_ERRORS_ONLY = 3


class Session:
    def __init__(self, model: Path, *, threads: int) -> None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = _ERRORS_ONLY
        self._session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        inputs = self._session.get_inputs()
        if len(inputs) != 1:
            raise ValueError(f"{model} has {len(inputs)} inputs; expected one image batch")
        self._input = inputs[0].name

    def run(self, batch: np.ndarray) -> list[np.ndarray]:
        """Every output of the model for a float32 NCHW batch."""
        return list(self._session.run(None, {self._input: batch}))
