"""How a training run tells its caller where it is, and learns that it should stop."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

REPORT_INTERVAL_S = 0.5


class TrainingCancelled(Exception):
    """Raised by train_classifier soon after progress.cancelled() turns True."""


class Progress(Protocol):
    def report(
        self,
        *,
        step: str,
        epoch: int,
        epochs: int,
        fraction: float,
        eta_s: float | None,
        metrics: Mapping[str, float],
    ) -> None: ...

    def cancelled(self) -> bool: ...


class NoProgress:
    """A Progress that records nothing and never cancels."""

    def report(
        self,
        *,
        step: str,
        epoch: int,
        epochs: int,
        fraction: float,
        eta_s: float | None,
        metrics: Mapping[str, float],
    ) -> None:
        pass

    def cancelled(self) -> bool:
        return False


class ProgressTracker:
    """Maps (phase, share of the phase done) to one non-decreasing overall fraction with an ETA, and checks cancel."""

    def __init__(self, progress: Progress, phase_seconds: Mapping[str, float], *, clock: Callable[[], float]) -> None:
        self._progress = progress
        total = sum(phase_seconds.values()) or 1.0
        self._starts: dict[str, float] = {}
        self._weights: dict[str, float] = {}
        position = 0.0
        for phase, seconds in phase_seconds.items():
            self._starts[phase] = position
            self._weights[phase] = seconds / total
            position += seconds / total
        self._clock = clock
        self._began = clock()
        self._fraction = 0.0
        self._last_report = float("-inf")

    def check_cancelled(self) -> None:
        if self._progress.cancelled():
            raise TrainingCancelled()

    def report(
        self,
        phase: str,
        done: float,
        *,
        epoch: int = 0,
        epochs: int = 0,
        metrics: Mapping[str, float] | None = None,
        force: bool = False,
    ) -> None:
        """Checks cancellation every call; reports at most every REPORT_INTERVAL_S unless forced."""
        self.check_cancelled()
        fraction = self._starts[phase] + self._weights[phase] * min(max(done, 0.0), 1.0)
        self._fraction = max(self._fraction, min(fraction, 1.0))
        now = self._clock()
        if not force and now - self._last_report < REPORT_INTERVAL_S:
            return
        self._last_report = now
        elapsed = now - self._began
        eta = elapsed * (1.0 - self._fraction) / self._fraction if self._fraction > 0.01 else None
        self._progress.report(
            step=phase,
            epoch=epoch,
            epochs=epochs,
            fraction=self._fraction,
            eta_s=eta,
            metrics=dict(metrics or {}),
        )
