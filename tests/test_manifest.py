import copy
import json
from pathlib import Path
from typing import Any

import pytest

from customlabels.datasets.manifest import (
    MAX_INVALID_FRACTION,
    MAX_MANIFEST_LINES,
    BoundingBox,
    LineError,
    ManifestEntry,
    entry_line,
    missing_image,
    parse_line,
    split_s3_uri,
    too_many_invalid,
    validation_line,
    with_image_checks,
)
from customlabels.images import ImageDimensionsInvalid, ImageInfo, ImageProblem, inspect_image

LOGOS = Path(__file__).resolve().parents[2] / "shared" / "data" / "logos"

# The developer guide examples, as quoted in the reference (section A2).
DG_IMAGE_LEVEL = (
    '{"source-ref":"s3://custom-labels-console-us-east-1-nnnnnnnnnn/gt-job/manifest/IMG_1133.png",'
    '"TestCLConsoleBucket":0,"TestCLConsoleBucket-metadata":{"confidence":0.95,'
    '"job-name":"labeling-job/testclconsolebucket","class-name":"Echo Dot","human-annotated":"yes",'
    '"creation-date":"2020-04-15T20:17:23.433061","type":"groundtruth/image-classification"}}'
)
DG_MULTI_LABEL = (
    '{"source-ref":"S3 bucket location","sport0":0,"sport0-metadata":{"class-name":"football",'
    '"confidence":0.8,"type":"groundtruth/image-classification","job-name":"identify-sport",'
    '"human-annotated":"yes","creation-date":"2018-10-18T22:18:13.527256"},"sport1":1,'
    '"sport1-metadata":{"class-name":"ball","confidence":0.8,"type":"groundtruth/image-classification",'
    '"job-name":"identify-sport","human-annotated":"yes","creation-date":"2018-10-18T22:18:13.527256"}}'
)
DG_DETECTION = (
    '{"source-ref": "s3://bucket/images/IMG_1186.png", "bounding-box": {"image_size": '
    '[{"width": 640, "height": 480, "depth": 3}], "annotations": [{"class_id": 1, "top": 251, '
    '"left": 399, "width": 155, "height": 101}, {"class_id": 0, "top": 65, "left": 86, '
    '"width": 220, "height": 334}]}, "bounding-box-metadata": {"objects": [{"confidence": 1}, '
    '{"confidence": 1}], "class-map": {"0": "Echo", "1": "Echo Dot"}, '
    '"type": "groundtruth/object-detection", "human-annotated": "yes", '
    '"creation-date": "2013-11-18T02:53:27", "job-name": "my job"}}'
)


def dg_detection() -> dict[str, Any]:
    return json.loads(DG_DETECTION)


def dg_image_level() -> dict[str, Any]:
    return json.loads(DG_IMAGE_LEVEL)


def parse(obj: dict[str, Any]) -> ManifestEntry:
    return parse_line(json.dumps(obj))


def codes(errors: Any) -> list[str]:
    return [error["code"] for error in errors]


def entry_codes(errors: tuple[LineError, ...]) -> list[str]:
    return [error.code for error in errors]


def logos_lines() -> list[str]:
    return (LOGOS / "output.manifest").read_text().splitlines()


# ------------------------------------------------------------------ valid lines


def test_dg_image_level_line_is_valid_and_unchanged() -> None:
    entry = parse_line(DG_IMAGE_LEVEL)
    assert (
        entry.source_ref
        == "s3://custom-labels-console-us-east-1-nnnnnnnnnn/gt-job/manifest/IMG_1133.png"
    )
    assert entry.labels == ("Echo Dot",)
    assert (entry.boxes, entry.errors, entry.warnings, entry.image_size) == ((), (), (), None)
    assert entry.labeled and not entry.has_box_attribute and not entry.has_errors
    assert entry.line == dg_image_level()
    assert json.loads(entry.to_json()) == dg_image_level()
    assert "\n" not in entry.to_json()


