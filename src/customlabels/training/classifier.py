"""The trained model: frozen trunk, fine-tuned tail, linear head, probabilities out (optionally mirror-averaged)."""

from __future__ import annotations

import torch
from torch import nn


class Classifier(nn.Module):
    """forward: normalised NCHW images -> probabilities [N, num_labels]; softmax, or sigmoid when multi_label."""

    def __init__(
        self,
        backbone: nn.Module,
        *,
        trainable_stages: int,
        num_labels: int,
        multi_label: bool,
        dropout: float,
        flip_tta: bool,
    ) -> None:
        super().__init__()
        starts: tuple[int, ...] = backbone.stage_starts
        layers: nn.Sequential = backbone.layers
        split = len(layers) if trainable_stages <= 0 else starts[max(0, len(starts) - trainable_stages)]
        self.trunk = layers[:split]
        self.tail = layers[split:]
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(backbone.feature_dim, num_labels)
        self.multi_label = multi_label
        self.flip_tta = flip_tta

    def trainable_parameters(self) -> tuple[list[nn.Parameter], list[nn.Parameter]]:
        """(tail parameters, head parameters)."""
        return list(self.tail.parameters()), list(self.fc.parameters())

    def logits_from_trunk(self, features: torch.Tensor) -> torch.Tensor:
        pooled = self.tail(features).mean(dim=(2, 3))
        return self.fc(self.dropout(pooled))

    def probabilities(self, logits: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(logits) if self.multi_label else torch.softmax(logits, dim=1)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        probabilities = self.probabilities(self.logits_from_trunk(self.trunk(images)))
        if not self.flip_tta:
            return probabilities
        mirrored = self.probabilities(self.logits_from_trunk(self.trunk(torch.flip(images, dims=[3]))))
        return (probabilities + mirrored) / 2
