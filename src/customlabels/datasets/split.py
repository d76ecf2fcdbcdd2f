"""Choosing a test share of a dataset so that each label set keeps its proportion."""

import random
from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

T = TypeVar("T")
TEST_FRACTION = 0.2


def stratified_test_share(items: Sequence[T], group: Callable[[T], Hashable], *, seed: int) -> list[T]:
    """Every fifth item after a seeded shuffle and a stable sort by group: exactly len // 5, each group its share."""
    shuffled = list(items)
    random.Random(seed).shuffle(shuffled)
    shuffled.sort(key=lambda item: str(group(item)))
    step = round(1 / TEST_FRACTION)
    return [item for position, item in enumerate(shuffled) if position % step == step - 1]
