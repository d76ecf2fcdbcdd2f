"""Datasets through an unchanged boto3 client on the embedded default (local buckets)."""

import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from tests.images import classification_line, detection_line, jpeg, png, put


def wait_dataset(client, arn: str, timeout: float = 30) -> dict:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        description = client.describe_dataset(DatasetArn=arn)["DatasetDescription"]
        if not description["Status"].endswith("IN_PROGRESS"):
            return description
        time.sleep(0.05)
    raise AssertionError(f"{arn} still in progress")


def error_code(call, **kwargs) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"]


@pytest.fixture
def buckets(server):  # type: ignore[no-untyped-def]
    return server.data_dir / "buckets"


@pytest.fixture
def project(rekognition) -> str:  # type: ignore[no-untyped-def]
    return rekognition.create_project(ProjectName=f"ds-{uuid.uuid4().hex[:8]}")["ProjectArn"]


def manifest(buckets, name: str, lines: list[str]) -> dict:  # type: ignore[no-untyped-def]
    put(buckets, "manifests", name, ("\n".join(lines) + "\n").encode())
    return {"GroundTruthManifest": {"S3Object": {"Bucket": "manifests", "Name": name}}}


def image_lines(buckets, prefix: str, labels: list[tuple[str, ...]]) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        classification_line(put(buckets, "images", f"{prefix}/{i}.jpg", jpeg(64 + i, 64)), *names)
        for i, names in enumerate(labels)
    ]


def test_create_a_dataset_from_a_manifest_and_list_it(rekognition, buckets, project):
    labels = [("cat",), ("dog",), ("cat", "dog"), (), ("bird",)]
    lines = image_lines(buckets, uuid.uuid4().hex, labels)
    arn = rekognition.create_dataset(
        ProjectArn=project,
        DatasetType="TRAIN",
        DatasetSource=manifest(buckets, "a.manifest", lines),
    )["DatasetArn"]
    assert "/dataset/train/" in arn
    description = wait_dataset(rekognition, arn)
    assert description["Status"] == "CREATE_COMPLETE"
    assert description["StatusMessageCode"] == "SUCCESS"
    assert description["DatasetStats"] == {
        "LabeledEntries": 4,
        "TotalEntries": 5,
        "TotalLabels": 3,
        "ErrorEntries": 0,
    }

    [metadata] = rekognition.describe_projects(ProjectNames=[project.split("/")[1]])[
        "ProjectDescriptions"
    ][0]["Datasets"]
    assert metadata["DatasetArn"] == arn and metadata["DatasetType"] == "TRAIN"

    def entries(**filters) -> list[dict]:  # type: ignore[no-untyped-def]
        pages = rekognition.get_paginator("list_dataset_entries").paginate(
            DatasetArn=arn, **filters, PaginationConfig={"PageSize": 2}
        )
        return [json.loads(line) for page in pages for line in page["DatasetEntries"]]

    assert len(entries()) == 5
    assert len(entries(ContainsLabels=["cat"])) == 2
    assert len(entries(ContainsLabels=["bird", "dog"])) == 3  # OR semantics
    assert len(entries(Labeled=False)) == 1
    assert len(entries(Labeled=True, ContainsLabels=["cat"])) == 2
    assert [e["source-ref"].rsplit("/", 1)[1] for e in entries(SourceRefContains="/4.jpg")] == [
        "4.jpg"
    ]
    assert entries(HasErrors=True) == []

    labels_pages = rekognition.get_paginator("list_dataset_labels").paginate(
        DatasetArn=arn, PaginationConfig={"PageSize": 2}
    )
    described = {
        d["LabelName"]: d["LabelStats"]
        for page in labels_pages
        for d in page["DatasetLabelDescriptions"]
    }
    assert described == {
        "bird": {"EntryCount": 1, "BoundingBoxCount": 0},
        "cat": {"EntryCount": 2, "BoundingBoxCount": 0},
        "dog": {"EntryCount": 2, "BoundingBoxCount": 0},
    }
    assert (
        error_code(rekognition.list_dataset_entries, DatasetArn=arn, MaxResults=101)
        == "ValidationException"
    )
    assert (
        error_code(rekognition.list_dataset_entries, DatasetArn=arn, NextToken="bad")
        == "InvalidPaginationTokenException"
    )


