"""Build side: load → clean → chunk → embed → store.

`build_index(settings)` is the entry point; `open_snapshot(settings)` is what the query
side reads. Nothing here imports `assistant`.
"""

from index.build import BuildReport, build_index
from index.snapshot import Snapshot, open_snapshot

__all__ = ["BuildReport", "Snapshot", "build_index", "open_snapshot"]
