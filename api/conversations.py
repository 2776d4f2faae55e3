"""Saved conversations over HTTP: the same store the chat page saves to, per API caller.

`GET /v1/conversations` lists the caller's (newest first, `search` for a substring of
their text), `POST /v1/conversations` starts one, `GET|PATCH|DELETE /v1/conversations/{id}`
reads, renames or deletes one, `POST /v1/conversations/{id}/ask` asks the next question
in it (its history and filters apply; the exchange is saved), and
`GET /v1/conversations/{id}/export?format=markdown|json` exports it. The caller is its
API key (api/auth.py `KeyCheck.owner`); another caller's conversation is a 404, never a
403, so ids say nothing about whether they exist.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import KeyCheck
from api.availability import generated, require_generator
from api.errors import APIError
from api.wire import answer_json
from assistant import Answer, Assistant, Chat, Filters
from assistant.conversations import (
    TITLE_CHARS,
    Conversation,
    ConversationStore,
    ConversationSummary,
    to_json,
    to_markdown,
)
from policyqa.settings import Backend, Settings


class NewConversation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field("", max_length=4 * TITLE_CHARS, description="Empty: titled from its first question.")
    filters: Filters | None = Field(None, description="Every question asked in it is searched with these.")


class Rename(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=4 * TITLE_CHARS)


class ConversationQuestion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(description="The next question; the conversation so far is its history.")
    top_k: int | None = Field(None, ge=1, le=50, description="Passages to use (default: the top_k setting).")
    backend: Backend | None = Field(None, description="Answer generator (default: the backend setting).")


class ConversationList(BaseModel):
    count: int
    conversations: list[ConversationSummary]


PRIVATE = {"owner"}  # left out of responses: it is derived from the caller's key


def router(assistant: Assistant, settings: Settings, keys: KeyCheck) -> APIRouter:
    routes = APIRouter(tags=["Conversations"])
    opened: list[ConversationStore] = []

    def store() -> ConversationStore:
        """The store, opened on first use (a store that cannot be opened is a 503 on these
        routes only; the rest of the API still answers)."""
        if not opened:
            opened.append(ConversationStore.in_data_dir(settings.data_dir))
        return opened[0]

    @routes.get("/v1/conversations", response_model=ConversationList)
    def list_conversations(
        search: str = Query("", max_length=200, description="Words its title, questions or answers hold."),
        limit: int = Query(100, ge=1, le=1000),
        owner: str = Depends(keys.owner),
    ) -> ConversationList:
        """The caller's conversations, newest first."""
        found = store().list(owner, search, limit)
        return ConversationList(count=len(found), conversations=found)

    @routes.post("/v1/conversations", status_code=201, response_model=Conversation, response_model_exclude=PRIVATE)
    def create(request: NewConversation, owner: str = Depends(keys.owner)) -> Conversation:
        """A new, empty conversation."""
        return store().create(owner, " ".join(request.title.split()), request.filters)

    @routes.get("/v1/conversations/{conversation_id}", response_model=Conversation, response_model_exclude=PRIVATE)
    def read(conversation_id: str, owner: str = Depends(keys.owner)) -> Conversation:
        """One conversation with every answer as it was given (citations, quotes, checks)."""
        return store().get(conversation_id, owner)

    @routes.patch("/v1/conversations/{conversation_id}", response_model=ConversationSummary)
    def rename(conversation_id: str, request: Rename, owner: str = Depends(keys.owner)) -> ConversationSummary:
        try:
            store().rename(conversation_id, owner, request.title)
        except ValueError as exc:
            raise APIError(400, str(exc), code="invalid_request", param="title") from exc
        return _summary(store().get(conversation_id, owner))

    @routes.delete("/v1/conversations/{conversation_id}", status_code=204)
    def delete(conversation_id: str, owner: str = Depends(keys.owner)) -> Response:
        store().delete(conversation_id, owner)
        return Response(status_code=204)

    @routes.post("/v1/conversations/{conversation_id}/ask", response_model=Answer)
    def ask(conversation_id: str, request: ConversationQuestion, owner: str = Depends(keys.owner)) -> Answer:
        """The next answer in the conversation, saved in it. A generator that is down is a 503
        carrying the evidence-only answer, and nothing is saved."""
        chat = Chat.open(assistant, store(), conversation_id, owner)
        backend = request.backend or settings.backend
        asked = (request.question, chat.history, chat.filters, request.top_k)
        require_generator(assistant, backend, lambda: assistant.ask(*asked, "extractive"), answer_json)
        answer = generated(assistant.ask(*asked, backend), answer_json)
        chat.record(answer)
        return answer

    @routes.get("/v1/conversations/{conversation_id}/export")
    def export(
        conversation_id: str,
        format: Literal["markdown", "json"] = Query("markdown"),
        owner: str = Depends(keys.owner),
    ) -> Response:
        """The conversation as a Markdown file (questions, answers, cited quotes and sources)
        or as JSON."""
        conversation = store().get(conversation_id, owner)
        body, media, suffix = (
            (to_markdown(conversation), "text/markdown; charset=utf-8", "md")
            if format == "markdown"
            else (to_json(conversation), "application/json", "json")
        )
        disposition = f'attachment; filename="conversation-{conversation.id}.{suffix}"'
        return Response(body, media_type=media, headers={"Content-Disposition": disposition})

    return routes


def _summary(conversation: Conversation) -> ConversationSummary:
    return ConversationSummary.model_validate(conversation.model_dump(include=set(ConversationSummary.model_fields)))
