"""COCO object detection JSON (images, annotations with bbox [x, y, w, h], categories)."""

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from customlabels.datasets.importers.lines import BoundingBox, entry_line, with_one_class_map
from customlabels.datasets.importers.plan import (
    ImportFile,
    ImportPlan,
    Skipped,
    read_image_size,
    relative_key,
    safe_relative_key,
    source_ref,
)


@dataclass(frozen=True)
class CocoImage:
    file_name: str
    image_size: tuple[int, int] | None
    boxes: tuple[BoundingBox, ...]
    problem: str | None = None


@dataclass(frozen=True)
class CocoDataset:
    images: tuple[CocoImage, ...]
    problems: tuple[str, ...]


def plan_coco(annotations_json: Path, images_dir: Path, *, bucket: str, prefix: str) -> ImportPlan:
    try:
        document = json.loads(annotations_json.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{annotations_json} is not valid JSON: {error}") from None
    dataset = coco_dataset(document)
    skipped = [Skipped(str(annotations_json), problem) for problem in dataset.problems]
    lines, uploads, keys = [], [], set()
    for image in dataset.images:
        path = _find(images_dir, image.file_name)
        shown = str(path or images_dir / image.file_name)
        if image.problem is not None:
            skipped.append(Skipped(shown, image.problem))
            continue
        if path is None:
            skipped.append(Skipped(shown, f"image file not found in {images_dir}"))
            continue
        key = relative_key(path, images_dir)
        if key in keys:
            skipped.append(Skipped(shown, "image listed more than once"))
            continue
        try:
            size = image.image_size or read_image_size(path)
        except OSError as error:
            skipped.append(Skipped(shown, f"unreadable image: {error}"))
            continue
        keys.add(key)
        lines.append(entry_line(source_ref(bucket, prefix, key), boxes=image.boxes, image_size=size))
        uploads.append(ImportFile(path, key))
    return ImportPlan(with_one_class_map(lines), tuple(uploads), tuple(skipped), bucket, prefix)


def coco_dataset(document: Any) -> CocoDataset:
    """Every listed image with its boxes in pixels; an image with no annotations has no objects."""
    if not isinstance(document, dict) or not all(
        isinstance(document.get(part), list) for part in ("images", "annotations", "categories")
    ):
        raise ValueError("a COCO detection file needs the lists 'images', 'annotations' and 'categories'")
    categories = {
        category["id"]: str(category["name"])
        for category in document["categories"]
        if isinstance(category, dict) and isinstance(category.get("id"), int | str) and "name" in category
    }
    problems: list[str] = []
    listed: dict[int | str, dict[str, Any]] = {}
    for image in document["images"]:
        image_id = image.get("id") if isinstance(image, dict) else None
        file_name = image.get("file_name") if isinstance(image, dict) else None
        if not isinstance(image_id, int | str) or not isinstance(file_name, str) or not safe_relative_key(file_name):
            problems.append(f"image entry without an id or a usable file_name: {json.dumps(image)[:200]}")
        elif image_id in listed:
            problems.append(f"image id {image_id!r} is listed twice ({file_name} left out)")
        else:
            listed[image_id] = image
    boxes: dict[int | str, list[BoundingBox]] = defaultdict(list)
    broken: dict[int | str, str] = {}
    for number, annotation in enumerate(document["annotations"], start=1):
        image_id = annotation.get("image_id") if isinstance(annotation, dict) else None
        if not isinstance(image_id, int | str) or image_id not in listed:
            problems.append(f"annotation {number} refers to no listed image (image_id {image_id!r})")
            continue
        box = _box(annotation, categories)
        if isinstance(box, str):
            broken.setdefault(image_id, f"annotation {annotation.get('id', number)}: {box}")
        else:
            boxes[image_id].append(box)
    images = tuple(
        CocoImage(image["file_name"], _size(image), tuple(boxes[image_id]), broken.get(image_id))
        for image_id, image in listed.items()
    )
    return CocoDataset(images, tuple(problems))


def _box(annotation: dict[str, Any], categories: dict[int | str, str]) -> BoundingBox | str:
    category_id = annotation.get("category_id")
    label = categories.get(category_id) if isinstance(category_id, int | str) else None
    if label is None:
        return f"unknown category_id {category_id!r}"
    bbox = annotation.get("bbox")
    if not (isinstance(bbox, list) and len(bbox) == 4 and all(_is_number(v) for v in bbox)):
        return f"bbox must be [x, y, width, height] numbers, found {bbox!r}"
    left, top, width, height = (int(v) if float(v).is_integer() else v for v in bbox)
    if width <= 0 or height <= 0:
        return f"bbox {bbox} has no area"
    return BoundingBox(label, left, top, width, height)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _size(image: dict[str, Any]) -> tuple[int, int] | None:
    width, height = image.get("width"), image.get("height")
    if isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0:
        return width, height
    return None


def _find(images_dir: Path, file_name: str) -> Path | None:
    # COCO file_name is often relative to a parent of the folder the user points at (train2017/x.jpg).
    relative = PurePosixPath(safe_relative_key(file_name) or file_name)
    for candidate in (images_dir.joinpath(*relative.parts), images_dir / relative.name):
        if candidate.is_file():
            return candidate
    return None
