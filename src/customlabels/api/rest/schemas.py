"""Bodies of the REST API (they make its OpenAPI schema), built from the service's values."""

from typing import Literal

from pydantic import BaseModel, Field

from customlabels.service.evaluation_report import EvaluationReport, TestImage
from customlabels.service.gallery import EntryView
from customlabels.service.suggestions import SuggestionView
from customlabels.service.trainings import ValidationReport
from customlabels.service.versions import VersionDescription
from customlabels.service.views import (
    DatasetDescription,
    DatasetMetadata,
    ProjectDescription,
)
from customlabels.service.vocabulary import LabelUse


class NewProject(BaseModel):
    name: str = Field(description="1-255 characters from a-z, A-Z, 0-9, '_', '.' and '-'.")


class DatasetSummary(BaseModel):
    type: str
    arn: str
    status: str
    status_message: str | None
    created_at: float

    @classmethod
    def of(cls, d: DatasetMetadata) -> "DatasetSummary":
        return cls(type=d.dataset_type.lower(), arn=d.arn, status=d.status, status_message=d.status_message, created_at=d.created_at)


class Project(BaseModel):
    name: str
    arn: str
    status: str
    created_at: float
    datasets: list[DatasetSummary]

    @classmethod
    def of(cls, p: ProjectDescription) -> "Project":
        return cls(name=p.name, arn=p.arn, status=p.status, created_at=p.created_at, datasets=[DatasetSummary.of(d) for d in p.datasets])


class ProjectList(BaseModel):
    projects: list[Project]
    next_page_token: str | None = None


class Status(BaseModel):
    status: str


class NewDataset(BaseModel):
    type: Literal["train", "test"]
    copy_from: Literal["train", "test"] | None = Field(default=None, description="Copy the project's other dataset.")
    manifest_uri: str | None = Field(default=None, description="s3://bucket/key of a Ground Truth manifest.")


class Dataset(BaseModel):
    type: str
    arn: str
    status: str
    status_message: str | None
    status_message_code: str | None
    updated_at: float
    total_entries: int
    labeled_entries: int
    error_entries: int
    total_labels: int

    @classmethod
    def of(cls, d: DatasetDescription) -> "Dataset":
        return cls(
            type=d.metadata.dataset_type.lower(),
            arn=d.metadata.arn,
            status=d.metadata.status,
            status_message=d.metadata.status_message,
            status_message_code=d.metadata.status_message_code,
            updated_at=d.updated_at,
            total_entries=d.stats.total_entries,
            labeled_entries=d.stats.labeled_entries,
            error_entries=d.stats.error_entries,
            total_labels=d.stats.total_labels,
        )


class Skipped(BaseModel):
    path: str
    reason: str


class ImportResult(BaseModel):
    dataset_arn: str
    images: int
    skipped: list[Skipped]


class Box(BaseModel):
    label: str = Field(min_length=1, max_length=255)
    left: float = Field(description="Pixels from the image's left edge.")
    top: float
    width: float = Field(gt=0)
    height: float = Field(gt=0)


class EntryError(BaseModel):
    code: str
    message: str


class Entry(BaseModel):
    source_ref: str
    name: str
    labels: list[str] = Field(description="Image-level labels.")
    boxes: list[Box]
    image_size: tuple[int, int] | None
    labeled: bool
    errors: list[EntryError]

    @classmethod
    def of(cls, e: EntryView) -> "Entry":
        return cls(
            source_ref=e.source_ref,
            name=e.name,
            labels=list(e.labels),
            boxes=[Box(label=b.label, left=b.left, top=b.top, width=b.width, height=b.height) for b in e.boxes],
            image_size=e.image_size,
            labeled=e.labeled,
            errors=[EntryError(code=x.code, message=x.message) for x in e.errors],
        )


class EntryPage(BaseModel):
    entries: list[Entry]
    total: int
    next_page_token: str | None = None


class EntryChange(BaseModel):
    labels: list[str] = Field(default_factory=list, description="Image-level labels, replacing the current ones.")
    boxes: list[Box] = Field(default_factory=list, description="Bounding boxes, replacing the current ones.")


class EntryQuery(BaseModel):
    labels: list[str] = Field(default_factory=list, max_length=10, description="Entries with any of these labels.")
    labeled: bool | None = None
    errors: bool | None = None
    text: str | None = Field(default=None, description="Text in the file name (any case).")


class BulkLabels(BaseModel):
    source_refs: list[str] = Field(default_factory=list, max_length=10_000)
    matching: EntryQuery | None = Field(default=None, description="Instead of source_refs: every entry this query matches.")
    add: list[str] = Field(default_factory=list)
    remove: list[str] = Field(default_factory=list)


class Changed(BaseModel):
    changed: int


class Label(BaseModel):
    name: str
    train_images: int
    test_images: int
    boxes: int

    @classmethod
    def of(cls, use: LabelUse) -> "Label":
        return cls(name=use.name, train_images=use.images.get("TRAIN", 0), test_images=use.images.get("TEST", 0), boxes=use.boxes)


class LabelName(BaseModel):
    name: str = Field(min_length=1, max_length=255)


