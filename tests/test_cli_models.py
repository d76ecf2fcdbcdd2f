"""Training, detecting and exporting from the command line, and using the exported model without customlabels."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.images import jpeg
from tests.server import TINY_RECIPE_JSON

COLORS = {"red": (220, 30, 30), "green": (30, 200, 30)}


def run(data_dir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "CUSTOMLABELS_TRAINING_RECIPE": TINY_RECIPE_JSON}
    result = subprocess.run([sys.executable, "-m", "customlabels", *args, "--data-dir", str(data_dir)], capture_output=True, text=True, timeout=300, env=env)
    if check and result.returncode != 0:
        raise AssertionError(f"{args} exited {result.returncode}: {result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="module")
def trained(tmp_path_factory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("cli-models")
    for split, count in (("train", 10), ("test", 4)):
        for name, rgb in COLORS.items():
            folder = root / split / name
            folder.mkdir(parents=True)
            for i in range(count):
                (folder / f"{i}.jpg").write_bytes(jpeg(64 + i, 64, rgb))
    data = root / "data"
    run(data, "projects", "create", "paint")
    run(data, "datasets", "import", "paint", str(root / "train"))
    run(data, "datasets", "import", "paint", str(root / "test"), "--type", "test")
    result = run(data, "models", "train", "paint", "--version", "v1", "--json")
    return data, root, json.loads(result.stdout)


def test_train_reports_the_evaluation(trained):
    data, _, described = trained
    assert described["Status"] == "TRAINING_COMPLETED"
    assert described["F1Score"] == 1.0
    assert set(described["Files"]) >= {"summary", "manifest_summary", "testing_output", "training_validation"}
    listed = json.loads(run(data, "models", "list", "paint", "--json").stdout)
    assert [(row["version"], row["status"]) for row in listed] == [("v1", "TRAINING_COMPLETED")]


def test_detect_without_a_server(trained):
    data, root, _ = trained
    image = root / "probe.jpg"
    image.write_bytes(jpeg(100, 80, COLORS["green"]))
    rows = json.loads(run(data, "detect", "paint", "v1", str(image), "--min-confidence", "0", "--json").stdout)
    assert [row["label"] for row in rows] == ["green", "red"]
    assert rows[0]["confidence"] > rows[1]["confidence"]


def test_exported_model_runs_with_onnxruntime_alone(trained, tmp_path):
    import onnxruntime
    from PIL import Image

    from customlabels.training.preprocess import preprocess

    data, root, _ = trained
    run(data, "export", "paint", "v1", str(tmp_path / "model"))
    spec = json.loads((tmp_path / "model" / "model.json").read_text())
    assert spec["labels"] == ["green", "red"] and set(spec["thresholds"]) == {"green", "red"}
    session = onnxruntime.InferenceSession(str(tmp_path / "model" / "model.onnx"), providers=["CPUExecutionProvider"])
    image = Image.new("RGB", (90, 70), COLORS["red"])
    probabilities = session.run(None, {session.get_inputs()[0].name: preprocess([image], spec["input"])})[0][0]
    assert spec["labels"][int(np.argmax(probabilities))] == "red"

    image_path = root / "probe-red.png"
    image.save(image_path)
    served = json.loads(run(data, "detect", "paint", "v1", str(image_path), "--min-confidence", "0", "--json").stdout)
    by_label = {row["label"]: row["confidence"] for row in served}
    for label, probability in zip(spec["labels"], probabilities, strict=True):
        assert by_label[label] == pytest.approx(probability * 100, abs=0.01)

    again = run(data, "export", "paint", "v1", str(tmp_path / "model"), check=False)
    assert again.returncode == 1 and "already holds" in again.stderr
