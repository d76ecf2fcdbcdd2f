"""Datasets: create (empty, from a manifest, as a copy), describe, list entries and labels, update, distribute, delete."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import case, delete, distinct, func, select
from sqlalchemy.orm import Session

from customlabels import arns
from customlabels.errors import (
    InvalidParameter,
    InvalidS3Object,
    LimitExceeded,
    ResourceAlreadyExists,
    ResourceInUse,
    ResourceNotReady,
)
from customlabels.service import tags as tag_rules
from customlabels.service.context import Context
from customlabels.service.lookup import dataset_by_arn, project_by_arn
from customlabels.service.pagination import Page, decode_token, page_of, query_key
from customlabels.service.projects import DELETING, dataset_metadata
from customlabels.service.views import DatasetDescription, DatasetStats, LabelStats
from customlabels.store.blobs import BlobAccessDenied, BlobNotFound, InvalidBlobKey, parse_s3_uri
from customlabels.store.tables import Dataset, DatasetEntry, EntryLabel, Project

DATASET_TYPES = ("TRAIN", "TEST")
CREATE_IN_PROGRESS, CREATE_COMPLETE, CREATE_FAILED = "CREATE_IN_PROGRESS", "CREATE_COMPLETE", "CREATE_FAILED"
UPDATE_IN_PROGRESS, UPDATE_COMPLETE, UPDATE_FAILED = "UPDATE_IN_PROGRESS", "UPDATE_COMPLETE", "UPDATE_FAILED"
DELETE_IN_PROGRESS = "DELETE_IN_PROGRESS"
IN_PROGRESS = (CREATE_IN_PROGRESS, UPDATE_IN_PROGRESS, DELETE_IN_PROGRESS)
MAX_CHANGES_BYTES = 5 * 1024 * 1024
MAX_MANIFEST_BYTES = 1024**3


@dataclass(frozen=True)
class EntryFilter:
    contains_labels: tuple[str, ...] = ()
    labeled: bool | None = None
    source_ref_contains: str | None = None
    has_errors: bool | None = None


def create_dataset(
    ctx: Context,
    *,
    project_arn: str,
    dataset_type: str,
    manifest_uri: str | None = None,
    source_dataset_arn: str | None = None,
    tags: Mapping[str, str] | None = None,
) -> str:
    if dataset_type not in DATASET_TYPES:
        raise InvalidParameter("DatasetType must be TRAIN or TEST.")
    if manifest_uri is not None and source_dataset_arn is not None:
        raise InvalidParameter("Give DatasetSource.GroundTruthManifest or DatasetSource.DatasetArn, not both.")
    tag_rules.check_tags(tags or {})
    if manifest_uri is not None:
        _check_manifest_object(ctx, manifest_uri)
    now = ctx.clock()
    with ctx.db.session() as session:
        project = _usable_project(session, project_arn)
        if session.scalar(select(Dataset.id).where(Dataset.project_id == project.id, Dataset.dataset_type == dataset_type)):
            raise ResourceAlreadyExists(f"The project already has a {dataset_type} dataset.")
        if source_dataset_arn is not None:
            source = dataset_by_arn(session, source_dataset_arn)
            if source.status in (CREATE_IN_PROGRESS, CREATE_FAILED, DELETE_IN_PROGRESS):
                raise ResourceNotReady(f"The dataset {source_dataset_arn} is {source.status}; it cannot be copied now.")
        arn = arns.dataset_arn(project_arn=project.arn, dataset_type=dataset_type, stamp=int(now * 1000))
        empty = manifest_uri is None and source_dataset_arn is None
        dataset = Dataset(
            arn=arn,
            project_id=project.id,
            dataset_type=dataset_type,
            status=CREATE_COMPLETE if empty else CREATE_IN_PROGRESS,
            status_message="The dataset was successfully created." if empty else "The dataset is being created.",
            status_message_code="SUCCESS" if empty else None,
            created_at=now,
            updated_at=now,
        )
        session.add(dataset)
        tag_rules.replace_tags(session, arn, tags or {})
        job = None
        if not empty:
            payload = {"manifest": manifest_uri} if manifest_uri else {"copy_from": source_dataset_arn or ""}
            job = ctx.jobs.enqueue(session, kind="dataset.create", resource_arn=arn, payload=payload)
    if job is not None:
        ctx.jobs.start(job)
    return arn


def describe_dataset(ctx: Context, *, arn: str) -> DatasetDescription:
    with ctx.db.session() as session:
        dataset = dataset_by_arn(session, arn)
        project_arn = session.scalar(select(Project.arn).where(Project.id == dataset.project_id))
        return DatasetDescription(
            metadata=dataset_metadata(dataset),
            project_arn=project_arn or "",
            updated_at=dataset.updated_at,
            stats=dataset_stats(session, dataset.id),
        )


def dataset_stats(session: Session, dataset_id: int) -> DatasetStats:
    entries = select(DatasetEntry).where(DatasetEntry.dataset_id == dataset_id).subquery()
    row = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((entries.c.labeled, 1), else_=0)), 0),
            func.coalesce(func.sum(case((entries.c.has_errors, 1), else_=0)), 0),
        ).select_from(entries)
    ).one()
    total, labeled, errors = (int(value) for value in row)
    labels = session.scalar(select(func.count(distinct(EntryLabel.label))).where(EntryLabel.dataset_id == dataset_id))
    return DatasetStats(labeled_entries=labeled, total_entries=total, total_labels=labels or 0, error_entries=errors)


def list_entries(
    ctx: Context,
    *,
    arn: str,
    filters: EntryFilter = EntryFilter(),
    max_results: int = 100,
    next_token: str | None = None,
) -> Page[str]:
    if len(filters.contains_labels) > 10:
        raise InvalidParameter("ContainsLabels takes at most 10 labels.")
    key = query_key("entries", arn, filters.__dict__)
    after = decode_token(next_token, key)
    with ctx.db.session() as session:
        dataset = _listable(session, arn)
        query = select(DatasetEntry.id, DatasetEntry.line).where(DatasetEntry.dataset_id == dataset.id)
        if filters.contains_labels:
            with_label = select(EntryLabel.entry_id).where(
                EntryLabel.dataset_id == dataset.id, EntryLabel.label.in_(filters.contains_labels)
            )
            query = query.where(DatasetEntry.id.in_(with_label))
        if filters.labeled is not None:
            query = query.where(DatasetEntry.labeled.is_(filters.labeled))
        if filters.has_errors is not None:
            query = query.where(DatasetEntry.has_errors.is_(filters.has_errors))
        if filters.source_ref_contains:
            query = query.where(_contains(session, DatasetEntry.source_ref, filters.source_ref_contains))
        if after is not None:
            query = query.where(DatasetEntry.id > after)
        rows = session.execute(query.order_by(DatasetEntry.id).limit(max_results + 1)).all()
    page = page_of(rows, max_results, lambda row: row.id, key)
    return Page([row.line for row in page.items], page.next_token)


def list_labels(ctx: Context, *, arn: str, max_results: int = 100, next_token: str | None = None) -> Page[LabelStats]:
    key = query_key("labels", arn)
    after = decode_token(next_token, key)
    with ctx.db.session() as session:
        dataset = _listable(session, arn)
        query = (
            select(EntryLabel.label, func.count(), func.sum(EntryLabel.box_count))
            .where(EntryLabel.dataset_id == dataset.id)
            .group_by(EntryLabel.label)
            .order_by(EntryLabel.label)
        )
        if after is not None:
            query = query.having(EntryLabel.label > after)
        rows = session.execute(query.limit(max_results + 1)).all()
    page = page_of(rows, max_results, lambda row: row[0], key)
    return Page([LabelStats(name, count, boxes or 0) for name, count, boxes in page.items], page.next_token)


def update_entries(ctx: Context, *, arn: str, changes: bytes, max_bytes: int | None = MAX_CHANGES_BYTES) -> None:
    """Upserts JSON lines by source-ref; max_bytes is the API's limit (imports pass None)."""
    if max_bytes is not None and len(changes) > max_bytes:
        raise LimitExceeded("Changes.GroundTruth must be at most 5 MiB; split the update into several calls.")
    try:
        text = changes.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidParameter("Changes.GroundTruth must be UTF-8 JSON lines.") from error
    if not text.strip():
        raise InvalidParameter("Changes.GroundTruth holds no JSON lines.")
    with ctx.db.session() as session:
        dataset = dataset_by_arn(session, arn)
        _check_idle(dataset)
        if dataset.status == CREATE_FAILED:
            raise ResourceNotReady("The dataset could not be created; delete it and create it again.")
        set_status(dataset, UPDATE_IN_PROGRESS, "The dataset is being updated.", None, ctx.clock())
        job = ctx.jobs.enqueue(session, kind="dataset.update", resource_arn=arn, payload={"lines": text})
    ctx.jobs.start(job)


