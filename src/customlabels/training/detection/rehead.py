"""NanoDet-g with its COCO head re-made for the user's labels: the box branch is kept, the label branch is new."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from customlabels.training.detection.head import GflHead, bias
from customlabels.training.detection.model import Detector
from customlabels.training.detection.nanodet import (
    COCO_CLASSES,
    NECK_CHANNELS,
    NanoDetBody,
    load_nanodet,
)
from customlabels.training.detection.weights import nanodet_graph


def nanodet_detector(num_labels: int, *, weights: str | Path | None, pretrained: bool, reg_max: int) -> Detector:
    body = NanoDetBody()
    head = GflHead(levels=3, in_channels=NECK_CHANNELS, channels=NECK_CHANNELS, num_labels=num_labels, reg_max=reg_max)
    if pretrained:
        head_convs = load_nanodet(body, nanodet_graph(weights))
        _load_head(head, head_convs, num_labels)
    return Detector(body, head)


def _load_head(head: GflHead, convs: list[tuple[np.ndarray, np.ndarray]], num_labels: int) -> None:
    with torch.no_grad():
        for level, (conv, output) in enumerate(zip(head.level_convs, head.output_convs, strict=True)):
            (kernel, conv_bias), (out_kernel, out_bias) = convs[2 * level], convs[2 * level + 1]
            conv.weight.copy_(torch.from_numpy(np.ascontiguousarray(kernel)))
            bias(conv).copy_(torch.from_numpy(conv_bias))
            if out_kernel.shape[0] != COCO_CLASSES + output.out_channels - num_labels:
                raise ValueError("the pretrained head's box branch does not match reg_max")
            output.weight[num_labels:] = torch.from_numpy(np.ascontiguousarray(out_kernel[COCO_CLASSES:]))
            bias(output)[num_labels:] = torch.from_numpy(out_bias[COCO_CLASSES:])
