"""Train, evaluate, start, detect, stop and delete a model through an unchanged boto3 client.

The server trains the tiny test backbone (CUSTOMLABELS_TRAINING_RECIPE) so the whole life of a model takes seconds.
"""

import base64
import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from tests.images import classification_line, jpeg, png, put
from tests.server import RunningServer, TINY_RECIPE_JSON
from tests.test_aws_datasets import wait_dataset

FAST = {"Delay": 1, "MaxAttempts": 180}
COLORS = {"red": (220, 30, 30), "blue": (30, 30, 220)}


@pytest.fixture(scope="module")
def model_server(tmp_path_factory):  # type: ignore[no-untyped-def]
    server = RunningServer(
        tmp_path_factory.mktemp("models") / "data", extra_env={"CUSTOMLABELS_TRAINING_RECIPE": TINY_RECIPE_JSON}
    ).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def client(model_server):  # type: ignore[no-untyped-def]
    return model_server.client()


def code(call, **kwargs) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"]


def colour_lines(server: RunningServer, prefix: str, per_label: int, labels: dict[str, tuple[int, int, int]] = COLORS) -> list[str]:
    buckets = server.data_dir / "buckets"
    lines = []
    for name, rgb in labels.items():
        for i in range(per_label):
            shade = tuple(min(255, max(0, c + (i * 7) % 30 - 15)) for c in rgb)
            uri = put(buckets, "images", f"{prefix}/{name}-{i}.jpg", jpeg(64 + i, 64, shade))
            lines.append(classification_line(uri, name))
    return lines


def dataset(client, server: RunningServer, project: str, kind: str, lines: list[str]) -> str:  # type: ignore[no-untyped-def]
    key = f"manifests/{uuid.uuid4().hex}.manifest"
    put(server.data_dir / "buckets", "images", key, ("\n".join(lines) + "\n").encode())
    source = {"GroundTruthManifest": {"S3Object": {"Bucket": "images", "Name": key}}}
    arn = client.create_dataset(ProjectArn=project, DatasetType=kind, DatasetSource=source)["DatasetArn"]
    assert wait_dataset(client, arn)["Status"] == "CREATE_COMPLETE"
    return arn


def read_object(server: RunningServer, s3_object: dict) -> bytes:  # type: ignore[type-arg]
    return (server.data_dir / "buckets" / s3_object["Bucket"] / s3_object["Name"]).read_bytes()


@pytest.fixture(scope="module")
def trained(client, model_server):  # type: ignore[no-untyped-def]
    """A project with colour datasets and a trained model version."""
    project = client.create_project(ProjectName=f"colours-{uuid.uuid4().hex[:6]}")["ProjectArn"]
    dataset(client, model_server, project, "TRAIN", colour_lines(model_server, "train", 12))
    dataset(client, model_server, project, "TEST", colour_lines(model_server, "test", 4))
    version = client.create_project_version(
        ProjectArn=project, VersionName="v1", OutputConfig={"S3Bucket": "outputs", "S3KeyPrefix": "colours"}, VersionDescription="first try"
    )["ProjectVersionArn"]
    [described] = client.describe_project_versions(ProjectArn=project, VersionNames=["v1"])["ProjectVersionDescriptions"]
    assert described["Status"] == "TRAINING_IN_PROGRESS"
    client.get_waiter("project_version_training_completed").wait(ProjectArn=project, VersionNames=["v1"], WaiterConfig=FAST)
    return project, version


