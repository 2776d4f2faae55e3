"""Errors on the HTTP APIs, in OpenAI's error JSON: `{"error": {"message", "type", "param", "code"}}`.

One shape for every endpoint, so an OpenAI client raises its usual exception types
(`BadRequestError`, `AuthenticationError`, ...) and a REST client reads one format.
Messages say what to change; they never echo a key or a request body.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from policyqa.errors import (
    ConversationNotFoundError,
    ConversationStoreError,
    DocumentNotFoundError,
    IndexCorruptError,
    IndexMissingError,
    InvalidQuestionError,
    InvalidUploadError,
    PolicyQAError,
    QuestionTooLongError,
    StoreUnavailableError,
)

log = logging.getLogger(__name__)

TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "invalid_request_error",
    404: "invalid_request_error",
    405: "invalid_request_error",
    413: "invalid_request_error",
    500: "server_error",
    503: "service_unavailable",
}


class APIError(StarletteHTTPException):
    """An error answered with `status` and OpenAI's error body; `extra` adds top-level fields
    (the evidence-only answer of a 503)."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        param: str | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(status, message, headers)
        self.status, self.message, self.code, self.param = status, message, code, param
        self.extra, self.headers = extra or {}, headers or {}

    def body(self) -> dict[str, Any]:
        error = {
            "message": self.message,
            "type": TYPES.get(self.status, "invalid_request_error"),
            "param": self.param,
            "code": self.code,
        }
        return {"error": error, **self.extra}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)


def internal_error() -> APIError:
    return APIError(500, "internal error: the server log has the details", code="internal_error")


def as_api_error(exc: Exception) -> APIError:
    """Any exception as the API answers it; an unexpected one is logged with its traceback
    and answered without its details."""
    if isinstance(exc, APIError):
        return exc
    if isinstance(exc, PolicyQAError):
        return from_policyqa(exc)
    log.error("unhandled error", exc_info=exc)
    return internal_error()


def from_policyqa(exc: PolicyQAError) -> APIError:
    """The HTTP status of a PolicyQA error: the caller's input (400, 413) or the server's state (503)."""
    if isinstance(exc, QuestionTooLongError):
        return APIError(413, str(exc), code="question_too_long")
    if isinstance(exc, ConversationNotFoundError):
        return APIError(404, exc.args[0] if exc.args else "no such conversation", code="conversation_not_found")
    if isinstance(exc, DocumentNotFoundError):
        return APIError(404, exc.args[0] if exc.args else "no such document", code="document_not_found")
    if isinstance(exc, InvalidUploadError):
        return APIError(400, str(exc), code="invalid_document")
    if isinstance(exc, InvalidQuestionError):
        return APIError(400, str(exc), code="invalid_question")
    if isinstance(exc, ConversationStoreError):
        return APIError(503, str(exc), code="conversations_unavailable")
    if isinstance(exc, (IndexMissingError, IndexCorruptError, StoreUnavailableError)):
        return APIError(503, str(exc), code="index_unavailable", headers={"Retry-After": "30"})
    return APIError(500, str(exc), code="policyqa_error")


def validation_message(exc: RequestValidationError) -> tuple[str, str | None]:
    """The first problem of a malformed request, as "field: what is wrong" (never its value)."""
    errors = exc.errors()
    if not errors:
        return "the request body is not valid", None
    first = errors[0]
    if first.get("type") == "json_invalid":
        return "the request body is not valid JSON", None
    loc = [str(part) for part in first.get("loc", ()) if part != "body"]
    where = ".".join(loc)
    message = first.get("msg", "is not valid")
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return (f"{where}: {message}{more}" if where else f"{message}{more}"), (where or None)


def install(app: FastAPI) -> None:
    """Route every error of `app` through the one error shape."""

    @app.exception_handler(APIError)
    async def _api_error(request: Request, exc: APIError):
        return exc.response()

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        message, param = validation_message(exc)
        return APIError(400, message, code="invalid_request", param=param).response()

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code)
        detail = exc.detail if isinstance(exc.detail, str) else "request failed"
        return APIError(exc.status_code, detail, code=code).response()

    @app.exception_handler(PolicyQAError)
    async def _policyqa(request: Request, exc: PolicyQAError):
        return from_policyqa(exc).response()

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        return as_api_error(exc).response()
