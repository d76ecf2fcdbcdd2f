"""Turning an import plan (files on disk + manifest lines) into a dataset."""

import json
from dataclasses import dataclass

from customlabels.datasets.importers.plan import ImportPlan, Skipped
from customlabels.errors import InvalidParameter
from customlabels.service import datasets
from customlabels.service.context import Context
from customlabels.service.lookup import project_by_arn


@dataclass(frozen=True)
class ImportResult:
    dataset_arn: str
    uploaded: int
    lines: int
    skipped: tuple[Skipped, ...]


def import_plan(ctx: Context, *, project_arn: str, dataset_type: str, plan: ImportPlan, manifest_key: str) -> ImportResult:
    """Uploads the plan's images, then creates the dataset from its manifest, or upserts into the existing one."""
    if not plan.lines:
        raise InvalidParameter("Nothing to import: no image was found that could be imported." + _skipped_hint(plan))
    with ctx.db.session() as session:
        project_by_arn(session, project_arn)
    ctx.blobs.ensure_bucket(plan.bucket)
    for file in plan.files:
        ctx.blobs.put(plan.bucket, plan.object_key(file), file.path.read_bytes())
    manifest = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in plan.lines).encode()
    existing = next(
        (d for d in _project_datasets(ctx, project_arn) if d.dataset_type == dataset_type), None
    )
    if existing is None:
        ctx.blobs.put(plan.bucket, manifest_key, manifest)
        arn = datasets.create_dataset(
            ctx, project_arn=project_arn, dataset_type=dataset_type, manifest_uri=f"s3://{plan.bucket}/{manifest_key}"
        )
    else:
        arn = existing.arn
        datasets.update_entries(ctx, arn=arn, changes=manifest, max_bytes=None)
    return ImportResult(dataset_arn=arn, uploaded=len(plan.files), lines=len(plan.lines), skipped=plan.skipped)


def _project_datasets(ctx: Context, project_arn: str):  # type: ignore[no-untyped-def]
    from customlabels.service.projects import describe_project

    return describe_project(ctx, arn=project_arn).datasets


def _skipped_hint(plan: ImportPlan) -> str:
    if not plan.skipped:
        return ""
    first = plan.skipped[0]
    return f" {len(plan.skipped)} files were skipped, e.g. {first.path}: {first.reason}"
