import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSPreparedRequest, AWSRequest, AWSResponse, HTTPHeaders
from botocore.config import Config
from botocore.credentials import Credentials

from customlabels.api.aws.sigv4 import SignatureError, SignedRequest, authenticate, verify

ACCESS_KEY = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SECRETS = {ACCESS_KEY: SECRET, "OTHERKEY": "other-secret"}
ENDPOINT = "http://127.0.0.1:8080"
TARGET = "RekognitionService.DescribeProjects"


def to_signed(prepared: AWSPreparedRequest | AWSRequest) -> SignedRequest:
    """What a server sees: the prepared request plus the Host header the HTTP client adds."""
    parts = urlsplit(prepared.url)
    headers = {
        name: value.decode() if isinstance(value, bytes) else str(value)
        for name, value in prepared.headers.items()
    }
    headers.setdefault("Host", parts.netloc)
    body = prepared.body or b""
    return SignedRequest(
        method=prepared.method,
        path=parts.path or "/",
        query=parts.query,
        headers=headers,
        body=body if isinstance(body, bytes) else body.encode(),
    )


def sign(
    *,
    url: str = ENDPOINT + "/",
    body: bytes = b'{"MaxResults": 5}',
    headers: dict[str, str] | None = None,
    access_key: str = ACCESS_KEY,
    secret: str = SECRET,
    token: str | None = None,
    service: str = "rekognition",
    region: str = "us-east-1",
    auth_class: type[SigV4Auth] = SigV4Auth,
) -> SignedRequest:
    request = AWSRequest(
        method="POST",
        url=url,
        data=body,
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": TARGET,
            **(headers or {}),
        },
    )
    auth_class(Credentials(access_key, secret, token), service, region).add_auth(request)
    return to_signed(request.prepare())


