"""Training a bundle from validated data, and scoring it on the test set the way it will be served."""

import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from customlabels.datasets.manifest import ManifestEntry
from customlabels.datasets.training_rules import TrainingData
from customlabels.images import decode_image
from customlabels.service.context import Context
from customlabels.service.training_progress import DatabaseProgress
from customlabels.store.blobs import parse_s3_uri

if TYPE_CHECKING:
    from customlabels.service.training_job import Version

EVALUATION_BATCH = 32


@dataclass(frozen=True)
class EvaluationOutcome:
    f1_score: float
    outputs: dict[str, str]


def train_bundle(ctx: Context, version: "Version", data: TrainingData, progress: DatabaseProgress) -> Path:
    """Fetches the training images, trains and exports; the bundle appears whole or not at all."""
    from customlabels.training import Sample, choose_recipe, train_classifier

    progress.step("Reading the training images.")
    images = _fetch(ctx, version.id, data.train, "train")
    samples = [Sample(path=path, labels=entry.labels) for path, entry in zip(images, data.train, strict=True)]
    recipe = choose_recipe(
        num_images=len(samples), num_labels=len(data.labels), multi_label=data.multi_label, overrides=version.recipe or None
    )
    bundle = ctx.bundle_dir(version.id)
    partial = bundle.with_name(bundle.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)  # left by an attempt that died
    train_classifier(samples, labels=data.labels, multi_label=data.multi_label, recipe=recipe, progress=progress, out_dir=partial, seed=version.id)
    shutil.rmtree(bundle, ignore_errors=True)
    partial.replace(bundle)
    return bundle


def evaluate_bundle(ctx: Context, version: "Version", data: TrainingData, bundle: Path, progress: DatabaseProgress) -> EvaluationOutcome:
    from customlabels.evaluation import classification_snapshot_line, evaluate_classification, summary_file, summary_file_name
    from customlabels.serving.predictor import Predictor

    progress.step("Evaluating the model on the test images.")
    predictor = Predictor(bundle, threads=0)
    labels = predictor.labels
    scores = []
    paths = _fetch(ctx, version.id, data.test, "test")
    for start in range(0, len(paths), EVALUATION_BATCH):
        batch = [decode_image(path.read_bytes()) for path in paths[start : start + EVALUATION_BATCH]]
        for predictions in predictor.predict(batch):
            by_label = {p.label: p.confidence for p in predictions}
            scores.append([by_label[label] for label in labels])
    truth = [[label for label in entry.labels if label in labels] for entry in data.test]
    multi_label = data.multi_label or any(len(t) != 1 for t in truth)
    evaluation = evaluate_classification(labels, scores, truth, multi_label=multi_label)
    _record_thresholds(bundle, evaluation.thresholds)

    now = datetime.now(timezone.utc)
    summary = summary_file(
        evaluation,
        version_arn=version.arn,
        evaluation_end=now,
        number_of_training_images=len(data.train),
        number_of_testing_images=len(data.test),
    )
    snapshot = [
        classification_snapshot_line(
            {**entry.line, "source-ref": entry.source_ref},
            scores=dict(zip(labels, row, strict=True)),
            thresholds=evaluation.thresholds,
            creation_date=now,
        )
        for entry, row in zip(data.test, scores, strict=True)
    ]
    files = {
        "summary": (f"evaluation/{summary_file_name(version.project_name, version.name)}", json.dumps(summary, indent=2)),
        "testing_output": ("evaluation/testing_output.manifest", "".join(json.dumps(line) + "\n" for line in snapshot)),
    }
    for name, text in files.values():
        ctx.blobs.put(version.bucket, version.key(name), text.encode())
    outputs = {role: version.uri(name) for role, (name, _) in files.items()}
    outputs["training_output"] = version.uri("input/training_used.manifest")
    return EvaluationOutcome(f1_score=evaluation.f1_score, outputs=outputs)


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
