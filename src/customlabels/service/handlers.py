"""The asynchronous halves of dataset and project operations, run by the job queue."""

import logging
from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from customlabels.datasets.manifest import MAX_MANIFEST_LINES, ManifestEntry, too_many_invalid
from customlabels.datasets.split import stratified_test_share
from customlabels.datasets.validation import last_per_source_ref, validate_lines
from customlabels.jobs.queue import Handler, JobRecord
from customlabels.service import datasets as ds
from customlabels.service.context import Context
from customlabels.service.lookup import dataset_by_arn
from customlabels.service.projects import remove_project
from customlabels.service.version_jobs import CopyVersion, DeleteVersion, TrainVersion
from customlabels.store.blobs import parse_s3_uri
from customlabels.store.tables import Dataset, DatasetEntry, EntryLabel

log = logging.getLogger(__name__)
TOO_MANY_INVALID = "The manifest file contains too many invalid data lines ({invalid} of {total}); at most 20% may be invalid."


def job_handlers(ctx: Context) -> Mapping[str, Handler]:
    return {
        "dataset.create": CreateDataset(ctx),
        "dataset.update": UpdateEntries(ctx),
        "dataset.distribute": DistributeEntries(ctx),
        "dataset.delete": DeleteDataset(ctx),
        "project.delete": DeleteProject(ctx),
        "version.train": TrainVersion(ctx),
        "version.delete": DeleteVersion(ctx),
        "version.copy": CopyVersion(ctx),
    }


class _DatasetJob:
    failed_status = ds.UPDATE_FAILED

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def fail(self, job: JobRecord, error: str) -> None:
        with self.ctx.db.session() as session:
            for arn in self.arns(job):
                dataset = session.scalar(select(Dataset).where(Dataset.arn == arn))
                if dataset is not None:
                    message = f"The operation failed because of a service error; try again. ({error})"
                    ds.set_status(dataset, self.failed_status, message, "SERVICE_ERROR", self.ctx.clock())

    def arns(self, job: JobRecord) -> list[str]:
        return [job.resource_arn]

    def read_image(self, source_ref: str) -> bytes:
        bucket, key = parse_s3_uri(source_ref)
        return self.ctx.blobs.get(bucket, key)

    def validated(self, lines: list[str], *, allow_empty: bool = False) -> tuple[list[ManifestEntry], str | None]:
        """The entries to store, or a reason to refuse them all."""
        if len(lines) > MAX_MANIFEST_LINES:
            return [], f"The manifest file has {len(lines)} lines; at most {MAX_MANIFEST_LINES} are allowed."
        entries = validate_lines(lines, self.read_image)
        if not entries and not allow_empty:
            return [], "The manifest file is empty."
        if too_many_invalid(entries):
            invalid = sum(entry.has_errors for entry in entries)
            return [], TOO_MANY_INVALID.format(invalid=invalid, total=len(entries))
        return last_per_source_ref(entries), None

    def store(self, job: JobRecord, lines: list[str], *, done_status: str, done_message: str, allow_empty: bool = False) -> None:
        """Validates the lines and stores them all, or none with the reason, ending the operation's state."""
        entries, refusal = self.validated(lines, allow_empty=allow_empty)
        with self.ctx.db.session() as session:
            dataset = session.scalar(select(Dataset).where(Dataset.arn == job.resource_arn))
            if dataset is None:
                return
            if refusal:
                ds.set_status(dataset, self.failed_status, refusal, "CLIENT_ERROR", self.ctx.clock())
                return
            upsert_entries(session, dataset.id, entries)
            ds.set_status(dataset, done_status, done_message, "SUCCESS", self.ctx.clock())


class CreateDataset(_DatasetJob):
    failed_status = ds.CREATE_FAILED

    def run(self, job: JobRecord) -> None:
        if "copy_from" in job.payload:
            lines = self._source_lines(job.payload["copy_from"])
        else:
            bucket, key = parse_s3_uri(job.payload["manifest"])
            lines = self.ctx.blobs.get(bucket, key).decode("utf-8", errors="replace").splitlines()
        message = "The dataset was successfully created from the manifest file."
        self.store(job, lines, done_status=ds.CREATE_COMPLETE, done_message=message, allow_empty="copy_from" in job.payload)

    def _source_lines(self, arn: str) -> list[str]:
        with self.ctx.db.session() as session:
            source = dataset_by_arn(session, arn)
            return list(session.scalars(select(DatasetEntry.line).where(DatasetEntry.dataset_id == source.id).order_by(DatasetEntry.id)))


