import csv
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from customlabels.datasets.importers import (
    ImportFile,
    ImportPlan,
    detect_format,
    plan_coco,
    plan_csv,
    plan_folders,
    plan_groundtruth,
    plan_voc,
    plan_yolo,
)
from customlabels.datasets.importers.lines import BoundingBox, entry_line, with_one_class_map

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
# Why not a skip: the suite is the proof that the importers read the real datasets; without them it must fail.
needs_data = pytest.mark.usefixtures("shared_data")

CLASSIFICATION = "groundtruth/image-classification"
DETECTION = "groundtruth/object-detection"


def labels_of(line: dict[str, Any]) -> set[str]:
    return {
        value["class-name"]
        for key, value in line.items()
        if key.endswith("-metadata") and value["type"] == CLASSIFICATION
    }


def boxes_of(line: dict[str, Any]) -> list[tuple[str, float, float, float, float]]:
    class_map = line["bounding-box-metadata"]["class-map"]
    return [
        (class_map[str(a["class_id"])], a["left"], a["top"], a["width"], a["height"])
        for a in line["bounding-box"]["annotations"]
    ]


def by_key(plan: ImportPlan, prefix: str = "") -> dict[str, dict[str, Any]]:
    return {line["source-ref"].removeprefix(f"s3://bucket/{prefix}"): line for line in plan.lines}


def reasons(plan: ImportPlan) -> dict[str, str]:
    return {Path(skip.path).name: skip.reason for skip in plan.skipped}


def image(path: Path, size: tuple[int, int] = (64, 48), fmt: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, "white").save(
        path, format=fmt or ("PNG" if path.suffix.lower() == ".png" else "JPEG")
    )
    return path


# Real datasets


@needs_data
def test_clothing_folders_give_one_label_per_image_from_its_folder() -> None:
    plan = plan_folders(DATA / "clothing" / "train", bucket="bucket", prefix="imports/1/")

    assert len(plan.lines) == len(plan.files) == 600
    assert plan.skipped == ()
    garments = "dress hat longsleeve outwear pants shirt shoes shorts skirt t-shirt"
    assert {label for line in plan.lines for label in labels_of(line)} == set(garments.split())
    for line, file in zip(plan.lines, plan.files, strict=True):
        assert line["source-ref"] == f"s3://bucket/imports/1/{file.key}"
        assert labels_of(line) == {file.path.parent.name} == {file.key.split("/")[0]}


@needs_data
def test_scenes_csv_gives_the_multi_labels_of_each_row() -> None:
    with (DATA / "scenes" / "labels.csv").open(newline="") as handle:
        rows = list(csv.reader(handle))
    header, rows = rows[0], rows[1:]
    expected = {
        row[0]: {label for label, value in zip(header[1:], row[1:], strict=True) if value == "1"}
        for row in rows
    }

    plan = plan_csv(
        DATA / "scenes" / "labels.csv", DATA / "scenes" / "images", bucket="bucket", prefix="s/"
    )

    assert len(plan.lines) == 1000 and plan.skipped == ()
    lines = by_key(plan, "s/")
    assert lines["10.jpg"] and labels_of(lines["10.jpg"]) == {"desert", "mountains"}
    for name in [row[0] for row in rows[::97]]:
        assert labels_of(lines[name]) == expected[name]
    multi = sum(len(labels) > 1 for labels in expected.values())
    assert multi > 200
    assert sum(len(labels_of(line)) > 1 for line in plan.lines) == multi


