"""Opaque NextToken values: keyset pagination bound to the query that made them."""

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from customlabels.errors import InvalidPaginationToken

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_token: str | None


def query_key(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def encode_token(after: Any, query: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"a": after, "q": query}).encode()).decode()


def decode_token(token: str | None, query: str) -> Any:
    """The position after which the next page starts, or None for the first page."""
    if token is None:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        if data["q"] == query:
            return data["a"]
    except (ValueError, KeyError, TypeError):
        pass
    raise InvalidPaginationToken("The pagination token is invalid or does not belong to this request.")


def page_of(rows: Sequence[T], limit: int, position: Any, query: str) -> Page[T]:
    """Rows were fetched with limit + 1 to know whether another page follows."""
    if len(rows) > limit:
        return Page(list(rows[:limit]), encode_token(position(rows[limit - 1]), query))
    return Page(list(rows), None)
