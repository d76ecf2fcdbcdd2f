import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import pytest
from PIL import Image

from customlabels.errors import (
    ProvisionedThroughputExceeded,
    ResourceInUse,
    ResourceNotReady,
)
from customlabels.images import (
    DETECT_MAX_BYTES,
    ImageTooLarge,
    UnsupportedImageFormat,
    decode_image,
)
from customlabels.serving.bundle import InvalidBundle
from customlabels.serving.predictor import Prediction, Predictor
from customlabels.serving.preprocessing import Preprocess
from customlabels.serving.registry import RunningModels
from customlabels.serving import worker as worker_module
from customlabels.serving.units import (
    InferenceFailed,
    InferenceUnits,
    NotRunning,
    Overloaded,
)

SIZE = 32
MEAN, STD = 127.0, 128.0
# Images of several sizes and aspect ratios, all within the service's limits.
SHAPES = [(64, 64), (640, 480), (480, 640), (100, 1900), (3000, 200)]


def simple_preprocess(images: Sequence[Image.Image], spec: Mapping[str, Any]) -> np.ndarray:
    size, mean, std = spec["size"], spec["mean"], spec["std"]
    resized = [image.convert("RGB").resize((size, size), Image.Resampling.BILINEAR) for image in images]
    batch = (np.stack([np.asarray(image, dtype=np.float32) for image in resized]) - mean) / std
    return np.ascontiguousarray(batch.transpose(0, 3, 1, 2), dtype=np.float32)


def _trainer_preprocess() -> Preprocess | None:
    try:
        from customlabels.training.preprocess import preprocess
    except ImportError:
        return None
    return preprocess


# The trainer's preprocessing when it exists (and then serving must use it by default); until then the
# plain resize-and-normalise that model.json describes, injected.
TRAINER_PREPROCESS = _trainer_preprocess()
PREPROCESS: Preprocess = TRAINER_PREPROCESS or simple_preprocess
INJECTED: dict[str, Preprocess] = {} if TRAINER_PREPROCESS else {"preprocess": simple_preprocess}


@dataclass(frozen=True)
class Bundles:
    classifier: Path
    multi_label: Path
    slow: Path


