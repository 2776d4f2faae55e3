"""llama-index components over an `Assistant`, for pipelines of one's own.

`PolicyQARetriever` is a llama-index `BaseRetriever`: PolicyQA's hybrid retrieval, as
nodes carrying our scores and metadata (document, title, section, publisher, date, url,
character span), so it drops into a stock `RetrieverQueryEngine`. `PolicyQAQueryEngine`
and `PolicyQAChatEngine` answer through the whole assistant instead: every sentence
verified, the source nodes being the cited passages with their exact quotes. The
verified answer exists only once verification has run, so a streamed chat response
delivers it in one piece.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Generator
from typing import TYPE_CHECKING, Any

from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, MessageRole
from llama_index.core.base.response.schema import Response
from llama_index.core.chat_engine.types import AgentChatResponse, BaseChatEngine, StreamingAgentChatResponse
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from assistant.types import Answer, Filters, Passage, Turn

if TYPE_CHECKING:
    from assistant.api import Assistant

# Offsets are for highlighting, not for a model to read.
_NOT_FOR_MODELS = ["chunk_id", "start", "end", "quotes"]


def passage_node(passage: Passage, quotes: list[str] | None = None) -> NodeWithScore:
    metadata: dict[str, Any] = {
        "document": passage.doc_id,
        "title": passage.title,
        "section": passage.section,
        "publisher": passage.publisher,
        "date": passage.date or "",
        "url": passage.url or "",
        "chunk_id": passage.chunk_id,
        "start": passage.start,
        "end": passage.end,
    }
    if quotes is not None:
        metadata["quotes"] = quotes
    node = TextNode(
        id_=passage.chunk_id,
        text=passage.text,
        metadata=metadata,
        start_char_idx=passage.start,
        end_char_idx=passage.end,
        excluded_llm_metadata_keys=_NOT_FOR_MODELS,
        excluded_embed_metadata_keys=_NOT_FOR_MODELS,
    )
    return NodeWithScore(node=node, score=passage.score)


def cited_nodes(answer: Answer) -> list[NodeWithScore]:
    """The answer's cited passages, in marker order, each with its exact quotes."""
    return [passage_node(c.passage, [q.text for q in c.quotes]) for c in answer.citations]


class PolicyQARetriever(BaseRetriever):
    def __init__(self, assistant: Assistant, filters: Filters | dict | None = None, top_k: int | None = None):
        super().__init__()
        self._assistant, self._filters, self._top_k = assistant, filters, top_k

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        passages = self._assistant.retrieve(query_bundle.query_str, filters=self._filters, top_k=self._top_k)
        return [passage_node(p) for p in passages]


class PolicyQAQueryEngine(BaseQueryEngine):
    """Answers with verified citations; `response.metadata["answer"]` is the whole `Answer`."""

    def __init__(self, assistant: Assistant, filters=None, top_k: int | None = None, backend: str | None = None):
        super().__init__(callback_manager=None)
        self._assistant, self._filters, self._top_k, self._backend = assistant, filters, top_k, backend

    def _query(self, query_bundle: QueryBundle) -> Response:
        answer = self._assistant.ask(
            query_bundle.query_str, filters=self._filters, top_k=self._top_k, backend=self._backend
        )
        return Response(response=answer.text, source_nodes=cited_nodes(answer), metadata={"answer": answer})

    async def _aquery(self, query_bundle: QueryBundle) -> Response:
        return await asyncio.to_thread(self._query, query_bundle)

    def _get_prompt_modules(self) -> dict:
        return {}  # PolicyQA's prompts are not llama-index prompt templates


def _turns(messages: list[ChatMessage]) -> list[Turn]:
    roles = {MessageRole.USER: "user", MessageRole.ASSISTANT: "assistant"}
    return [Turn(role=roles[m.role], content=m.content or "") for m in messages if m.role in roles]


class PolicyQAChatEngine(BaseChatEngine):
    """A conversation with verified citations; follow-ups use its history (or the
    `chat_history` given to a call, which replaces it for that call, as in llama-index)."""

    def __init__(self, assistant: Assistant, filters=None, top_k: int | None = None, backend: str | None = None):
        self._assistant, self._filters, self._top_k, self._backend = assistant, filters, top_k, backend
        self._history: list[ChatMessage] = []

    def _answer(self, message: str, chat_history: list[ChatMessage] | None) -> Answer:
        history = self._history if chat_history is None else chat_history
        answer = self._assistant.ask(
            message, _turns(history), filters=self._filters, top_k=self._top_k, backend=self._backend
        )
        self._history = [
            *history,
            ChatMessage(role=MessageRole.USER, content=message),
            ChatMessage(role=MessageRole.ASSISTANT, content=answer.text),
        ]
        return answer

    def chat(self, message: str, chat_history: list[ChatMessage] | None = None) -> AgentChatResponse:
        answer = self._answer(message, chat_history)
        return AgentChatResponse(response=answer.text, source_nodes=cited_nodes(answer), metadata={"answer": answer})

    async def achat(self, message: str, chat_history: list[ChatMessage] | None = None) -> AgentChatResponse:
        return await asyncio.to_thread(self.chat, message, chat_history)

    def stream_chat(self, message: str, chat_history: list[ChatMessage] | None = None) -> StreamingAgentChatResponse:
        answer = self._answer(message, chat_history)
        reply = ChatMessage(role=MessageRole.ASSISTANT, content=answer.text)

        def one() -> Generator[ChatResponse, None, None]:
            yield ChatResponse(message=reply, delta=answer.text)

        return StreamingAgentChatResponse(
            chat_stream=one(), source_nodes=cited_nodes(answer), is_writing_to_memory=False
        )

    async def astream_chat(
        self, message: str, chat_history: list[ChatMessage] | None = None
    ) -> StreamingAgentChatResponse:
        answer = await asyncio.to_thread(self._answer, message, chat_history)
        reply = ChatMessage(role=MessageRole.ASSISTANT, content=answer.text)

        async def one() -> AsyncGenerator[ChatResponse, None]:
            yield ChatResponse(message=reply, delta=answer.text)

        return StreamingAgentChatResponse(
            achat_stream=one(), source_nodes=cited_nodes(answer), is_writing_to_memory=False
        )

    def reset(self) -> None:
        self._history = []

    @property
    def chat_history(self) -> list[ChatMessage]:
        return list(self._history)
