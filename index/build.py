"""Incremental, crash-safe index build.

Order of work, chosen so that a kill at any point loses nothing:
  1. take the build lock (flock: released by the kernel if we die);
  2. load + clean the corpus, hash every document, diff against the committed generation;
  3. nothing changed → stop here (no model, no Chroma: a no-op costs a corpus read);
  4. embed new/changed documents and upsert their chunks (ids embed the content hash,
     so they never collide with the committed generation's chunks);
  5. build BM25 and commit the new generation (atomic CURRENT swap);
  6. delete vectors no committed generation uses (left by changes, removals, or a build
     killed before its commit).
A `GC_PENDING` file marks steps 4-6 in flight: if a build dies after its commit but
before step 6, the next build sweeps even when nothing else changed.
"""

from __future__ import annotations

import errno
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.catalog import record_folder
from index.chunking import chunk_config, chunk_document, indexed_text
from index.companion import LANGUAGE as COMPANION_LANGUAGE
from index.companion import CompanionVectors, companion_model
from index.documents import Document, LoadIssue
from index.lexical import TOKENIZER_VERSION, LexicalIndex
from index.loading import load_corpus
from index.sentences import SentenceVectors, sentence_texts
from index.snapshot import ChunkRecord, Snapshot, commit, now_iso, read_current
from policyqa.errors import BuildLockedError, IndexFormatError, PolicyQAError
from policyqa.settings import Settings

Progress = Callable[[str, int, int], None]  # (stage, done, total)
GC_PENDING = "GC_PENDING"
_WRITE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO}


@dataclass
class BuildReport:
    documents: int = 0
    chunks: int = 0
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    embedded_chunks: int = 0
    embed_model: str = ""  # what `auto` picked for this collection, or the model named
    deleted_vectors: int = 0
    seconds: float = 0.0
    generation: int = 0
    changed: bool = False
    issues: list[LoadIssue] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        head = (
            f"{self.documents} documents, {self.chunks} chunks "
            f"(added {len(self.added)}, updated {len(self.updated)}, removed {len(self.removed)}; "
            f"embedded {self.embedded_chunks} chunks with {self.embed_model or '?'}) in {self.seconds:.1f}s"
        )
        if not self.changed:
            head += " - index already up to date"
        return "\n".join([head, *(f"  {issue}" for issue in self.issues)])


def collection_name(settings: Settings) -> str:
    """One Chroma collection per model. An embedded store lives inside its corpus's index
    folder; on a server the collections of every corpus meet, so there the name carries
    the corpus's hash too."""
    from index.embedding import model_slug

    corpus = f"-{settings.corpus_digest}" if settings.chroma_url else ""
    return f"{settings.collection_prefix}{corpus}-{model_slug(settings.embed_model)}"[:63]


def check_writable(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-test-{os.getpid()}"
        probe.write_bytes(b"x" * 4096)
        probe.unlink()
    except OSError as exc:
        raise PolicyQAError(
            f"the data directory {folder} is not writable ({exc.strerror or exc}); "
            "free some space or point POLICYQA_DATA_DIR somewhere writable"
        ) from exc


@contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    path = index_dir / "build.lock"
    fh = open(path, "a+")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            owner = fh.read().strip() or "another process"
            raise BuildLockedError(f"another index build is running ({owner}); wait for it to finish") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}")
        fh.flush()
        yield
    finally:
        fh.close()


def chunk_metadata(doc: Document, doc_hash: str, index: int, start: int, end: int, section: str = "") -> dict:
    """What Chroma stores beside each vector: enough to filter and to cite without a join."""
    return {
        "doc_id": doc.id,
        "doc_hash": doc_hash,
        "chunk_index": index,
        "start": start,
        "end": end,
        "section": section,
        "title": doc.title,
        "publisher": doc.publisher,
        "date": doc.date or "",
        "url": doc.url or "",
        "source": doc.source,
        "language": doc.language or "",
    }


