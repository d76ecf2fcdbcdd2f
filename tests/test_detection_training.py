"""Training, exporting and serving a detector: the tiny-test configuration end to end, ONNX against torch."""

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from customlabels.evaluation import Box, iou
from customlabels.serving.prediction import DECODERS, Frame
from customlabels.serving.predictor import Predictor
from customlabels.training.detection import (
    DetectionSample,
    choose_detection_recipe,
    train_detector,
)
from customlabels.training.progress import TrainingCancelled

RECT = (200, 40, 40)


def synthetic(folder: Path, count: int = 8) -> list[DetectionSample]:
    """Noise images of 64-128 px (any aspect ratio) with one big red rectangle each."""
    rng = np.random.default_rng(0)
    samples = []
    for index in range(count):
        width, height = (int(side) for side in rng.integers(64, 129, size=2))
        pixels = rng.integers(0, 256, (height, width, 3)).astype(np.uint8)
        box_width, box_height = int(width * rng.uniform(0.4, 0.7)), int(height * rng.uniform(0.4, 0.7))
        left, top = int(rng.integers(0, width - box_width)), int(rng.integers(0, height - box_height))
        pixels[top : top + box_height, left : left + box_width] = RECT
        path = folder / f"{index}.png"
        Image.fromarray(pixels).save(path)
        samples.append(DetectionSample(path, (("rect", left, top, box_width, box_height),)))
    return samples


@dataclass(frozen=True)
class Fitted:
    samples: list[DetectionSample]
    model: Any
    bundle: Path


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> Fitted:
    from customlabels.training.detection.export import export_detector
    from customlabels.training.detection.fit import fit_detector

    folder = tmp_path_factory.mktemp("detection")
    samples = synthetic(folder)
    recipe = choose_detection_recipe(num_images=len(samples), num_labels=1, overrides={"detector": "tiny-test"})
    result = fit_detector(samples, labels=["rect"], recipe=recipe)
    bundle = export_detector(result.model, folder / "bundle", labels=["rect"], recipe=recipe, validation=result.metrics)
    return Fitted(samples, result.model, bundle)


def truth_ratios(sample: DetectionSample) -> Box:
    with Image.open(sample.path) as image:
        width, height = image.size
    label, left, top, box_width, box_height = sample.boxes[0]
    return Box(label, left / width, top / height, box_width / width, box_height / height)


def rgb(sample: DetectionSample) -> Image.Image:
    with Image.open(sample.path) as image:
        return image.convert("RGB")


def test_tiny_training_learns_to_find_the_big_rectangle(fitted: Fitted) -> None:
    spec = json.loads((fitted.bundle / "model.json").read_text())
    assert spec["task"] == "detection" and spec["labels"] == ["rect"] and spec["input"]["resize"] == "letterbox_bilinear"
    predictor = Predictor(fitted.bundle)
    overlaps = []
    for sample in fitted.samples:
        (predictions,) = predictor.predict([rgb(sample)])
        assert predictions and predictions[0].label == "rect" and predictions[0].box is not None
        best = predictions[0].box
        overlaps.append(iou(Box("rect", best.left, best.top, best.width, best.height), truth_ratios(sample)))
    assert float(np.median(overlaps)) > 0.5


def test_the_exported_model_gives_the_boxes_of_the_torch_model(fitted: Fitted) -> None:
    import onnxruntime
    import torch

    from customlabels.training.detection.letterbox import preprocess_letterboxed

    spec = json.loads((fitted.bundle / "model.json").read_text())
    images = [rgb(sample) for sample in fitted.samples[:4]]
    batch = preprocess_letterboxed(images, spec["input"])
    session = onnxruntime.InferenceSession(str(fitted.bundle / "model.onnx"), providers=["CPUExecutionProvider"])
    served = session.run(None, {session.get_inputs()[0].name: batch})[0]
    with torch.inference_mode():
        expected = fitted.model(torch.from_numpy(batch)).numpy()
    assert served.shape == expected.shape == (4, expected.shape[1], 5)
    np.testing.assert_allclose(served[..., :4], expected[..., :4], atol=1e-3)
    np.testing.assert_allclose(served[..., 4:], expected[..., 4:], atol=1e-5)
    frames = [Frame(image.width, image.height, spec["input"]["size"]) for image in images]
    decoded = DECODERS["detection"]([served], ("rect",), frames)
    reference = DECODERS["detection"]([expected], ("rect",), frames)
    for ours, theirs in zip(decoded, reference, strict=True):
        top = min(len(ours), len(theirs), 5)
        assert top > 0
        for a, b in zip(ours[:top], theirs[:top], strict=True):
            assert a.label == b.label and a.confidence == pytest.approx(b.confidence, abs=1e-5)
            assert a.box is not None and b.box is not None
            assert [a.box.left, a.box.top, a.box.width, a.box.height] == pytest.approx(
                [b.box.left, b.box.top, b.box.width, b.box.height], abs=1e-4
            )