def signed_at(request: SignedRequest) -> datetime:
    return datetime.strptime(request.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def with_headers(request: SignedRequest, **changes: str) -> SignedRequest:
    headers = dict(request.headers)
    for name, value in changes.items():
        headers[name.replace("_", "-")] = value
    return replace(request, headers=headers)


def rejected(request: SignedRequest, **kwargs: Any) -> SignatureError:
    with pytest.raises(SignatureError) as caught:
        verify(request, secrets=SECRETS, service=kwargs.pop("service", "rekognition"), **kwargs)
    return caught.value


# --- accepted ---------------------------------------------------------------------------------


def test_botocore_signed_request_is_accepted() -> None:
    assert verify(sign(), secrets=SECRETS, service="rekognition") == ACCESS_KEY


def test_authenticate_reports_the_signed_region() -> None:
    credential = authenticate(sign(region="eu-west-3"), secrets=SECRETS, service="rekognition")
    assert (credential.access_key_id, credential.region, credential.service) == (
        ACCESS_KEY,
        "eu-west-3",
        "rekognition",
    )
    assert len(credential.date) == 8


def test_path_and_query_are_canonicalized_like_botocore() -> None:
    request = sign(url=ENDPOINT + "/a%20b/./c/../d%2Fe~x/?b=2&a=hello%20world&a=%2B&empty=&z")
    assert verify(request, secrets=SECRETS, service="rekognition") == ACCESS_KEY


def test_header_whitespace_is_folded() -> None:
    request = sign(headers={"X-Custom": "  a   b  c  "})
    assert verify(request, secrets=SECRETS, service="rekognition") == ACCESS_KEY


def test_header_names_are_case_insensitive() -> None:
    request = sign()
    lowered = replace(request, headers={k.lower(): v for k, v in request.headers.items()})
    upper = replace(request, headers={k.upper(): v for k, v in request.headers.items()})
    assert verify(lowered, secrets=SECRETS, service="rekognition") == ACCESS_KEY
    assert verify(upper, secrets=SECRETS, service="rekognition") == ACCESS_KEY


def test_unsigned_header_may_change() -> None:
    request = with_headers(sign(), User_Agent="something-else")
    assert verify(request, secrets=SECRETS, service="rekognition") == ACCESS_KEY


def test_session_token_is_signed_and_accepted() -> None:
    request = sign(token="FQoGZXIvYXdzEXAMPLETOKEN")
    assert request.headers["X-Amz-Security-Token"] == "FQoGZXIvYXdzEXAMPLETOKEN"
    assert verify(request, secrets=SECRETS, service="rekognition") == ACCESS_KEY
    tampered = with_headers(request, X_Amz_Security_Token="other")
    assert rejected(tampered).code == "InvalidSignatureException"


def test_date_header_instead_of_x_amz_date() -> None:
    request = sign(headers={"Date": "placeholder, botocore rewrites it"})
    assert "X-Amz-Date" not in request.headers
    assert verify(request, secrets=SECRETS, service="rekognition") == ACCESS_KEY


def test_declared_payload_hash_must_match_body() -> None:
    request = sign(auth_class=S3SigV4Auth, service="s3")
    assert "X-Amz-Content-SHA256" in request.headers
    assert verify(request, secrets=SECRETS, service="s3") == ACCESS_KEY
    error = rejected(replace(request, body=b'{"MaxResults": 6}'), service="s3")
    assert error.code == "InvalidSignatureException"
    assert "x-amz-content-sha256" in error.message


def test_request_within_skew_is_accepted() -> None:
    request = sign()
    now = signed_at(request) + timedelta(minutes=14)
    assert verify(request, secrets=SECRETS, service="rekognition", now=now) == ACCESS_KEY


# --- the real boto3 client --------------------------------------------------------------------


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data


def rekognition_client(endpoint: str, *, secret: str = SECRET, token: str | None = None) -> Any:
    return boto3.client(
        "rekognition",
        endpoint_url=endpoint,
        region_name="us-west-2",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=secret,
        aws_session_token=token,
        config=Config(retries={"max_attempts": 1}),
    )


def capture_boto3_request(*, secret: str = SECRET, token: str | None = None) -> SignedRequest:
    client = rekognition_client(ENDPOINT, secret=secret, token=token)
    captured: list[AWSPreparedRequest] = []

    def before_send(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        captured.append(request)
        return AWSResponse(
            request.url,
            200,
            {"Content-Type": "application/x-amz-json-1.1"},
            _Body(b'{"ProjectDescriptions": []}'),
        )

    client.meta.events.register("before-send.rekognition.*", before_send)
    client.describe_projects(ProjectNames=["my project"], MaxResults=3)
    (prepared,) = captured
    return to_signed(prepared)


def test_boto3_rekognition_request_is_accepted() -> None:
    request = capture_boto3_request()
    assert request.headers["X-Amz-Target"] == TARGET
    assert verify(request, secrets=SECRETS, service="rekognition") == ACCESS_KEY
    credential = authenticate(request, secrets=SECRETS, service="rekognition")
    assert credential.region == "us-west-2"


def test_boto3_request_with_session_token_is_accepted() -> None:
    request = capture_boto3_request(token="session-token")
    assert verify(request, secrets=SECRETS, service="rekognition") == ACCESS_KEY


def test_boto3_request_with_wrong_secret_is_rejected() -> None:
    error = rejected(capture_boto3_request(secret="not-the-secret"))
    assert error.code == "InvalidSignatureException"


class _Recorder(BaseHTTPRequestHandler):
    seen: list[SignedRequest] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        path, _, query = self.path.partition("?")
        self.seen.append(
            SignedRequest(
                self.command, path, query, dict(self.headers.items()), self.rfile.read(length)
            )
        )
        payload = json.dumps({"ProjectDescriptions": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_request_as_received_over_the_wire_is_accepted() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        client = rekognition_client(f"http://127.0.0.1:{server.server_address[1]}")
        client.describe_projects(MaxResults=2)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    (request,) = _Recorder.seen
    assert request.headers["Host"] == f"127.0.0.1:{server.server_address[1]}"
    assert verify(request, secrets=SECRETS, service="rekognition") == ACCESS_KEY


# --- rejected ---------------------------------------------------------------------------------


def test_wrong_secret_is_rejected() -> None:
    error = rejected(sign(secret="wrong"))
    assert (error.code, error.status) == ("InvalidSignatureException", 400)
    assert error.message == (
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method."
    )


def test_unknown_access_key_is_rejected() -> None:
    error = rejected(sign(access_key="AKIDUNKNOWN"))
    assert (error.code, error.status) == ("UnrecognizedClientException", 400)
    assert error.message == "The security token included in the request is invalid."


def test_missing_authorization_is_rejected_with_403() -> None:
    request = sign()
    headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
    error = rejected(replace(request, headers=headers))
    assert (error.code, error.status) == ("MissingAuthenticationTokenException", 403)


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda r: replace(r, body=b'{"MaxResults": 6}'), id="body"),
        pytest.param(
            lambda r: with_headers(r, X_Amz_Target="RekognitionService.DeleteProject"), id="header"
        ),
        pytest.param(lambda r: replace(r, query="a=1"), id="query"),
        pytest.param(lambda r: replace(r, path="/other"), id="path"),
        pytest.param(lambda r: replace(r, method="PUT"), id="method"),
        pytest.param(lambda r: with_headers(r, Host="evil.example:8080"), id="host"),
    ],
)
def test_tampered_request_is_rejected(tamper: Any) -> None:
    error = rejected(tamper(sign()))
    assert error.code == "InvalidSignatureException"


def test_tampered_query_value_is_rejected() -> None:
    request = sign(url=ENDPOINT + "/?a=1&b=2")
    assert rejected(replace(request, query="a=1&b=3")).code == "InvalidSignatureException"


def test_old_request_is_expired() -> None:
    request = sign()
    at = signed_at(request)
    now = at + timedelta(minutes=16)
    error = rejected(request, now=now)
    assert error.code == "InvalidSignatureException"
    fmt = "%Y%m%dT%H%M%SZ"
    assert error.message == (
        f"Signature expired: {at.strftime(fmt)} is now earlier than "
        f"{(now - timedelta(minutes=15)).strftime(fmt)} ({now.strftime(fmt)} - 15 min.)"
    )


def test_request_from_the_future_is_rejected() -> None:
    request = sign()
    error = rejected(request, now=signed_at(request) - timedelta(minutes=16))
    assert error.code == "InvalidSignatureException"
    assert error.message.startswith("Signature not yet current")


@pytest.mark.parametrize(
    "authorization",
    [
        "AWS4-HMAC-SHA256 garbage",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/rekognition/aws4_request, SignedHeaders=host",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/rekognition, SignedHeaders=host, Signature=abc",
        "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abc",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/rekognition/aws4_request, SignedHeaders=host;;x, Signature=abc",
        "AWS AKIDEXAMPLE:signature",
        "Bearer token",
    ],
)
def test_malformed_authorization_is_incomplete(authorization: str) -> None:
    error = rejected(with_headers(sign(), Authorization=authorization))
    assert (error.code, error.status) == ("IncompleteSignatureException", 400)


def test_missing_date_is_incomplete() -> None:
    request = sign()
    headers = {k: v for k, v in request.headers.items() if k != "X-Amz-Date"}
    error = rejected(replace(request, headers=headers))
    assert error.code == "IncompleteSignatureException"
    assert "X-Amz-Date" in error.message


def test_malformed_date_is_incomplete() -> None:
    error = rejected(with_headers(sign(), X_Amz_Date="2026-11-22T05:00:00Z"))
    assert error.code == "IncompleteSignatureException"


def test_wrong_service_in_scope_is_rejected() -> None:
    error = rejected(sign(service="s3"))
    assert error.code == "InvalidSignatureException"
    assert "rekognition" in error.message


def test_wrong_terminator_is_rejected() -> None:
    request = sign()
    authorization = request.headers["Authorization"].replace("/aws4_request", "/aws5_request")
    assert (
        rejected(with_headers(request, Authorization=authorization)).code
        == "InvalidSignatureException"
    )


def test_scope_date_must_match_request_date() -> None:
    request = sign()
    day = request.headers["X-Amz-Date"][:8]
    authorization = request.headers["Authorization"].replace(f"/{day}/", "/19990101/")
    error = rejected(with_headers(request, Authorization=authorization))
    assert error.code == "InvalidSignatureException"
    assert "19990101" in error.message


def test_host_must_be_signed() -> None:
    request = AWSRequest(
        method="POST", url=ENDPOINT + "/", data=b"{}", headers={"X-Amz-Target": TARGET}
    )
    auth = SigV4Auth(Credentials(ACCESS_KEY, SECRET), "rekognition", "us-east-1")

    def without_host(r: AWSRequest) -> HTTPHeaders:
        headers = HTTPHeaders()
        for name, value in r.headers.items():
            if name.lower() != "host":
                headers[name.lower()] = value
        return headers

    auth.headers_to_sign = without_host  # type: ignore[method-assign]
    auth.add_auth(request)
    signed = to_signed(request.prepare())
    assert "host" not in signed.headers["Authorization"].split("SignedHeaders=")[1].split(",")[
        0
    ].split(";")
    error = rejected(signed)
    assert error.code == "InvalidSignatureException"
    assert "Host" in error.message


def test_non_ascii_signature_does_not_crash() -> None:
    request = sign()
    authorization = request.headers["Authorization"].rsplit("=", 1)[0] + "=ü" * 64
    assert (
        rejected(with_headers(request, Authorization=authorization)).code
        == "InvalidSignatureException"
    )
