"""Trunk outputs of every image's views, computed once (eval mode, no gradients) and kept as float16."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
from torch import nn

from customlabels.training.augmentation import Augmentation, view
from customlabels.training.preprocess import load_image, normalise


def cache_trunk_outputs(
    paths: Sequence[Path],
    trunk: nn.Module,
    *,
    size: int,
    views: int,
    seed: int,
    augmentation: Augmentation,
    device: torch.device,
    batch_size: int,
    on_batch: Callable[[int], None],
) -> torch.Tensor:
    """float16 [len(paths), views, C, H, W]; on_batch(images done) runs after each batch (it may raise to stop)."""
    chunks = [list(range(start, min(start + batch_size, len(paths)))) for start in range(0, len(paths), batch_size)]
    cache: torch.Tensor | None = None
    trunk.eval()
    # Why a thread: Pillow decodes and resizes without the GIL, so the next batch's views are
    # prepared while torch runs the trunk on this one.
    with ThreadPoolExecutor(max_workers=1) as pool, torch.inference_mode():
        pending: Future[np.ndarray] | None = None
        for number, chunk in enumerate(chunks):
            pixels = pending.result() if pending is not None else _views(paths, chunk, size, views, seed, augmentation)
            following = chunks[number + 1] if number + 1 < len(chunks) else None
            pending = (
                pool.submit(_views, paths, following, size, views, seed, augmentation)
                if following is not None
                else None
            )
            images = torch.from_numpy(normalise(pixels)).to(device).contiguous(memory_format=torch.channels_last)
            outputs = trunk(images)
            if cache is None:
                cache = torch.empty((len(paths), views, *outputs.shape[1:]), dtype=torch.float16)
            cache[chunk[0] : chunk[-1] + 1] = outputs.to("cpu", torch.float16).reshape(
                len(chunk), views, *outputs.shape[1:]
            )
            on_batch(chunk[-1] + 1)
    if cache is None:
        raise ValueError("no images to cache")
    return cache


def _views(
    paths: Sequence[Path], chunk: Sequence[int], size: int, views: int, seed: int, augmentation: Augmentation
) -> np.ndarray:
    arrays = []
    for index in chunk:
        image = load_image(paths[index])
        # Seeded per image, so the views do not depend on the batch size.
        rng = np.random.default_rng([seed, index])
        arrays.extend(view(image, size, number, rng, augmentation) for number in range(views))
    return np.stack(arrays)
