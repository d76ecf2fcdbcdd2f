"""Timestamps in the form AWS writes them in manifests and summary files."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC without an offset, e.g. "2019-11-21T07:30:23.910943" (the DG examples)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        # A naive time could be any zone; writing it as UTC would silently shift it.
        raise ValueError(f"expected a timezone-aware datetime, got the naive {moment.isoformat()}")
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat()
