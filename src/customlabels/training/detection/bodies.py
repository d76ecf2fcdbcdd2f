"""Feature bodies (strides 8, 16, 32) other than NanoDet-g: an EfficientNet-Lite with a PAN, and a tiny CNN."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import cast

import torch
from torch import nn

from customlabels.training.backbones import create_backbone
from customlabels.training.detection.nanodet import Pan

STRIDES = (8, 16, 32)


class LitePanBody(nn.Module):
    """EfficientNet-Lite up to its last block, features after stages 3, 5 and 7, summed in a PAN."""

    strides: tuple[int, ...] = STRIDES
    freeze_batchnorm = True

    def __init__(self, backbone_name: str, *, image_size: int, channels: int, weights: str | Path | None, pretrained: bool) -> None:
        super().__init__()
        backbone = create_backbone(backbone_name, image_size=image_size, weights=weights, pretrained=pretrained)
        starts = cast(tuple[int, ...], backbone.stage_starts)  # stem, stages 1..7, head conv
        layers = list(cast(nn.Sequential, backbone.layers))
        # Outputs at strides 8, 16 and 32: after stages 3, 5 and 7.
        self.blocks = [nn.Sequential(*layers[a:b]) for a, b in ((0, starts[4]), (starts[4], starts[6]), (starts[6], starts[8]))]
        self.parts = nn.ModuleList(self.blocks)
        in_channels = tuple(_out_channels(part) for part in self.blocks)
        self.neck = Pan(in_channels, channels)
        self.out_channels = channels

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        features = []
        for part in self.blocks:
            x = part(x)
            features.append(x)
        return self.neck(features)

    def stage_modules(self) -> list[nn.Module]:
        return [*(layer for part in self.blocks for layer in part), self.neck]

    def new_modules(self) -> list[nn.Module]:
        return [self.neck]


def _out_channels(part: nn.Sequential) -> int:
    last = [module for module in part.modules() if isinstance(module, nn.BatchNorm2d)][-1]
    return int(last.num_features)


class TinyBody(nn.Module):
    """A small randomly initialised CNN, for tests that must train in seconds."""

    strides: tuple[int, ...] = STRIDES
    freeze_batchnorm = False

    def __init__(self, channels: int = 32) -> None:
        super().__init__()
        widths = (3, 8, 16, 24, 32, 32)
        self.layers = [
            nn.Sequential(nn.Conv2d(a, b, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(b), nn.ReLU(inplace=True))
            for a, b in pairwise(widths)
        ]
        self.units = nn.ModuleList(self.layers)
        self.neck = Pan(widths[3:], channels)
        self.out_channels = channels

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        features = []
        for index, unit in enumerate(self.layers):
            x = unit(x)
            if index >= 2:
                features.append(x)
        return self.neck(features)

    def stage_modules(self) -> list[nn.Module]:
        return [*self.layers, self.neck]

    def new_modules(self) -> list[nn.Module]:
        return [self]
