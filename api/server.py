"""`create_api(assistant, settings)`: the FastAPI app with every HTTP API of PolicyQA.

The OpenAI-compatible chat API and the REST API under `/v1` (behind the API key when one
is set), `/healthz` open to monitors, OpenAPI docs at `/docs`. `app.py` mounts the chat
page on the same app; `policyqa serve --api-only` serves this alone.
"""

from __future__ import annotations

from fastapi import Depends, FastAPI

from api import conversations, openai_chat, rest
from api.auth import KeyCheck, check_exposure, parse_keys
from api.errors import APIError, install
from assistant import Assistant
from policyqa import __version__
from policyqa.settings import Settings

API_PREFIX = "/v1"


class BodyLimit:
    """ASGI middleware: a request body under `/v1` larger than `max_bytes` is a 413 in the
    one error shape, whether it declares its length or streams it (the body is never read
    past the limit). FastAPI's own `max_body_size` answers in plain text."""

    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    def error(self) -> APIError:
        return APIError(
            413,
            f"the request body is larger than {self.max_bytes:,} bytes (POLICYQA_MAX_REQUEST_KB)",
            code="request_too_large",
        )

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await self.error().response()(scope, receive, send)
        seen = 0

        async def limited():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise self.error()  # FastAPI passes it on to the error handlers
            return message

        await self.app(scope, limited, send)


def create_api(assistant: Assistant, settings: Settings) -> FastAPI:
    """The HTTP APIs over one assistant. Refuses (PolicyQAError) to serve beyond loopback
    without an API key."""
    check_exposure(settings)
    app = FastAPI(
        title="PolicyQA",
        version=__version__,
        description="Answers from a policy document collection, every claim cited to the exact passage. "
        "OpenAI-compatible chat at /v1/chat/completions; REST at /v1/retrieve, /v1/ask, /v1/documents; "
        "saved conversations at /v1/conversations.",
        docs_url="/docs",
        redoc_url=None,
    )
    install(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_kb * 1000)
    keys = KeyCheck(parse_keys(settings.api_key))
    guarded = [Depends(keys)]
    app.include_router(rest.health_router(assistant, settings))
    app.include_router(openai_chat.router(assistant, settings), dependencies=guarded)
    app.include_router(rest.router(assistant, settings), dependencies=guarded)
    app.include_router(conversations.router(assistant, settings, keys), dependencies=guarded)

    @app.api_route(
        API_PREFIX + "/{path:path}",
        methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        dependencies=guarded,
        include_in_schema=False,
    )
    def unknown(path: str):
        raise APIError(404, f"there is no endpoint {API_PREFIX}/{path[:80]}; /docs lists them", code="not_found")

    return app
