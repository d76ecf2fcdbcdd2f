"""The model input, shared by training and serving: one resize and one normalisation, NumPy and Pillow only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

# The whole image is squashed to a square (no crop, no padding): every pixel the user labelled is seen.
RESIZE_STRETCH = "stretch_bilinear"
MEAN = 127.0
STD = 128.0


def input_spec(size: int) -> dict[str, Any]:
    """The "input" object of model.json for a model trained at this size."""
    return {"size": size, "layout": "NCHW", "color": "RGB", "resize": RESIZE_STRETCH, "mean": MEAN, "std": STD}


def load_image(path: Path) -> Image.Image:
    """An RGB image with its EXIF orientation applied."""
    with Image.open(path) as image:
        image.load()
        oriented = ImageOps.exif_transpose(image)
    return oriented.convert("RGB")


def resize(image: Image.Image, size: int, box: tuple[float, float, float, float] | None = None) -> Image.Image:
    """The image (or the box of it) stretched to size x size with Pillow's antialiased bilinear filter."""
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    return rgb.resize((size, size), Image.Resampling.BILINEAR, box=box)


def normalise(pixels: np.ndarray, *, mean: float = MEAN, std: float = STD) -> np.ndarray:
    """uint8 NHWC RGB -> float32 NCHW, (x - mean) / std."""
    # Why into one preallocated NCHW array: converting, scaling and transposing in separate passes took ten
    # times as long on a 416-pixel detector input; the arithmetic (float32 subtract, then divide) is the same.
    count, height, width, channels = pixels.shape
    scaled = np.empty((count, channels, height, width), dtype=np.float32)
    np.subtract(pixels.transpose(0, 3, 1, 2), np.float32(mean), out=scaled, dtype=np.float32)
    scaled /= np.float32(std)
    return scaled


def preprocess(images: Sequence[Image.Image], spec: Mapping[str, Any]) -> np.ndarray:
    """Exactly the model.json "input" spec: float32 [N, 3, size, size], ready for the ONNX model."""
    if spec.get("layout") != "NCHW" or spec.get("color") != "RGB" or spec.get("resize") != RESIZE_STRETCH:
        raise ValueError(f"unsupported input spec: {dict(spec)}")
    size = int(spec["size"])
    if not images:
        return np.zeros((0, 3, size, size), dtype=np.float32)
    pixels = np.stack([np.asarray(resize(image, size), dtype=np.uint8) for image in images])
    return normalise(pixels, mean=float(spec["mean"]), std=float(spec["std"]))
