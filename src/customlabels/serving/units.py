"""Inference units: a fixed number of model workers behind admission control."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from customlabels.errors import ProvisionedThroughputExceeded, ResourceNotReady
from customlabels.images import DETECT_MAX_BYTES, declared_pixels, decode_image
from customlabels.serving.bundle import Bundle, InvalidBundle, load_bundle
from customlabels.serving.prediction import DECODERS, Frame, MalformedOutput, Prediction
from customlabels.serving.preprocessing import (
    Preprocess,
    probe_batch,
    training_preprocess,
)
from customlabels.serving.worker import WorkerCrashed, WorkerError, WorkerProcess

log = logging.getLogger(__name__)

_JOIN_WAIT = 10.0
# Why large images on one thread, shared by every model: decoding a 16-megapixel image briefly takes ~130 MB;
# decoded side by side on the request threads, they took the server's peak from 215 to 420 MB.
_decoder = ThreadPoolExecutor(1, thread_name_prefix="decode")
# Why smaller ones on the request's own thread: handing a 0.25-megapixel photo to the decoding thread and back
# cost 1-2 ms of a ~90 ms detection, and they take little memory even side by side.
INLINE_DECODE_PIXELS = 2_000_000


class Overloaded(ProvisionedThroughputExceeded):
    """Every unit is busy and the short queue is full; the client should retry later."""


class NotRunning(ResourceNotReady):
    pass


class InferenceFailed(Exception):
    """The model could not be run on an accepted image: a server fault, not the client's."""


class Worker(Protocol):
    def run(self, batch: np.ndarray) -> list[np.ndarray]: ...

    def kill(self) -> None:
        """Makes a run() in progress on another thread return or raise promptly."""

    def close(self) -> None: ...


class StartWorker(Protocol):
    def __call__(self, model: Path) -> Worker:
        """A worker with the model loaded, ready to run."""
        ...


@dataclass(frozen=True)
class _Request:
    batch: np.ndarray
    frame: Frame
    floor: float
    result: Future[list[Prediction]]