def build_index(
    settings: Settings,
    rebuild: bool = False,
    progress: Progress | None = None,
) -> BuildReport:
    from index.embedding import resolve_model
    from index.store import store_identity

    started = time.perf_counter()
    report = BuildReport()
    index_dir = settings.index_dir
    corpus = settings.corpus_dir
    if not corpus.is_dir():
        raise PolicyQAError(f"the corpus folder {corpus} does not exist; pass --corpus DIR or set POLICYQA_CORPUS_DIR")
    check_writable(index_dir)
    with build_lock(index_dir):
        record_folder(index_dir, corpus)
        try:
            current = None if rebuild else read_current(index_dir)
        except IndexFormatError:
            current = None  # written by another version: replaced whole
        config = chunk_config(
            settings.chunk_words,
            settings.chunk_overlap_sentences,
            settings.contextual_chunks,
            settings.sentence_vectors,
        )
        loaded = load_corpus(corpus, settings.max_document_mb)
        report.issues = loaded.issues
        report.timings["load"] = time.perf_counter() - started
        if not loaded.documents:
            # Most likely the wrong folder: keep the index rather than empty it.
            details = "".join(f"\n  {issue}" for issue in loaded.issues[:20])
            raise PolicyQAError(f"no documents could be loaded from {corpus}; the index was left as it was{details}")
        docs = {d.id: d for d in loaded.documents}
        settings = settings.override(
            embed_model=resolve_model(settings.embed_model, [d.language for d in docs.values()])
        )
        report.embed_model = settings.embed_model
        hashes = {d.id: d.content_hash(config + "|" + settings.embed_model) for d in loaded.documents}
        old_hashes = current.doc_hashes if current else {}
        same_collection = (
            current is not None
            and current.collection == collection_name(settings)
            and current.store == store_identity(settings)
        )
        if not same_collection:
            old_hashes = {}
        report.added = sorted(d for d in docs if d not in old_hashes)
        report.updated = sorted(d for d in docs if d in old_hashes and old_hashes[d] != hashes[d])
        report.removed = sorted(d for d in (current.doc_hashes if current else {}) if d not in docs)
        report.documents = len(docs)
        # BM25 from another tokeniser version is rebuilt (the vectors are kept).
        stale_lexical = current is not None and getattr(current.lexical, "version", None) != TOKENIZER_VERSION
        # So are the English model's vectors, where the collection's languages or the setting changed.
        companion = companion_model(settings.english_model, settings.embed_model, {d.language for d in docs.values()})
        stale_companion = current is not None and companion != (current.companion and current.companion.model)
        report.changed = (
            bool(report.added or report.updated or report.removed)
            or current is None
            or not same_collection
            or stale_lexical
            or stale_companion
        )
        if not report.changed:
            if (index_dir / GC_PENDING).exists():  # a build died between commit and cleanup
                report.deleted_vectors = _sweep(settings, current)
                (index_dir / GC_PENDING).unlink(missing_ok=True)
            report.chunks = len(current.chunks)
            report.generation = current.generation
            report.seconds = time.perf_counter() - started
            return report
        try:
            _write_generation(
                settings, current if same_collection else None, docs, hashes, config, companion, report, progress
            )
        except OSError as exc:  # disk full, read-only, permissions: the old generation stays
            if exc.errno not in _WRITE_ERRORS:
                raise
            raise PolicyQAError(
                f"writing the index under {index_dir} failed ({exc.strerror or exc}); the index committed "
                "before this build is unchanged. Free some space or fix permissions, then run "
                "`policyqa index build` again"
            ) from exc
    report.seconds = time.perf_counter() - started
    return report


def _sweep(settings: Settings, snapshot: Snapshot, store=None) -> int:
    """Delete every vector in the snapshot's collection that the snapshot does not use."""
    from index.store import VectorStore

    store = store or VectorStore(settings, snapshot.collection, snapshot.dim)
    stale = store.ids() - snapshot.chunk_ids()
    store.delete(sorted(stale))
    return len(stale)


