"""The GFL head (Li et al. 2020, as in NanoDet): per level a 3x3 conv, then one 1x1 conv to class logits and
box-side distributions over 0..reg_max strides."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

LEAK = 0.1
# Why this bias: the first steps see a prior of 1% positives, so the focal loss is not swamped by negatives.
PRIOR_PROBABILITY = 0.01


class GflHead(nn.Module):
    def __init__(self, *, levels: int, in_channels: int, channels: int, num_labels: int, reg_max: int) -> None:
        super().__init__()
        self.num_labels = num_labels
        self.reg_max = reg_max
        # Why plain lists beside the ModuleLists: typed access; the modules are the same.
        self.level_convs = [nn.Conv2d(in_channels, channels, 3, padding=1) for _ in range(levels)]
        self.output_convs = [nn.Conv2d(channels, num_labels + 4 * (reg_max + 1), 1) for _ in range(levels)]
        self.convs = nn.ModuleList(self.level_convs)
        self.outputs = nn.ModuleList(self.output_convs)
        for conv in self.level_convs:
            nn.init.normal_(conv.weight, std=0.01)
            nn.init.zeros_(bias(conv))
        for output in self.output_convs:
            nn.init.normal_(output.weight, std=0.01)
            nn.init.zeros_(bias(output))
            with torch.no_grad():
                bias(output)[:num_labels] = -math.log((1 - PRIOR_PROBABILITY) / PRIOR_PROBABILITY)

    def forward(self, features: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """(class logits [N, A, labels], side distributions [N, A, 4, reg_max + 1]), levels concatenated."""
        logits, sides = [], []
        for x, conv, output in zip(features, self.level_convs, self.output_convs, strict=True):
            y = output(F.leaky_relu(conv(x), LEAK)).flatten(2).transpose(1, 2)
            logits.append(y[..., : self.num_labels])
            sides.append(y[..., self.num_labels :].reshape(y.shape[0], y.shape[1], 4, self.reg_max + 1))
        return torch.cat(logits, dim=1), torch.cat(sides, dim=1)


def bias(conv: nn.Conv2d) -> torch.Tensor:
    if conv.bias is None:
        raise ValueError("the head's convolutions have biases")
    return conv.bias


def integral(sides: torch.Tensor) -> torch.Tensor:
    """[..., 4, reg_max + 1] distributions -> [..., 4] expected distances in strides."""
    bins = torch.arange(sides.shape[-1], dtype=sides.dtype, device=sides.device)
    return (F.softmax(sides, dim=-1) * bins).sum(dim=-1)


def centers(shapes: list[tuple[int, int]], strides: tuple[int, ...], device: torch.device) -> torch.Tensor:
    """[A, 3]: x and y of each feature cell's centre in input pixels, and its stride; levels concatenated."""
    rows = []
    for (height, width), stride in zip(shapes, strides, strict=True):
        ys, xs = torch.meshgrid(
            (torch.arange(height, device=device, dtype=torch.float32) + 0.5) * stride,
            (torch.arange(width, device=device, dtype=torch.float32) + 0.5) * stride,
            indexing="ij",
        )
        rows.append(torch.stack((xs.flatten(), ys.flatten(), torch.full_like(xs.flatten(), stride)), dim=1))
    return torch.cat(rows)


def distance_to_box(points: torch.Tensor, distances: torch.Tensor) -> torch.Tensor:
    """Centres [.., 2] and (left, top, right, bottom) distances [.., 4] in pixels -> (x1, y1, x2, y2)."""
    return torch.cat((points - distances[..., :2], points + distances[..., 2:]), dim=-1)


def level_sizes(points: torch.Tensor) -> list[int]:
    """How many cells each level has, from the strides column of centers()."""
    strides = points[:, 2]
    return [int((strides == stride).sum()) for stride in torch.unique_consecutive(strides)]
