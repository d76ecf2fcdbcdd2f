"""What a training writes where DescribeProjectVersions and the console read it (real SQLite, real service layer)."""

import json
import time

from sqlalchemy import select

from customlabels.config import Settings
from customlabels.service import projects
from customlabels.service.context import open_context
from customlabels.service.training_progress import DatabaseProgress
from customlabels.store.tables import Project, ProjectVersion


def _version(ctx, status: str = "TRAINING_IN_PROGRESS") -> str:  # type: ignore[no-untyped-def]
    project_arn = projects.create_project(ctx, name=f"progress-{status.lower()}")
    arn = f"{project_arn.rsplit('/', 1)[0]}/version/v1/1"
    with ctx.db.session() as session:
        project_id = session.scalar(select(Project.id).where(Project.arn == project_arn))
        session.add(
            ProjectVersion(
                arn=arn, project_id=project_id, name="v1", status=status, created_at=time.time(),
                output_bucket="out", output_prefix="",
            )
        )
    return arn


def _row(ctx, arn: str) -> tuple[dict, str]:  # type: ignore[no-untyped-def, type-arg]
    with ctx.db.session() as session:
        version = session.scalars(select(ProjectVersion).where(ProjectVersion.arn == arn)).one()
        return json.loads(version.progress or "null"), version.status_message


def test_the_last_epoch_stays_on_show_while_the_model_is_evaluated(tmp_path) -> None:  # type: ignore[no-untyped-def]
    ctx = open_context(Settings(data_dir=tmp_path / "data"))
    try:
        arn = _version(ctx)
        progress = DatabaseProgress(ctx, arn, every=0.0, new_epoch_every=0.0)
        progress.step("Reading the training images.")
        assert _row(ctx, arn) == ({"step": "Reading the training images."}, "Reading the training images.")
        for epoch in (1, 2, 3):
            progress.report(step="training", epoch=epoch, epochs=3, fraction=0.3 * epoch, eta_s=10.0 - epoch, metrics={})
        record, message = _row(ctx, arn)
        assert (record["epoch"], record["epochs"], record["fraction"]) == (3, 3, 0.9)
        assert message == "Training: training, epoch 3 of 3, about 7 s left."

        progress.step("Evaluating the model on the test images.")
        assert _row(ctx, arn) == (
            {"epoch": 3, "epochs": 3, "fraction": 0.9, "step": "Evaluating the model on the test images."},
            "Evaluating the model on the test images.",
        )
        assert not progress.cancelled()
    finally:
        ctx.close()


def test_a_version_being_deleted_is_not_written_and_cancels_the_training(tmp_path) -> None:  # type: ignore[no-untyped-def]
    ctx = open_context(Settings(data_dir=tmp_path / "data"))
    try:
        arn = _version(ctx, status="DELETING")
        progress = DatabaseProgress(ctx, arn, every=0.0, new_epoch_every=0.0)
        progress.report(step="training", epoch=1, epochs=3, fraction=0.3, eta_s=None, metrics={})
        assert _row(ctx, arn) == (None, None)
        assert progress.cancelled()
    finally:
        ctx.close()