@needs_data
def test_microcontroller_voc_gives_pixel_boxes_from_the_xml() -> None:
    plan = plan_voc(DATA / "microcontroller" / "train", bucket="bucket", prefix="")

    assert len(plan.lines) == len(plan.files) == 142 and plan.skipped == ()
    assert all(line["bounding-box-metadata"]["type"] == DETECTION for line in plan.lines)
    class_maps = {json.dumps(line["bounding-box-metadata"]["class-map"]) for line in plan.lines}
    boards = {"0": "Arduino_Nano", "1": "ESP8266", "2": "Heltec_ESP32_Lora", "3": "Raspberry_Pi_3"}
    assert class_maps == {json.dumps(boards)}
    line = by_key(plan)["IMG_20181228_104234.jpg"]
    assert line["bounding-box"]["image_size"] == [{"width": 800, "height": 600, "depth": 3}]
    # Read off IMG_20181228_104234.xml: (xmin, ymin, xmax, ymax) 123 241 375 326, 243 340 508 480, 433 202 698 352.
    assert boxes_of(line) == [
        ("Arduino_Nano", 123, 241, 252, 85),
        ("Heltec_ESP32_Lora", 243, 340, 265, 140),
        ("ESP8266", 433, 202, 265, 150),
    ]
    assert line["bounding-box-metadata"]["objects"] == [{"confidence": 1}] * 3


@needs_data
def test_logos_groundtruth_manifest_is_kept_with_its_bucket_keys() -> None:
    plan = plan_groundtruth(DATA / "logos" / "output.manifest", DATA / "logos" / "images")

    assert len(plan.lines) == len(plan.files) == 269 and plan.skipped == ()
    assert plan.bucket == "customlabels-examples"
    original = [
        json.loads(raw) for raw in (DATA / "logos" / "output.manifest").read_text().splitlines()
    ]
    assert list(plan.lines) == original
    for line, file in zip(plan.lines, plan.files, strict=True):
        assert line["source-ref"] == f"s3://customlabels-examples/{file.key}"
        assert file.key.startswith("logos/images/") and file.path.is_file()


@needs_data
@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        ("clothing/train", "folders"),
        ("scenes", "csv"),
        ("scenes/labels.csv", "csv"),
        ("microcontroller/train", "voc"),
        ("logos", "groundtruth"),
        ("logos/output.manifest", "groundtruth"),
    ],
)
def test_detect_format_on_real_datasets(relative: str, expected: str) -> None:
    assert detect_format(DATA / relative) == expected


# Lines


def test_image_level_lines_have_one_distinct_attribute_per_label() -> None:
    line = entry_line(
        "s3://b/x.jpg", labels=["a b", "a-b", "A B", "a b"], creation_date="2024-01-02T03:04:05"
    )

    attributes = [key for key in line if key != "source-ref" and not key.endswith("-metadata")]
    assert len(attributes) == len(set(attributes)) == 3
    assert labels_of(line) == {"a b", "a-b", "A B"}
    assert line[f"{attributes[0]}-metadata"] == {
        "confidence": 1,
        "class-name": "a b",
        "human-annotated": "yes",
        "creation-date": "2024-01-02T03:04:05",
        "type": CLASSIFICATION,
        "job-name": "customlabels",
    }


def test_detection_lines_need_an_image_size_and_share_one_class_map() -> None:
    with pytest.raises(ValueError, match="image_size"):
        entry_line("s3://b/x.jpg", boxes=[BoundingBox("cat", 1, 2, 3, 4)])
    lines = with_one_class_map(
        [
            entry_line("s3://b/1.jpg", boxes=[BoundingBox("dog", 1, 2, 3, 4)], image_size=(10, 10)),
            entry_line("s3://b/2.jpg", boxes=[BoundingBox("cat", 5, 6, 7, 8)], image_size=(10, 20)),
            entry_line("s3://b/3.jpg", image_size=(10, 20)),
        ]
    )
    assert [line["bounding-box-metadata"]["class-map"] for line in lines] == [
        {"0": "cat", "1": "dog"}
    ] * 3
    assert [line["bounding-box"]["annotations"] for line in lines] == [
        [{"class_id": 1, "left": 1, "top": 2, "width": 3, "height": 4}],
        [{"class_id": 0, "left": 5, "top": 6, "width": 7, "height": 8}],
        [],
    ]
    assert lines[2]["bounding-box-metadata"]["objects"] == []


def test_plans_reject_unsafe_or_repeated_keys(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="relative path"):
        ImportFile(tmp_path, "../x.jpg")
    with pytest.raises(ValueError, match="unique"):
        ImportPlan((), (ImportFile(tmp_path, "x.jpg"), ImportFile(tmp_path, "x.jpg")), (), "bucket")


