"""A project's label names: those its images use and those added before any image has them."""

from dataclasses import dataclass, field

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from customlabels.datasets.manifest import BoundingBox, ManifestEntry
from customlabels.errors import ResourceNotFound
from customlabels.service.context import Context
from customlabels.service.labeling import Change, checked_labels, rewrite_entries
from customlabels.service.lookup import project_by_arn
from customlabels.store.console_tables import ProjectLabel
from customlabels.store.tables import Dataset, DatasetEntry, EntryLabel


@dataclass(frozen=True)
class LabelUse:
    name: str
    images: dict[str, int] = field(default_factory=dict)  # by dataset type
    boxes: int = 0

    @property
    def total_images(self) -> int:
        return sum(self.images.values())


def project_labels(ctx: Context, *, project_arn: str) -> list[LabelUse]:
    """Every label of the project, by name (case folded), with its image and box counts per dataset."""
    with ctx.db.session() as session:
        project = project_by_arn(session, project_arn)
        kept = session.scalars(select(ProjectLabel.name).where(ProjectLabel.project_id == project.id)).all()
        used = session.execute(
            select(Dataset.dataset_type, EntryLabel.label, func.count(), func.coalesce(func.sum(EntryLabel.box_count), 0))
            .join(Dataset, Dataset.id == EntryLabel.dataset_id)
            .where(Dataset.project_id == project.id)
            .group_by(Dataset.dataset_type, EntryLabel.label)
        ).all()
    images: dict[str, dict[str, int]] = {name: {} for name in kept}
    boxes: dict[str, int] = {}
    for dataset_type, label, count, box_count in used:
        images.setdefault(label, {})[dataset_type] = count
        boxes[label] = boxes.get(label, 0) + box_count
    return [LabelUse(name, images[name], boxes.get(name, 0)) for name in sorted(images, key=lambda n: (n.casefold(), n))]


def add_label(ctx: Context, *, project_arn: str, name: str) -> None:
    (name,) = checked_labels([name])
    try:
        with ctx.db.session() as session:
            project = project_by_arn(session, project_arn)
            exists = select(ProjectLabel.id).where(ProjectLabel.project_id == project.id, ProjectLabel.name == name)
            if session.scalar(exists) is None:
                session.add(ProjectLabel(project_id=project.id, name=name, created_at=ctx.clock()))
    except IntegrityError:  # added at the same moment by another request: it is there, as asked
        pass


def rename_label(ctx: Context, *, project_arn: str, name: str, new_name: str) -> int:
    """Renames the label on every image and box of both datasets (merging into new_name if it exists)."""
    (new_name,) = checked_labels([new_name])
    if new_name == name:
        return 0

    def renamed(entry: ManifestEntry) -> tuple[list[str], list[BoundingBox]] | None:
        labels = list(dict.fromkeys(new_name if label == name else label for label in entry.labels))
        boxes = [BoundingBox(new_name, b.left, b.top, b.width, b.height) if b.label == name else b for b in entry.boxes]
        return labels, boxes

    changed = _rewrite_label(ctx, project_arn, name, renamed)
    with ctx.db.session() as session:
        project = project_by_arn(session, project_arn)
        session.execute(delete(ProjectLabel).where(ProjectLabel.project_id == project.id, ProjectLabel.name == name))
    add_label(ctx, project_arn=project_arn, name=new_name)
    return changed


def remove_label(ctx: Context, *, project_arn: str, name: str) -> int:
    """Takes the label off every image, deletes its boxes, and forgets the name."""

    def removed(entry: ManifestEntry) -> tuple[list[str], list[BoundingBox]] | None:
        return [label for label in entry.labels if label != name], [b for b in entry.boxes if b.label != name]

    changed = _rewrite_label(ctx, project_arn, name, removed)
    with ctx.db.session() as session:
        project = project_by_arn(session, project_arn)
        session.execute(delete(ProjectLabel).where(ProjectLabel.project_id == project.id, ProjectLabel.name == name))
    return changed


def _rewrite_label(ctx: Context, project_arn: str, name: str, change: Change) -> int:
    known = {use.name for use in project_labels(ctx, project_arn=project_arn)}
    if name not in known:
        raise ResourceNotFound(f"The project has no label {name!r}.")
    changed = 0
    with ctx.db.session() as session:
        project = project_by_arn(session, project_arn)
        datasets = session.execute(select(Dataset.arn, Dataset.id).where(Dataset.project_id == project.id)).all()
        users = {
            arn: list(
                session.scalars(
                    select(DatasetEntry.source_ref)
                    .join(EntryLabel, EntryLabel.entry_id == DatasetEntry.id)
                    .where(EntryLabel.dataset_id == dataset_id, EntryLabel.label == name)
                )
            )
            for arn, dataset_id in datasets
        }
    for arn, refs in users.items():
        if refs:
            changed += rewrite_entries(ctx, dataset_arn=arn, source_refs=refs, change=change)
    return changed
