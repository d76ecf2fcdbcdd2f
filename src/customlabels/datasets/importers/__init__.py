"""Turn labeled images as users keep them on disk into Ground Truth manifest lines."""

from pathlib import Path

from customlabels.datasets.importers.coco import plan_coco
from customlabels.datasets.importers.csv_labels import plan_csv
from customlabels.datasets.importers.folders import plan_folders
from customlabels.datasets.importers.groundtruth import plan_groundtruth
from customlabels.datasets.importers.plan import ImportFile, ImportPlan, Skipped, is_image, listed_files
from customlabels.datasets.importers.voc import plan_voc
from customlabels.datasets.importers.yolo import plan_yolo

__all__ = [
    "ImportFile",
    "ImportPlan",
    "Skipped",
    "detect_format",
    "plan_coco",
    "plan_csv",
    "plan_folders",
    "plan_groundtruth",
    "plan_voc",
    "plan_yolo",
]

_FILE_FORMATS = {".manifest": "groundtruth", ".jsonl": "groundtruth", ".csv": "csv", ".json": "coco"}
_YOLO_MARKERS = ("classes.txt", "data.yaml", "data.yml", "dataset.yaml", "dataset.yml")


def detect_format(path: Path) -> str:
    """Best guess among folders, csv, voc, groundtruth, coco and yolo from the files at the top of path."""
    if path.is_file():
        if path.suffix.lower() in _FILE_FORMATS:
            return _FILE_FORMATS[path.suffix.lower()]
        raise ValueError(f"cannot tell the dataset format of {path}: expected a .manifest, .csv or .json file")
    if not path.is_dir():
        raise ValueError(f"{path} does not exist")
    files = listed_files(path)
    suffixes = {file.suffix.lower() for file in files}
    for suffix in (".manifest", ".json", ".csv"):
        if suffix in suffixes:
            return _FILE_FORMATS[suffix]
    if ".xml" in suffixes or (path / "Annotations").is_dir():
        return "voc"
    image_stems = {file.stem for file in files if is_image(file)}
    if (
        any((path / name).is_file() for name in _YOLO_MARKERS)
        or ((path / "images").is_dir() and (path / "labels").is_dir())
        or any(file.suffix.lower() == ".txt" and file.stem in image_stems for file in files)
    ):
        return "yolo"
    return "folders"
