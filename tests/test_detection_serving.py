"""The serving decoder of task "detection": boxes back to ratios of the original image, per-label NMS, limits."""

from collections.abc import Sequence

import numpy as np
import pytest

from customlabels.serving.prediction import DECODERS, Frame, MalformedOutput
from customlabels.training.detection.letterbox import fit

LABELS = ("cat", "dog")


def output(boxes: Sequence[Sequence[float]], scores: Sequence[Sequence[float]], cells: int = 50) -> np.ndarray:
    """A detector output [1, cells, 4 + 2]: the given rows first, then empty background cells."""
    rows = np.zeros((cells, 4 + len(LABELS)), dtype=np.float32)
    rows[: len(boxes), :4] = boxes
    rows[: len(scores), 4:] = scores
    rows[len(boxes) :, :4] = [0, 0, 1, 1]
    return rows[None]


@pytest.mark.parametrize(("width", "height"), [(640, 480), (480, 640), (1900, 100), (333, 333)])
def test_boxes_come_back_as_ratios_of_the_original_image(width: int, height: int) -> None:
    truth = np.array([[0.1 * width, 0.2 * height, 0.6 * width, 0.9 * height]])
    placement = fit(width, height, 416)
    inside = placement.to_input(truth)[0].tolist()
    (predictions,) = DECODERS["detection"]([output([inside], [[0.9, 0.0]])], LABELS, [Frame(width, height, 416)])
    assert [p.label for p in predictions] == ["cat"]
    box = predictions[0].box
    assert box is not None
    # float32 model output: a few millionths of the input side.
    np.testing.assert_allclose([box.left, box.top, box.width, box.height], [0.1, 0.2, 0.5, 0.7], atol=1e-5)
    assert predictions[0].confidence == pytest.approx(0.9, abs=1e-6)


def test_overlapping_boxes_are_suppressed_within_a_label_only() -> None:
    boxes = [[10, 10, 110, 110], [12, 12, 112, 112], [10, 10, 110, 110], [300, 300, 350, 350]]
    scores = [[0.9, 0.0], [0.8, 0.0], [0.0, 0.7], [0.3, 0.0]]
    (predictions,) = DECODERS["detection"]([output(boxes, scores)], LABELS, [Frame(416, 416, 416)])
    assert [(p.label, round(p.confidence, 2)) for p in predictions] == [("cat", 0.9), ("dog", 0.7), ("cat", 0.3)]


def test_at_most_100_boxes_most_confident_first_above_the_floor() -> None:
    cells = 3000
    rng = np.random.default_rng(0)
    corner = np.stack((np.arange(cells) % 60 * 7.0, np.arange(cells) // 60 * 7.0), axis=1)
    rows = np.concatenate((corner, corner + 5, rng.uniform(0, 1, (cells, 2))), axis=1).astype(np.float32)
    (predictions,) = DECODERS["detection"]([rows[None]], LABELS, [Frame(500, 420, 416)])
    assert len(predictions) == 100
    confidences = [p.confidence for p in predictions]
    assert confidences == sorted(confidences, reverse=True)
    assert min(confidences) > 0.9
    quiet = rows.copy()
    quiet[:, 4:] = 0.04
    assert DECODERS["detection"]([quiet[None]], LABELS, [Frame(500, 420, 416)]) == [[]]


@pytest.mark.parametrize("floor", [0.2, 0.5, 0.8])
def test_a_floor_leaves_out_only_the_boxes_below_it(floor: float) -> None:
    # Crowded overlapping boxes of both labels, so that suppression decides much of what is kept.
    rng = np.random.default_rng(7)
    corner = rng.uniform(0, 380, (800, 2))
    rows = np.concatenate((corner, corner + rng.uniform(10, 60, (800, 2)), rng.uniform(0, 1, (800, 2))), axis=1)
    batch, frame = rows.astype(np.float32)[None], [Frame(640, 480, 416)]
    (everything,) = DECODERS["detection"]([batch], LABELS, frame)
    (above,) = DECODERS["detection"]([batch], LABELS, frame, floor=floor)
    assert above and above == [p for p in everything if p.confidence >= floor]


def test_a_batch_is_decoded_image_by_image() -> None:
    first = output([[0, 0, 208, 416]], [[0.0, 0.6]])
    second = output([[208, 0, 416, 416]], [[0.5, 0.0]])
    frames = [Frame(416, 416, 416), Frame(100, 100, 416)]
    left, right = DECODERS["detection"]([np.concatenate((first, second))], LABELS, frames)
    assert [(p.label, p.box.left if p.box else None) for p in left] == [("dog", 0.0)]
    assert [(p.label, p.box.left if p.box else None) for p in right] == [("cat", 0.5)]


def test_outputs_that_do_not_fit_the_labels_are_refused() -> None:
    with pytest.raises(MalformedOutput):
        DECODERS["detection"]([np.zeros((1, 10, 5), dtype=np.float32)], LABELS, [Frame(10, 10, 416)])
    with pytest.raises(MalformedOutput):
        DECODERS["detection"]([np.zeros((1, 6), dtype=np.float32)], LABELS, [Frame(10, 10, 416)])
