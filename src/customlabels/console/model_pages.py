"""A model version's page (training progress, failure, evaluation, use) and the improve page."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from customlabels.api.rest.problems import problem_of
from customlabels.console.rendering import CsrfField, Pages, redirect
from customlabels.console.snippets import snippets
from customlabels.errors import CustomLabelsError
from customlabels.service import (
    evaluation_report,
    model_use,
    suggestions,
    trainings,
    versions,
)
from customlabels.service.evaluation_report import OUTCOMES
from customlabels.service.names import project_arn, version_arn
from customlabels.service.versions import RUNNING, TRAINING_COMPLETED

IMAGES_SHOWN = 48


def routes(pages: Pages) -> APIRouter:
    router = APIRouter()
    ctx = pages.ctx

    def model_page(
        request: Request, project: str, model: str, outcome: str = "", label: str = "", more: int = 0, errors: dict[str, str] | None = None, status_code: int = 200
    ) -> Response:
        pages.session(request)
        arn = version_arn(ctx, project, model)
        version = versions.describe_version(ctx, arn=arn)
        report = evaluation_report.evaluation_report(ctx, version_arn=arn) if "testing_output" in version.outputs else None
        shown = report.images_with(outcome or None, label or None) if report else []
        endpoint = str(request.base_url).rstrip("/")
        return pages.render(
            request,
            "model.html",
            status_code,
            project=project,
            version=version,
            validation=trainings.validation_report(ctx, version_arn=arn) if version.status == "TRAINING_FAILED" else None,
            report=report,
            images=shown[: IMAGES_SHOWN * (more + 1)],
            more_images=len(shown) > IMAGES_SHOWN * (more + 1),
            more=more,
            outcome=outcome,
            label=label,
            outcomes=OUTCOMES,
            snippets=snippets(endpoint=endpoint, region=ctx.settings.region, version_arn=arn, project=project, model=model),
            errors=errors or {},
            usable=version.status not in ("TRAINING_IN_PROGRESS", "TRAINING_FAILED", "DELETING"),
        )

    @router.get("/projects/{project}/models/{model}")
    def show_model(request: Request, project: str, model: str, outcome: str = "", label: str = "", more: int = 0) -> Response:
        return model_page(request, project, model, outcome if outcome in OUTCOMES else "", label, max(0, min(more, 100)))

    def act(request: Request, csrf: str, project: str, model: str, action, then: str = "") -> Response:  # type: ignore[no-untyped-def]
        pages.check_form(request, csrf)
        try:
            action(version_arn(ctx, project, model))
        except CustomLabelsError as error:
            return model_page(request, project, model, errors={"use": error.message}, status_code=problem_of(error)[0])
        return redirect(then or f"/projects/{project}/models/{model}#use")

    @router.post("/projects/{project}/models/{model}/start")
    def start(request: Request, csrf: CsrfField, project: str, model: str, inference_units: Annotated[int, Form()] = 1) -> Response:
        return act(request, csrf, project, model, lambda arn: model_use.start_model(ctx, version_arn=arn, inference_units=inference_units))

    @router.post("/projects/{project}/models/{model}/stop")
    def stop(request: Request, csrf: CsrfField, project: str, model: str) -> Response:
        return act(request, csrf, project, model, lambda arn: model_use.stop_model(ctx, version_arn=arn))

    @router.post("/projects/{project}/models/{model}/delete")
    def delete(request: Request, csrf: CsrfField, project: str, model: str) -> Response:
        return act(request, csrf, project, model, lambda arn: versions.delete_version(ctx, arn=arn), then=f"/projects/{project}")

    @router.get("/projects/{project}/improve")
    def improve(request: Request, project: str, page: str | None = None) -> Response:
        pages.session(request)
        arn = project_arn(ctx, project)
        models = versions.describe_versions(ctx, project_arn=arn).items
        waiting, without = suggestions.pending_count(ctx, project_arn=arn)
        found = suggestions.list_suggestions(ctx, project_arn=arn, page_size=24, token=page)
        return pages.render(
            request,
            "improve.html",
            project=project,
            running=[m for m in models if m.status == RUNNING],
            trained=[m for m in models if m.status == TRAINING_COMPLETED],
            suggestions=found.items,
            next_page=found.next_token,
            waiting=waiting,
            without=without,
        )

    return router
