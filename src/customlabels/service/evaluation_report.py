"""A trained model's evaluation as the console shows it, read from the summary file and the snapshot."""

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from customlabels.errors import ResourceNotReady
from customlabels.evaluation import precision_recall_curve
from customlabels.evaluation.snapshot import (
    DETAILS_KEY,
    EVALUATION_ATTRIBUTE,
    TRAINING_ATTRIBUTE,
)
from customlabels.service.context import Context
from customlabels.service.versions import describe_version
from customlabels.store.blobs import parse_s3_uri

CURVE_POINTS = 100
OUTCOMES = ("true_positive", "false_positive", "false_negative")


@dataclass(frozen=True)
class LabelResult:
    label: str
    threshold: float
    precision: float
    recall: float
    f1_score: float
    testing_images: int


@dataclass(frozen=True)
class CurvePoint:
    recall: float
    precision: float
    threshold: float


@dataclass(frozen=True)
class Decision:
    """A predicted label (box is None) or box, or a missed ground-truth box, with what it turned out to be."""

    label: str
    confidence: float
    outcome: str  # true_positive, false_positive, false_negative or true_negative
    box: tuple[float, float, float, float] | None = None  # left, top, width, height as ratios


@dataclass(frozen=True)
class TestImage:
    source_ref: str
    truth: tuple[str, ...]
    truth_boxes: tuple[tuple[str, float, float, float, float], ...]
    decisions: tuple[Decision, ...]

    @property
    def outcomes(self) -> set[str]:
        return {decision.outcome for decision in self.decisions}


@dataclass(frozen=True)
class EvaluationReport:
    precision: float
    recall: float
    f1_score: float
    training_images: int
    testing_images: int
    labels: tuple[LabelResult, ...]
    confusion: Mapping[str, Mapping[str, float]] | None  # truth label -> top-scoring label -> share of its images
    curves: Mapping[str, tuple[CurvePoint, ...]]
    images: tuple[TestImage, ...]

    def images_with(self, outcome: str | None, label: str | None = None) -> list[TestImage]:
        return [
            image
            for image in self.images
            if any((outcome is None or d.outcome == outcome) and (label is None or d.label == label) for d in image.decisions)
            or (outcome is None and label is None)
        ]


def evaluation_report(ctx: Context, *, version_arn: str) -> EvaluationReport:
    version = describe_version(ctx, arn=version_arn)
    if "summary" not in version.outputs or "testing_output" not in version.outputs:
        raise ResourceNotReady(f"The model is {version.status}; its evaluation is there once the training completes.")
    summary = json.loads(_read(ctx, version.outputs["summary"]))
    snapshot = [json.loads(line) for line in _read(ctx, version.outputs["testing_output"]).splitlines() if line.strip()]
    aggregated = summary.get("AggregatedEvaluationResults", {})
    details = summary.get("EvaluationDetails", {})
    images = tuple(_test_image(line) for line in snapshot)
    return EvaluationReport(
        precision=float(aggregated.get("Precision", 0.0)),
        recall=float(aggregated.get("Recall", 0.0)),
        f1_score=float(aggregated.get("F1Score", 0.0)),
        training_images=int(details.get("NumberOfTrainingImages", 0)),
        testing_images=int(details.get("NumberOfTestingImages", len(snapshot))),
        labels=tuple(_label_result(result) for result in summary.get("LabelEvaluationResults", [])),
        confusion=_confusion(aggregated.get("ConfusionMatrix")),
        curves=_curves(details.get("Labels", []), images),
        images=images,
    )


def _read(ctx: Context, uri: str) -> str:
    bucket, key = parse_s3_uri(uri)
    return ctx.blobs.get(bucket, key).decode("utf-8")


def _label_result(result: Mapping[str, Any]) -> LabelResult:
    metrics = result.get("Metrics", {})
    return LabelResult(
        label=result["Label"],
        threshold=float(metrics.get("Threshold", 0.5)),
        precision=float(metrics.get("Precision", 0.0)),
        recall=float(metrics.get("Recall", 0.0)),
        f1_score=float(metrics.get("F1Score", 0.0)),
        testing_images=int(result.get("NumberOfTestingImages", 0)),
    )


