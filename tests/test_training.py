import dataclasses
import json
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from customlabels.training import (
    Recipe,
    Sample,
    TrainingCancelled,
    choose_recipe,
    list_backbones,
    preprocess,
    train_classifier,
)
from customlabels.training.preprocess import input_spec, load_image, normalise
from customlabels.training.recipe import estimate_seconds
from customlabels.training.split import validation_split

SIZE = 64
TINY = {"backbone": "tiny-test", "epochs": 30, "batch_size": 8, "learning_rate": 0.01, "views": 2}


class Recorder:
    def __init__(self, cancel_after: int | None = None) -> None:
        self.reports: list[dict[str, object]] = []
        self.checks = 0
        self.cancel_after = cancel_after

    def report(
        self,
        *,
        step: str,
        epoch: int,
        epochs: int,
        fraction: float,
        eta_s: float | None,
        metrics: Mapping[str, float],
    ) -> None:
        self.reports.append({"step": step, "epoch": epoch, "epochs": epochs, "fraction": fraction, "eta_s": eta_s})

    def cancelled(self) -> bool:
        self.checks += 1
        return self.cancel_after is not None and self.checks > self.cancel_after


def square(path: Path, colours: list[tuple[int, int, int]], seed: int) -> Path:
    """A grey noisy background with one square per colour, at random places."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(90, 140, size=(SIZE, SIZE, 3)).astype(np.uint8)
    for colour in colours:
        top, left = rng.integers(0, SIZE // 2, size=2)
        pixels[top : top + SIZE // 2, left : left + SIZE // 2] = colour
    Image.fromarray(pixels).save(path, quality=95)
    return path


RED, BLUE = (220, 30, 30), (30, 30, 220)


@pytest.fixture(scope="module")
def red_blue(tmp_path_factory: pytest.TempPathFactory) -> list[Sample]:
    folder = tmp_path_factory.mktemp("red_blue")
    return [
        Sample(square(folder / f"{name}{index}.jpg", [colour], seed=index + 100 * number), (name,))
        for number, (name, colour) in enumerate((("red", RED), ("blue", BLUE)))
        for index in range(10)
    ]


@pytest.fixture(scope="module")
def red_and_blue(tmp_path_factory: pytest.TempPathFactory) -> list[Sample]:
    folder = tmp_path_factory.mktemp("red_and_blue")
    combinations: list[tuple[str, ...]] = [(), ("red",), ("blue",), ("red", "blue")]
    colours = {"red": RED, "blue": BLUE}
    return [
        Sample(square(folder / f"{number}_{index}.jpg", [colours[n] for n in names], seed=index + 10 * number), names)
        for number, names in enumerate(combinations)
        for index in range(6)
    ]


@pytest.fixture(scope="module")
def single_model(red_blue: list[Sample], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Recorder]:
    recorder = Recorder()
    recipe = choose_recipe(num_images=len(red_blue), num_labels=2, multi_label=False, overrides=TINY)
    out_dir = train_classifier(
        red_blue,
        labels=["red", "blue"],
        multi_label=False,
        recipe=recipe,
        progress=recorder,
        out_dir=tmp_path_factory.mktemp("single"),
    )
    return out_dir, recorder


def served(out_dir: Path, samples: list[Sample]) -> np.ndarray:
    import onnxruntime

    spec = json.loads((out_dir / "model.json").read_text())["input"]
    session = onnxruntime.InferenceSession(str(out_dir / "model.onnx"), providers=["CPUExecutionProvider"])
    batch = preprocess([load_image(sample.path) for sample in samples], spec)
    return session.run(None, {session.get_inputs()[0].name: batch})[0]


def test_importing_the_package_does_not_import_torch() -> None:
    code = "import sys, customlabels.training; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_single_label_learns_red_vs_blue(single_model: tuple[Path, Recorder], red_blue: list[Sample]) -> None:
    out_dir, _ = single_model
    probabilities = served(out_dir, red_blue)
    assert probabilities.shape == (len(red_blue), 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    predicted = ["red", "blue"]
    assert [predicted[i] for i in probabilities.argmax(axis=1)] == [sample.labels[0] for sample in red_blue]


def test_model_json_describes_the_onnx_input_and_output(single_model: tuple[Path, Recorder]) -> None:
    out_dir, _ = single_model
    description = json.loads((out_dir / "model.json").read_text())
    assert description["format_version"] == 1
    assert description["task"] == "classification"
    assert description["labels"] == ["red", "blue"]
    assert description["input"] == input_spec(SIZE)
    assert description["input"]["mean"] == 127.0 and description["input"]["std"] == 128.0
    assert description["output"] == "probabilities"
    assert description["backbone"] == "tiny-test"
    assert Recipe(**description["recipe"]).backbone == "tiny-test"


def test_progress_fraction_increases_to_one(single_model: tuple[Path, Recorder]) -> None:
    _, recorder = single_model
    fractions = [report["fraction"] for report in recorder.reports]
    assert len(fractions) >= 3
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0
    assert {"caching", "training", "exporting"} <= {report["step"] for report in recorder.reports}
    assert recorder.checks > len(recorder.reports)


def test_multi_label_learns_each_colour(red_and_blue: list[Sample], tmp_path: Path) -> None:
    recipe = choose_recipe(num_images=len(red_and_blue), num_labels=2, multi_label=True, overrides=TINY)
    out_dir = train_classifier(
        red_and_blue, labels=["red", "blue"], multi_label=True, recipe=recipe, progress=Recorder(), out_dir=tmp_path
    )
    probabilities = served(out_dir, red_and_blue)
    truth = np.array([[label in sample.labels for label in ("red", "blue")] for sample in red_and_blue])
    assert ((probabilities >= 0.5) == truth).all()
    assert json.loads((out_dir / "model.json").read_text())["task"] == "multi_label"


def test_onnx_gives_the_torch_probabilities(red_blue: list[Sample], tmp_path: Path) -> None:
    import torch

    from customlabels.training.export import export_model
    from customlabels.training.trainer import fit_classifier

    recipe = Recipe(**{**dataclasses.asdict(Recipe()), **TINY, "image_size": SIZE, "epochs": 2})
    fitted = fit_classifier(red_blue, labels=["red", "blue"], multi_label=False, recipe=recipe)
    export_model(fitted.model, tmp_path, labels=["red", "blue"], multi_label=False, recipe=recipe, validation={})
    with torch.inference_mode():
        spec = input_spec(SIZE)
        expected = fitted.model.eval()(torch.from_numpy(preprocess([load_image(s.path) for s in red_blue], spec)))
    np.testing.assert_allclose(served(tmp_path, red_blue), expected.numpy(), atol=1e-4)


def test_cancelling_stops_training_promptly(red_blue: list[Sample], tmp_path: Path) -> None:
    recorder = Recorder(cancel_after=3)
    recipe = choose_recipe(num_images=len(red_blue), num_labels=2, multi_label=False, overrides=TINY)
    began = time.monotonic()
    with pytest.raises(TrainingCancelled):
        train_classifier(
            red_blue, labels=["red", "blue"], multi_label=False, recipe=recipe, progress=recorder, out_dir=tmp_path
        )
    assert time.monotonic() - began < 5.0
    assert not (tmp_path / "model.onnx").exists()


def test_choose_recipe_defaults_and_overrides() -> None:
    recipe = choose_recipe(num_images=600, num_labels=10, multi_label=False)
    assert recipe.backbone == "efficientnet-lite0"
    assert recipe.image_size == 288  # above its native 224 px: measured better on clothing
    assert recipe.time_budget_s is not None
    # Small datasets train on every image; large ones hold a tenth out to stop early.
    assert recipe.validation_fraction == 0.0
    assert choose_recipe(num_images=5000, num_labels=10, multi_label=False).validation_fraction == 0.1
    overridden = choose_recipe(
        num_images=600,
        num_labels=10,
        multi_label=False,
        overrides={"backbone": "efficientnet-lite2", "epochs": 3, "learning_rate": 0.05},
    )
    assert (overridden.backbone, overridden.image_size, overridden.epochs) == ("efficientnet-lite2", 260, 3)
    assert overridden.learning_rate == 0.05
    with pytest.raises(ValueError, match="unknown recipe fields"):
        choose_recipe(num_images=10, num_labels=2, multi_label=False, overrides={"epoch": 3})
    with pytest.raises(ValueError, match="unknown backbone"):
        choose_recipe(num_images=10, num_labels=2, multi_label=False, overrides={"backbone": "resnet-9000"})
    assert set(list_backbones()) >= {"efficientnet-lite0", "efficientnet-lite1", "efficientnet-lite2", "tiny-test"}


def test_choose_recipe_fits_the_time_budget() -> None:
    for images, budget in ((600, None), (600, 60.0), (20_000, None), (20_000, 1800.0), (100_000, 3600.0)):
        recipe = choose_recipe(num_images=images, num_labels=10, multi_label=False, time_budget_s=budget)
        assert recipe.time_budget_s == (budget if budget is not None else recipe.time_budget_s)
        assert sum(estimate_seconds(recipe, images).values()) <= recipe.time_budget_s * 1.05 or recipe.epochs == 3
    small = choose_recipe(num_images=600, num_labels=10, multi_label=False, time_budget_s=60.0)
    default = choose_recipe(num_images=600, num_labels=10, multi_label=False)
    large = choose_recipe(num_images=20_000, num_labels=10, multi_label=False)
    assert (small.views, small.epochs) < (default.views, default.epochs)
    assert (large.views, large.epochs) < (default.views, default.epochs)
    assert large.time_budget_s is not None and default.time_budget_s is not None
    assert large.time_budget_s > default.time_budget_s
    pinned = choose_recipe(num_images=20_000, num_labels=10, multi_label=False, overrides={"views": 4, "epochs": 30})
    assert (pinned.views, pinned.epochs) == (4, 30)


def test_validation_split_is_stratified_and_keeps_rare_labels() -> None:
    samples = [Sample(Path(f"{label}{i}.jpg"), (label,)) for label, n in (("a", 50), ("b", 10), ("c", 2)) for i in range(n)]
    samples.append(Sample(Path("d0.jpg"), ("d",)))
    train, validation = validation_split(samples, fraction=0.1, seed=0)
    assert sorted(train + validation) == list(range(len(samples)))
    chosen = [samples[i].labels[0] for i in validation]
    assert (chosen.count("a"), chosen.count("b"), chosen.count("c"), chosen.count("d")) == (5, 1, 1, 0)
    assert validation_split(samples, fraction=0.1, seed=0) == (train, validation)


def test_preprocess_follows_the_spec(tmp_path: Path) -> None:
    spec = input_spec(32)
    flat = Image.new("RGB", (80, 50), (127, 255, 0))
    grey = Image.new("L", (20, 40), 127)
    batch = preprocess([flat, grey], spec)
    assert batch.shape == (2, 3, 32, 32) and batch.dtype == np.float32
    np.testing.assert_allclose(batch[0, :, 5, 5], [0.0, 1.0, -127 / 128])
    np.testing.assert_allclose(batch[1], 0.0)
    assert preprocess([], spec).shape == (0, 3, 32, 32)
    with pytest.raises(ValueError):
        preprocess([flat], {**spec, "resize": "center_crop"})


def test_normalise_scales_every_value_and_moves_channels_first() -> None:
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (2, 16, 24, 3)).astype(np.uint8)
    pixels[0, 0, :, 0] = np.arange(24)  # every value appears somewhere
    pixels[0, :, :, 1].flat[:256] = np.arange(256)
    batch = normalise(pixels, mean=127.0, std=128.0)
    assert batch.shape == (2, 3, 16, 24) and batch.dtype == np.float32 and batch.flags.c_contiguous
    expected = (pixels.astype(np.float64) - 127.0) / 128.0
    np.testing.assert_array_equal(batch, expected.transpose(0, 3, 1, 2).astype(np.float32))


def test_load_image_applies_exif_orientation(tmp_path: Path) -> None:
    pixels = np.zeros((20, 40, 3), dtype=np.uint8)
    pixels[:, :20] = RED
    image = Image.fromarray(pixels)
    exif = image.getexif()
    exif[0x0112] = 6  # rotated 90 degrees clockwise when displayed
    image.save(tmp_path / "rotated.jpg", exif=exif, quality=95)
    loaded = load_image(tmp_path / "rotated.jpg")
    assert loaded.size == (20, 40) and loaded.mode == "RGB"
    top, bottom = np.asarray(loaded)[2, 10], np.asarray(loaded)[-3, 10]
    assert top[0] > 150 and bottom[0] < 50


def test_lite0_loads_the_packaged_weights_and_sees_a_shoe(shared_data: Path) -> None:
    import torch

    from customlabels.training import create_backbone
    from customlabels.training.efficientnet_lite import convert_reference_keys, read_state_dict
    from customlabels.training.backbones import backbone_spec, package_weights_path

    model = create_backbone("efficientnet-lite0").eval()
    reference = convert_reference_keys(read_state_dict(package_weights_path(backbone_spec("efficientnet-lite0"))), 16)
    assert set(reference) == set(model.state_dict())
    shoe = load_image(sorted((shared_data / "clothing" / "train" / "shoes").glob("*.jpg"))[0])
    with torch.inference_mode():
        logits = model.imagenet_logits(torch.from_numpy(preprocess([shoe], input_spec(224))))
    top5 = set(logits.topk(5).indices[0].tolist())
    footwear = {502, 514, 630, 770, 774}  # clog, cowboy boot, loafer, running shoe, sandal
    assert top5 & footwear