def test_dg_detection_line_gives_typed_boxes() -> None:
    entry = parse_line(DG_DETECTION)
    assert entry.boxes == (
        BoundingBox("Echo Dot", left=399, top=251, width=155, height=101),
        BoundingBox("Echo", left=86, top=65, width=220, height=334),
    )
    assert entry.image_size == (640, 480)
    assert entry.labels == ()
    assert entry.label_names == ("Echo", "Echo Dot")
    assert entry.labeled and entry.has_box_attribute
    assert not entry.has_errors and entry.box_errors == () and entry.warnings == ()
    assert entry.line == dg_detection()


def test_dg_multi_label_example_parses_both_labels_but_its_placeholder_source_ref_is_invalid() -> (
    None
):
    entry = parse_line(DG_MULTI_LABEL)
    assert entry.labels == ("ball", "football")
    assert entry.source_ref == "S3 bucket location"
    assert codes(entry.line["errors"]) == ["ERROR_INVALID_SOURCE_REF_FORMAT"]
    assert "expected s3://bucket/key" in entry.errors[0].message
    fixed = parse_line(DG_MULTI_LABEL.replace("S3 bucket location", "s3://sports/img/1.jpg"))
    assert fixed.labels == ("ball", "football") and not fixed.has_errors


@pytest.mark.usefixtures("shared_data")
def test_every_logos_line_is_valid() -> None:
    entries = [parse_line(line) for line in logos_lines()]
    assert len(entries) == 269
    assert not any(entry.has_errors or entry.box_errors or entry.warnings for entry in entries)
    assert {name for entry in entries for name in entry.label_names} == {
        "Adidas",
        "Apple",
        "Cocacola",
        "DHL",
        "Ferrari",
        "Google",
        "Nike",
        "Pepsi",
        "Starbucks",
    }
    first = entries[0]
    assert first.source_ref == "s3://customlabels-examples/logos/images/115519078.jpg"
    assert first.boxes == (BoundingBox("DHL", 26, 48, 418, 102),)
    assert first.image_size == (466, 500)


@pytest.mark.usefixtures("shared_data")
def test_logos_images_only_fail_on_their_real_size_limits() -> None:
    found: dict[str, list[str]] = {}
    for line in logos_lines():
        entry = parse_line(line)
        data = (LOGOS / "images" / entry.source_ref.rsplit("/", 1)[1]).read_bytes()
        try:
            image: ImageInfo | ImageProblem = inspect_image(data)
        except ImageProblem as problem:
            image = problem
        checked = with_image_checks(entry, image)
        for error in checked.errors + checked.box_errors:
            found.setdefault(error.code, []).append(error.message)
    assert set(found) == {"ERROR_INVALID_IMAGE"}
    assert all(
        "each side must be 64-4096 pixels" in message for message in found["ERROR_INVALID_IMAGE"]
    )


# ------------------------------------------------------------------ line-level errors


@pytest.mark.parametrize(
    "text", ["not json", "", "   ", "[1, 2]", '"s3://a/b.jpg"', '{"a": NaN}', '{"a": 1']
)
def test_invalid_json_lines_are_replaced_by_the_error(text: str) -> None:
    entry = parse_line(text)
    assert list(entry.line) == ["errors"]
    assert codes(entry.line["errors"]) == ["ERROR_INVALID_JSON_LINE"]
    assert entry.line["errors"][0]["message"].startswith("The JSON Line has an invalid format")
    assert entry.source_ref is None and entry.has_errors and not entry.labeled


def test_missing_source_ref_is_a_top_level_error() -> None:
    line = dg_image_level()
    del line["source-ref"]
    entry = parse(line)
    assert codes(entry.line["errors"]) == ["ERROR_MISSING_SOURCE_REF"]
    assert "errors" not in entry.line["TestCLConsoleBucket-metadata"]
    assert entry.source_ref is None and entry.labels == ("Echo Dot",)


