"""Training a bundle from validated data, and scoring it on the test set the way it will be served."""

import json
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from customlabels.datasets.manifest import ManifestEntry
from customlabels.datasets.training_rules import OBJECT_LOCALIZATION, TrainingData
from customlabels.images import decode_image
from customlabels.service.context import Context
from customlabels.service.training_progress import DatabaseProgress
from customlabels.store.blobs import parse_s3_uri

if TYPE_CHECKING:
    from customlabels.evaluation import Evaluation
    from customlabels.serving.prediction import Prediction
    from customlabels.service.training_job import Version

EVALUATION_BATCH = 16
DETECTION_RECIPE_KEY = "detection"  # recipe overrides for object localization live under this key


@dataclass(frozen=True)
class EvaluationOutcome:
    f1_score: float
    outputs: dict[str, str]


def train_bundle(ctx: Context, version: "Version", data: TrainingData, progress: DatabaseProgress) -> Path:
    """Fetches the training images, trains and exports; the bundle appears whole or not at all."""
    progress.step("Reading the training images.")
    images = _fetch(ctx, version.id, data.train, "train")
    bundle = ctx.bundle_dir(version.id)
    partial = bundle.with_name(bundle.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)  # left by an attempt that died
    if data.use_case == OBJECT_LOCALIZATION:
        _train_detector(version, data, images, progress, partial)
    else:
        _train_classifier(version, data, images, progress, partial)
    shutil.rmtree(bundle, ignore_errors=True)
    partial.replace(bundle)
    return bundle


def evaluate_bundle(ctx: Context, version: "Version", data: TrainingData, bundle: Path, progress: DatabaseProgress) -> EvaluationOutcome:
    from customlabels.evaluation import summary_file, summary_file_name
    from customlabels.serving.predictor import Predictor

    progress.step("Evaluating the model on the test images.")
    predictor = Predictor(bundle, threads=0)
    predictions = _predict(predictor, _fetch(ctx, version.id, data.test, "test"))
    now = datetime.now(timezone.utc)
    if data.use_case == OBJECT_LOCALIZATION:
        evaluation, snapshot = _evaluate_boxes(predictor.labels, data.test, predictions, now)
    else:
        evaluation, snapshot = _evaluate_labels(predictor.labels, data, predictions, now)
    _record_thresholds(bundle, evaluation.thresholds)
    summary = summary_file(
        evaluation,
        version_arn=version.arn,
        evaluation_end=now,
        number_of_training_images=len(data.train),
        number_of_testing_images=len(data.test),
    )
    files = {
        "summary": (f"evaluation/{summary_file_name(version.project_name, version.name)}", json.dumps(summary, indent=2)),
        "testing_output": ("evaluation/testing_output.manifest", "".join(json.dumps(line) + "\n" for line in snapshot)),
    }
    for name, text in files.values():
        ctx.blobs.put(version.bucket, version.key(name), text.encode())
    outputs = {role: version.uri(name) for role, (name, _) in files.items()}
    outputs["training_output"] = version.uri("input/training_used.manifest")
    return EvaluationOutcome(f1_score=evaluation.f1_score, outputs=outputs)


def _train_classifier(version: "Version", data: TrainingData, images: list[Path], progress: DatabaseProgress, out: Path) -> None:
    from customlabels.training import Sample, choose_recipe, train_classifier

    samples = [Sample(path=path, labels=entry.labels) for path, entry in zip(images, data.train, strict=True)]
    overrides = {key: value for key, value in version.recipe.items() if key != DETECTION_RECIPE_KEY}
    recipe = choose_recipe(num_images=len(samples), num_labels=len(data.labels), multi_label=data.multi_label, overrides=overrides or None)
    train_classifier(samples, labels=data.labels, multi_label=data.multi_label, recipe=recipe, progress=progress, out_dir=out, seed=version.id)


