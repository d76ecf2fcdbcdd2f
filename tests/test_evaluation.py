import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import numpy as np
import pytest

from customlabels.evaluation import (
    DEFAULT_THRESHOLD,
    Box,
    ClassificationMetrics,
    Counts,
    Detection,
    DetectionMetrics,
    Evaluation,
    assumed_threshold,
    average_precision,
    classification_snapshot_line,
    counts_at,
    detection_snapshot_line,
    evaluate_classification,
    evaluate_detection,
    f1_score,
    image_boxes,
    iou,
    match_boxes,
    precision_recall_curve,
    summary_file,
    summary_file_name,
)

END = datetime(2019, 11, 21, 7, 30, 23, 910943, tzinfo=UTC)
ARN = "arn:aws:rekognition:us-east-1:123456789012:project/echo/version/v1/1574317227432"


def classification_line(source: str, *class_names: str) -> dict[str, Any]:
    line: dict[str, Any] = {"source-ref": source}
    for n, name in enumerate(class_names):
        line[f"attr{n}"] = n
        line[f"attr{n}-metadata"] = {
            "confidence": 0.95,
            "job-name": "labeling-job/echo",
            "class-name": name,
            "human-annotated": "yes",
            "creation-date": "2020-04-15T20:17:23.433061",
            "type": "groundtruth/image-classification",
        }
    return line


# The developer guide's object localization line (reference A2): 640x480, Echo Dot and Echo.
DG_DETECTION: dict[str, Any] = {
    "source-ref": "s3://bucket/images/IMG_1186.png",
    "bounding-box": {
        "image_size": [{"width": 640, "height": 480, "depth": 3}],
        "annotations": [
            {"class_id": 1, "top": 251, "left": 399, "width": 155, "height": 101},
            {"class_id": 0, "top": 65, "left": 86, "width": 220, "height": 334},
        ],
    },
    "bounding-box-metadata": {
        "objects": [{"confidence": 1}, {"confidence": 1}],
        "class-map": {"0": "Echo", "1": "Echo Dot"},
        "type": "groundtruth/object-detection",
        "human-annotated": "yes",
        "creation-date": "2013-11-18T02:53:27",
        "job-name": "my job",
    },
}


# --- counts and F1 -------------------------------------------------------------------------


def test_f1_matches_the_developer_guide_worked_value() -> None:
    assert round(f1_score(0.9, 1.0), 3) == 0.947
    counts = Counts(true_positives=9, false_positives=1, false_negatives=0)
    assert (counts.precision, counts.recall) == (0.9, 1.0)
    assert counts.f1_score == pytest.approx(f1_score(0.9, 1.0))


def test_undefined_ratios_are_zero() -> None:
    assert f1_score(0.0, 0.0) == 0.0
    empty = Counts()
    assert (empty.precision, empty.recall, empty.f1_score) == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="non-negative"):
        Counts(true_positives=-1)


# --- assumed threshold -----------------------------------------------------------------------


def test_assumed_threshold_is_the_cut_with_the_best_f1() -> None:
    # 3 positives. F1 = 2TP / (TP + FP + 3) at each cut:
    # 0.9: 2/4=.5  0.8: 2/5=.4  0.7: 4/6=.667  0.6: 6/7=.857  0.4: 6/8=.75  0.3: 6/9=.667
    curve = precision_recall_curve(
        [0.4, 0.9, 0.6, 0.8, 0.3, 0.7], [False, True, True, False, False, True], positives=3
    )
    assert curve.f1_scores == pytest.approx([2 / 4, 2 / 5, 4 / 6, 6 / 7, 6 / 8, 6 / 9])
    assert assumed_threshold(curve) == 0.6
    counts = counts_at(curve, 0.6)
    assert counts == Counts(true_positives=3, false_positives=1, false_negatives=0)
    assert counts.f1_score == pytest.approx(6 / 7)