def test_training_writes_what_aws_writes(client, model_server, trained):
    project, version = trained
    [v] = client.describe_project_versions(ProjectArn=project, VersionNames=["v1"])["ProjectVersionDescriptions"]
    assert v["ProjectVersionArn"] == version
    assert v["Status"] == "TRAINING_COMPLETED"
    assert v["VersionDescription"] == "first try"
    assert v["BillableTrainingTimeInSeconds"] >= 0 and v["TrainingEndTimestamp"] >= v["CreationTimestamp"]
    assert v["OutputConfig"] == {"S3Bucket": "outputs", "S3KeyPrefix": "colours"}

    summary = json.loads(read_object(model_server, v["EvaluationResult"]["Summary"]["S3Object"]))
    assert v["EvaluationResult"]["Summary"]["S3Object"]["Name"].endswith(f"EvaluationSummary-{project.split('/')[1]}-v1.json")
    assert summary["EvaluationDetails"]["ProjectVersionArn"] == version
    assert summary["EvaluationDetails"]["NumberOfTrainingImages"] == 24
    assert summary["EvaluationDetails"]["NumberOfTestingImages"] == 8
    assert {r["Label"] for r in summary["LabelEvaluationResults"]} == {"red", "blue"}
    assert v["EvaluationResult"]["F1Score"] == pytest.approx(summary["AggregatedEvaluationResults"]["F1Score"])
    assert v["EvaluationResult"]["F1Score"] == 1.0  # red vs blue is learnable even by the tiny backbone
    assert len(summary["AggregatedEvaluationResults"]["ConfusionMatrix"]) == 4

    manifest_summary = json.loads(read_object(model_server, v["ManifestSummary"]["S3Object"]))
    training = manifest_summary["statistics"]["training"]
    assert (training["use_case"], training["total_json_lines"], training["valid_json_lines"]) == ("IMAGE_LEVEL_LABELS", 24, 24)
    for side, count in (("TrainingDataResult", 24), ("TestingDataResult", 8)):
        validation = read_object(model_server, v[side]["Validation"]["Assets"][0]["GroundTruthManifest"]["S3Object"])
        assert len(validation.decode().splitlines()) == count
    snapshot = read_object(model_server, v["TestingDataResult"]["Output"]["Assets"][0]["GroundTruthManifest"]["S3Object"])
    lines = [json.loads(line) for line in snapshot.decode().splitlines()]
    assert len(lines) == 8
    details = [m["rekognition-custom-labels-evaluation-details"] for line in lines for k, m in line.items() if k.startswith("rekognition-custom-labels-evaluation-") and k.endswith("-metadata")]
    assert details and all(d["is-true-positive"] or d["is-false-positive"] or d["is-false-negative"] for d in details)


def test_start_detect_stop_delete(client, model_server, trained):
    project, version = trained
    assert code(client.detect_custom_labels, ProjectVersionArn=version, Image={"Bytes": jpeg(color=COLORS["red"])}) == (
        "ResourceNotReadyException"
    )
    assert client.start_project_version(ProjectVersionArn=version, MinInferenceUnits=1)["Status"] == "STARTING"
    client.get_waiter("project_version_running").wait(ProjectArn=project, VersionNames=["v1"], WaiterConfig=FAST)
    [v] = client.describe_project_versions(ProjectArn=project, VersionNames=["v1"])["ProjectVersionDescriptions"]
    assert v["MinInferenceUnits"] == 1

    for name, rgb in COLORS.items():
        labels = client.detect_custom_labels(ProjectVersionArn=version, Image={"Bytes": png(90, 70, rgb)})["CustomLabels"]
        assert labels[0]["Name"] == name
    everything = client.detect_custom_labels(ProjectVersionArn=version, Image={"Bytes": jpeg(color=COLORS["red"])}, MinConfidence=0)["CustomLabels"]
    assert [l["Name"] for l in everything] == ["red", "blue"]
    assert everything[0]["Confidence"] >= everything[1]["Confidence"] and 0 <= everything[1]["Confidence"] <= 100
    assert "Geometry" not in everything[0]
    top = client.detect_custom_labels(ProjectVersionArn=version, Image={"Bytes": jpeg(color=COLORS["red"])}, MinConfidence=0, MaxResults=1)
    assert [l["Name"] for l in top["CustomLabels"]] == ["red"]
    strict = client.detect_custom_labels(ProjectVersionArn=version, Image={"Bytes": jpeg(color=COLORS["red"])}, MinConfidence=100)
    assert all(l["Confidence"] >= 100 for l in strict["CustomLabels"])

    summary = json.loads(read_object(model_server, v["EvaluationResult"]["Summary"]["S3Object"]))
    thresholds = {r["Label"]: r["Metrics"]["Threshold"] * 100 for r in summary["LabelEvaluationResults"]}
    default = client.detect_custom_labels(ProjectVersionArn=version, Image={"Bytes": jpeg(color=COLORS["blue"])})["CustomLabels"]
    assert default and all(l["Confidence"] >= thresholds[l["Name"]] for l in default)
    assert {l["Name"] for l in everything if l["Confidence"] >= thresholds[l["Name"]]} == {l["Name"] for l in client.detect_custom_labels(ProjectVersionArn=version, Image={"Bytes": jpeg(color=COLORS["red"])})["CustomLabels"]}

    put(model_server.data_dir / "buckets", "images", "probe/red.png", png(80, 80, COLORS["red"]))
    from_s3 = client.detect_custom_labels(ProjectVersionArn=version, Image={"S3Object": {"Bucket": "images", "Name": "probe/red.png"}})
    assert from_s3["CustomLabels"][0]["Name"] == "red"

    assert code(client.detect_custom_labels, ProjectVersionArn=version, Image={"Bytes": b"GIF89a not an image"}) == "InvalidImageFormatException"
    assert code(client.detect_custom_labels, ProjectVersionArn=version, Image={"Bytes": b"\xff" * (4 * 1024 * 1024 + 1)}) == "ImageTooLargeException"
    assert code(client.detect_custom_labels, ProjectVersionArn=version, Image={"Bytes": jpeg()}, MinConfidence=101) == "ValidationException"
    assert code(client.detect_custom_labels, ProjectVersionArn=version, Image={"S3Object": {"Bucket": "images", "Name": "absent.png"}}) == "InvalidS3ObjectException"
    assert code(client.delete_project_version, ProjectVersionArn=version) == "ResourceInUseException"
    assert code(client.delete_project, ProjectArn=project) == "ResourceInUseException"

    assert client.stop_project_version(ProjectVersionArn=version)["Status"] == "STOPPING"
    deadline = time.monotonic() + 30
    while client.describe_project_versions(ProjectArn=project, VersionNames=["v1"])["ProjectVersionDescriptions"][0]["Status"] != "STOPPED":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert code(client.detect_custom_labels, ProjectVersionArn=version, Image={"Bytes": jpeg()}) == "ResourceNotReadyException"
    assert code(client.stop_project_version, ProjectVersionArn=version) == "ResourceInUseException"