class NewModel(BaseModel):
    name: str | None = Field(default=None, description="Version name; v1, v2, ... when omitted.")
    description: str | None = Field(default=None, max_length=255)


class Progress(BaseModel):
    step: str | None = None
    epoch: int | None = None
    epochs: int | None = None
    fraction: float | None = None
    eta_s: float | None = None


class Model(BaseModel):
    name: str
    arn: str
    status: str
    status_message: str | None
    created_at: float
    training_end: float | None
    f1_score: float | None
    task: str | None
    inference_units: int | None
    progress: Progress | None

    @classmethod
    def of(cls, v: VersionDescription) -> "Model":
        progress = Progress.model_validate({k: v.progress.get(k) for k in Progress.model_fields}) if v.progress else None
        return cls(
            name=v.name,
            arn=v.arn,
            status=v.status,
            status_message=v.status_message,
            created_at=v.created_at,
            training_end=v.training_end,
            f1_score=v.f1_score,
            task=v.task,
            inference_units=v.min_units,
            progress=progress,
        )


class StartModel(BaseModel):
    inference_units: int = Field(default=1, ge=1)


class LabelMetrics(BaseModel):
    label: str
    threshold: float
    precision: float
    recall: float
    f1_score: float
    testing_images: int


class Decision(BaseModel):
    label: str
    confidence: float
    outcome: str
    box: tuple[float, float, float, float] | None


class EvaluatedImage(BaseModel):
    source_ref: str
    truth: list[str]
    truth_boxes: list[tuple[str, float, float, float, float]]
    decisions: list[Decision]

    @classmethod
    def of(cls, image: TestImage) -> "EvaluatedImage":
        return cls(
            source_ref=image.source_ref,
            truth=list(image.truth),
            truth_boxes=list(image.truth_boxes),
            decisions=[Decision(label=d.label, confidence=d.confidence, outcome=d.outcome, box=d.box) for d in image.decisions],
        )


class Evaluation(BaseModel):
    precision: float
    recall: float
    f1_score: float
    training_images: int
    testing_images: int
    labels: list[LabelMetrics]
    confusion_matrix: dict[str, dict[str, float]] | None = Field(description="True label -> top-scoring label -> share of the label's test images.")
    precision_recall_curves: dict[str, list[tuple[float, float, float]]] = Field(description="Per label: (recall, precision, threshold) points.")

    @classmethod
    def of(cls, r: EvaluationReport) -> "Evaluation":
        return cls(
            precision=r.precision,
            recall=r.recall,
            f1_score=r.f1_score,
            training_images=r.training_images,
            testing_images=r.testing_images,
            labels=[LabelMetrics(**label.__dict__) for label in r.labels],
            confusion_matrix={k: dict(v) for k, v in r.confusion.items()} if r.confusion is not None else None,
            precision_recall_curves={k: [(p.recall, p.precision, p.threshold) for p in v] for k, v in r.curves.items()},
        )


class LineProblem(BaseModel):
    side: str
    line_number: int
    source_ref: str | None
    errors: list[EntryError]


class Validation(BaseModel):
    errors: list[EntryError]
    lines: list[LineProblem]
    more_lines: bool

    @classmethod
    def of(cls, r: ValidationReport) -> "Validation":
        return cls(
            errors=[EntryError(code=c, message=m) for c, m in r.errors],
            lines=[
                LineProblem(side=p.side, line_number=p.line_number, source_ref=p.source_ref, errors=[EntryError(code=c, message=m) for c, m in p.errors])
                for p in r.lines
            ],
            more_lines=r.more,
        )


class DetectedLabel(BaseModel):
    name: str
    confidence: float = Field(description="0-100, as DetectCustomLabels reports it.")
    box: tuple[float, float, float, float] | None = Field(description="left, top, width, height as ratios of the image.")
    threshold: float | None = Field(description="The label's assumed threshold (0-1).")


class Detection(BaseModel):
    labels: list[DetectedLabel]


class SuggestRequest(BaseModel):
    model: str = Field(description="Name of a RUNNING model version of the project.")
    limit: int = Field(default=50, ge=1, le=200)


class Guess(BaseModel):
    label: str
    confidence: float
    threshold: float
    box: tuple[float, float, float, float] | None


class Suggestion(BaseModel):
    source_ref: str
    model_arn: str
    uncertainty: float
    suggested_labels: list[str]
    guesses: list[Guess]

    @classmethod
    def of(cls, s: SuggestionView) -> "Suggestion":
        return cls(
            source_ref=s.source_ref,
            model_arn=s.version_arn,
            uncertainty=s.uncertainty,
            suggested_labels=list(s.suggested_labels),
            guesses=[Guess(label=g.label, confidence=g.confidence, threshold=g.threshold, box=g.box) for g in s.guesses],
        )


class SuggestionPage(BaseModel):
    suggestions: list[Suggestion]
    waiting: int
    unlabeled_without_suggestion: int
    next_page_token: str | None = None


class Accept(BaseModel):
    source_ref: str
    labels: list[str] | None = Field(default=None, description="Labels to give instead of the model's suggestion.")
