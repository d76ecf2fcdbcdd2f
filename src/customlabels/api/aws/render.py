"""Shaping service values into AWS JSON."""

from typing import Any

Response = dict[str, Any]


def paged(body: Response, next_token: str | None) -> Response:
    return {**body, "NextToken": next_token} if next_token else body


def drop_none(body: Response) -> Response:
    return {key: value for key, value in body.items() if value is not None}


def s3_object(bucket: str, key: str) -> Response:
    return {"Bucket": bucket, "Name": key}
