"""What the service returns: plain values every face can render."""

from dataclasses import dataclass


@dataclass(frozen=True)
class DatasetMetadata:
    arn: str
    dataset_type: str
    status: str
    status_message: str | None
    status_message_code: str | None
    created_at: float


@dataclass(frozen=True)
class ProjectDescription:
    arn: str
    name: str
    created_at: float
    status: str
    feature: str
    auto_update: str | None
    datasets: tuple[DatasetMetadata, ...]


@dataclass(frozen=True)
class DatasetStats:
    labeled_entries: int
    total_entries: int
    total_labels: int
    error_entries: int


@dataclass(frozen=True)
class DatasetDescription:
    metadata: DatasetMetadata
    project_arn: str
    updated_at: float
    stats: DatasetStats


@dataclass(frozen=True)
class LabelStats:
    name: str
    entry_count: int
    box_count: int
