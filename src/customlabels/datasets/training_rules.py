"""The checks AWS makes when training starts: use case, 20 % rule, buckets, label counts, overlap, auto-split."""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from customlabels.datasets.split import stratified_test_share
from customlabels.datasets.manifest import ManifestEntry, split_s3_uri, too_many_invalid, validation_line

IMAGE_LEVEL_LABELS, OBJECT_LOCALIZATION, NOT_DETERMINED = "IMAGE_LEVEL_LABELS", "OBJECT_LOCALIZATION", "NOT_DETERMINED"
MAX_LABELS = 250
MIN_LABEL_OVERLAP = 0.5


@dataclass(frozen=True)
class ManifestError:
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class SetStatistics:
    """One side's part of manifest_summary.json."""

    use_case: str
    total_json_lines: int
    valid_json_lines: int
    invalid_json_lines: int
    ignored_json_lines: int
    error_json_line_indices: tuple[int, ...]
    errors: tuple[ManifestError, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "use_case": self.use_case,
            "total_json_lines": self.total_json_lines,
            "valid_json_lines": self.valid_json_lines,
            "invalid_json_lines": self.invalid_json_lines,
            "ignored_json_lines": self.ignored_json_lines,
            "error_json_line_indices": list(self.error_json_line_indices),
            "errors": [e.as_dict() for e in self.errors],
        }


@dataclass(frozen=True)
class TrainingData:
    use_case: str
    train: tuple[ManifestEntry, ...]          # usable lines only
    test: tuple[ManifestEntry, ...]
    labels: tuple[str, ...]
    multi_label: bool
    training: SetStatistics
    testing: SetStatistics
    errors: tuple[ManifestError, ...] = field(default=())
    training_lines: tuple[dict[str, Any], ...] = ()  # every input line with its errors and warnings, for the validation manifests
    testing_lines: tuple[dict[str, Any], ...] = ()

    @property
    def ok(self) -> bool:
        return not (self.errors or self.training.errors or self.testing.errors)

    def summary(self) -> dict[str, object]:
        return {
            "statistics": {"training": self.training.as_dict(), "testing": self.testing.as_dict()},
            "errors": [e.as_dict() for e in self.errors],
        }


def check_training_data(
    train: Sequence[ManifestEntry], test: Sequence[ManifestEntry] | None, *, seed: int = 0
) -> TrainingData:
    """test None means TestingData.AutoCreate: 20 % of the usable training lines, stratified by label set."""
    use_case = _use_case([*train, *(test or [])])
    usable_train = [e for e in train if _usable(e, use_case)]
    errors: list[ManifestError] = []
    if test is None:
        usable_train, usable_test, split_error = _auto_split(usable_train, seed)
        errors += [split_error] if split_error else []
        test_lines: Sequence[ManifestEntry] = usable_test
    else:
        usable_test = [e for e in test if _usable(e, use_case)]
        test_lines = test
    training = _statistics(train, use_case)
    testing = _statistics(test_lines, use_case)
    train_labels = _labels(usable_train)
    test_labels = _labels(usable_test)
    minimum = 1 if use_case == OBJECT_LOCALIZATION else 2
    if len(train_labels) < minimum:
        errors.append(ManifestError("ERROR_MANIFEST_TOO_FEW_LABELS", f"The training data has {len(train_labels)} usable labels; at least {minimum} are needed."))
    if len(train_labels) > MAX_LABELS:
        errors.append(ManifestError("ERROR_MANIFEST_TOO_MANY_LABELS", f"The training data has {len(train_labels)} labels; at most {MAX_LABELS} are allowed."))
    if train_labels and len(train_labels & test_labels) / len(train_labels) < MIN_LABEL_OVERLAP:
        errors.append(
            ManifestError(
                "ERROR_INSUFFICIENT_LABEL_OVERLAP",
                f"Less than {int(MIN_LABEL_OVERLAP * 100)}% label overlap between the training and the test data "
                f"({len(train_labels & test_labels)} of {len(train_labels)} training labels are in the test data).",
            )
        )
    locations = (split_s3_uri(e.source_ref) for e in [*usable_train, *usable_test] if e.source_ref)
    buckets = {location[0] for location in locations if location}
    if len(buckets) > 1:
        errors.append(ManifestError("ERROR_IMAGES_IN_MULTIPLE_S3_BUCKETS", f"The images are in {len(buckets)} buckets ({', '.join(sorted(buckets))}); they must all be in one."))
    return TrainingData(
        use_case=use_case,
        train=tuple(usable_train),
        test=tuple(usable_test),
        labels=tuple(sorted(train_labels)),
        multi_label=use_case == IMAGE_LEVEL_LABELS and any(len(e.labels) > 1 for e in usable_train),
        training=training,
        testing=testing,
        errors=tuple(errors),
        training_lines=tuple(validation_line(e) for e in train),
        testing_lines=tuple(validation_line(e) for e in test_lines),
    )


def _use_case(entries: Sequence[ManifestEntry]) -> str:
    valid = [e for e in entries if not e.has_errors and e.labeled]
    if any(e.has_box_attribute for e in valid):
        return OBJECT_LOCALIZATION
    return IMAGE_LEVEL_LABELS if valid else NOT_DETERMINED


def _usable(entry: ManifestEntry, use_case: str) -> bool:
    if entry.has_errors or entry.source_ref is None:
        return False
    if use_case == OBJECT_LOCALIZATION:
        return entry.has_box_attribute
    return bool(entry.labels)


def _statistics(entries: Sequence[ManifestEntry], use_case: str) -> SetStatistics:
    invalid = [i for i, e in enumerate(entries) if e.has_errors]
    ignored = sum(1 for e in entries if not e.has_errors and not _usable(e, use_case))
    errors: tuple[ManifestError, ...] = ()
    if too_many_invalid(entries):
        errors = (ManifestError("ERROR_TOO_MANY_INVALID_ROWS_IN_MANIFEST", f"{len(invalid)} of {len(entries)} lines are invalid; at most 20% may be."),)
    return SetStatistics(
        use_case=use_case,
        total_json_lines=len(entries),
        valid_json_lines=len(entries) - len(invalid) - ignored,
        invalid_json_lines=len(invalid),
        ignored_json_lines=ignored,
        error_json_line_indices=tuple(invalid),
        errors=errors,
    )


def _labels(entries: Sequence[ManifestEntry]) -> set[str]:
    return {label for e in entries for label in e.label_names}


def _auto_split(
    entries: list[ManifestEntry], seed: int
) -> tuple[list[ManifestEntry], list[ManifestEntry], ManifestError | None]:
    counts = Counter(label for e in entries for label in e.label_names)
    scarce = sorted(label for label, n in counts.items() if n < 2)
    if scarce:
        return entries, [], ManifestError(
            "ERROR_INSUFFICIENT_IMAGES_PER_LABEL_FOR_AUTOSPLIT",
            f"To split the training data automatically, each label needs at least 2 images; {', '.join(scarce[:5])} "
            f"{'has' if len(scarce) == 1 else 'have'} fewer.",
        )
    test = stratified_test_share(entries, lambda e: e.label_names, seed=seed)
    chosen = {id(e) for e in test}
    return [e for e in entries if id(e) not in chosen], test, None
