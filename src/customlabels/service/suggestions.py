"""Active learning: a running model labels unlabeled training images; people accept or correct its guesses.

Suggestions are kept (one per image) until the image is labeled, and are shown most uncertain first:
those are the images a person's label teaches the next model the most.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from customlabels.datasets.manifest import BoundingBox
from customlabels.errors import InvalidParameter, ResourceNotFound
from customlabels.images import inspect_image
from customlabels.service.context import Context
from customlabels.service.detection import CustomLabel, detect_custom_labels
from customlabels.service.gallery import EntryView
from customlabels.service.labeling import save_entry
from customlabels.service.lookup import project_by_arn
from customlabels.service.pagination import Page, decode_token, encode_token, query_key
from customlabels.service.versions import describe_version
from customlabels.store.blobs import parse_s3_uri
from customlabels.store.console_tables import Suggestion
from customlabels.store.tables import Dataset, DatasetEntry

MAX_BATCH = 200


@dataclass(frozen=True)
class Guess:
    label: str
    confidence: float  # 0-1
    threshold: float
    box: tuple[float, float, float, float] | None = None  # left, top, width, height as ratios

    @property
    def accepted(self) -> bool:
        return self.confidence >= self.threshold


@dataclass(frozen=True)
class SuggestionView:
    source_ref: str
    version_arn: str
    guesses: tuple[Guess, ...]  # most confident first
    uncertainty: float  # 0 (sure) to 1 (a coin toss)
    suggested_labels: tuple[str, ...]  # single label: the best guess; multi-label: those at their threshold


def suggested_labels(guesses: Sequence[Guess], *, single_label: bool) -> tuple[str, ...]:
    image_level = [g for g in guesses if g.box is None]
    if single_label:
        return (max(image_level, key=lambda g: g.confidence).label,) if image_level else ()
    return tuple(dict.fromkeys(g.label for g in image_level if g.accepted))


def suggest(ctx: Context, *, project_arn: str, version_arn: str, limit: int = 50) -> int:
    """Runs the model over up to `limit` unlabeled TRAIN images that have no suggestion yet; returns how many."""
    if not 1 <= limit <= MAX_BATCH:
        raise InvalidParameter(f"The model runs over 1 to {MAX_BATCH} images at a time.")
    version = describe_version(ctx, arn=version_arn)
    if version.project_arn != project_arn:
        raise ResourceNotFound(f"The project has no model version {version_arn}.")
    units = ctx.models.units(version_arn) if ctx.models is not None else None
    thresholds = dict(units.thresholds) if units is not None else {}
    with ctx.db.session() as session:
        dataset_id = _train_dataset_id(session, project_arn)
        already = select(Suggestion.source_ref).where(Suggestion.dataset_id == dataset_id)
        refs = list(
            session.scalars(
                select(DatasetEntry.source_ref)
                .where(DatasetEntry.dataset_id == dataset_id, DatasetEntry.labeled.is_(False), DatasetEntry.has_errors.is_(False))
                .where(DatasetEntry.source_ref.not_in(already))
                .order_by(DatasetEntry.source_ref)
                .limit(limit)
            )
        )
    made = []
    for ref in refs:
        found = detect_custom_labels(ctx, arn=version_arn, s3_object=parse_s3_uri(ref), min_confidence=0)
        guesses = tuple(_guess(label, thresholds.get(label.name, 0.5)) for label in found)
        made.append((ref, guesses))
    single_label = version.task != "multi_label"
    with ctx.db.session() as session:
        for ref, guesses in made:
            session.add(
                Suggestion(
                    dataset_id=dataset_id,
                    source_ref=ref,
                    version_arn=version_arn,
                    predictions=json.dumps(
                        {"guesses": [g.__dict__ for g in guesses], "labels": suggested_labels(guesses, single_label=single_label)}
                    ),
                    uncertainty=uncertainty(guesses, single_label=single_label),
                    created_at=ctx.clock(),
                )
            )
    return len(made)


def uncertainty(guesses: Sequence[Guess], *, single_label: bool) -> float:
    """Single label: 1 - the margin between the two best scores. Otherwise: how near a score is to its threshold."""
    image_level = [g for g in guesses if g.box is None]
    if not image_level:
        boxes = [g for g in guesses if g.box is not None]
        return max((1 - abs(g.confidence - g.threshold) * 2 for g in boxes), default=1.0)
    scores = sorted((g.confidence for g in image_level), reverse=True)
    if single_label:
        return round(1 - (scores[0] - (scores[1] if len(scores) > 1 else 0.0)), 6)
    return round(max(max(0.0, 1 - abs(g.confidence - g.threshold) * 2) for g in image_level), 6)


def list_suggestions(ctx: Context, *, project_arn: str, page_size: int = 24, token: str | None = None) -> Page[SuggestionView]:
    """Suggestions for images still unlabeled, most uncertain first."""
    key = query_key("suggestions", project_arn)
    offset = decode_token(token, key) or 0
    with ctx.db.session() as session:
        dataset_id = _train_dataset_id(session, project_arn)
        unlabeled = select(DatasetEntry.source_ref).where(DatasetEntry.dataset_id == dataset_id, DatasetEntry.labeled.is_(False))
        rows = session.scalars(
            select(Suggestion)
            .where(Suggestion.dataset_id == dataset_id, Suggestion.source_ref.in_(unlabeled))
            .order_by(Suggestion.uncertainty.desc(), Suggestion.source_ref)
            .offset(offset)
            .limit(page_size + 1)
        ).all()
        views = [_view(row) for row in rows]
    more = len(views) > page_size
    return Page(views[:page_size], encode_token(offset + page_size, key) if more else None)


def pending_count(ctx: Context, *, project_arn: str) -> tuple[int, int]:
    """(suggestions waiting, unlabeled TRAIN images without one)."""
    with ctx.db.session() as session:
        dataset_id = _train_dataset_id(session, project_arn)
        unlabeled = select(DatasetEntry.source_ref).where(
            DatasetEntry.dataset_id == dataset_id, DatasetEntry.labeled.is_(False), DatasetEntry.has_errors.is_(False)
        )
        waiting = session.scalar(
            select(func.count()).select_from(Suggestion).where(Suggestion.dataset_id == dataset_id, Suggestion.source_ref.in_(unlabeled))
        )
        total = session.scalar(select(func.count()).select_from(unlabeled.subquery()))
    return waiting or 0, max(0, (total or 0) - (waiting or 0))


def accept(ctx: Context, *, project_arn: str, source_ref: str, labels: Sequence[str] | None = None) -> EntryView:
    """Labels the image with the given labels, or with the model's suggestion (boxes included) when None."""
    with ctx.db.session() as session:
        dataset_id = _train_dataset_id(session, project_arn)
        dataset_arn = session.get_one(Dataset, dataset_id).arn
        row = session.scalar(select(Suggestion).where(Suggestion.dataset_id == dataset_id, Suggestion.source_ref == source_ref))
        view = _view(row) if row is not None else None
    if labels is None and view is None:
        raise ResourceNotFound(f"There is no suggestion for {source_ref}.")
    boxes: list[BoundingBox] = []
    if labels is None and view is not None:
        labels = view.suggested_labels
        boxes = _pixel_boxes(ctx, view, source_ref)
        if not labels and not boxes:
            raise InvalidParameter("The model suggests no label for this image; choose one.")
    entry = save_entry(ctx, dataset_arn=dataset_arn, source_ref=source_ref, labels=list(labels or []), boxes=boxes)
    with ctx.db.session() as session:
        session.execute(delete(Suggestion).where(Suggestion.dataset_id == dataset_id, Suggestion.source_ref == source_ref))
    return entry


