"""Verification of AWS Signature Version 4 (header form) on incoming requests."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import quote, unquote

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
TIMESTAMP_FORMAT = "%Y%m%dT%H%M%SZ"

MISSING_TOKEN = "MissingAuthenticationTokenException"
INCOMPLETE = "IncompleteSignatureException"
UNRECOGNIZED_CLIENT = "UnrecognizedClientException"
INVALID_SIGNATURE = "InvalidSignatureException"

MISMATCH_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method."
)

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_PARAMETER = re.compile(r"\s*([A-Za-z]+)\s*=\s*([^,\s]*)\s*")


@dataclass(frozen=True)
class SignedRequest:
    """An incoming request as the verifier needs it, independent of the web framework.

    `path` and `query` are exactly as sent on the wire, still percent-encoded
    (ASGI `scope["raw_path"]` and `scope["query_string"]`).
    """

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class Credential:
    """The credential scope of a verified request."""

    access_key_id: str
    date: str
    region: str
    service: str


class SignatureError(Exception):
    """A request that fails authentication, with the AWS error code, message and HTTP status."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = 403 if code == MISSING_TOKEN else 400


@dataclass(frozen=True)
class _Authorization:
    access_key_id: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


def verify(
    request: SignedRequest,
    *,
    secrets: Mapping[str, str],
    service: str,
    now: datetime | None = None,
    max_skew: timedelta = timedelta(minutes=15),
) -> str:
    """Checks the Authorization header (AWS4-HMAC-SHA256 Credential=AK/date/region/service/aws4_request, SignedHeaders=..., Signature=...) and returns the access key id; raises SignatureError."""
    return authenticate(
        request, secrets=secrets, service=service, now=now, max_skew=max_skew
    ).access_key_id


def authenticate(
    request: SignedRequest,
    *,
    secrets: Mapping[str, str],
    service: str,
    now: datetime | None = None,
    max_skew: timedelta = timedelta(minutes=15),
) -> Credential:
    """Like verify, but returns the whole credential scope (the region the client signed for)."""
    headers = _lowercase(request.headers)
    header = headers.get("authorization")
    if header is None or not header.strip():
        raise SignatureError(MISSING_TOKEN, "Missing Authentication Token")
    timestamp = _request_timestamp(headers, header)
    auth = _parse_authorization(header, timestamp)
    _check_scope(auth, service, timestamp)
    secret = secrets.get(auth.access_key_id)
    if secret is None:
        raise SignatureError(
            UNRECOGNIZED_CLIENT, "The security token included in the request is invalid."
        )
    _check_clock(timestamp, now or datetime.now(UTC), max_skew)
    canonical = canonical_request(request, headers, auth.signed_headers)
    scope = f"{auth.date}/{auth.region}/{auth.service}/{TERMINATOR}"
    string_to_sign = "\n".join(
        (
            ALGORITHM,
            timestamp.strftime(TIMESTAMP_FORMAT),
            scope,
            hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
        )
    )
    key = signing_key(secret, auth.date, auth.region, auth.service)
    expected = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"), auth.signature.encode("utf-8")):
        raise SignatureError(INVALID_SIGNATURE, MISMATCH_MESSAGE)
    return Credential(auth.access_key_id, auth.date, auth.region, auth.service)


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """Derives the SigV4 signing key for one day, region and service."""
    key = hmac.new(f"AWS4{secret}".encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, TERMINATOR):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def canonical_request(
    request: SignedRequest, headers: Mapping[str, str], signed_headers: tuple[str, ...]
) -> str:
    """Builds the SigV4 canonical request over exactly the signed headers."""
    lines = [
        request.method.upper(),
        canonical_uri(request.path),
        canonical_query(request.query),
    ]
    lines.extend(f"{name}:{_trim(headers.get(name, ''))}" for name in signed_headers)
    lines.extend(("", ";".join(signed_headers), _payload_hash(request.body, headers)))
    return "\n".join(lines)


def canonical_uri(raw_path: str) -> str:
    """Normalizes the path as sent and encodes it again, as SigV4 does for every service but S3."""
    return quote(_remove_dot_segments(raw_path) if raw_path else "/", safe="/~")


def canonical_query(raw_query: str) -> str:
    """Decodes each parameter, encodes it the RFC 3986 way and sorts by name, then value."""
    if not raw_query:
        return ""
    pairs: list[tuple[str, str]] = []
    for part in raw_query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        pairs.append((_encode(unquote(name)), _encode(unquote(value))))
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def _encode(text: str) -> str:
    return quote(text, safe="-_.~")


def _remove_dot_segments(path: str) -> str:
    # Same normalization botocore applies before signing (RFC 3986 5.2.4, empty segments dropped).
    segments: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
        else:
            segments.append(segment)
    first = "/" if path.startswith("/") else ""
    last = "/" if path.endswith("/") and segments else ""
    return first + "/".join(segments) + last


