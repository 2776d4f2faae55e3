"""`policyqa index build|status`."""

from __future__ import annotations

import json
from pathlib import Path

from index.progress import progress_bar
from policyqa.settings import Settings


def register(sub) -> None:
    index = sub.add_parser("index", help="build or inspect the index").add_subparsers(dest="action", required=True)
    build = index.add_parser("build", help="index the corpus (incremental)")
    build.add_argument("--corpus", type=Path, help="corpus folder (default: POLICYQA_CORPUS_DIR)")
    build.add_argument("--rebuild", action="store_true", help="ignore the existing index and re-embed everything")
    build.set_defaults(handler=run_build)
    status = index.add_parser("status", help="what is indexed")
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=run_status)


def run_build(args, settings: Settings) -> int:
    from index import build_index

    if args.corpus:
        settings = settings.override(corpus_dir=args.corpus)
    print(f"indexing {settings.corpus_dir} into {settings.index_dir}")
    report = build_index(settings, rebuild=args.rebuild, progress=progress_bar())
    print(report.summary())
    return 0


def run_status(args, settings: Settings) -> int:
    from index import open_snapshot
    from index.store import describe

    snap = open_snapshot(settings)
    info = {
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