# Folders


def test_folders_nested_unlabeled_and_skipped(tmp_path: Path) -> None:
    image(tmp_path / "sea" / "sunset" / "x.jpg")
    image(tmp_path / "sea" / "y.PNG")
    image(tmp_path / "loose.jpeg")
    image(tmp_path / ".hidden.jpg")
    image(tmp_path / ".thumbnails" / "z.jpg")
    (tmp_path / "sea" / "notes.txt").write_text("hi")

    plan = plan_folders(tmp_path, bucket="bucket", prefix="p/")

    lines = by_key(plan, "p/")
    assert set(lines) == {"sea/sunset/x.jpg", "sea/y.PNG", "loose.jpeg"}
    assert labels_of(lines["sea/sunset/x.jpg"]) == {"sea", "sunset"}
    assert labels_of(lines["sea/y.PNG"]) == {"sea"}
    assert lines["loose.jpeg"] == {"source-ref": "s3://bucket/p/loose.jpeg"}
    assert {file.key for file in plan.files} == set(lines)
    assert reasons(plan) == {"notes.txt": "not a JPEG or PNG image (.txt)"}


# CSV


def test_csv_rows_unlabeled_missing_and_bad_values(tmp_path: Path) -> None:
    for name in ("a.jpg", "b.jpg", "c.jpg", "d.jpg", "e.jpg"):
        image(tmp_path / "img" / name)
    (tmp_path / "labels.csv").write_text(
        "image,sea,sunset\n"
        "a.jpg,1,1\n"
        "b.jpg,0,0\n"
        "gone.jpg,1,0\n"
        "c.jpg,1,yes\n"
        "d.jpg,1\n"
        "\n"
        "a.jpg,0,1\n"
        "../e.jpg,1,0\n"
        "e.jpg , 0 , 1 \n"
    )

    plan = plan_csv(tmp_path / "labels.csv", tmp_path / "img", bucket="bucket", prefix="")

    lines = by_key(plan)
    assert set(lines) == {"a.jpg", "b.jpg", "e.jpg"}
    assert labels_of(lines["a.jpg"]) == {"sea", "sunset"}
    assert lines["b.jpg"] == {"source-ref": "s3://bucket/b.jpg"}
    assert labels_of(lines["e.jpg"]) == {"sunset"}
    skipped = [(Path(skip.path).name, skip.reason) for skip in plan.skipped]
    assert skipped == [
        ("labels.csv", "row 5: column 'sunset' must be 0 or 1, found 'yes'"),
        ("labels.csv", "row 6: expected 3 columns, found 2"),
        ("labels.csv", "row 8: a.jpg is listed again (first on row 2)"),
        ("labels.csv", "row 9: image name '../e.jpg' is empty or points outside the images folder"),
        ("gone.jpg", f"row 4: image file not found in {tmp_path / 'img'}"),
    ]


def test_csv_with_semicolons_and_a_bad_header(tmp_path: Path) -> None:
    image(tmp_path / "a.jpg")
    (tmp_path / "labels.csv").write_text("image;cat;dog\na.jpg;0;1\n")
    plan = plan_csv(tmp_path / "labels.csv", tmp_path, bucket="bucket", prefix="")
    assert [labels_of(line) for line in plan.lines] == [{"dog"}]

    (tmp_path / "labels.csv").write_text("image\na.jpg\n")
    with pytest.raises(ValueError, match="one named column per label"):
        plan_csv(tmp_path / "labels.csv", tmp_path, bucket="bucket", prefix="")


# Pascal VOC


def voc_xml(
    name: str,
    objects: list[tuple[str, int, int, int, int]],
    size: tuple[int, int] | None = (64, 48),
) -> str:
    size_xml = (
        f"<size><width>{size[0]}</width><height>{size[1]}</height><depth>3</depth></size>"
        if size
        else ""
    )
    objects_xml = "".join(
        f"<object><name>{label}</name><bndbox><xmin>{x0}</xmin><ymin>{y0}</ymin>"
        f"<xmax>{x1}</xmax><ymax>{y1}</ymax></bndbox></object>"
        for label, x0, y0, x1, y1 in objects
    )
    return f"<annotation><filename>{name}</filename>{size_xml}{objects_xml}</annotation>"


