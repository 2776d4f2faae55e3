"""`create_api(assistant, settings)`: the FastAPI app with every HTTP API of PolicyQA.

The OpenAI-compatible chat API and the REST API under `/v1` (behind the API key when one
is set), `/healthz` open to monitors, OpenAPI docs at `/docs`. `app.py` mounts the chat
page on the same app; `policyqa serve --api-only` serves this alone.
"""

from __future__ import annotations

from fastapi import Depends, FastAPI

from api import conversations, documents, openai_chat, rest
from api.auth import KeyCheck, all_keys, check_exposure
from api.errors import APIError, install
from assistant import Assistant
from policyqa import __version__
from policyqa.settings import Settings

API_PREFIX = "/v1"


class BodyLimit:
    """ASGI middleware: a request body under `/v1` larger than its limit is a 413 in the
    one error shape, whether it declares its length or streams it (the body is never read
    past the limit). FastAPI's own `max_body_size` answers in plain text. The limit is
    `max_bytes`, and `upload_bytes` for a request sending documents (POST or PUT under
    `/v1/documents`)."""

    def __init__(self, app, max_bytes: int, upload_bytes: int):
        self.app, self.max_bytes, self.upload_bytes = app, max_bytes, upload_bytes

    def limit(self, scope) -> tuple[int, str]:
        """The body limit of a request, and the setting it comes from."""
        if scope["method"] in ("POST", "PUT") and scope["path"].startswith(documents.DOCUMENTS):
            return self.upload_bytes, "POLICYQA_MAX_UPLOAD_MB per file"
        return self.max_bytes, "POLICYQA_MAX_REQUEST_KB"

    def error(self, scope) -> APIError:
        limit, setting = self.limit(scope)
        return APIError(413, f"the request body is larger than {limit:,} bytes ({setting})", code="request_too_large")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            return await self.app(scope, receive, send)
        limit, _ = self.limit(scope)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await self.error(scope).response()(scope, receive, send)
        seen = 0

        async def limited():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise self.error(scope)  # FastAPI passes it on to the error handlers
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
        "OpenAI-compatible chat at /v1/chat/completions; REST at /v1/retrieve, /v1/ask; the collection at "
        "/v1/documents (list, read, add, replace, remove); "
        "saved conversations at /v1/conversations.",
        docs_url="/docs",
        redoc_url=None,
    )
    install(app)
    app.add_middleware(
        BodyLimit, max_bytes=settings.max_request_kb * 1000, upload_bytes=documents.upload_body_bytes(settings)
    )
    keys = KeyCheck(all_keys(settings))
    guarded = [Depends(keys)]
    app.include_router(rest.health_router(assistant, settings))
    app.include_router(openai_chat.router(assistant, settings), dependencies=guarded)
    app.include_router(rest.router(assistant, settings), dependencies=guarded)
    app.include_router(documents.router(assistant, settings), dependencies=guarded)
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
