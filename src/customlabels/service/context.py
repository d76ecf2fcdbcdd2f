"""Everything a use case needs, built once from the settings."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from customlabels.config import Settings
from customlabels.jobs.queue import JobQueue
from customlabels.store.blobs import BlobStore, LocalBlobStore, S3BlobStore
from customlabels.store.database import Database

if TYPE_CHECKING:
    from customlabels.service.model_runtime import ModelRuntime


@dataclass
class Context:
    settings: Settings
    db: Database
    blobs: BlobStore
    jobs: JobQueue
    clock: Callable[[], float] = field(default=time.time)
    models: "ModelRuntime | None" = None  # the server's running models; None in the CLI

    def bundle_dir(self, version_id: int) -> Path:
        return self.settings.models_dir / str(version_id)

    def close(self) -> None:
        if self.models is not None:
            self.models.close()
        self.jobs.shutdown()
        self.db.close()


def open_context(settings: Settings, *, inline_jobs: bool = False) -> Context:
    """Opens the store (migrating it) and registers the job handlers; inline_jobs runs jobs in the caller."""
    from customlabels.service.handlers import job_handlers

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.metadata_url)
    db.migrate()
    jobs = JobQueue(db, workers=0 if inline_jobs else settings.dataset_workers)
    context = Context(settings=settings, db=db, blobs=blob_store(settings), jobs=jobs)
    jobs.register(job_handlers(context))
    return context


def blob_store(settings: Settings) -> BlobStore:
    if settings.s3_endpoint is None:
        return LocalBlobStore(settings.buckets_dir)
    return S3BlobStore(
        settings.s3_endpoint,
        settings.s3_access_key_id or settings.access_key_id or "",
        settings.s3_secret_access_key or settings.secret_access_key or "",
        region=settings.region,
    )
