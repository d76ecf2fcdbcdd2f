"""Registry of detector architectures (torch-free until one is created): name -> native size, builder."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from customlabels.training.detection.model import Detector

REG_MAX = 10


@dataclass(frozen=True)
class DetectorSpec:
    name: str
    native_size: int
    # "coco" (a whole detector), "imagenet" (the backbone only) or "none".
    pretraining: str
    head_channels: int
    # Recipe fields that suit this detector better than DetectionRecipe's defaults.
    recipe_defaults: Mapping[str, Any] = field(default_factory=dict)


Builder = Callable[[DetectorSpec, int, int, "str | Path | None", bool], "Detector"]
_REGISTRY: dict[str, tuple[DetectorSpec, Builder]] = {}


def register_detector(spec: DetectorSpec, builder: Builder) -> None:
    _REGISTRY[spec.name] = (spec, builder)


def list_detectors() -> list[str]:
    return sorted(_REGISTRY)


def detector_spec(name: str) -> DetectorSpec:
    try:
        return _REGISTRY[name][0]
    except KeyError:
        raise ValueError(f"unknown detector {name!r}; known: {', '.join(list_detectors())}") from None


def create_detector(
    name: str,
    *,
    num_labels: int,
    image_size: int | None = None,
    weights: str | Path | None = None,
    pretrained: bool = True,
) -> Detector:
    """A Detector for num_labels labels; weights: a file, folder or URL, else the pretrained weights installed here."""
    spec = detector_spec(name)
    if num_labels < 1:
        raise ValueError("a detector needs at least one label")
    size = image_size or spec.native_size
    if size % 32:
        raise ValueError(f"the input size must be a multiple of 32, got {size}")
    return _REGISTRY[name][1](spec, num_labels, size, weights, pretrained)


def _build_nanodet(spec: DetectorSpec, num_labels: int, size: int, weights: str | Path | None, pretrained: bool) -> Detector:
    from customlabels.training.detection.rehead import nanodet_detector

    return nanodet_detector(num_labels, weights=weights, pretrained=pretrained, reg_max=REG_MAX)


def _build_lite(spec: DetectorSpec, num_labels: int, size: int, weights: str | Path | None, pretrained: bool) -> Detector:
    from customlabels.training.detection.bodies import LitePanBody
    from customlabels.training.detection.head import GflHead
    from customlabels.training.detection.model import Detector

    backbone = spec.name.removesuffix("-pan")
    body = LitePanBody(backbone, image_size=size, channels=spec.head_channels, weights=weights, pretrained=pretrained)
    head = GflHead(levels=3, in_channels=body.out_channels, channels=spec.head_channels, num_labels=num_labels, reg_max=REG_MAX)
    return Detector(body, head)


def _build_tiny(spec: DetectorSpec, num_labels: int, size: int, weights: str | Path | None, pretrained: bool) -> Detector:
    import torch

    from customlabels.training.detection.bodies import TinyBody
    from customlabels.training.detection.head import GflHead
    from customlabels.training.detection.model import Detector

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        body = TinyBody(spec.head_channels)
        head = GflHead(levels=3, in_channels=body.out_channels, channels=spec.head_channels, num_labels=num_labels, reg_max=REG_MAX)
    return Detector(body, head)


register_detector(
    # Frozen: the stem and the first CSP stage (stride 4), the costliest to train per parameter.
    DetectorSpec("nanodet-g", native_size=416, pretraining="coco", head_channels=128, recipe_defaults={"frozen_stages": 2}),
    _build_nanodet,
)
for _index in range(3):
    register_detector(
        # Frozen: the stem and the blocks of stages 1 and 2 (strides 2 and 4).
        DetectorSpec(
            f"efficientnet-lite{_index}-pan",
            native_size=416,
            pretraining="imagenet",
            head_channels=96,
            recipe_defaults={"frozen_stages": 4},
        ),
        _build_lite,
    )
register_detector(
    DetectorSpec(
        "tiny-test",
        native_size=64,
        pretraining="none",
        head_channels=32,
        recipe_defaults={
            "epochs": 40,
            "batch_size": 4,
            "learning_rate": 1e-2,
            "body_lr_scale": 1.0,
            "frozen_stages": 0,
            "weight_decay": 1e-4,
            "validation_fraction": 0.0,
            "mosaic": 0.0,
            "threads": 1,
        },
    ),
    _build_tiny,
)
