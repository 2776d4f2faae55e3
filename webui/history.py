"""Saved conversations in the app: whose they are, how one is shown again, and its export.

Conversations belong to the signed-in user when login is on, else to the browser: a
random id kept in the browser's local storage (Gradio's BrowserState), so a reload or a
new tab of the same browser finds them and another browser does not. An API client
without either saves nothing.
"""

from __future__ import annotations

import re
import tempfile
import uuid
from pathlib import Path

from assistant.conversations import Conversation, ConversationStore, to_json, to_markdown
from assistant.types import Answer, Filters
from webui import render


def owner_of(username: str | None, browser_id: str | None) -> str | None:
    """The owner conversations are saved under; None for a caller with no identity."""
    if username:
        return f"user:{username}"
    if browser_id and re.fullmatch(r"[0-9a-f]{32}", browser_id):
        return f"browser:{browser_id}"
    return None


def new_browser_id() -> str:
    return uuid.uuid4().hex


def choices(store: ConversationStore, owner: str | None, search: str = "") -> list[tuple[str, str]]:
    """(label, id) of the owner's conversations, newest first."""
    if owner is None:
        return []
    return [(c.title or "Untitled", c.id) for c in store.list(owner, search=search or "")]


def answer_record(answer: Answer, top_k: int, filters: Filters | None, turns_before: list[dict]) -> dict:
    """What the session keeps of a shown answer, for rating it later: the answer, how it
    was asked, and the turns before it (a rated follow-up becomes a test with its history)."""
    return {
        "answer": answer.model_dump(mode="json"),
        "top_k": top_k,
        "filters": filters.model_dump(mode="json") if filters is not None else {},
        "history": list(turns_before),
    }


def session_of(conversation: Conversation, top_k: int) -> dict:
    """The app's session dict for a reopened conversation: what was shown, the turns a
    follow-up sends as history, and each answer by message index (for thumbs up/down)."""
    messages, answers = [], {}
    turns = [{"role": t.role, "content": t.content} for t in conversation.history]
    for n, answer in enumerate(conversation.answers):
        messages.append({"role": "user", "content": render.question_html(answer.question)})
        messages.append({"role": "assistant", "content": render.answer_html(answer)})
        answers[str(len(messages) - 1)] = answer_record(answer, top_k, conversation.filters, turns[: 2 * n])
    return {"messages": messages, "turns": turns, "answers": answers, "conversation_id": conversation.id}


def export_file(conversation: Conversation, kind: str) -> Path:
    """The conversation written to a temporary file for download (Markdown or JSON)."""
    folder = Path(tempfile.mkdtemp(prefix="pqa-export-"))
    stem = re.sub(r"[^\w-]+", "-", conversation.title.lower()).strip("-")[:40] or "conversation"
    if kind == "json":
        path = folder / f"{stem}.json"
        path.write_text(to_json(conversation), encoding="utf-8")
    else:
        path = folder / f"{stem}.md"
        path.write_text(to_markdown(conversation), encoding="utf-8")
    return path