def test_inference_units_return_boxes_in_ratios_of_the_sent_image(fitted: Fitted) -> None:
    from customlabels.serving.units import InferenceUnits

    sample = max(fitted.samples, key=lambda s: abs(rgb(s).width - rgb(s).height))
    units = InferenceUnits(fitted.bundle, units=1)
    try:
        predictions = units.detect(sample.path.read_bytes())
    finally:
        units.close()
    assert 0 < len(predictions) <= 100
    assert [p.confidence for p in predictions] == sorted((p.confidence for p in predictions), reverse=True)
    best = predictions[0].box
    assert best is not None
    assert iou(Box("rect", best.left, best.top, best.width, best.height), truth_ratios(sample)) > 0.4


class Recorded:
    def __init__(self, cancel_after: int | None = None) -> None:
        self.reports: list[dict[str, Any]] = []
        self.cancel_after = cancel_after

    def report(self, **report: Any) -> None:
        self.reports.append(report)

    def cancelled(self) -> bool:
        return self.cancel_after is not None and len(self.reports) >= self.cancel_after


def test_train_detector_reports_progress_and_writes_the_bundle(tmp_path: Path) -> None:
    samples = synthetic(tmp_path, count=4)
    recipe = choose_detection_recipe(num_images=4, num_labels=1, overrides={"detector": "tiny-test", "epochs": 2})
    progress = Recorded()
    out = train_detector(samples, labels=["rect"], recipe=recipe, progress=progress, out_dir=tmp_path / "bundle")
    assert sorted(path.name for path in out.iterdir()) == ["model.json", "model.onnx"]
    fractions = [report["fraction"] for report in progress.reports]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
    assert {"reading", "training", "exporting"} <= {report["step"] for report in progress.reports}
    with pytest.raises(TrainingCancelled):
        train_detector(samples, labels=["rect"], recipe=recipe, progress=Recorded(cancel_after=2), out_dir=tmp_path / "x")


def test_the_recipe_fits_the_budget_and_takes_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    roomy = choose_detection_recipe(num_images=150, num_labels=4, time_budget_s=3600)
    tight = choose_detection_recipe(num_images=150, num_labels=4, time_budget_s=300)
    assert roomy.detector in ("nanodet-g", "efficientnet-lite0-pan") and roomy.image_size % 32 == 0
    assert tight.epochs < roomy.epochs
    # Without the NanoDet-g weights fetched, the detector that needs none.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert choose_detection_recipe(num_images=150, num_labels=4).detector == "efficientnet-lite0-pan"
    given = choose_detection_recipe(num_images=150, num_labels=4, overrides={"weights": str(tmp_path / "nanodet")})
    assert given.detector == "nanodet-g"
    assert choose_detection_recipe(num_images=150, num_labels=4, overrides={"epochs": 3, "flip": False}).epochs == 3
    with pytest.raises(ValueError, match="unknown recipe fields"):
        choose_detection_recipe(num_images=10, num_labels=1, overrides={"backbone": "x"})
    with pytest.raises(ValueError, match="unknown detector"):
        choose_detection_recipe(num_images=10, num_labels=1, overrides={"detector": "yolo"})


def test_the_input_size_keeps_the_small_boxes_visible(tmp_path: Path) -> None:
    from customlabels.training.detection.recipe import SMALL_BOX_PIXELS, input_size_for

    assert input_size_for([0.3] * 10) == 320  # big objects: the cheapest input
    assert input_size_for([0.3] * 5 + [0.06] * 5) == 416
    assert input_size_for([0.01] * 10) == 512  # the largest there is
    # A 1000x500 image whose 40x40 box is 4 % of the longer side: 24 px needs at least 600 px... capped.
    Image.new("RGB", (1000, 500)).save(tmp_path / "wide.png")
    sample = DetectionSample(tmp_path / "wide.png", (("logo", 10, 10, 40, 40),) * 3)
    recipe = choose_detection_recipe(num_images=1, num_labels=1, samples=[sample])
    assert recipe.image_size == 512 and 0.04 * recipe.image_size < SMALL_BOX_PIXELS
    big = DetectionSample(tmp_path / "wide.png", (("logo", 10, 10, 400, 300),))
    assert choose_detection_recipe(num_images=1, num_labels=1, samples=[big]).image_size == 320


def test_the_thread_probe_leaves_the_model_as_it_found_it() -> None:
    import os

    import torch

    from customlabels.training.detection.detectors import create_detector
    from customlabels.training.detection.threads import fastest_threads

    model = create_detector("tiny-test", num_labels=2, image_size=64).train()
    before = {name: value.clone() for name, value in model.state_dict().items()}
    threads = fastest_threads(model, batch_size=2, size=64)
    assert threads in (1, os.cpu_count()) and torch.get_num_threads() == threads
    assert model.training and all(p.grad is None for p in model.parameters())
    assert all(torch.equal(before[name], value) for name, value in model.state_dict().items())


def test_importing_the_training_api_does_not_import_torch() -> None:
    code = """
import sys
import customlabels.training, customlabels.training.detection
from customlabels.training.detection import choose_detection_recipe
choose_detection_recipe(num_images=10, num_labels=2)
import customlabels.serving.detection, customlabels.training.detection.letterbox, customlabels.training.detection.nms
assert "torch" not in sys.modules, "the training API and the detection decoder must not import torch"
"""
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