def test_equal_f1_goes_to_the_higher_threshold() -> None:
    # 2 positives. 0.9: 2/3  0.8: 2/4  0.7: 2/5  0.6: 4/6 = 2/3 again.
    curve = precision_recall_curve([0.9, 0.8, 0.7, 0.6], [True, False, False, True], positives=2)
    assert curve.f1_scores[0] == curve.f1_scores[3]
    assert assumed_threshold(curve) == 0.9


def test_equal_scores_are_kept_or_dropped_together() -> None:
    curve = precision_recall_curve([0.8, 0.5, 0.8], [True, True, False], positives=2)
    assert curve.thresholds == (0.8, 0.5)
    assert curve.true_positives == (1, 2)
    assert curve.false_positives == (1, 1)
    # 0.8: 2/(2+2) = .5; 0.5: 4/(3+2) = .8
    assert assumed_threshold(curve) == 0.5


def test_label_without_positives_gets_the_default_threshold_and_f1_zero() -> None:
    curve = precision_recall_curve([0.7, 0.2], [False, False], positives=0)
    assert assumed_threshold(curve) == DEFAULT_THRESHOLD == 0.5
    counts = counts_at(curve, DEFAULT_THRESHOLD)
    assert counts == Counts(true_positives=0, false_positives=1, false_negatives=0)
    assert counts.f1_score == 0.0


def test_label_that_is_never_predicted_correctly_gets_the_default_threshold() -> None:
    assert assumed_threshold(precision_recall_curve([], [], positives=2)) == DEFAULT_THRESHOLD
    assert assumed_threshold(precision_recall_curve([0.9], [False], positives=2)) == DEFAULT_THRESHOLD


def test_more_hits_than_positives_is_refused() -> None:
    with pytest.raises(ValueError, match="exceed"):
        precision_recall_curve([0.9, 0.8], [True, True], positives=1)


# --- classification --------------------------------------------------------------------------


def test_single_label_confusion_matrix_is_row_normalised() -> None:
    labels = ["cat", "dog", "bird"]
    scores = [
        [0.9, 0.1, 0.0],  # cat -> cat
        [0.3, 0.6, 0.1],  # cat -> dog
        [0.7, 0.2, 0.1],  # cat -> cat
        [0.2, 0.7, 0.1],  # dog -> dog
    ]
    evaluation = evaluate_classification(labels, scores, [{"cat"}, {"cat"}, {"cat"}, {"dog"}])
    assert evaluation.confusion_matrix is not None
    cells = {(c.ground_truth, c.predicted): c.value for c in evaluation.confusion_matrix}
    assert len(cells) == 9
    assert cells["cat", "cat"] == pytest.approx(2 / 3)
    assert cells["cat", "dog"] == pytest.approx(1 / 3)
    assert cells["dog", "dog"] == 1.0
    for truth in ("cat", "dog"):
        assert sum(cells[truth, predicted] for predicted in labels) == pytest.approx(1.0)
    # No bird in the test set: a row of zeros, not NaN.
    assert [cells["bird", predicted] for predicted in labels] == [0.0, 0.0, 0.0]
    assert [result.testing_images for result in evaluation.labels] == [3, 1, 0]


def test_single_label_thresholds_are_per_label() -> None:
    evaluation = evaluate_classification(
        ["cat", "dog"], [[0.9, 0.6], [0.4, 0.3], [0.2, 0.8]], [{"cat"}, {"cat"}, {"dog"}]
    )
    # cat: 0.9 -> F1 2/3, 0.4 -> F1 1. dog: 0.8 -> F1 1 (0.6 would add a false positive).
    assert evaluation.thresholds == {"cat": 0.4, "dog": 0.8}
    assert evaluation.counts == Counts(3, 0, 0)


def test_single_label_needs_exactly_one_label_per_image() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        evaluate_classification(["a", "b"], [[0.5, 0.5]], [{"a", "b"}])
    with pytest.raises(ValueError, match="not among"):
        evaluate_classification(["a", "b"], [[0.5, 0.5]], [{"c"}])
    with pytest.raises(ValueError, match="shape"):
        evaluate_classification(["a", "b"], [[0.5, 0.5, 0.1]], [{"a"}])


