"""Box geometry of detection, torch-free: letterbox, augmentation, EXIF orientation, NMS."""

import numpy as np
import pytest
from PIL import Image

from customlabels.training.detection.augmentation import (
    BoxAugmentation,
    augmented_view,
    flip_boxes,
    mosaic_view,
    place_boxes,
)
from customlabels.training.detection.letterbox import (
    FILL,
    Placement,
    fit,
    letterbox,
)
from customlabels.training.detection.nms import nms, nms_per_label, select
from customlabels.training.detection.orientation import transpose_boxes

RED = (230, 20, 20)
# Images of several aspect ratios, among them the extremes the service accepts.
SHAPES = [(800, 600), (375, 500), (1900, 100), (64, 1280), (333, 333)]


def picture(width: int, height: int, box: tuple[int, int, int, int]) -> Image.Image:
    image = Image.new("RGB", (width, height), (90, 120, 90))
    image.paste(RED, box)
    return image


def red_extent(pixels: np.ndarray) -> np.ndarray:
    """(x1, y1, x2, y2) of the red pixels, pixel edges included."""
    red = (pixels[..., 0] > 150) & (pixels[..., 1] < 90)
    ys, xs = np.nonzero(red)
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], dtype=np.float64)


@pytest.mark.parametrize(("width", "height"), SHAPES)
def test_letterbox_boxes_round_trip_exactly(width: int, height: int) -> None:
    rng = np.random.default_rng(width * height)
    corners = np.sort(rng.uniform(0, 1, (20, 2, 2)), axis=1)
    boxes = np.stack(
        (corners[:, 0, 0] * width, corners[:, 0, 1] * height, corners[:, 1, 0] * width, corners[:, 1, 1] * height), axis=1
    )
    for size in (96, 416, 640):
        placement = fit(width, height, size)
        inside = placement.to_input(boxes)
        assert inside.min() >= -1e-9 and inside.max() <= size + 1e-9
        np.testing.assert_allclose(placement.to_image(inside), boxes, atol=1e-6, rtol=0)
        ratios = placement.to_ratios(inside)
        expected = np.stack(
            (boxes[:, 0] / width, boxes[:, 1] / height, (boxes[:, 2] - boxes[:, 0]) / width, (boxes[:, 3] - boxes[:, 1]) / height),
            axis=1,
        )
        np.testing.assert_allclose(ratios, expected, atol=1e-6, rtol=0)


@pytest.mark.parametrize(("width", "height"), [(800, 600), (375, 500), (1000, 240)])
def test_letterbox_puts_the_pixels_where_the_boxes_say(width: int, height: int) -> None:
    box = (width // 5, height // 3, width // 2, height * 3 // 4)
    pixels, placement = letterbox(picture(width, height, box), 416)
    assert pixels.shape == (416, 416, 3)
    assert max(placement.inner_width, placement.inner_height) == 416
    np.testing.assert_allclose(red_extent(pixels), placement.to_input(np.array([box]))[0], atol=1.5)
    # The padding is the neutral fill, on both sides of the shorter dimension.
    first, last = (pixels[0, 208], pixels[-1, 208]) if width > height else (pixels[208, 0], pixels[208, -1])
    assert (first == FILL).all() and (last == FILL).all()


def test_a_box_reaching_into_the_padding_is_clipped_to_the_image() -> None:
    placement = fit(800, 400, 416)  # the image spans rows 104..312 of the input
    (ratios,) = placement.to_ratios(np.array([[-10.0, 50.0, 208.0, 208.0]]))
    np.testing.assert_allclose(ratios, [0.0, 0.0, 0.5, (208 - 104) / 208], atol=1e-9)


def test_flipping_twice_is_the_identity() -> None:
    boxes = np.array([[0.0, 5.0, 30.0, 40.0], [100.5, 7.25, 416.0, 9.0]])
    np.testing.assert_array_equal(flip_boxes(flip_boxes(boxes, 416), 416), boxes)
    np.testing.assert_array_equal(flip_boxes(boxes, 416)[0], [386.0, 5.0, 416.0, 40.0])


def test_the_crop_keeps_boxes_inside_and_drops_those_cut_away() -> None:
    # The 400x400 image is shown at twice its size, its top-left corner at (-300, -300) of a 416 input.
    placement = Placement(400, 400, 800, 800, -300, -300)
    boxes = np.array(
        [
            [200.0, 200.0, 250.0, 250.0],  # fully in view: (100, 100)-(200, 200)
            [100.0, 160.0, 200.0, 200.0],  # 80 % in view: cut at x = 150
            [0.0, 0.0, 140.0, 140.0],  # 2 % in view: dropped
            [380.0, 380.0, 400.0, 400.0],  # outside the input: dropped
        ]
    )
    kept, labels = place_boxes(boxes, np.array([0, 1, 2, 3]), placement, 416, BoxAugmentation(min_visible=0.4))
    np.testing.assert_array_equal(labels, [0, 1])
    np.testing.assert_allclose(kept, [[100, 100, 200, 200], [0, 20, 100, 100]])


def test_augmented_views_keep_their_boxes_on_the_object() -> None:
    width, height, box = 500, 300, (260, 40, 420, 140)
    image = picture(width, height, box)
    still = BoxAugmentation(brightness=0.0, contrast=0.0, saturation=0.0, min_zoom=0.5, max_zoom=2.0)
    seen = 0
    for seed in range(40):
        view = augmented_view(image, np.array([box], dtype=float), np.array([3]), 160, np.random.default_rng(seed), still)
        assert view.pixels.shape == (160, 160, 3)
        assert ((view.boxes >= 0) & (view.boxes <= 160)).all()
        if len(view.boxes):
            seen += 1
            assert view.labels.tolist() == [3]
            np.testing.assert_allclose(red_extent(view.pixels), view.boxes[0], atol=1.5)
    assert seen > 20


def test_mosaic_boxes_cover_their_objects_at_the_scale_of_a_plain_view() -> None:
    shapes = [((300, 200), (50, 50, 150, 120)), ((200, 300), (20, 100, 120, 200)), ((400, 400), (0, 0, 100, 100)), ((100, 90), (40, 40, 60, 60))]
    parts = [(picture(w, h, box), np.array([box], dtype=float), np.array([label])) for label, ((w, h), box) in enumerate(shapes)]
    still = BoxAugmentation(brightness=0.0, contrast=0.0, saturation=0.0, min_zoom=0.8, max_zoom=1.25)
    widths: dict[int, list[float]] = {label: [] for label in range(len(shapes))}
    for seed in range(30):
        view = mosaic_view(parts, 160, np.random.default_rng(seed), still)
        assert ((view.boxes >= 0) & (view.boxes <= 160)).all() and len(view.boxes) == len(view.labels)
        red = (view.pixels[..., 0] > 150) & (view.pixels[..., 1] < 90)
        for (x1, y1, x2, y2), label in zip(view.boxes, view.labels, strict=True):
            # Each kept box is (almost) all object: the quarters never bleed into each other.
            assert red[round(y1) : round(y2), round(x1) : round(x2)].mean() > 0.9
            (width, height), box = shapes[label]
            widths[label].append((x2 - x1) / ((box[2] - box[0]) * 160 / max(width, height)))
    for ratios in widths.values():
        # Cropped boxes are narrower; the widest shows the object at its plain-view width times the zoom.
        assert len(ratios) >= 5 and 0.8 * 0.97 <= max(ratios) <= 1.25 * 1.03


@pytest.mark.parametrize(
    "method",
    [
        Image.Transpose.FLIP_LEFT_RIGHT,
        Image.Transpose.FLIP_TOP_BOTTOM,
        Image.Transpose.ROTATE_90,
        Image.Transpose.ROTATE_180,
        Image.Transpose.ROTATE_270,
        Image.Transpose.TRANSPOSE,
        Image.Transpose.TRANSVERSE,
    ],
)
def test_boxes_follow_the_exif_transposes(method: Image.Transpose) -> None:
    box = (30, 10, 90, 25)
    turned = picture(120, 80, box).transpose(method)
    np.testing.assert_array_equal(
        transpose_boxes(np.array([box], dtype=float), method, 120, 80)[0], red_extent(np.asarray(turned))
    )


def test_nms_suppresses_overlapping_boxes_of_a_label_only() -> None:
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [0, 0, 10, 10.5]], dtype=float)
    scores = np.array([0.9, 0.8, 0.7, 0.95])
    assert nms(boxes, scores, 0.5).tolist() == [3, 2]
    labels = np.array([0, 0, 0, 1])
    assert nms_per_label(boxes, scores, labels, 0.5).tolist() == [3, 0, 2]
    # Overlapping by less than the threshold: both stay.
    assert nms(boxes[:2], scores[:2], 0.7).tolist() == [0, 1]


