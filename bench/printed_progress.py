"""Training progress printed on stderr, one line per step or epoch, for the benchmarks."""

from __future__ import annotations

import sys
from collections.abc import Mapping


class PrintedProgress:
    def __init__(self) -> None:
        self.last_step = ""

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
        if metrics or step != self.last_step:
            shown = " ".join(f"{key}={value:.4f}" for key, value in metrics.items())
            eta = f"{eta_s:.0f}s" if eta_s is not None else "?"
            print(f"  {step:9s} epoch {epoch}/{epochs} {fraction:6.1%} eta {eta} {shown}", file=sys.stderr, flush=True)
        self.last_step = step

    def cancelled(self) -> bool:
        return False
