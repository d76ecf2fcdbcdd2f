"""Validating manifest lines together with the images they reference."""

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

from customlabels.datasets.manifest import ManifestEntry, missing_image, parse_line, with_image_checks
from customlabels.images import ImageProblem, inspect_image

ReadImage = Callable[[str], bytes]
"""Reads the object a source-ref names; raises an exception whose text says why it could not."""


def validate_lines(lines: Iterable[str], read_image: ReadImage, *, threads: int = 8) -> list[ManifestEntry]:
    """Parses non-blank lines and checks each referenced image (format, size, dimensions, boxes)."""
    entries = [parse_line(line) for line in lines if line.strip()]
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda entry: _check_image(entry, read_image), entries))


def _check_image(entry: ManifestEntry, read_image: ReadImage) -> ManifestEntry:
    if entry.source_ref is None or not entry.source_ref.startswith("s3://"):
        return entry  # the line already carries its source-ref error
    try:
        data = read_image(entry.source_ref)
    except Exception as error:  # whatever the store says: the reason goes into the entry's errors
        return missing_image(entry, str(error))
    try:
        return with_image_checks(entry, inspect_image(data))
    except ImageProblem as problem:
        return with_image_checks(entry, problem)


def last_per_source_ref(entries: Iterable[ManifestEntry]) -> list[ManifestEntry]:
    """Upsert semantics within one batch: a later line for the same image replaces an earlier one."""
    latest: dict[str, ManifestEntry] = {}
    for entry in entries:
        if entry.source_ref is not None:
            latest.pop(entry.source_ref, None)
            latest[entry.source_ref] = entry
    return list(latest.values())