@pytest.mark.parametrize(
    ("source_ref", "kept"),
    [
        ("https://bucket.s3.amazonaws.com/a.jpg", "https://bucket.s3.amazonaws.com/a.jpg"),
        ("s3://bucket-only", "s3://bucket-only"),
        ("s3://bucket/", "s3://bucket/"),
        ("S3://bucket/a.jpg", "S3://bucket/a.jpg"),
        (42, None),
    ],
)
def test_source_ref_must_be_an_s3_uri(source_ref: object, kept: str | None) -> None:
    entry = parse({**dg_image_level(), "source-ref": source_ref})
    assert codes(entry.line["errors"]) == ["ERROR_INVALID_SOURCE_REF_FORMAT"]
    assert entry.source_ref == kept


def test_split_s3_uri() -> None:
    assert split_s3_uri("s3://my-bucket/dir/a b.jpg") == ("my-bucket", "dir/a b.jpg")
    assert split_s3_uri("s3://my-bucket") is None
    assert split_s3_uri("file:///tmp/a.jpg") is None


def test_line_with_only_source_ref_is_a_valid_unlabeled_entry() -> None:
    entry = parse_line('{"source-ref": "s3://bucket/a.jpg"}')
    assert entry.line == {"source-ref": "s3://bucket/a.jpg"}
    assert not entry.has_errors and not entry.labeled
    assert entry_codes(entry.warnings) == ["WARNING_UNANNOTATED_RECORD"]
    assert entry.warnings[0].message == "Record is unannotated."
    assert validation_line(entry)["warnings"] == [
        {"code": "WARNING_UNANNOTATED_RECORD", "message": "Record is unannotated."}
    ]


def test_keys_without_metadata_siblings_are_not_label_attributes() -> None:
    entry = parse({"source-ref": "s3://bucket/a.jpg", "note": 3, "orphan-metadata": {"type": "x"}})
    assert not entry.has_errors
    assert entry_codes(entry.warnings) == ["WARNING_UNANNOTATED_RECORD"]


# ------------------------------------------------------------------ image-level attributes


@pytest.mark.parametrize("value", ["0", 1.5, True, None, [0]])
def test_image_level_value_must_be_an_integer(value: object) -> None:
    entry = parse({**dg_image_level(), "TestCLConsoleBucket": value})
    metadata = entry.line["TestCLConsoleBucket-metadata"]
    assert codes(metadata["errors"]) == ["ERROR_INVALID_LABEL_ATTRIBUTE_FORMAT"]
    assert "TestCLConsoleBucket" in metadata["errors"][0]["message"]
    assert codes(entry.line["errors"]) == ["ERROR_NO_VALID_LABEL_ATTRIBUTES"]
    assert entry.labels == () and not entry.labeled


@pytest.mark.parametrize(
    "missing", ["class-name", "confidence", "human-annotated", "creation-date"]
)
def test_image_level_metadata_needs_its_required_fields(missing: str) -> None:
    line = dg_image_level()
    del line["TestCLConsoleBucket-metadata"][missing]
    entry = parse(line)
    metadata_errors = entry.line["TestCLConsoleBucket-metadata"]["errors"]
    assert codes(metadata_errors) == ["ERROR_INVALID_LABEL_ATTRIBUTE_METADATA_FORMAT"]
    assert missing in metadata_errors[0]["message"]
    assert codes(entry.line["errors"]) == ["ERROR_NO_VALID_LABEL_ATTRIBUTES"]
    assert entry_codes(entry.errors) == [
        "ERROR_INVALID_LABEL_ATTRIBUTE_METADATA_FORMAT",
        "ERROR_NO_VALID_LABEL_ATTRIBUTES",
    ]


def test_metadata_that_is_not_an_object_is_reported_on_the_line() -> None:
    entry = parse({**dg_image_level(), "TestCLConsoleBucket-metadata": "Echo Dot"})
    assert codes(entry.line["errors"]) == [
        "ERROR_INVALID_LABEL_ATTRIBUTE_METADATA_FORMAT",
        "ERROR_NO_VALID_LABEL_ATTRIBUTES",
    ]


