"""The models started in this server process, keyed by project version ARN."""

from __future__ import annotations

import threading
from pathlib import Path

from customlabels.errors import ResourceInUse
from customlabels.serving.preprocessing import Preprocess
from customlabels.serving.units import InferenceUnits, NotRunning


class RunningModels:
    """Thread-safe; starting and stopping happen outside the lock, so lookups never wait for them."""

    def __init__(self, *, preprocess: Preprocess | None = None) -> None:
        self._preprocess = preprocess
        self._lock = threading.Lock()
        self._running: dict[str, InferenceUnits] = {}
        self._starting: set[str] = set()
        self._cancelled: set[str] = set()
        self._closed = False

    def start(self, arn: str, bundle: Path, units: int) -> InferenceUnits:
        """Loads the bundle on `units` inference units; raises ResourceInUse if the ARN is started or starting."""
        with self._lock:
            if self._closed:
                raise NotRunning("The server is shutting down.")
            if arn in self._running or arn in self._starting:
                raise ResourceInUse(f"{arn} is already started.")
            self._starting.add(arn)
        try:
            started = InferenceUnits(bundle, units=units, preprocess=self._preprocess)
        except BaseException:
            with self._lock:
                self._starting.discard(arn)
                self._cancelled.discard(arn)
            raise
        with self._lock:
            self._starting.discard(arn)
            cancelled = arn in self._cancelled or self._closed
            self._cancelled.discard(arn)
            if not cancelled:
                self._running[arn] = started
                return started
        started.close()
        raise NotRunning(f"{arn} was stopped while it was starting.")

    def stop(self, arn: str) -> bool:
        """Stops the model's units, or makes its start in progress fail; False if it was neither."""
        with self._lock:
            units = self._running.pop(arn, None)
            if units is None:
                if arn not in self._starting:
                    return False
                self._cancelled.add(arn)
                return True
        units.close()
        return True

    def get(self, arn: str) -> InferenceUnits | None:
        with self._lock:
            return self._running.get(arn)

    def arns(self) -> frozenset[str]:
        """The ARNs of the running models; models still starting are not among them."""
        with self._lock:
            return frozenset(self._running)

    def close_all(self) -> None:
        """Stops every model and refuses to start more: the server is shutting down."""
        with self._lock:
            self._closed = True
            running, self._running = list(self._running.values()), {}
            self._cancelled |= self._starting
        for units in running:
            units.close()
