"""Projects, datasets and model versions by the names people use (the REST API and console address them so)."""

from sqlalchemy import select

from customlabels.errors import InvalidParameter, ResourceNotFound
from customlabels.service.context import Context
from customlabels.store.tables import Dataset, Project, ProjectVersion


def project_arn(ctx: Context, name: str) -> str:
    with ctx.db.session() as session:
        arn = session.scalar(select(Project.arn).where(Project.name == name))
    if arn is None:
        raise ResourceNotFound(f"There is no project named {name}.")
    return arn


def dataset_type(name: str) -> str:
    kind = name.upper()
    if kind not in ("TRAIN", "TEST"):
        raise InvalidParameter(f"The dataset type must be train or test, not {name!r}.")
    return kind


def dataset_arn(ctx: Context, project: str, kind: str) -> str:
    kind = dataset_type(kind)
    with ctx.db.session() as session:
        arn = session.scalar(
            select(Dataset.arn).join(Project, Project.id == Dataset.project_id).where(Project.name == project, Dataset.dataset_type == kind)
        )
    if arn is None:
        project_arn(ctx, project)
        raise ResourceNotFound(f"The project {project} has no {kind} dataset.")
    return arn


def version_arn(ctx: Context, project: str, version: str) -> str:
    with ctx.db.session() as session:
        arn = session.scalar(
            select(ProjectVersion.arn)
            .join(Project, Project.id == ProjectVersion.project_id)
            .where(Project.name == project, ProjectVersion.name == version)
        )
    if arn is None:
        project_arn(ctx, project)
        raise ResourceNotFound(f"The project {project} has no model version {version}.")
    return arn