def test_metadata_without_type_is_a_metadata_format_error() -> None:
    line = dg_image_level()
    del line["TestCLConsoleBucket-metadata"]["type"]
    entry = parse(line)
    assert codes(entry.line["TestCLConsoleBucket-metadata"]["errors"]) == [
        "ERROR_INVALID_LABEL_ATTRIBUTE_METADATA_FORMAT"
    ]


@pytest.mark.parametrize(
    "use_case", ["groundtruth/semantic-segmentation", "groundtruth/image-classification-multilabel"]
)
def test_other_use_case_types_are_unsupported(use_case: str) -> None:
    line = dg_image_level()
    line["TestCLConsoleBucket-metadata"]["type"] = use_case
    entry = parse(line)
    assert codes(entry.line["TestCLConsoleBucket-metadata"]["errors"]) == [
        "ERROR_UNSUPPORTED_USE_CASE_TYPE"
    ]
    assert codes(entry.line["errors"]) == ["ERROR_NO_VALID_LABEL_ATTRIBUTES"]


def test_label_names_may_be_255_characters_but_not_256() -> None:
    line = dg_image_level()
    line["TestCLConsoleBucket-metadata"]["class-name"] = "x" * 255
    assert parse(line).labels == ("x" * 255,)
    line["TestCLConsoleBucket-metadata"]["class-name"] = "x" * 256
    entry = parse(line)
    assert codes(entry.line["TestCLConsoleBucket-metadata"]["errors"]) == [
        "ERROR_INVALID_LABEL_NAME_LENGTH"
    ]
    assert entry.labels == ()


def test_one_invalid_attribute_of_a_multi_label_line_keeps_the_valid_label() -> None:
    line = json.loads(DG_MULTI_LABEL.replace("S3 bucket location", "s3://sports/1.jpg"))
    del line["sport1-metadata"]["confidence"]
    entry = parse(line)
    assert codes(entry.line["sport1-metadata"]["errors"]) == [
        "ERROR_INVALID_LABEL_ATTRIBUTE_METADATA_FORMAT"
    ]
    assert "errors" not in entry.line and "errors" not in entry.line["sport0-metadata"]
    assert entry.labels == ("football",)
    assert entry.has_errors


# ------------------------------------------------------------------ detection attributes


def test_missing_box_confidence_drops_only_that_box() -> None:
    line = dg_detection()
    del line["bounding-box-metadata"]["objects"][1]["confidence"]
    entry = parse(line)
    annotations = entry.line["bounding-box"]["annotations"]
    assert codes(annotations[1]["errors"]) == ["ERROR_MISSING_BOUNDING_BOX_CONFIDENCE"]
    assert "errors" not in annotations[0] and "errors" not in entry.line
    assert entry.boxes == (BoundingBox("Echo Dot", 399, 251, 155, 101),)
    assert not entry.has_errors
    assert entry_codes(entry.box_errors) == ["ERROR_MISSING_BOUNDING_BOX_CONFIDENCE"]


def test_objects_shorter_than_annotations_means_missing_confidence() -> None:
    line = dg_detection()
    line["bounding-box-metadata"]["objects"] = [{"confidence": 1}]
    entry = parse(line)
    assert codes(entry.line["bounding-box"]["annotations"][1]["errors"]) == [
        "ERROR_MISSING_BOUNDING_BOX_CONFIDENCE"
    ]


def test_class_id_missing_from_class_map_is_an_annotation_error() -> None:
    line = dg_detection()
    line["bounding-box"]["annotations"][0]["class_id"] = 7
    entry = parse(line)
    errors = entry.line["bounding-box"]["annotations"][0]["errors"]
    assert codes(errors) == ["ERROR_MISSING_CLASS_MAP_ID"]
    assert "class_id 7" in errors[0]["message"]
    assert [box.label for box in entry.boxes] == ["Echo"]


