"""Tiny real images made on the fly."""

import io
import json
from pathlib import Path

from PIL import Image


def jpeg(width: int = 80, height: int = 64, color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "JPEG")
    return buffer.getvalue()


def png(width: int = 80, height: int = 64, color: tuple[int, int, int] = (30, 200, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "PNG")
    return buffer.getvalue()


def classification_line(source_ref: str, *labels: str) -> str:
    line: dict = {"source-ref": source_ref}
    for index, label in enumerate(labels):
        line[f"label{index}"] = 1
        line[f"label{index}-metadata"] = {
            "confidence": 1,
            "class-name": label,
            "human-annotated": "yes",
            "creation-date": "2026-01-01T00:00:00",
            "type": "groundtruth/image-classification",
        }
    return json.dumps(line)


def detection_line(
    source_ref: str, size: tuple[int, int], boxes: list[tuple[str, int, int, int, int]]
) -> str:
    names = sorted({box[0] for box in boxes})
    return json.dumps(
        {
            "source-ref": source_ref,
            "bounding-box": {
                "image_size": [{"width": size[0], "height": size[1], "depth": 3}],
                "annotations": [
                    {
                        "class_id": names.index(label),
                        "left": left,
                        "top": top,
                        "width": w,
                        "height": h,
                    }
                    for label, left, top, w, h in boxes
                ],
            },
            "bounding-box-metadata": {
                "objects": [{"confidence": 1} for _ in boxes],
                "class-map": {str(i): name for i, name in enumerate(names)},
                "type": "groundtruth/object-detection",
                "human-annotated": "yes",
                "creation-date": "2026-01-01T00:00:00",
            },
        }
    )


def put(root: Path, bucket: str, key: str, data: bytes) -> str:
    """Drops an object into a local bucket folder, as a user would; returns its s3:// URI."""
    path = root / bucket / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return f"s3://{bucket}/{key}"
