"""The web console at /console and the REST API at /api/v1, mounted into the server's app."""

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.staticfiles import StaticFiles

from customlabels.api.rest.app import PREFIX, rest_api
from customlabels.api.rest.auth import Authenticator, CsrfRejected
from customlabels.api.rest.problems import problem_of
from customlabels.console import (
    dataset_pages,
    model_pages,
    project_pages,
    session_pages,
)
from customlabels.console.rendering import HERE, ROOT, Pages, SignInNeeded, templates
from customlabels.credentials import Credentials
from customlabels.errors import CustomLabelsError
from customlabels.service.context import Context

# Pages load only their own scripts and styles, and no other site may frame them (clickjacking).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def mount_console(app: FastAPI, ctx: Context, credentials: Credentials) -> None:
    authenticator = Authenticator(credentials)
    app.mount(PREFIX, rest_api(ctx, authenticator))
    app.mount(ROOT, console_app(ctx, authenticator))
    app.router.routes.append(Route("/", lambda _request: RedirectResponse(ROOT + "/"), methods=["GET"]))


def console_app(ctx: Context, authenticator: Authenticator) -> FastAPI:
    pages = Pages(ctx, authenticator, templates())
    console = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    console.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in (session_pages, project_pages, dataset_pages, model_pages):
        console.include_router(module.routes(pages))

    async def sign_in_needed(request: Request, _error: Exception) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"{ROOT}/login?next={target}", status_code=303)

    async def error_page(request: Request, error: Exception) -> Response:
        if isinstance(error, HTTPException):
            status, title, detail = error.status_code, "Not found" if error.status_code == 404 else "Error", str(error.detail)
        else:
            status, title = problem_of(error)
            detail = getattr(error, "message", str(error))
        return pages.render(request, "error.html", status_code=status, title=title, detail=detail)

    @console.middleware("http")
    async def security_headers(request: Request, call_next) -> Response:  # type: ignore[no-untyped-def]
        response: Response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    console.add_exception_handler(SignInNeeded, sign_in_needed)
    for error in (CustomLabelsError, CsrfRejected, HTTPException):
        console.add_exception_handler(error, error_page)
    return console
