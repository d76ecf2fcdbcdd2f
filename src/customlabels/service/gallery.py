"""Browsing a dataset's images: entries as views, filtered, in file order, with neighbours and counts.

Entries are ordered and addressed by source-ref, not by row id: saving an entry replaces its row
(upsert), so an id would change under the labeling tool while the source-ref never does.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from customlabels.datasets.manifest import BoundingBox, parse_line
from customlabels.errors import InvalidParameter, ResourceNotFound
from customlabels.service.context import Context
from customlabels.service.datasets import EntryFilter
from customlabels.service.lookup import dataset_by_arn
from customlabels.service.pagination import Page, decode_token, page_of, query_key
from customlabels.store.blobs import (
    BlobAccessDenied,
    BlobNotFound,
    InvalidBlobKey,
    parse_s3_uri,
)
from customlabels.store.tables import DatasetEntry, EntryLabel

MAX_PAGE = 500


@dataclass(frozen=True)
class EntryError:
    code: str
    message: str


@dataclass(frozen=True)
class EntryView:
    source_ref: str
    labels: tuple[str, ...]  # image-level labels
    boxes: tuple[BoundingBox, ...]
    image_size: tuple[int, int] | None
    errors: tuple[EntryError, ...]
    labeled: bool
    has_box_attribute: bool

    @property
    def name(self) -> str:
        return self.source_ref.rsplit("/", 1)[-1]

    @property
    def label_names(self) -> tuple[str, ...]:
        return tuple(sorted({*self.labels, *(box.label for box in self.boxes)}))


def entry_view(line: str) -> EntryView:
    """The stored line as a view; errors are read from the line as stored (image checks included)."""
    entry = parse_line(line)
    return EntryView(
        source_ref=entry.source_ref or "",
        labels=entry.labels,
        boxes=entry.boxes,
        image_size=entry.image_size,
        errors=tuple(_stored_errors(json.loads(line))),
        labeled=entry.labeled,
        has_box_attribute=entry.has_box_attribute,
    )


def browse(
    ctx: Context, *, dataset_arn: str, filters: EntryFilter = EntryFilter(), page_size: int = 100, token: str | None = None
) -> Page[EntryView]:
    if not 1 <= page_size <= MAX_PAGE:
        raise InvalidParameter(f"The page size must be between 1 and {MAX_PAGE}.")
    key = query_key("gallery", dataset_arn, filters.__dict__)
    after = decode_token(token, key)
    with ctx.db.session() as session:
        dataset_id = dataset_by_arn(session, dataset_arn).id
        query = _filtered(session, select(DatasetEntry.source_ref, DatasetEntry.line), dataset_id, filters)
        if after is not None:
            query = query.where(DatasetEntry.source_ref > after)
        rows = session.execute(query.order_by(DatasetEntry.source_ref).limit(page_size + 1)).all()
    page = page_of(rows, page_size, lambda row: row.source_ref, key)
    return Page([entry_view(row.line) for row in page.items], page.next_token)


def count(ctx: Context, *, dataset_arn: str, filters: EntryFilter = EntryFilter()) -> int:
    with ctx.db.session() as session:
        dataset_id = dataset_by_arn(session, dataset_arn).id
        query = _filtered(session, select(func.count()).select_from(DatasetEntry), dataset_id, filters)
        return session.scalar(query) or 0


def get_entry(ctx: Context, *, dataset_arn: str, source_ref: str) -> EntryView:
    with ctx.db.session() as session:
        dataset_id = dataset_by_arn(session, dataset_arn).id
        return entry_view(stored_line(session, dataset_id, source_ref))


def stored_line(session: Session, dataset_id: int, source_ref: str) -> str:
    line = session.scalar(
        select(DatasetEntry.line).where(DatasetEntry.dataset_id == dataset_id, DatasetEntry.source_ref == source_ref)
    )
    if line is None:
        raise ResourceNotFound(f"The dataset has no image {source_ref}.")
    return line


@dataclass(frozen=True)
class Neighbours:
    previous: str | None
    next: str | None
    position: int  # 1-based place of the entry among the filtered ones (0 when it is not among them)
    total: int


def neighbours(ctx: Context, *, dataset_arn: str, source_ref: str, filters: EntryFilter = EntryFilter()) -> Neighbours:
    """The filtered entries just before and after source_ref in file order (it need not match the filter)."""
    with ctx.db.session() as session:
        dataset_id = dataset_by_arn(session, dataset_arn).id
        refs = _filtered(session, select(DatasetEntry.source_ref), dataset_id, filters)
        previous = session.scalar(
            refs.where(DatasetEntry.source_ref < source_ref).order_by(DatasetEntry.source_ref.desc()).limit(1)
        )
        following = session.scalar(refs.where(DatasetEntry.source_ref > source_ref).order_by(DatasetEntry.source_ref).limit(1))
        counting = _filtered(session, select(func.count()).select_from(DatasetEntry), dataset_id, filters)
        total = session.scalar(counting) or 0
        before = session.scalar(counting.where(DatasetEntry.source_ref < source_ref)) or 0
        here = session.scalar(counting.where(DatasetEntry.source_ref == source_ref)) or 0
    return Neighbours(previous, following, before + 1 if here else 0, total)


def source_refs(ctx: Context, *, dataset_arn: str, filters: EntryFilter = EntryFilter(), limit: int = 10_000) -> list[str]:
    """Every source-ref the filter matches (a bulk change over "all matching" images)."""
    with ctx.db.session() as session:
        dataset_id = dataset_by_arn(session, dataset_arn).id
        query = _filtered(session, select(DatasetEntry.source_ref), dataset_id, filters)
        return list(session.scalars(query.order_by(DatasetEntry.source_ref).limit(limit)))


def _filtered(session: Session, query: Select, dataset_id: int, filters: EntryFilter) -> Select:  # type: ignore[type-arg]
    query = query.where(DatasetEntry.dataset_id == dataset_id)
    if filters.contains_labels:
        with_label = select(EntryLabel.entry_id).where(
            EntryLabel.dataset_id == dataset_id, EntryLabel.label.in_(filters.contains_labels)
        )
        query = query.where(DatasetEntry.id.in_(with_label))
    if filters.labeled is not None:
        query = query.where(DatasetEntry.labeled.is_(filters.labeled))
    if filters.has_errors is not None:
        query = query.where(DatasetEntry.has_errors.is_(filters.has_errors))
    if filters.source_ref_contains:
        # File names are searched without regard to case, unlike ListDatasetEntries' SourceRefContains.
        query = query.where(func.lower(DatasetEntry.source_ref).contains(filters.source_ref_contains.lower(), autoescape=True))
    return query


def _stored_errors(value: Any) -> Iterator[EntryError]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "errors" and isinstance(item, list):
                yield from (EntryError(e.get("code", ""), e.get("message", "")) for e in item if isinstance(e, dict))
            else:
                yield from _stored_errors(item)
    elif isinstance(value, list):
        for item in value:
            yield from _stored_errors(item)


def image(ctx: Context, *, dataset_arn: str, source_ref: str) -> tuple[bytes, str]:
    """The bytes and media type of one of the dataset's images."""
    with ctx.db.session() as session:
        stored_line(session, dataset_by_arn(session, dataset_arn).id, source_ref)
    try:
        data = ctx.blobs.get(*parse_s3_uri(source_ref))
    except (ValueError, BlobNotFound, BlobAccessDenied, InvalidBlobKey) as error:
        raise ResourceNotFound(f"The image {source_ref} cannot be read: {error}") from error
    return data, "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
