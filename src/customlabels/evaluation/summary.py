"""The training results summary file (EvaluationSummary-<project>-<version>.json)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from customlabels.evaluation.metrics import Evaluation
from customlabels.evaluation.timestamps import utc_timestamp

SUMMARY_VERSION = 1


def summary_file_name(project_name: str, version_name: str) -> str:
    if not project_name or not version_name:
        raise ValueError("project and version names must be non-empty")
    return f"EvaluationSummary-{project_name}-{version_name}.json"


def _aggregated_metrics(evaluation: Evaluation) -> dict[str, Any]:
    metrics: dict[str, Any] = {
        "Precision": evaluation.precision,
        "Recall": evaluation.recall,
        "F1Score": evaluation.f1_score,
        # Not in AWS: the micro F1 above favours frequent labels; this one weighs labels equally.
        "MacroF1Score": evaluation.macro_f1_score,
    }
    if evaluation.is_localization:
        metrics["AveragePrecision"] = evaluation.average_precision
        metrics["AverageRecall"] = evaluation.average_recall
    if evaluation.confusion_matrix is not None:
        metrics["ConfusionMatrix"] = [
            {"GroundTruthLabel": cell.ground_truth, "PredictedLabel": cell.predicted, "Value": cell.value}
            for cell in evaluation.confusion_matrix
        ]
    return metrics


def summary_file(
    evaluation: Evaluation,
    *,
    version_arn: str,
    evaluation_end: datetime,
    number_of_training_images: int,
    number_of_testing_images: int,
) -> dict[str, Any]:
    """The summary file as a JSON-ready dict."""
    if not version_arn:
        raise ValueError("version_arn must be non-empty")
    for name, count in (
        ("number_of_training_images", number_of_training_images),
        ("number_of_testing_images", number_of_testing_images),
    ):
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"{name} must be a non-negative integer, got {count!r}")
    details: dict[str, Any] = {
        "ProjectVersionArn": version_arn,
        "EvaluationEndTimestamp": utc_timestamp(evaluation_end),
        "Labels": list(evaluation.label_names),
        "NumberOfTrainingImages": number_of_training_images,
        "NumberOfTestingImages": number_of_testing_images,
    }
    if evaluation.iou_threshold is not None:
        # AWS does not document its IoU threshold; record ours so results can be compared.
        details["IoUThreshold"] = evaluation.iou_threshold
    # The DG schema nests the aggregates under "Metrics" while the DG's real file puts them
    # directly under AggregatedEvaluationResults; write both so readers of either form work.
    aggregated: dict[str, Any] = {
        "Metrics": _aggregated_metrics(evaluation),
        **_aggregated_metrics(evaluation),
    }
    ranked = sorted(evaluation.labels, key=lambda result: result.f1_score, reverse=True)
    return {
        "Version": SUMMARY_VERSION,
        "EvaluationDetails": details,
        "AggregatedEvaluationResults": aggregated,
        "LabelEvaluationResults": [
            {
                "Label": result.label,
                "NumberOfTestingImages": result.testing_images,
                "Metrics": {
                    "Threshold": result.threshold,
                    "Precision": result.precision,
                    "Recall": result.recall,
                    "F1Score": result.f1_score,
                },
            }
            for result in ranked
        ],
    }