def test_a_burst_beyond_capacity_is_refused_quickly(client, model_server, trained):
    project, version = trained
    client.start_project_version(ProjectVersionArn=version, MinInferenceUnits=1)
    client.get_waiter("project_version_running").wait(ProjectArn=project, VersionNames=["v1"], WaiterConfig=FAST)
    image = jpeg(2048, 2048, COLORS["red"])
    burst = 24
    # Why clients made beforehand and a barrier: making a boto3 client takes longer than the server takes to
    # answer, so clients made in the burst would arrive one after another and never exceed the capacity.
    clients = [model_server.client() for _ in range(burst)]
    ready = threading.Barrier(burst)
    outcomes: list[tuple[str, float]] = []
    lock = threading.Lock()

    def call(caller) -> None:  # type: ignore[no-untyped-def]
        ready.wait()
        for _ in range(2):
            started = time.monotonic()
            try:
                caller.detect_custom_labels(ProjectVersionArn=version, Image={"Bytes": image})
                result = "ok"
            except ClientError as error:
                result = error.response["Error"]["Code"]
            with lock:
                outcomes.append((result, time.monotonic() - started))

    with ThreadPoolExecutor(burst) as pool:
        list(pool.map(call, clients))
    results = [r for r, _ in outcomes]
    assert len(results) == 2 * burst
    assert set(results) <= {"ok", "ProvisionedThroughputExceededException"}
    assert "ok" in results and "ProvisionedThroughputExceededException" in results
    assert max(seconds for r, seconds in outcomes if r != "ok") < 5
    client.stop_project_version(ProjectVersionArn=version)


def test_training_failures_carry_aws_codes(client, model_server):
    project = client.create_project(ProjectName=f"one-label-{uuid.uuid4().hex[:6]}")["ProjectArn"]
    dataset(client, model_server, project, "TRAIN", colour_lines(model_server, "one", 6, {"red": COLORS["red"]}))
    dataset(client, model_server, project, "TEST", colour_lines(model_server, "one-test", 2, {"red": COLORS["red"]}))
    client.create_project_version(ProjectArn=project, VersionName="v1", OutputConfig={"S3Bucket": "outputs", "S3KeyPrefix": "bad"})
    with pytest.raises(Exception):
        client.get_waiter("project_version_training_completed").wait(ProjectArn=project, VersionNames=["v1"], WaiterConfig=FAST)
    [v] = client.describe_project_versions(ProjectArn=project)["ProjectVersionDescriptions"]
    assert v["Status"] == "TRAINING_FAILED"
    assert "ERROR_MANIFEST_TOO_FEW_LABELS" in v["StatusMessage"]
    assert "EvaluationResult" not in v and "BillableTrainingTimeInSeconds" not in v
    summary = json.loads(read_object(model_server, v["ManifestSummary"]["S3Object"]))
    assert summary["errors"][0]["code"] == "ERROR_MANIFEST_TOO_FEW_LABELS"
    assert code(client.create_project_version, ProjectArn=project, VersionName="v1", OutputConfig={"S3Bucket": "outputs"}) == "ResourceInUseException"


