"""Domain errors and request problems as RFC 9457 problem documents: one table."""

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse

from customlabels import errors
from customlabels.api.rest.auth import (
    CSRF_HEADER,
    SESSION_COOKIE,
    CsrfRejected,
    NotSignedIn,
)

PROBLEMS: dict[type[Exception], tuple[int, str]] = {
    errors.InvalidParameter: (400, "Invalid parameter"),
    errors.InvalidPaginationToken: (400, "Invalid page token"),
    errors.InvalidS3Object: (400, "Invalid S3 object"),
    errors.MalformedPolicyDocument: (400, "Malformed policy document"),
    errors.LimitExceeded: (400, "Limit exceeded"),
    errors.ServiceQuotaExceeded: (400, "Service quota exceeded"),
    errors.ResourceNotFound: (404, "Not found"),
    errors.ResourceInUse: (409, "Resource in use"),
    errors.ResourceAlreadyExists: (409, "Resource already exists"),
    errors.ResourceNotReady: (409, "Resource not ready"),
    errors.InvalidPolicyRevisionId: (409, "Invalid policy revision"),
    errors.ImageTooLarge: (413, "Image too large"),
    errors.InvalidImageFormat: (415, "Invalid image format"),
    errors.Throttling: (429, "Throttled"),
    errors.ProvisionedThroughputExceeded: (503, "Model busy"),
    NotSignedIn: (401, "Not signed in"),
    CsrfRejected: (403, "CSRF token missing or wrong"),
}
PROBLEM_TYPE = "application/problem+json"


def problem_of(error: Exception) -> tuple[int, str]:
    """(HTTP status, title) of an error: the first class in its MRO that the table names."""
    for cls in type(error).__mro__:
        if cls in PROBLEMS:
            return PROBLEMS[cls]
    return 500, "Internal server error"


def problem_response(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    headers = {"Retry-After": "1"} if status in (429, 503) else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_TYPE, headers=headers)


async def on_domain_error(request: Request, error: Exception) -> JSONResponse:
    status, title = problem_of(error)
    response = problem_response(status, title, getattr(error, "message", str(error)), code=type(error).__name__)
    # Why not for the console's own calls: a Basic challenge would make the browser show its login prompt.
    if isinstance(error, NotSignedIn) and SESSION_COOKIE not in request.cookies and CSRF_HEADER not in request.headers:
        response.headers["WWW-Authenticate"] = 'Basic realm="customlabels", charset="UTF-8"'
    return response


async def on_validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    problems = [
        {"field": ".".join(str(part) for part in detail["loc"] if part != "body"), "message": detail["msg"]} for detail in error.errors()
    ]
    detail = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
    return problem_response(422, "Invalid request", detail, code="InvalidRequest", errors=problems)


async def on_http_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    return problem_response(error.status_code, str(error.detail), str(error.detail))