def _write_generation(settings, current, docs, hashes, config, english_model, report, progress) -> None:
    """`current` is the committed generation if its vectors are in this collection, else
    None; `english_model`: the model the English chunks also take (index/companion.py), or None."""
    from index.embedding import load_embedder
    from index.store import VectorStore, store_identity

    t0 = time.perf_counter()
    embedder = load_embedder(settings)
    report.timings["model"] = time.perf_counter() - t0
    store = VectorStore(settings, collection_name(settings), embedder.dim)
    old_chunks: dict[str, list[ChunkRecord]] = {}
    if current is not None:
        for c in current.chunks:
            if current.doc_hashes.get(c.doc_id) == hashes.get(c.doc_id):
                old_chunks.setdefault(c.doc_id, []).append(c)

    records: list[ChunkRecord] = []
    pending_ids, pending_texts, pending_meta = [], [], []
    for doc_id in sorted(docs):
        doc = docs[doc_id]
        if doc_id in old_chunks:  # unchanged: its vectors are already stored
            records.extend(old_chunks[doc_id])
            continue
        for chunk in chunk_document(doc, settings.chunk_words, settings.chunk_overlap_sentences):
            cid = chunk.chunk_id(hashes[doc_id])
            records.append(ChunkRecord(cid, doc_id, chunk.index, chunk.start, chunk.end, chunk.section))
            pending_ids.append(cid)
            pending_texts.append(chunk.text)
            pending_meta.append(chunk_metadata(doc, hashes[doc_id], chunk.index, chunk.start, chunk.end, chunk.section))

    t0 = time.perf_counter()
    if progress:
        progress("embedding", 0, len(pending_texts))
    to_embed = pending_texts
    if settings.contextual_chunks:
        to_embed = [indexed_text(docs[m["doc_id"]].title, m["section"], t) for m, t in zip(pending_meta, pending_texts)]
    vectors = embedder.embed_documents(to_embed, progress=_counter(progress, "embedding", len(to_embed)))
    report.timings["embed"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    (settings.index_dir / GC_PENDING).write_text(store.name + "\n")
    if progress:
        progress("storing", 0, len(pending_ids))
    store.upsert(
        pending_ids, vectors, pending_texts, pending_meta, progress=_counter(progress, "storing", len(pending_ids))
    )
    report.timings["store"] = time.perf_counter() - t0
    report.embedded_chunks = len(pending_ids)

    t0 = time.perf_counter()
    sentences = (
        _sentence_vectors(settings, embedder, current, docs, records, progress) if settings.sentence_vectors else None
    )
    report.timings["sentences"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    companion = _companion_vectors(settings, english_model, current, docs, records, progress)
    report.timings["companion"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    lexical = LexicalIndex.build(
        [_indexed(settings, docs, r) for r in records], [docs[r.doc_id].language for r in records]
    )
    snapshot = Snapshot(
        path=settings.index_dir,
        generation=_next_generation(settings.index_dir),
        built_at=now_iso(),
        embed_model=settings.embed_model,
        dim=embedder.dim,
        chunk_config=config,
        collection=store.name,
        store=store_identity(settings),
        documents=docs,
        doc_hashes=hashes,
        chunks=records,
        stats={"documents": len(docs), "chunks": len(records)},
    )
    commit(settings.index_dir, snapshot, lexical, sentences=sentences, companion=companion)
    report.timings["commit"] = time.perf_counter() - t0

    # Garbage: anything in the collection the new generation does not use. This also
    # sweeps vectors upserted by a build that was killed before it committed.
    t0 = time.perf_counter()
    report.deleted_vectors = _sweep(settings, snapshot, store)
    (settings.index_dir / GC_PENDING).unlink(missing_ok=True)
    report.timings["cleanup"] = time.perf_counter() - t0
    report.chunks = len(records)
    report.generation = snapshot.generation


def _sentence_vectors(
    settings: Settings,
    embedder,
    current: Snapshot | None,
    docs: dict[str, Document],
    records: list[ChunkRecord],
    progress: Progress | None,
) -> SentenceVectors:
    """Sentence vectors for every chunk (index/sentences.py)."""
    old = current.sentences if current is not None else None
    return _owned_vectors(embedder, old, records, lambda r: _sentences_of(settings, docs, r), progress, "sentences")


def _companion_vectors(
    settings: Settings,
    model: str | None,
    current: Snapshot | None,
    docs: dict[str, Document],
    records: list[ChunkRecord],
    progress: Progress | None,
) -> CompanionVectors | None:
    """The English model's vectors of the English chunks and their sentences, where the
    collection takes them (`model`: see index/companion.py)."""
    from index.embedding import load_embedder

    if model is None:
        return None
    embedder = load_embedder(settings.override(embed_model=model))
    old = current.companion if current is not None else None
    if old is not None and (old.model, old.language) != (model, COMPANION_LANGUAGE):
        old = None
    mine = [r for r in records if docs[r.doc_id].language == COMPANION_LANGUAGE]

    def chunk_text(r: ChunkRecord) -> list[str]:
        return [_indexed(settings, docs, r)]

    chunks = _owned_vectors(embedder, old and old.chunks, mine, chunk_text, progress, "english chunks")
    if not settings.sentence_vectors:  # as the index's own: chunk vectors only
        return CompanionVectors(model, COMPANION_LANGUAGE, chunks, SentenceVectors.empty(embedder.dim))
    sentences = _owned_vectors(
        embedder, old and old.sentences, mine, lambda r: _sentences_of(settings, docs, r), progress, "english sentences"
    )
    return CompanionVectors(model, COMPANION_LANGUAGE, chunks, sentences)


def _indexed(settings: Settings, docs: dict[str, Document], r: ChunkRecord) -> str:
    """A chunk's text as it is embedded and BM25-indexed (index/chunking.py)."""
    doc = docs[r.doc_id]
    text = doc.text[r.start : r.end]
    return indexed_text(doc.title, r.section, text) if settings.contextual_chunks else text


def _sentences_of(settings: Settings, docs: dict[str, Document], r: ChunkRecord) -> list[str]:
    doc = docs[r.doc_id]
    return sentence_texts(doc.title, r.section, doc.text[r.start : r.end], settings.contextual_chunks)


def _owned_vectors(
    embedder,
    old: SentenceVectors | None,
    records: list[ChunkRecord],
    texts_of: Callable[[ChunkRecord], list[str]],
    progress: Progress | None,
    stage: str,
) -> SentenceVectors:
    """Vectors of some texts of each chunk, each row owned by its chunk: copied from the
    generation before for chunks it had (chunk ids embed the content hash), embedded for
    the rest."""
    old_rows = old.rows_of() if old is not None else {}
    rows: list[np.ndarray] = []
    owners: list[str] = []
    texts: list[str] = []
    new_owners: list[str] = []
    for r in records:
        if r.id in old_rows:
            rows += [old.vectors[i] for i in old_rows[r.id]]
            owners += [r.id] * len(old_rows[r.id])
            continue
        made = texts_of(r)
        texts += made
        new_owners += [r.id] * len(made)
    if progress:
        progress(stage, 0, len(texts))
    fresh = embedder.embed_documents(texts, progress=_counter(progress, stage, len(texts))) if texts else None
    parts = [np.asarray(rows, dtype=np.float32)] if rows else []
    if fresh is not None and len(fresh):
        parts.append(np.asarray(fresh, dtype=np.float32))
    vectors = np.vstack(parts) if parts else np.zeros((0, embedder.dim), dtype=np.float32)
    return SentenceVectors(vectors, owners + new_owners)


def _counter(progress: Progress | None, stage: str, total: int) -> Callable[[int], None]:
    """A batch callback that reports the running count of one stage."""
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(stage, done, total)

    return tick


def _next_generation(index_dir: Path) -> int:
    """After --rebuild or a corrupt CURRENT, never reuse a generation number."""
    snapshots = index_dir / "snapshots"
    numbers = [int(p.name[4:]) for p in snapshots.glob("gen-*") if p.name[4:].isdigit()] if snapshots.is_dir() else []
    return max(numbers, default=0) + 1