def test_multi_label_micro_and_macro_differ() -> None:
    scores = [[0.9, 0.6], [0.8, 0.1], [0.1, 0.7], [0.2, 0.3]]
    truth: list[set[str]] = [{"a", "b"}, {"a"}, set(), set()]
    evaluation = evaluate_classification(["a", "b"], scores, truth, multi_label=True)
    a, b = evaluation.labels
    # a: a perfect cut at 0.8.
    assert (a.threshold, a.counts) == (0.8, Counts(2, 0, 0))
    # b (1 positive): 0.7 -> F1 0, 0.6 -> 2/3, 0.3 -> 1/2, 0.1 -> 2/5.
    assert (b.threshold, b.counts) == (0.6, Counts(1, 1, 0))
    assert b.f1_score == pytest.approx(2 / 3)
    # micro: TP 3, FP 1, FN 0; macro: mean of 1 and 2/3.
    assert (evaluation.precision, evaluation.recall) == (0.75, 1.0)
    assert evaluation.f1_score == pytest.approx(6 / 7)
    assert evaluation.macro_f1_score == pytest.approx(5 / 6)
    assert evaluation.confusion_matrix is None


def test_classification_metrics_accumulate_batches() -> None:
    scores = np.array([[0.9, 0.6], [0.8, 0.1], [0.1, 0.7], [0.2, 0.3]])
    truth: list[set[str]] = [{"a", "b"}, {"a"}, set(), set()]
    metrics = ClassificationMetrics(["a", "b"], multi_label=True)
    metrics.update(scores[:3], truth[:3]).update(scores[3:], truth[3:])
    whole = evaluate_classification(["a", "b"], scores, truth, multi_label=True)
    assert metrics.compute() == whole
    metrics.reset()
    metrics.update(scores[:1], truth[:1])
    assert metrics.compute().labels[0].testing_images == 1


# --- boxes -----------------------------------------------------------------------------------


def test_iou_of_known_boxes() -> None:
    unit = Box("a", 0.0, 0.0, 1.0, 1.0)
    assert iou(unit, unit) == 1.0
    assert iou(Box("a", 0.0, 0.0, 0.2, 0.2), Box("a", 0.5, 0.5, 0.2, 0.2)) == 0.0
    # Touching edges share no area.
    assert iou(Box("a", 0.0, 0.0, 0.5, 0.5), Box("a", 0.5, 0.0, 0.5, 0.5)) == 0.0
    # Contained: a quarter of the area.
    assert iou(unit, Box("a", 0.25, 0.25, 0.5, 0.5)) == pytest.approx(0.25)
    # Shifted by half a width: intersection 1/8, union 3/8.
    left, shifted = Box("a", 0.0, 0.0, 0.5, 0.5), Box("a", 0.25, 0.0, 0.5, 0.5)
    assert iou(left, shifted) == pytest.approx(1 / 3)
    assert iou(shifted, left) == iou(left, shifted)
    assert iou(Box("a", 0.1, 0.1, 0.0, 0.0), Box("a", 0.1, 0.1, 0.0, 0.0)) == 0.0


def test_boxes_are_validated() -> None:
    with pytest.raises(ValueError, match="width and height"):
        Box("a", 0.0, 0.0, -0.1, 0.2)
    with pytest.raises(ValueError, match="score"):
        Detection("a", 1.5, 0.0, 0.0, 0.1, 0.1)
    with pytest.raises(ValueError, match="label"):
        Box("", 0.0, 0.0, 0.1, 0.1)
    # Like AWS BoundingBox values, boxes may stick out of the image.
    assert Box("a", -0.1, 0.9, 0.3, 0.3).left == -0.1


