"""`policyqa index build|status|add|remove`."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from index.progress import progress_bar
from policyqa.commands import add_corpus_option
from policyqa.settings import Settings


def register(sub) -> None:
    index = sub.add_parser("index", help="build or inspect the index").add_subparsers(dest="action", required=True)
    build = index.add_parser("build", help="index the corpus (incremental)")
    add_corpus_option(build)
    build.add_argument("--rebuild", action="store_true", help="ignore the existing index and re-embed everything")
    build.set_defaults(handler=run_build)
    status = index.add_parser("status", help="what is indexed")
    status.add_argument("--json", action="store_true")
    add_corpus_option(status)
    status.set_defaults(handler=run_status)
    listing = index.add_parser(
        "list", help="every index in the data directory: its folder, its size, and whether the folder is still there"
    )
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=run_list)
    add = index.add_parser("add", help="store files in the corpus folder (under uploads/) and index them")
    add.add_argument("files", nargs="+", type=Path)
    add_corpus_option(add)
    add.set_defaults(handler=run_add)
    remove = index.add_parser("remove", help="take a document out of the collection (its file is kept aside)")
    remove.add_argument("doc_id", help="the document's id, as `policyqa index status` lists it")
    add_corpus_option(remove)
    remove.set_defaults(handler=run_remove)


def run_build(args, settings: Settings) -> int:
    from index import build_index

    print(f"indexing {settings.corpus_dir} into {settings.index_dir}")
    report = build_index(settings, rebuild=args.rebuild, progress=progress_bar())
    print(report.summary())
    return 0


def run_add(args, settings: Settings) -> int:
    """Exit 0 when every file was added or is already indexed, 1 otherwise."""
    from index import collection

    change = collection.add(settings, [(path.name, path) for path in args.files], progress=progress_bar())
    print("\n".join(change.lines()))
    return 1 if change.rejected or change.dropped or change.build_error else 0


def run_remove(args, settings: Settings) -> int:
    """Exit 0 once the document is gone from the index, 1 otherwise."""
    from index import collection

    change = collection.remove(settings, args.doc_id, progress=progress_bar())
    print("\n".join(change.lines()))
    return 0 if change.left is not None and change.left.none else 1


def run_status(args, settings: Settings) -> int:
    from index import open_snapshot
    from index.store import describe

    snap = open_snapshot(settings)
    info = {
        "corpus": str(settings.corpus_dir),
        "index": str(settings.index_dir),
        "vectors": describe(settings),
        "generation": snap.generation,
        "built_at": snap.built_at,
        "embed_model": snap.embed_model,
        "chunking": snap.chunk_config,
        "documents": len(snap.documents),
        "chunks": len(snap.chunks),
    }
    if snap.companion is not None:  # index/companion.py
        english = len(snap.companion.chunks.owners)
        info["english_model"] = f"{snap.companion.model} ({english} {snap.companion.language} chunks)"
    if args.json:
        docs = [
            doc.meta() | {"chunks": sum(c.doc_id == doc.id for c in snap.chunks)} for doc in snap.documents.values()
        ]
        print(json.dumps(info | {"document_list": docs}, indent=2, ensure_ascii=False))
        return 0
    for key, value in info.items():
        print(f"{key:>13}: {value}")
    for doc in snap.documents.values():
        n = sum(c.doc_id == doc.id for c in snap.chunks)
        print(f"  - {doc.id} ({n} chunks) {doc.title or '(untitled)'} | {doc.publisher or '-'} | {doc.date or '-'}")
    return 0


def run_list(args, settings: Settings) -> int:
    from index.catalog import list_indexes

    entries = list_indexes(settings)
    if args.json:
        rows = [asdict(e) | {"folder_missing": e.folder_missing} for e in entries]
        print(json.dumps(rows, indent=2, ensure_ascii=False, default=str))
        return 0
    if not entries:
        print(f"no index under {settings.data_dir} yet")
    for e in entries:
        counts = f"{e.documents} documents, {e.chunks} chunks" if e.documents is not None else "unreadable"
        where = str(e.folder) if e.folder else "(folder not recorded)"
        if e.earlier_layout:
            where = "written by an earlier version of PolicyQA, not read any more: delete it to free the space"
        elif e.folder_missing:
            where += " (the folder is gone: delete this index to free the space)"
        mark = "*" if e.current else " "
        print(f"{mark} {e.index_dir}")
        print(f"    {where}")
        print(f"    {counts}, {e.size_bytes / 1e6:.1f} MB, built {e.built_at or '?'}")
    return 0