def distribute_entries(ctx: Context, *, arns_: Sequence[str]) -> None:
    if len(arns_) != 2:
        raise InvalidParameter("Datasets must name exactly two datasets: the TRAIN and the TEST dataset of one project.")
    with ctx.db.session() as session:
        datasets = [dataset_by_arn(session, arn) for arn in arns_]
        by_type = {d.dataset_type: d for d in datasets}
        if set(by_type) != {"TRAIN", "TEST"} or datasets[0].project_id != datasets[1].project_id:
            raise InvalidParameter("Datasets must be the TRAIN and the TEST dataset of the same project.")
        for dataset in datasets:
            if dataset.status in (CREATE_IN_PROGRESS, CREATE_FAILED, UPDATE_IN_PROGRESS, DELETE_IN_PROGRESS):
                raise ResourceNotReady(f"The {dataset.dataset_type} dataset is {dataset.status}.")
        train, test = by_type["TRAIN"], by_type["TEST"]
        if session.scalar(select(func.count()).where(DatasetEntry.dataset_id == test.id)):
            raise InvalidParameter("The TEST dataset must be empty to distribute the TRAIN dataset into it.")
        if not session.scalar(select(func.count()).where(DatasetEntry.dataset_id == train.id)):
            raise InvalidParameter("The TRAIN dataset has no entries to distribute.")
        for dataset in (train, test):
            set_status(dataset, UPDATE_IN_PROGRESS, "The dataset is being updated.", None, ctx.clock())
        job = ctx.jobs.enqueue(
            session, kind="dataset.distribute", resource_arn=train.arn, payload={"train": train.arn, "test": test.arn}
        )
    ctx.jobs.start(job)