def test_bad_lines_are_attached_to_their_entries(rekognition, buckets, project):
    prefix = uuid.uuid4().hex
    good = image_lines(buckets, prefix, [("cat",)] * 8)
    small = classification_line(put(buckets, "images", f"{prefix}/small.png", png(32, 32)), "cat")
    missing = classification_line(f"s3://images/{prefix}/absent.jpg", "dog")
    arn = rekognition.create_dataset(
        ProjectArn=project,
        DatasetType="TRAIN",
        DatasetSource=manifest(buckets, f"{prefix}.manifest", [*good, small, missing]),
    )["DatasetArn"]
    description = wait_dataset(rekognition, arn)
    assert (
        description["Status"] == "CREATE_COMPLETE"
    )  # 2 of 10 invalid: at the 20% limit, not over it
    assert description["DatasetStats"]["ErrorEntries"] == 2
    with_errors = [
        json.loads(line)
        for line in rekognition.list_dataset_entries(DatasetArn=arn, HasErrors=True)[
            "DatasetEntries"
        ]
    ]
    codes = {
        e["source-ref"].rsplit("/", 1)[1]: {error["code"] for error in e["errors"]}
        for e in with_errors
    }
    assert codes == {"small.png": {"ERROR_INVALID_IMAGE"}, "absent.jpg": {"ERROR_INVALID_IMAGE"}}


def test_too_many_invalid_lines_fail_the_dataset_and_store_nothing(rekognition, buckets, project):
    prefix = uuid.uuid4().hex
    lines = image_lines(buckets, prefix, [("cat",)] * 3) + ["{not json", '{"no-source-ref": 1}']
    arn = rekognition.create_dataset(
        ProjectArn=project,
        DatasetType="TEST",
        DatasetSource=manifest(buckets, f"{prefix}.manifest", lines),
    )["DatasetArn"]
    description = wait_dataset(rekognition, arn)
    assert description["Status"] == "CREATE_FAILED"
    assert description["StatusMessageCode"] == "CLIENT_ERROR"
    assert "invalid" in description["StatusMessage"]
    assert description["DatasetStats"]["TotalEntries"] == 0
    assert (
        error_code(rekognition.list_dataset_entries, DatasetArn=arn) == "ResourceNotReadyException"
    )
    rekognition.delete_dataset(DatasetArn=arn)


def test_create_dataset_errors(rekognition, buckets, project):
    missing_manifest = {
        "GroundTruthManifest": {"S3Object": {"Bucket": "manifests", "Name": "nope.manifest"}}
    }
    assert error_code(
        rekognition.create_dataset,
        ProjectArn=project,
        DatasetType="TRAIN",
        DatasetSource=missing_manifest,
    ) == ("InvalidS3ObjectException")
    both = {**missing_manifest, "DatasetArn": project + "/dataset/train/1"}
    assert (
        error_code(
            rekognition.create_dataset, ProjectArn=project, DatasetType="TRAIN", DatasetSource=both
        )
        == "InvalidParameterException"
    )
    assert (
        error_code(rekognition.create_dataset, ProjectArn=project, DatasetType="VALIDATION")
        == "ValidationException"
    )
    gone = project.rsplit("/", 2)[0] + "/absent-project/1"
    assert (
        error_code(rekognition.create_dataset, ProjectArn=gone, DatasetType="TRAIN")
        == "ResourceNotFoundException"
    )
    rekognition.create_dataset(ProjectArn=project, DatasetType="TRAIN")
    assert (
        error_code(rekognition.create_dataset, ProjectArn=project, DatasetType="TRAIN")
        == "ResourceAlreadyExistsException"
    )
    [train] = rekognition.describe_projects(ProjectNames=[project.split("/")[1]])[
        "ProjectDescriptions"
    ][0]["Datasets"]
    assert train["Status"] == "CREATE_COMPLETE"


def test_update_entries_upserts_by_source_ref(rekognition, buckets, project):
    prefix = uuid.uuid4().hex
    arn = rekognition.create_dataset(ProjectArn=project, DatasetType="TRAIN")["DatasetArn"]
    first = image_lines(buckets, prefix, [("cat",), ("dog",)])
    rekognition.update_dataset_entries(
        DatasetArn=arn, Changes={"GroundTruth": "\n".join(first).encode()}
    )
    assert wait_dataset(rekognition, arn)["Status"] == "UPDATE_COMPLETE"

    relabeled = classification_line(json.loads(first[0])["source-ref"], "bird")
    box_ref = put(buckets, "images", f"{prefix}/boxes.jpg", jpeg(200, 100))
    boxed = detection_line(
        box_ref, (200, 100), [("bird", 10, 10, 50, 40), ("bird", 100, 20, 40, 40)]
    )
    rekognition.update_dataset_entries(
        DatasetArn=arn, Changes={"GroundTruth": f"{relabeled}\n{boxed}\n".encode()}
    )
    description = wait_dataset(rekognition, arn)
    assert description["Status"] == "UPDATE_COMPLETE"
    assert description["DatasetStats"]["TotalEntries"] == 3
    labels = {
        d["LabelName"]: d["LabelStats"]
        for d in rekognition.list_dataset_labels(DatasetArn=arn)["DatasetLabelDescriptions"]
    }
    assert labels == {
        "bird": {"EntryCount": 2, "BoundingBoxCount": 2},
        "dog": {"EntryCount": 1, "BoundingBoxCount": 0},
    }

    assert error_code(
        rekognition.update_dataset_entries,
        DatasetArn=arn,
        Changes={"GroundTruth": b"x" * (5 * 1024 * 1024 + 1)},
    ) == ("LimitExceededException")
    assert wait_dataset(rekognition, arn)["DatasetStats"]["TotalEntries"] == 3


