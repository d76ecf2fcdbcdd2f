"""A SageMaker Ground Truth manifest whose images are in a local folder."""

import json
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from customlabels.datasets.importers.plan import ImportFile, ImportPlan, Skipped


@dataclass(frozen=True)
class ManifestLine:
    number: int
    line: dict[str, Any]
    bucket: str
    key: str


@dataclass(frozen=True)
class ManifestLines:
    lines: tuple[ManifestLine, ...]
    problems: tuple[tuple[int, str], ...]


def plan_groundtruth(manifest_path: Path, images_dir: Path) -> ImportPlan:
    found = manifest_lines(manifest_path.read_text(encoding="utf-8-sig"))
    skipped = [Skipped(str(manifest_path), f"line {number}: {problem}") for number, problem in found.problems]
    buckets = sorted({entry.bucket for entry in found.lines})
    if not buckets:
        raise ValueError(f"{manifest_path} has no line with a usable source-ref")
    if len(buckets) > 1:
        raise ValueError(f"all source-refs of {manifest_path} must be in one bucket, found: {', '.join(buckets)}")
    lines, uploads = [], []
    for entry in found.lines:
        path = images_dir / PurePosixPath(entry.key).name
        if not path.is_file():
            skipped.append(Skipped(str(path), f"line {entry.number}: image of {entry.line['source-ref']} not found"))
            continue
        lines.append(entry.line)
        uploads.append(ImportFile(path, entry.key))
    return ImportPlan(tuple(lines), tuple(uploads), tuple(skipped), buckets[0])


def manifest_lines(text: str) -> ManifestLines:
    """Lines with an s3:// source-ref, numbered from 1, and why the others are left out."""
    kept: list[ManifestLine] = []
    problems: list[tuple[int, str]] = []
    first_by_key: dict[str, int] = {}
    first_by_name: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        entry = _manifest_line(number, raw)
        if isinstance(entry, str):
            problems.append((number, entry))
            continue
        name = PurePosixPath(entry.key).name
        if entry.key in first_by_key:
            problems.append((number, f"same image as line {first_by_key[entry.key]}"))
        elif name in first_by_name:
            # The images folder is flat, so one file cannot stand for two objects.
            problems.append((number, f"file name {name} is also used by line {first_by_name[name]}"))
        else:
            first_by_key[entry.key] = first_by_name[name] = number
            kept.append(entry)
    return ManifestLines(tuple(kept), tuple(problems))


def _manifest_line(number: int, raw: str) -> ManifestLine | str:
    try:
        line = json.loads(raw)
    except json.JSONDecodeError as error:
        return f"invalid JSON ({error.msg} at column {error.colno})"
    if not isinstance(line, dict):
        return "not a JSON object"
    ref = line.get("source-ref")
    if not isinstance(ref, str) or not ref.startswith("s3://"):
        return "source-ref must be a string s3://bucket/key"
    bucket, _, key = ref.removeprefix("s3://").partition("/")
    parts = key.split("/")
    if not bucket or not key or "" in parts or ".." in parts or "\\" in key:
        return f"source-ref {ref} does not name an object key that can be stored"
    return ManifestLine(number, line, bucket, key)
