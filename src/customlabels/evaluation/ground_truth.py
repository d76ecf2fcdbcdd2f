"""Ground truth read from manifest lines (already validated, as in the A2 formats)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from customlabels.evaluation.boxes import Box

METADATA_SUFFIX = "-metadata"
CLASSIFICATION_TYPE = "groundtruth/image-classification"
DETECTION_TYPE = "groundtruth/object-detection"
LABEL_TYPES = (CLASSIFICATION_TYPE, DETECTION_TYPE)

Line = Mapping[str, Any]


def label_attributes(line: Line, *, kind: str | None = None) -> tuple[str, ...]:
    """Label attribute names in line order: those whose "-metadata" has a known type (or `kind`)."""
    kinds = LABEL_TYPES if kind is None else (kind,)
    return tuple(
        key
        for key in line
        if not key.endswith(METADATA_SUFFIX)
        and isinstance(line.get(key + METADATA_SUFFIX), Mapping)
        and line[key + METADATA_SUFFIX].get("type") in kinds
    )


def image_labels(line: Line) -> tuple[str, ...]:
    """Image-level label names, in line order, without repeats."""
    names = (
        line[key + METADATA_SUFFIX]["class-name"] for key in label_attributes(line, kind=CLASSIFICATION_TYPE)
    )
    return tuple(dict.fromkeys(names))


def image_size(line: Line) -> tuple[int, int]:
    """(width, height) in pixels from the first object-detection attribute."""
    for key in label_attributes(line, kind=DETECTION_TYPE):
        size = line[key]["image_size"][0]
        return int(size["width"]), int(size["height"])
    raise ValueError("the line has no object-detection attribute to take the image size from")


def image_boxes(line: Line) -> tuple[Box, ...]:
    """Ground-truth boxes of every object-detection attribute, as ratios of the image size."""
    width, height = image_size(line)
    if width <= 0 or height <= 0:
        raise ValueError(f"image size must be positive, got {width} x {height}")
    boxes: list[Box] = []
    for key in label_attributes(line, kind=DETECTION_TYPE):
        class_map = line[key + METADATA_SUFFIX]["class-map"]
        for annotation in line[key]["annotations"]:
            boxes.append(
                Box(
                    label=class_map[str(annotation["class_id"])],
                    left=annotation["left"] / width,
                    top=annotation["top"] / height,
                    width=annotation["width"] / width,
                    height=annotation["height"] / height,
                )
            )
    return tuple(boxes)
