"""Rendering console pages: templates, the signed-in session, CSRF checks on forms, errors next to their cause."""

import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Form, Request
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.templating import Jinja2Templates

from customlabels.api.rest.auth import (
    CSRF_FIELD,
    SESSION_COOKIE,
    Authenticator,
    CsrfRejected,
)
from customlabels.service.context import Context

ROOT = "/console"
HERE = Path(__file__).parent


# Every console form sends the session's CSRF token in this field.
CsrfField = Annotated[str, Form(alias=CSRF_FIELD)]


class SignInNeeded(Exception):
    """The page needs a signed-in session; the visitor goes to the sign-in page."""


def templates() -> Jinja2Templates:
    made = Jinja2Templates(directory=HERE / "templates")
    made.env.filters.update(when=_when, percent=_percent, duration=_duration)
    made.env.globals.update(ROOT=ROOT)
    return made


class Pages:
    """What every console route needs: the service context, the authenticator and the templates."""

    def __init__(self, ctx: Context, authenticator: Authenticator, rendering: Jinja2Templates) -> None:
        self.ctx = ctx
        self.auth = authenticator
        self.templates = rendering

    def session(self, request: Request) -> str:
        session_id = self.auth.session_id(request.cookies.get(SESSION_COOKIE))
        if session_id is None:
            raise SignInNeeded()
        return session_id

    def check_form(self, request: Request, csrf_token: str) -> str:
        """The session of a form POST whose CSRF token is right."""
        session_id = self.session(request)
        if not self.auth.csrf_matches(session_id, csrf_token):
            raise CsrfRejected("The form has expired; reload the page and send it again.")
        return session_id

    def render(self, request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        session_id = self.auth.session_id(request.cookies.get(SESSION_COOKIE))
        csrf = self.auth.csrf_token(session_id) if session_id else ""
        return self.templates.TemplateResponse(
            request, template, {"csrf_token": csrf, "signed_in": session_id is not None, **context}, status_code=status_code
        )


def redirect(path: str) -> RedirectResponse:
    return RedirectResponse(ROOT + path, status_code=303)


def _when(stamp: float | None) -> str:
    if not stamp:
        return "—"
    return datetime.datetime.fromtimestamp(stamp, datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _percent(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f} %"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(seconds)
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"