def _confusion(cells: Any) -> dict[str, dict[str, float]] | None:
    if not isinstance(cells, list):
        return None
    matrix: dict[str, dict[str, float]] = {}
    for cell in cells:
        matrix.setdefault(cell["GroundTruthLabel"], {})[cell["PredictedLabel"]] = float(cell["Value"])
    return matrix


def _outcome(details: Mapping[str, Any]) -> str:
    for outcome in (*OUTCOMES, "true_negative"):
        if details.get("is-" + outcome.replace("_", "-")):
            return outcome
    return "true_negative"


def _test_image(line: Mapping[str, Any]) -> TestImage:
    truth: list[str] = []
    truth_boxes: list[tuple[str, float, float, float, float]] = []
    decisions: list[Decision] = []
    for key, value in line.items():
        metadata = line.get(key + "-metadata")
        if key.endswith("-metadata") or not isinstance(metadata, dict):
            continue
        is_boxes = metadata.get("type") == "groundtruth/object-detection" and isinstance(value, dict)
        if key.startswith(TRAINING_ATTRIBUTE):
            if is_boxes:
                truth_boxes += [(label, *rect) for label, rect, _ in _boxes(value, metadata)]
            elif "class-name" in metadata:
                truth.append(metadata["class-name"])
        elif key.startswith(EVALUATION_ATTRIBUTE):
            if is_boxes:
                decisions += [
                    Decision(label, float(obj.get("confidence", 0.0)), _outcome(obj.get(DETAILS_KEY, {})), rect)
                    for label, rect, obj in _boxes(value, metadata)
                ]
            elif "class-name" in metadata:
                decisions.append(Decision(metadata["class-name"], float(metadata.get("confidence", 0.0)), _outcome(metadata.get(DETAILS_KEY, {}))))
    return TestImage(line.get("source-ref", ""), tuple(dict.fromkeys(truth)), tuple(truth_boxes), tuple(decisions))


def _boxes(value: Mapping[str, Any], metadata: Mapping[str, Any]) -> Iterator[tuple[str, tuple[float, float, float, float], Mapping[str, Any]]]:
    size = value.get("image_size", [{}])[0]
    width, height = float(size.get("width", 1)), float(size.get("height", 1))
    objects = metadata.get("objects", [])
    class_map = metadata.get("class-map", {})
    for index, annotation in enumerate(value.get("annotations", [])):
        rect = (annotation["left"] / width, annotation["top"] / height, annotation["width"] / width, annotation["height"] / height)
        yield class_map.get(str(annotation["class_id"]), "?"), rect, objects[index] if index < len(objects) else {}


def _curves(labels: list[str], images: tuple[TestImage, ...]) -> dict[str, tuple[CurvePoint, ...]]:
    """Per label, from the snapshot's decisions: a predicted label or box is a hit when it is in the ground truth."""
    curves: dict[str, tuple[CurvePoint, ...]] = {}
    for label in labels:
        scores: list[float] = []
        hits: list[bool] = []
        positives = 0
        for image in images:
            positives += sum(1 for box in image.truth_boxes if box[0] == label) if image.truth_boxes else int(label in image.truth)
            for decision in image.decisions:
                if decision.label != label or (decision.box is not None and decision.outcome == "false_negative" and decision.confidence <= 0):
                    continue  # a missed box that no prediction came near is a positive, not a decision
                scores.append(min(1.0, max(0.0, decision.confidence)))
                hits.append(decision.outcome in ("true_positive", "false_negative"))
        curve = precision_recall_curve(scores, hits, positives)
        points = [
            CurvePoint(recall, precision, threshold)
            for recall, precision, threshold in zip(curve.recall, curve.precision, curve.thresholds, strict=True)
        ]
        step = max(1, len(points) // CURVE_POINTS)
        curves[label] = tuple(points[::step] + ([points[-1]] if points and (len(points) - 1) % step else []))
    return curves