def test_higher_score_wins_the_match_even_with_a_worse_iou() -> None:
    truth = Box("cat", 0.0, 0.0, 0.4, 0.4)
    loose = Detection("cat", 0.9, 0.05, 0.0, 0.4, 0.4)  # IoU 0.14 / 0.18 = 0.78
    exact = Detection("cat", 0.6, 0.0, 0.0, 0.4, 0.4)  # IoU 1
    assert iou(loose, truth) == pytest.approx(0.14 / 0.18)
    match = match_boxes([exact, loose], [truth])
    assert match.truth_indices == (None, 0)
    assert match.hits == (False, True)
    assert match.missed == ()


def test_a_detection_takes_the_unmatched_truth_it_overlaps_most() -> None:
    near = Box("cat", 0.0, 0.0, 0.4, 0.4)
    nearer = Box("cat", 0.1, 0.0, 0.4, 0.4)
    detection = Detection("cat", 0.9, 0.1, 0.0, 0.4, 0.4)
    assert match_boxes([detection], [near, nearer]).truth_indices == (1,)
    # Once taken, the next detection falls back to the other truth if it overlaps enough.
    second = Detection("cat", 0.8, 0.1, 0.0, 0.4, 0.4)
    assert match_boxes([detection, second], [near, nearer]).truth_indices == (1, 0)


def test_duplicates_and_other_labels_are_false_positives() -> None:
    truth = Box("cat", 0.2, 0.2, 0.3, 0.3)
    first = Detection("cat", 0.9, 0.2, 0.2, 0.3, 0.3)
    duplicate = Detection("cat", 0.8, 0.2, 0.2, 0.3, 0.3)
    wrong_label = Detection("dog", 0.95, 0.2, 0.2, 0.3, 0.3)
    match = match_boxes([duplicate, wrong_label, first], [truth])
    assert match.hits == (False, False, True)
    evaluation = evaluate_detection(["cat", "dog"], [[duplicate, wrong_label, first]], [[truth]])
    cat = evaluation.labels[0]
    assert cat.curve.false_positives == (0, 1)
    assert (cat.threshold, cat.counts) == (0.9, Counts(1, 0, 0))


def test_matching_needs_iou_of_at_least_the_threshold() -> None:
    truth = Box("cat", 0.0, 0.0, 0.5, 0.5)
    third = Detection("cat", 0.9, 0.25, 0.0, 0.5, 0.5)  # IoU 1/3
    assert match_boxes([third], [truth]).missed == (0,)
    assert match_boxes([third], [truth], iou_threshold=0.3).hits == (True,)
    with pytest.raises(ValueError, match="iou_threshold"):
        match_boxes([third], [truth], iou_threshold=0.0)


def test_average_precision_with_all_point_interpolation() -> None:
    # 3 truths; decisions TP, FP, TP, TP: (R, P) = (1/3, 1), (1/3, 1/2), (2/3, 2/3), (1, 3/4).
    # Interpolated precision is 1 up to R 1/3 and 3/4 after: AP = 1/3 + 2/3 * 3/4 = 5/6.
    curve = precision_recall_curve([0.9, 0.8, 0.7, 0.6], [True, False, True, True], positives=3)
    assert curve.recall == pytest.approx([1 / 3, 1 / 3, 2 / 3, 1])
    assert curve.precision == pytest.approx([1, 1 / 2, 2 / 3, 3 / 4])
    assert average_precision(curve) == pytest.approx(5 / 6)
    assert average_precision(precision_recall_curve([0.9, 0.8], [True, True], positives=2)) == 1.0
    # Missing a truth caps recall: 1 of 2 found, precision 1 -> AP 1/2.
    assert average_precision(precision_recall_curve([0.9], [True], positives=2)) == 0.5
    assert average_precision(precision_recall_curve([0.9], [False], positives=0)) == 0.0


