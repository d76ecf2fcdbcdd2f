"""Training from the console: a version named and placed for the user, and why a training failed."""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from customlabels.service.context import Context
from customlabels.service.lookup import project_by_arn
from customlabels.service.versions import (
    create_version,
    describe_version,
    describe_versions,
)
from customlabels.store.blobs import parse_s3_uri

OUTPUT_BUCKET = "customlabels-models"
MAX_PROBLEMS = 500


def start_training(ctx: Context, *, project_arn: str, version_name: str | None = None, description: str | None = None) -> str:
    """Trains from the project's TRAIN and TEST datasets; the version is named v1, v2, ... unless named."""
    with ctx.db.session() as session:
        project_name = project_by_arn(session, project_arn).name
    name = version_name or next_version_name(ctx, project_arn=project_arn)
    return create_version(
        ctx,
        project_arn=project_arn,
        version_name=name,
        output_bucket=OUTPUT_BUCKET,
        output_prefix=f"{project_name}/",
        description=description or None,
    )


def next_version_name(ctx: Context, *, project_arn: str) -> str:
    numbers = [0]
    token = None
    while True:
        page = describe_versions(ctx, project_arn=project_arn, next_token=token)
        numbers += [int(match.group(1)) for v in page.items if (match := re.fullmatch(r"v(\d+)", v.name))]
        token = page.next_token
        if token is None:
            return f"v{max(numbers) + 1}"


@dataclass(frozen=True)
class LineProblem:
    side: str  # training or testing
    line_number: int  # 1-based, in the manifest the training used
    source_ref: str | None
    errors: tuple[tuple[str, str], ...]  # (code, message), wherever in the line they were placed


@dataclass(frozen=True)
class ValidationReport:
    errors: tuple[tuple[str, str], ...]  # problems of the data as a whole (too few labels, ...)
    statistics: dict[str, dict[str, Any]]
    lines: tuple[LineProblem, ...]
    more: bool  # more line problems than shown


def validation_report(ctx: Context, *, version_arn: str) -> ValidationReport | None:
    """What manifest_summary.json and the validation manifests say; None before the training wrote them."""
    outputs = describe_version(ctx, arn=version_arn).outputs
    if "manifest_summary" not in outputs:
        return None
    summary = json.loads(_read(ctx, outputs["manifest_summary"]) or "{}")
    statistics = summary.get("statistics", {})
    errors = [(e.get("code", ""), e.get("message", "")) for e in summary.get("errors", [])]
    for side in ("training", "testing"):
        errors += [(e.get("code", ""), f"{side}: {e.get('message', '')}") for e in statistics.get(side, {}).get("errors", [])]
    problems: list[LineProblem] = []
    for side in ("training", "testing"):
        uri = outputs.get(f"{side}_validation")
        text = _read(ctx, uri) if uri else ""
        for number, raw in enumerate(text.splitlines(), start=1):
            if '"errors"' not in raw:
                continue
            line = json.loads(raw)
            found = tuple(_errors(line))
            if found:
                problems.append(LineProblem(side, number, line.get("source-ref"), found))
    return ValidationReport(tuple(errors), statistics, tuple(problems[:MAX_PROBLEMS]), len(problems) > MAX_PROBLEMS)


def _read(ctx: Context, uri: str) -> str:
    try:
        bucket, key = parse_s3_uri(uri)
        return ctx.blobs.get(bucket, key).decode("utf-8", errors="replace")
    except Exception:  # a validation file that cannot be read is left out of the report
        return ""


def _errors(value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "errors" and isinstance(item, list):
                yield from ((e.get("code", ""), e.get("message", "")) for e in item if isinstance(e, dict))
            else:
                yield from _errors(item)
    elif isinstance(value, list):
        for item in value:
            yield from _errors(item)
