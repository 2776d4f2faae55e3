"""Changes users make to a collection, the same for every way in (the app, the REST API,
the command line): add documents, replace or remove one, rebuild; each a `Change` report.

The corpus folder is the source of truth and the build is incremental (index/build.py),
so every change is a change to the folder followed by a build:

- `add`: each file is checked and stored under `<corpus>/uploads` (index/uploads.py: type,
  content, size, a safe name, never overwriting); a file whose text is already indexed is
  not kept (a second copy would only displace or shadow the first); the build then reads
  the new files, and one it cannot use (a PDF without text) is taken out again, so it does
  not raise the same problem on every later build.
- `replace` / `remove`: index/manage.py (the old file is kept under `<data_dir>/removed`);
  after a removal, what the index still holds of the document is counted, not assumed
  gone.

A build already running elsewhere (the build lock) leaves the stored files to the next
build: nothing is lost, and the report says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from index.build import BuildReport, Progress, build_index
from index.loading import load_file
from index.manage import Leftovers, leftovers, remove_document, replace_document, source_path
from index.snapshot import Snapshot, open_snapshot
from index.uploads import Rejected, check_content, save_uploads
from policyqa.errors import BuildLockedError, IndexMissingError, InvalidUploadError, PolicyQAError
from policyqa.settings import Settings


@dataclass(frozen=True)
class Stored:
    """A file stored in the corpus folder, and the document the build made of it."""

    original: str  # the name it was sent under
    path: str  # relative to the corpus folder
    doc_id: str | None = None  # None: not (yet) indexed


@dataclass(frozen=True)
class Duplicate:
    """A file not kept because its text is already indexed."""

    original: str
    doc_id: str


@dataclass
class Change:
    """What one change to the collection did."""

    added: list[Stored] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    dropped: list[Rejected] = field(default_factory=list)  # stored, then unusable to the build: taken out
    replaced: str | None = None  # a document id
    removed: str | None = None
    kept_at: Path | None = None  # where a replaced or removed file was set aside
    build: BuildReport | None = None
    pending: str | None = None  # why the files stored are not indexed yet
    build_error: str | None = None
    left: Leftovers | None = None  # what the index still holds of a removed document
    removed_chunks: int = 0

    @property
    def indexed(self) -> bool:
        return self.build is not None

    def lines(self) -> list[str]:
        """The change as a log, one line per fact, for people."""
        out = [f"rejected: {r}" for r in self.rejected]
        out += [
            f"not added: {d.original} is already indexed, with the same text, as {d.doc_id}" for d in self.duplicates
        ]
        out += [f"stored: {s.original} -> {s.path}" for s in self.added]
        if self.removed:
            out.append(f"removed {self.removed}: its file is kept at {self.kept_at}")
        if self.replaced:
            out.append(f"replaced {self.replaced}; the old file is kept at {self.kept_at}")
        if self.pending:
            out.append(f"not indexed yet: {self.pending}. The files are stored and will be indexed by the next build.")
        if self.build_error:
            out.append(f"index build failed: {self.build_error}")
        if self.build is not None:
            out.append("index: " + self.build.summary())
        out += [f"not added: {d}" for d in self.dropped]
        if self.left is not None:
            out.append(
                f"checked: none of its {self.removed_chunks} chunk{'s' if self.removed_chunks != 1 else ''} is left "
                "in the index (snapshot, BM25, vectors)"
                if self.left.none
                else f"WARNING: the index still holds some of {self.removed}: {self.left}"
            )
        return out


def add(
    settings: Settings,
    files: Iterable[tuple[str, Path | bytes]],
    snapshot: Snapshot | None = None,
    progress: Progress | None = None,
) -> Change:
    """Check and store (name, path or bytes) files, then index them (module docstring)."""
    change = Change()
    result = save_uploads(files, settings.corpus_dir, max_upload_bytes(settings))
    change.rejected = result.rejected
    indexed = _indexed_texts(snapshot or _opened(settings)) if result.saved else {}
    fresh = []
    for saved in result.saved:
        copy_of = _indexed_copy(settings, saved.path, indexed)
        if copy_of is not None:
            saved.path.unlink(missing_ok=True)
            change.duplicates.append(Duplicate(saved.original, copy_of))
        else:
            fresh.append(Stored(saved.original, _relative(settings, saved.path)))
    if not fresh:
        return change
    _build(settings, change, progress)
    by_source = {doc.source: doc.id for doc in open_snapshot(settings).documents.values()} if change.indexed else {}
    skipped = {i.path: i.problem for i in change.build.issues if i.skipped} if change.indexed else {}
    for stored in fresh:
        if stored.path in skipped:
            (settings.corpus_dir / stored.path).unlink(missing_ok=True)
            change.dropped.append(Rejected(stored.original, skipped[stored.path]))
        else:
            change.added.append(Stored(stored.original, stored.path, by_source.get(stored.path)))
    return change


def replace(
    settings: Settings,
    doc_id: str,
    name: str,
    data: bytes,
    snapshot: Snapshot | None = None,
    progress: Progress | None = None,
) -> Change:
    """Put `data` (sent as file `name`) in place of a document's file, of the same type,
    then rebuild. Raises DocumentNotFoundError or InvalidUploadError before touching
    anything."""
    snapshot = snapshot or open_snapshot(settings)
    target = source_path(settings, snapshot, doc_id)
    if Path(name).suffix.lower() != target.suffix.lower():
        raise InvalidUploadError(
            f"a {target.suffix} document is replaced by a {target.suffix} file, not {Path(name).suffix or 'none'}"
        )
    problem = check_content(target.name, data, max_upload_bytes(settings))
    if problem:
        raise InvalidUploadError(problem)
    change = Change(replaced=doc_id, kept_at=replace_document(settings, snapshot, doc_id, data))
    _build(settings, change, progress)
    return change


def remove(
    settings: Settings, doc_id: str, snapshot: Snapshot | None = None, progress: Progress | None = None
) -> Change:
    """Take a document out of the collection, rebuild, and count what is left of it."""
    snapshot = snapshot or open_snapshot(settings)
    chunk_ids = {c.id for c in snapshot.chunks if c.doc_id == doc_id}
    kept_at = remove_document(settings, snapshot, doc_id)
    change = Change(removed=doc_id, kept_at=kept_at, removed_chunks=len(chunk_ids))
    _build(settings, change, progress)
    if change.indexed:
        change.left = leftovers(settings, open_snapshot(settings), doc_id, chunk_ids)
    return change


def rebuild(settings: Settings, progress: Progress | None = None) -> Change:
    """Index whatever changed in the corpus folder."""
    change = Change()
    _build(settings, change, progress)
    return change


def max_upload_bytes(settings: Settings) -> int:
    return int(settings.max_upload_mb * 1_000_000)


def _build(settings: Settings, change: Change, progress: Progress | None) -> None:
    try:
        change.build = build_index(settings, progress=progress)
    except BuildLockedError as exc:
        change.pending = str(exc)
    except PolicyQAError as exc:
        change.build_error = str(exc)


def _opened(settings: Settings) -> Snapshot | None:
    """The collection's index, or None before its first build."""
    try:
        return open_snapshot(settings)
    except IndexMissingError:
        return None


def _relative(settings: Settings, path: Path) -> str:
    return path.resolve().relative_to(Path(settings.corpus_dir).resolve()).as_posix()


def _indexed_texts(snapshot: Snapshot | None) -> dict[str, str]:
    """Each indexed document's cleaned text (white space squeezed) -> its id."""
    texts: dict[str, str] = {}
    for doc in snapshot.documents.values() if snapshot is not None else ():
        texts.setdefault(" ".join(doc.text.split()), doc.id)
    return texts


def _indexed_copy(settings: Settings, path: Path, indexed: dict[str, str]) -> str | None:
    """The id of an indexed document whose cleaned text this file's is, if any."""
    doc, _ = load_file(path, settings.corpus_dir, int(settings.max_document_mb * 1_000_000))
    return indexed.get(" ".join(doc.text.split())) if doc is not None else None
