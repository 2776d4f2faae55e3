"""The indexes in a data directory: one per corpus folder (`Settings.index_dir`). Each
records the folder it indexes, so `policyqa index list` can say what each one holds, how
much disk it takes, and whether its folder is still there (a moved or deleted folder
leaves an index nothing reads)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from index.snapshot import FORMAT_VERSION, current_marker
from policyqa.settings import Settings

FOLDER_FILE = "FOLDER"  # in an index folder: the corpus folder's path, one line


def record_folder(index_dir: Path, corpus: Path) -> None:
    (index_dir / FOLDER_FILE).write_text(f"{corpus}\n", encoding="utf-8")


@dataclass
class IndexEntry:
    index_dir: Path
    folder: Path | None  # None: built before folders were recorded
    documents: int | None  # None: unreadable, or written by another version of PolicyQA
    chunks: int | None
    built_at: str
    size_bytes: int
    current: bool  # the index of the settings' corpus folder
    earlier_layout: bool = False  # data_dir/index, from before indexes were kept per folder

    @property
    def folder_missing(self) -> bool:
        return self.folder is not None and not self.folder.is_dir()


def list_indexes(settings: Settings) -> list[IndexEntry]:
    """Every index under the data directory, the settings' own first."""
    dirs = sorted((settings.data_dir / "corpora").glob("*/index"))
    entries = [_entry(d, d == settings.index_dir) for d in dirs if (d / "CURRENT").exists()]
    earlier = settings.data_dir / "index"
    if (earlier / "CURRENT").exists():
        entries.append(_entry(earlier, False, earlier_layout=True))
    return sorted(entries, key=lambda e: not e.current)


def _entry(index_dir: Path, current: bool, earlier_layout: bool = False) -> IndexEntry:
    recorded = index_dir / FOLDER_FILE
    folder = Path(recorded.read_text(encoding="utf-8").strip()) if recorded.exists() else None
    summary = _summary(index_dir)
    return IndexEntry(
        index_dir=index_dir,
        folder=folder,
        documents=len(summary["documents"]) if summary else None,
        chunks=len(summary["chunks"]) if summary else None,
        built_at=summary.get("built_at", "") if summary else "",
        size_bytes=_size(index_dir),
        current=current,
        earlier_layout=earlier_layout,
    )


def _summary(index_dir: Path) -> dict | None:
    """The committed generation's snapshot.json (not its BM25 or vectors: a listing only
    counts), or None when it is unreadable or another version of PolicyQA wrote it."""
    try:
        marker = current_marker(index_dir)
        data = json.loads((index_dir / "snapshots" / str(marker) / "snapshot.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    ok = isinstance(data, dict) and data.get("format_version") == FORMAT_VERSION
    return data if ok and isinstance(data.get("documents"), list) and isinstance(data.get("chunks"), list) else None


def _size(folder: Path) -> int:
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total
