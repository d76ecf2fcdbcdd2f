"""One model training, run in its own process so a crash or out-of-memory never takes the API down.

    python -m customlabels.service.training_job VERSION_ARN     (settings in CUSTOMLABELS_WORKER_SETTINGS)
"""

import json
import os
import socket
import sys
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from customlabels.config import Settings
from customlabels.datasets.training_rules import OBJECT_LOCALIZATION, TrainingData, check_training_data
from customlabels.datasets.validation import validate_lines
from customlabels.service import versions as v
from customlabels.service.context import Context, open_context
from customlabels.service.model_files import remove_version
from customlabels.service.training_progress import DatabaseProgress
from customlabels.store.blobs import parse_s3_uri
from customlabels.store.tables import Job, Project, ProjectVersion

SETTINGS_VARIABLE = "CUSTOMLABELS_WORKER_SETTINGS"
EXIT_CANCELLED = 3


class TrainingFailed(Exception):
    """A failure the user can act on: its message becomes the version's StatusMessage."""


@dataclass(frozen=True)
class Version:
    id: int
    arn: str
    name: str
    project_name: str
    bucket: str
    prefix: str
    training_manifests: list[str]
    testing_manifests: list[str]
    auto_create: bool
    recipe: dict[str, Any]

    def key(self, name: str) -> str:
        return v.output_key(self.prefix, self.name, name)

    def uri(self, name: str) -> str:
        return f"s3://{self.bucket}/{self.key(name)}"


def main(argv: list[str]) -> int:
    settings = Settings.model_validate_json(os.environ[SETTINGS_VARIABLE])
    ctx = open_context(settings, inline_jobs=True)
    try:
        return run(ctx, argv[1])
    finally:
        ctx.close()


def run(ctx: Context, arn: str) -> int:
    version = _load(ctx, arn)
    if version is None:
        return 0
    _own_job(ctx, arn)
    started = time.monotonic()
    progress = DatabaseProgress(ctx, arn)
    try:
        outputs = train_and_evaluate(ctx, version, progress, started)
    except progress.cancelled_error:
        remove_version(ctx, arn)
        _finish_job(ctx, arn)
        return EXIT_CANCELLED
    except TrainingFailed as failure:
        _set(ctx, arn, status=v.TRAINING_FAILED, status_message=str(failure), training_end=time.time())
    except Exception as error:  # anything unexpected still ends the training with a reason
        message = f"The training stopped because of a service error: {type(error).__name__}: {error}"
        _set(ctx, arn, status=v.TRAINING_FAILED, status_message=message, training_end=time.time())
        _finish_job(ctx, arn)
        raise
    else:
        _set(ctx, arn, **outputs)
    _finish_job(ctx, arn)
    return 0


def train_and_evaluate(ctx: Context, version: Version, progress: DatabaseProgress, started: float) -> dict[str, Any]:
    from customlabels.service.model_training import evaluate_bundle, train_bundle

    progress.step("Validating the training and test data.")
    data = _validated(ctx, version)
    outputs = _write_validation(ctx, version, data)
    _set(ctx, version.arn, outputs=json.dumps(outputs))
    if not data.ok:
        raise TrainingFailed(_failure_message(data))
    bundle = train_bundle(ctx, version, data, progress)
    evaluation = evaluate_bundle(ctx, version, data, bundle, progress)
    outputs.update(evaluation.outputs)
    return {
        "status": v.TRAINING_COMPLETED,
        "status_message": "The model is ready to run.",
        "training_end": time.time(),
        "billable_seconds": int(time.monotonic() - started),
        "task": "detection" if data.use_case == OBJECT_LOCALIZATION else "multi_label" if data.multi_label else "classification",
        "f1_score": evaluation.f1_score,
        "outputs": json.dumps(outputs),
        "progress": None,
    }


