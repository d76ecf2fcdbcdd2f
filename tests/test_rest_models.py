"""Models through the REST API: train (tiny backbone), progress, evaluation, detection and suggestions."""

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.images import jpeg
from tests.server import ACCESS_KEY, SECRET_KEY, TINY_EPOCHS, TINY_RECIPE_JSON, RunningServer
from tests.test_rest_api import upload, wait_dataset

COLOURS = {"red": (220, 30, 30), "blue": (30, 30, 220)}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    server = RunningServer(tmp_path_factory.mktemp("rest-models") / "data", extra_env={"CUSTOMLABELS_TRAINING_RECIPE": TINY_RECIPE_JSON}).start()
    with httpx.Client(base_url=server.url + "/api/v1", auth=(ACCESS_KEY, SECRET_KEY), timeout=60) as client:
        yield client
    server.stop()


def wait_model(api: httpx.Client, name: str, *, until: tuple[str, ...], seen: list[dict] | None = None) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        model = api.get(f"/projects/colours/models/{name}").json()
        if seen is not None and model["progress"]:
            seen.append(model["progress"])
        if model["status"] in until:
            return model  # type: ignore[no-any-return]
        time.sleep(0.25)
    raise AssertionError(f"model {name} stayed {model['status']}")


@pytest.fixture(scope="module")
def trained(api: httpx.Client) -> dict:  # type: ignore[type-arg]
    api.post("/projects", json={"name": "colours"})
    files = {}
    for name, rgb in COLOURS.items():
        for i in range(10):
            shade = tuple(min(255, max(0, c + (i * 7) % 30 - 15)) for c in rgb)
            files[f"{name}/{name}-{i}.jpg"] = jpeg(64 + i, 64, shade)  # type: ignore[arg-type]
    for i in range(3):
        files[f"pool-{i}.jpg"] = jpeg(70, 64, (200 - 80 * i, 30, 30 + 80 * i))
    upload(api, "colours", "train", files)
    wait_dataset(api, "colours", "train")
    api.post("/projects/colours/datasets", json={"type": "test"})
    api.post("/projects/colours/distribute")
    wait_dataset(api, "colours", "train"), wait_dataset(api, "colours", "test")

    started = api.post("/projects/colours/models", json={"description": "first try"})
    assert started.status_code == 202, started.text
    assert started.json()["name"] == "v1" and started.json()["status"] == "TRAINING_IN_PROGRESS"
    early = api.get("/projects/colours/models/v1/evaluation")
    assert early.status_code == 409 and early.json()["code"] == "ResourceNotReady"
    seen: list[dict] = []  # type: ignore[type-arg]
    model = wait_model(api, "v1", until=("TRAINING_COMPLETED", "TRAINING_FAILED"), seen=seen)
    assert model["status"] == "TRAINING_COMPLETED", model["status_message"]
    return {"model": model, "progress": seen}


def test_training_reports_its_epochs_while_it_runs(trained: dict) -> None:  # type: ignore[type-arg]
    epochs = [p for p in trained["progress"] if p.get("epoch")]
    assert epochs, f"no epoch progress seen: {trained['progress']}"
    assert all(p["epochs"] == TINY_EPOCHS and 1 <= p["epoch"] <= TINY_EPOCHS and 0 <= p["fraction"] <= 1 for p in epochs)
    assert trained["model"]["progress"] is None and trained["model"]["task"] == "classification"


def test_a_second_training_gets_the_next_version_name(api: httpx.Client, trained: dict) -> None:  # type: ignore[type-arg]
    named = api.post("/projects/colours/models", json={"name": "v1"})
    assert named.status_code == 409 and "already has a model version named v1" in named.json()["detail"]
    models = api.get("/projects/colours/models").json()
    assert [m["name"] for m in models] == ["v1"]


def test_the_evaluation_has_per_label_metrics_a_confusion_matrix_and_curves(api: httpx.Client, trained: dict) -> None:  # type: ignore[type-arg]
    evaluation = api.get("/projects/colours/models/v1/evaluation").json()
    assert sorted(label["label"] for label in evaluation["labels"]) == ["blue", "red"]
    assert evaluation["testing_images"] == 4 and evaluation["f1_score"] == pytest.approx(trained["model"]["f1_score"])
    for label in evaluation["labels"]:
        assert 0 <= label["threshold"] <= 1 and label["testing_images"] == 2
    for row in evaluation["confusion_matrix"].values():
        assert sum(row.values()) == pytest.approx(1.0)
    for name, points in evaluation["precision_recall_curves"].items():
        recalls = [recall for recall, _, _ in points]
        thresholds = [threshold for _, _, threshold in points]
        assert recalls == sorted(recalls) and thresholds == sorted(thresholds, reverse=True), name
        assert all(0 <= precision <= 1 for _, precision, _ in points)