def test_too_long_class_map_name_drops_its_boxes() -> None:
    line = dg_detection()
    line["bounding-box-metadata"]["class-map"]["0"] = "y" * 256
    entry = parse(line)
    assert codes(entry.line["bounding-box"]["annotations"][1]["errors"]) == [
        "ERROR_INVALID_LABEL_NAME_LENGTH"
    ]
    assert [box.label for box in entry.boxes] == ["Echo Dot"]


def test_no_valid_annotations_left_is_a_line_error() -> None:
    line = dg_detection()
    line["bounding-box-metadata"]["class-map"] = {}
    entry = parse(line)
    assert codes(entry.line["errors"]) == ["ERROR_NO_VALID_ANNOTATIONS"]
    assert entry.line["errors"][0]["message"] == "No valid annotations found."
    assert entry.boxes == () and entry.has_errors and entry.labeled


def boxes_line(count: int) -> dict[str, Any]:
    line = dg_detection()
    line["bounding-box"]["annotations"] = [
        {"class_id": 0, "left": 10 + index, "top": 10, "width": 20, "height": 20}
        for index in range(count)
    ]
    line["bounding-box-metadata"]["objects"] = [{"confidence": 1}] * count
    return line


def test_fifty_boxes_are_allowed_fifty_one_are_too_many() -> None:
    assert len(parse(boxes_line(50)).boxes) == 50
    entry = parse(boxes_line(51))
    assert codes(entry.line["bounding-box"]["errors"]) == ["ERROR_TOO_MANY_BOUNDING_BOXES"]
    assert "51" in entry.line["bounding-box"]["errors"][0]["message"]
    assert codes(entry.line["errors"]) == ["ERROR_NO_VALID_LABEL_ATTRIBUTES"]
    assert entry.boxes == ()


@pytest.mark.parametrize(
    "breakage",
    [
        lambda attribute: attribute.update(image_size={"width": 640, "height": 480, "depth": 3}),
        lambda attribute: attribute.update(image_size=[{"width": 640, "height": 480}]),
        lambda attribute: attribute.update(image_size=[{"width": 0, "height": 480, "depth": 3}]),
        lambda attribute: attribute.pop("annotations"),
        lambda attribute: attribute["annotations"].append("box"),
        lambda attribute: attribute["annotations"][0].pop("left"),
        lambda attribute: attribute["annotations"][0].update(class_id="1"),
    ],
)
def test_malformed_detection_attribute_is_an_attribute_format_error(breakage: Any) -> None:
    line = dg_detection()
    breakage(line["bounding-box"])
    entry = parse(line)
    assert codes(entry.line["bounding-box"]["errors"]) == ["ERROR_INVALID_LABEL_ATTRIBUTE_FORMAT"]
    assert "bounding-box" in entry.line["bounding-box"]["errors"][0]["message"]
    assert codes(entry.line["errors"]) == ["ERROR_NO_VALID_LABEL_ATTRIBUTES"]
    assert not entry.has_box_attribute and entry.boxes == ()


def test_detection_attribute_that_is_not_an_object_is_reported_on_the_line() -> None:
    entry = parse({**dg_detection(), "bounding-box": [1, 2]})
    assert codes(entry.line["errors"]) == [
        "ERROR_INVALID_LABEL_ATTRIBUTE_FORMAT",
        "ERROR_NO_VALID_LABEL_ATTRIBUTES",
    ]


@pytest.mark.parametrize("missing", ["objects", "class-map", "human-annotated", "creation-date"])
def test_detection_metadata_needs_its_required_fields(missing: str) -> None:
    line = dg_detection()
    del line["bounding-box-metadata"][missing]
    entry = parse(line)
    assert codes(entry.line["bounding-box-metadata"]["errors"]) == [
        "ERROR_INVALID_LABEL_ATTRIBUTE_METADATA_FORMAT"
    ]
    assert "errors" not in entry.line["bounding-box"]