def detection_case() -> Evaluation:
    cat_1, dog_1 = Box("cat", 0.0, 0.0, 0.3, 0.3), Box("dog", 0.5, 0.5, 0.3, 0.3)
    cat_2, dog_2 = Box("cat", 0.1, 0.1, 0.3, 0.3), Box("dog", 0.6, 0.0, 0.3, 0.3)
    image_1 = [
        Detection("cat", 0.9, 0.0, 0.0, 0.3, 0.3),  # TP
        Detection("dog", 0.8, 0.5, 0.5, 0.3, 0.3),  # TP
        Detection("cat", 0.3, 0.6, 0.0, 0.2, 0.2),  # FP
    ]
    image_2 = [
        Detection("cat", 0.6, 0.1, 0.1, 0.3, 0.3),  # TP
        Detection("dog", 0.7, 0.0, 0.6, 0.2, 0.2),  # FP; dog_2 is never found
        Detection("fox", 0.4, 0.0, 0.6, 0.2, 0.2),  # FP of a label absent from the test set
    ]
    return evaluate_detection(["cat", "dog", "fox"], [image_1, image_2], [[cat_1, dog_1], [cat_2, dog_2]])


def test_detection_metrics_per_label_and_aggregated() -> None:
    evaluation = detection_case()
    cat, dog, fox = evaluation.labels
    # cat: .9 T, .6 T, .3 F with 2 truths -> best cut .6 (F1 1); AP 1.
    assert (cat.threshold, cat.counts, cat.average_precision) == (0.6, Counts(2, 0, 0), 1.0)
    # dog: .8 T, .7 F with 2 truths -> .8: F1 2/3, .7: F1 1/2; AP = 1/2 * 1; max recall 1/2.
    assert (dog.threshold, dog.counts) == (0.8, Counts(1, 0, 1))
    assert (dog.average_precision, dog.max_recall) == (0.5, 0.5)
    assert (fox.threshold, fox.counts, fox.positives) == (0.5, Counts(0, 0, 0), 0)
    assert [r.testing_images for r in evaluation.labels] == [2, 2, 0]
    # mAP and mAR average cat and dog only: fox has no ground truth.
    assert evaluation.average_precision == pytest.approx(0.75)
    assert evaluation.average_recall == pytest.approx(0.75)
    # micro: TP 3, FP 0, FN 1.
    assert evaluation.counts == Counts(3, 0, 1)
    assert evaluation.f1_score == pytest.approx(6 / 7)
    assert evaluation.macro_f1_score == pytest.approx((1 + 2 / 3) / 2)
    assert evaluation.iou_threshold == 0.5


def test_detection_metrics_reset() -> None:
    metrics = DetectionMetrics(["cat"])
    metrics.update([Detection("cat", 0.9, 0.0, 0.0, 0.1, 0.1)], [Box("cat", 0.5, 0.5, 0.1, 0.1)])
    metrics.reset()
    metrics.update([], [Box("cat", 0.5, 0.5, 0.1, 0.1)])
    cat = metrics.compute().labels[0]
    assert (cat.counts, cat.testing_images) == (Counts(0, 0, 1), 1)
    with pytest.raises(ValueError, match="not among"):
        metrics.update([Detection("dog", 0.9, 0.0, 0.0, 0.1, 0.1)], [])


# --- summary file ----------------------------------------------------------------------------


def test_summary_file_name() -> None:
    assert summary_file_name("my-echo-dots", "v2") == "EvaluationSummary-my-echo-dots-v2.json"


