"""Model versions: create (train), describe, delete, start, stop, copy."""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from customlabels import arns
from customlabels.errors import InvalidParameter, LimitExceeded, ResourceInUse, ResourceNotFound, ResourceNotReady
from customlabels.service import tags as tag_rules
from customlabels.service.context import Context
from customlabels.service.lookup import project_by_arn
from customlabels.service.pagination import Page, decode_token, page_of, query_key
from customlabels.service.projects import DELETING as PROJECT_DELETING
from customlabels.store.tables import Dataset, DatasetEntry, Project, ProjectVersion

TRAINING_IN_PROGRESS, TRAINING_COMPLETED, TRAINING_FAILED = "TRAINING_IN_PROGRESS", "TRAINING_COMPLETED", "TRAINING_FAILED"
STARTING, RUNNING, FAILED, STOPPING, STOPPED, DELETING = "STARTING", "RUNNING", "FAILED", "STOPPING", "STOPPED", "DELETING"
COPYING_IN_PROGRESS, COPYING_COMPLETED, COPYING_FAILED = "COPYING_IN_PROGRESS", "COPYING_COMPLETED", "COPYING_FAILED"
STARTABLE = (TRAINING_COMPLETED, STOPPED, COPYING_COMPLETED, FAILED)
SERVING = (STARTING, RUNNING, STOPPING)
MAX_RUNNING_UNITS = 16


@dataclass(frozen=True)
class VersionDescription:
    arn: str
    project_arn: str
    name: str
    created_at: float
    status: str
    status_message: str | None
    training_end: float | None
    billable_seconds: int | None
    output_bucket: str
    output_prefix: str
    kms_key_id: str | None
    description: str | None
    source_version_arn: str | None
    outputs: Mapping[str, Any]
    f1_score: float | None
    min_units: int | None
    max_units: int | None
    task: str | None
    progress: Mapping[str, Any] | None


def output_key(prefix: str, version_name: str, name: str) -> str:
    """Where a version's files go under OutputConfig.S3KeyPrefix."""
    base = f"{prefix.rstrip('/')}/" if prefix else ""
    return f"{base}{version_name}/{name}"


def create_version(
    ctx: Context,
    *,
    project_arn: str,
    version_name: str,
    output_bucket: str,
    output_prefix: str = "",
    training_manifests: Sequence[str] | None = None,
    testing_manifests: Sequence[str] | None = None,
    auto_create_test: bool = False,
    tags: Mapping[str, str] | None = None,
    kms_key_id: str | None = None,
    description: str | None = None,
    recipe: Mapping[str, Any] | None = None,
) -> str:
    if not arns.NAME_PATTERN.match(version_name):
        raise InvalidParameter("VersionName must be 1-255 characters from a-z, A-Z, 0-9, '_', '.' and '-'.")
    tag_rules.check_tags(tags or {})
    external = training_manifests is not None or testing_manifests is not None or auto_create_test
    if external and training_manifests is None:
        raise InvalidParameter("TestingData needs TrainingData: give both, or train from the project's datasets.")
    if external and not auto_create_test and not testing_manifests:
        raise InvalidParameter("Give TestingData.Assets, or set TestingData.AutoCreate to split the training data.")
    now = ctx.clock()
    with ctx.db.session() as session:
        project = project_by_arn(session, project_arn)
        if project.status == PROJECT_DELETING:
            raise ResourceInUse("The project is being deleted.")
        if project.feature != "CUSTOM_LABELS":
            raise InvalidParameter("Only CUSTOM_LABELS projects train models here.")
        if session.scalar(select(ProjectVersion.id).where(ProjectVersion.project_id == project.id, ProjectVersion.name == version_name)):
            raise ResourceInUse(f"The project already has a model version named {version_name}.")
        datasets = {d.dataset_type: d for d in session.scalars(select(Dataset).where(Dataset.project_id == project.id))}
        if external and datasets:
            raise InvalidParameter("TrainingData and TestingData can be given only for a project without datasets.")
        arn = arns.version_arn(project_arn=project.arn, version_name=version_name, stamp=int(now * 1000))
        if not external:
            training_manifests, testing_manifests = _dataset_manifests(ctx, session, datasets, output_bucket, output_prefix, version_name)
        version = ProjectVersion(
            arn=arn,
            project_id=project.id,
            name=version_name,
            status=TRAINING_IN_PROGRESS,
            status_message="The model is being trained.",
            created_at=now,
            output_bucket=output_bucket,
            output_prefix=output_prefix,
            kms_key_id=kms_key_id,
            description=description,
            training_input=json.dumps(list(training_manifests or [])),
            testing_input=json.dumps({"manifests": list(testing_manifests or []), "auto_create": auto_create_test}),
            recipe=json.dumps({**ctx.settings.training_recipe, **(recipe or {})}),
        )
        session.add(version)
        tag_rules.replace_tags(session, arn, tags or {})
        job = ctx.jobs.enqueue(session, kind="version.train", resource_arn=arn, payload={})
    ctx.jobs.start(job)
    return arn