def test_detection_attribute_without_annotations_is_labeled_but_ignored_for_training() -> None:
    line = dg_detection()
    line["bounding-box"]["annotations"] = []
    line["bounding-box-metadata"].update(objects=[], **{"class-map": {}})
    entry = parse(line)
    assert entry.labeled and entry.has_box_attribute and not entry.has_errors
    assert entry.boxes == () and entry.image_size == (640, 480)
    assert entry_codes(entry.warnings) == ["WARNING_NO_ANNOTATIONS"]
    assert entry.line == line
    written = validation_line(entry)
    assert codes(written["warnings"]) == ["WARNING_NO_ANNOTATIONS"]
    assert codes(written["bounding-box"]["warnings"]) == ["WARNING_NO_ATTRIBUTE_ANNOTATIONS"]
    assert "warnings" not in entry.line


def test_boxes_are_checked_against_the_declared_image_size() -> None:
    line = dg_detection()
    annotations = line["bounding-box"]["annotations"]
    annotations[0].update(left=600)  # 600 + 155 > 640
    annotations[1].update(top=-1)
    entry = parse(line)
    assert codes(entry.line["bounding-box"]["annotations"][0]["errors"]) == [
        "ERROR_INVALID_BOUNDING_BOX"
    ]
    assert codes(entry.line["bounding-box"]["annotations"][1]["errors"]) == [
        "ERROR_INVALID_BOUNDING_BOX"
    ]
    assert codes(entry.line["errors"]) == ["ERROR_NO_VALID_ANNOTATIONS"]


def test_box_touching_the_image_edge_is_valid() -> None:
    line = dg_detection()
    line["bounding-box"]["annotations"][0].update(left=485, top=379)  # ends exactly at 640x480
    assert len(parse(line).boxes) == 2


def test_dg_bounding_box_too_small_example_matches_the_dg_validation_output() -> None:
    line = {
        "source-ref": "s3://bucket/Manifests/images/199940-1791.jpg",
        "bounding-box": {
            "image_size": [{"width": 3000, "height": 3000, "depth": 3}],
            "annotations": [
                {"class_id": 1, "top": 0, "left": 0, "width": 1, "height": 1},
                {"class_id": 0, "top": 65, "left": 86, "width": 220, "height": 334},
            ],
        },
        "bounding-box-metadata": {
            "objects": [{"confidence": 1}, {"confidence": 1}],
            "class-map": {"0": "Echo", "1": "Echo Dot"},
            "type": "groundtruth/object-detection",
            "human-annotated": "yes",
            "creation-date": "2019-11-20T02:57:28.288286",
            "job-name": "my job",
        },
    }
    entry = with_image_checks(parse(line), ImageInfo("JPEG", 3000, 3000))
    expected = copy.deepcopy(line)
    expected["bounding-box"]["annotations"][0]["errors"] = entry.line["bounding-box"][
        "annotations"
    ][0]["errors"]
    assert entry.line == expected
    assert codes(expected["bounding-box"]["annotations"][0]["errors"]) == [
        "ERROR_BOUNDING_BOX_TOO_SMALL"
    ]
    assert [box.label for box in entry.boxes] == ["Echo"]
    assert not entry.has_errors


@pytest.mark.parametrize(
    ("image_size", "box_size", "too_small"),
    [
        ((640, 480), (2, 2), False),
        ((640, 480), (1, 5), True),
        ((3000, 3000), (2, 2), True),  # 2 * 1280/3000 = 0.85 px once downscaled
        ((3000, 3000), (3, 3), False),  # 1.28 px
        ((3000, 1000), (100, 2), True),
    ],
)
def test_boxes_must_exceed_one_pixel_after_downscaling_to_1280(
    image_size: tuple[int, int], box_size: tuple[int, int], too_small: bool
) -> None:
    box = BoundingBox("thing", 10, 10, *box_size)
    entry = parse_line(
        json.dumps(entry_line("s3://bucket/a.jpg", boxes=[box], image_size=image_size))
    )
    found = codes(entry.line["bounding-box"]["annotations"][0].get("errors", []))
    assert found == (["ERROR_BOUNDING_BOX_TOO_SMALL"] if too_small else [])


