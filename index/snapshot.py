"""A committed index generation: documents, chunk spans and BM25, read as one unit.

The build writes a new generation beside the old one and then swaps the one-line
`CURRENT` file with an atomic rename. That rename is the commit: a build killed at any
point leaves `CURRENT` naming a complete generation, and readers always see one whole
generation, never a mix. Vectors live in Chroma, keyed by chunk ids that embed the
document's content hash, so old and new generations can share a collection safely.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from index.companion import CompanionVectors
from index.documents import Document
from index.glossary import Glossary
from index.language import normalise
from index.lexical import LexicalIndex
from index.sentences import SentenceVectors
from policyqa.errors import IndexCorruptError, IndexFormatError, IndexMissingError
from policyqa.settings import Settings

FORMAT_VERSION = 2  # 2: chunks carry their section path; ids are paths
REBUILD_HINT = "run `policyqa index build --rebuild` to rebuild it"


@dataclass(frozen=True)
class ChunkRecord:
    id: str
    doc_id: str
    index: int
    start: int
    end: int
    section: str = ""  # "Title > Heading > Sub-heading"


@dataclass
class Snapshot:
    path: Path
    generation: int
    built_at: str
    embed_model: str
    dim: int
    chunk_config: str
    collection: str
    documents: dict[str, Document]
    doc_hashes: dict[str, str]
    chunks: list[ChunkRecord]
    format_version: int = FORMAT_VERSION
    stats: dict = field(default_factory=dict)
    store: str = "embedded"  # index.store.store_identity of where the vectors are
    lexical: LexicalIndex | None = field(default=None, repr=False)
    sentences: SentenceVectors | None = field(default=None, repr=False)
    companion: CompanionVectors | None = field(default=None, repr=False)

    @cached_property
    def position(self) -> dict[str, int]:
        return {c.id: i for i, c in enumerate(self.chunks)}

    def text(self, chunk: ChunkRecord) -> str:
        return self.documents[chunk.doc_id].text[chunk.start : chunk.end]

    def text_span(self, doc_id: str, start: int, end: int) -> str:
        return self.documents[doc_id].text[start:end]

    @cached_property
    def document_languages(self) -> dict[str, str]:
        """Each document's language code ("zh" for "zh-CN"), where it is known."""
        return {doc_id: code for doc_id, doc in self.documents.items() if (code := normalise(doc.language))}

    @cached_property
    def glossary(self) -> Glossary:
        """The collection's acronyms and the names they stand for (index.glossary)."""
        return Glossary.build(doc.text for doc in self.documents.values())

    @cached_property
    def contextual(self) -> bool:
        """Whether chunks were indexed with their section path in front (index.chunking)."""
        return ":contextual=1" in self.chunk_config

    def context(self, chunk: ChunkRecord) -> str:
        """What a chunk is about: its section path, else its document's title."""
        return chunk.section or self.documents[chunk.doc_id].title

    def neighbours(self, chunk: ChunkRecord) -> tuple[ChunkRecord | None, ChunkRecord | None]:
        i = self.position[chunk.id]
        before = self.chunks[i - 1] if i > 0 and self.chunks[i - 1].doc_id == chunk.doc_id else None
        after = self.chunks[i + 1] if i + 1 < len(self.chunks) and self.chunks[i + 1].doc_id == chunk.doc_id else None
        return before, after

    def chunk_ids(self) -> set[str]:
        return set(self.position)

    def to_json(self) -> dict:
        return {
            "format_version": self.format_version,
            "generation": self.generation,
            "built_at": self.built_at,
            "embed_model": self.embed_model,
            "dim": self.dim,
            "chunk_config": self.chunk_config,
            "collection": self.collection,
            "store": self.store,
            "stats": self.stats,
            "documents": [{**doc.stored(), "hash": self.doc_hashes[doc.id]} for doc in self.documents.values()],
            "chunks": [[c.id, c.doc_id, c.index, c.start, c.end, c.section] for c in self.chunks],
        }

    @classmethod
    def from_json(cls, path: Path, data: dict) -> Snapshot:
        docs = {d["id"]: Document(**{k: v for k, v in d.items() if k != "hash"}) for d in data["documents"]}
        return cls(
            path=path,
            generation=data["generation"],
            built_at=data["built_at"],
            embed_model=data["embed_model"],
            dim=data["dim"],
            chunk_config=data["chunk_config"],
            collection=data["collection"],
            documents=docs,
            doc_hashes={d["id"]: d["hash"] for d in data["documents"]},
            chunks=[ChunkRecord(*row) for row in data["chunks"]],
            format_version=data["format_version"],
            stats=data.get("stats", {}),
            store=data.get("store", "embedded"),
        )


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_file(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def current_marker(index_dir: Path) -> str | None:
    """The committed generation's name: cheap to poll, so readers notice a new build."""
    try:
        # errors="replace": garbage here must become a clear "corrupt" error, not a crash.
        return (index_dir / "CURRENT").read_bytes().decode("utf-8", "replace").strip() or None
    except FileNotFoundError:
        return None


def read_current(index_dir: Path) -> Snapshot | None:
    marker = current_marker(index_dir)
    if marker is None:
        return None
    if not re.fullmatch(r"gen-\d{6,}", marker):
        raise IndexCorruptError(
            f"the index at {index_dir} is corrupt (CURRENT names {marker[:40]!r}, not a generation); {REBUILD_HINT}"
        )
    path = index_dir / "snapshots" / marker
    try:
        data = json.loads((path / "snapshot.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(f"the index at {index_dir} is corrupt ({exc}); {REBUILD_HINT}") from exc
    version = data.get("format_version") if isinstance(data, dict) else None
    if version != FORMAT_VERSION:
        # Another version's index (an upgrade) is replaced by a build; anything else is damage.
        error = IndexFormatError if isinstance(version, int) else IndexCorruptError
        raise error(
            f"the index at {index_dir} has format {version}, this PolicyQA reads format "
            f"{FORMAT_VERSION}; {REBUILD_HINT}"
        )
    try:
        snapshot = Snapshot.from_json(path, data)
        # Loaded now, not on first query: a later build may prune this generation.
        snapshot.lexical = LexicalIndex.load(path / "bm25")
        snapshot.sentences = SentenceVectors.load(path)
        snapshot.companion = CompanionVectors.load(path)
    except Exception as exc:
        raise IndexCorruptError(f"the index at {index_dir} is corrupt ({exc!r}); {REBUILD_HINT}") from exc
    return snapshot


def open_snapshot(settings: Settings) -> Snapshot:
    snapshot = read_current(settings.index_dir)
    if snapshot is None:
        raise IndexMissingError(
            f"{settings.corpus_dir} is not indexed yet (no index at {settings.index_dir}): "
            f"run `policyqa index build --corpus {settings.corpus_dir}` first"
        )
    return snapshot


def commit(
    index_dir: Path,
    snapshot: Snapshot,
    lexical: LexicalIndex,
    keep: int = 2,
    sentences: SentenceVectors | None = None,
    companion: CompanionVectors | None = None,
) -> Snapshot:
    """Write the generation completely, then point CURRENT at it; prune old ones."""
    snapshots = index_dir / "snapshots"
    snapshots.mkdir(parents=True, exist_ok=True)
    name = f"gen-{snapshot.generation:06d}"
    staging = snapshots / f".{name}.tmp-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    lexical.save(staging / "bm25")
    if sentences is not None:
        sentences.save(staging)
    if companion is not None:
        companion.save(staging)
    _write_file(staging / "snapshot.json", json.dumps(snapshot.to_json(), ensure_ascii=False))
    final = snapshots / name
    shutil.rmtree(final, ignore_errors=True)
    os.rename(staging, final)
    _fsync_dir(snapshots)
    pointer = index_dir / f".CURRENT.tmp-{os.getpid()}"
    _write_file(pointer, name + "\n")
    os.replace(pointer, index_dir / "CURRENT")
    _fsync_dir(index_dir)
    snapshot.path = final
    _prune(snapshots, keep_from=snapshot.generation - keep + 1)
    return snapshot


def _prune(snapshots: Path, keep_from: int) -> None:
    """Drop generations older than the last `keep` and staging left by killed builds."""
    for entry in snapshots.iterdir():
        if entry.name.startswith(".") and ".tmp-" in entry.name:
            shutil.rmtree(entry, ignore_errors=True)  # we hold the build lock: it is stale
        elif entry.name.startswith("gen-") and entry.name[4:].isdigit() and int(entry.name[4:]) < keep_from:
            shutil.rmtree(entry, ignore_errors=True)


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")
