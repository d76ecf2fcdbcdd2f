"""Blob storage (images, manifests, model artifacts) behind one interface: a folder or S3."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

# Temp files of an unfinished put live next to their target and never show up as keys.
TEMP_PREFIX = ".blobtmp-"
_O_BINARY: int = getattr(os, "O_BINARY", 0)

_BUCKET = re.compile(r"[0-9A-Za-z.\-_]{3,255}")
_NOT_FOUND_CODES = frozenset({"404", "NoSuchKey", "NoSuchBucket", "NotFound"})
_DENIED_CODES = frozenset(
    {
        "403",
        "AccessDenied",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "InvalidToken",
        "ExpiredToken",
    }
)


class BlobNotFound(Exception):
    """The object (or its bucket) does not exist."""

    def __init__(self, bucket: str, key: str) -> None:
        super().__init__(f"s3://{bucket}/{key} does not exist")
        self.bucket = bucket
        self.key = key


class InvalidBlobKey(ValueError):
    """A bucket name or key that the store does not allow."""


class BlobAccessDenied(PermissionError):
    """The object store refused the credentials or the request."""


class BlobStore(Protocol):
    """Objects addressed as s3://bucket/key."""

    def get(self, bucket: str, key: str) -> bytes:
        """The object's bytes; BlobNotFound."""
        ...

    def head(self, bucket: str, key: str) -> int:
        """The object's size in bytes; BlobNotFound."""
        ...

    def put(self, bucket: str, key: str, data: bytes) -> None:
        """Stores the object atomically: readers see the old or the new bytes, never a mix."""
        ...

    def delete(self, bucket: str, key: str) -> None:
        """Removes the object; a missing object is fine."""
        ...

    def list(self, bucket: str, prefix: str = "") -> Iterator[str]:
        """The keys under prefix, sorted; BlobNotFound if the bucket does not exist."""
        ...

    def ensure_bucket(self, bucket: str) -> None:
        """Creates the bucket unless it exists."""
        ...


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """Splits "s3://bucket/key" into (bucket, key)."""
    scheme, separator, rest = uri.partition("://")
    if not separator or scheme.lower() != "s3":
        raise ValueError(f"{uri!r} is not an S3 URI; expected s3://bucket/key")
    bucket, _, key = rest.partition("/")
    if not bucket:
        raise ValueError(f"{uri!r} has no bucket; expected s3://bucket/key")
    if not key:
        raise ValueError(f"{uri!r} has no object key; expected s3://bucket/key")
    return bucket, key


def check_bucket(bucket: str) -> None:
    """Raises InvalidBlobKey unless bucket is 3-255 of [0-9A-Za-z.-_] (and so never "." or "..")."""
    if not _BUCKET.fullmatch(bucket):
        raise InvalidBlobKey(
            f"invalid bucket name {bucket!r}: use 3-255 letters, digits, '.', '-' or '_'"
        )


def check_key(key: str, *, folder: bool = False) -> None:
    """Raises InvalidBlobKey unless key names one object the same way in every store.

    folder=True also allows a trailing "/" (a prefix rather than an object).
    """
    problem = _key_problem(key.removesuffix("/") if folder else key)
    if problem is not None:
        raise InvalidBlobKey(f"invalid object key {key!r}: {problem}")


def _key_problem(key: str) -> str | None:
    if not key:
        return "it is empty"
    if "\x00" in key:
        return "it contains a NUL character"
    # Backslashes are path separators on Windows and SeaweedFS rewrites them to "/".
    if "\\" in key:
        return "it contains a backslash"
    if key.startswith("/"):
        return "it starts with '/'"
    if key.endswith("/"):
        return "it ends with '/'"
    for segment in key.split("/"):
        # A filesystem (and SeaweedFS) folds these away, so two keys would share one object.
        if segment in ("", ".", ".."):
            return "it contains an empty, '.' or '..' path segment"
        if segment.startswith(TEMP_PREFIX):
            return f"a path segment starts with the reserved {TEMP_PREFIX!r}"
    return None


