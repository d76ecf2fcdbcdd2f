"""Training progress written where DescribeProjectVersions and the console read it; cancellation read back."""

import json
import time
from collections.abc import Mapping

from sqlalchemy import select, update

from customlabels.service.context import Context
from customlabels.service.versions import DELETING
from customlabels.store.tables import ProjectVersion


class DatabaseProgress:
    """Implements the trainer's Progress: throttled writes, and cancelled() once the version is being deleted."""

    def __init__(self, ctx: Context, arn: str, *, every: float = 2.0, new_epoch_every: float = 0.25) -> None:
        from customlabels.training import TrainingCancelled

        self.cancelled_error = TrainingCancelled
        self._ctx = ctx
        self._arn = arn
        self._every = every
        self._new_epoch_every = new_epoch_every
        self._last_epoch = -1
        self._epoch: dict[str, object] = {}
        self._last_write = 0.0
        self._last_check = 0.0
        self._cancelled = False

    def step(self, message: str) -> None:
        """A step outside the epochs; the last epoch reached stays on show (evaluating after epoch 12 of 12)."""
        self._write({**self._epoch, "step": message}, message, force=True)

    def report(self, *, step: str, epoch: int, epochs: int, fraction: float, eta_s: float | None, metrics: Mapping[str, float]) -> None:
        left = f", about {_duration(eta_s)} left" if eta_s is not None else ""
        message = f"Training: {step}, epoch {epoch} of {epochs}{left}."
        record = {"step": step, "epoch": epoch, "epochs": epochs, "fraction": round(fraction, 4), "eta_s": eta_s, "metrics": dict(metrics)}
        # A new epoch is worth telling soon; within an epoch, every few seconds is enough.
        new_epoch = epoch != self._last_epoch and time.monotonic() - self._last_write >= self._new_epoch_every
        self._last_epoch = epoch
        if epoch:
            self._epoch = {"epoch": epoch, "epochs": epochs, "fraction": round(fraction, 4)}
        self._write(record, message, force=new_epoch)

    def cancelled(self) -> bool:
        now = time.monotonic()
        if not self._cancelled and now - self._last_check >= 1.0:
            self._last_check = now
            with self._ctx.db.session() as session:
                status = session.scalar(select(ProjectVersion.status).where(ProjectVersion.arn == self._arn))
            self._cancelled = status in (None, DELETING)
        return self._cancelled

    def _write(self, record: dict[str, object], message: str, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_write < self._every:
            return
        self._last_write = now
        with self._ctx.db.session() as session:
            session.execute(
                update(ProjectVersion)
                .where(ProjectVersion.arn == self._arn, ProjectVersion.status != DELETING)
                .values(progress=json.dumps(record), status_message=message)
            )


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    return f"{round(seconds / 60)} min"
