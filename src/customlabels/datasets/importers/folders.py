"""Folders named after labels: root/<label>[/<label>...]/<image>."""

import os
from collections.abc import Iterable
from pathlib import Path

from customlabels.datasets.importers.lines import entry_line
from customlabels.datasets.importers.plan import (
    ImportFile,
    ImportPlan,
    Skipped,
    is_hidden,
    is_image,
    relative_key,
    source_ref,
)


def plan_folders(root: Path, *, bucket: str, prefix: str) -> ImportPlan:
    if not root.is_dir():
        raise ValueError(f"{root} is not a folder")
    return folders_plan(visible_files(root), root, bucket=bucket, prefix=prefix)


def folders_plan(files: Iterable[Path], root: Path, *, bucket: str, prefix: str) -> ImportPlan:
    """Each image is labeled with every folder between root and it; images in root are unlabeled."""
    lines, uploads, skipped = [], [], []
    for path in files:
        if not is_image(path):
            skipped.append(Skipped(str(path), f"not a JPEG or PNG image ({path.suffix or 'no extension'})"))
            continue
        key = relative_key(path, root)
        labels = path.relative_to(root).parts[:-1]
        lines.append(entry_line(source_ref(bucket, prefix, key), labels=labels))
        uploads.append(ImportFile(path, key))
    return ImportPlan(tuple(lines), tuple(uploads), tuple(skipped), bucket, prefix)


def visible_files(root: Path) -> list[Path]:
    """Files below root in a stable order, leaving out hidden files and folders."""
    found: list[Path] = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = sorted(name for name in subfolders if not is_hidden(name))
        found.extend(Path(folder, name) for name in sorted(names) if not is_hidden(name))
    return found