def _guess(label: CustomLabel, threshold: float) -> Guess:
    box = (label.box.left, label.box.top, label.box.width, label.box.height) if label.box is not None else None
    return Guess(label.name, round(label.confidence / 100, 6), threshold, box)


def _view(row: Suggestion) -> SuggestionView:
    stored = json.loads(row.predictions)
    guesses = tuple(
        Guess(g["label"], g["confidence"], g["threshold"], tuple(g["box"]) if g.get("box") else None)  # type: ignore[arg-type]
        for g in stored["guesses"]
    )
    return SuggestionView(row.source_ref, row.version_arn, guesses, row.uncertainty, tuple(stored["labels"]))


def _pixel_boxes(ctx: Context, view: SuggestionView, source_ref: str) -> list[BoundingBox]:
    kept = [g for g in view.guesses if g.box is not None and g.accepted]
    if not kept:
        return []
    bucket, key = parse_s3_uri(source_ref)
    info = inspect_image(ctx.blobs.get(bucket, key))
    return [
        BoundingBox(g.label, g.box[0] * info.width, g.box[1] * info.height, g.box[2] * info.width, g.box[3] * info.height)  # type: ignore[index]
        for g in kept
    ]


def _train_dataset_id(session: Session, project_arn: str) -> int:
    project = project_by_arn(session, project_arn)
    dataset_id = session.scalar(select(Dataset.id).where(Dataset.project_id == project.id, Dataset.dataset_type == "TRAIN"))
    if dataset_id is None:
        raise ResourceNotFound("The project has no TRAIN dataset.")
    return dataset_id
