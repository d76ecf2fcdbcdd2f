"""YOLO: a .txt of normalized 'class cx cy w h' per image, beside it or in images/ + labels/."""

from collections.abc import Sequence
from pathlib import Path

from customlabels.datasets.importers.folders import visible_files
from customlabels.datasets.importers.lines import BoundingBox, entry_line, with_one_class_map
from customlabels.datasets.importers.plan import (
    ImportFile,
    ImportPlan,
    Skipped,
    is_image,
    listed_files,
    read_image_size,
    relative_key,
    source_ref,
)

_METADATA_NAMES = frozenset({"classes.txt", "data.yaml", "data.yml", "dataset.yaml", "dataset.yml"})
_YAML_NAMES = ("data.yaml", "data.yml", "dataset.yaml", "dataset.yml")


def plan_yolo(folder: Path, *, bucket: str, prefix: str, class_names: Sequence[str] | None = None) -> ImportPlan:
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder")
    names = tuple(class_names) if class_names is not None else yolo_class_names(folder)
    pairs, skipped = _pairs(folder)
    lines, uploads = [], []
    for image, label_file in pairs:
        key = relative_key(image, folder)
        ref = source_ref(bucket, prefix, key)
        if label_file is None:
            lines.append(entry_line(ref))
        else:
            try:
                size = read_image_size(image)
                boxes = yolo_boxes(label_file.read_text(encoding="utf-8"), names, size)
            except (ValueError, OSError) as error:
                skipped.append(Skipped(str(label_file), f"{error} ({image.name} not imported)"))
                continue
            lines.append(entry_line(ref, boxes=boxes, image_size=size))
        uploads.append(ImportFile(image, key))
    return ImportPlan(with_one_class_map(lines), tuple(uploads), tuple(skipped), bucket, prefix)


def yolo_boxes(text: str, class_names: Sequence[str], image_size: tuple[int, int]) -> tuple[BoundingBox, ...]:
    """Pixel boxes of one label file; an empty file means an image with no objects."""
    width, height = image_size
    boxes = []
    for number, raw in enumerate(text.splitlines(), start=1):
        fields = raw.split()
        if not fields:
            continue
        if len(fields) != 5:
            raise ValueError(f"line {number}: expected 'class x_center y_center width height', found {raw.strip()!r}")
        try:
            class_id = int(fields[0])
            cx, cy, w, h = (float(field) for field in fields[1:])
        except ValueError:
            raise ValueError(f"line {number}: not a class number and four numbers: {raw.strip()!r}") from None
        if not 0 <= class_id < len(class_names):
            raise ValueError(f"line {number}: class {class_id} is not among the {len(class_names)} class names")
        if not (0 <= cx <= 1 and 0 <= cy <= 1 and 0 < w <= 1 and 0 < h <= 1):
            raise ValueError(f"line {number}: coordinates must be normalized to 0..1, found {raw.strip()!r}")
        left, top = max(0.0, (cx - w / 2) * width), max(0.0, (cy - h / 2) * height)
        right, bottom = min(width, (cx + w / 2) * width), min(height, (cy + h / 2) * height)
        sides = (_pixels(left), _pixels(top), _pixels(right - left), _pixels(bottom - top))
        boxes.append(BoundingBox(class_names[class_id], *sides))
    return tuple(boxes)


def yolo_class_names(folder: Path) -> tuple[str, ...]:
    """Class names from classes.txt (in folder or folder/labels), else from a data.yaml `names:` beside or above it."""
    for path in (folder / "classes.txt", folder / "labels" / "classes.txt"):
        if path.is_file():
            return tuple(line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    for directory in (folder, folder.parent):
        for name in _YAML_NAMES:
            if (directory / name).is_file():
                return _yaml_class_names(directory / name)
    raise ValueError(f"no classes.txt or data.yaml in {folder}: pass the class names")


def _yaml_class_names(path: Path) -> tuple[str, ...]:
    try:
        import yaml  # type: ignore[import-untyped]
    except ImportError:
        raise ValueError(f"reading {path} needs PyYAML: install it or pass the class names") from None
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    names = document.get("names") if isinstance(document, dict) else None
    if isinstance(names, dict) and sorted(names) == list(range(len(names))):
        return tuple(str(names[index]) for index in range(len(names)))
    if isinstance(names, list):
        return tuple(str(name) for name in names)
    raise ValueError(f"{path} has no 'names' list (or 0..n-1 mapping)")


def _pairs(folder: Path) -> tuple[list[tuple[Path, Path | None]], list[Skipped]]:
    images_dir, labels_dir = folder / "images", folder / "labels"
    split = images_dir.is_dir() and labels_dir.is_dir()
    files = visible_files(images_dir) if split else listed_files(folder)
    pairs: list[tuple[Path, Path | None]] = []
    skipped: list[Skipped] = []
    used: set[Path] = set()
    for path in files:
        if is_image(path):
            beside = path.relative_to(images_dir) if split else path.relative_to(folder)
            expected = (labels_dir if split else folder) / beside.with_suffix(".txt")
            pairs.append((path, expected if expected.is_file() else None))
            used.add(expected)
        elif path.suffix.lower() != ".txt" and path.name not in _METADATA_NAMES and path.suffix != ".cache":
            skipped.append(Skipped(str(path), "not a JPEG or PNG image"))
    labels = visible_files(labels_dir) if split else [path for path in files if path.suffix.lower() == ".txt"]
    for path in labels:
        if path.suffix.lower() == ".txt" and path.name not in _METADATA_NAMES and path not in used:
            skipped.append(Skipped(str(path), "label file without an image of the same name"))
    return pairs, skipped


def _pixels(value: float) -> float:
    rounded = round(value, 2)
    return int(rounded) if rounded.is_integer() else rounded