# ------------------------------------------------------------------ image checks


def test_image_problem_becomes_invalid_image_on_the_line() -> None:
    problem = ImageDimensionsInvalid(
        "Image is 50x3000 pixels; each side must be 64-4096 pixels "
        "and the aspect ratio at most 20:1."
    )
    entry = with_image_checks(parse_line(DG_IMAGE_LEVEL), problem)
    assert entry.line["errors"] == [{"code": "ERROR_INVALID_IMAGE", "message": problem.message}]
    assert entry.labels == ("Echo Dot",) and entry.has_errors


def test_declared_image_size_must_match_the_real_image() -> None:
    entry = with_image_checks(parse_line(DG_DETECTION), ImageInfo("PNG", 480, 640))
    errors = entry.line["bounding-box"]["errors"]
    assert codes(errors) == ["ERROR_INVALID_IMAGE_DIMENSION"]
    assert "640x480" in errors[0]["message"] and "480x640" in errors[0]["message"]
    assert entry.boxes == () and entry.has_errors


def test_matching_image_keeps_a_valid_line_valid_and_unchanged() -> None:
    entry = with_image_checks(parse_line(DG_DETECTION), ImageInfo("PNG", 640, 480))
    assert entry == parse_line(DG_DETECTION)
    image_level = with_image_checks(parse_line(DG_IMAGE_LEVEL), ImageInfo("PNG", 64, 64))
    assert image_level == parse_line(DG_IMAGE_LEVEL)


def test_image_checks_are_idempotent() -> None:
    once = with_image_checks(parse_line(DG_DETECTION), ImageInfo("PNG", 100, 100))
    twice = with_image_checks(once, ImageInfo("PNG", 100, 100))
    assert twice.line == once.line and twice.errors == once.errors


def test_missing_image_names_the_source_ref_and_reason() -> None:
    entry = missing_image(parse_line(DG_IMAGE_LEVEL), "NoSuchKey")
    assert entry.line["errors"] == [
        {
            "code": "ERROR_INVALID_IMAGE",
            "message": "The image s3://custom-labels-console-us-east-1-nnnnnnnnnn/gt-job/"
            "manifest/IMG_1133.png could not be read: NoSuchKey",
        }
    ]


def test_image_checks_leave_invalid_json_lines_alone() -> None:
    entry = parse_line("{oops")
    assert with_image_checks(entry, ImageInfo("PNG", 64, 64)) == entry
    assert missing_image(entry, "NoSuchKey") == entry


# ------------------------------------------------------------------ round trips


def test_reparsing_a_validated_line_recomputes_errors_without_duplicates() -> None:
    line = dg_detection()
    del line["source-ref"]
    line["bounding-box"]["annotations"][0]["class_id"] = 9
    first = parse(line)
    again = parse_line(first.to_json())
    assert again.line == first.line
    assert again.errors == first.errors and again.box_errors == first.box_errors


def test_fixing_a_validated_line_clears_its_old_errors() -> None:
    line = dg_detection()
    line["errors"] = [{"code": "ERROR_MISSING_SOURCE_REF", "message": "stale"}]
    line["warnings"] = [{"code": "WARNING_NO_ANNOTATIONS", "message": "stale"}]
    line["bounding-box"]["errors"] = [{"code": "ERROR_TOO_MANY_BOUNDING_BOXES", "message": "stale"}]
    line["bounding-box-metadata"]["errors"] = [{"code": "ERROR_X", "message": "stale"}]
    line["bounding-box"]["annotations"][0]["errors"] = [{"code": "ERROR_X", "message": "stale"}]
    entry = parse(line)
    assert entry.line == dg_detection()
    assert not entry.has_errors and not entry.box_errors


