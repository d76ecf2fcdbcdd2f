"""Asynchronous work recorded in the metadata store before it is acknowledged, so a restart resumes it."""

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from customlabels.store.database import Database
from customlabels.store.tables import Job

log = logging.getLogger(__name__)

PENDING, RUNNING, DONE, FAILED = "PENDING", "RUNNING", "DONE", "FAILED"


@dataclass(frozen=True)
class JobRecord:
    id: int
    kind: str
    resource_arn: str
    payload: dict[str, Any]


class LeftRunning(Exception):
    """Raised by a handler whose work goes on in another process after this one stops: the job stays RUNNING."""


class Handler(Protocol):
    """A kind of job; an optional `lane = "training"` runs it apart from quick dataset jobs."""

    def run(self, job: JobRecord) -> None: ...

    def fail(self, job: JobRecord, error: str) -> None:
        """Leaves the resource in a terminal failed state after run() raised."""


class JobQueue:
    """Runs recorded jobs on worker threads, or inline in the caller (the CLI) when workers == 0."""

    def __init__(self, db: Database, *, workers: int) -> None:
        self._db = db
        self._handlers: dict[str, Handler] = {}
        self._owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.stopping = threading.Event()
        self._pools = (
            {"default": ThreadPoolExecutor(workers, thread_name_prefix="job"), "training": ThreadPoolExecutor(1, thread_name_prefix="training")}
            if workers
            else {}
        )

    def register(self, handlers: Mapping[str, Handler]) -> None:
        self._handlers.update(handlers)

    def enqueue(self, session: Session, *, kind: str, resource_arn: str, payload: dict[str, Any]) -> Job:
        """Adds the job in the caller's transaction; call start() once that transaction committed."""
        now = time.time()
        job = Job(kind=kind, resource_arn=resource_arn, payload=json.dumps(payload), state=PENDING, created_at=now, updated_at=now)
        session.add(job)
        session.flush()
        return job

    def start(self, job: Job) -> None:
        """Runs a committed job: on a worker thread of its handler's lane, or now, inline."""
        if not self._pools:
            self._run(job.id)
            return
        lane = getattr(self._handlers[job.kind], "lane", "default")
        self._pools[lane].submit(self._run, job.id)

    def resume(self) -> int:
        """Re-queues jobs left pending or orphaned by a process that died; returns how many."""
        with self._db.session() as session:
            running = session.scalars(select(Job).where(Job.state == RUNNING)).all()
            for job in running:
                if not _owner_alive(job.owner):
                    job.state, job.owner, job.updated_at = PENDING, None, time.time()
            pending = session.scalars(select(Job).where(Job.state == PENDING).order_by(Job.id)).all()
        for job in pending:
            self.start(job)
        return len(pending)

    def shutdown(self) -> None:
        self.stopping.set()
        for pool in self._pools.values():
            pool.shutdown(wait=True, cancel_futures=True)

    def _run(self, job_id: int) -> None:
        record = self._claim(job_id)
        if record is None:
            return
        handler = self._handlers[record.kind]
        try:
            handler.run(record)
        except LeftRunning:
            return
        except Exception as error:  # any failure must leave the resource in a terminal state
            log.exception("job %s (%s) failed", record.id, record.kind)
            handler.fail(record, f"{type(error).__name__}: {error}")
            self._finish(job_id, FAILED, str(error))
        else:
            self._finish(job_id, DONE, None)

    def _claim(self, job_id: int) -> JobRecord | None:
        with self._db.session() as session:
            claimed = session.execute(  # type: ignore[attr-defined]
                update(Job)
                .where(Job.id == job_id, Job.state == PENDING)
                .values(state=RUNNING, owner=self._owner, updated_at=time.time())
            ).rowcount
            if not claimed:
                return None
            job = session.get_one(Job, job_id)
            return JobRecord(id=job.id, kind=job.kind, resource_arn=job.resource_arn, payload=json.loads(job.payload))

    def _finish(self, job_id: int, state: str, error: str | None) -> None:
        with self._db.session() as session:
            job = session.get_one(Job, job_id)
            job.state, job.error, job.updated_at = state, error, time.time()
            if state == DONE:
                job.payload = "{}"  # the payload (up to 5 MiB of manifest lines) is no longer needed


def _owner_alive(owner: str | None) -> bool:
    if not owner:
        return False
    host, pid, _ = owner.split(":", 2)
    if host != socket.gethostname():
        return True  # another machine's worker: not ours to judge
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return int(pid) != os.getpid()