def test_test_images_are_filtered_by_outcome(api: httpx.Client, trained: dict) -> None:  # type: ignore[type-arg]
    url = "/projects/colours/models/v1/evaluation/images"
    everything = api.get(url).json()
    assert len(everything) == 4
    for outcome in ("true_positive", "false_positive", "false_negative"):
        for image in api.get(url, params={"outcome": outcome}).json():
            assert any(d["outcome"] == outcome for d in image["decisions"])
    only_red = api.get(url, params={"label": "red"}).json()
    assert only_red and all(any(d["label"] == "red" for d in image["decisions"]) for image in only_red)
    assert api.get(url, params={"outcome": "maybe"}).status_code == 422


def test_a_completed_training_has_a_clean_validation_report(api: httpx.Client, trained: dict) -> None:  # type: ignore[type-arg]
    assert api.get("/projects/colours/models/v1/validation").json() == {"errors": [], "lines": [], "more_lines": False}


def test_detect_needs_a_running_model_then_returns_every_label_with_its_threshold(api: httpx.Client, trained: dict) -> None:  # type: ignore[type-arg]
    image = {"image": ("red.jpg", jpeg(80, 64, (220, 30, 30)), "image/jpeg")}
    stopped = api.post("/projects/colours/models/v1/detect", files=image)
    assert stopped.status_code == 409 and stopped.json()["code"] == "ResourceNotReady"
    assert api.post("/projects/colours/models/v1/start", json={"inference_units": 1}).json() == {"status": "STARTING"}
    assert wait_model(api, "v1", until=("RUNNING", "FAILED"))["status"] == "RUNNING"

    found = api.post("/projects/colours/models/v1/detect", files=image).json()["labels"]
    assert sorted(label["name"] for label in found) == ["blue", "red"]
    assert all(0 <= label["confidence"] <= 100 and 0 <= label["threshold"] <= 1 for label in found)
    assert sum(label["confidence"] for label in found) == pytest.approx(100, abs=0.5)  # one softmax
    cut = api.post("/projects/colours/models/v1/detect", files=image, data={"min_confidence": "100"}).json()
    assert cut == {"labels": []}
    gif = api.post("/projects/colours/models/v1/detect", files={"image": ("a.gif", b"GIF89a" + b"\0" * 64, "image/gif")})
    assert gif.status_code == 415 and gif.json()["code"] == "InvalidImageFormat"


def test_suggestions_come_most_uncertain_first_and_are_accepted_or_corrected(api: httpx.Client, trained: dict) -> None:  # type: ignore[type-arg]
    assert api.get("/projects/colours/models/v1").json()["status"] == "RUNNING"
    unlabeled = api.get("/projects/colours/datasets/train/entries", params={"labeled": "false"}).json()["total"]
    assert unlabeled >= 2
    made = api.post("/projects/colours/suggestions", json={"model": "v1", "limit": 50}).json()
    assert made == {"changed": unlabeled}
    assert api.post("/projects/colours/suggestions", json={"model": "v1"}).json() == {"changed": 0}  # each image once

    page = api.get("/projects/colours/suggestions").json()
    assert page["waiting"] == unlabeled and page["unlabeled_without_suggestion"] == 0
    uncertainties = [s["uncertainty"] for s in page["suggestions"]]
    assert uncertainties == sorted(uncertainties, reverse=True)
    first, second = page["suggestions"][:2]
    assert len(first["suggested_labels"]) == 1 and first["suggested_labels"][0] == max(first["guesses"], key=lambda g: g["confidence"])["label"]

    accepted = api.post("/projects/colours/suggestions/accept", json={"source_ref": first["source_ref"]}).json()
    assert accepted["labels"] == first["suggested_labels"] and accepted["labeled"]
    corrected = api.post("/projects/colours/suggestions/accept", json={"source_ref": second["source_ref"], "labels": ["blue"]}).json()
    assert corrected["labels"] == ["blue"]
    assert api.get("/projects/colours/suggestions").json()["waiting"] == unlabeled - 2
    missing = api.post("/projects/colours/suggestions/accept", json={"source_ref": "s3://customlabels-datasets/colours/train/none.jpg"})
    assert missing.status_code == 404


def test_a_project_with_models_is_not_deleted_and_a_running_model_not_either(api: httpx.Client, trained: dict) -> None:  # type: ignore[type-arg]
    project = api.delete("/projects/colours")
    assert project.status_code == 409 and "delete them first" in project.json()["detail"]
    running = api.delete("/projects/colours/models/v1")
    assert running.status_code == 409 and "stop it" in running.json()["detail"]
    assert api.post("/projects/colours/models/v1/stop").json() == {"status": "STOPPING"}
    wait_model(api, "v1", until=("STOPPED",))
    assert api.delete("/projects/colours/models/v1").json() == {"status": "DELETING"}
