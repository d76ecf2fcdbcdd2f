"""Ground Truth manifest lines for the importers (stand-in for datasets/manifest.py)."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

_CLASSIFICATION = "groundtruth/image-classification"
_DETECTION = "groundtruth/object-detection"
_BOX_ATTRIBUTE = "bounding-box"


@dataclass(frozen=True)
class BoundingBox:
    label: str
    left: float
    top: float
    width: float
    height: float


def entry_line(
    source_ref: str,
    *,
    labels: Iterable[str] = (),
    boxes: Iterable[BoundingBox] = (),
    image_size: tuple[int, int] | None = None,
    job_name: str = "customlabels",
    creation_date: datetime | str | None = None,
) -> dict[str, Any]:
    """One GT line: an attribute per image-level label, plus a bounding-box attribute when image_size is given."""
    boxes = tuple(boxes)
    if boxes and image_size is None:
        raise ValueError(f"{source_ref}: bounding boxes need the image size (width, height)")
    created = _date_text(creation_date)
    line: dict[str, Any] = {"source-ref": source_ref}
    for index, label in enumerate(dict.fromkeys(labels)):
        attribute = f"{_slug(label)}-{index}"
        line[attribute] = index
        line[f"{attribute}-metadata"] = {
            "confidence": 1,
            "class-name": label,
            "human-annotated": "yes",
            "creation-date": created,
            "type": _CLASSIFICATION,
            "job-name": job_name,
        }
    if image_size is not None:
        width, height = image_size
        class_names = sorted({box.label for box in boxes})
        class_ids = {name: class_id for class_id, name in enumerate(class_names)}
        line[_BOX_ATTRIBUTE] = {
            "image_size": [{"width": width, "height": height, "depth": 3}],
            "annotations": [
                {
                    "class_id": class_ids[box.label],
                    "left": box.left,
                    "top": box.top,
                    "width": box.width,
                    "height": box.height,
                }
                for box in boxes
            ],
        }
        line[f"{_BOX_ATTRIBUTE}-metadata"] = {
            "objects": [{"confidence": 1} for _ in boxes],
            "class-map": {str(class_id): name for name, class_id in class_ids.items()},
            "type": _DETECTION,
            "human-annotated": "yes",
            "creation-date": created,
            "job-name": job_name,
        }
    return line


def with_one_class_map(lines: Iterable[dict[str, Any]]) -> tuple[dict[str, Any], ...]:
    """The lines renumbered so every detection attribute shares one class-map: the sorted class names of all lines."""
    lines = tuple(lines)
    names = sorted(
        {
            name
            for line in lines
            for metadata in _detection_metadata(line).values()
            for name in metadata["class-map"].values()
        }
    )
    class_ids = {name: class_id for class_id, name in enumerate(names)}
    class_map = {str(class_id): name for name, class_id in class_ids.items()}
    renumbered = []
    for line in lines:
        line = dict(line)
        for attribute, metadata in _detection_metadata(line).items():
            annotations = [
                {**annotation, "class_id": class_ids[metadata["class-map"][str(annotation["class_id"])]]}
                for annotation in line[attribute]["annotations"]
            ]
            line[attribute] = {**line[attribute], "annotations": annotations}
            line[f"{attribute}-metadata"] = {**metadata, "class-map": class_map}
        renumbered.append(line)
    return tuple(renumbered)


def _detection_metadata(line: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        attribute.removesuffix("-metadata"): metadata
        for attribute, metadata in line.items()
        if attribute.endswith("-metadata") and isinstance(metadata, dict) and metadata.get("type") == _DETECTION
    }


def _slug(label: str) -> str:
    # Attribute names must not collide with each other or with source-ref and
    # the box attribute; the trailing "-<index>" guarantees that, the slug only
    # keeps them readable.
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-") or "label"


def _date_text(creation_date: datetime | str | None) -> str:
    if isinstance(creation_date, str):
        return creation_date
    moment = creation_date or datetime.now(UTC)
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