def test_distribute_moves_a_fifth_into_an_empty_test_dataset(rekognition, buckets, project):
    prefix = uuid.uuid4().hex
    lines = image_lines(buckets, prefix, [("cat",)] * 10 + [("dog",)] * 10)
    train = rekognition.create_dataset(
        ProjectArn=project,
        DatasetType="TRAIN",
        DatasetSource=manifest(buckets, f"{prefix}.m", lines),
    )["DatasetArn"]
    test = rekognition.create_dataset(ProjectArn=project, DatasetType="TEST")["DatasetArn"]
    wait_dataset(rekognition, train)
    assert (
        error_code(
            rekognition.distribute_dataset_entries, Datasets=[{"Arn": train}, {"Arn": train}]
        )
        == "InvalidParameterException"
    )
    rekognition.distribute_dataset_entries(Datasets=[{"Arn": train}, {"Arn": test}])
    train_done, test_done = wait_dataset(rekognition, train), wait_dataset(rekognition, test)
    assert (train_done["Status"], test_done["Status"]) == ("UPDATE_COMPLETE", "UPDATE_COMPLETE")
    assert (
        train_done["DatasetStats"]["TotalEntries"],
        test_done["DatasetStats"]["TotalEntries"],
    ) == (16, 4)
    test_labels = {
        d["LabelName"]: d["LabelStats"]["EntryCount"]
        for d in rekognition.list_dataset_labels(DatasetArn=test)["DatasetLabelDescriptions"]
    }
    assert test_labels == {"cat": 2, "dog": 2}
    test_refs = {
        json.loads(l)["source-ref"]
        for l in rekognition.list_dataset_entries(DatasetArn=test)["DatasetEntries"]
    }
    train_refs = {
        json.loads(l)["source-ref"]
        for l in rekognition.list_dataset_entries(DatasetArn=train)["DatasetEntries"]
    }
    assert not test_refs & train_refs
    assert (
        error_code(rekognition.distribute_dataset_entries, Datasets=[{"Arn": train}, {"Arn": test}])
        == "InvalidParameterException"
    )


def test_copy_a_dataset(rekognition, buckets, project):
    prefix = uuid.uuid4().hex
    lines = image_lines(buckets, prefix, [("cat",), ("dog",), ()])
    source = rekognition.create_dataset(
        ProjectArn=project,
        DatasetType="TRAIN",
        DatasetSource=manifest(buckets, f"{prefix}.m", lines),
    )["DatasetArn"]
    wait_dataset(rekognition, source)
    other = rekognition.create_project(ProjectName=f"copy-{prefix[:8]}")["ProjectArn"]
    copy = rekognition.create_dataset(
        ProjectArn=other, DatasetType="TEST", DatasetSource={"DatasetArn": source}
    )["DatasetArn"]
    assert (
        wait_dataset(rekognition, copy)["DatasetStats"]
        == wait_dataset(rekognition, source)["DatasetStats"]
    )
    assert sorted(rekognition.list_dataset_entries(DatasetArn=copy)["DatasetEntries"]) == sorted(
        rekognition.list_dataset_entries(DatasetArn=source)["DatasetEntries"]
    )


def test_delete_dataset_and_project(rekognition, buckets, project):
    arn = rekognition.create_dataset(ProjectArn=project, DatasetType="TRAIN", Tags={"k": "v"})[
        "DatasetArn"
    ]
    assert rekognition.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"k": "v"}
    rekognition.delete_dataset(DatasetArn=arn)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            rekognition.describe_dataset(DatasetArn=arn)
        except ClientError as error:
            assert error.response["Error"]["Code"] == "ResourceNotFoundException"
            break
    else:
        raise AssertionError("dataset not deleted")
    rekognition.create_dataset(ProjectArn=project, DatasetType="TEST")
    rekognition.delete_project(ProjectArn=project)
    deadline = time.monotonic() + 10
    while rekognition.describe_projects(ProjectNames=[project.split("/")[1]])[
        "ProjectDescriptions"
    ]:
        assert time.monotonic() < deadline


def test_copying_an_empty_dataset_gives_an_empty_dataset(rekognition, project):
    empty = rekognition.create_dataset(ProjectArn=project, DatasetType="TRAIN")["DatasetArn"]
    copy = rekognition.create_dataset(ProjectArn=project, DatasetType="TEST", DatasetSource={"DatasetArn": empty})["DatasetArn"]
    description = wait_dataset(rekognition, copy)
    assert description["Status"] == "CREATE_COMPLETE"
    assert description["DatasetStats"]["TotalEntries"] == 0
