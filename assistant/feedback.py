"""Ratings of answers (thumbs up/down, with a comment), appended to a JSONL file so that
what users found wrong can become release tests (`policyqa eval from-feedback`).

A rating line holds everything a reviewer needs without the index at hand: the question
and the turns before it, the answer text with its markers, every citation (document,
span, passage, quotes), every retrieved passage with its text, the backend, filters, an
id, the owner (who rated it: a signed-in user or a browser) and a UTC timestamp. A
comment is a line of its own naming the rating's id, so the file is only ever appended
to; the latest comment wins. Lines are written whole under an exclusive lock, so
concurrent sessions (or two app processes sharing a data directory) never interleave.
Reading skips a line that is not a JSON object (a file edited by hand) and counts it.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import uuid
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from assistant.types import Answer, Passage, Turn

COMMENT = "comment"  # the `type` of a comment line; a rating line has none (or "rating")


def rating_of(liked: object) -> str:
    """Gradio's LikeData.liked: True, False, or a custom option string."""
    if liked is True:
        return "up"
    if liked is False:
        return "down"
    return str(liked)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _passage_json(p: Passage) -> dict:
    return {
        "doc_id": p.doc_id,
        "title": p.title,
        "publisher": p.publisher,
        "date": p.date,
        "chunk_id": p.chunk_id,
        "start": p.start,
        "end": p.end,
        "passage": p.text,
    }


def feedback_record(
    answer: Answer,
    liked: object,
    *,
    top_k: int | None = None,
    filters: dict | None = None,
    history: list[Turn] | list[dict] | None = None,
    owner: str | None = None,
) -> dict:
    return {
        "type": "rating",
        "id": uuid.uuid4().hex,
        "timestamp": _now(),
        "owner": owner,
        "rating": rating_of(liked),
        "question": answer.question,
        "history": [t.model_dump() if isinstance(t, Turn) else dict(t) for t in history or []],
        "standalone_query": answer.standalone_query,
        "answer": answer.text,
        "status": answer.status,
        "verdict": answer.verdict,
        "backend": answer.backend,
        "fallback_reason": answer.fallback_reason,
        "citations": [
            {"marker": c.marker, **_passage_json(c.passage), "quotes": [q.model_dump() for q in c.quotes]}
            for c in answer.citations
        ],
        "retrieved": [p.chunk_id for p in answer.passages],
        "retrieved_passages": [_passage_json(p) for p in answer.passages],
        "top_k": top_k,
        "filters": filters or {},
    }


class Rating(BaseModel):
    """One rated answer as the log holds it, with its latest comment."""

    model_config = ConfigDict(extra="ignore")

    id: str
    timestamp: str
    owner: str | None = None
    rating: str
    comment: str = ""
    question: str
    history: list[Turn] = Field(default_factory=list)
    standalone_query: str = ""
    answer: str = ""
    status: str = ""
    verdict: str | None = None
    backend: str | None = None
    citations: list[dict] = Field(default_factory=list)
    retrieved_passages: list[dict] = Field(default_factory=list)
    top_k: int | None = None
    filters: dict = Field(default_factory=dict)

    @property
    def passages(self) -> list[dict]:
        """What the answer had to go on: the retrieved passages (lines written before they
        were kept: the cited ones), each once."""
        seen, out = set(), []
        for p in [*self.retrieved_passages, *self.citations]:
            key = (p.get("doc_id"), p.get("start"), p.get("end"))
            if key not in seen:
                seen.add(key)
                out.append(p)
        return out

    @property
    def sources(self) -> str:
        """The cited sources on one line: "[1] title: quote"."""
        parts = []
        for c in self.citations:
            quote = " … ".join(q.get("text", "") for q in c.get("quotes", []))
            parts.append(f"[{c.get('marker')}] {c.get('title') or c.get('doc_id')}" + (f": {quote}" if quote else ""))
        return "; ".join(parts)


class FeedbackLog:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.unreadable = 0  # lines skipped by the last read

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
        """Every line, as written (ratings and comments)."""
        self.unreadable = 0
        if not self.path.exists():
            return []
        records = []
        with open(self.path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError:
                    record = None
                if isinstance(record, dict):
                    records.append(record)
                else:
                    self.unreadable += 1
        return records

    def ratings(self, owner: str | None = None) -> list[Rating]:
        """The ratings (of `owner` only, when given), newest first, each with its latest comment."""
        ratings: dict[str, Rating] = {}
        comments: dict[tuple[str, str | None], str] = {}  # (rating id, by whom): the latest comment
        for record in self.read():
            if record.get("type") == COMMENT:
                comments[(str(record.get("id")), record.get("owner"))] = str(record.get("comment", ""))
                continue
            record = {**record, "id": record.get("id") or _legacy_id(record)}
            try:
                rating = Rating.model_validate(record)
            except ValueError:
                self.unreadable += 1
                continue
            if owner is None or rating.owner == owner:
                ratings[rating.id] = rating
        for rating in ratings.values():
            rating.comment = comments.get((rating.id, rating.owner), "")
        # Newest first; lines written in the same second keep their order in the file.
        order = {rating_id: n for n, rating_id in enumerate(ratings)}
        return sorted(ratings.values(), key=lambda r: (r.timestamp, order[r.id]), reverse=True)

    def comment(self, rating_id: str, owner: str | None, text: str) -> None:
        """Comment on one of `owner`'s ratings (KeyError when it is not theirs; a rating
        with no owner takes no comment, since nobody can be told apart as its author)."""
        if owner is None or not any(r.id == rating_id for r in self.ratings(owner)):
            raise KeyError(f"no rating {rating_id!r}")
        text = " ".join(text.split())[:2000]
        self.append({"type": COMMENT, "id": rating_id, "owner": owner, "comment": text, "timestamp": _now()})


def _legacy_id(record: dict) -> str:
    """A stable id for a line written before ratings had one."""
    key = f"{record.get('timestamp')}\n{record.get('question')}\n{record.get('answer')}"
    return "r" + hashlib.sha256(key.encode()).hexdigest()[:15]
