"""The asynchronous halves of model version operations: training (in a child process), copy, delete."""

import logging
import os
import shutil
import subprocess
import sys

from sqlalchemy import select, update

from customlabels.jobs.queue import JobRecord, LeftRunning
from customlabels.service import versions as v
from customlabels.service.context import Context
from customlabels.service.model_files import remove_version
from customlabels.service.training_job import EXIT_CANCELLED, SETTINGS_VARIABLE
from customlabels.store.tables import ProjectVersion

log = logging.getLogger(__name__)


class TrainVersion:
    """Runs the training process and waits for it; one training at a time per server, the others wait their turn."""

    lane = "training"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def run(self, job: JobRecord) -> None:
        env = {**os.environ, SETTINGS_VARIABLE: self.ctx.settings.model_dump_json()}
        command = [sys.executable, "-m", "customlabels.service.training_job", job.resource_arn]
        log_path = self.ctx.settings.work_dir / "logs" / f"training-{job.id}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path, "ab") as output:
            # Its own session: stopping the server (even with Ctrl-C) leaves the training running; it records its own end.
            process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        while (code := _wait(process, 1.0)) is None:
            if self.ctx.jobs.stopping.is_set():
                raise LeftRunning(job.resource_arn)
        if code not in (0, EXIT_CANCELLED):
            raise RuntimeError(f"the training process ended with exit code {code}; its log is {log_path}")

    def fail(self, job: JobRecord, error: str) -> None:
        with self.ctx.db.session() as session:
            status = session.scalar(select(ProjectVersion.status).where(ProjectVersion.arn == job.resource_arn))
            if status == v.TRAINING_IN_PROGRESS:
                session.execute(
                    update(ProjectVersion)
                    .where(ProjectVersion.arn == job.resource_arn)
                    .values(status=v.TRAINING_FAILED, status_message=f"The training stopped unexpectedly: {error}")
                )
        if status == v.DELETING:
            remove_version(self.ctx, job.resource_arn)


def _wait(process: subprocess.Popen[bytes], seconds: float) -> int | None:
    try:
        return process.wait(seconds)
    except subprocess.TimeoutExpired:
        return None


class DeleteVersion:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def run(self, job: JobRecord) -> None:
        remove_version(self.ctx, job.resource_arn)

    def fail(self, job: JobRecord, error: str) -> None:
        log.error("deleting %s failed: %s", job.resource_arn, error)


class CopyVersion:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def run(self, job: JobRecord) -> None:
        with self.ctx.db.session() as session:
            source = v.version_by_arn(session, job.payload["source"])
            target = v.version_by_arn(session, job.resource_arn)
            source_id, target_id = source.id, target.id
            f1, outputs, billable, end = source.f1_score, source.outputs, source.billable_seconds, source.training_end
        destination = self.ctx.bundle_dir(target_id)
        shutil.rmtree(destination, ignore_errors=True)
        shutil.copytree(self.ctx.bundle_dir(source_id), destination)
        with self.ctx.db.session() as session:
            session.execute(
                update(ProjectVersion)
                .where(ProjectVersion.id == target_id, ProjectVersion.status == v.COPYING_IN_PROGRESS)
                .values(
                    status=v.COPYING_COMPLETED,
                    status_message="The model was copied.",
                    f1_score=f1,
                    outputs=outputs,
                    billable_seconds=billable,
                    training_end=end,
                )
            )

    def fail(self, job: JobRecord, error: str) -> None:
        with self.ctx.db.session() as session:
            session.execute(
                update(ProjectVersion)
                .where(ProjectVersion.arn == job.resource_arn)
                .values(status=v.COPYING_FAILED, status_message=f"The copy failed: {error}")
            )
