"""With --s3-endpoint, boto3 code that uploads to S3 and then calls Rekognition runs unchanged."""

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import boto3
import pytest

from tests.server import ACCESS_KEY, SECRET_KEY, RunningServer
from tests.test_aws_datasets import wait_dataset


@pytest.fixture(scope="module")
def s3_server(seaweed, tmp_path_factory):  # type: ignore[no-untyped-def]
    server = RunningServer(
        tmp_path_factory.mktemp("s3server") / "data",
        extra_args=["--s3-endpoint", seaweed.endpoint_url],
        extra_env={
            "CUSTOMLABELS_S3_ACCESS_KEY_ID": seaweed.access_key_id,
            "CUSTOMLABELS_S3_SECRET_ACCESS_KEY": seaweed.secret_access_key,
        },
    ).start()
    yield server
    server.stop()


def test_logos_uploaded_to_s3_become_a_dataset(s3_server, seaweed, shared_data):
    s3 = boto3.client(
        "s3",
        endpoint_url=seaweed.endpoint_url,
        aws_access_key_id=seaweed.access_key_id,
        aws_secret_access_key=seaweed.secret_access_key,
        region_name="us-east-1",
    )
    logos = shared_data / "logos"
    s3.create_bucket(Bucket="customlabels-examples")
    for image in sorted((logos / "images").iterdir()):
        s3.upload_file(str(image), "customlabels-examples", f"logos/images/{image.name}")
    s3.upload_file(str(logos / "output.manifest"), "customlabels-examples", "logos/output.manifest")

    rekognition = s3_server.client()
    project = rekognition.create_project(ProjectName="logos")["ProjectArn"]
    manifest = {"GroundTruthManifest": {"S3Object": {"Bucket": "customlabels-examples", "Name": "logos/output.manifest"}}}
    train = rekognition.create_dataset(ProjectArn=project, DatasetType="TRAIN", DatasetSource=manifest)["DatasetArn"]
    description = wait_dataset(rekognition, train, timeout=120)
    lines = [json.loads(line) for line in (logos / "output.manifest").read_text().splitlines()]
    assert description["Status"] == "CREATE_COMPLETE"
    assert description["DatasetStats"]["TotalEntries"] == len(lines)
    assert description["DatasetStats"]["TotalLabels"] == 9

    boxes = Counter(
        line["bounding-box-metadata"]["class-map"][str(a["class_id"])] for line in lines for a in line["bounding-box"]["annotations"]
    )
    pages = rekognition.get_paginator("list_dataset_labels").paginate(DatasetArn=train)
    counted = {d["LabelName"]: d["LabelStats"]["BoundingBoxCount"] for p in pages for d in p["DatasetLabelDescriptions"]}
    assert counted == dict(boxes)

    missing = {"GroundTruthManifest": {"S3Object": {"Bucket": "customlabels-examples", "Name": "logos/absent.manifest"}}}
    with pytest.raises(rekognition.exceptions.InvalidS3ObjectException):
        rekognition.create_dataset(ProjectArn=project, DatasetType="TEST", DatasetSource=missing)


def test_the_aws_cli_works_against_the_server(s3_server, tmp_path):
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }
    aws = [str(Path(sys.executable).parent / "aws"), "rekognition", "--endpoint-url", s3_server.url, "--output", "json"]
    created = subprocess.run([*aws, "create-project", "--project-name", "from-cli"], env=env, capture_output=True, text=True, timeout=60)
    assert created.returncode == 0, created.stderr
    arn = json.loads(created.stdout)["ProjectArn"]
    described = subprocess.run(
        [*aws, "describe-projects", "--project-names", "from-cli"], env=env, capture_output=True, text=True, timeout=60
    )
    assert json.loads(described.stdout)["ProjectDescriptions"][0]["ProjectArn"] == arn
    refused = subprocess.run(
        [*aws, "describe-projects", "--max-results", "500"], env=env, capture_output=True, text=True, timeout=60
    )
    assert refused.returncode != 0 and "ValidationException" in refused.stderr
