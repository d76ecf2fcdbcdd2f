"""The web application: the AWS API at POST /, more faces later, over one service context."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.routing import Route

from customlabels.api.aws.endpoint import AwsEndpoint
from customlabels.config import Settings
from customlabels.console.app import mount_console
from customlabels.credentials import Credentials, load_credentials
from customlabels.service.context import open_context


def create_app(settings: Settings, credentials: Credentials | None = None) -> FastAPI:
    credentials = credentials or load_credentials(settings)
    from customlabels.service.model_runtime import ModelRuntime

    ctx = open_context(settings)
    ctx.models = models = ModelRuntime(ctx)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        ctx.jobs.resume()
        models.start()
        yield
        ctx.close()

    app = FastAPI(title="customlabels", lifespan=lifespan, docs_url=None, redoc_url=None)
    endpoint = AwsEndpoint(ctx, {credentials.access_key_id: credentials.secret_access_key})
    app.router.routes.append(Route("/", endpoint.handle, methods=["POST"]))
    mount_console(app, ctx, credentials)
    app.state.context = ctx
    return app