def _export(module: Any, folder: Path, *, task: str, labels: list[str]) -> Path:
    import torch

    folder.mkdir()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # why: the TorchScript exporter announces its own deprecation
        torch.onnx.export(
            module.eval(),
            (torch.zeros(1, 3, SIZE, SIZE),),
            str(folder / "model.onnx"),
            input_names=["image"],
            output_names=["probabilities"],
            dynamic_axes={"image": {0: "batch"}, "probabilities": {0: "batch"}},
            dynamo=False,
        )
    spec = {
        "format_version": 1,
        "task": task,
        "labels": labels,
        "input": {
            "size": SIZE, "layout": "NCHW", "color": "RGB", "resize": "stretch_bilinear", "mean": MEAN, "std": STD
        },
        "output": "probabilities",
    }
    (folder / "model.json").write_text(json.dumps(spec))
    return folder


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> Bundles:
    import torch
    from torch import nn

    torch.manual_seed(0)

    class Pooled(nn.Module):
        def __init__(self, labels: int, sigmoid: bool) -> None:
            super().__init__()
            self.pool = nn.AvgPool2d(8)
            self.fc = nn.Linear(3 * 4 * 4, labels)
            self.sigmoid = sigmoid

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            logits = 4 * self.fc(self.pool(x).flatten(1))
            return torch.sigmoid(logits) if self.sigmoid else torch.softmax(logits, dim=1)

    class Slow(nn.Module):
        """About a tenth of a second per image on one thread: six 384x1024 by 1024x1024 matmuls."""

        def __init__(self) -> None:
            super().__init__()
            self.weight = nn.Parameter(torch.randn(SIZE * SIZE, SIZE * SIZE) / SIZE)
            self.fc = nn.Linear(SIZE * SIZE, 3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            hidden = x.flatten(2).repeat(1, 128, 1)
            for _ in range(6):
                hidden = torch.tanh(hidden @ self.weight)
            return torch.softmax(self.fc(hidden.mean(1)), dim=1)

    root = tmp_path_factory.mktemp("bundles")
    return Bundles(
        classifier=_export(
            Pooled(3, sigmoid=False), root / "classifier", task="classification", labels=["cat", "dog", "fox"]
        ),
        multi_label=_export(
            Pooled(4, sigmoid=True), root / "multi", task="multi_label", labels=["red", "green", "blue", "round"]
        ),
        slow=_export(Slow(), root / "slow", task="classification", labels=["a", "b", "c"]),
    )


def photo(width: int, height: int, seed: int = 0, image_format: str = "JPEG") -> bytes:
    """Smooth colour gradients with a little noise, so each image gets its own probabilities."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    phase = rng.uniform(0, 2 * np.pi, 3)
    channels = [127 + 120 * np.sin(xs / width * (2 + c) + ys / height * (3 - c) + phase[c]) for c in range(3)]
    pixels = np.stack(channels, axis=-1) + rng.normal(0, 4, (height, width, 3))
    buffer = io.BytesIO()
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(buffer, image_format)
    return buffer.getvalue()


def direct_probabilities(bundle: Path, images: Sequence[Image.Image]) -> np.ndarray:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(bundle / "model.onnx"), options, providers=["CPUExecutionProvider"])
    spec = json.loads((bundle / "model.json").read_text())
    probabilities: np.ndarray = session.run(None, {"image": PREPROCESS(images, spec["input"])})[0]
    return probabilities


def assert_matches(predictions: list[Prediction], labels: Sequence[str], expected: np.ndarray) -> None:
    assert sorted(p.label for p in predictions) == sorted(labels)
    confidences = [p.confidence for p in predictions]
    assert confidences == sorted(confidences, reverse=True)
    assert all(0.0 <= c <= 1.0 and p.box is None for c, p in zip(confidences, predictions, strict=True))
    by_label = {p.label: p.confidence for p in predictions}
    np.testing.assert_allclose([by_label[label] for label in labels], expected, rtol=1e-5, atol=1e-6)


def children() -> set[int]:
    mine = str(os.getpid())
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "stat").read_text().rsplit(")", 1)[1].split()[1] == mine:
                found.add(int(entry.name))
        except (OSError, IndexError):
            pass
    return found


def unit_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith("unit-")]


@pytest.fixture
def start_units() -> Iterator[Callable[..., InferenceUnits]]:
    started: list[InferenceUnits] = []

    def start(bundle: Path, **options: Any) -> InferenceUnits:
        units = InferenceUnits(bundle, **{"units": 1, **INJECTED, **options})
        started.append(units)
        return units

    yield start
    for units in started:
        units.close()


def test_predictor_ranks_every_label_with_its_probability(bundles: Bundles) -> None:
    images = [decode_image(photo(width, height, seed)) for seed, (width, height) in enumerate(SHAPES)]
    predictor = Predictor(bundles.classifier, **INJECTED)

    results = predictor.predict(images)

    assert predictor.labels == ("cat", "dog", "fox") and predictor.task == "classification"
    assert predictor.spec["input"]["size"] == SIZE
    expected = direct_probabilities(bundles.classifier, images)
    assert len(results) == len(images)
    for predictions, row in zip(results, expected, strict=True):
        assert_matches(predictions, predictor.labels, row)
        assert sum(p.confidence for p in predictions) == pytest.approx(1.0, abs=1e-5)
    assert len({tuple(row.round(6)) for row in expected}) == len(images), "the test images should differ"
    assert predictor.predict([]) == []


def test_multi_label_probabilities_are_independent(bundles: Bundles) -> None:
    images = [decode_image(photo(300, 200, seed)) for seed in range(3)]
    predictor = Predictor(bundles.multi_label, threads=2, **INJECTED)

    results = predictor.predict(images)

    for predictions, row in zip(results, direct_probabilities(bundles.multi_label, images), strict=True):
        assert_matches(predictions, predictor.labels, row)
    assert any(abs(sum(p.confidence for p in predictions) - 1) > 0.05 for predictions in results)


def test_detect_matches_a_direct_run_for_every_size_and_aspect_ratio(
    bundles: Bundles, start_units: Callable[..., InferenceUnits]
) -> None:
    units = start_units(bundles.classifier, units=2)
    for seed, (width, height) in enumerate(SHAPES):
        for image_format in ("JPEG", "PNG"):
            data = photo(width, height, seed, image_format)
            expected = direct_probabilities(bundles.classifier, [decode_image(data)])[0]
            assert_matches(units.detect(data), ("cat", "dog", "fox"), expected)
    assert units.units == 2 and units.capacity == 6


def test_bad_images_are_refused_in_the_caller_and_free_their_slot(
    bundles: Bundles, start_units: Callable[..., InferenceUnits]
) -> None:
    units = start_units(bundles.classifier, queue_per_unit=0)
    with pytest.raises(UnsupportedImageFormat):
        units.detect(b"definitely not an image")
    with pytest.raises(UnsupportedImageFormat):
        units.detect(photo(64, 64)[:200])
    with pytest.raises(ImageTooLarge):
        units.detect(b"\xff\xd8\xff" + bytes(5 * 1024 * 1024))
    with pytest.raises(ImageTooLarge):
        units.detect(bytes(DETECT_MAX_BYTES + 1), max_bytes=DETECT_MAX_BYTES)

    data = photo(64, 64)
    expected = direct_probabilities(bundles.classifier, [decode_image(data)])[0]
    assert_matches(units.detect(data), ("cat", "dog", "fox"), expected)


def test_a_burst_beyond_capacity_is_refused_at_once_and_the_rest_answered(
    bundles: Bundles, start_units: Callable[..., InferenceUnits]
) -> None:
    units = start_units(bundles.slow, units=1, queue_per_unit=2)
    data = photo(200, 150)
    expected = direct_probabilities(bundles.slow, [decode_image(data)])[0]
    burst = 20
    barrier = threading.Barrier(burst)

    def call() -> tuple[list[Prediction] | None, float]:
        barrier.wait()
        started = time.perf_counter()
        try:
            return units.detect(data), time.perf_counter() - started
        except Overloaded:
            return None, time.perf_counter() - started

    with ThreadPoolExecutor(burst) as pool:
        outcomes = [future.result() for future in [pool.submit(call) for _ in range(burst)]]

    answered = [predictions for predictions, _ in outcomes if predictions is not None]
    refusals = [seconds for predictions, seconds in outcomes if predictions is None]
    assert len(answered) >= units.capacity and len(refusals) >= burst // 2
    assert max(refusals) < 0.05, f"refusals took up to {max(refusals) * 1000:.0f} ms"
    for predictions in answered:
        assert_matches(predictions, ("a", "b", "c"), expected)
    assert units.in_flight == 0
    assert issubclass(Overloaded, ProvisionedThroughputExceeded)


class GatedWorker:
    """A stand-in worker whose runs after the first (the start-up probe) wait for the test to open the gate."""

    def __init__(self, gate: threading.Event, entered: threading.Event) -> None:
        self.gate, self.entered, self.runs, self.closed = gate, entered, 0, False

    def run(self, batch: np.ndarray) -> list[np.ndarray]:
        self.runs += 1
        if self.runs > 1:
            self.entered.set()
            assert self.gate.wait(10)
        return [np.array([[0.2, 0.5, 0.3]], dtype=np.float32)]

    def kill(self) -> None:
        self.gate.set()

    def close(self) -> None:
        self.closed = True


def test_close_fails_queued_requests_and_lets_the_running_one_finish(bundles: Bundles) -> None:
    gate, entered, workers = threading.Event(), threading.Event(), []

    def start_worker(model: Path) -> GatedWorker:
        workers.append(GatedWorker(gate, entered))
        return workers[-1]

    units = InferenceUnits(bundles.classifier, units=1, queue_per_unit=2, start_worker=start_worker, **INJECTED)
    data = photo(64, 64)
    with ThreadPoolExecutor(4) as pool:
        running = pool.submit(units.detect, data)
        assert entered.wait(10)
        queued = [pool.submit(units.detect, data) for _ in range(2)]
        while units._requests.qsize() < 2:  # decoded and waiting for the unit, not still being decoded
            time.sleep(0.001)
        assert units.in_flight == units.capacity
        with pytest.raises(Overloaded):
            units.detect(data)

        closing = pool.submit(units.close)
        for future in queued:
            with pytest.raises(NotRunning, match="stopped"):
                future.result(timeout=10)
        assert not running.done()
        gate.set()
        assert [p.label for p in running.result(timeout=10)] == ["dog", "fox", "cat"]
        closing.result(timeout=10)
    assert units.in_flight == 0 and [w.closed for w in workers] == [True] and unit_threads() == []


def test_a_timed_out_request_gives_its_slot_back(bundles: Bundles, start_units: Callable[..., InferenceUnits]) -> None:
    units = start_units(bundles.slow, queue_per_unit=1)
    data = photo(64, 64)
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(units.detect, data)
        while units.in_flight == 0:
            time.sleep(0.001)
        with pytest.raises(TimeoutError):
            units.detect(data, timeout=0.01)
        assert first.result(timeout=30)
    deadline = time.monotonic() + 5
    while units.in_flight:
        assert time.monotonic() < deadline, "the timed-out request kept its slot"
        time.sleep(0.001)
    assert units.detect(data)


def test_close_stops_the_workers_and_refuses_further_requests(bundles: Bundles) -> None:
    before = children()
    units = InferenceUnits(bundles.classifier, units=2, **INJECTED)
    workers = children() - before
    assert len(workers) == 2 and len(unit_threads()) == 2
    assert units.detect(photo(64, 64))

    units.close()
    units.close()

    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)
    assert unit_threads() == []
    with pytest.raises(NotRunning):
        units.detect(photo(64, 64))
    assert issubclass(NotRunning, ResourceNotReady)


def test_a_crashed_worker_fails_its_request_and_is_replaced(
    bundles: Bundles, start_units: Callable[..., InferenceUnits]
) -> None:
    before = children()
    units = start_units(bundles.classifier)
    (worker,) = children() - before
    os.kill(worker, signal.SIGKILL)

    with pytest.raises(InferenceFailed, match="exited with code"):
        units.detect(photo(64, 64))
    assert units.detect(photo(64, 64))
    assert not Path(f"/proc/{worker}").exists()
    assert len(children() - before) == 1


def test_a_worker_runs_batches_through_shared_memory_and_larger_ones_through_its_pipe(
    bundles: Bundles, monkeypatch: pytest.MonkeyPatch
) -> None:
    images = [Image.open(io.BytesIO(photo(64, 48, seed))).convert("RGB") for seed in range(4)]
    spec = json.loads((bundles.classifier / "model.json").read_text())
    batches = [PREPROCESS(images[:1], spec["input"]), PREPROCESS(images, spec["input"])]
    expected = [direct_probabilities(bundles.classifier, images[:1]), direct_probabilities(bundles.classifier, images)]
    one_image = batches[0].nbytes
    monkeypatch.setattr(worker_module, "SHARED_BYTES", one_image)  # so the four-image batch does not fit
    worker = worker_module.WorkerProcess(bundles.classifier / "model.onnx")
    try:
        for _ in range(2):  # each batch twice, alternately: the region is reused, never stale
            for batch, probabilities in zip(batches, expected, strict=True):
                np.testing.assert_allclose(worker.run(batch)[0], probabilities, rtol=1e-5, atol=1e-6)
    finally:
        worker.close()


def test_bundles_that_cannot_run_are_refused_without_leftovers(bundles: Bundles, tmp_path: Path) -> None:
    spec = json.loads((bundles.classifier / "model.json").read_text())
    detection = tmp_path / "detection"
    detection.mkdir()
    (detection / "model.onnx").write_bytes((bundles.classifier / "model.onnx").read_bytes())
    (detection / "model.json").write_text(json.dumps({**spec, "task": "detection"}))
    with pytest.raises(InvalidBundle, match="detection"):
        InferenceUnits(detection, units=1, **INJECTED)
    (detection / "model.json").write_text(json.dumps({**spec, "thresholds": {"cat": 2}}))
    with pytest.raises(InvalidBundle, match="threshold"):
        Predictor(detection, **INJECTED)

    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "model.onnx").write_bytes(b"not an onnx model")
    (corrupt / "model.json").write_text(json.dumps({**spec, "thresholds": {"cat": 0.25}}))
    before = children()
    with pytest.raises(InvalidBundle, match="cannot load"):
        InferenceUnits(corrupt, units=2, **INJECTED)
    assert children() == before and unit_threads() == []

    mismatched = tmp_path / "mismatched"
    mismatched.mkdir()
    (mismatched / "model.onnx").write_bytes((bundles.classifier / "model.onnx").read_bytes())
    (mismatched / "model.json").write_text(json.dumps({**spec, "labels": ["cat", "dog", "fox", "owl"]}))
    with pytest.raises(InvalidBundle, match="shape"):
        Predictor(mismatched, **INJECTED)
    with pytest.raises(InvalidBundle, match="shape"):
        InferenceUnits(mismatched, units=1, **INJECTED)
    unsupported = {**spec, "input": {**spec["input"], "resize": "letterbox"}}
    (mismatched / "model.json").write_text(json.dumps(unsupported))
    if TRAINER_PREPROCESS is not None:
        with pytest.raises(InvalidBundle, match="input cannot be prepared"):
            InferenceUnits(mismatched, units=1)
    assert children() == before and unit_threads() == []


def test_running_models_start_get_stop_and_close_all(bundles: Bundles) -> None:
    before = children()
    models = RunningModels(**INJECTED)
    first = "arn:aws:rekognition:us-east-1:123456789012:project/p/version/v1/1"
    second = "arn:aws:rekognition:us-east-1:123456789012:project/p/version/v2/2"
    started = models.start(first, bundles.classifier, 1)
    models.start(second, bundles.multi_label, 1)

    assert models.get(first) is started and models.arns() == {first, second}
    assert models.get("arn:unknown") is None
    with pytest.raises(ResourceInUse):
        models.start(first, bundles.classifier, 1)
    assert [p.label for p in started.detect(photo(64, 64))] != []

    assert models.stop(first) is True
    assert models.stop(first) is False
    assert models.get(first) is None and models.arns() == {second}
    with pytest.raises(NotRunning):
        started.detect(photo(64, 64))

    models.close_all()
    assert models.arns() == frozenset() and children() == before and unit_threads() == []
    with pytest.raises(NotRunning):
        models.start(first, bundles.classifier, 1)


def test_stopping_a_model_while_it_starts_makes_the_start_fail(bundles: Bundles) -> None:
    models = RunningModels(**INJECTED)
    arn = "arn:aws:rekognition:us-east-1:123456789012:project/p/version/v1/1"
    before = children()
    with ThreadPoolExecutor(1) as pool:
        starting = pool.submit(models.start, arn, bundles.classifier, 1)
        while not models.stop(arn):
            assert not starting.done()
            time.sleep(0.001)
        with pytest.raises(NotRunning, match="while it was starting"):
            starting.result()
    assert models.get(arn) is None and children() == before


def test_thresholds_come_from_model_json(bundles: Bundles, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "model.onnx").write_bytes((bundles.classifier / "model.onnx").read_bytes())
    spec = json.loads((bundles.classifier / "model.json").read_text())
    (bundle / "model.json").write_text(json.dumps({**spec, "thresholds": {"cat": 0.25, "dog": 1}}))
    units = InferenceUnits(bundle, units=1, **INJECTED)
    try:
        assert units.thresholds == {"cat": 0.25, "dog": 1.0}
    finally:
        units.close()


def test_serving_does_not_load_the_training_stack() -> None:
    code = """
import sys
import customlabels.serving.registry, customlabels.serving.units
assert "onnxruntime" not in sys.modules, "the server runs models in worker processes"
import customlabels.serving.predictor, customlabels.serving.worker
from customlabels.serving.preprocessing import training_preprocess
training_preprocess()
assert "torch" not in sys.modules, "serving must not import torch"
"""
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
