"""The REST API beside the chat API: passages, whole answers, health.

`POST /v1/retrieve` returns the passages a question finds, `POST /v1/ask` the full
`Answer` (the same object the Python API returns), `GET /healthz` whether the server can
answer (open to monitors; it says nothing about the documents). The documents
themselves are under `/v1/documents` (api/documents.py).
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.availability import generated, require_generator
from api.wire import answer_json
from assistant import Answer, Assistant, Filters, Passage, Turn
from policyqa.settings import Backend, Settings


class RetrieveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(description="The question, as asked.")
    history: list[Turn] = Field(default_factory=list, description="Earlier turns, oldest first, for a follow-up.")
    filters: Filters | None = None
    top_k: int | None = Field(None, ge=1, le=50, description="Passages to return (default: the top_k setting).")


class AskRequest(RetrieveRequest):
    backend: Backend | None = Field(None, description="Answer generator (default: the backend setting).")


class RetrieveResponse(BaseModel):
    standalone_query: str = Field(description="What was searched for: the question made standalone.")
    context: str = Field("", description="What the conversation added that the standalone query could not hold.")
    passages: list[Passage]


class Health(BaseModel):
    status: str = Field(description="'ok' when the index is readable.")
    generator: str = Field(description="The default answer generator's state.")
    generator_ready: bool


def router(assistant: Assistant, settings: Settings) -> APIRouter:
    routes = APIRouter(tags=["REST"])

    @routes.post("/v1/retrieve", response_model=RetrieveResponse)
    def retrieve(request: RetrieveRequest) -> RetrieveResponse:
        """The passages retrieval finds for a question (after making a follow-up standalone)."""
        analysis, found = assistant.search(request.question, request.history, request.filters, request.top_k)
        return RetrieveResponse(standalone_query=analysis.standalone, context=analysis.context, passages=found.passages)

    @routes.post("/v1/ask", response_model=Answer)
    def ask(request: AskRequest) -> Answer:
        """The whole answer: text with [n] markers, citations with exact quotes, verdict,
        status, and what verification did. A generator that is down is a 503 carrying the
        evidence-only answer; ask with backend "extractive" for that answer directly."""
        backend = request.backend or settings.backend
        asked = (request.question, request.history, request.filters, request.top_k)
        require_generator(assistant, backend, lambda: assistant.ask(*asked, "extractive"), answer_json)
        return generated(assistant.ask(*asked, backend), answer_json)

    return routes


def health_router(assistant: Assistant, settings: Settings) -> APIRouter:
    routes = APIRouter(tags=["REST"])

    @routes.get("/healthz", response_model=Health)
    def healthz() -> Health:
        """Whether the server can answer: the index opens; and the default generator's state."""
        _ = assistant.snapshot  # raises (503) when the index cannot be read
        return Health(status="ok", generator=assistant.generator_status(), generator_ready=assistant.generator_loaded())

    return routes
