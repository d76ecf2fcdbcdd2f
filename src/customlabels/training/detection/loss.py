"""GFL losses: quality focal loss on the label scores, GIoU and distribution focal loss on the boxes."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from customlabels.training.detection.assigner import atss_assign, box_iou
from customlabels.training.detection.head import distance_to_box, integral

QFL_BETA = 2.0
# NanoDet's weights for the three terms.
QFL_WEIGHT = 1.0
GIOU_WEIGHT = 2.0
DFL_WEIGHT = 0.25


@dataclass(frozen=True)
class Targets:
    truths: torch.Tensor  # [G, 4] x1, y1, x2, y2 in input pixels
    labels: torch.Tensor  # [G] label indices


def giou_loss(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    top_left = torch.maximum(predicted[:, :2], target[:, :2])
    bottom_right = torch.minimum(predicted[:, 2:], target[:, 2:])
    overlap = (bottom_right - top_left).clamp(min=0).prod(dim=1)
    area_p = (predicted[:, 2:] - predicted[:, :2]).clamp(min=0).prod(dim=1)
    area_t = (target[:, 2:] - target[:, :2]).clamp(min=0).prod(dim=1)
    union = (area_p + area_t - overlap).clamp(min=1e-9)
    enclosing = (torch.maximum(predicted[:, 2:], target[:, 2:]) - torch.minimum(predicted[:, :2], target[:, :2]))
    enclosing_area = enclosing.clamp(min=0).prod(dim=1).clamp(min=1e-9)
    return 1 - (overlap / union - (enclosing_area - union) / enclosing_area)


def quality_focal_loss(logits: torch.Tensor, quality: torch.Tensor) -> torch.Tensor:
    """Summed over cells and labels; quality is the IoU target of the positive label, 0 elsewhere."""
    scores = torch.sigmoid(logits)
    loss = F.binary_cross_entropy_with_logits(logits, quality, reduction="none")
    return (loss * (scores - quality).abs().pow(QFL_BETA)).sum()


def distribution_focal_loss(sides: torch.Tensor, distances: torch.Tensor) -> torch.Tensor:
    """sides [P, 4, R + 1] logits, distances [P, 4] in strides within [0, R) -> [P] mean over the four sides."""
    left = distances.floor().long()
    right = left + 1
    weight_left = right.float() - distances
    weight_right = distances - left.float()
    log_probabilities = F.log_softmax(sides, dim=-1)
    loss = -(
        log_probabilities.gather(-1, left[..., None])[..., 0] * weight_left
        + log_probabilities.gather(-1, right[..., None])[..., 0] * weight_right
    )
    return loss.mean(dim=1)


def detection_loss(
    logits: torch.Tensor,
    sides: torch.Tensor,
    points: torch.Tensor,
    level_sizes: list[int],
    targets: list[Targets],
) -> tuple[torch.Tensor, dict[str, float]]:
    """The batch's loss, and its parts for reporting. logits [N, A, L], sides [N, A, 4, R + 1]."""
    reg_max = sides.shape[-1] - 1
    quality = torch.zeros_like(logits)
    positive_rows, positive_truths = [], []
    with torch.no_grad():
        for image, target in enumerate(targets):
            assigned = atss_assign(points, level_sizes, target.truths)
            cells = torch.nonzero(assigned >= 0)[:, 0]
            positive_rows.append((torch.full_like(cells, image), cells))
            positive_truths.append((target.truths[assigned[cells]], target.labels[assigned[cells]]))
    images = torch.cat([rows[0] for rows in positive_rows])
    cells = torch.cat([rows[1] for rows in positive_rows])
    truths = torch.cat([truth[0] for truth in positive_truths])
    labels = torch.cat([truth[1] for truth in positive_truths])
    count = max(int(cells.numel()), 1)
    if cells.numel() == 0:
        loss = quality_focal_loss(logits, quality) * QFL_WEIGHT / count
        return loss, {"qfl": float(loss.detach()), "giou": 0.0, "dfl": 0.0}

    cell_points = points[cells]
    strides = cell_points[:, 2:3]
    positive_sides = sides[images, cells]
    predicted = distance_to_box(cell_points[:, :2], integral(positive_sides) * strides)
    with torch.no_grad():
        iou = box_iou(predicted.detach(), truths).diagonal().clamp(min=0)
        quality[images, cells, labels] = iou
        weight = torch.sigmoid(logits.detach()[images, cells]).max(dim=1).values
    weight_sum = weight.sum().clamp(min=1e-6)
    qfl = quality_focal_loss(logits, quality) / count
    giou = (giou_loss(predicted, truths) * weight).sum() / weight_sum
    target_distances = torch.cat((cell_points[:, :2] - truths[:, :2], truths[:, 2:] - cell_points[:, :2]), dim=1)
    target_distances = (target_distances / strides).clamp(0, reg_max - 0.01)
    dfl = (distribution_focal_loss(positive_sides, target_distances) * weight).sum() / weight_sum
    loss = QFL_WEIGHT * qfl + GIOU_WEIGHT * giou + DFL_WEIGHT * dfl
    return loss, {"qfl": float(qfl.detach()), "giou": float(giou.detach()), "dfl": float(dfl.detach())}