def test_classification_summary_has_metrics_in_both_places() -> None:
    evaluation = evaluate_classification(
        ["CAP", "WATCH"],
        [[0.9, 0.1], [0.6, 0.5], [0.2, 0.8], [0.7, 0.3]],
        [{"CAP"}, {"WATCH"}, {"WATCH"}, {"CAP"}],
    )
    summary = summary_file(
        evaluation,
        version_arn=ARN,
        evaluation_end=END,
        number_of_training_images=5216,
        number_of_testing_images=4,
    )
    assert summary["Version"] == 1
    assert summary["EvaluationDetails"] == {
        "ProjectVersionArn": ARN,
        "EvaluationEndTimestamp": "2019-11-21T07:30:23.910943",
        "Labels": ["CAP", "WATCH"],
        "NumberOfTrainingImages": 5216,
        "NumberOfTestingImages": 4,
    }
    aggregated = summary["AggregatedEvaluationResults"]
    for key in ("Precision", "Recall", "F1Score", "ConfusionMatrix", "MacroF1Score"):
        assert aggregated[key] == aggregated["Metrics"][key]
    assert aggregated["F1Score"] == evaluation.f1_score
    assert "AveragePrecision" not in aggregated
    assert aggregated["ConfusionMatrix"][1] == {
        "GroundTruthLabel": "CAP",
        "PredictedLabel": "WATCH",
        "Value": 0.0,
    }
    # Third-party code reads the confusion matrix straight under AggregatedEvaluationResults.
    assert len(aggregated["ConfusionMatrix"]) == 4
    results = summary["LabelEvaluationResults"]
    f1s = [result["Metrics"]["F1Score"] for result in results]
    assert f1s == sorted(f1s, reverse=True)
    assert set(results[0]) == {"Label", "NumberOfTestingImages", "Metrics"}
    assert set(results[0]["Metrics"]) == {"Threshold", "Precision", "Recall", "F1Score"}
    assert {result["Label"]: result["NumberOfTestingImages"] for result in results} == {"CAP": 2, "WATCH": 2}
    json.dumps(summary, allow_nan=False)


def test_detection_summary_records_map_mar_and_iou_threshold() -> None:
    summary = summary_file(
        detection_case(),
        version_arn=ARN,
        evaluation_end=datetime(2024, 1, 1, 13, 0, tzinfo=timezone(timedelta(hours=2))),
        number_of_training_images=10,
        number_of_testing_images=2,
    )
    details, aggregated = summary["EvaluationDetails"], summary["AggregatedEvaluationResults"]
    assert details["IoUThreshold"] == 0.5
    assert details["EvaluationEndTimestamp"] == "2024-01-01T11:00:00"
    assert aggregated["Metrics"]["AveragePrecision"] == pytest.approx(0.75)
    assert aggregated["Metrics"]["AverageRecall"] == pytest.approx(0.75)
    assert aggregated["MacroF1Score"] == pytest.approx(5 / 6)
    assert "ConfusionMatrix" not in aggregated["Metrics"]
    assert [result["Label"] for result in summary["LabelEvaluationResults"]] == ["cat", "dog", "fox"]
    json.dumps(summary, allow_nan=False)


def test_summary_refuses_a_naive_timestamp() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        summary_file(
            detection_case(),
            version_arn=ARN,
            evaluation_end=datetime(2024, 1, 1),
            number_of_training_images=1,
            number_of_testing_images=1,
        )


# --- evaluation manifest snapshot ------------------------------------------------------------


def test_classification_snapshot_flags() -> None:
    lines = [classification_line("s3://b/1.png", "cat"), classification_line("s3://b/2.png", "dog")]
    scores = [{"cat": 0.9, "dog": 0.55}, {"cat": 0.2, "dog": 0.3}]
    thresholds = {"cat": 0.6, "dog": 0.5}
    first, second = (
        classification_snapshot_line(line, scores=s, thresholds=thresholds, creation_date=END)
        for line, s in zip(lines, scores, strict=True)
    )
    assert "attr0" not in first and "attr0-metadata" not in first
    assert first["source-ref"] == "s3://b/1.png"
    assert first["rekognition-custom-labels-training-0"] == 0
    training = first["rekognition-custom-labels-training-0-metadata"]
    assert training["class-name"] == "cat" and training["human-annotated"] == "yes"
    assert training["job-name"] == "rekognition-custom-labels-training-job"

    def flags(line: dict[str, Any], n: int) -> tuple[str, float, list[str]]:
        metadata = line[f"rekognition-custom-labels-evaluation-{n}-metadata"]
        details = metadata["rekognition-custom-labels-evaluation-details"]
        assert metadata["human-annotated"] == "no"
        assert metadata["type"] == "groundtruth/image-classification"
        assert metadata["creation-date"] == "2019-11-21T07:30:23.910943"
        assert details["version"] == 1
        assert details["ground-truth-labelling-jobs"] == ["rekognition-custom-labels-training-job"]
        set_flags = [key for key, value in details.items() if value is True]
        return metadata["class-name"], metadata["confidence"], set_flags

    # Image 1 (cat): cat predicted and present, dog predicted (0.55 >= 0.5) but absent.
    assert flags(first, 0) == ("cat", 0.9, ["is-true-positive", "is-present-in-ground-truth"])
    assert flags(first, 1) == ("dog", 0.55, ["is-false-positive"])
    assert first["rekognition-custom-labels-evaluation-1"] == 1
    # Image 2 (dog): dog missed at its threshold; cat is a true negative and not written.
    assert flags(second, 0) == ("dog", 0.3, ["is-false-negative", "is-present-in-ground-truth"])
    assert "rekognition-custom-labels-evaluation-1" not in second
    assert second["rekognition-custom-labels-training-0-metadata"]["class-name"] == "dog"
    # The input lines are left as they were.
    assert lines[0] == classification_line("s3://b/1.png", "cat")


