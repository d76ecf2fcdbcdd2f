"""Signing in with the access key pair, and out."""

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from customlabels.api.rest.auth import SESSION_COOKIE
from customlabels.console.rendering import ROOT, CsrfField, Pages, redirect

LOGIN_COOKIE = "customlabels_login"  # double-submit token of the sign-in form, made before there is a session


def routes(pages: Pages) -> APIRouter:
    router = APIRouter()

    @router.get("/login")
    def login_form(request: Request, next: str = ROOT + "/") -> Response:
        token = secrets.token_urlsafe(16)
        response = pages.render(request, "login.html", next=_local(next), login_token=token, error=None)
        response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", path=ROOT)
        return response

    @router.post("/login")
    def login(
        request: Request,
        access_key_id: Annotated[str, Form()],
        secret_access_key: Annotated[str, Form()],
        login_token: Annotated[str, Form()],
        next: Annotated[str, Form()] = ROOT + "/",
    ) -> Response:
        cookie = request.cookies.get(LOGIN_COOKIE)
        if not cookie or not secrets.compare_digest(cookie, login_token):
            error = "The sign-in form expired; try again."
        elif not pages.auth.keys_match(access_key_id.strip(), secret_access_key.strip()):
            error = "This access key id and secret access key do not match the server's key pair."
        else:
            signed_in = RedirectResponse(_local(next), status_code=303)
            signed_in.set_cookie(
                SESSION_COOKIE,
                pages.auth.open_session(),
                max_age=pages.auth.lifetime,
                httponly=True,
                samesite="lax",
                secure=request.url.scheme == "https",
                path="/",
            )
            signed_in.delete_cookie(LOGIN_COOKIE, path=ROOT)
            return signed_in
        token = secrets.token_urlsafe(16)
        response = pages.render(
            request, "login.html", status_code=401, next=_local(next), login_token=token, error=error, access_key_id=access_key_id
        )
        response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", path=ROOT)
        return response

    @router.post("/logout")
    def logout(request: Request, csrf: CsrfField) -> Response:
        pages.check_form(request, csrf)
        pages.auth.close_session(request.cookies.get(SESSION_COOKIE))
        response = redirect("/login")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    return router


def _local(target: str) -> str:
    """Only a path of this console: never an open redirect to another site."""
    return target if target.startswith(ROOT + "/") and not target.startswith("//") else ROOT + "/"
