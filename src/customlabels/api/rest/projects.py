"""/projects: list, create, describe, delete; the project's labels."""

from fastapi import APIRouter, status

from customlabels.api.rest import schemas
from customlabels.api.rest.deps import ContextDep
from customlabels.service import projects, vocabulary
from customlabels.service.names import project_arn

router = APIRouter(prefix="/projects", tags=["projects"])


@router.get("")
def list_projects(ctx: ContextDep, page_size: int = 100, page_token: str | None = None) -> schemas.ProjectList:
    page = projects.describe_projects(ctx, max_results=page_size, next_token=page_token)
    return schemas.ProjectList(projects=[schemas.Project.of(p) for p in page.items], next_page_token=page.next_token)


@router.post("", status_code=status.HTTP_201_CREATED)
def create_project(ctx: ContextDep, body: schemas.NewProject) -> schemas.Project:
    arn = projects.create_project(ctx, name=body.name)
    return schemas.Project.of(projects.describe_project(ctx, arn=arn))


@router.get("/{project}")
def get_project(ctx: ContextDep, project: str) -> schemas.Project:
    return schemas.Project.of(projects.describe_project(ctx, arn=project_arn(ctx, project)))


@router.delete("/{project}", status_code=status.HTTP_202_ACCEPTED)
def delete_project(ctx: ContextDep, project: str) -> schemas.Status:
    """Deletes the project with its datasets; its model versions must be deleted first."""
    return schemas.Status(status=projects.delete_project(ctx, arn=project_arn(ctx, project)))


@router.get("/{project}/labels", tags=["labels"])
def list_labels(ctx: ContextDep, project: str) -> list[schemas.Label]:
    return [schemas.Label.of(use) for use in vocabulary.project_labels(ctx, project_arn=project_arn(ctx, project))]


@router.post("/{project}/labels", tags=["labels"], status_code=status.HTTP_201_CREATED)
def add_label(ctx: ContextDep, project: str, body: schemas.LabelName) -> list[schemas.Label]:
    arn = project_arn(ctx, project)
    vocabulary.add_label(ctx, project_arn=arn, name=body.name)
    return [schemas.Label.of(use) for use in vocabulary.project_labels(ctx, project_arn=arn)]


@router.patch("/{project}/labels/{label}", tags=["labels"])
def rename_label(ctx: ContextDep, project: str, label: str, body: schemas.LabelName) -> schemas.Changed:
    """Renames the label on every image and box of both datasets."""
    return schemas.Changed(changed=vocabulary.rename_label(ctx, project_arn=project_arn(ctx, project), name=label, new_name=body.name))


@router.delete("/{project}/labels/{label}", tags=["labels"])
def remove_label(ctx: ContextDep, project: str, label: str) -> schemas.Changed:
    """Removes the label from every image, with its boxes."""
    return schemas.Changed(changed=vocabulary.remove_label(ctx, project_arn=project_arn(ctx, project), name=label))
