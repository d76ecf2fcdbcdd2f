"""The validation share of the training samples, stratified by label."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Sequence

from customlabels.training.sample import Sample


def validation_split(
    samples: Sequence[Sample], *, fraction: float, seed: int
) -> tuple[list[int], list[int]]:
    """(train indices, validation indices): each label's share, at least one per label that has two samples or more."""
    frequency = Counter(label for sample in samples for label in set(sample.labels))
    groups: dict[str, list[int]] = defaultdict(list)
    for index, sample in enumerate(samples):
        # Multi-label samples are stratified by their rarest label, so rare labels still reach validation.
        key = min(set(sample.labels), key=lambda label: (frequency[label], label)) if sample.labels else ""
        groups[key].append(index)
    rng = random.Random(seed)
    validation: list[int] = []
    for key in sorted(groups):
        members = groups[key]
        rng.shuffle(members)
        if fraction <= 0.0 or len(members) < 2:
            continue
        count = min(len(members) - 1, max(1, round(fraction * len(members))))
        validation.extend(members[:count])
    chosen = set(validation)
    return [index for index in range(len(samples)) if index not in chosen], sorted(chosen)
