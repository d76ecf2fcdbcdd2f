"""The detector: a body giving features at strides 8, 16, 32, and a GFL head; forward() is what is exported."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import torch
from torch import nn

from customlabels.training.detection.head import (
    GflHead,
    centers,
    distance_to_box,
    integral,
)


class Body(Protocol):
    """An nn.Module: normalised RGB NCHW -> one feature map per stride, out_channels each."""

    strides: tuple[int, ...]
    out_channels: int
    # Whether BatchNorm keeps its running statistics while training (pretrained bodies).
    freeze_batchnorm: bool

    # images -> list of feature maps (an nn.Module's __call__).
    __call__: Callable[..., Any]

    def stage_modules(self) -> list[nn.Module]:
        """From the input on, for freezing the first ones."""
        ...

    def new_modules(self) -> list[nn.Module]:
        """Randomly initialised parts, which learn at the head's rate."""
        ...


class Detector(nn.Module):
    """forward: normalised RGB NCHW -> [N, A, 4 + labels]: x1, y1, x2, y2 in input pixels, then label scores."""

    body: Body

    def __init__(self, body: Body, head: GflHead) -> None:
        super().__init__()
        if not isinstance(body, nn.Module):
            raise TypeError("a detector body must be an nn.Module")
        self.body = body
        self.head = head
        self.strides: tuple[int, ...] = tuple(body.strides)

    def raw(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(class logits [N, A, L], side distributions [N, A, 4, R + 1], cell centres and strides [A, 3])."""
        features: list[torch.Tensor] = self.body(images)
        logits, sides = self.head(features)
        shapes = [(int(f.shape[2]), int(f.shape[3])) for f in features]
        return logits, sides, centers(shapes, self.strides, images.device)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        logits, sides, points = self.raw(images)
        boxes = decode_boxes(sides, points)
        return torch.cat((boxes, torch.sigmoid(logits)), dim=2)


def decode_boxes(sides: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
    """[N, A, 4] boxes (x1, y1, x2, y2) in input pixels from the side distributions."""
    return distance_to_box(points[:, :2], integral(sides) * points[:, 2:3])
