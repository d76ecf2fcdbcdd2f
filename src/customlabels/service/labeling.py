"""Interactive labeling: one entry saved at once, or image-level labels changed on a selection.

UpdateDatasetEntries is asynchronous (the dataset goes through UPDATE_IN_PROGRESS); the labeling
tool needs each change stored before it answers, under the same rules: the same line format, the
same validation, the same upsert.
"""

import json
from collections.abc import Callable, Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from customlabels.datasets.manifest import (
    ERROR_INVALID_IMAGE,
    MAX_BOXES_PER_IMAGE,
    MAX_LABEL_NAME_LENGTH,
    BoundingBox,
    ManifestEntry,
    entry_line,
    parse_line,
    with_image_checks,
)
from customlabels.datasets.validation import validate_lines
from customlabels.errors import InvalidParameter, ResourceInUse, ResourceNotReady
from customlabels.images import ImageInfo, ImageProblem, inspect_image
from customlabels.service.context import Context
from customlabels.service.datasets import CREATE_FAILED, IN_PROGRESS
from customlabels.service.gallery import EntryView, entry_view, stored_line
from customlabels.service.handlers import upsert_entries
from customlabels.service.lookup import dataset_by_arn
from customlabels.store.blobs import parse_s3_uri
from customlabels.store.tables import Dataset, DatasetEntry

JOB_NAME = "customlabels-console"
CHUNK = 500
# New image-level labels and boxes for an entry, or None to leave it as it is.
Change = Callable[[ManifestEntry], tuple[list[str], list[BoundingBox]] | None]


def save_entry(
    ctx: Context, *, dataset_arn: str, source_ref: str, labels: Sequence[str], boxes: Sequence[BoundingBox]
) -> EntryView:
    """Replaces the image's labels and boxes; boxes are in pixels of the image as displayed (EXIF applied)."""
    labels = checked_labels(labels)
    checked_labels(box.label for box in boxes)
    if len(boxes) > MAX_BOXES_PER_IMAGE:
        raise InvalidParameter(f"An image can have at most {MAX_BOXES_PER_IMAGE} bounding boxes.")
    with ctx.db.session() as session:
        dataset = _editable(session, dataset_arn)
        current = parse_line(stored_line(session, dataset.id, source_ref))
    keep_boxes = keeps_box_attribute(had_it=current.has_box_attribute, labels=labels, boxes=boxes)
    image = _inspected(ctx, source_ref)  # read once: its size for the boxes, its problems carried over
    if keep_boxes and not isinstance(image, ImageInfo):
        raise InvalidParameter(f"Boxes cannot be drawn on this image: {image.message}")
    size = (image.width, image.height) if keep_boxes and isinstance(image, ImageInfo) else None
    line = entry_line(source_ref, labels=labels, boxes=boxes, image_size=size, job_name=JOB_NAME)
    checked = with_image_checks(parse_line(json.dumps(line)), image)
    problems = [e for e in (*checked.errors, *checked.box_errors) if e.code != ERROR_INVALID_IMAGE]
    if problems:
        raise InvalidParameter(" ".join(problem.message for problem in problems))
    with ctx.db.session() as session:
        dataset = _editable(session, dataset_arn)
        upsert_entries(session, dataset.id, [checked])
        dataset.updated_at = ctx.clock()
    return entry_view(checked.to_json())


def change_labels(
    ctx: Context, *, dataset_arn: str, source_refs: Sequence[str], add: Sequence[str] = (), remove: Sequence[str] = ()
) -> int:
    """Adds and removes image-level labels on many images at once; returns how many entries changed."""
    add, remove = checked_labels(add), tuple(remove)
    if not add and not remove:
        raise InvalidParameter("Name at least one label to add or to remove.")

    def relabel(entry: ManifestEntry) -> tuple[list[str], list[BoundingBox]] | None:
        labels = [label for label in entry.labels if label not in remove]
        labels += [label for label in add if label not in labels]
        return (labels, list(entry.boxes)) if set(labels) != set(entry.labels) else None

    return rewrite_entries(ctx, dataset_arn=dataset_arn, source_refs=source_refs, change=relabel)


