"""Ground Truth manifest lines <-> typed entries, with the AWS non-terminal error codes.

Error placement follows the training validation manifests of the AWS developer guide: each error
goes on the most specific object it concerns (an annotation, the label attribute, the label
attribute metadata) and line-level errors go in the top-level "errors" array.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from customlabels.images import ImageInfo, ImageProblem

MAX_MANIFEST_LINES = 250_000
MAX_INVALID_FRACTION = 0.20
MAX_BOXES_PER_IMAGE = 50
MAX_LABEL_NAME_LENGTH = 255
TRAINING_LONGEST_SIDE = 1280

SOURCE_REF = "source-ref"
METADATA_SUFFIX = "-metadata"
BOX_ATTRIBUTE = "bounding-box"
IMAGE_CLASSIFICATION = "groundtruth/image-classification"
OBJECT_DETECTION = "groundtruth/object-detection"

ERROR_MISSING_SOURCE_REF = "ERROR_MISSING_SOURCE_REF"
ERROR_INVALID_SOURCE_REF_FORMAT = "ERROR_INVALID_SOURCE_REF_FORMAT"
ERROR_INVALID_LABEL_ATTRIBUTE_FORMAT = "ERROR_INVALID_LABEL_ATTRIBUTE_FORMAT"
ERROR_INVALID_LABEL_ATTRIBUTE_METADATA_FORMAT = "ERROR_INVALID_LABEL_ATTRIBUTE_METADATA_FORMAT"
ERROR_NO_VALID_LABEL_ATTRIBUTES = "ERROR_NO_VALID_LABEL_ATTRIBUTES"
ERROR_MISSING_BOUNDING_BOX_CONFIDENCE = "ERROR_MISSING_BOUNDING_BOX_CONFIDENCE"
ERROR_MISSING_CLASS_MAP_ID = "ERROR_MISSING_CLASS_MAP_ID"
ERROR_INVALID_JSON_LINE = "ERROR_INVALID_JSON_LINE"
ERROR_INVALID_IMAGE = "ERROR_INVALID_IMAGE"
ERROR_INVALID_IMAGE_DIMENSION = "ERROR_INVALID_IMAGE_DIMENSION"
ERROR_INVALID_BOUNDING_BOX = "ERROR_INVALID_BOUNDING_BOX"
ERROR_NO_VALID_ANNOTATIONS = "ERROR_NO_VALID_ANNOTATIONS"
ERROR_BOUNDING_BOX_TOO_SMALL = "ERROR_BOUNDING_BOX_TOO_SMALL"
ERROR_TOO_MANY_BOUNDING_BOXES = "ERROR_TOO_MANY_BOUNDING_BOXES"
ERROR_UNSUPPORTED_USE_CASE_TYPE = "ERROR_UNSUPPORTED_USE_CASE_TYPE"
ERROR_INVALID_LABEL_NAME_LENGTH = "ERROR_INVALID_LABEL_NAME_LENGTH"
WARNING_UNANNOTATED_RECORD = "WARNING_UNANNOTATED_RECORD"
WARNING_NO_ANNOTATIONS = "WARNING_NO_ANNOTATIONS"
WARNING_NO_ATTRIBUTE_ANNOTATIONS = "WARNING_NO_ATTRIBUTE_ANNOTATIONS"

_RESULT_KEYS = ("errors", "warnings")
_NOT_ATTRIBUTES = frozenset({SOURCE_REF, *_RESULT_KEYS})
_S3_URI = re.compile(r"s3://([A-Za-z0-9][A-Za-z0-9._-]{0,254})/(.+)", re.DOTALL)
_BOX_FIELDS = ("left", "top", "width", "height")
_SHOWN_VALUE_LENGTH = 100

# A place in a JSON line: () is the line itself, (key,) a top-level object,
# (key, "annotations", i) one annotation of a detection attribute.
Place = tuple[str | int, ...]


@dataclass(frozen=True)
class LineError:
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class BoundingBox:
    label: str
    left: float
    top: float
    width: float
    height: float


@dataclass(frozen=True)
class ManifestEntry:
    source_ref: str | None
    line: dict[str, Any] = field(hash=False)
    labels: tuple[str, ...]
    boxes: tuple[BoundingBox, ...]
    image_size: tuple[int, int] | None
    errors: tuple[LineError, ...]
    warnings: tuple[LineError, ...]
    has_box_attribute: bool
    # Errors on single annotations: the box is dropped but the line stays usable (AWS semantics).
    box_errors: tuple[LineError, ...] = ()

    @property
    def labeled(self) -> bool:
        return bool(self.labels) or self.has_box_attribute

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)

    @property
    def label_names(self) -> tuple[str, ...]:
        return tuple(sorted({*self.labels, *(box.label for box in self.boxes)}))

    def to_json(self) -> str:
        return json.dumps(self.line, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


@dataclass(frozen=True)
class _AttributeResult:
    placed_errors: tuple[tuple[Place, LineError], ...]
    valid: bool
    is_detection: bool = False
    labels: tuple[str, ...] = ()
    boxes: tuple[BoundingBox, ...] = ()
    annotation_count: int = 0
    image_size: tuple[int, int] | None = None


@dataclass(frozen=True)
class _DetectionShape:
    image_size: tuple[int, int]
    annotations: tuple[dict[str, Any], ...]


# ---------------------------------------------------------------- public API


def parse_line(text: str) -> ManifestEntry:
    """Validates one manifest line without its image; errors are attached to .line the AWS way."""
    obj = _load_json_object(text)
    if isinstance(obj, LineError):
        return _invalid_json_entry(obj)
    return _evaluate(_without_results(obj), image_outcome=None)


def with_image_checks(entry: ManifestEntry, image: ImageInfo | ImageProblem) -> ManifestEntry:
    """Re-validates the line knowing its image: ERROR_INVALID_IMAGE, image_size and box geometry."""
    if _is_invalid_json(entry):
        return entry
    outcome = LineError(image.code, image.message) if isinstance(image, ImageProblem) else image
    return _evaluate(_without_results(copy.deepcopy(entry.line)), image_outcome=outcome)


def missing_image(entry: ManifestEntry, reason: str) -> ManifestEntry:
    """Attaches ERROR_INVALID_IMAGE "The image s3://... could not be read: {reason}"."""
    if _is_invalid_json(entry):
        return entry
    problem = LineError(
        ERROR_INVALID_IMAGE, f"The image {entry.source_ref} could not be read: {reason}"
    )
    return _evaluate(_without_results(copy.deepcopy(entry.line)), image_outcome=problem)


def validation_line(entry: ManifestEntry) -> dict[str, Any]:
    """The line for a training validation manifest: .line plus warnings placed the AWS way."""
    line = copy.deepcopy(entry.line)
    if not entry.warnings:
        return line
    line["warnings"] = [warning.as_dict() for warning in entry.warnings]
    if any(warning.code == WARNING_NO_ANNOTATIONS for warning in entry.warnings):
        attribute_warning = LineError(
            WARNING_NO_ATTRIBUTE_ANNOTATIONS, "No attribute annotations were found."
        )
        for key in _empty_detection_attribute_keys(line):
            line[key].setdefault("warnings", []).append(attribute_warning.as_dict())
    return line


def too_many_invalid(entries: Sequence[ManifestEntry]) -> bool:
    """True when lines with errors (warnings don't count) are more than 20% of all lines."""
    if not entries:
        return False
    invalid = sum(1 for entry in entries if entry.has_errors)
    return invalid / len(entries) > MAX_INVALID_FRACTION


def split_s3_uri(uri: str) -> tuple[str, str] | None:
    """(bucket, key) of an s3://bucket/key URI, or None when it is not one."""
    match = _S3_URI.fullmatch(uri)
    return (match.group(1), match.group(2)) if match else None


def entry_line(
    source_ref: str,
    *,
    labels: Iterable[str] = (),
    boxes: Iterable[BoundingBox] = (),
    image_size: tuple[int, int] | None = None,
    job_name: str = "customlabels",
    creation_date: str | None = None,
) -> dict[str, Any]:
    """A valid Ground Truth line: an image-classification attribute per label, a bounding-box one
    when image_size is given (boxes need it)."""
    box_list = list(boxes)
    if box_list and image_size is None:
        raise ValueError("image_size is required to write bounding boxes")
    date = creation_date if creation_date is not None else _now_ground_truth_date()
    line: dict[str, Any] = {SOURCE_REF: source_ref}
    unique_labels = list(dict.fromkeys(labels))
    for index, (name, label) in enumerate(
        zip(_attribute_names(unique_labels), unique_labels, strict=True)
    ):
        line[name] = index
        line[name + METADATA_SUFFIX] = _classification_metadata(label, job_name, date)
    if image_size is not None:
        attribute, metadata = _detection_attribute(box_list, image_size, job_name, date)
        line[BOX_ATTRIBUTE] = attribute
        line[BOX_ATTRIBUTE + METADATA_SUFFIX] = metadata
    return line


# ---------------------------------------------------------------- evaluation


def _evaluate(obj: dict[str, Any], *, image_outcome: ImageInfo | LineError | None) -> ManifestEntry:
    """The entry for a line object that this call owns: errors are attached to obj itself."""
    image_info = image_outcome if isinstance(image_outcome, ImageInfo) else None
    source_ref, source_errors = _check_source_ref(obj)
    attribute_keys = _label_attribute_keys(obj)
    results = [_check_attribute(obj, key, image_info) for key in attribute_keys]
    valid = [result for result in results if result.valid]
    labels = tuple(sorted({label for result in valid for label in result.labels}))
    boxes = tuple(box for result in valid for box in result.boxes)
    annotation_count = sum(result.annotation_count for result in valid)

    line_errors: list[LineError] = list(source_errors)
    if isinstance(image_outcome, LineError):
        line_errors.append(image_outcome)
    if results and not valid:
        line_errors.append(
            LineError(ERROR_NO_VALID_LABEL_ATTRIBUTES, "No valid label attributes found.")
        )
    if annotation_count and not boxes:
        line_errors.append(LineError(ERROR_NO_VALID_ANNOTATIONS, "No valid annotations found."))

    placed = [place_error for result in results for place_error in result.placed_errors]
    placed += [((), error) for error in line_errors]
    errors = tuple(error for place, error in placed if not _is_annotation(place))
    box_errors = tuple(error for place, error in placed if _is_annotation(place))
    return ManifestEntry(
        source_ref=source_ref,
        line=_with_errors(obj, placed),
        labels=labels,
        boxes=boxes,
        image_size=next((r.image_size for r in results if r.image_size is not None), None),
        errors=errors,
        warnings=() if errors else _line_warnings(attribute_keys, valid, labels, annotation_count),
        has_box_attribute=any(result.is_detection for result in valid),
        box_errors=box_errors,
    )


def _load_json_object(text: str) -> dict[str, Any] | LineError:
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as error:
        return LineError(ERROR_INVALID_JSON_LINE, f"The JSON Line has an invalid format: {error}.")
    if not isinstance(value, dict):
        return LineError(
            ERROR_INVALID_JSON_LINE,
            "The JSON Line has an invalid format: "
            f"expected a JSON object, got {_json_type(value)}.",
        )
    return value


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


def _invalid_json_entry(error: LineError) -> ManifestEntry:
    return ManifestEntry(
        source_ref=None,
        line={"errors": [error.as_dict()]},
        labels=(),
        boxes=(),
        image_size=None,
        errors=(error,),
        warnings=(),
        has_box_attribute=False,
    )


def _is_invalid_json(entry: ManifestEntry) -> bool:
    return any(error.code == ERROR_INVALID_JSON_LINE for error in entry.errors)


def _without_results(obj: dict[str, Any]) -> dict[str, Any]:
    """obj (owned by the caller, and changed) without the results of an earlier validation."""
    for container in [obj, *_result_containers(obj)]:
        for key in _RESULT_KEYS:
            container.pop(key, None)
    return obj


def _result_containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    containers: list[dict[str, Any]] = []
    for key, value in obj.items():
        if key in _RESULT_KEYS or not isinstance(value, dict):
            continue
        containers.append(value)
        annotations = value.get("annotations")
        if isinstance(annotations, list):
            containers += [item for item in annotations if isinstance(item, dict)]
    return containers


def _check_source_ref(obj: dict[str, Any]) -> tuple[str | None, tuple[LineError, ...]]:
    if SOURCE_REF not in obj:
        return None, (LineError(ERROR_MISSING_SOURCE_REF, "The source-ref key is missing."),)
    value = obj[SOURCE_REF]
    if isinstance(value, str) and split_s3_uri(value) is not None:
        return value, ()
    error = LineError(
        ERROR_INVALID_SOURCE_REF_FORMAT,
        "The format of the source-ref value is invalid: "
        f"expected s3://bucket/key, got {_shown(value)}.",
    )
    return (value if isinstance(value, str) else None), (error,)


def _label_attribute_keys(obj: dict[str, Any]) -> list[str]:
    return [key for key in obj if key not in _NOT_ATTRIBUTES and key + METADATA_SUFFIX in obj]


def _line_warnings(
    attribute_keys: Sequence[str],
    valid: Sequence[_AttributeResult],
    labels: tuple[str, ...],
    annotation_count: int,
) -> tuple[LineError, ...]:
    if not attribute_keys:
        return (LineError(WARNING_UNANNOTATED_RECORD, "Record is unannotated."),)
    if valid and not labels and annotation_count == 0:
        return (LineError(WARNING_NO_ANNOTATIONS, "No annotations were found."),)
    return ()


def _check_attribute(obj: dict[str, Any], key: str, image: ImageInfo | None) -> _AttributeResult:
    metadata_key = key + METADATA_SUFFIX
    metadata = obj[metadata_key]
    if not isinstance(metadata, dict):
        # Not an object, so there is nowhere to attach the error but the line itself.
        error = _metadata_error(metadata_key, f"expected a JSON object, got {_json_type(metadata)}")
        return _AttributeResult(placed_errors=(((), error),), valid=False)
    use_case = metadata.get("type")
    if use_case == IMAGE_CLASSIFICATION:
        return _check_classification(obj[key], key, metadata, metadata_key)
    if use_case == OBJECT_DETECTION:
        return _check_detection(obj[key], key, metadata, metadata_key, image)
    if not isinstance(use_case, str):
        error = _metadata_error(metadata_key, "the type field is missing or not a string")
    else:
        error = LineError(
            ERROR_UNSUPPORTED_USE_CASE_TYPE,
            f"The label attribute type {_shown(use_case)} is not supported: "
            f"expected {IMAGE_CLASSIFICATION} or {OBJECT_DETECTION}.",
        )
    return _AttributeResult(placed_errors=(((metadata_key,), error),), valid=False)


def _check_classification(
    value: Any, key: str, metadata: dict[str, Any], metadata_key: str
) -> _AttributeResult:
    errors: list[LineError] = []
    if not _is_int(value):
        errors.append(
            LineError(
                ERROR_INVALID_LABEL_ATTRIBUTE_FORMAT,
                f"The format of the label attribute {key} is invalid: "
                f"expected an integer, got {_json_type(value)}.",
            )
        )
    problems = _classification_metadata_problems(metadata)
    class_name = metadata.get("class-name")
    if problems:
        errors.append(_metadata_error(metadata_key, "; ".join(problems)))
    elif isinstance(class_name, str) and not _label_name_fits(class_name):
        errors.append(_label_name_error(class_name))
    if errors or not isinstance(class_name, str):
        # The value is a bare integer, so its errors go on the metadata (AWS image-level layout).
        return _AttributeResult(
            placed_errors=tuple(((metadata_key,), error) for error in errors), valid=False
        )
    return _AttributeResult(placed_errors=(), valid=True, labels=(class_name,))


def _check_detection(
    value: Any, key: str, metadata: dict[str, Any], metadata_key: str, image: ImageInfo | None
) -> _AttributeResult:
    shape = _detection_shape(value)
    metadata_problems = _detection_metadata_problems(metadata)
    placed: list[tuple[Place, LineError]] = []
    if isinstance(shape, str):
        placed.append(
            (
                (key,),
                LineError(
                    ERROR_INVALID_LABEL_ATTRIBUTE_FORMAT,
                    f"The format of the label attribute {key} is invalid: {shape}.",
                ),
            )
        )
    if metadata_problems:
        placed.append(
            ((metadata_key,), _metadata_error(metadata_key, "; ".join(metadata_problems)))
        )
    if isinstance(shape, str) or metadata_problems:
        return _AttributeResult(placed_errors=tuple(placed), valid=False, is_detection=True)

    attribute_errors = _detection_attribute_errors(key, shape, image)
    if attribute_errors:
        return _AttributeResult(
            placed_errors=tuple(((key,), error) for error in attribute_errors),
            valid=False,
            is_detection=True,
            image_size=shape.image_size,
        )
    boxes: list[BoundingBox] = []
    for index, annotation in enumerate(shape.annotations):
        box_or_errors = _check_annotation(
            annotation, index, metadata, metadata_key, shape.image_size
        )
        if isinstance(box_or_errors, BoundingBox):
            boxes.append(box_or_errors)
        else:
            placed += [((key, "annotations", index), error) for error in box_or_errors]
    return _AttributeResult(
        placed_errors=tuple(placed),
        valid=True,
        is_detection=True,
        boxes=tuple(boxes),
        annotation_count=len(shape.annotations),
        image_size=shape.image_size,
    )


def _detection_shape(value: Any) -> _DetectionShape | str:
    """The image size and annotations of a detection attribute, or what is wrong with it."""
    if not isinstance(value, dict):
        return f"expected a JSON object, got {_json_type(value)}"
    sizes = value.get("image_size")
    if not (isinstance(sizes, list) and len(sizes) == 1 and isinstance(sizes[0], dict)):
        return "image_size must be a list holding one {width, height, depth} object"
    size = sizes[0]
    if not all(_is_int(size.get(name)) and size[name] > 0 for name in ("width", "height", "depth")):
        return "image_size width, height and depth must be positive integers"
    annotations = value.get("annotations")
    if not isinstance(annotations, list):
        return "annotations must be a list"
    for index, annotation in enumerate(annotations):
        if not isinstance(annotation, dict):
            return f"annotations[{index}] must be a JSON object"
        if not _is_int(annotation.get("class_id")):
            return f"annotations[{index}].class_id must be an integer"
        if not all(_is_number(annotation.get(name)) for name in _BOX_FIELDS):
            return f"annotations[{index}] needs numeric left, top, width and height"
    return _DetectionShape(
        image_size=(size["width"], size["height"]), annotations=tuple(annotations)
    )


def _detection_attribute_errors(
    key: str, shape: _DetectionShape, image: ImageInfo | None
) -> list[LineError]:
    errors: list[LineError] = []
    if len(shape.annotations) > MAX_BOXES_PER_IMAGE:
        errors.append(
            LineError(
                ERROR_TOO_MANY_BOUNDING_BOXES,
                f"There are more bounding boxes than the allowed maximum: "
                f"{len(shape.annotations)} in {key}, the maximum is {MAX_BOXES_PER_IMAGE}.",
            )
        )
    if image is not None and shape.image_size != (image.width, image.height):
        declared_width, declared_height = shape.image_size
        errors.append(
            LineError(
                ERROR_INVALID_IMAGE_DIMENSION,
                f"The image_size of {key} is {declared_width}x{declared_height} but the image is "
                f"{image.width}x{image.height} pixels; they must match.",
            )
        )
    return errors


def _check_annotation(
    annotation: dict[str, Any],
    index: int,
    metadata: dict[str, Any],
    metadata_key: str,
    image_size: tuple[int, int],
) -> BoundingBox | list[LineError]:
    errors: list[LineError] = []
    objects = metadata["objects"]
    confidence_holder = objects[index] if index < len(objects) else None
    if not (
        isinstance(confidence_holder, dict) and _is_number(confidence_holder.get("confidence"))
    ):
        errors.append(
            LineError(
                ERROR_MISSING_BOUNDING_BOX_CONFIDENCE,
                f"One or more bounding boxes has a missing confidence value: "
                f"expected {metadata_key}.objects[{index}].confidence.",
            )
        )
    class_id = annotation["class_id"]
    label = metadata["class-map"].get(str(class_id))
    if label is None:
        errors.append(
            LineError(
                ERROR_MISSING_CLASS_MAP_ID,
                f"One or more class ids is missing from the class map: "
                f"class_id {class_id} is not in {metadata_key}.class-map.",
            )
        )
    elif not _label_name_fits(label):
        errors.append(_label_name_error(label))
    errors += _geometry_errors(annotation, image_size)
    if errors or label is None:
        return errors
    return BoundingBox(label, *(float(annotation[name]) for name in _BOX_FIELDS))


def _geometry_errors(annotation: dict[str, Any], image_size: tuple[int, int]) -> list[LineError]:
    left, top, width, height = (annotation[name] for name in _BOX_FIELDS)
    image_width, image_height = image_size
    described = f"left={left}, top={top}, width={width}, height={height}"
    off_frame = left + width > image_width or top + height > image_height
    if min(left, top, width, height) < 0 or off_frame:
        return [
            LineError(
                ERROR_INVALID_BOUNDING_BOX,
                f"The bounding box has off frame values: {described} must be non-negative "
                f"and lie within the {image_width}x{image_height} image.",
            )
        ]
    scale = min(1.0, TRAINING_LONGEST_SIDE / max(image_width, image_height))
    if width * scale <= 1 or height * scale <= 1:
        return [
            LineError(
                ERROR_BOUNDING_BOX_TOO_SMALL,
                f"The height and width of the bounding box is too small: {described} is "
                f"{width * scale:.2f}x{height * scale:.2f} pixels once the image is scaled to "
                f"at most {TRAINING_LONGEST_SIDE} pixels on its longest side; "
                "both must be greater than 1.",
            )
        ]
    return []


def _common_metadata_problems(metadata: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    if metadata.get("human-annotated") not in ("yes", "no"):
        problems.append('human-annotated must be "yes" or "no"')
    if not isinstance(metadata.get("creation-date"), str):
        problems.append("creation-date must be a string")
    return problems


def _classification_metadata_problems(metadata: dict[str, Any]) -> list[str]:
    problems = _common_metadata_problems(metadata)
    if not isinstance(metadata.get("class-name"), str):
        problems.append("class-name must be a string")
    if not _is_number(metadata.get("confidence")):
        problems.append("confidence must be a number")
    return problems


def _detection_metadata_problems(metadata: dict[str, Any]) -> list[str]:
    problems = _common_metadata_problems(metadata)
    if not isinstance(metadata.get("objects"), list):
        problems.append("objects must be a list")
    class_map = metadata.get("class-map")
    if not (
        isinstance(class_map, dict) and all(isinstance(name, str) for name in class_map.values())
    ):
        problems.append("class-map must map class ids to label names")
    return problems


def _metadata_error(metadata_key: str, detail: str) -> LineError:
    return LineError(
        ERROR_INVALID_LABEL_ATTRIBUTE_METADATA_FORMAT,
        f"The format of the label attribute metadata {metadata_key} is invalid: {detail}.",
    )


def _label_name_fits(name: str) -> bool:
    return 1 <= len(name) <= MAX_LABEL_NAME_LENGTH


def _label_name_error(name: str) -> LineError:
    return LineError(
        ERROR_INVALID_LABEL_NAME_LENGTH,
        f"The label name is {len(name)} characters; "
        f"label names must be 1-{MAX_LABEL_NAME_LENGTH} characters.",
    )


# ---------------------------------------------------------------- attaching results


def _is_annotation(place: Place) -> bool:
    return len(place) == 3


def _with_errors(line: dict[str, Any], placed: Sequence[tuple[Place, LineError]]) -> dict[str, Any]:
    """line (owned by the caller, and changed) with each error attached at its place."""
    for place, error in placed:
        _container_at(line, place).setdefault("errors", []).append(error.as_dict())
    return line


def _container_at(line: dict[str, Any], place: Place) -> dict[str, Any]:
    """The object at place, or the line itself when place does not lead to an object."""
    current: Any = line
    for step in place:
        try:
            current = current[step]
        except (KeyError, IndexError, TypeError):
            return line
    return current if isinstance(current, dict) else line


def _empty_detection_attribute_keys(line: dict[str, Any]) -> list[str]:
    return [
        key
        for key in _label_attribute_keys(line)
        if isinstance(line[key + METADATA_SUFFIX], dict)
        and line[key + METADATA_SUFFIX].get("type") == OBJECT_DETECTION
        and isinstance(line[key], dict)
        and line[key].get("annotations") == []
    ]


# ---------------------------------------------------------------- building lines


def _attribute_names(labels: Sequence[str]) -> list[str]:
    taken = {SOURCE_REF, BOX_ATTRIBUTE, *_RESULT_KEYS}
    names: list[str] = []
    for label in labels:
        base = re.sub(r"[^\w.-]+", "_", label).strip("_") or "label"
        if base.endswith(METADATA_SUFFIX):
            # Why: an attribute named like another attribute's metadata key would be ambiguous.
            base += "_"
        name, suffix = base, 2
        while name in taken:
            name, suffix = f"{base}_{suffix}", suffix + 1
        taken.add(name)
        names.append(name)
    return names


def _classification_metadata(label: str, job_name: str, creation_date: str) -> dict[str, Any]:
    return {
        "class-name": label,
        "confidence": 1,
        "type": IMAGE_CLASSIFICATION,
        "job-name": job_name,
        "human-annotated": "yes",
        "creation-date": creation_date,
    }


def _detection_attribute(
    boxes: Sequence[BoundingBox], image_size: tuple[int, int], job_name: str, creation_date: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    class_ids = {
        label: index for index, label in enumerate(dict.fromkeys(box.label for box in boxes))
    }
    width, height = image_size
    attribute = {
        "image_size": [{"width": width, "height": height, "depth": 3}],
        "annotations": [
            {
                "class_id": class_ids[box.label],
                **{name: _json_number(getattr(box, name)) for name in _BOX_FIELDS},
            }
            for box in boxes
        ],
    }
    metadata = {
        "objects": [{"confidence": 1} for _ in boxes],
        "class-map": {str(index): label for label, index in class_ids.items()},
        "type": OBJECT_DETECTION,
        "human-annotated": "yes",
        "creation-date": creation_date,
        "job-name": job_name,
    }
    return attribute, metadata


def _now_ground_truth_date() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def _json_number(value: float) -> int | float:
    return int(value) if math.isfinite(value) and float(value).is_integer() else value


# ---------------------------------------------------------------- value helpers


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _json_type(value: Any) -> str:
    names = {
        dict: "an object",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        type(None): "null",
    }
    if type(value) in names:
        return names[type(value)]
    return "a number"


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    if len(text) > _SHOWN_VALUE_LENGTH:
        return text[: _SHOWN_VALUE_LENGTH - 3] + "..."
    return text