def test_manifest_training_with_auto_split_and_copy(client, model_server):
    project = client.create_project(ProjectName=f"manifest-{uuid.uuid4().hex[:6]}")["ProjectArn"]
    lines = colour_lines(model_server, "auto", 10)
    put(model_server.data_dir / "buckets", "images", "auto.manifest", ("\n".join(lines) + "\n").encode())
    asset = {"GroundTruthManifest": {"S3Object": {"Bucket": "images", "Name": "auto.manifest"}}}
    assert code(
        client.create_project_version, ProjectArn=project, VersionName="x", OutputConfig={"S3Bucket": "outputs"}, TestingData={"AutoCreate": True}
    ) == "InvalidParameterException"
    version = client.create_project_version(
        ProjectArn=project,
        VersionName="auto",
        OutputConfig={"S3Bucket": "outputs", "S3KeyPrefix": "auto/"},
        TrainingData={"Assets": [asset]},
        TestingData={"AutoCreate": True},
    )["ProjectVersionArn"]
    client.get_waiter("project_version_training_completed").wait(ProjectArn=project, VersionNames=["auto"], WaiterConfig=FAST)
    [v] = client.describe_project_versions(ProjectArn=project)["ProjectVersionDescriptions"]
    summary = json.loads(read_object(model_server, v["EvaluationResult"]["Summary"]["S3Object"]))
    assert (summary["EvaluationDetails"]["NumberOfTrainingImages"], summary["EvaluationDetails"]["NumberOfTestingImages"]) == (16, 4)

    other = client.create_project(ProjectName=f"copy-{uuid.uuid4().hex[:6]}")["ProjectArn"]
    copy = client.copy_project_version(
        SourceProjectArn=project, SourceProjectVersionArn=version, DestinationProjectArn=other, VersionName="copied", OutputConfig={"S3Bucket": "outputs"}
    )["ProjectVersionArn"]
    deadline = time.monotonic() + 30
    while (status := client.describe_project_versions(ProjectArn=other)["ProjectVersionDescriptions"][0]["Status"]) == "COPYING_IN_PROGRESS":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert status == "COPYING_COMPLETED"
    client.start_project_version(ProjectVersionArn=copy, MinInferenceUnits=1)
    client.get_waiter("project_version_running").wait(ProjectArn=other, VersionNames=["copied"], WaiterConfig=FAST)
    assert client.detect_custom_labels(ProjectVersionArn=copy, Image={"Bytes": jpeg(color=COLORS["blue"])})["CustomLabels"][0]["Name"] == "blue"
    client.stop_project_version(ProjectVersionArn=copy)


def test_describe_project_versions_pages_newest_first(client, trained):
    project, _ = trained
    assert code(client.describe_project_versions, ProjectArn=project, MaxResults=101) == "ValidationException"
    names = [v["ProjectVersionArn"] for page in client.get_paginator("describe_project_versions").paginate(ProjectArn=project, PaginationConfig={"PageSize": 1}) for v in page["ProjectVersionDescriptions"]]
    assert len(names) == len(set(names)) >= 1


def test_deleting_a_version_in_training_cancels_it(client, model_server, trained):
    import subprocess
    import sys

    project, _ = trained
    started = subprocess.run(
        [sys.executable, "-m", "customlabels", "models", "train", project, "--version", "long", "--epochs", "100000", "--no-wait", "--json",
         "--data-dir", str(model_server.data_dir)],
        capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "CUSTOMLABELS_TRAINING_RECIPE": TINY_RECIPE_JSON},
    )
    assert started.returncode == 0, started.stderr
    arn = json.loads(started.stdout)["ProjectVersionArn"]
    deadline = time.monotonic() + 60
    while "epoch" not in (client.describe_project_versions(ProjectArn=project, VersionNames=["long"])["ProjectVersionDescriptions"][0].get("StatusMessage") or ""):
        assert time.monotonic() < deadline, "the training never reported an epoch"
        time.sleep(0.2)
    assert client.delete_project_version(ProjectVersionArn=arn)["Status"] == "DELETING"
    deadline = time.monotonic() + 30
    while client.describe_project_versions(ProjectArn=project, VersionNames=["long"])["ProjectVersionDescriptions"]:
        assert time.monotonic() < deadline, "the cancelled training was not removed"
        time.sleep(0.2)


def test_running_models_run_again_after_a_restart(client, model_server, trained):
    project, version = trained
    client.start_project_version(ProjectVersionArn=version, MinInferenceUnits=1)
    client.get_waiter("project_version_running").wait(ProjectArn=project, VersionNames=["v1"], WaiterConfig=FAST)
    model_server.kill()
    model_server.start()
    restarted = model_server.client()
    restarted.get_waiter("project_version_running").wait(ProjectArn=project, VersionNames=["v1"], WaiterConfig=FAST)
    deadline = time.monotonic() + 30
    while True:
        try:
            labels = restarted.detect_custom_labels(ProjectVersionArn=version, Image={"Bytes": jpeg(color=COLORS["blue"])})["CustomLabels"]
            break
        except ClientError as error:
            assert error.response["Error"]["Code"] == "ResourceNotReadyException" and time.monotonic() < deadline
            time.sleep(0.2)
    assert labels[0]["Name"] == "blue"
    restarted.stop_project_version(ProjectVersionArn=version)