class InferenceUnits:
    """`units` workers, each running one image at a time; what exceeds their short queues is refused."""

    def __init__(
        self,
        bundle: Path,
        *,
        units: int,
        queue_per_unit: int = 2,
        preprocess: Preprocess | None = None,
        start_worker: StartWorker = WorkerProcess,
    ) -> None:
        if units < 1 or queue_per_unit < 0:
            raise ValueError(f"need units >= 1 and queue_per_unit >= 0, got {units} and {queue_per_unit}")
        self.units = units
        self.capacity = units * (1 + queue_per_unit)
        self._bundle = load_bundle(bundle)
        self._preprocess = preprocess or training_preprocess()
        self._input_spec = self._bundle.spec["input"]
        self._decode = DECODERS[self._bundle.task]
        probe = probe_batch(self._preprocess, self._input_spec)
        self._in_flight = 0
        self._admission = threading.Lock()
        self._requests: queue.SimpleQueue[_Request | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False
        self._units = [_Unit(f"unit-{index}", self._bundle, start_worker) for index in range(units)]
        for unit in self._units:
            unit.thread = threading.Thread(target=self._serve, args=(unit, probe), name=unit.name, daemon=True)
            unit.thread.start()
        try:
            for unit in self._units:
                unit.started.result()
        except BaseException:
            self.close()
            raise

    @property
    def labels(self) -> tuple[str, ...]:
        return self._bundle.labels

    @property
    def thresholds(self) -> Mapping[str, float]:
        """The assumed threshold of each label that has one (from model.json)."""
        return self._bundle.thresholds

    @property
    def in_flight(self) -> int:
        """Requests admitted and not yet finished, at most capacity."""
        return self._in_flight

    def detect(
        self, image: bytes, *, max_bytes: int = DETECT_MAX_BYTES, timeout: float = 30, floor: float = 0.0
    ) -> list[Prediction]:
        """Every label with its confidence (at least floor: the least the caller can use), most confident first.

        Raises Overloaded without waiting when `capacity` requests are in flight, ImageProblem for an image
        the service refuses, TimeoutError, InferenceFailed, or NotRunning once closed.
        """
        if self._closed:
            raise NotRunning("The model is not running.")
        self._admit()
        try:
            if declared_pixels(image) <= INLINE_DECODE_PIXELS:
                batch, frame = self._prepare(image, max_bytes)
            else:
                batch, frame = _decoder.submit(self._prepare, image, max_bytes).result()
            request = _Request(batch, frame, floor, Future())
            with self._lock:
                if self._closed:
                    raise NotRunning("The model is not running.")
                self._requests.put(request)
        except BaseException:
            self._release()
            raise
        try:
            return request.result.result(timeout)
        except TimeoutError:
            request.result.cancel()
            raise TimeoutError(f"No inference unit answered within {timeout:g} s.") from None

    def close(self) -> None:
        """Refuses new requests, fails queued ones, lets running ones finish, and stops the workers."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            while True:
                try:
                    request = self._requests.get_nowait()
                except queue.Empty:
                    break
                if request is not None:
                    self._refuse(request, NotRunning("The model was stopped."))
            for _ in self._units:
                self._requests.put(None)
        for unit in self._units:
            unit.stop()

    def _prepare(self, image: bytes, max_bytes: int) -> tuple[np.ndarray, Frame]:
        decoded = decode_image(image, max_bytes=max_bytes)
        frame = Frame(decoded.width, decoded.height, int(self._input_spec["size"]))
        return self._preprocess([decoded], self._input_spec), frame

    def _admit(self) -> None:
        with self._admission:
            if self._in_flight >= self.capacity:
                raise Overloaded(
                    f"All {self.units} inference units are busy and their queues are full; retry later "
                    "or start the model with more inference units."
                )
            self._in_flight += 1

    def _release(self) -> None:
        with self._admission:
            self._in_flight -= 1

    def _serve(self, unit: _Unit, probe: np.ndarray) -> None:
        try:
            unit.worker = unit.start_worker(self._bundle.model)
            # Why a first run: it fails the start, not every request, when the outputs do not fit model.json,
            # and it warms the session up.
            size = int(self._input_spec["size"])
            self._decode(unit.worker.run(probe), self._bundle.labels, [Frame(size, size, size)])
        except (WorkerError, MalformedOutput) as error:
            unit.started.set_exception(InvalidBundle(f"{self._bundle.model} cannot be served: {error}"))
            unit.close_worker()
            return
        except BaseException as error:
            unit.started.set_exception(error)
            unit.close_worker()
            return
        unit.started.set_result(None)
        while (request := self._requests.get()) is not None:
            if not request.result.set_running_or_notify_cancel():
                self._release()
                continue
            try:
                outputs = unit.run(request.batch)
                predictions = self._decode(outputs, self._bundle.labels, [request.frame], floor=request.floor)
                request.result.set_result(predictions[0])
            except (WorkerCrashed, WorkerError) as error:
                request.result.set_exception(InferenceFailed(str(error)))
            except Exception as error:  # why: whatever went wrong belongs to this request only
                request.result.set_exception(InferenceFailed(f"{type(error).__name__}: {error}"))
            finally:
                self._release()
        unit.close_worker()

    def _refuse(self, request: _Request, error: Exception) -> None:
        if request.result.set_running_or_notify_cancel():
            request.result.set_exception(error)
        self._release()


class _Unit:
    """A dispatcher thread and the worker it owns; the worker is replaced when it crashes."""

    def __init__(self, name: str, bundle: Bundle, start_worker: StartWorker) -> None:
        self.name = name
        self.start_worker = start_worker
        self.started: Future[None] = Future()
        self.worker: Worker | None = None
        self.thread: threading.Thread | None = None
        self._model = bundle.model
        self._stopping = False

    def run(self, batch: np.ndarray) -> list[np.ndarray]:
        if self.worker is None:
            self.worker = self.start_worker(self._model)
        try:
            return self.worker.run(batch)
        except WorkerCrashed:
            if not self._stopping:
                log.warning("%s: the worker crashed; the next request starts another", self.name, exc_info=True)
            self.close_worker()
            raise

    def close_worker(self) -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.close()

    def stop(self) -> None:
        """Waits for the request in progress, then kills the worker if it is stuck."""
        if self.thread is None:
            return
        self.thread.join(_JOIN_WAIT)
        if self.thread.is_alive():
            self._stopping = True
            worker = self.worker
            if worker is not None:
                worker.kill()
            self.thread.join()