def test_voc_pairs_skips_and_falls_back_to_the_image_size(tmp_path: Path) -> None:
    image(tmp_path / "boxed.jpg")
    (tmp_path / "boxed.xml").write_text(
        voc_xml("boxed.jpg", [("zebra", 1, 2, 11, 22), ("ant", 0, 0, 5, 5)])
    )
    image(tmp_path / "nosize.png", size=(30, 20))
    (tmp_path / "nosize.xml").write_text(voc_xml("nosize.png", [("ant", 1, 1, 2, 2)], size=None))
    image(tmp_path / "plain.jpg")
    (tmp_path / "orphan.xml").write_text(voc_xml("orphan.jpg", []))
    image(tmp_path / "broken.jpg")
    (tmp_path / "broken.xml").write_text("<annotation><object>")
    image(tmp_path / "flat.jpg")
    (tmp_path / "flat.xml").write_text(voc_xml("flat.jpg", [("ant", 5, 5, 5, 9)]))

    plan = plan_voc(tmp_path, bucket="bucket", prefix="v/")

    lines = by_key(plan, "v/")
    assert set(lines) == {"boxed.jpg", "nosize.png", "plain.jpg"}
    assert boxes_of(lines["boxed.jpg"]) == [("zebra", 1, 2, 10, 20), ("ant", 0, 0, 5, 5)]
    assert lines["boxed.jpg"]["bounding-box-metadata"]["class-map"] == {"0": "ant", "1": "zebra"}
    assert lines["nosize.png"]["bounding-box"]["image_size"] == [
        {"width": 30, "height": 20, "depth": 3}
    ]
    assert lines["plain.jpg"] == {"source-ref": "s3://bucket/v/plain.jpg"}
    skipped = reasons(plan)
    assert skipped.keys() == {"orphan.xml", "broken.xml", "flat.xml"}
    assert skipped["orphan.xml"].startswith("no image named orphan.jpg")
    assert (
        skipped["broken.xml"].startswith("malformed XML")
        and "broken.jpg not imported" in skipped["broken.xml"]
    )
    assert "empty box" in skipped["flat.xml"]


def test_voc_devkit_layout(tmp_path: Path) -> None:
    image(tmp_path / "JPEGImages" / "1.jpg")
    (tmp_path / "Annotations").mkdir()
    (tmp_path / "Annotations" / "1.xml").write_text(voc_xml("1.jpg", [("cat", 1, 1, 4, 4)]))

    plan = plan_voc(tmp_path, bucket="bucket", prefix="")

    assert [file.key for file in plan.files] == ["JPEGImages/1.jpg"]
    assert boxes_of(plan.lines[0]) == [("cat", 1, 1, 3, 3)]
    assert detect_format(tmp_path) == "voc"


# Ground Truth


def gt_line(ref: str) -> str:
    return json.dumps(
        {"source-ref": ref, "x": 0, "x-metadata": {"class-name": "cat", "type": CLASSIFICATION}}
    )


def test_groundtruth_skips_bad_and_missing_lines(tmp_path: Path) -> None:
    image(tmp_path / "img" / "a.jpg")
    image(tmp_path / "img" / "b.jpg")
    manifest = tmp_path / "in.manifest"
    manifest.write_text(
        "\n".join(
            [
                gt_line("s3://bkt/deep/path/a.jpg"),
                "{not json",
                gt_line("s3://bkt/other/missing.jpg"),
                json.dumps({"no-source": 1}),
                gt_line("s3://bkt/deep/path/a.jpg"),
                gt_line("s3://bkt/b.jpg"),
                "",
            ]
        )
    )

    plan = plan_groundtruth(manifest, tmp_path / "img")

    assert plan.bucket == "bkt"
    assert [line["source-ref"] for line in plan.lines] == [
        "s3://bkt/deep/path/a.jpg",
        "s3://bkt/b.jpg",
    ]
    assert plan.lines[0] == json.loads(gt_line("s3://bkt/deep/path/a.jpg"))
    assert [(file.path.name, file.key) for file in plan.files] == [
        ("a.jpg", "deep/path/a.jpg"),
        ("b.jpg", "b.jpg"),
    ]
    skipped = [(Path(skip.path).name, skip.reason) for skip in plan.skipped]
    assert skipped[0][0] == "in.manifest" and skipped[0][1].startswith("line 2: invalid JSON")
    assert skipped[1:] == [
        ("in.manifest", "line 4: source-ref must be a string s3://bucket/key"),
        ("in.manifest", "line 5: same image as line 1"),
        ("missing.jpg", "line 3: image of s3://bkt/other/missing.jpg not found"),
    ]