def greedy_nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float) -> list[int]:
    """The textbook algorithm: keep the best box left, drop every box overlapping it by more than the threshold."""
    left = sorted(range(len(scores)), key=lambda i: -scores[i])
    kept = []
    while left:
        best = left.pop(0)
        kept.append(best)
        left = [i for i in left if iou_xyxy(boxes[best], boxes[i]) <= iou_threshold]
    return kept


def iou_xyxy(a: np.ndarray, b: np.ndarray) -> float:
    overlap = max(min(a[2], b[2]) - max(a[0], b[0]), 0) * max(min(a[3], b[3]) - max(a[1], b[1]), 0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - overlap
    return overlap / union


@pytest.mark.parametrize("count", [1, 127, 128, 129, 700])
def test_nms_keeps_what_the_textbook_greedy_algorithm_keeps(count: int) -> None:
    # Clustered boxes, so that suppression crosses the blocks NMS compares at a time.
    rng = np.random.default_rng(count)
    centres = rng.uniform(0, 200, (count, 2)) // 25 * 25 + rng.normal(0, 4, (count, 2))
    sizes = rng.uniform(8, 30, (count, 2))
    boxes = np.concatenate((centres - sizes / 2, centres + sizes / 2), axis=1)
    scores = rng.permutation(count) / count
    expected = greedy_nms(boxes, scores, 0.5)
    assert 1 <= len(expected) < count or count == 1
    assert nms(boxes, scores, 0.5).tolist() == expected
    assert nms(boxes, scores, 0.5, limit=20).tolist() == expected[:20]


def test_select_keeps_at_most_the_limit_above_the_floor_by_score() -> None:
    rng = np.random.default_rng(0)
    cells = 400
    starts = np.stack((np.arange(cells) * 20.0, np.zeros(cells)), axis=1)
    boxes = np.concatenate((starts, starts + 10), axis=1)  # no two overlap
    scores = rng.uniform(0, 1, (cells, 3))
    chosen = select(boxes, scores, floor=0.05, max_detections=100)
    assert len(chosen.scores) == 100
    assert (np.diff(chosen.scores) <= 0).all()
    assert chosen.scores.min() >= np.sort(scores.ravel())[-100]
    few = select(boxes[:3], np.array([[0.04, 0.0, 0.5], [0.01, 0.2, 0.0], [0.0, 0.0, 0.0]]), floor=0.05)
    assert few.labels.tolist() == [2, 1] and few.scores.tolist() == [0.5, 0.2]
