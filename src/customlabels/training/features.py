"""Trunk outputs of every image's views, computed once (eval mode, no gradients) and kept as float16."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from customlabels.training.augmentation import Augmentation, view
from customlabels.training.preprocess import load_image, normalise


@dataclass(frozen=True)
class CachedViews:
    """features: float16 [N, max views, C, H, W]; filled[i]: how many of image i's views were computed."""

    features: torch.Tensor
    filled: torch.Tensor


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
    deadline: float | None = None,
) -> CachedViews:
    """Each image's views through the trunk; on_batch(images done) runs after each batch (it may raise to stop).

    When the measured pace would miss the deadline (time.monotonic()), later images get fewer views, at least one.
    """
    chunks = [list(range(start, min(start + batch_size, len(paths)))) for start in range(0, len(paths), batch_size)]
    cache: torch.Tensor | None = None
    filled = torch.zeros(len(paths), dtype=torch.int64)
    current_views = views
    began = time.monotonic()
    views_done = 0
    trunk.eval()
    # Why a thread: Pillow decodes and resizes without the GIL, so the next batch's views are
    # prepared while torch runs the trunk on this one.
    with ThreadPoolExecutor(max_workers=1) as pool, torch.inference_mode():
        pending: Future[np.ndarray] | None = None
        pending_views = current_views
        for number, chunk in enumerate(chunks):
            if pending is None:
                pixels, chunk_views = _views(paths, chunk, size, current_views, seed, augmentation), current_views
            else:
                pixels, chunk_views = pending.result(), pending_views
            following = chunks[number + 1] if number + 1 < len(chunks) else None
            pending, pending_views = None, current_views
            if following is not None:
                pending = pool.submit(_views, paths, following, size, current_views, seed, augmentation)
            images = torch.from_numpy(normalise(pixels)).to(device).contiguous(memory_format=torch.channels_last)
            outputs = trunk(images).to("cpu", torch.float16)
            if cache is None:
                cache = torch.empty((len(paths), views, *outputs.shape[1:]), dtype=torch.float16)
            rows = slice(chunk[0], chunk[-1] + 1)
            cache[rows, :chunk_views] = outputs.reshape(len(chunk), chunk_views, *outputs.shape[1:])
            filled[rows] = chunk_views
            views_done += len(chunk) * chunk_views
            on_batch(chunk[-1] + 1)
            if deadline is not None and current_views > 1:
                seconds_per_view = (time.monotonic() - began) / views_done
                remaining_images = len(paths) - (chunk[-1] + 1)
                while current_views > 1 and (
                    time.monotonic() + remaining_images * current_views * seconds_per_view > deadline
                ):
                    current_views -= 1
    if cache is None:
        raise ValueError("no images to cache")
    return CachedViews(cache, filled)


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
