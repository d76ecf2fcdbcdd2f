"""What AWS computes after training: per-label metrics, the summary file and the manifest snapshot."""

from customlabels.evaluation.boxes import IOU_THRESHOLD, Box, BoxMatch, Detection, iou, match_boxes
from customlabels.evaluation.classification import (
    ClassificationMetrics,
    confusion_matrix,
    evaluate_classification,
    truth_matrix,
)
from customlabels.evaluation.counts import Counts, f1_score
from customlabels.evaluation.curves import PrecisionRecallCurve, average_precision, precision_recall_curve
from customlabels.evaluation.detection import DetectionMetrics, evaluate_detection
from customlabels.evaluation.ground_truth import image_boxes, image_labels, image_size
from customlabels.evaluation.metrics import ConfusionCell, Evaluation, LabelEvaluation, label_evaluation
from customlabels.evaluation.snapshot import classification_snapshot_line, detection_snapshot_line
from customlabels.evaluation.summary import summary_file, summary_file_name
from customlabels.evaluation.thresholds import DEFAULT_THRESHOLD, assumed_threshold, counts_at

__all__ = [
    "DEFAULT_THRESHOLD",
    "IOU_THRESHOLD",
    "Box",
    "BoxMatch",
    "ClassificationMetrics",
    "ConfusionCell",
    "Counts",
    "Detection",
    "DetectionMetrics",
    "Evaluation",
    "LabelEvaluation",
    "PrecisionRecallCurve",
    "assumed_threshold",
    "average_precision",
    "classification_snapshot_line",
    "confusion_matrix",
    "counts_at",
    "detection_snapshot_line",
    "evaluate_classification",
    "evaluate_detection",
    "f1_score",
    "image_boxes",
    "image_labels",
    "image_size",
    "iou",
    "label_evaluation",
    "match_boxes",
    "precision_recall_curve",
    "summary_file",
    "summary_file_name",
    "truth_matrix",
]