def _trim(value: str) -> str:
    return " ".join(value.split())


def _lowercase(headers: Mapping[str, str]) -> dict[str, str]:
    result: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower().strip()
        result[key] = f"{result[key]},{value}" if key in result else value
    return result


def _payload_hash(body: bytes, headers: Mapping[str, str]) -> str:
    actual = hashlib.sha256(body).hexdigest()
    declared = headers.get("x-amz-content-sha256")
    if declared is None:
        return actual
    declared = declared.strip()
    # Trusting a declared hash without checking it would let a changed body keep a valid
    # signature, so only a declared hash that matches the body is accepted.
    if not _SHA256_HEX.fullmatch(declared) or not hmac.compare_digest(declared, actual):
        raise SignatureError(
            INVALID_SIGNATURE,
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        )
    return declared


def _request_timestamp(headers: Mapping[str, str], authorization: str) -> datetime:
    amz_date = headers.get("x-amz-date")
    if amz_date is not None:
        try:
            return datetime.strptime(amz_date.strip(), TIMESTAMP_FORMAT).replace(tzinfo=UTC)
        except ValueError:
            raise SignatureError(
                INCOMPLETE,
                f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'. "
                "See http://en.wikipedia.org/wiki/ISO_8601",
            ) from None
    date = headers.get("date")
    if date is not None:
        try:
            parsed = parsedate_to_datetime(date)
        except (TypeError, ValueError):
            parsed = None
        if parsed is not None:
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            return parsed.astimezone(UTC)
    raise SignatureError(
        INCOMPLETE,
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        f"Authorization={authorization}",
    )


def _parse_authorization(header: str, timestamp: datetime) -> _Authorization:
    algorithm, _, rest = header.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise SignatureError(
            INCOMPLETE,
            f"Unsupported authorization type '{algorithm}'; only {ALGORITHM} is accepted. "
            f"Authorization={header}",
        )
    parameters: dict[str, str] = {}
    for part in rest.split(","):
        match = _PARAMETER.fullmatch(part)
        if match is None:
            raise SignatureError(
                INCOMPLETE,
                f"'{part.strip()}' not a valid key=value pair (missing equal-sign) "
                f"in Authorization header: '{header}'.",
            )
        parameters[match.group(1)] = match.group(2)
    missing = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if not parameters.get(name)
    ]
    if missing:
        raise SignatureError(INCOMPLETE, " ".join((*missing, f"Authorization={header}")))
    scope = parameters["Credential"].split("/")
    if len(scope) != 5 or not all(scope):
        raise SignatureError(
            INCOMPLETE,
            "Credential must have exactly 5 slash-delimited elements, "
            f"e.g. keyid/date/region/service/term, got '{parameters['Credential']}'",
        )
    signed_headers = tuple(name.strip().lower() for name in parameters["SignedHeaders"].split(";"))
    if not all(signed_headers):
        raise SignatureError(
            INCOMPLETE, f"SignedHeaders contains an empty header name. Authorization={header}"
        )
    access_key_id, date, region, service, terminator = scope
    if terminator != TERMINATOR:
        raise SignatureError(
            INVALID_SIGNATURE,
            f"Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{terminator}'.",
        )
    return _Authorization(
        access_key_id, date, region, service, signed_headers, parameters["Signature"]
    )


def _check_scope(auth: _Authorization, service: str, timestamp: datetime) -> None:
    if auth.service != service:
        raise SignatureError(
            INVALID_SIGNATURE, f"Credential should be scoped to correct service: '{service}'."
        )
    day = timestamp.strftime("%Y%m%d")
    if auth.date != day:
        raise SignatureError(
            INVALID_SIGNATURE,
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{auth.date}' != '{day}', from '{timestamp.strftime(TIMESTAMP_FORMAT)}'.",
        )
    if "host" not in auth.signed_headers and ":authority" not in auth.signed_headers:
        raise SignatureError(
            INVALID_SIGNATURE,
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        )


def _check_clock(timestamp: datetime, now: datetime, max_skew: timedelta) -> None:
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    minutes = f"{max_skew.total_seconds() / 60:g} min."
    stamp = timestamp.strftime(TIMESTAMP_FORMAT)
    current = now.strftime(TIMESTAMP_FORMAT)
    if timestamp < now - max_skew:
        earliest = (now - max_skew).strftime(TIMESTAMP_FORMAT)
        raise SignatureError(
            INVALID_SIGNATURE,
            f"Signature expired: {stamp} is now earlier than {earliest} ({current} - {minutes})",
        )
    if timestamp > now + max_skew:
        latest = (now + max_skew).strftime(TIMESTAMP_FORMAT)
        raise SignatureError(
            INVALID_SIGNATURE,
            f"Signature not yet current: {stamp} is still later than {latest} ({current} + {minutes})",
        )