def delete_dataset(ctx: Context, *, arn: str) -> None:
    with ctx.db.session() as session:
        dataset = dataset_by_arn(session, arn)
        if dataset.status == DELETE_IN_PROGRESS:
            return
        _check_idle(dataset)
        set_status(dataset, DELETE_IN_PROGRESS, "The dataset is being deleted.", None, ctx.clock())
        job = ctx.jobs.enqueue(session, kind="dataset.delete", resource_arn=arn, payload={})
    ctx.jobs.start(job)


def remove_dataset_rows(session: Session, dataset: Dataset) -> None:
    session.execute(delete(EntryLabel).where(EntryLabel.dataset_id == dataset.id))
    session.execute(delete(DatasetEntry).where(DatasetEntry.dataset_id == dataset.id))
    tag_rules.replace_tags(session, dataset.arn, {})
    session.delete(dataset)


def _contains(session: Session, column, text: str):  # type: ignore[no-untyped-def]
    """A case-sensitive substring test (LIKE folds case in SQLite)."""
    position = func.instr if session.get_bind().dialect.name == "sqlite" else func.strpos
    return position(column, text) > 0


def set_status(dataset: Dataset, status: str, message: str | None, code: str | None, now: float) -> None:
    dataset.status, dataset.status_message, dataset.status_message_code, dataset.updated_at = status, message, code, now


def _check_idle(dataset: Dataset) -> None:
    if dataset.status in IN_PROGRESS:
        raise ResourceInUse(f"The dataset is {dataset.status}; try again when the operation ends.")


def _listable(session: Session, arn: str) -> Dataset:
    dataset = dataset_by_arn(session, arn)
    if dataset.status in (CREATE_IN_PROGRESS, CREATE_FAILED):
        raise ResourceNotReady(f"The dataset is {dataset.status}; its entries cannot be listed.")
    if dataset.status == DELETE_IN_PROGRESS:
        raise ResourceInUse("The dataset is being deleted.")
    return dataset


def _usable_project(session: Session, arn: str) -> Project:
    project = project_by_arn(session, arn)
    if project.status == DELETING:
        raise ResourceInUse("The project is being deleted.")
    if project.feature != "CUSTOM_LABELS":
        raise InvalidParameter("Datasets belong to CUSTOM_LABELS projects only.")
    return project


def _check_manifest_object(ctx: Context, uri: str) -> None:
    try:
        bucket, key = parse_s3_uri(uri)
        size = ctx.blobs.head(bucket, key)
    except (ValueError, InvalidBlobKey) as error:
        raise InvalidS3Object(f"The manifest location {uri} is not a valid S3 object: {error}") from error
    except BlobNotFound as error:
        raise InvalidS3Object(f"The manifest file {uri} does not exist.") from error
    except BlobAccessDenied as error:
        raise InvalidS3Object(f"The manifest file {uri} cannot be read: {error}") from error
    if size > MAX_MANIFEST_BYTES:
        raise InvalidS3Object("The manifest file size exceeds the maximum supported size (1 GB).")