class LocalBlobStore:
    """Objects as files: s3://BUCKET/KEY is the file root/BUCKET/KEY."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def get(self, bucket: str, key: str) -> bytes:
        path = self._existing(bucket, key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise BlobNotFound(bucket, key) from None

    def head(self, bucket: str, key: str) -> int:
        path = self._existing(bucket, key)
        try:
            return path.stat().st_size
        except (FileNotFoundError, NotADirectoryError):
            raise BlobNotFound(bucket, key) from None

    def put(self, bucket: str, key: str, data: bytes) -> None:
        target = self._path(bucket, key)
        folder = target.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise InvalidBlobKey(
                f"cannot store s3://{bucket}/{key}: a parent of it is already an object"
            ) from None
        temp = folder / f"{TEMP_PREFIX}{secrets.token_hex(8)}"
        descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, 0o666)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.replace(temp, target)
            except (IsADirectoryError, PermissionError) as error:
                if not target.is_dir():
                    raise
                raise InvalidBlobKey(
                    f"cannot store s3://{bucket}/{key}: other objects are stored under it"
                ) from error
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        _fsync_folder(folder)

    def delete(self, bucket: str, key: str) -> None:
        path = self._path(bucket, key, reading=True)
        if key.endswith("/"):
            return
        try:
            path.unlink()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            pass
        except PermissionError:
            if not path.is_dir():
                raise

    def list(self, bucket: str, prefix: str = "") -> Iterator[str]:
        check_bucket(bucket)
        base = self.root / bucket
        if not base.is_dir():
            raise BlobNotFound(bucket, "")
        folder, _, _ = prefix.rpartition("/")
        if folder:
            check_key(folder)
        keys: list[str] = []
        start = base / folder
        for directory, folders, files in os.walk(start):
            folders[:] = [name for name in folders if not name.startswith(TEMP_PREFIX)]
            relative = Path(directory).relative_to(base).as_posix()
            for name in files:
                if name.startswith(TEMP_PREFIX):
                    continue
                key = name if relative == "." else f"{relative}/{name}"
                if key.startswith(prefix):
                    keys.append(key)
        return iter(sorted(keys))

    def ensure_bucket(self, bucket: str) -> None:
        check_bucket(bucket)
        (self.root / bucket).mkdir(parents=True, exist_ok=True)

    def _path(self, bucket: str, key: str, *, reading: bool = False) -> Path:
        check_bucket(bucket)
        check_key(key, folder=reading)
        return self.root / bucket / key

    def _existing(self, bucket: str, key: str) -> Path:
        path = self._path(bucket, key, reading=True)
        if key.endswith("/") or not path.is_file():
            raise BlobNotFound(bucket, key)
        return path


class S3BlobStore:
    """Objects in an S3-compatible service (SeaweedFS, MinIO, AWS S3) over path-style addressing."""

    def __init__(
        self,
        endpoint_url: str,
        access_key_id: str,
        secret_access_key: str,
        region: str = "us-east-1",
        *,
        list_page_size: int = 1000,
    ) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self.list_page_size = list_page_size
        self._client: Any = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            region_name=region,
            config=Config(
                s3={"addressing_style": "path"},
                signature_version="s3v4",
                retries={"mode": "standard", "max_attempts": 3},
                # Trailing checksums are newer than many S3-compatible servers.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )

    def get(self, bucket: str, key: str) -> bytes:
        if self._is_folder(key):
            raise BlobNotFound(bucket, key)
        try:
            response = self._client.get_object(Bucket=bucket, Key=key)
            body = response["Body"]
            try:
                data: bytes = body.read()
            finally:
                body.close()
            return data
        except ClientError as error:
            self._raise(error, bucket, key)

    def head(self, bucket: str, key: str) -> int:
        if self._is_folder(key):
            raise BlobNotFound(bucket, key)
        try:
            return int(self._client.head_object(Bucket=bucket, Key=key)["ContentLength"])
        except ClientError as error:
            self._raise(error, bucket, key)

    def put(self, bucket: str, key: str, data: bytes) -> None:
        check_key(key)
        try:
            self._client.put_object(Bucket=bucket, Key=key, Body=data)
        except ClientError as error:
            self._raise(error, bucket, key, missing_key="")

    def delete(self, bucket: str, key: str) -> None:
        if self._is_folder(key):
            return
        try:
            self._client.delete_object(Bucket=bucket, Key=key)
        except ClientError as error:
            if _code(error) in _NOT_FOUND_CODES:
                return
            self._raise(error, bucket, key)

    def list(self, bucket: str, prefix: str = "") -> Iterator[str]:
        folder, _, _ = prefix.rpartition("/")
        if folder:
            check_key(folder)
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=prefix, PaginationConfig={"PageSize": self.list_page_size}
        )
        iterator = iter(pages)
        try:
            # The first page is fetched now so that a missing bucket fails at the call.
            first: dict[str, Any] = next(iterator, {})
        except ClientError as error:
            self._raise(error, bucket, "", missing_key="")
        return self._keys(first, iterator, bucket)

    def ensure_bucket(self, bucket: str) -> None:
        try:
            self._client.head_bucket(Bucket=bucket)
            return
        except ClientError as error:
            if _code(error) not in _NOT_FOUND_CODES:
                self._raise(error, bucket, "")
        arguments: dict[str, Any] = {"Bucket": bucket}
        if self.region != "us-east-1":
            arguments["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        try:
            self._client.create_bucket(**arguments)
        except ClientError as error:
            if _code(error) not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                self._raise(error, bucket, "")

    def _keys(
        self, first: dict[str, Any], rest: Iterator[dict[str, Any]], bucket: str
    ) -> Iterator[str]:
        page = first
        while True:
            for item in page.get("Contents", ()):
                key: str = item["Key"]
                # Folder markers made by other tools are not objects of this store.
                if not key.endswith("/"):
                    yield key
            try:
                page = next(rest)
            except StopIteration:
                return
            except ClientError as error:
                self._raise(error, bucket, "", missing_key="")

    @staticmethod
    def _is_folder(key: str) -> bool:
        """Validates a key to read or delete; True if it names a folder, which is never an object."""
        check_key(key, folder=True)
        return key.endswith("/")

    def _raise(
        self, error: ClientError, bucket: str, key: str, *, missing_key: str | None = None
    ) -> NoReturn:
        """Raises the store's own exception for an S3 error, or the error itself."""
        code = _code(error)
        if code in _NOT_FOUND_CODES:
            raise BlobNotFound(bucket, key if missing_key is None else missing_key) from error
        if code in _DENIED_CODES:
            message = error.response.get("Error", {}).get("Message", "")
            raise BlobAccessDenied(
                f"{self.endpoint_url} refused access to s3://{bucket}/{key} ({code}: {message}); "
                "check the access key id, the secret access key and their permissions"
            ) from error
        if code in ("InvalidBucketName", "InvalidRequest", "KeyTooLongError"):
            raise InvalidBlobKey(
                f"s3://{bucket}/{key} was refused by the object store ({code})"
            ) from error
        raise error


def _code(error: ClientError) -> str:
    code = error.response.get("Error", {}).get("Code")
    if code:
        return str(code)
    return str(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))


def _fsync_folder(folder: Path) -> None:
    # Makes the rename itself durable; folders cannot be opened for this on Windows.
    if os.name == "nt":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)

