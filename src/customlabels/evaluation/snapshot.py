"""The evaluation manifest snapshot: test lines with ground truth renamed and predictions added.

Classification: one "rekognition-custom-labels-evaluation-<n>" attribute per label that is
predicted (score >= its assumed threshold) or present in the ground truth, highest score first.

Detection: one "rekognition-custom-labels-evaluation" bounding-box attribute (pixels). Its
annotations are the predicted boxes kept at their label's threshold (true or false positives),
followed by one annotation per ground-truth box missed at the threshold, which carries the
ground-truth box itself and is-false-negative: true, so a console can draw misses from the same
list. A miss's confidence is the score of the below-threshold box that matched it, else 0.
For a box, is-present-in-ground-truth means "matches a ground-truth box at the IoU threshold,
whatever its score".
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from customlabels.evaluation.boxes import IOU_THRESHOLD, Detection, Rect, match_boxes
from customlabels.evaluation.ground_truth import (
    CLASSIFICATION_TYPE,
    DETECTION_TYPE,
    METADATA_SUFFIX,
    Line,
    image_boxes,
    image_labels,
    image_size,
    label_attributes,
)
from customlabels.evaluation.timestamps import utc_timestamp

TRAINING_ATTRIBUTE = "rekognition-custom-labels-training"
EVALUATION_ATTRIBUTE = "rekognition-custom-labels-evaluation"
DETAILS_KEY = "rekognition-custom-labels-evaluation-details"
TRAINING_JOB = "rekognition-custom-labels-training-job"


def _details(*, predicted: bool, present: bool) -> dict[str, Any]:
    return {
        "version": 1,
        "is-true-positive": predicted and present,
        "is-true-negative": not predicted and not present,
        "is-false-positive": predicted and not present,
        "is-false-negative": not predicted and present,
        "is-present-in-ground-truth": present,
        "ground-truth-labelling-jobs": [TRAINING_JOB],
    }


def _renamed(line: Line) -> dict[str, Any]:
    attributes = label_attributes(line)
    metadata_keys = {key + METADATA_SUFFIX for key in attributes}
    out: dict[str, Any] = {}
    for key, value in line.items():
        if key in metadata_keys:
            continue
        if key not in attributes:
            out[key] = copy.deepcopy(value)
            continue
        name = f"{TRAINING_ATTRIBUTE}-{attributes.index(key)}"
        out[name] = copy.deepcopy(value)
        # The details name this job in ground-truth-labelling-jobs, so the renamed metadata must too.
        out[name + METADATA_SUFFIX] = {**copy.deepcopy(line[key + METADATA_SUFFIX]), "job-name": TRAINING_JOB}
    return out


def _checked_thresholds(thresholds: Mapping[str, float]) -> tuple[str, ...]:
    if not thresholds:
        raise ValueError("thresholds must name at least one label")
    for name, value in thresholds.items():
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"the threshold of {name!r} must be within [0, 1], got {value}")
    return tuple(thresholds)


def classification_snapshot_line(
    line: Line,
    *,
    scores: Mapping[str, float],
    thresholds: Mapping[str, float],
    creation_date: datetime,
) -> dict[str, Any]:
    """One snapshot line of an image-level model; class ids follow the order of `thresholds`."""
    labels = _checked_thresholds(thresholds)
    missing = set(labels) - scores.keys()
    if missing:
        raise ValueError(f"no score for labels {sorted(missing)}")
    truth = set(image_labels(line))
    if truth - set(labels):
        raise ValueError(f"ground-truth labels {sorted(truth - set(labels))} have no threshold")
    shown = [name for name in labels if scores[name] >= thresholds[name] or name in truth]
    shown.sort(key=lambda name: scores[name], reverse=True)
    out = _renamed(line)
    date = utc_timestamp(creation_date)
    for n, name in enumerate(shown):
        attribute = f"{EVALUATION_ATTRIBUTE}-{n}"
        out[attribute] = labels.index(name)
        out[attribute + METADATA_SUFFIX] = {
            "class-name": name,
            "confidence": float(scores[name]),
            "human-annotated": "no",
            "type": CLASSIFICATION_TYPE,
            "creation-date": date,
            DETAILS_KEY: _details(predicted=scores[name] >= thresholds[name], present=name in truth),
        }
    return out


def _pixels(box: Rect, class_id: int, size: tuple[int, int]) -> dict[str, int]:
    width, height = size
    return {
        "class_id": class_id,
        "left": round(box.left * width),
        "top": round(box.top * height),
        "width": round(box.width * width),
        "height": round(box.height * height),
    }


def detection_snapshot_line(
    line: Line,
    *,
    detections: Sequence[Detection],
    thresholds: Mapping[str, float],
    creation_date: datetime,
    iou_threshold: float = IOU_THRESHOLD,
) -> dict[str, Any]:
    """One snapshot line of an object localization model; class ids follow the order of `thresholds`."""
    labels = _checked_thresholds(thresholds)
    truths = image_boxes(line)
    unknown = ({d.label for d in detections} | {t.label for t in truths}) - set(labels)
    if unknown:
        raise ValueError(f"boxes have labels {sorted(unknown)} that have no threshold")
    size = image_size(line)
    # Matching all boxes then cutting is the same as matching only the kept ones: the greedy
    # order is by score, so boxes below a threshold never take a match from those above it.
    match = match_boxes(detections, truths, iou_threshold=iou_threshold)
    annotations: list[dict[str, int]] = []
    objects: list[dict[str, Any]] = []
    found: set[int] = set()
    order = sorted(range(len(detections)), key=lambda i: detections[i].score, reverse=True)
    for i in order:
        detection, truth = detections[i], match.truth_indices[i]
        if detection.score < thresholds[detection.label]:
            continue
        if truth is not None:
            found.add(truth)
        annotations.append(_pixels(detection, labels.index(detection.label), size))
        objects.append(
            {
                "confidence": float(detection.score),
                DETAILS_KEY: _details(predicted=True, present=truth is not None),
            }
        )
    below = {
        t: detections[i].score for i, t in enumerate(match.truth_indices) if t is not None and t not in found
    }
    for t, box in enumerate(truths):
        if t in found:
            continue
        annotations.append(_pixels(box, labels.index(box.label), size))
        objects.append(
            {"confidence": float(below.get(t, 0.0)), DETAILS_KEY: _details(predicted=False, present=True)}
        )
    out = _renamed(line)
    first = label_attributes(line, kind=DETECTION_TYPE)[0]
    out[EVALUATION_ATTRIBUTE] = {
        "image_size": copy.deepcopy(line[first]["image_size"]),
        "annotations": annotations,
    }
    out[EVALUATION_ATTRIBUTE + METADATA_SUFFIX] = {
        "objects": objects,
        "class-map": {str(class_id): name for class_id, name in enumerate(labels)},
        "type": DETECTION_TYPE,
        "human-annotated": "no",
        "creation-date": utc_timestamp(creation_date),
    }
    return out
