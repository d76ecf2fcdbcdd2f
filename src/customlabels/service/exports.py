"""A trained model outside the server: export it, or run it on images without starting it."""

import shutil
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select

from customlabels.errors import InvalidParameter, ResourceNotReady
from customlabels.images import TRAINING_MAX_BYTES, decode_image
from customlabels.service.context import Context
from customlabels.service.detection import CustomLabel, custom_labels
from customlabels.service.versions import version_by_arn
from customlabels.store.tables import ProjectVersion

BUNDLE_FILES = ("model.onnx", "model.json")


def bundle_of(ctx: Context, arn: str) -> Path:
    with ctx.db.session() as session:
        version_id = version_by_arn(session, arn).id
    bundle = ctx.bundle_dir(version_id)
    if not all((bundle / name).is_file() for name in BUNDLE_FILES):
        raise ResourceNotReady("The model version has no trained model (it is still training, or its training failed).")
    return bundle


def export_version(ctx: Context, *, arn: str, destination: Path) -> list[Path]:
    """Writes model.onnx and model.json (labels, thresholds, preprocessing) into destination."""
    bundle = bundle_of(ctx, arn)
    destination.mkdir(parents=True, exist_ok=True)
    if any((destination / name).exists() for name in BUNDLE_FILES):
        raise InvalidParameter(f"{destination} already holds an exported model; choose an empty folder.")
    written = []
    for name in BUNDLE_FILES:
        shutil.copyfile(bundle / name, destination / name)
        written.append(destination / name)
    return written


def detect_offline(
    ctx: Context, *, arn: str, images: Sequence[bytes], min_confidence: float | None = None, max_results: int | None = None
) -> list[list[CustomLabel]]:
    """The same answers as DetectCustomLabels, computed here, with the model loaded just for these images."""
    from customlabels.serving.bundle import load_bundle
    from customlabels.serving.predictor import Predictor

    bundle = bundle_of(ctx, arn)
    thresholds = load_bundle(bundle).thresholds
    predictor = Predictor(bundle, threads=0)
    decoded = [decode_image(data, max_bytes=TRAINING_MAX_BYTES) for data in images]
    return [
        custom_labels(predictions, thresholds, min_confidence=min_confidence, max_results=max_results)
        for predictions in predictor.predict(decoded)
    ]


def version_arn_by_name(ctx: Context, *, project_arn: str, version_name: str) -> str:
    from customlabels.errors import ResourceNotFound
    from customlabels.service.lookup import project_by_arn

    with ctx.db.session() as session:
        project = project_by_arn(session, project_arn)
        arn = session.scalar(select(ProjectVersion.arn).where(ProjectVersion.project_id == project.id, ProjectVersion.name == version_name))
    if arn is None:
        raise ResourceNotFound(f"The project has no model version named {version_name}.")
    return arn
