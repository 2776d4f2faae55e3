"""Thumbs up/down on answers, appended to a JSONL file so they can become eval data.

One line per click: the question, the answer text with its markers, every citation
(document, span, passage and supporting sentences), the backend and a UTC timestamp.
Lines are written whole under an exclusive lock, so concurrent sessions (or two app
processes sharing a data directory) never interleave.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
from pathlib import Path

from assistant.types import Answer


def rating_of(liked: object) -> str:
    """Gradio's LikeData.liked: True, False, or a custom option string."""
    if liked is True:
        return "up"
    if liked is False:
        return "down"
    return str(liked)


def feedback_record(answer: Answer, liked: object, *, top_k: int | None = None, filters: dict | None = None) -> dict:
    return {
        "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "rating": rating_of(liked),
        "question": answer.question,
        "standalone_query": answer.standalone_query,
        "answer": answer.text,
        "status": answer.status,
        "verdict": answer.verdict,
        "backend": answer.backend,
        "fallback_reason": answer.fallback_reason,
        "citations": [
            {
                "marker": c.marker,
                "doc_id": c.passage.doc_id,
                "title": c.passage.title,
                "publisher": c.passage.publisher,
                "date": c.passage.date,
                "chunk_id": c.passage.chunk_id,
                "start": c.passage.start,
                "end": c.passage.end,
                "passage": c.passage.text,
                "quotes": [q.model_dump() for q in c.quotes],
            }
            for c in answer.citations
        ],
        "retrieved": [p.chunk_id for p in answer.passages],
        "top_k": top_k,
        "filters": filters or {},
    }


class FeedbackLog:
    def __init__(self, path: Path):
        self.path = Path(path)

    def append(self, record: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = (json.dumps(record, ensure_ascii=False, default=str) + "\n").encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            while line:
                line = line[os.write(fd, line) :]
            os.fsync(fd)
        finally:
            os.close(fd)  # closing releases the lock

    def read(self) -> list[dict]:
        if not self.path.exists():
            return []
        with open(self.path, encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]
