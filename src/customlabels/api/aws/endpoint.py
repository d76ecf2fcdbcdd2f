"""The AWS JSON 1.1 protocol at POST /: SigV4, X-Amz-Target dispatch, AWS error bodies."""

import json
import logging
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from customlabels.api.aws.errors import aws_error, validation_message
from customlabels.api.aws.operations import OPERATIONS
from customlabels.api.aws.sigv4 import SignatureError, SignedRequest, verify
from customlabels.errors import CustomLabelsError
from customlabels.service.context import Context

log = logging.getLogger(__name__)
TARGET_PREFIX = "RekognitionService."
CONTENT_TYPE = "application/x-amz-json-1.1"
MAX_BODY = 16 * 1024 * 1024


class AwsEndpoint:
    def __init__(self, ctx: Context, secrets: Mapping[str, str]) -> None:
        self.ctx = ctx
        self.secrets = secrets

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY:
            return error_response("SerializationException", "The request body is larger than 16 MiB.", 413)
        signed = SignedRequest(
            method=request.method,
            path=request.scope["raw_path"].decode("latin-1"),
            query=request.scope["query_string"].decode("latin-1"),
            headers=request.headers,
            body=body,
        )
        try:
            verify(signed, secrets=self.secrets, service="rekognition")
        except SignatureError as error:
            return error_response(error.code, error.message, error.status)
        target = request.headers.get("x-amz-target", "")
        operation = OPERATIONS.get(target.removeprefix(TARGET_PREFIX)) if target.startswith(TARGET_PREFIX) else None
        if operation is None:
            return error_response("UnknownOperationException", f"The operation {target or '(none)'} is not supported.", 400)
        try:
            params = json.loads(body or b"{}")
            if not isinstance(params, dict):
                raise ValueError("the body must be a JSON object")
        except ValueError as error:
            return error_response("SerializationException", f"The request body is not valid JSON: {error}", 400)
        shape, handler = operation
        try:
            request_shape = shape.model_validate(params)
        except ValidationError as error:
            return error_response("ValidationException", validation_message(error), 400)
        try:
            result = await run_in_threadpool(handler, self.ctx, request_shape)
        except CustomLabelsError as error:
            code, status = aws_error(error)
            return error_response(code, error.message, status)
        except Exception:
            log.exception("%s failed", target)
            return error_response("InternalServerError", "Amazon Rekognition experienced a service issue. Try your call again.", 500)
        return json_response(result)


def json_response(body: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(body), status_code=status, media_type=CONTENT_TYPE)


def error_response(code: str, message: str, status: int) -> Response:
    response = json_response({"__type": code, "Message": message}, status)
    response.headers["x-amzn-ErrorType"] = code
    return response
