"""Ground Truth lines for the importers: manifest.entry_line, and one class-map shared by all detection lines."""

from collections.abc import Iterable
from typing import Any

from customlabels.datasets.manifest import BoundingBox, entry_line

__all__ = ["BoundingBox", "entry_line", "with_one_class_map"]

_DETECTION = "groundtruth/object-detection"


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
