"""Choosing the importer for what a user pointed at: a labels file, or a folder."""

from pathlib import Path

from customlabels.datasets.importers import detect_format
from customlabels.datasets.importers.coco import plan_coco
from customlabels.datasets.importers.csv_labels import plan_csv
from customlabels.datasets.importers.folders import plan_folders
from customlabels.datasets.importers.groundtruth import plan_groundtruth
from customlabels.datasets.importers.plan import ImportPlan
from customlabels.datasets.importers.voc import plan_voc
from customlabels.datasets.importers.yolo import plan_yolo

FORMATS = ("auto", "folders", "csv", "voc", "groundtruth", "coco", "yolo")
_LABEL_FILES = {"csv": (".csv",), "coco": (".json",), "groundtruth": (".manifest", ".jsonl")}


def plan_path(source: Path, *, format_: str = "auto", images: Path | None = None, bucket: str, prefix: str) -> ImportPlan:
    """Raises ValueError with a message for the user when the format or its files cannot be found."""
    kind = detect_format(source) if format_ == "auto" else format_
    if kind not in FORMATS:
        raise ValueError(f"Unknown format {kind}; expected one of {', '.join(FORMATS)}.")
    if kind == "folders":
        return plan_folders(source, bucket=bucket, prefix=prefix)
    if kind == "voc":
        return plan_voc(source, bucket=bucket, prefix=prefix)
    if kind == "yolo":
        return plan_yolo(source, bucket=bucket, prefix=prefix)
    labels_file = _labels_file(source, kind) if source.is_dir() else source
    images = images or _images_beside(labels_file)
    if kind == "csv":
        return plan_csv(labels_file, images, bucket=bucket, prefix=prefix)
    if kind == "coco":
        return plan_coco(labels_file, images, bucket=bucket, prefix=prefix)
    return plan_groundtruth(labels_file, images)


def _images_beside(labels_file: Path) -> Path:
    folder = labels_file.parent / "images"
    return folder if folder.is_dir() else labels_file.parent


def _labels_file(folder: Path, kind: str) -> Path:
    suffixes = _LABEL_FILES[kind]
    found = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in suffixes)
    if len(found) != 1:
        raise ValueError(f"{folder} should hold exactly one {kind} file ({' or '.join(suffixes)}) at its top; name the file instead.")
    return found[0]