class UpdateEntries(_DatasetJob):
    def run(self, job: JobRecord) -> None:
        message = "The dataset was successfully updated."
        self.store(job, job.payload["lines"].splitlines(), done_status=ds.UPDATE_COMPLETE, done_message=message)


class DistributeEntries(_DatasetJob):
    def arns(self, job: JobRecord) -> list[str]:
        return [job.payload["train"], job.payload["test"]]

    def run(self, job: JobRecord) -> None:
        with self.ctx.db.session() as session:
            train = dataset_by_arn(session, job.payload["train"])
            test = dataset_by_arn(session, job.payload["test"])
            label_sets = _label_sets(session, train.id)
            moving = [entry_id for entry_id, _ in stratified_test_share(sorted(label_sets.items()), lambda pair: pair[1], seed=train.id)]
            for start in range(0, len(moving), 500):
                chunk = moving[start : start + 500]
                for model in (DatasetEntry, EntryLabel):
                    key = DatasetEntry.id if model is DatasetEntry else EntryLabel.entry_id
                    session.query(model).filter(key.in_(chunk)).update({"dataset_id": test.id}, synchronize_session=False)
            for dataset in (train, test):
                message = "The dataset was successfully updated."
                ds.set_status(dataset, ds.UPDATE_COMPLETE, message, "SUCCESS", self.ctx.clock())


class DeleteDataset(_DatasetJob):
    def run(self, job: JobRecord) -> None:
        with self.ctx.db.session() as session:
            dataset = session.scalar(select(Dataset).where(Dataset.arn == job.resource_arn))
            if dataset is not None:
                ds.remove_dataset_rows(session, dataset)


class DeleteProject:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def run(self, job: JobRecord) -> None:
        remove_project(self.ctx, arn=job.resource_arn)

    def fail(self, job: JobRecord, error: str) -> None:
        log.error("deleting project %s failed: %s", job.resource_arn, error)


def upsert_entries(session: Session, dataset_id: int, entries: Iterable[ManifestEntry]) -> None:
    """Stores entries, replacing any with the same source-ref, with their labels for filtering and stats."""
    entries = list(entries)
    rows = session.execute(select(DatasetEntry.source_ref, DatasetEntry.id).where(DatasetEntry.dataset_id == dataset_id))
    existing = {source_ref: entry_id for source_ref, entry_id in rows}
    replaced = [existing[e.source_ref] for e in entries if e.source_ref in existing]
    for start in range(0, len(replaced), 500):
        chunk = replaced[start : start + 500]
        session.query(EntryLabel).filter(EntryLabel.entry_id.in_(chunk)).delete(synchronize_session=False)
        session.query(DatasetEntry).filter(DatasetEntry.id.in_(chunk)).delete(synchronize_session=False)
    for entry in entries:
        row = DatasetEntry(
            dataset_id=dataset_id,
            source_ref=entry.source_ref,
            line=entry.to_json(),
            labeled=entry.labeled,
            has_errors=entry.has_errors or bool(entry.box_errors),
        )
        session.add(row)
        session.flush()
        for label in entry.label_names:
            boxes = sum(1 for box in entry.boxes if box.label == label)
            session.add(EntryLabel(entry_id=row.id, label=label, dataset_id=dataset_id, box_count=boxes))


def _label_sets(session: Session, dataset_id: int) -> dict[int, str]:
    entry_ids = session.scalars(select(DatasetEntry.id).where(DatasetEntry.dataset_id == dataset_id))
    sets: dict[int, list[str]] = {entry_id: [] for entry_id in entry_ids}
    for entry_id, label in session.execute(select(EntryLabel.entry_id, EntryLabel.label).where(EntryLabel.dataset_id == dataset_id)):
        sets[entry_id].append(label)
    return {entry_id: "\x1f".join(sorted(labels)) for entry_id, labels in sets.items()}
