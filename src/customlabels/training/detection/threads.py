"""How many torch threads train fastest right now: all cores, or one when another job keeps a core busy."""

from __future__ import annotations

import os
import time

import torch

from customlabels.training.detection.model import Detector

PROBE_ROUNDS = 2
PROBE_BATCH = 4


def fastest_threads(model: Detector, *, batch_size: int, size: int) -> int:
    """Times forward + backward of a random batch with every core and with one; returns the faster count.

    Why: on a shared 2-core machine, a second thread that must wait for a core another process holds makes
    each step slower than one thread alone; the probe costs a few steps.
    """
    cores = os.cpu_count() or 1
    if cores == 1:
        return 1
    images = torch.randn(min(batch_size, PROBE_BATCH), 3, size, size).contiguous(memory_format=torch.channels_last)
    was_training = model.training
    # Eval mode: BatchNorm statistics stay as they are; the gradients are dropped afterwards.
    model.eval()
    timings: dict[int, float] = {}
    try:
        for threads in (cores, 1):
            torch.set_num_threads(threads)
            best = float("inf")
            for _ in range(PROBE_ROUNDS):
                began = time.perf_counter()
                logits, sides, _ = model.raw(images)
                (logits.float().mean() + sides.float().mean()).backward()
                best = min(best, time.perf_counter() - began)
            timings[threads] = min(best, timings.get(threads, float("inf")))
    finally:
        model.zero_grad(set_to_none=True)
        model.train(was_training)
    chosen = min(timings, key=lambda threads: timings[threads])
    torch.set_num_threads(chosen)
    return chosen
