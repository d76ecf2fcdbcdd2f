"""NanoDet-g (RangiLyu/nanodet, COCO): CSP backbone and PAN neck, loaded from the TF.js graph of its npm package."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from customlabels.training.detection.tfjs import read_graph

LEAK = 0.1
# The graph's input: BGR pixels normalised with these (mean, std), per channel, in BGR order.
BGR_MEAN = (103.53, 116.28, 123.675)
BGR_STD = (57.375, 57.12, 58.395)
COCO_CLASSES = 80
REG_MAX = 10
NECK_CHANNELS = 128
# (channels in, residual blocks, stride) of each CSP stage; the stage's output has twice the channels.
CSP_STAGES = ((32, 1, 1), (64, 2, 2), (128, 2, 2), (256, 3, 2))


class ConvAct(nn.Module):
    """Convolution with bias (the BatchNorm is folded in), then LeakyReLU(0.1) unless linear."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int, *, stride: int = 1, act: bool = True) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel, stride=stride, padding=kernel // 2)
        self.act = act

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        return F.leaky_relu(y, LEAK) if self.act else y


class ResBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.in_conv = ConvAct(channels, channels // 2, 3)
        self.mid_conv = ConvAct(channels // 2, channels // 2, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.in_conv(x)
        return torch.cat((self.mid_conv(x), x), dim=1)


class CspStage(nn.Module):
    def __init__(self, channels: int, blocks: int, stride: int) -> None:
        super().__init__()
        self.in_conv = ConvAct(channels, channels, 3, stride=stride)
        # Why a plain list beside the Sequential: typed access for the weight loader; same modules.
        self.residuals = [ResBlock(channels) for _ in range(blocks)]
        self.blocks = nn.Sequential(*self.residuals)
        self.out_conv = ConvAct(channels, channels, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.in_conv(x)
        return torch.cat((self.out_conv(self.blocks(x)), x), dim=1)


class InputAdapter(nn.Module):
    """The project's input, (RGB - 127) / 128, turned into the normalised BGR the pretrained graph expects."""

    scale: torch.Tensor
    shift: torch.Tensor

    def __init__(self) -> None:
        super().__init__()
        mean = torch.tensor(BGR_MEAN[::-1]).view(1, 3, 1, 1)
        std = torch.tensor(BGR_STD[::-1]).view(1, 3, 1, 1)
        # rgb_norm * 128 + 127 = pixel; (pixel - mean) / std, computed in RGB order and then flipped.
        self.register_buffer("scale", 128.0 / std, persistent=False)
        self.register_buffer("shift", (127.0 - mean) / std, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flip(x * self.scale + self.shift, dims=[1])


def resize_like(x: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """Bilinear (half-pixel centres) to the reference's spatial size: x2 up or x0.5 down in the PAN."""
    return F.interpolate(x, size=reference.shape[-2:], mode="bilinear", align_corners=False)


class Pan(nn.Module):
    """NanoDet's convolution-free PAN: 1x1 laterals, then top-down and bottom-up bilinear sums."""

    def __init__(self, in_channels: tuple[int, ...], channels: int) -> None:
        super().__init__()
        self.convs = [ConvAct(c, channels, 1, act=False) for c in in_channels]
        self.laterals = nn.ModuleList(self.convs)

    def forward(self, features: list[torch.Tensor]) -> list[torch.Tensor]:
        levels = [lateral(x) for lateral, x in zip(self.convs, features, strict=True)]
        for index in range(len(levels) - 1, 0, -1):
            levels[index - 1] = levels[index - 1] + resize_like(levels[index], levels[index - 1])
        for index in range(len(levels) - 1):
            levels[index + 1] = levels[index + 1] + resize_like(levels[index], levels[index + 1])
        return levels


class NanoDetBody(nn.Module):
    """Normalised RGB -> PAN features at strides 8, 16, 32 (128 channels each)."""

    out_channels = NECK_CHANNELS
    strides: tuple[int, ...] = (8, 16, 32)
    freeze_batchnorm = False  # folded into the convolutions

    def __init__(self) -> None:
        super().__init__()
        self.adapter = InputAdapter()
        self.stem = ConvAct(3, 32, 3, stride=2)
        self.csp = [CspStage(c, n, s) for c, n, s in CSP_STAGES]
        self.stages = nn.ModuleList(self.csp)
        self.neck = Pan(tuple(2 * c for c, _, _ in CSP_STAGES[1:]), NECK_CHANNELS)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = F.max_pool2d(self.stem(self.adapter(x)), 3, stride=2, padding=1)
        outputs = []
        for stage in self.csp:
            x = stage(x)
            outputs.append(x)
        return self.neck(outputs[1:])

    def stage_modules(self) -> list[nn.Module]:
        """From the input on, for freezing the first ones: stem, CSP stages, neck."""
        return [self.stem, *self.csp, self.neck]

    def new_modules(self) -> list[nn.Module]:
        return []

    def graph_convs(self) -> list[nn.Conv2d]:
        """The convolutions in the order the TF.js graph numbers them (backbone, then the PAN laterals)."""
        convs: list[nn.Conv2d] = [self.stem.conv]
        for stage in self.csp:
            convs.append(stage.in_conv.conv)
            for block in stage.residuals:
                convs.extend((block.in_conv.conv, block.mid_conv.conv))
            convs.append(stage.out_conv.conv)
        convs.extend(lateral.conv for lateral in self.neck.convs)
        return convs


def graph_convolutions(model_json: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """(OIHW weight, bias) of every Conv2D of the graph, in its numbering (convolution, convolution_1, ...)."""
    topology, weights = read_graph(model_json)
    nodes = topology["node"]
    bias_of: dict[str, str] = {}
    for node in nodes:
        if node["op"] in ("Add", "AddV2", "BiasAdd") and len(node.get("input", [])) == 2:
            source, constant = node["input"]
            if constant in weights:
                bias_of[source] = constant
    numbered = []
    for node in nodes:
        if node["op"] != "Conv2D":
            continue
        match = re.search(r"convolution(?:_(\d+))?$", node["name"])
        if match is None:
            raise ValueError(f"{model_json}: unexpected convolution name {node['name']!r}")
        kernel = weights[node["input"][1]]  # HWIO
        bias = weights[bias_of[node["name"]]]
        numbered.append((int(match.group(1) or 0), kernel.transpose(3, 2, 0, 1), bias))
    numbered.sort(key=lambda item: item[0])
    return [(kernel, bias) for _, kernel, bias in numbered]


def load_nanodet(body: NanoDetBody, model_json: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """Loads the body's weights; returns the head's (per level: 3x3 conv, then 1x1 output conv) convolutions."""
    convs = graph_convolutions(model_json)
    targets = body.graph_convs()
    expected_head = 2 * len(body.strides)
    if len(convs) != len(targets) + expected_head:
        raise ValueError(f"{model_json} has {len(convs)} convolutions; NanoDet-g has {len(targets) + expected_head}")
    with torch.no_grad():
        for conv, (kernel, bias) in zip(targets, convs, strict=False):
            if tuple(conv.weight.shape) != kernel.shape:
                raise ValueError(f"{model_json}: a {kernel.shape} kernel does not fit {tuple(conv.weight.shape)}")
            conv.weight.copy_(torch.from_numpy(np.ascontiguousarray(kernel)))
            assert conv.bias is not None
            conv.bias.copy_(torch.from_numpy(bias))
    return convs[len(targets) :]
