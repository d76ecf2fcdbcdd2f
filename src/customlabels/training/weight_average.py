"""An exponential moving average of the trained weights, evaluated and exported instead of the last step's."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import torch
from torch import nn


class WeightAverage:
    """An average over about `epochs` last epochs of `steps_per_epoch` updates each; with epochs 0 it is off and
    the trained weights stand."""

    def __init__(self, parameters: Sequence[nn.Parameter], *, epochs: float, steps_per_epoch: int) -> None:
        self._parameters = list(parameters) if epochs > 0 else []
        self._decay = 1.0 - 1.0 / max(1.0, epochs * steps_per_epoch)
        self._updates = 0
        self._average = [parameter.detach().clone() for parameter in self._parameters]

    def update(self) -> None:
        self._updates += 1
        # Why the warm-up: early on, the average would otherwise be dominated by the untrained start.
        decay = min(self._decay, (1 + self._updates) / (10 + self._updates))
        with torch.no_grad():
            for average, parameter in zip(self._average, self._parameters):
                average.lerp_(parameter.detach(), 1.0 - decay)

    def keep(self) -> None:
        """Puts the averaged weights in place of the trained ones for good."""
        with torch.no_grad():
            for parameter, average in zip(self._parameters, self._average):
                parameter.copy_(average)

    @contextmanager
    def applied(self) -> Iterator[None]:
        """The averaged weights in place of the trained ones for the duration of the block."""
        with torch.no_grad():
            saved = [parameter.detach().clone() for parameter in self._parameters]
        self.keep()
        try:
            yield
        finally:
            with torch.no_grad():
                for parameter, value in zip(self._parameters, saved):
                    parameter.copy_(value)