def describe_versions(
    ctx: Context,
    *,
    project_arn: str,
    version_names: Sequence[str] | None = None,
    max_results: int = 100,
    next_token: str | None = None,
) -> Page[VersionDescription]:
    key = query_key("versions", project_arn, sorted(version_names or []))
    after = decode_token(next_token, key)
    with ctx.db.session() as session:
        project = project_by_arn(session, project_arn)
        query = select(ProjectVersion).where(ProjectVersion.project_id == project.id)
        if version_names:
            query = query.where(ProjectVersion.name.in_(version_names))
        if after is not None:
            query = query.where(ProjectVersion.id < after)
        rows = session.scalars(query.order_by(ProjectVersion.id.desc()).limit(max_results + 1)).all()
        page = page_of(rows, max_results, lambda row: row.id, key)
        return Page([describe(row, project.arn) for row in page.items], page.next_token)


def describe_version(ctx: Context, *, arn: str) -> VersionDescription:
    with ctx.db.session() as session:
        version = version_by_arn(session, arn)
        project = session.get_one(Project, version.project_id)
        return describe(version, project.arn)


def delete_version(ctx: Context, *, arn: str) -> str:
    """Deleting a version that is training cancels the training."""
    with ctx.db.session() as session:
        version = version_by_arn(session, arn)
        if version.status in SERVING:
            raise ResourceInUse(f"The model is {version.status}; stop it before deleting it.")
        if version.status == COPYING_IN_PROGRESS:
            raise ResourceInUse("The model is being copied; delete it when the copy ends.")
        if version.status == DELETING:
            return DELETING
        cancelling = version.status == TRAINING_IN_PROGRESS
        version.status, version.status_message = DELETING, "The training is being cancelled." if cancelling else None
        job = None if cancelling else ctx.jobs.enqueue(session, kind="version.delete", resource_arn=arn, payload={})
    if job is not None:
        ctx.jobs.start(job)
    return DELETING


def start_version(ctx: Context, *, arn: str, min_units: int, max_units: int | None = None) -> str:
    if min_units < 1 or (max_units is not None and max_units < min_units):
        raise InvalidParameter("MinInferenceUnits must be at least 1 and MaxInferenceUnits at least MinInferenceUnits.")
    with ctx.db.session() as session:
        version = version_by_arn(session, arn)
        if version.status not in STARTABLE:
            raise ResourceInUse(f"The model is {version.status}; only a trained or stopped model can be started.")
        running = session.scalar(select(func.coalesce(func.sum(ProjectVersion.min_units), 0)).where(ProjectVersion.status.in_(SERVING))) or 0
        if running + min_units > MAX_RUNNING_UNITS:
            raise LimitExceeded(f"{running} inference units are in use; at most {MAX_RUNNING_UNITS} can run at once.")
        version.status, version.status_message = STARTING, "The model is starting."
        version.min_units, version.max_units = min_units, max_units
    return STARTING


def stop_version(ctx: Context, *, arn: str) -> str:
    with ctx.db.session() as session:
        version = version_by_arn(session, arn)
        if version.status not in (RUNNING, STARTING):
            raise ResourceInUse(f"The model is {version.status}; only a running or starting model can be stopped.")
        version.status, version.status_message = STOPPING, "The model is stopping."
    return STOPPING