def _train_detector(version: "Version", data: TrainingData, images: list[Path], progress: DatabaseProgress, out: Path) -> None:
    from customlabels.training.detection import DetectionSample, choose_detection_recipe, train_detector

    samples = [
        DetectionSample(path=path, boxes=tuple((b.label, b.left, b.top, b.width, b.height) for b in entry.boxes))
        for path, entry in zip(images, data.train, strict=True)
    ]
    overrides = version.recipe.get(DETECTION_RECIPE_KEY) or None
    recipe = choose_detection_recipe(num_images=len(samples), num_labels=len(data.labels), overrides=overrides, samples=samples)
    train_detector(samples, labels=data.labels, recipe=recipe, progress=progress, out_dir=out, seed=version.id)


def _predict(predictor: Any, paths: Sequence[Path]) -> list[list["Prediction"]]:
    predictions: list[list[Prediction]] = []
    for start in range(0, len(paths), EVALUATION_BATCH):
        batch = [decode_image(path.read_bytes()) for path in paths[start : start + EVALUATION_BATCH]]
        predictions += predictor.predict(batch)
    return predictions


def _evaluate_labels(
    labels: Sequence[str], data: TrainingData, predictions: Sequence[Sequence["Prediction"]], now: datetime
) -> tuple["Evaluation", list[dict[str, Any]]]:
    from customlabels.evaluation import classification_snapshot_line, evaluate_classification

    scores = [[{p.label: p.confidence for p in image}[label] for label in labels] for image in predictions]
    truth = [[label for label in entry.labels if label in labels] for entry in data.test]
    multi_label = data.multi_label or any(len(t) != 1 for t in truth)
    evaluation = evaluate_classification(labels, scores, truth, multi_label=multi_label)
    snapshot = []
    for entry, row in zip(data.test, scores, strict=True):
        thresholds = _with_untrained(evaluation.thresholds, entry.labels)
        image_scores = {label: 0.0 for label in thresholds} | dict(zip(labels, row, strict=True))
        snapshot.append(classification_snapshot_line(_line(entry), scores=image_scores, thresholds=thresholds, creation_date=now))
    return evaluation, snapshot


def _evaluate_boxes(
    labels: Sequence[str], test: Sequence[ManifestEntry], predictions: Sequence[Sequence["Prediction"]], now: datetime
) -> tuple["Evaluation", list[dict[str, Any]]]:
    from customlabels.evaluation import Detection, detection_snapshot_line, evaluate_detection, image_boxes

    detections = [
        [Detection(p.label, p.confidence, p.box.left, p.box.top, p.box.width, p.box.height) for p in image if p.box is not None]
        for image in predictions
    ]
    truths = [[box for box in image_boxes(_line(entry)) if box.label in labels] for entry in test]
    evaluation = evaluate_detection(labels, detections, truths)
    snapshot = [
        detection_snapshot_line(
            _line(entry), detections=found, thresholds=_with_untrained(evaluation.thresholds, entry.label_names), creation_date=now
        )
        for entry, found in zip(test, detections, strict=True)
    ]
    return evaluation, snapshot


def _with_untrained(thresholds: Mapping[str, float], truth: Sequence[str]) -> dict[str, float]:
    """A test label the model never learnt is never predicted: in the snapshot it is a false negative."""
    return {**thresholds, **{label: 1.0 for label in truth if label not in thresholds}}


def _line(entry: ManifestEntry) -> dict[str, Any]:
    return {**entry.line, "source-ref": entry.source_ref}


def _fetch(ctx: Context, version_id: int, entries: Sequence[ManifestEntry], side: str) -> list[Path]:
    folder = ctx.settings.work_dir / str(version_id) / side
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, entry in enumerate(entries):
        bucket, key = parse_s3_uri(entry.source_ref or "")
        path = folder / f"{index}{Path(key).suffix.lower() or '.img'}"
        path.write_bytes(ctx.blobs.get(bucket, key))
        paths.append(path)
    return paths


def _record_thresholds(bundle: Path, thresholds: dict[str, float]) -> None:
    """The assumed thresholds travel with the model: DetectCustomLabels filters with them."""
    spec_path = bundle / "model.json"
    spec = json.loads(spec_path.read_text())
    spec["thresholds"] = thresholds
    temporary = spec_path.with_suffix(".tmp")
    temporary.write_text(json.dumps(spec, indent=2))
    temporary.replace(spec_path)
