"""Saved conversations: one SQLite file under the data directory.

A conversation is its exchanges (each the whole Answer as it was shown: text, verdict,
citations with their quotes, checks), an owner (the signed-in user, or a browser's id
when login is off), a title (the first question, until renamed), and the filters it was
asked under. Reopening one gives back exactly what was shown, and its questions and
answers are the history a follow-up in it uses.

SQLite in WAL mode: readers never wait for a writer, writers queue (busy timeout), and a
killed process leaves the last committed state readable. Every write is one transaction;
an exchange's position is taken inside it, so two tabs appending at once lose nothing.
The schema version is `PRAGMA user_version`; `MIGRATIONS[n]` takes version n to n + 1,
run in order when the file is opened. Search is a substring match over one owner's
titles, questions and answers: it works for every language (a full-text index would need
a word segmenter per language) and one person's conversations are few enough to scan.

A conversation that is not the caller's is reported as not found (ConversationNotFoundError),
never as someone else's.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import BaseModel, Field

from assistant.types import Answer, Filters, Turn
from policyqa.errors import ConversationNotFoundError, ConversationStoreError

FILENAME = "conversations.sqlite3"
TITLE_CHARS = 80
BUSY_TIMEOUT_S = 10.0

MIGRATIONS: list[tuple[str, ...]] = [
    (  # 0 -> 1
        """CREATE TABLE conversations (
            id TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            title TEXT NOT NULL,
            filters TEXT,
            created REAL NOT NULL,
            updated REAL NOT NULL
        )""",
        "CREATE INDEX conversations_by_owner ON conversations (owner, updated DESC)",
        """CREATE TABLE exchanges (
            conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            question TEXT NOT NULL,
            answer TEXT NOT NULL,
            answer_json TEXT NOT NULL,
            created REAL NOT NULL,
            PRIMARY KEY (conversation_id, position)
        )""",
    ),
]
SCHEMA_VERSION = len(MIGRATIONS)


class ConversationSummary(BaseModel):
    """A conversation as a list shows it."""

    id: str
    title: str
    created: float
    updated: float
    exchanges: int = 0


class Conversation(ConversationSummary):
    """A conversation with every exchange, as it was shown."""

    owner: str
    filters: Filters | None = None
    answers: list[Answer] = Field(default_factory=list)

    @property
    def history(self) -> list[Turn]:
        """The conversation as turns, for a follow-up asked in it."""
        turns: list[Turn] = []
        for answer in self.answers:
            turns += [Turn(role="user", content=answer.question), Turn(role="assistant", content=answer.text)]
        return turns


def title_of(question: str) -> str:
    """A conversation's title: its first question, on one line, cut at a word."""
    text = re.sub(r"\s+", " ", question).strip()
    if len(text) <= TITLE_CHARS:
        return text
    return text[:TITLE_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + " …"


class ConversationStore:
    """Conversations in one SQLite file (see the module docstring)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as db:
                db.execute("PRAGMA journal_mode = WAL")
                self._migrate(db)
        except sqlite3.DatabaseError as exc:
            raise ConversationStoreError(
                f"the conversation store {self.path} cannot be opened ({exc}); move it aside to start a new one"
            ) from exc

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> ConversationStore:
        return cls(Path(data_dir) / FILENAME)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            db.execute("PRAGMA foreign_keys = ON")
            db.execute("PRAGMA synchronous = NORMAL")  # WAL: durable at checkpoints, never corrupt
            yield db
        finally:
            db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (BEGIN IMMEDIATE), so that what it reads
        (the next position) is still true when it writes."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def _migrate(self, db: sqlite3.Connection) -> None:
        """Bring the file to SCHEMA_VERSION, one step per transaction; the version is read
        inside it, so two processes opening a new file at once migrate it once."""
        while True:
            db.execute("BEGIN IMMEDIATE")
            try:
                version = db.execute("PRAGMA user_version").fetchone()[0]
                if version > SCHEMA_VERSION:
                    raise ConversationStoreError(
                        f"the conversation store {self.path} was written by a newer PolicyQA (schema {version}, "
                        f"this one knows {SCHEMA_VERSION})"
                    )
                if version == SCHEMA_VERSION:
                    db.execute("COMMIT")
                    return
                for statement in MIGRATIONS[version]:
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {version + 1}")
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    # -- conversations ---------------------------------------------------------------------
    def create(self, owner: str, title: str = "", filters: Filters | None = None) -> Conversation:
        now = time.time()
        conversation = Conversation(
            id=uuid.uuid4().hex, owner=owner, title=title, filters=filters, created=now, updated=now
        )
        with self._write() as db:
            db.execute(
                "INSERT INTO conversations (id, owner, title, filters, created, updated) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    conversation.id,
                    owner,
                    title,
                    filters.model_dump_json() if filters else None,
                    now,
                    now,
                ),
            )
        return conversation

    def append(self, conversation_id: str, owner: str, answer: Answer) -> int:
        """Add a finished exchange; returns its position. An untitled conversation takes
        its first question as title."""
        now = time.time()
        with self._write() as db:
            self._own(db, conversation_id, owner)
            position = db.execute(
                "SELECT COALESCE(MAX(position), -1) + 1 FROM exchanges WHERE conversation_id = ?", (conversation_id,)
            ).fetchone()[0]
            db.execute(
                "INSERT INTO exchanges (conversation_id, position, question, answer, answer_json, created) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (conversation_id, position, answer.question, answer.text, answer.model_dump_json(), now),
            )
            db.execute(
                "UPDATE conversations SET updated = ?, title = CASE WHEN title = '' THEN ? ELSE title END WHERE id = ?",
                (now, title_of(answer.question), conversation_id),
            )
        return position

    def get(self, conversation_id: str, owner: str) -> Conversation:
        with self._connect() as db:
            row = self._own(db, conversation_id, owner)
            answers = [
                Answer.model_validate_json(text)
                for (text,) in db.execute(
                    "SELECT answer_json FROM exchanges WHERE conversation_id = ? ORDER BY position",
                    (conversation_id,),
                )
            ]
        title, filters, created, updated = row
        return Conversation(
            id=conversation_id,
            owner=owner,
            title=title,
            filters=Filters.model_validate_json(filters) if filters else None,
            created=created,
            updated=updated,
            exchanges=len(answers),
            answers=answers,
        )

    def list(self, owner: str, search: str = "", limit: int = 100) -> list[ConversationSummary]:
        """The owner's conversations, newest first; with `search`, those whose title,
        questions or answers hold each of its words."""
        query = (
            "SELECT c.id, c.title, c.created, c.updated, "
            "(SELECT COUNT(*) FROM exchanges e WHERE e.conversation_id = c.id) "
            "FROM conversations c WHERE c.owner = ?"
        )
        params: list = [owner]
        for word in search.split()[:10]:
            pattern = "%" + re.sub(r"([\\%_])", r"\\\1", word) + "%"
            query += (
                " AND (c.title LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM exchanges e WHERE e.conversation_id = c.id"
                " AND (e.question LIKE ? ESCAPE '\\' OR e.answer LIKE ? ESCAPE '\\')))"
            )
            params += [pattern, pattern, pattern]
        query += " ORDER BY c.updated DESC LIMIT ?"
        params.append(limit)
        with self._connect() as db:
            rows = db.execute(query, params).fetchall()
        return [ConversationSummary(id=r[0], title=r[1], created=r[2], updated=r[3], exchanges=r[4]) for r in rows]

    def rename(self, conversation_id: str, owner: str, title: str) -> None:
        title = re.sub(r"\s+", " ", title).strip()
        if not title:
            raise ValueError("a conversation's title cannot be empty")
        with self._write() as db:
            self._own(db, conversation_id, owner)
            db.execute("UPDATE conversations SET title = ? WHERE id = ?", (title[: 4 * TITLE_CHARS], conversation_id))

    def delete(self, conversation_id: str, owner: str) -> None:
        with self._write() as db:
            self._own(db, conversation_id, owner)
            db.execute("DELETE FROM exchanges WHERE conversation_id = ?", (conversation_id,))
            db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))

    def _own(self, db: sqlite3.Connection, conversation_id: str, owner: str) -> tuple:
        row = db.execute(
            "SELECT title, filters, created, updated FROM conversations WHERE id = ? AND owner = ?",
            (conversation_id, owner),
        ).fetchone()
        if row is None:
            raise ConversationNotFoundError(f"no conversation {conversation_id!r}")
        return row


# -- export -----------------------------------------------------------------------------------
# What can open inline markup inside a line (emphasis, code, links, strike-through);
# every line the export writes starts with its own prefix, so block markup cannot start.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]~])")


def _text(value: str) -> str:
    """User or document text as Markdown that renders as that text: inline markup
    characters escaped, HTML tags shown rather than run, line breaks kept out."""
    value = re.sub(r"\s+", " ", value)
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", escaped)


def to_markdown(conversation: Conversation) -> str:
    """The conversation as Markdown: each question, its answer, and the cited passages with
    their exact quotes and sources."""
    lines = [f"# {_text(conversation.title or 'Conversation')}", ""]
    for answer in conversation.answers:
        lines += [f"**Q:** {_text(answer.question)}", "", f"**A:** {_text(answer.text)}", ""]
        for citation in answer.citations:
            passage = citation.passage
            source = _text(passage.byline)
            link = f" <{passage.url}>" if passage.url and re.match(r"https?://\S+$", passage.url) else ""
            lines.append(f"- \\[{citation.marker}\\] {source}{link}")
            lines += [f"  > {_text(q.text)}" for q in citation.quotes]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def to_json(conversation: Conversation) -> str:
    """The conversation as JSON, without its owner (an export is for sharing)."""
    return json.dumps(conversation.model_dump(mode="json", exclude={"owner"}), ensure_ascii=False, indent=2)