def copy_version(
    ctx: Context,
    *,
    source_project_arn: str,
    source_version_arn: str,
    destination_project_arn: str,
    version_name: str,
    output_bucket: str,
    output_prefix: str = "",
    tags: Mapping[str, str] | None = None,
    kms_key_id: str | None = None,
) -> str:
    if not arns.NAME_PATTERN.match(version_name):
        raise InvalidParameter("VersionName must be 1-255 characters from a-z, A-Z, 0-9, '_', '.' and '-'.")
    tag_rules.check_tags(tags or {})
    now = ctx.clock()
    with ctx.db.session() as session:
        source_project = project_by_arn(session, source_project_arn)
        source = version_by_arn(session, source_version_arn)
        if source.project_id != source_project.id:
            raise ResourceNotFound(f"The project {source_project_arn} has no model version {source_version_arn}.")
        if source.status in (TRAINING_IN_PROGRESS, TRAINING_FAILED, COPYING_IN_PROGRESS, COPYING_FAILED, DELETING):
            raise ResourceInUse(f"The model is {source.status}; only a trained model can be copied.")
        destination = project_by_arn(session, destination_project_arn)
        if session.scalar(select(ProjectVersion.id).where(ProjectVersion.project_id == destination.id, ProjectVersion.name == version_name)):
            raise ResourceInUse(f"The project already has a model version named {version_name}.")
        arn = arns.version_arn(project_arn=destination.arn, version_name=version_name, stamp=int(now * 1000))
        session.add(
            ProjectVersion(
                arn=arn,
                project_id=destination.id,
                name=version_name,
                status=COPYING_IN_PROGRESS,
                status_message="The model is being copied.",
                created_at=now,
                output_bucket=output_bucket,
                output_prefix=output_prefix,
                kms_key_id=kms_key_id,
                description=source.description,
                source_version_arn=source.arn,
                training_input=source.training_input,
                testing_input=source.testing_input,
                task=source.task,
                recipe=source.recipe,
            )
        )
        tag_rules.replace_tags(session, arn, tags or {})
        job = ctx.jobs.enqueue(session, kind="version.copy", resource_arn=arn, payload={"source": source.arn})
    ctx.jobs.start(job)
    return arn


def version_by_arn(session: Session, arn: str) -> ProjectVersion:
    version = session.scalar(select(ProjectVersion).where(ProjectVersion.arn == arn))
    if version is None:
        raise ResourceNotFound(f"The model version {arn} does not exist.")
    return version


def running_version(session: Session, arn: str) -> ProjectVersion:
    version = version_by_arn(session, arn)
    if version.status != RUNNING:
        raise ResourceNotReady(f"The model is {version.status}; start it with StartProjectVersion first.")
    return version


def describe(version: ProjectVersion, project_arn: str) -> VersionDescription:
    return VersionDescription(
        arn=version.arn,
        project_arn=project_arn,
        name=version.name,
        created_at=version.created_at,
        status=version.status,
        status_message=version.status_message,
        training_end=version.training_end,
        billable_seconds=version.billable_seconds,
        output_bucket=version.output_bucket,
        output_prefix=version.output_prefix,
        kms_key_id=version.kms_key_id,
        description=version.description,
        source_version_arn=version.source_version_arn,
        outputs=json.loads(version.outputs or "{}"),
        f1_score=version.f1_score,
        min_units=version.min_units,
        max_units=version.max_units,
        task=version.task,
        progress=json.loads(version.progress) if version.progress else None,
    )


def _dataset_manifests(
    ctx: Context, session: Session, datasets: Mapping[str, Dataset], bucket: str, prefix: str, version_name: str
) -> tuple[list[str], list[str]]:
    """Snapshots the project's datasets as they are now into input manifests beside the version's outputs."""
    if "TRAIN" not in datasets or "TEST" not in datasets:
        raise InvalidParameter("The project needs a TRAIN and a TEST dataset (or give TrainingData and TestingData).")
    for dataset in datasets.values():
        if dataset.status not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
            raise ResourceNotReady(f"The {dataset.dataset_type} dataset is {dataset.status}; train when it is complete.")
    ctx.blobs.ensure_bucket(bucket)
    uris = []
    for dataset_type in ("TRAIN", "TEST"):
        lines = session.scalars(select(DatasetEntry.line).where(DatasetEntry.dataset_id == datasets[dataset_type].id).order_by(DatasetEntry.id))
        key = output_key(prefix, version_name, f"input/{dataset_type.lower()}.manifest")
        ctx.blobs.put(bucket, key, "".join(line + "\n" for line in lines).encode())
        uris.append(f"s3://{bucket}/{key}")
    return [uris[0]], [uris[1]]
