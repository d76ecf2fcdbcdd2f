"""EfficientNet-Lite (Tan & Le, TF-Lite variant) as a plain sequence of layers, loading the reference PyTorch weights."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

STEM_CHANNELS = 32
HEAD_CHANNELS = 1280
# Why: the TF-Lite BatchNorm settings (momentum 0.99 in TF's convention, eps 1e-3); PyTorch defaults differ.
BN_MOMENTUM = 0.01
BN_EPS = 1e-3


@dataclass(frozen=True)
class StageArgs:
    repeats: int
    kernel: int
    stride: int
    expand: int
    in_channels: int
    out_channels: int


@dataclass(frozen=True)
class LiteVariant:
    width: float
    depth: float
    native_size: int


# From efficientnet/lite/efficientnet_lite_builder.py.
BASE_STAGES: tuple[StageArgs, ...] = (
    StageArgs(1, 3, 1, 1, 32, 16),
    StageArgs(2, 3, 2, 6, 16, 24),
    StageArgs(2, 5, 2, 6, 24, 40),
    StageArgs(3, 3, 2, 6, 40, 80),
    StageArgs(3, 5, 1, 6, 80, 112),
    StageArgs(4, 5, 2, 6, 112, 192),
    StageArgs(1, 3, 1, 6, 192, 320),
)

VARIANTS: dict[str, LiteVariant] = {
    "efficientnet-lite0": LiteVariant(1.0, 1.0, 224),
    "efficientnet-lite1": LiteVariant(1.0, 1.1, 240),
    "efficientnet-lite2": LiteVariant(1.1, 1.2, 260),
}


def _round_filters(filters: int, width: float, divisor: int = 8) -> int:
    scaled = filters * width
    rounded = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * scaled:
        rounded += divisor
    return int(rounded)


def _same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow 'SAME' padding (before, after) for one spatial side."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class SameConv2d(nn.Conv2d):
    """Convolution with TF 'SAME' padding fixed for the input size given at construction."""

    def __init__(
        self, in_channels: int, out_channels: int, kernel: int, *, stride: int = 1, groups: int = 1, size: int
    ) -> None:
        super().__init__(in_channels, out_channels, kernel, stride=stride, groups=groups, bias=False)
        before, after = _same_padding(size, kernel, stride)
        self.pad = (before, after, before, after)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if any(self.pad):
            x = F.pad(x, self.pad)
        return super().forward(x)


class ConvBnAct(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, kernel: int, *, stride: int, size: int) -> None:
        super().__init__()
        self.conv = SameConv2d(in_channels, out_channels, kernel, stride=stride, size=size)
        self.bn = nn.BatchNorm2d(out_channels, momentum=BN_MOMENTUM, eps=BN_EPS)
        self.act = nn.ReLU6(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.conv(x)))


class MBConv(nn.Module):
    """Inverted residual block without squeeze-excitation (Lite drops SE and uses ReLU6)."""

    def __init__(
        self, in_channels: int, out_channels: int, *, kernel: int, stride: int, expand: int, size: int
    ) -> None:
        super().__init__()
        hidden = in_channels * expand
        self.expand_conv = SameConv2d(in_channels, hidden, 1, size=size) if expand != 1 else None
        self.bn0 = nn.BatchNorm2d(hidden, momentum=BN_MOMENTUM, eps=BN_EPS) if expand != 1 else None
        self.depthwise_conv = SameConv2d(hidden, hidden, kernel, stride=stride, groups=hidden, size=size)
        self.bn1 = nn.BatchNorm2d(hidden, momentum=BN_MOMENTUM, eps=BN_EPS)
        self.project_conv = SameConv2d(hidden, out_channels, 1, size=math.ceil(size / stride))
        self.bn2 = nn.BatchNorm2d(out_channels, momentum=BN_MOMENTUM, eps=BN_EPS)
        self.act = nn.ReLU6(inplace=True)
        self.residual = stride == 1 and in_channels == out_channels
        self.drop_path = 0.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x
        if self.expand_conv is not None and self.bn0 is not None:
            y = self.act(self.bn0(self.expand_conv(y)))
        y = self.act(self.bn1(self.depthwise_conv(y)))
        y = self.bn2(self.project_conv(y))
        if not self.residual:
            return y
        if self.training and self.drop_path > 0.0:
            keep = 1.0 - self.drop_path
            mask = torch.rand((y.shape[0], 1, 1, 1), dtype=y.dtype, device=y.device) < keep
            y = y * mask / keep
        return x + y


class EfficientNetLite(nn.Module):
    """layers = [stem, blocks..., head conv] (stage_starts: where stem, each stage and head begin); forward pools."""

    def __init__(self, variant: LiteVariant, *, image_size: int) -> None:
        super().__init__()
        size = image_size
        layers: list[nn.Module] = [ConvBnAct(3, STEM_CHANNELS, 3, stride=2, size=size)]
        stage_starts = [0]
        size = math.ceil(size / 2)
        for index, stage in enumerate(BASE_STAGES):
            stage_starts.append(len(layers))
            # Lite keeps the first and last stage (and the stem and head) unscaled.
            fixed = index in (0, len(BASE_STAGES) - 1)
            in_channels = STEM_CHANNELS if index == 0 else _round_filters(stage.in_channels, variant.width)
            out_channels = _round_filters(stage.out_channels, variant.width)
            repeats = stage.repeats if fixed else math.ceil(variant.depth * stage.repeats)
            for repeat in range(repeats):
                stride = stage.stride if repeat == 0 else 1
                layers.append(
                    MBConv(
                        in_channels if repeat == 0 else out_channels,
                        out_channels,
                        kernel=stage.kernel,
                        stride=stride,
                        expand=stage.expand,
                        size=size,
                    )
                )
                size = math.ceil(size / stride)
        stage_starts.append(len(layers))
        layers.append(ConvBnAct(out_channels, HEAD_CHANNELS, 1, stride=1, size=size))
        self.layers = nn.Sequential(*layers)
        self.stage_starts = tuple(stage_starts)
        self.imagenet_fc = nn.Linear(HEAD_CHANNELS, 1000)
        self.feature_dim = HEAD_CHANNELS

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x).mean(dim=(2, 3))

    def imagenet_logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.imagenet_fc(self.forward(x))


_BLOCK_PARTS = {
    "_expand_conv": "expand_conv",
    "_bn0": "bn0",
    "_depthwise_conv": "depthwise_conv",
    "_bn1": "bn1",
    "_project_conv": "project_conv",
    "_bn2": "bn2",
}


def convert_reference_keys(state_dict: dict[str, torch.Tensor], num_blocks: int) -> dict[str, torch.Tensor]:
    """Renames lukemelas/efficientnet-lite-pytorch keys (_conv_stem, _blocks.i._bn0, _fc ...) to this module's."""
    head = num_blocks + 1
    renamed: dict[str, torch.Tensor] = {}
    for key, value in state_dict.items():
        block = re.fullmatch(r"_blocks\.(\d+)\.(\w+)\.(\w+)", key)
        if block:
            index, part, leaf = block.groups()
            new_key = f"layers.{int(index) + 1}.{_BLOCK_PARTS.get(part, part)}.{leaf}"
        else:
            top, _, leaf = key.partition(".")
            prefix = {
                "_conv_stem": "layers.0.conv",
                "_bn0": "layers.0.bn",
                "_conv_head": f"layers.{head}.conv",
                "_bn1": f"layers.{head}.bn",
                "_fc": "imagenet_fc",
            }.get(top, top)
            new_key = f"{prefix}.{leaf}"
        renamed[new_key] = value
    return renamed


def read_state_dict(weights: str | Path) -> dict[str, torch.Tensor]:
    """A local file path, or an http(s) URL fetched (and cached) with torch.hub."""
    text = str(weights)
    if text.startswith(("http://", "https://")):
        return torch.hub.load_state_dict_from_url(text, map_location="cpu", progress=False)
    return torch.load(Path(text), map_location="cpu", weights_only=True)


def create_efficientnet_lite(name: str, *, image_size: int, weights: str | Path | None) -> EfficientNetLite:
    model = EfficientNetLite(VARIANTS[name], image_size=image_size)
    if weights is not None:
        num_blocks = len(model.layers) - 2
        model.load_state_dict(convert_reference_keys(read_state_dict(weights), num_blocks), strict=True)
    return model
