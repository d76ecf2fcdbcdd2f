"""/projects/{project}/models: train, describe, delete, start, stop, evaluation, validation, detect."""

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, UploadFile, status

from customlabels.api.rest import schemas
from customlabels.api.rest.deps import ContextDep
from customlabels.errors import ResourceNotReady
from customlabels.service import evaluation_report, model_use, trainings, versions
from customlabels.service.names import project_arn, version_arn

router = APIRouter(prefix="/projects/{project}/models", tags=["models"])


@router.get("")
def list_models(ctx: ContextDep, project: str) -> list[schemas.Model]:
    page = versions.describe_versions(ctx, project_arn=project_arn(ctx, project))
    return [schemas.Model.of(v) for v in page.items]


@router.post("", status_code=status.HTTP_202_ACCEPTED)
def train(ctx: ContextDep, project: str, body: schemas.NewModel) -> schemas.Model:
    """Trains a model version from the project's TRAIN and TEST datasets."""
    arn = trainings.start_training(ctx, project_arn=project_arn(ctx, project), version_name=body.name, description=body.description)
    return schemas.Model.of(versions.describe_version(ctx, arn=arn))


@router.get("/{model}")
def get_model(ctx: ContextDep, project: str, model: str) -> schemas.Model:
    return schemas.Model.of(versions.describe_version(ctx, arn=version_arn(ctx, project, model)))


@router.delete("/{model}", status_code=status.HTTP_202_ACCEPTED)
def delete_model(ctx: ContextDep, project: str, model: str) -> schemas.Status:
    """Deletes the version (a training in progress is cancelled); a running model must be stopped first."""
    return schemas.Status(status=versions.delete_version(ctx, arn=version_arn(ctx, project, model)))


@router.post("/{model}/start", status_code=status.HTTP_202_ACCEPTED)
def start(ctx: ContextDep, project: str, model: str, body: schemas.StartModel) -> schemas.Status:
    return schemas.Status(status=model_use.start_model(ctx, version_arn=version_arn(ctx, project, model), inference_units=body.inference_units))


@router.post("/{model}/stop", status_code=status.HTTP_202_ACCEPTED)
def stop(ctx: ContextDep, project: str, model: str) -> schemas.Status:
    return schemas.Status(status=model_use.stop_model(ctx, version_arn=version_arn(ctx, project, model)))


@router.get("/{model}/evaluation")
def evaluation(ctx: ContextDep, project: str, model: str) -> schemas.Evaluation:
    """Per-label and overall precision, recall and F1, the confusion matrix and precision-recall curves."""
    return schemas.Evaluation.of(evaluation_report.evaluation_report(ctx, version_arn=version_arn(ctx, project, model)))


@router.get("/{model}/evaluation/images")
def evaluation_images(
    ctx: ContextDep,
    project: str,
    model: str,
    outcome: Annotated[str | None, Query(pattern="^(true_positive|false_positive|false_negative)$")] = None,
    label: str | None = None,
) -> list[schemas.EvaluatedImage]:
    """Test images with their true and predicted labels and boxes, filtered by outcome and label."""
    report = evaluation_report.evaluation_report(ctx, version_arn=version_arn(ctx, project, model))
    return [schemas.EvaluatedImage.of(image) for image in report.images_with(outcome, label)]


@router.get("/{model}/validation")
def validation(ctx: ContextDep, project: str, model: str) -> schemas.Validation:
    """Why the training data was refused: errors of the data as a whole and of each manifest line."""
    report = trainings.validation_report(ctx, version_arn=version_arn(ctx, project, model))
    if report is None:
        raise ResourceNotReady("The training has not validated its data yet.")
    return schemas.Validation.of(report)


@router.post("/{model}/detect", tags=["detection"])
def detect(
    ctx: ContextDep,
    project: str,
    model: str,
    image: Annotated[UploadFile, File(description="A PNG or JPEG image, at most 4 MB.")],
    min_confidence: Annotated[float | None, Form(ge=0, le=100)] = None,
) -> schemas.Detection:
    """Every label of a RUNNING model with its confidence, box and threshold (min_confidence cuts them, 0-100)."""
    tried = model_use.try_image(ctx, version_arn=version_arn(ctx, project, model), image=image.file.read())
    labels = [
        schemas.DetectedLabel(
            name=t.label.name,
            confidence=t.label.confidence,
            box=(t.label.box.left, t.label.box.top, t.label.box.width, t.label.box.height) if t.label.box else None,
            threshold=t.threshold,
        )
        for t in tried
        if min_confidence is None or t.label.confidence >= min_confidence
    ]
    return schemas.Detection(labels=labels)
