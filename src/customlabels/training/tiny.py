"""A tiny randomly initialised CNN with the backbone interface, for fast tests."""

from __future__ import annotations

import torch
from torch import nn

_CHANNELS = (3, 8, 16, 32)
FEATURE_DIM = 32


def _unit(in_channels: int, out_channels: int, *, kernel: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel, stride=stride, padding=kernel // 2, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class TinyCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        units = [_unit(a, b, kernel=3, stride=2) for a, b in zip(_CHANNELS, _CHANNELS[1:])]
        units.append(_unit(_CHANNELS[-1], FEATURE_DIM, kernel=1, stride=1))
        self.layers = nn.Sequential(*units)
        self.stage_starts = tuple(range(len(units)))
        self.feature_dim = FEATURE_DIM

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x).mean(dim=(2, 3))


def create_tiny_cnn(*, seed: int = 0) -> TinyCNN:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return TinyCNN()
