"""An object-localization model through an unchanged boto3 client: boxes in, boxes out (tiny test detector)."""

import io
import json
import uuid

import numpy as np
import pytest
from PIL import Image

from tests.images import detection_line, put
from tests.server import RunningServer
from tests.test_aws_datasets import wait_dataset

FAST = {"Delay": 1, "MaxAttempts": 300}
RECIPE = json.dumps({"detection": {"detector": "tiny-test"}})
RED = (230, 20, 20)


def noisy_image_with_rectangle(rng: np.random.Generator) -> tuple[bytes, tuple[int, int], tuple[int, int, int, int]]:
    width, height = (int(side) for side in rng.integers(96, 161, size=2))
    pixels = rng.integers(0, 256, (height, width, 3)).astype(np.uint8)
    box_width, box_height = int(width * rng.uniform(0.4, 0.7)), int(height * rng.uniform(0.4, 0.7))
    left, top = int(rng.integers(0, width - box_width)), int(rng.integers(0, height - box_height))
    pixels[top : top + box_height, left : left + box_width] = RED
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue(), (width, height), (left, top, box_width, box_height)


@pytest.fixture(scope="module")
def detector(tmp_path_factory):  # type: ignore[no-untyped-def]
    server = RunningServer(tmp_path_factory.mktemp("detection") / "data", extra_env={"CUSTOMLABELS_TRAINING_RECIPE": RECIPE}).start()
    client = server.client()
    rng = np.random.default_rng(0)
    project = client.create_project(ProjectName=f"boxes-{uuid.uuid4().hex[:6]}")["ProjectArn"]
    for kind, count in (("TRAIN", 12), ("TEST", 4)):
        lines = []
        for i in range(count):
            data, size, (left, top, w, h) = noisy_image_with_rectangle(rng)
            uri = put(server.data_dir / "buckets", "boxes", f"{kind}/{i}.png", data)
            lines.append(detection_line(uri, size, [("rect", left, top, w, h)]))
        put(server.data_dir / "buckets", "boxes", f"{kind}.manifest", "\n".join(lines).encode())
        source = {"GroundTruthManifest": {"S3Object": {"Bucket": "boxes", "Name": f"{kind}.manifest"}}}
        client.create_dataset(ProjectArn=project, DatasetType=kind, DatasetSource=source)
    for dataset in client.describe_projects(ProjectNames=[project.split("/")[1]])["ProjectDescriptions"][0]["Datasets"]:
        assert wait_dataset(client, dataset["DatasetArn"])["Status"] == "CREATE_COMPLETE"
    version = client.create_project_version(ProjectArn=project, VersionName="v1", OutputConfig={"S3Bucket": "out"})["ProjectVersionArn"]
    client.get_waiter("project_version_training_completed").wait(ProjectArn=project, VersionNames=["v1"], WaiterConfig=FAST)
    yield server, client, project, version, rng
    server.stop()


def test_the_summary_reports_boxes(detector):
    server, client, project, _, _ = detector
    [v] = client.describe_project_versions(ProjectArn=project)["ProjectVersionDescriptions"]
    location = v["EvaluationResult"]["Summary"]["S3Object"]
    summary = json.loads((server.data_dir / "buckets" / location["Bucket"] / location["Name"]).read_bytes())
    metrics = summary["AggregatedEvaluationResults"]
    assert {"AveragePrecision", "AverageRecall", "F1Score"} <= set(metrics)
    assert summary["EvaluationDetails"]["IoUThreshold"] == 0.5
    assert [r["Label"] for r in summary["LabelEvaluationResults"]] == ["rect"]
    manifest_summary = json.loads((server.data_dir / "buckets" / v["ManifestSummary"]["S3Object"]["Bucket"] / v["ManifestSummary"]["S3Object"]["Name"]).read_bytes())
    assert manifest_summary["statistics"]["training"]["use_case"] == "OBJECT_LOCALIZATION"


def test_detect_returns_labels_with_geometry(detector):
    server, client, project, version, rng = detector
    client.start_project_version(ProjectVersionArn=version, MinInferenceUnits=1)
    client.get_waiter("project_version_running").wait(ProjectArn=project, VersionNames=["v1"], WaiterConfig=FAST)
    data, (width, height), (left, top, w, h) = noisy_image_with_rectangle(rng)
    labels = client.detect_custom_labels(ProjectVersionArn=version, Image={"Bytes": data}, MinConfidence=0)["CustomLabels"]
    assert labels and all(label["Name"] == "rect" and "Geometry" in label for label in labels)
    assert [l["Confidence"] for l in labels] == sorted((l["Confidence"] for l in labels), reverse=True)
    box = labels[0]["Geometry"]["BoundingBox"]
    found = (box["Left"] * width, box["Top"] * height, box["Width"] * width, box["Height"] * height)
    assert _iou(found, (left, top, w, h)) > 0.5, (found, (left, top, w, h))
    assert len(client.detect_custom_labels(ProjectVersionArn=version, Image={"Bytes": data}, MinConfidence=0, MaxResults=1)["CustomLabels"]) == 1
    # A threshold leaves out exactly the boxes below it, whether MinConfidence or the label's assumed one.
    [v] = client.describe_project_versions(ProjectArn=project, VersionNames=["v1"])["ProjectVersionDescriptions"]
    location = v["EvaluationResult"]["Summary"]["S3Object"]
    summary = json.loads((server.data_dir / "buckets" / location["Bucket"] / location["Name"]).read_bytes())
    assumed = summary["LabelEvaluationResults"][0]["Metrics"]["Threshold"] * 100
    for options, cut in (({"MinConfidence": 50}, 50), ({}, assumed)):
        kept = client.detect_custom_labels(ProjectVersionArn=version, Image={"Bytes": data}, **options)["CustomLabels"]
        assert kept == [label for label in labels if label["Confidence"] >= cut]
    client.stop_project_version(ProjectVersionArn=version)


def _iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    left, top = max(a[0], b[0]), max(a[1], b[1])
    right, bottom = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0.0, right - left) * max(0.0, bottom - top)
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)