def rewrite_entries(ctx: Context, *, dataset_arn: str, source_refs: Iterable[str], change: Change) -> int:
    """Applies change (new labels and boxes, or None to leave it) to each entry and stores the results together."""
    wanted = list(dict.fromkeys(source_refs))
    with ctx.db.session() as session:
        dataset = _editable(session, dataset_arn)
        stored = _stored_lines(session, dataset.id, wanted)
    rewritten: list[str] = []
    revalidate: list[str] = []
    for line in stored:
        entry = parse_line(line)
        result = change(entry)
        if result is None or entry.source_ref is None:
            continue
        labels, boxes = result
        size = entry.image_size if keeps_box_attribute(had_it=entry.has_box_attribute, labels=labels, boxes=boxes) else None
        new = json.dumps(entry_line(entry.source_ref, labels=labels, boxes=boxes, image_size=size, job_name=JOB_NAME))
        # Lines already valid stay valid without their image; lines with errors are checked again with it.
        (revalidate if '"errors"' in line else rewritten).append(new)
    entries = [parse_line(line) for line in rewritten] + _validated(revalidate, ctx)
    if not entries:
        return 0
    with ctx.db.session() as session:
        dataset = _editable(session, dataset_arn)
        upsert_entries(session, dataset.id, entries)
        dataset.updated_at = ctx.clock()
    return len(entries)


def keeps_box_attribute(*, had_it: bool, labels: Sequence[str], boxes: Sequence[BoundingBox]) -> bool:
    """An empty box attribute means "looked at: no objects" in a detection dataset; an image with
    image-level labels whose last box was deleted is a classification line again."""
    return bool(boxes) or (had_it and not labels)


def checked_labels(labels: Iterable[str]) -> tuple[str, ...]:
    """Label names as typed, without repeats; refuses blank or over-long names."""
    names = []
    for label in labels:
        if not isinstance(label, str) or not label.strip():
            raise InvalidParameter("A label name must not be empty.")
        if len(label) > MAX_LABEL_NAME_LENGTH:
            raise InvalidParameter(f"A label name must be at most {MAX_LABEL_NAME_LENGTH} characters.")
        names.append(label)
    return tuple(dict.fromkeys(names))


def _editable(session: Session, dataset_arn: str) -> Dataset:
    dataset = dataset_by_arn(session, dataset_arn)
    if dataset.status in IN_PROGRESS:
        raise ResourceInUse(f"The dataset is {dataset.status}; try again when the operation ends.")
    if dataset.status == CREATE_FAILED:
        raise ResourceNotReady("The dataset could not be created; delete it and create it again.")
    return dataset


def _stored_lines(session: Session, dataset_id: int, source_refs: list[str]) -> list[str]:
    lines: list[str] = []
    for start in range(0, len(source_refs), CHUNK):
        chunk = source_refs[start : start + CHUNK]
        lines += session.scalars(
            select(DatasetEntry.line).where(DatasetEntry.dataset_id == dataset_id, DatasetEntry.source_ref.in_(chunk))
        )
    return lines


def _validated(lines: list[str], ctx: Context) -> list[ManifestEntry]:
    if not lines:
        return []

    def read_image(uri: str) -> bytes:
        bucket, key = parse_s3_uri(uri)
        return ctx.blobs.get(bucket, key)

    return validate_lines(lines, read_image, threads=4)


def _inspected(ctx: Context, source_ref: str) -> ImageInfo | ImageProblem:
    try:
        bucket, key = parse_s3_uri(source_ref)
        data = ctx.blobs.get(bucket, key)
    except Exception as error:  # whatever the store says becomes the image's problem, as in validation
        return ImageProblem(f"The image {source_ref} could not be read: {error}")
    try:
        return inspect_image(data)
    except ImageProblem as problem:
        return problem