def test_classification_snapshot_needs_a_score_for_each_label() -> None:
    with pytest.raises(ValueError, match="no score"):
        classification_snapshot_line(
            classification_line("s3://b/1.png", "cat"),
            scores={"cat": 0.9},
            thresholds={"cat": 0.5, "dog": 0.5},
            creation_date=END,
        )


def test_detection_snapshot_flags_and_false_negatives() -> None:
    echo, echo_dot = sorted(image_boxes(DG_DETECTION), key=lambda box: box.label)
    assert (echo.left, echo.top) == (86 / 640, 65 / 480)
    detections = [
        Detection("Echo Dot", 0.3, echo_dot.left, echo_dot.top, echo_dot.width, echo_dot.height),  # below .5
        Detection("Echo", 0.9, echo.left, echo.top, echo.width, echo.height),  # TP
        Detection("Echo Dot", 0.8, 0.0, 0.0, 0.1, 0.1),  # FP
    ]
    line = detection_snapshot_line(
        DG_DETECTION, detections=detections, thresholds={"Echo": 0.5, "Echo Dot": 0.5}, creation_date=END
    )
    assert line["rekognition-custom-labels-training-0"] == DG_DETECTION["bounding-box"]
    assert "bounding-box" not in line
    prediction = line["rekognition-custom-labels-evaluation"]
    metadata = line["rekognition-custom-labels-evaluation-metadata"]
    assert prediction["image_size"] == [{"width": 640, "height": 480, "depth": 3}]
    assert prediction["annotations"] == [
        {"class_id": 0, "left": 86, "top": 65, "width": 220, "height": 334},
        {"class_id": 1, "left": 0, "top": 0, "width": 64, "height": 48},
        # The missed Echo Dot: the ground-truth box, after the predictions.
        {"class_id": 1, "left": 399, "top": 251, "width": 155, "height": 101},
    ]
    assert metadata["class-map"] == {"0": "Echo", "1": "Echo Dot"}
    assert (metadata["type"], metadata["human-annotated"]) == ("groundtruth/object-detection", "no")
    flags = [
        (
            obj["confidence"],
            [k for k, v in obj["rekognition-custom-labels-evaluation-details"].items() if v is True],
        )
        for obj in metadata["objects"]
    ]
    assert flags == [
        (0.9, ["is-true-positive", "is-present-in-ground-truth"]),
        (0.8, ["is-false-positive"]),
        # Its confidence is the below-threshold box that would have found it.
        (0.3, ["is-false-negative", "is-present-in-ground-truth"]),
    ]


def test_detection_snapshot_of_an_image_without_predictions() -> None:
    line = detection_snapshot_line(
        DG_DETECTION, detections=[], thresholds={"Echo": 0.5, "Echo Dot": 0.5}, creation_date=END
    )
    objects = line["rekognition-custom-labels-evaluation-metadata"]["objects"]
    assert [obj["confidence"] for obj in objects] == [0.0, 0.0]
    assert all(obj["rekognition-custom-labels-evaluation-details"]["is-false-negative"] for obj in objects)
