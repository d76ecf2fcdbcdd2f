"""Projects and tags through an unchanged boto3 client."""

import uuid

import pytest
from botocore.exceptions import ClientError


def unique(prefix: str = "proj") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def error_code(call, **kwargs) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"]


def test_create_describe_and_delete_a_project(rekognition):
    name = unique()
    arn = rekognition.create_project(ProjectName=name)["ProjectArn"]
    assert arn.startswith(f"arn:aws:rekognition:us-east-1:000000000000:project/{name}/")

    [project] = rekognition.describe_projects(ProjectNames=[name])["ProjectDescriptions"]
    assert project["ProjectArn"] == arn
    assert project["Status"] == "CREATED"
    assert project["Feature"] == "CUSTOM_LABELS"
    assert project["Datasets"] == []
    assert project["CreationTimestamp"].year >= 2024

    assert rekognition.delete_project(ProjectArn=arn)["Status"] == "DELETING"
    for _ in range(100):
        if not rekognition.describe_projects(ProjectNames=[name])["ProjectDescriptions"]:
            break
    assert rekognition.describe_projects(ProjectNames=[name])["ProjectDescriptions"] == []
    assert error_code(rekognition.delete_project, ProjectArn=arn) == "ResourceNotFoundException"


def test_project_names_are_unique_and_validated(rekognition):
    name = unique()
    rekognition.create_project(ProjectName=name)
    assert error_code(rekognition.create_project, ProjectName=name) == "ResourceInUseException"
    assert error_code(rekognition.create_project, ProjectName="has space") == "ValidationException"
    assert error_code(rekognition.create_project, ProjectName="x" * 256) == "ValidationException"
    assert (
        error_code(rekognition.create_project, ProjectName=unique(), Feature="FACES")
        == "ValidationException"
    )
    with pytest.raises(ClientError) as raised:
        rekognition.create_project(ProjectName="bad/name")
    assert "projectName" in raised.value.response["Error"]["Message"]
    all_names = [p["ProjectArn"].split("/")[1] for p in rekognition.describe_projects()["ProjectDescriptions"]]
    assert "bad" not in all_names and all_names.count(name) == 1


def test_describe_projects_filters_by_feature_and_pages(rekognition):
    prefix = unique("page")
    names = [f"{prefix}-{i}" for i in range(5)]
    for name in names:
        rekognition.create_project(ProjectName=name)
    moderation = f"{prefix}-moderation"
    rekognition.create_project(
        ProjectName=moderation, Feature="CONTENT_MODERATION", AutoUpdate="ENABLED"
    )

    seen = []
    for page in rekognition.get_paginator("describe_projects").paginate(
        PaginationConfig={"PageSize": 2}
    ):
        assert len(page["ProjectDescriptions"]) <= 2
        seen += [p["ProjectArn"].split("/")[1] for p in page["ProjectDescriptions"]]
    assert [
        n for n in seen if n.startswith(prefix)
    ] == names  # by creation time; CUSTOM_LABELS only by default

    both = rekognition.describe_projects(
        ProjectNames=[names[0], moderation], Features=["CUSTOM_LABELS", "CONTENT_MODERATION"]
    )
    assert {p["Feature"] for p in both["ProjectDescriptions"]} == {
        "CUSTOM_LABELS",
        "CONTENT_MODERATION",
    }
    [mod] = rekognition.describe_projects(
        ProjectNames=[moderation], Features=["CONTENT_MODERATION"]
    )["ProjectDescriptions"]
    assert mod["AutoUpdate"] == "ENABLED"

    assert error_code(rekognition.describe_projects, MaxResults=101) == "ValidationException"
    assert (
        error_code(rekognition.describe_projects, NextToken="garbage")
        == "InvalidPaginationTokenException"
    )


def test_tags_on_projects(rekognition):
    arn = rekognition.create_project(ProjectName=unique(), Tags={"team": "vision"})["ProjectArn"]
    assert rekognition.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"team": "vision"}
    rekognition.tag_resource(ResourceArn=arn, Tags={"stage": "dev", "team": "ml"})
    assert rekognition.list_tags_for_resource(ResourceArn=arn)["Tags"] == {
        "team": "ml",
        "stage": "dev",
    }
    rekognition.untag_resource(ResourceArn=arn, TagKeys=["team", "absent"])
    assert rekognition.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"stage": "dev"}

    assert (
        error_code(rekognition.tag_resource, ResourceArn=arn, Tags={"aws:reserved": "x"})
        == "InvalidParameterException"
    )
    too_many = {f"k{i}": "v" for i in range(50)}
    assert (
        error_code(rekognition.tag_resource, ResourceArn=arn, Tags=too_many)
        == "ServiceQuotaExceededException"
    )
    assert rekognition.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"stage": "dev"}
    missing = arn.rsplit("/", 1)[0] + "-gone/1"
    assert (
        error_code(rekognition.list_tags_for_resource, ResourceArn=missing)
        == "ResourceNotFoundException"
    )
