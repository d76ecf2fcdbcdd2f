"""The exponential moving average that both trainers validate and export."""

import pytest
import torch
from torch import nn

from customlabels.training.weight_average import WeightAverage


def test_the_average_follows_the_warmed_up_decay_and_applied_restores_the_trained_weights() -> None:
    weight = nn.Parameter(torch.tensor([0.0]))
    average = WeightAverage([weight], epochs=1.0, steps_per_epoch=2)  # decay 1 - 1/2
    with torch.no_grad():
        weight.fill_(1.0)
    average.update()  # warm-up decay min(0.5, 2 / 11) = 2/11: 0 + (1 - 0) * 9/11
    with torch.no_grad():
        weight.fill_(2.0)
    average.update()  # decay min(0.5, 3 / 12) = 1/4: 9/11 + (2 - 9/11) * 3/4
    expected = 9 / 11 + (2 - 9 / 11) * 0.75
    with average.applied():
        assert weight.item() == pytest.approx(expected)
    assert weight.item() == 2.0
    average.keep()
    assert weight.item() == pytest.approx(expected)


def test_an_average_over_zero_epochs_leaves_the_trained_weights() -> None:
    weight = nn.Parameter(torch.tensor([1.0]))
    average = WeightAverage([weight], epochs=0.0, steps_per_epoch=10)
    with torch.no_grad():
        weight.fill_(3.0)
    average.update()
    with average.applied():
        assert weight.item() == 3.0
    average.keep()
    assert weight.item() == 3.0
