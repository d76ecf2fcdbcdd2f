"""Trunk outputs of every image's views, computed once by the frozen trunk and kept as float16."""

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
from customlabels.training.export import onnx_session, write_onnx
from customlabels.training.preprocess import load_image, normalise

TrunkRunner = Callable[[np.ndarray], torch.Tensor]


@dataclass(frozen=True)
class CachedViews:
    """features: float16 [N, max views, C, H, W]; filled[i]: how many of image i's views were computed."""

    features: torch.Tensor
    filled: torch.Tensor


def trunk_runner(trunk: nn.Module, *, size: int, device: torch.device, workdir: Path) -> TrunkRunner:
    """float32 NCHW batch -> float16 trunk outputs on the CPU; onnxruntime on a CPU, torch on a GPU."""
    trunk.eval()
    if device.type != "cpu":

        def run_torch(images: np.ndarray) -> torch.Tensor:
            with torch.inference_mode():
                batch = torch.from_numpy(images).to(device).contiguous(memory_format=torch.channels_last)
                return trunk(batch).to("cpu", torch.float16)

        return run_torch
    # Why onnxruntime: it runs these depthwise-convolution networks 1.5-3x faster than eager torch on
    # a CPU, and it is what serves the model, so the cached features are those the served model sees.
    path = workdir / "trunk.onnx"
    write_onnx(trunk, torch.zeros((1, 3, size, size)), path, input_name="images", output_name="features")
    session = onnx_session(path)

    def run_onnx(images: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(session.run(["features"], {"images": images})[0]).to(torch.float16)

    return run_onnx


def cache_trunk_outputs(
    paths: Sequence[Path],
    run_trunk: TrunkRunner,
    *,
    size: int,
    views: int,
    seed: int,
    augmentation: Augmentation,
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
    # Why a thread: Pillow decodes and resizes without the GIL, so the next batch's views are
    # prepared while the trunk runs on this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
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
            outputs = run_trunk(normalise(pixels))
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
