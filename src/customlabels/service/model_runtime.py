"""Makes the models that should run in this server run: the desired state is in the database.

StartProjectVersion and StopProjectVersion only record STARTING / STOPPING (from the API or the CLI);
this loop loads or unloads inference units and records RUNNING / STOPPED / FAILED. After a restart it
starts again every model that was RUNNING.
"""

import logging
import threading

from sqlalchemy import select

from customlabels.service.context import Context
from customlabels.service.versions import DELETING, FAILED, RUNNING, SERVING, STARTING, STOPPED, STOPPING
from customlabels.serving.registry import RunningModels
from customlabels.serving.units import InferenceUnits
from customlabels.store.tables import ProjectVersion

log = logging.getLogger(__name__)


class ModelRuntime:
    def __init__(self, ctx: Context, *, interval: float = 1.0) -> None:
        self._ctx = ctx
        self._models = RunningModels()
        self._interval = interval
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="model-runtime", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def kick(self) -> None:
        self._wake.set()

    def units(self, arn: str) -> InferenceUnits | None:
        return self._models.get(arn)

    def close(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._models.close_all()

    def reconcile(self) -> None:
        with self._ctx.db.session() as session:
            wanted = session.execute(
                select(ProjectVersion.arn, ProjectVersion.id, ProjectVersion.status, ProjectVersion.min_units).where(
                    ProjectVersion.status.in_(SERVING)
                )
            ).all()
        should_run = {arn for arn, _, status, _ in wanted if status in (STARTING, RUNNING)}
        for arn in self._models.arns() - should_run:
            self._models.stop(arn)
        for arn, version_id, status, units in wanted:
            if status == STOPPING:
                self._set(arn, STOPPED, "The model is stopped.")
            elif self._models.get(arn) is None:
                self._load(arn, version_id, units or 1)

    def _load(self, arn: str, version_id: int, units: int) -> None:
        try:
            self._models.start(arn, self._ctx.bundle_dir(version_id), units)
        except Exception as error:  # a model that cannot load must say why, not stay STARTING
            log.exception("starting %s failed", arn)
            self._set(arn, FAILED, f"The model could not be started: {error}")
            return
        self._set(arn, RUNNING, "The model is running.")

    def _set(self, arn: str, status: str, message: str) -> None:
        with self._ctx.db.session() as session:
            version = session.scalar(select(ProjectVersion).where(ProjectVersion.arn == arn))
            if version is not None and version.status != DELETING:
                version.status, version.status_message = status, message

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self.reconcile()
            except Exception:  # keep serving; the next round retries
                log.exception("reconciling running models failed")
            self._wake.wait(self._interval)
            self._wake.clear()
