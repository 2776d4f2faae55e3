"""Documents users manage: remove or replace one, and check that a removed one is gone.

The corpus folder is the source of truth and the build is incremental, so removing a
document is taking its file out of the folder and rebuilding; replacing it is putting the
new file in its place and rebuilding. Nothing is deleted outright: the file taken out is
moved under `<data_dir>/removed/<time>/`, keeping its path, so a mistaken removal can be
undone by moving it back. After the rebuild, `leftovers` checks (does not assume) that no
chunk of the document is in the snapshot, in BM25 or in the vector store.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from index.snapshot import Snapshot
from policyqa.errors import DocumentNotFoundError
from policyqa.settings import Settings

REMOVED_SUBDIR = "removed"


def source_path(settings: Settings, snapshot: Snapshot, doc_id: str) -> Path:
    """The file a document was read from, inside the corpus folder."""
    doc = snapshot.documents.get(doc_id)
    if doc is None or not doc.source:
        raise DocumentNotFoundError(f"no document {doc_id!r} in the index")
    root = Path(settings.corpus_dir).resolve()
    path = (root / doc.source).resolve()
    if root not in path.parents or not path.is_file():
        raise DocumentNotFoundError(f"the file of {doc_id!r} ({doc.source}) is not in the corpus folder")
    return path


def set_aside(settings: Settings, path: Path, keep: bool = False) -> Path:
    """Move (or, with `keep`, copy) a corpus file under <data_dir>/removed/<time>/, keeping
    its relative path."""
    rel = path.resolve().relative_to(Path(settings.corpus_dir).resolve())
    target = Path(settings.data_dir) / REMOVED_SUBDIR / time.strftime("%Y%m%d-%H%M%S") / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    (shutil.copy2 if keep else shutil.move)(str(path), str(target))
    return target


def remove_document(settings: Settings, snapshot: Snapshot, doc_id: str) -> Path:
    """Take a document's file out of the corpus folder (set aside, see the module
    docstring); the next build drops its chunks. Returns where the file went."""
    return set_aside(settings, source_path(settings, snapshot, doc_id))


def replace_document(settings: Settings, snapshot: Snapshot, doc_id: str, data: bytes) -> Path:
    """Put new bytes in place of a document's file (the old one set aside); the next
    build re-reads it. The new file is written beside it and renamed over it, so the
    folder never holds half a file. Returns where the old file was set aside."""
    path = source_path(settings, snapshot, doc_id)
    fresh = path.with_name(f".{path.name}.replacing")
    fresh.write_bytes(data)
    kept = set_aside(settings, path, keep=True)
    os.replace(fresh, path)
    return kept


@dataclass(frozen=True)
class Leftovers:
    """What of a removed document an index still holds."""

    chunks: int  # in the snapshot (BM25 is built over exactly these, row for chunk)
    bm25_rows: int  # BM25 rows beyond the snapshot's chunks
    vectors: int  # chunk vectors in the vector store
    sentence_vectors: int
    companion_vectors: int = 0  # chunks with English-model vectors (index/companion.py)

    @property
    def none(self) -> bool:
        return not (self.chunks or self.bm25_rows or self.vectors or self.sentence_vectors or self.companion_vectors)


def leftovers(settings: Settings, snapshot: Snapshot, doc_id: str, chunk_ids: set[str]) -> Leftovers:
    """Count what the index still holds of a document whose chunks were `chunk_ids`."""
    from index.store import VectorStore

    chunks = sum(1 for c in snapshot.chunks if c.doc_id == doc_id or c.id in chunk_ids)
    lexical, sentences = snapshot.lexical, snapshot.sentences
    return Leftovers(
        chunks=chunks,
        bm25_rows=max(0, lexical.size - len(snapshot.chunks)) if lexical is not None else 0,
        vectors=len(VectorStore(settings, snapshot.collection, snapshot.dim).ids() & chunk_ids),
        sentence_vectors=sum(1 for owner in sentences.owners if owner in chunk_ids) if sentences is not None else 0,
        companion_vectors=len(snapshot.companion.owners() & chunk_ids) if snapshot.companion is not None else 0,
    )
