"""The records that flow through the build, and into the snapshot the query side reads."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Literal

BlockKind = Literal["heading", "paragraph", "item", "row", "code", "quote"]


@dataclass(frozen=True)
class Block:
    """One rendered unit of a document's cleaned text: `text[start:end]`.

    Headings carry their level; items of one list, and rows of one table, share a
    `group` number (-1: no group), so the chunker can keep a list or a table whole.
    """

    kind: BlockKind
    start: int
    end: int
    level: int = 0
    group: int = -1


@dataclass(frozen=True)
class Document:
    """A cleaned document. `text` is the text every chunk span points into.

    `blocks` describe the text's structure for the chunker; they are derived from the
    source on every load and are not stored in the snapshot.
    """

    id: str
    text: str
    title: str = ""
    publisher: str = ""
    date: str | None = None  # ISO yyyy-mm-dd
    url: str | None = None
    language: str | None = None
    source: str = ""  # path relative to the corpus folder
    keywords: str = ""  # from front matter or HTML meta, comma separated
    blocks: tuple[Block, ...] = field(default=(), compare=False, repr=False)
    # Its language was detected from too little running text to be sure, and is told
    # again among its collection's languages once the collection is loaded; not stored.
    language_unsure: bool = field(default=False, compare=False, repr=False)

    def meta(self) -> dict:
        data = asdict(self)
        for derived in ("text", "blocks", "language_unsure"):
            data.pop(derived)
        return data

    def stored(self) -> dict:
        """What the snapshot keeps of this document (its text and metadata)."""
        return {**self.meta(), "text": self.text}

    def content_hash(self, chunk_config: str) -> str:
        """Changes whenever anything a chunk carries changes: text, structure, metadata, chunker."""
        structure = [[b.kind, b.start, b.end, b.level, b.group] for b in self.blocks]
        payload = json.dumps([self.meta(), self.text, structure, chunk_config], sort_keys=True)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Chunk:
    doc_id: str
    index: int
    start: int
    end: int
    text: str
    section: str = ""  # heading path, "Title > Heading > Sub-heading"

    def chunk_id(self, doc_hash: str) -> str:
        return f"{self.doc_id}:{doc_hash}:{self.index:04d}"


@dataclass(frozen=True)
class LoadIssue:
    """A corpus file that was skipped or loaded with a caveat; builds report these."""

    path: str
    problem: str
    skipped: bool = True

    def __str__(self) -> str:
        verb = "skipped" if self.skipped else "warning"
        return f"{verb}: {self.path}: {self.problem}"


@dataclass
class LoadResult:
    documents: list[Document] = field(default_factory=list)
    issues: list[LoadIssue] = field(default_factory=list)
