"""The MCP server (`policyqa mcp`): the corpus as tools for agents that speak the Model
Context Protocol, over stdio (the default: the client starts the process) or streamable
HTTP.

Tools: `search` (passages for a query), `ask` (a verified answer with its citations and
exact quotes) and `list_documents`. Each returns structured content (the same JSON
shapes as the HTTP APIs) and a text rendering for clients that read only text. The
assistant runs in a worker thread, so one slow answer does not stall the protocol.
"""

from __future__ import annotations

from typing import Any

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations

from api.wire import citation_json, documents_json, passage_json, source_notes, status_json
from assistant import Assistant, Filters, Turn
from policyqa.errors import PolicyQAError

INSTRUCTIONS = (
    "PolicyQA answers questions from one collection of policy documents. Use `ask` for an answer whose every "
    "sentence is checked against the passages it cites (it says plainly when the documents do not answer); "
    "use `search` to read the passages themselves; `list_documents` shows what the collection holds."
)
READ_ONLY = ToolAnnotations(readOnlyHint=True, openWorldHint=False)


async def _run(work):
    """The assistant's work in a worker thread; an error the caller can act on (an empty
    question, a missing index) goes back with its message, anything else as a crash."""
    try:
        return await anyio.to_thread.run_sync(work)
    except PolicyQAError as exc:
        raise ToolError(str(exc)) from exc


def _filters(documents: list[str] | None, publishers: list[str] | None, languages: list[str] | None) -> Filters | None:
    filters = Filters(doc_ids=documents or (), publishers=publishers or (), languages=languages or ())
    return None if filters.is_empty() else filters


def create_mcp(assistant: Assistant) -> MCPServer:
    server = MCPServer(name="policyqa", title="PolicyQA", instructions=INSTRUCTIONS, log_level="WARNING")

    @server.tool(annotations=READ_ONLY)
    async def search(
        query: str,
        top_k: int = 5,
        documents: list[str] | None = None,
        publishers: list[str] | None = None,
        languages: list[str] | None = None,
    ) -> dict[str, Any]:
        """Find the passages of the collection that best match a query (hybrid dense + keyword
        search). `documents`, `publishers` and `languages` (codes: "en", "de", "zh") restrict
        the search; `top_k` is 1 to 50."""
        top_k = max(1, min(int(top_k), 50))
        filters = _filters(documents, publishers, languages)
        passages = await _run(lambda: assistant.retrieve(query, filters=filters, top_k=top_k))
        return {"passages": [{**passage_json(p), "score": round(p.score, 4)} for p in passages]}

    @server.tool(annotations=READ_ONLY)
    async def ask(
        question: str,
        history: list[Turn] | None = None,
        documents: list[str] | None = None,
        publishers: list[str] | None = None,
        languages: list[str] | None = None,
    ) -> dict[str, Any]:
        """Answer a question from the collection. Every sentence cites passages [n] and is
        verified against them; `citations` hold the exact quotes with their document, title,
        publisher, date and character span. When the documents do not answer, `status` is
        "refused" and the answer says so. `history` (earlier user/assistant turns) makes a
        follow-up standalone."""
        filters = _filters(documents, publishers, languages)
        answer = await _run(lambda: assistant.ask(question, history or [], filters))
        return {
            "answer": answer.text + source_notes(answer),
            **status_json(answer),
            "citations": [citation_json(c) for c in answer.citations],
        }

    @server.tool(annotations=READ_ONLY)
    async def list_documents() -> dict[str, Any]:
        """The documents in the collection: id, title, publisher, date, url, language, chunks."""
        return {"documents": await _run(lambda: documents_json(assistant.snapshot))}

    return server