def test_groundtruth_needs_one_bucket(tmp_path: Path) -> None:
    manifest = tmp_path / "in.manifest"
    manifest.write_text(gt_line("s3://one/a.jpg") + "\n" + gt_line("s3://two/b.jpg") + "\n")
    with pytest.raises(ValueError, match="one bucket, found: one, two"):
        plan_groundtruth(manifest, tmp_path)


# COCO


def test_coco_round_trip(tmp_path: Path) -> None:
    image(tmp_path / "images" / "a.jpg", size=(100, 80))
    image(tmp_path / "images" / "empty.jpg", size=(50, 40))
    image(tmp_path / "images" / "badcat.jpg")
    image(tmp_path / "images" / "nosize.png", size=(30, 20))
    document = {
        "images": [
            {"id": 1, "file_name": "train2017/a.jpg", "width": 100, "height": 80},
            {"id": 2, "file_name": "empty.jpg", "width": 50, "height": 40},
            {"id": 3, "file_name": "badcat.jpg", "width": 64, "height": 48},
            {"id": 4, "file_name": "gone.jpg", "width": 64, "height": 48},
            {"id": 5, "file_name": "nosize.png"},
        ],
        "annotations": [
            {"id": 10, "image_id": 1, "category_id": 7, "bbox": [10, 20, 30.5, 40]},
            {"id": 11, "image_id": 1, "category_id": 3, "bbox": [0, 0, 5, 5]},
            {"id": 12, "image_id": 3, "category_id": 99, "bbox": [0, 0, 5, 5]},
            {"id": 13, "image_id": 42, "category_id": 3, "bbox": [0, 0, 5, 5]},
            {"id": 14, "image_id": 5, "category_id": 3, "bbox": [1, 2, 3, 4]},
        ],
        "categories": [{"id": 3, "name": "person"}, {"id": 7, "name": "bicycle"}],
    }
    (tmp_path / "coco.json").write_text(json.dumps(document))

    plan = plan_coco(tmp_path / "coco.json", tmp_path / "images", bucket="bucket", prefix="c/")

    lines = by_key(plan, "c/")
    assert set(lines) == {"a.jpg", "empty.jpg", "nosize.png"}
    assert boxes_of(lines["a.jpg"]) == [("bicycle", 10, 20, 30.5, 40), ("person", 0, 0, 5, 5)]
    assert lines["a.jpg"]["bounding-box-metadata"]["class-map"] == {"0": "bicycle", "1": "person"}
    assert lines["empty.jpg"]["bounding-box"] == {
        "image_size": [{"width": 50, "height": 40, "depth": 3}],
        "annotations": [],
    }
    assert lines["nosize.png"]["bounding-box"]["image_size"] == [
        {"width": 30, "height": 20, "depth": 3}
    ]
    assert reasons(plan) == {
        "coco.json": "annotation 4 refers to no listed image (image_id 42)",
        "badcat.jpg": "annotation 12: unknown category_id 99",
        "gone.jpg": f"image file not found in {tmp_path / 'images'}",
    }
    assert detect_format(tmp_path) == "coco"


def test_coco_needs_its_lists(tmp_path: Path) -> None:
    (tmp_path / "coco.json").write_text(json.dumps({"images": []}))
    with pytest.raises(ValueError, match="'images', 'annotations' and 'categories'"):
        plan_coco(tmp_path / "coco.json", tmp_path, bucket="bucket", prefix="")


