"""Projects: the list, creating and deleting one, and a project's page (datasets, labels, models)."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from customlabels.api.rest.problems import problem_of
from customlabels.console.rendering import CsrfField, Pages, redirect
from customlabels.errors import CustomLabelsError, InvalidParameter
from customlabels.service import datasets, projects, trainings, versions, vocabulary
from customlabels.service.names import dataset_arn, project_arn


def routes(pages: Pages) -> APIRouter:
    router = APIRouter()
    ctx = pages.ctx

    def project_list(request: Request, errors: dict[str, str] | None = None, status_code: int = 200, **extra: object) -> Response:
        pages.session(request)
        found = projects.describe_projects(ctx, max_results=1000).items
        return pages.render(request, "projects.html", status_code, projects=found, errors=errors or {}, **extra)

    @router.get("/")
    def home(request: Request, deleted: str | None = None) -> Response:
        return project_list(request, deleted=deleted)

    @router.post("/projects")
    def create_project(request: Request, csrf: CsrfField, name: Annotated[str, Form()]) -> Response:
        pages.check_form(request, csrf)
        try:
            projects.create_project(ctx, name=name.strip())
        except CustomLabelsError as error:
            return project_list(request, {"create": error.message}, problem_of(error)[0], new_name=name)
        return redirect(f"/projects/{name.strip()}")

    @router.post("/projects/{project}/delete")
    def delete_project(request: Request, csrf: CsrfField, project: str, confirm: Annotated[str, Form()] = "") -> Response:
        pages.check_form(request, csrf)
        try:
            if confirm.strip() != project:
                raise InvalidParameter(f"Type the project name ({project}) to confirm.")
            projects.delete_project(ctx, arn=project_arn(ctx, project))
        except CustomLabelsError as error:
            return project_list(request, {project: error.message}, problem_of(error)[0])
        return redirect(f"/?deleted={project}")

    def project_page(request: Request, project: str, errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
        pages.session(request)
        arn = project_arn(ctx, project)
        description = projects.describe_project(ctx, arn=arn)
        described = {d.dataset_type: datasets.describe_dataset(ctx, arn=d.arn) for d in description.datasets}
        return pages.render(
            request,
            "project.html",
            status_code,
            project=description,
            datasets=described,
            labels=vocabulary.project_labels(ctx, project_arn=arn),
            models=versions.describe_versions(ctx, project_arn=arn).items,
            errors=errors or {},
            busy=any(d.metadata.status.endswith("IN_PROGRESS") for d in described.values()),
        )

    @router.get("/projects/{project}")
    def show_project(request: Request, project: str) -> Response:
        return project_page(request, project)

    def act(request: Request, csrf: str, project: str, where: str, action, then: str | None = None) -> Response:  # type: ignore[no-untyped-def]
        """Runs a form's action; its error is shown next to the form that sent it."""
        pages.check_form(request, csrf)
        try:
            action()
        except CustomLabelsError as error:
            return project_page(request, project, {where: error.message}, problem_of(error)[0])
        return redirect(then or f"/projects/{project}")

    @router.post("/projects/{project}/datasets")
    def create_dataset(request: Request, csrf: CsrfField, project: str, type: Annotated[str, Form()], source: Annotated[str, Form()] = "empty") -> Response:
        def create() -> None:
            kind = type.upper()
            other = "test" if kind == "TRAIN" else "train"
            copied = dataset_arn(ctx, project, other) if source == "copy" else None
            datasets.create_dataset(ctx, project_arn=project_arn(ctx, project), dataset_type=kind, source_dataset_arn=copied)

        return act(request, csrf, project, f"create-{type.lower()}", create)

    @router.post("/projects/{project}/datasets/{kind}/delete")
    def delete_dataset(request: Request, csrf: CsrfField, project: str, kind: str) -> Response:
        return act(request, csrf, project, f"delete-{kind}", lambda: datasets.delete_dataset(ctx, arn=dataset_arn(ctx, project, kind)))

    @router.post("/projects/{project}/split")
    def split(request: Request, csrf: CsrfField, project: str) -> Response:
        def distribute() -> None:
            arn = project_arn(ctx, project)
            if not any(d.dataset_type == "TEST" for d in projects.describe_project(ctx, arn=arn).datasets):
                datasets.create_dataset(ctx, project_arn=arn, dataset_type="TEST")
            datasets.distribute_entries(ctx, arns_=[dataset_arn(ctx, project, "train"), dataset_arn(ctx, project, "test")])

        return act(request, csrf, project, "split", distribute)

    @router.post("/projects/{project}/labels")
    def add_label(request: Request, csrf: CsrfField, project: str, name: Annotated[str, Form()]) -> Response:
        return act(request, csrf, project, "labels", lambda: vocabulary.add_label(ctx, project_arn=project_arn(ctx, project), name=name.strip()))

    @router.post("/projects/{project}/labels/rename")
    def rename_label(request: Request, csrf: CsrfField, project: str, name: Annotated[str, Form()], new_name: Annotated[str, Form()]) -> Response:
        def rename() -> None:
            vocabulary.rename_label(ctx, project_arn=project_arn(ctx, project), name=name, new_name=new_name.strip())

        return act(request, csrf, project, f"label-{name}", rename)

    @router.post("/projects/{project}/labels/remove")
    def remove_label(request: Request, csrf: CsrfField, project: str, name: Annotated[str, Form()]) -> Response:
        return act(request, csrf, project, f"label-{name}", lambda: vocabulary.remove_label(ctx, project_arn=project_arn(ctx, project), name=name))

    @router.post("/projects/{project}/train")
    def train(request: Request, csrf: CsrfField, project: str, description: Annotated[str, Form()] = "") -> Response:
        started: list[str] = []

        def start() -> None:
            arn = trainings.start_training(ctx, project_arn=project_arn(ctx, project), description=description.strip() or None)
            started.append(versions.describe_version(ctx, arn=arn).name)

        response = act(request, csrf, project, "train", start)
        return redirect(f"/projects/{project}/models/{started[0]}") if started else response

    return router
