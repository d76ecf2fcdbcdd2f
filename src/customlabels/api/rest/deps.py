"""Typed dependencies of the REST routes: the service context and the signed-in caller."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPBasic

from customlabels.api.rest.auth import (
    CSRF_HEADER,
    SESSION_COOKIE,
    Authenticator,
    Caller,
)
from customlabels.service.context import Context

# Declared for the OpenAPI schema; the check itself is Authenticator.caller.
_basic = HTTPBasic(auto_error=False, description="The access key id and secret access key.")
_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, description="A console session; changes also need the X-CSRF-Token header.")


def get_context(request: Request) -> Context:
    return request.app.state.context  # type: ignore[no-any-return]


def get_authenticator(request: Request) -> Authenticator:
    return request.app.state.authenticator  # type: ignore[no-any-return]


def get_caller(
    request: Request,
    authenticator: Annotated[Authenticator, Depends(get_authenticator)],
    _b: Annotated[object, Depends(_basic)] = None,
    _c: Annotated[object, Depends(_cookie)] = None,
) -> Caller:
    return authenticator.caller(
        method=request.method,
        authorization=request.headers.get("authorization"),
        cookie=request.cookies.get(SESSION_COOKIE),
        csrf_token=request.headers.get(CSRF_HEADER),
    )


ContextDep = Annotated[Context, Depends(get_context)]
CallerDep = Annotated[Caller, Depends(get_caller)]
