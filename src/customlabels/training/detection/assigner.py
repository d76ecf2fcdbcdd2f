"""ATSS (Zhang et al. 2020): which feature cells learn which ground-truth box, from IoU statistics per box."""

from __future__ import annotations

import torch

TOP_K = 9
# Each cell's notional anchor is a square of ANCHOR_SCALE strides (NanoDet's octave base scale).
ANCHOR_SCALE = 5.0
INF = 1e8


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """[N, 4] x [M, 4] (x1, y1, x2, y2) -> [N, M]."""
    top_left = torch.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = torch.minimum(a[:, None, 2:], b[None, :, 2:])
    overlap = (bottom_right - top_left).clamp(min=0).prod(dim=2)
    area_a = (a[:, 2:] - a[:, :2]).clamp(min=0).prod(dim=1)
    area_b = (b[:, 2:] - b[:, :2]).clamp(min=0).prod(dim=1)
    return overlap / (area_a[:, None] + area_b[None, :] - overlap).clamp(min=1e-9)


def atss_assign(points: torch.Tensor, level_sizes: list[int], truths: torch.Tensor) -> torch.Tensor:
    """points [A, 3] (x, y, stride), truths [G, 4] -> [A] index of the truth each cell learns, -1 for background."""
    cells = points.shape[0]
    assigned = torch.full((cells,), -1, dtype=torch.long, device=points.device)
    if truths.shape[0] == 0:
        return assigned
    half = points[:, 2:3] * ANCHOR_SCALE / 2
    anchors = torch.cat((points[:, :2] - half, points[:, :2] + half), dim=1)
    overlaps = box_iou(anchors, truths)  # [A, G]
    truth_centres = (truths[:, :2] + truths[:, 2:]) / 2
    distances = torch.cdist(points[:, :2], truth_centres)  # [A, G]
    candidates = []
    start = 0
    for size in level_sizes:
        k = min(TOP_K, size)
        candidates.append(distances[start : start + size].topk(k, dim=0, largest=False).indices + start)
        start += size
    candidate_index = torch.cat(candidates, dim=0)  # [C, G]
    candidate_overlaps = overlaps.gather(0, candidate_index)
    threshold = candidate_overlaps.mean(dim=0) + candidate_overlaps.std(dim=0, unbiased=candidate_index.shape[0] > 1)
    is_positive = candidate_overlaps >= threshold[None, :]
    centres = points[candidate_index, :2]  # [C, G, 2]
    inside = (
        (centres[..., 0] > truths[None, :, 0])
        & (centres[..., 0] < truths[None, :, 2])
        & (centres[..., 1] > truths[None, :, 1])
        & (centres[..., 1] < truths[None, :, 3])
    )
    is_positive &= inside
    # A cell chosen by several truths learns the one it overlaps most.
    scores = torch.full_like(overlaps, -INF)
    truth_index = torch.arange(truths.shape[0], device=points.device).expand_as(candidate_index)
    chosen = candidate_index[is_positive]
    scores[chosen, truth_index[is_positive]] = overlaps[chosen, truth_index[is_positive]]
    best, best_truth = scores.max(dim=1)
    positive = best > -INF
    assigned[positive] = best_truth[positive]
    return assigned
