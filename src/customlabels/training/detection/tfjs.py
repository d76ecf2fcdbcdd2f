"""The weights of a TF.js graph model (model.json + binary shards) as NumPy arrays, torch-free."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

_DTYPES = {"float32": np.float32, "int32": np.int32, "float16": np.float16, "uint8": np.uint8, "uint16": np.uint16}


def read_graph(model_json: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(the modelTopology object, weight name -> float32/int32 array) read from model.json and its shards."""
    description = json.loads(model_json.read_text(encoding="utf-8"))
    weights: dict[str, np.ndarray] = {}
    for group in description["weightsManifest"]:
        data = b"".join((model_json.parent / path).read_bytes() for path in group["paths"])
        offset = 0
        for entry in group["weights"]:
            array, offset = _read_entry(entry, data, offset)
            weights[entry["name"]] = array
        if offset != len(data):
            raise ValueError(f"{model_json}: the shards hold {len(data)} bytes, the manifest describes {offset}")
    return description["modelTopology"], weights


def _read_entry(entry: dict[str, Any], data: bytes, offset: int) -> tuple[np.ndarray, int]:
    shape = [int(side) for side in entry["shape"]]
    count = int(np.prod(shape)) if shape else 1
    quantization = entry.get("quantization")
    stored = _DTYPES[quantization["dtype"] if quantization else entry["dtype"]]
    size = count * np.dtype(stored).itemsize
    if offset + size > len(data):
        raise ValueError(f"weight {entry['name']!r} runs past the end of the shards")
    raw = np.frombuffer(data, dtype=stored, count=count, offset=offset)
    if quantization and quantization["dtype"] in ("uint8", "uint16"):
        # Affine quantization: value = raw * scale + min.
        array = raw.astype(np.float32) * np.float32(quantization["scale"]) + np.float32(quantization["min"])
    else:
        array = raw.astype(_DTYPES[entry["dtype"]])
    return array.reshape(shape), offset + size