def _validated(ctx: Context, version: Version) -> TrainingData:
    def read_image(uri: str) -> bytes:
        bucket, key = parse_s3_uri(uri)
        return ctx.blobs.get(bucket, key)

    train = validate_lines(_manifest_lines(ctx, version.training_manifests), read_image)
    test = None if version.auto_create else validate_lines(_manifest_lines(ctx, version.testing_manifests), read_image)
    return check_training_data(train, test, seed=version.id)


def _manifest_lines(ctx: Context, uris: list[str]) -> list[str]:
    lines: list[str] = []
    for uri in uris:
        try:
            bucket, key = parse_s3_uri(uri)
            lines += ctx.blobs.get(bucket, key).decode("utf-8", errors="replace").splitlines()
        except Exception as error:  # whatever the store says, the user sees AWS's terminal message
            raise TrainingFailed(f"The manifest file extension or contents are invalid. ({uri}: {error})") from error
    if not any(line.strip() for line in lines):
        raise TrainingFailed("The manifest file is empty.")
    return lines


def _write_validation(ctx: Context, version: Version, data: TrainingData) -> dict[str, str]:
    files = {
        "manifest_summary": ("manifest_summary.json", json.dumps(data.summary(), indent=2)),
        "training_validation": ("training_manifest_with_validation.json", _jsonl(data.training_lines)),
        "testing_validation": ("testing_manifest_with_validation.json", _jsonl(data.testing_lines)),
        "training_input": ("input/training_used.manifest", _jsonl([e.line for e in data.train])),
    }
    try:
        ctx.blobs.ensure_bucket(version.bucket)
        for name, text in files.values():
            ctx.blobs.put(version.bucket, version.key(name), text.encode())
    except Exception as error:  # the output bucket is the user's to fix
        raise TrainingFailed(f"Unable to write to output S3 bucket. ({error})") from error
    outputs = {role: version.uri(name) for role, (name, _) in files.items()}
    outputs["training_input"] = version.training_manifests[0]
    if version.testing_manifests:
        outputs["testing_input"] = version.testing_manifests[0]
    return outputs


def _failure_message(data: TrainingData) -> str:
    errors = [*data.errors, *data.training.errors, *data.testing.errors]
    return "; ".join(f"{e.code}: {e.message}" for e in errors) + " See manifest_summary.json in the output bucket."


def _jsonl(lines: Any) -> str:
    return "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines)


def _load(ctx: Context, arn: str) -> Version | None:
    with ctx.db.session() as session:
        row = session.scalar(select(ProjectVersion).where(ProjectVersion.arn == arn))
        if row is None:
            return None
        if row.status == v.DELETING:
            remove_version(ctx, arn)
            return None
        if row.status != v.TRAINING_IN_PROGRESS:
            return None
        project = session.get_one(Project, row.project_id)
        testing = json.loads(row.testing_input or "{}")
        return Version(
            id=row.id,
            arn=row.arn,
            name=row.name,
            project_name=project.name,
            bucket=row.output_bucket,
            prefix=row.output_prefix,
            training_manifests=json.loads(row.training_input or "[]"),
            testing_manifests=testing.get("manifests", []),
            auto_create=testing.get("auto_create", False),
            recipe=json.loads(row.recipe or "{}"),
        )


def _set(ctx: Context, arn: str, **values: Any) -> None:
    with ctx.db.session() as session:
        session.execute(update(ProjectVersion).where(ProjectVersion.arn == arn, ProjectVersion.status != v.DELETING).values(**values))


def _own_job(ctx: Context, arn: str) -> None:
    """The job is this process's now: a restarted server sees it alive and leaves it be."""
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    with ctx.db.session() as session:
        session.execute(update(Job).where(Job.resource_arn == arn, Job.kind == "version.train", Job.state == "RUNNING").values(owner=owner))


def _finish_job(ctx: Context, arn: str) -> None:
    with ctx.db.session() as session:
        session.execute(
            update(Job).where(Job.resource_arn == arn, Job.kind == "version.train", Job.state.in_(("RUNNING", "PENDING"))).values(state="DONE", payload="{}", updated_at=time.time())
        )


if __name__ == "__main__":
    sys.exit(main(sys.argv))
