"""The OpenAI-compatible chat API: `POST /v1/chat/completions` and `GET /v1/models`.

Any OpenAI client (the SDKs, Open WebUI, LibreChat, AnythingLLM) can talk to PolicyQA:
the `messages` list is the conversation (the last user message is the question, the
earlier user and assistant messages its history; system messages are ignored, because
what an answer may say is decided by the passages, not by a prompt), and each corpus
answer generator is a model (`policyqa` is the default one).

Citations travel twice, so no client loses them: as numbered source notes appended to
the message text (for clients that show only text), and as a structured `citations`
field on the response (in a stream: on a chunk of its own before the final chunk).
`policyqa` on the response carries the status (grounded or refused), the yes/no
verdict and, on a stream's first chunk, the evidence passages.

Streaming: the generator's draft streams as `reasoning_content` (clients show it as the
model thinking); the verified answer, which may differ from the draft, is the `content`.
An answer that is evidence-only from the start (the extractive backend) streams as
content directly.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.availability import generated, require_generator
from api.errors import APIError, as_api_error
from api.wire import SOURCES_HEADING, citation_json, passage_json, source_notes, status_json
from assistant import Answer, Assistant, Delta, Evidence, Filters, Turn
from policyqa.settings import Settings

MODEL = "policyqa"


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str
    text: str | None = None


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")  # name, tool_calls, ...: accepted, not used

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        if any(part.type != "text" for part in self.content):
            raise APIError(400, "only text content is supported", code="unsupported_content", param="messages")
        return "\n".join(part.text or "" for part in self.content)


class ChatRequest(BaseModel):
    """OpenAI's request body; sampling options (temperature, top_p, ...) are accepted and
    ignored: PolicyQA's answers are decoded under its own grammar and checks. `filters` and
    `top_k` are PolicyQA's own (an OpenAI client sends them with `extra_body`)."""

    model_config = ConfigDict(extra="allow")

    model: str = MODEL
    messages: list[Message] = Field(min_length=1)
    stream: bool = False
    n: int = Field(1, ge=1, le=1, description="One answer per request.")
    filters: Filters | None = None
    top_k: int | None = Field(None, ge=1, le=50)

    @field_validator("model")
    @classmethod
    def _model_named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("name a model (GET /v1/models lists them)")
        return value.strip()


def model_names(settings: Settings) -> list[str]:
    """`policyqa` (the configured backend) and one model per backend that is set up."""
    names = [MODEL, f"{MODEL}-local", f"{MODEL}-extractive"]
    if settings.openai_base_url:
        names.append(f"{MODEL}-openai")
    if settings.ollama_model:
        names.append(f"{MODEL}-ollama")
    return names


def backend_of(model: str, settings: Settings) -> str:
    if model not in model_names(settings):
        raise APIError(
            404,
            f"the model '{model[:80]}' does not exist here; GET /v1/models lists the models",
            code="model_not_found",
            param="model",
        )
    return settings.backend if model == MODEL else model.removeprefix(f"{MODEL}-")


def conversation(messages: list[Message]) -> tuple[str, list[Turn]]:
    """The question (the last message, which must be the user's) and the history before it.
    Source notes this API appended to earlier answers are dropped from the history."""
    *earlier, last = messages
    if last.role != "user":
        raise APIError(400, "the last message must be the user's question", code="invalid_messages", param="messages")
    history = []
    for message in earlier:
        if message.role == "user":
            history.append(Turn(role="user", content=message.text()))
        elif message.role == "assistant":
            history.append(Turn(role="assistant", content=message.text().split(SOURCES_HEADING, 1)[0]))
    return last.text(), history


class Completion:
    """One request's response, as a whole completion or as stream chunks."""

    def __init__(self, model: str):
        self.id = f"chatcmpl-{uuid.uuid4().hex}"
        self.created = int(time.time())
        self.model = model

    def whole(self, answer: Answer) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": answer.text + source_notes(answer)},
                    "finish_reason": "stop",
                }
            ],
            "citations": [citation_json(c) for c in answer.citations],
            "policyqa": status_json(answer),
        }

    def chunk(self, delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        body = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    def stream(self, events: Iterator[Evidence | Delta | Answer]) -> Iterator[str]:
        """Server-sent events: the role and evidence, draft or content deltas, the verified
        content, the citations, the final chunk, `[DONE]`."""
        shown = ""
        try:
            for event in events:
                if isinstance(event, Evidence):
                    evidence = {"standalone_query": event.standalone_query}
                    evidence["passages"] = [passage_json(p) for p in event.passages]
                    yield self.chunk({"role": "assistant", "content": ""}, policyqa=evidence)
                elif isinstance(event, Delta):
                    if event.draft:
                        yield self.chunk({"reasoning_content": event.text})
                    else:
                        shown += event.text
                        yield self.chunk({"content": event.text})
                elif isinstance(event, Answer):
                    yield self.chunk({"content": _unsent(event.text, shown) + source_notes(event)})
                    yield self.chunk(
                        {}, citations=[citation_json(c) for c in event.citations], policyqa=status_json(event)
                    )
            yield self.chunk({}, finish="stop")
        except Exception as exc:  # the response has started: the error goes into the stream
            yield f"data: {json.dumps(as_api_error(exc).body())}\n\n"
        yield "data: [DONE]\n\n"


def router(assistant: Assistant, settings: Settings) -> APIRouter:
    routes = APIRouter(tags=["OpenAI-compatible"])

    @routes.get("/v1/models")
    def list_models() -> dict:
        """The corpus, as models: one per answer generator."""
        created = int(time.time())
        return {
            "object": "list",
            "data": [
                {"id": name, "object": "model", "created": created, "owned_by": "policyqa"}
                for name in model_names(settings)
            ],
        }

    @routes.post("/v1/chat/completions")
    def chat_completions(request: ChatRequest):
        """Answer the last user message from the corpus, with citations (see the module docstring)."""
        backend = backend_of(request.model, settings)
        question, history = conversation(request.messages)
        completion = Completion(request.model)
        asked = (question, history, request.filters, request.top_k)
        require_generator(assistant, backend, lambda: assistant.ask(*asked, "extractive"), completion.whole)
        if not request.stream:
            return completion.whole(generated(assistant.ask(*asked, backend), completion.whole))
        events = assistant.stream(*asked, backend)
        # Read up to the generator's first token before the response starts, so that a bad
        # question or a generator that is down is an HTTP error, not a broken stream (an
        # evidence-only answer, fast to make, is read whole).
        head = []
        for event in events:
            head.append(event)
            if isinstance(event, Answer) or (isinstance(event, Delta) and event.draft):
                break
        if isinstance(head[-1], Answer):
            generated(head[-1], completion.whole)
        return StreamingResponse(
            completion.stream(_chain(head, events)),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return routes


def _unsent(text: str, shown: str) -> str:
    """What of the answer's text the stream has not sent yet. Evidence-only text streams
    sentence by sentence, which may differ from the answer in white space only."""
    if text.startswith(shown):
        return text[len(shown) :]
    flat, sent = " ".join(text.split()), " ".join(shown.split())
    return flat[len(sent) :] if flat.startswith(sent) else "\n\n" + text


def _chain(head: list, rest: Iterator) -> Iterator:
    yield from head
    yield from rest
