"""Requests are signed the AWS way; anything else gets AWS's error and no data."""

import json
from datetime import datetime, timedelta, timezone

from unittest.mock import patch

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.server import ACCESS_KEY, SECRET_KEY


def signed(
    url: str, target: str, body: dict, *, secret: str = SECRET_KEY, when: datetime | None = None
) -> httpx.Response:
    request = AWSRequest(
        method="POST",
        url=url + "/",
        data=json.dumps(body).encode(),
        headers={
            "X-Amz-Target": f"RekognitionService.{target}",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    signer = SigV4Auth(Credentials(ACCESS_KEY, secret), "rekognition", "us-east-1")
    # botocore reads its clock when signing: an old clock makes a signature as a replayed request would carry
    with patch("botocore.auth.get_current_datetime", return_value=when or datetime.now(timezone.utc)):
        signer.add_auth(request)
    return httpx.post(url + "/", content=request.body, headers=dict(request.headers.items()))


def test_a_correctly_signed_request_is_served(server):
    response = signed(server.url, "DescribeProjects", {})
    assert response.status_code == 200
    assert "ProjectDescriptions" in response.json()


def test_unsigned_requests_are_refused(server):
    response = httpx.post(
        server.url, content=b"{}", headers={"X-Amz-Target": "RekognitionService.DescribeProjects"}
    )
    assert response.status_code == 403
    assert response.json()["__type"] == "MissingAuthenticationTokenException"
    assert "ProjectDescriptions" not in response.text


def test_a_wrong_secret_is_refused(server):
    client = server.client(aws_secret_access_key="not-the-secret")
    with pytest.raises(ClientError) as raised:
        client.describe_projects()
    assert raised.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_an_unknown_key_is_refused(server):
    client = server.client(aws_access_key_id="AKIDUNKNOWN00000000")
    with pytest.raises(ClientError) as raised:
        client.create_project(ProjectName="never-created")
    assert raised.value.response["Error"]["Code"] == "UnrecognizedClientException"
    assert not server.client().describe_projects(ProjectNames=["never-created"])[
        "ProjectDescriptions"
    ]


def test_a_stale_signature_is_refused(server):
    response = signed(
        server.url, "DescribeProjects", {}, when=datetime.now(timezone.utc) - timedelta(minutes=20)
    )
    assert response.status_code == 400
    assert response.json()["__type"] == "InvalidSignatureException"
    assert "expired" in response.json()["Message"]


def test_a_tampered_body_is_refused(server):
    request = AWSRequest(
        method="POST",
        url=server.url + "/",
        data=b'{"ProjectName": "original"}',
        headers={
            "X-Amz-Target": "RekognitionService.CreateProject",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "rekognition", "us-east-1").add_auth(request)
    response = httpx.post(
        server.url + "/",
        content=b'{"ProjectName": "tampered"}',
        headers=dict(request.headers.items()),
    )
    assert response.json()["__type"] == "InvalidSignatureException"
    assert not server.client().describe_projects(ProjectNames=["tampered", "original"])[
        "ProjectDescriptions"
    ]


def test_unknown_operations_and_bad_json_get_aws_errors(server):
    assert signed(server.url, "DetectFaces", {}).json()["__type"] == "UnknownOperationException"
    request = AWSRequest(
        method="POST",
        url=server.url + "/",
        data=b"{not json",
        headers={
            "X-Amz-Target": "RekognitionService.CreateProject",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "rekognition", "us-east-1").add_auth(request)
    response = httpx.post(
        server.url + "/", content=request.body, headers=dict(request.headers.items())
    )
    assert response.status_code == 400
    assert response.json()["__type"] == "SerializationException"
