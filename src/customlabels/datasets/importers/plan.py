"""What an importer found on disk: manifest lines, files to upload, and what it left out."""

from dataclasses import dataclass
from pathlib import Path, PurePath, PurePosixPath
from typing import Any

from PIL import Image

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png"})


@dataclass(frozen=True)
class ImportFile:
    path: Path
    key: str

    def __post_init__(self) -> None:
        parts = self.key.split("/")
        if not self.key or self.key.startswith("/") or "\\" in self.key or ".." in parts or "" in parts:
            raise ValueError(f"object key must be a relative path with forward slashes and no '..', got {self.key!r}")


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


@dataclass(frozen=True)
class ImportPlan:
    lines: tuple[dict[str, Any], ...]
    files: tuple[ImportFile, ...]
    skipped: tuple[Skipped, ...]
    bucket: str
    prefix: str = ""  # the files' keys are relative to it

    def object_key(self, file: ImportFile) -> str:
        return self.prefix + file.key

    def __post_init__(self) -> None:
        if not self.bucket:
            raise ValueError("an import plan needs a bucket")
        keys = [file.key for file in self.files]
        if len(set(keys)) != len(keys):
            duplicates = sorted({key for key in keys if keys.count(key) > 1})
            raise ValueError(f"object keys must be unique within a plan, repeated: {duplicates[:5]}")


def source_ref(bucket: str, prefix: str, key: str) -> str:
    return f"s3://{bucket}/{prefix}{key}"


def is_image(path: PurePath) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


def is_hidden(name: str) -> bool:
    return name.startswith(".")


def listed_files(directory: Path) -> list[Path]:
    """Files directly in directory, by name, leaving out hidden ones."""
    return sorted(path for path in directory.iterdir() if path.is_file() and not is_hidden(path.name))


def relative_key(path: Path, root: Path) -> str:
    """Object key of a file below root: its relative path with forward slashes."""
    return PurePosixPath(*path.relative_to(root).parts).as_posix()


def safe_relative_key(name: str) -> str | None:
    """The name as an object key, or None when it is absolute or climbs out with '..'."""
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if not parts or parts[0] == "/" or ".." in parts:
        return None
    return "/".join(parts)


def read_image_size(path: Path) -> tuple[int, int]:
    """(width, height) from the image header, without decoding the pixels."""
    with Image.open(path) as image:
        return image.size
