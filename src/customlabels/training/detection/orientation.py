"""EXIF orientation applied to an image and its boxes together, as serving applies it to the image."""

from __future__ import annotations

import numpy as np
from PIL import Image

_ORIENTATION_TAG = 0x0112
_TRANSPOSES = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def transpose_boxes(boxes: np.ndarray, method: Image.Transpose, width: int, height: int) -> np.ndarray:
    """Boxes (x1, y1, x2, y2) of a width x height image, after image.transpose(method)."""
    x1, y1, x2, y2 = (np.asarray(boxes, dtype=np.float64).reshape(-1, 4)[:, i] for i in range(4))
    # Where each corner goes: (x, y) -> (new x, new y), per Pillow's definition of the transposes.
    mapping = {
        Image.Transpose.FLIP_LEFT_RIGHT: lambda x, y: (width - x, y),
        Image.Transpose.FLIP_TOP_BOTTOM: lambda x, y: (x, height - y),
        Image.Transpose.ROTATE_180: lambda x, y: (width - x, height - y),
        Image.Transpose.ROTATE_90: lambda x, y: (y, width - x),
        Image.Transpose.ROTATE_270: lambda x, y: (height - y, x),
        Image.Transpose.TRANSPOSE: lambda x, y: (y, x),
        Image.Transpose.TRANSVERSE: lambda x, y: (height - y, width - x),
    }[method]
    ax, ay = mapping(x1, y1)
    bx, by = mapping(x2, y2)
    return np.stack((np.minimum(ax, bx), np.minimum(ay, by), np.maximum(ax, bx), np.maximum(ay, by)), axis=1)


def load_oriented(path: str, boxes: np.ndarray) -> tuple[Image.Image, np.ndarray]:
    """The RGB image with its EXIF orientation applied, and the boxes (given on the stored pixels) moved with it."""
    with Image.open(path) as image:
        image.load()
        try:
            orientation = image.getexif().get(_ORIENTATION_TAG, 1)
        except Exception:  # why: a broken EXIF block is ignored, as serving ignores it
            orientation = 1
        method = _TRANSPOSES.get(orientation) if isinstance(orientation, int) else None
        rgb = image.convert("RGB")
    if method is None:
        return rgb, np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    return rgb.transpose(method), transpose_boxes(boxes, method, rgb.width, rgb.height)
