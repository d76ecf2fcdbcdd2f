"""Choosing the importer for what the user pointed at."""

from pathlib import Path

from customlabels.datasets import importers
from customlabels.datasets.importers.plan import ImportPlan


def build_plan(source: Path, *, format_: str, images: Path | None, bucket: str, prefix: str) -> ImportPlan:
    kind = importers.detect_format(source) if format_ == "auto" else format_
    if kind == "folders":
        return importers.plan_folders(source, bucket=bucket, prefix=prefix)
    if kind == "voc":
        return importers.plan_voc(source, bucket=bucket, prefix=prefix)
    if kind == "yolo":
        return importers.plan_yolo(source, bucket=bucket, prefix=prefix)
    if source.is_dir():  # a folder holding the labels file and its images
        source = _labels_file(source, kind)
    images = images or source.parent / "images"
    if not images.is_dir():
        raise ValueError(f"Give --images, the folder of the images that {source.name} names.")
    if kind == "csv":
        return importers.plan_csv(source, images, bucket=bucket, prefix=prefix)
    if kind == "coco":
        return importers.plan_coco(source, images, bucket=bucket, prefix=prefix)
    if kind == "groundtruth":
        return importers.plan_groundtruth(source, images)
    raise ValueError(f"Unknown format {kind}.")


_SUFFIXES = {"csv": (".csv",), "coco": (".json",), "groundtruth": (".manifest", ".jsonl")}


def _labels_file(folder: Path, kind: str) -> Path:
    found = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in _SUFFIXES.get(kind, ()))
    if len(found) != 1:
        raise ValueError(f"{folder} should hold exactly one {kind} file ({' or '.join(_SUFFIXES.get(kind, ()))}); name the file instead.")
    return found[0]
