"""Project policies with AWS's revision and document rules."""

import json
import uuid

import pytest
from botocore.exceptions import ClientError


def policy(**statement) -> str:  # type: ignore[no-untyped-def]
    base = {
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": "rekognition:CopyProjectVersion",
        "Resource": "*",
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [{**base, **statement}]})


def code(call, **kwargs) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"]


@pytest.fixture
def project(rekognition) -> str:  # type: ignore[no-untyped-def]
    return rekognition.create_project(ProjectName=f"pol-{uuid.uuid4().hex[:8]}")["ProjectArn"]


def test_put_update_list_and_delete(rekognition, project):
    first = rekognition.put_project_policy(ProjectArn=project, PolicyName="copy", PolicyDocument=policy())["PolicyRevisionId"]
    assert code(rekognition.put_project_policy, ProjectArn=project, PolicyName="copy", PolicyDocument=policy()) == (
        "ResourceAlreadyExistsException"
    )
    second = rekognition.put_project_policy(
        ProjectArn=project, PolicyName="copy", PolicyDocument=policy(Resource="arn:x"), PolicyRevisionId=first
    )["PolicyRevisionId"]
    assert second != first
    stale = dict(ProjectArn=project, PolicyName="copy", PolicyDocument=policy(), PolicyRevisionId=first)
    assert code(rekognition.put_project_policy, **stale) == "InvalidPolicyRevisionIdException"

    [listed] = rekognition.list_project_policies(ProjectArn=project)["ProjectPolicies"]
    assert listed["PolicyRevisionId"] == second and json.loads(listed["PolicyDocument"])["Statement"][0]["Resource"] == "arn:x"
    assert code(rekognition.delete_project_policy, ProjectArn=project, PolicyName="copy", PolicyRevisionId=first) == (
        "InvalidPolicyRevisionIdException"
    )
    rekognition.delete_project_policy(ProjectArn=project, PolicyName="copy", PolicyRevisionId=second)
    assert rekognition.list_project_policies(ProjectArn=project)["ProjectPolicies"] == []
    assert code(rekognition.delete_project_policy, ProjectArn=project, PolicyName="copy") == "ResourceNotFoundException"


def test_at_most_five_policies_and_paging(rekognition, project):
    for n in range(5):
        rekognition.put_project_policy(ProjectArn=project, PolicyName=f"p{n}", PolicyDocument=policy())
    assert code(rekognition.put_project_policy, ProjectArn=project, PolicyName="p5", PolicyDocument=policy()) == (
        "ServiceQuotaExceededException"
    )
    pages = rekognition.get_paginator("list_project_policies").paginate(ProjectArn=project, PaginationConfig={"PageSize": 2})
    assert [p["PolicyName"] for page in pages for p in page["ProjectPolicies"]] == [f"p{n}" for n in range(5)]
    assert code(rekognition.list_project_policies, ProjectArn=project, MaxResults=6) == "ValidationException"


@pytest.mark.parametrize(
    "document",
    [
        policy(Action="rekognition:DetectCustomLabels"),
        policy(NotAction="rekognition:CopyProjectVersion"),
        policy(NotResource="*"),
        json.dumps({"Statement": [{"Effect": "Allow", "Action": "rekognition:CopyProjectVersion", "Resource": "*"}]}),
        "{not json",
    ],
)
def test_malformed_documents_are_refused(rekognition, project, document):
    assert code(rekognition.put_project_policy, ProjectArn=project, PolicyName="bad", PolicyDocument=document) == (
        "MalformedPolicyDocumentException"
    )
    assert rekognition.list_project_policies(ProjectArn=project)["ProjectPolicies"] == []