# ------------------------------------------------------------------ building lines


def test_entry_line_builds_valid_image_level_lines() -> None:
    line = entry_line(
        "s3://bucket/a.jpg",
        labels=["Echo Dot", "cat", "cat"],
        job_name="labeling",
        creation_date="2024-01-02T03:04:05",
    )
    entry = parse(line)
    assert not entry.has_errors and entry.labels == ("Echo Dot", "cat")
    assert line["Echo_Dot-metadata"] == {
        "class-name": "Echo Dot",
        "confidence": 1,
        "type": "groundtruth/image-classification",
        "job-name": "labeling",
        "human-annotated": "yes",
        "creation-date": "2024-01-02T03:04:05",
    }


def test_entry_line_attribute_names_never_collide() -> None:
    labels = ["bounding-box", "source-ref", "a b", "a_b", "x-metadata", "x", "!!!", "猫", "errors"]
    line = entry_line("s3://bucket/a.jpg", labels=labels, image_size=(640, 480))
    entry = parse(line)
    assert not entry.has_errors
    assert entry.labels == tuple(sorted(labels))
    assert line["source-ref"] == "s3://bucket/a.jpg" and entry.has_box_attribute


def test_entry_line_boxes_round_trip() -> None:
    boxes = [BoundingBox("Echo Dot", 399, 251, 155, 101), BoundingBox("Echo", 86.5, 65, 220, 334)]
    line = entry_line(
        "s3://bucket/a.jpg", boxes=boxes, image_size=(640, 480), creation_date="2024-01-02T03:04:05"
    )
    entry = parse(line)
    assert entry.boxes == tuple(boxes) and entry.image_size == (640, 480) and not entry.has_errors
    assert line["bounding-box"]["annotations"][0] == {
        "class_id": 0,
        "left": 399,
        "top": 251,
        "width": 155,
        "height": 101,
    }
    assert line["bounding-box"]["annotations"][1]["left"] == 86.5
    assert line["bounding-box-metadata"]["class-map"] == {"0": "Echo Dot", "1": "Echo"}


def test_entry_line_with_image_size_only_marks_an_image_without_objects() -> None:
    entry = parse(entry_line("s3://bucket/a.jpg", image_size=(640, 480)))
    assert entry.labeled and entry.has_box_attribute and entry.boxes == ()


def test_entry_line_without_labels_is_unlabeled() -> None:
    assert entry_line("s3://bucket/a.jpg") == {"source-ref": "s3://bucket/a.jpg"}


def test_entry_line_needs_image_size_for_boxes() -> None:
    with pytest.raises(ValueError, match="image_size"):
        entry_line("s3://bucket/a.jpg", boxes=[BoundingBox("x", 0, 0, 10, 10)])


def test_entry_line_defaults_creation_date_to_now_in_ground_truth_format() -> None:
    date = entry_line("s3://bucket/a.jpg", labels=["x"])["x-metadata"]["creation-date"]
    assert len(date) == len("2020-04-15T20:17:23.433061") and date[10] == "T"


# ------------------------------------------------------------------ manifest limits


def test_manifest_limits() -> None:
    assert MAX_MANIFEST_LINES == 250_000
    assert MAX_INVALID_FRACTION == 0.20


def test_more_than_twenty_percent_invalid_lines_is_too_many() -> None:
    valid = parse_line(DG_IMAGE_LEVEL)
    invalid = parse_line("not json")
    unlabeled = parse_line('{"source-ref": "s3://bucket/a.jpg"}')
    assert not too_many_invalid([invalid] + [valid] * 4)
    assert too_many_invalid([invalid] * 2 + [valid] * 3)
    assert not too_many_invalid([unlabeled] * 4 + [valid])
    assert not too_many_invalid([])


def test_entries_are_hashable_values() -> None:
    assert len({parse_line(DG_IMAGE_LEVEL), parse_line(DG_IMAGE_LEVEL)}) == 1
