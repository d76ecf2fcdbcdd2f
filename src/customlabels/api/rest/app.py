"""The native REST API under /api/v1: resources by name, problem documents, an OpenAPI schema."""

from fastapi import Depends, FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from customlabels.api.rest import datasets, models, problems, projects, suggestions
from customlabels.api.rest.auth import Authenticator, CsrfRejected, NotSignedIn
from customlabels.api.rest.deps import get_caller
from customlabels.errors import CustomLabelsError
from customlabels.service.context import Context

PREFIX = "/api/v1"
DESCRIPTION = """Projects, datasets, labeling, training, evaluation and detection, over the same service as the AWS API.

Authenticate with HTTP Basic (access key id as user name, secret access key as password), or with a
console session cookie plus the X-CSRF-Token header on changes. Errors are RFC 9457 problem documents."""


def rest_api(ctx: Context, authenticator: Authenticator) -> FastAPI:
    api = FastAPI(
        title="customlabels REST API",
        version="1",
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        dependencies=[Depends(get_caller)],
    )
    api.state.context = ctx
    api.state.authenticator = authenticator
    for router in (projects.router, datasets.router, models.router, suggestions.router):
        api.include_router(router)
    for error in (CustomLabelsError, NotSignedIn, CsrfRejected):
        api.add_exception_handler(error, problems.on_domain_error)
    api.add_exception_handler(RequestValidationError, problems.on_validation_error)
    api.add_exception_handler(HTTPException, problems.on_http_error)
    return api
