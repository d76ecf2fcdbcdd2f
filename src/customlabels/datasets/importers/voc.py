"""Pascal VOC: an .xml of boxes per image, beside it or in Annotations/ + JPEGImages/."""

import xml.etree.ElementTree as ElementTree
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

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


@dataclass(frozen=True)
class VocAnnotation:
    image_size: tuple[int, int] | None
    boxes: tuple[BoundingBox, ...]


def plan_voc(folder: Path, *, bucket: str, prefix: str) -> ImportPlan:
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder")
    xml_dir = folder / "Annotations" if (folder / "Annotations").is_dir() else folder
    image_dir = folder / "JPEGImages" if (folder / "JPEGImages").is_dir() else folder
    images: dict[str, list[Path]] = defaultdict(list)
    xmls: dict[str, Path] = {}
    skipped: list[Skipped] = []
    for directory in dict.fromkeys((xml_dir, image_dir)):
        for path in listed_files(directory):
            if path.suffix.lower() == ".xml":
                xmls[path.stem] = path
            elif is_image(path):
                images[path.stem].append(path)
            elif directory == folder:
                skipped.append(Skipped(str(path), "neither a JPEG or PNG image nor a VOC .xml"))
    lines, uploads = [], []
    for stem in sorted(images.keys() | xmls.keys()):
        xml_path, matches = xmls.get(stem), images.get(stem, [])
        if xml_path is not None and not matches:
            skipped.append(Skipped(str(xml_path), f"no image named {stem}.jpg, .jpeg or .png in {image_dir}"))
            continue
        if xml_path is not None and len(matches) > 1:
            names = ", ".join(path.name for path in matches)
            skipped.append(Skipped(str(xml_path), f"matches several images ({names}): none imported"))
            continue
        for image in matches:
            key = relative_key(image, folder)
            ref = source_ref(bucket, prefix, key)
            if xml_path is None:
                lines.append(entry_line(ref))
            else:
                try:
                    annotation = voc_annotation(xml_path.read_text(encoding="utf-8"))
                    size = annotation.image_size or read_image_size(image)
                except (ValueError, OSError) as error:
                    skipped.append(Skipped(str(xml_path), f"{error} ({image.name} not imported)"))
                    continue
                lines.append(entry_line(ref, boxes=annotation.boxes, image_size=size))
            uploads.append(ImportFile(image, key))
    return ImportPlan(with_one_class_map(lines), tuple(uploads), tuple(skipped), bucket, prefix)


def voc_annotation(xml_text: str) -> VocAnnotation:
    """Boxes in pixels and the declared image size (None when absent or zero) of one VOC file."""
    try:
        root = ElementTree.fromstring(xml_text)
    except ElementTree.ParseError as error:
        raise ValueError(f"malformed XML: {error}") from None
    if root.tag != "annotation":
        raise ValueError(f"root element is <{root.tag}>, expected <annotation>")
    width, height = (_number(root, f"size/{side}", default=0) for side in ("width", "height"))
    size = (int(width), int(height)) if width > 0 and height > 0 else None
    boxes = tuple(_box(index, element) for index, element in enumerate(root.iterfind("object"), start=1))
    return VocAnnotation(size, boxes)


def _box(index: int, element: ElementTree.Element) -> BoundingBox:
    label = (element.findtext("name") or "").strip()
    if not label:
        raise ValueError(f"object {index} has no <name>")
    if element.find("bndbox") is None:
        raise ValueError(f"object {index} ({label}) has no <bndbox>")
    xmin, ymin, xmax, ymax = (_number(element, f"bndbox/{edge}") for edge in ("xmin", "ymin", "xmax", "ymax"))
    if xmax <= xmin or ymax <= ymin:
        raise ValueError(f"object {index} ({label}) has an empty box: xmax must exceed xmin and ymax ymin")
    return BoundingBox(label, xmin, ymin, _tidy(xmax - xmin), _tidy(ymax - ymin))


def _number(element: ElementTree.Element, path: str, default: float | None = None) -> float:
    text = element.findtext(path)
    if text is None or not text.strip():
        if default is None:
            raise ValueError(f"<{path}> is missing")
        return default
    try:
        return _tidy(float(text))
    except ValueError:
        raise ValueError(f"<{path}> is not a number: {text.strip()!r}") from None


def _tidy(value: float) -> float:
    # Keep whole pixels as ints so the manifest reads like AWS's own.
    return int(value) if float(value).is_integer() else value