# YOLO


def test_yolo_round_trip_beside_images(tmp_path: Path) -> None:
    image(tmp_path / "a.jpg", size=(200, 100))
    boxes = [("dog", 20, 10, 50, 30), ("cat", 0, 60, 200, 40)]
    names = ["cat", "dog"]
    (tmp_path / "a.txt").write_text(
        "".join(
            f"{names.index(label)} {(left + w / 2) / 200} {(top + h / 2) / 100} {w / 200} {h / 100}\n"
            for label, left, top, w, h in boxes
        )
    )
    image(tmp_path / "empty.jpg")
    (tmp_path / "empty.txt").write_text("")
    image(tmp_path / "unlabeled.png")
    image(tmp_path / "badclass.jpg")
    (tmp_path / "badclass.txt").write_text("5 0.5 0.5 0.1 0.1\n")
    image(tmp_path / "badline.jpg")
    (tmp_path / "badline.txt").write_text("0 0.5 0.5 0.1\n")
    (tmp_path / "orphan.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    (tmp_path / "classes.txt").write_text("cat\ndog\n")

    assert detect_format(tmp_path) == "yolo"
    plan = plan_yolo(tmp_path, bucket="bucket", prefix="")

    lines = by_key(plan)
    assert set(lines) == {"a.jpg", "empty.jpg", "unlabeled.png"}
    assert boxes_of(lines["a.jpg"]) == boxes
    assert lines["a.jpg"]["bounding-box"]["image_size"] == [
        {"width": 200, "height": 100, "depth": 3}
    ]
    assert lines["empty.jpg"]["bounding-box"]["annotations"] == []
    assert lines["unlabeled.png"] == {"source-ref": "s3://bucket/unlabeled.png"}
    skipped = reasons(plan)
    assert skipped.keys() == {"badclass.txt", "badline.txt", "orphan.txt"}
    assert (
        skipped["badclass.txt"]
        == "line 1: class 5 is not among the 2 class names (badclass.jpg not imported)"
    )
    assert skipped["badline.txt"].startswith(
        "line 1: expected 'class x_center y_center width height'"
    )
    assert skipped["orphan.txt"] == "label file without an image of the same name"


def test_yolo_images_and_labels_folders_with_names_from_data_yaml(tmp_path: Path) -> None:
    pytest.importorskip("yaml")
    image(tmp_path / "images" / "train" / "x.jpg", size=(100, 100))
    (tmp_path / "labels" / "train").mkdir(parents=True)
    (tmp_path / "labels" / "train" / "x.txt").write_text("1 0.5 0.5 0.2 0.4\n")
    (tmp_path / "data.yaml").write_text("path: .\nnames:\n  0: logo\n  1: brand mark\n")

    plan = plan_yolo(tmp_path, bucket="bucket", prefix="y/")

    assert [file.key for file in plan.files] == ["images/train/x.jpg"]
    assert boxes_of(plan.lines[0]) == [("brand mark", 40, 30, 20, 40)]


def test_yolo_needs_class_names(tmp_path: Path) -> None:
    image(tmp_path / "a.jpg")
    (tmp_path / "a.txt").write_text("0 0.5 0.5 0.5 0.5\n")
    with pytest.raises(ValueError, match="pass the class names"):
        plan_yolo(tmp_path, bucket="bucket", prefix="")
    plan = plan_yolo(tmp_path, bucket="bucket", prefix="", class_names=["thing"])
    assert boxes_of(plan.lines[0]) == [("thing", 16, 12, 32, 24)]


def test_detect_format_of_small_layouts(tmp_path: Path) -> None:
    image(tmp_path / "folders" / "cat" / "a.jpg")
    (tmp_path / "gt").mkdir()
    (tmp_path / "gt" / "x.manifest").write_text("")
    assert detect_format(tmp_path / "folders") == "folders"
    assert detect_format(tmp_path / "gt") == "groundtruth"
    with pytest.raises(ValueError, match="does not exist"):
        detect_format(tmp_path / "nothing")
