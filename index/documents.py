"""The records that flow through the build, and into the snapshot the query side reads."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Document:
    """A cleaned document. `text` is the text every chunk span points into."""

    id: str
    text: str
    title: str = ""
    publisher: str = ""
    date: str | None = None  # ISO yyyy-mm-dd
    url: str | None = None
    language: str | None = None
    source: str = ""  # file name, relative to the corpus folder

    def meta(self) -> dict:
        data = asdict(self)
        data.pop("text")
        return data

    def content_hash(self, chunk_config: str) -> str:
        """Changes whenever anything a chunk carries changes: text, metadata, chunker."""
        payload = json.dumps([self.meta(), self.text, chunk_config], sort_keys=True)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Chunk:
    doc_id: str
    index: int
    start: int
    end: int
    text: str

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
