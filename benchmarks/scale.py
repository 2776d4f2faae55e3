"""How retrieval cost grows with the corpus: latency p50/p95 and memory at 1k, 10k and
100k chunks, with Chroma embedded in the process and as a `chroma run` server.

The chunks come from the synthetic corpus (benchmarks/synthetic.py), chunked by the real
chunker. `--real` of them (default 10,000) are embedded for real with the real model,
once, and cached under <data_dir>/bench-cache/scale/. Embedding 100k chunks would take
about an hour on 2 cores, so larger sizes are filled *honestly but cheaply*: chunk
i >= real reuses real chunk i mod real with its numbers and city names re-drawn (so BM25
sees a different text) and its vector perturbed by seeded Gaussian noise and
re-normalised (cosine ~0.9 to its source, like a paraphrase). What is measured at those
sizes is the search itself, which depends on the number and layout of vectors, not on
what they mean. Each size is a real index (snapshot + BM25 + Chroma collection), built
once and cached, and each measurement runs in a fresh process so memory is its own.

Measured per query: `dense` = Chroma top-n query (VectorStore.query), `bm25` = BM25
scores over every chunk plus top-n selection (LexicalIndex), `hybrid` = both, and
`retrieve` = the whole query path `assistant.Assistant.retrieve` (embed the question,
dense + BM25, fusion, re-rank, gate) when the assistant package is present.
"""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.common import percentiles, table, write_result
from benchmarks.synthetic import synthetic_text, vary
from policyqa.settings import PROJECT_ROOT, Settings

TARGET_P95_MS = 100.0
NOISE = 0.02  # per-dimension sigma: cos(v, normalize(v + noise)) ~ 0.9 for 384 dims
CHUNKS_PER_DOC = 10


# --- the synthetic chunks and their vectors -------------------------------------------------


def real_chunks(settings: Settings, count: int) -> list[str]:
    """The first `count` chunks of the synthetic corpus, cut by the real chunker."""
    from index.chunking import chunk_spans
    from index.cleaning import clean_text

    out: list[str] = []
    seed = 0
    while len(out) < count:
        text = clean_text(synthetic_text(1_000_000 + seed))
        out.extend(
            text[s.start : s.end] for s in chunk_spans(text, settings.chunk_words, settings.chunk_overlap_sentences)
        )
        seed += 1
    return out[:count]


def cache_dir(settings: Settings) -> Path:
    return settings.data_dir / "bench-cache" / "scale"


def real_vectors(settings: Settings, texts: list[str]) -> np.ndarray:
    """Embed once with the real model; later runs load the cached array."""
    from index.embedding import load_embedder, model_slug

    key = f"{model_slug(settings.embed_model)}-w{settings.chunk_words}-o{settings.chunk_overlap_sentences}-{len(texts)}"
    path = cache_dir(settings) / f"vectors-{key}.npy"
    if path.exists():
        return np.load(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    embedder = load_embedder(settings)
    started, done = time.perf_counter(), 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if done % 1024 < n or done == len(texts):
            rate = done / (time.perf_counter() - started)
            print(f"  embedded {done}/{len(texts)} chunks ({rate:.1f}/s)", flush=True)

    print(f"embedding {len(texts)} synthetic chunks once (cached in {path.parent})", flush=True)
    vectors = embedder.embed_documents(texts, progress=tick)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, vectors)
    os.replace(tmp, path)
    return vectors


def expand(texts: list[str], vectors: np.ndarray, size: int) -> tuple[list[str], np.ndarray]:
    """`size` chunks: the real ones, then derived ones (see the module docstring)."""
    real = len(texts)
    if size <= real:
        return texts[:size], vectors[:size]
    out_texts = list(texts)
    extra = np.empty((size - real, vectors.shape[1]), dtype=np.float32)
    for i in range(real, size):
        rng = random.Random(i)
        out_texts.append(vary(texts[i % real], rng))
        noise = np.random.default_rng(i).normal(0.0, NOISE, vectors.shape[1]).astype(np.float32)
        v = vectors[i % real] + noise
        extra[i - real] = v / np.linalg.norm(v)
    return out_texts, np.vstack([vectors, extra])


# --- one real index per size ----------------------------------------------------------------


def build_scale_index(settings: Settings, texts: list[str], vectors: np.ndarray) -> None:
    """Snapshot + BM25 + Chroma collection for these chunks, without re-embedding them."""
    from index.build import chunk_metadata, collection_name
    from index.documents import Document
    from index.lexical import LexicalIndex
    from index.snapshot import ChunkRecord, Snapshot, commit, now_iso, read_current
    from index.store import VectorStore, store_identity

    current = read_current(settings.index_dir)
    store = VectorStore(settings, collection_name(settings), vectors.shape[1])
    if current is not None and len(current.chunks) == len(texts) and store.count() == len(texts):
        return  # cached
    shutil.rmtree(settings.index_dir / "snapshots", ignore_errors=True)
    (settings.index_dir / "CURRENT").unlink(missing_ok=True)
    store.delete(sorted(store.ids()))
    docs, records, metas, ids = {}, [], [], []
    for first in range(0, len(texts), CHUNKS_PER_DOC):
        part = texts[first : first + CHUNKS_PER_DOC]
        doc_id = f"scale-{first // CHUNKS_PER_DOC:06d}"
        doc = Document(
            id=doc_id,
            text="\n".join(part),
            title=f"Synthetic notice {first // CHUNKS_PER_DOC}",
            publisher="Synthetic Daily",
            date=f"2025-{1 + first % 12:02d}-01",
            language="en",
            source=f"{doc_id}.md",
        )
        docs[doc_id] = doc
        start = 0
        for k, text in enumerate(part):
            cid = f"{doc_id}:bench:{k:04d}"
            records.append(ChunkRecord(cid, doc_id, k, start, start + len(text)))
            metas.append(chunk_metadata(doc, "bench", k, start, start + len(text)))
            ids.append(cid)
            start += len(text) + 1
    t0 = time.perf_counter()
    store.upsert(ids, vectors, texts, metas)
    upsert_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    lexical = LexicalIndex.build(texts)
    bm25_s = time.perf_counter() - t0
    snapshot = Snapshot(
        path=settings.index_dir,
        generation=1,
        built_at=now_iso(),
        embed_model=settings.embed_model,
        dim=int(vectors.shape[1]),
        chunk_config="bench",
        collection=store.name,
        store=store_identity(settings),
        documents=docs,
        doc_hashes={d: "bench" for d in docs},
        chunks=records,
        stats={"documents": len(docs), "chunks": len(records)},
    )
    commit(settings.index_dir, snapshot, lexical)
    print(f"  built a {len(texts)}-chunk index: Chroma upsert {upsert_s:.1f}s, BM25 {bm25_s:.1f}s", flush=True)


# --- measuring, in a fresh process ------------------------------------------------------------


def rss_mb(pid: int | str = "self") -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def questions(count: int) -> list[str]:
    path = PROJECT_ROOT / "eval" / "testsets" / "gold.jsonl"
    asked = [json.loads(line)["user_input"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [asked[i % len(asked)] for i in range(count)]


def measure(settings: Settings, queries: int) -> dict:
    """Runs in its own process: memory before/after opening the index, then timed queries."""
    import chromadb  # noqa: F401  (imports first, so the baseline holds them)
    import torch

    from index.embedding import load_embedder
    from index.snapshot import open_snapshot
    from index.store import VectorStore

    default_threads = torch.get_num_threads()
    embedder = load_embedder(settings)
    asked = questions(queries)
    torch.set_num_threads(1)  # untimed; see below for why one thread
    unique = {q: embedder.embed_query(q) for q in dict.fromkeys(asked)}
    torch.set_num_threads(default_threads)
    qvecs = [unique[q] for q in asked]
    baseline = rss_mb()
    t0 = time.perf_counter()
    snapshot = open_snapshot(settings)
    store = VectorStore(settings, snapshot.collection, snapshot.dim)
    n = settings.candidates
    for v in qvecs[:10]:  # warm: Chroma loads its HNSW index on first use
        store.query(v, 2 * n + 10)
    open_s = time.perf_counter() - t0
    timings: dict[str, list[float]] = {"dense": [], "bm25": [], "hybrid": []}
    for q, v in zip(asked, qvecs):
        t0 = time.perf_counter()
        hits = store.query(v, 2 * n + 10)  # what the retriever asks for
        t1 = time.perf_counter()
        scores = snapshot.lexical.scores(q)
        top = np.argpartition(-scores, min(n, len(scores) - 1))[:n]
        top[np.argsort(-scores[top])]
        t2 = time.perf_counter()
        assert hits
        timings["dense"].append(t1 - t0)
        timings["bm25"].append(t2 - t1)
        timings["hybrid"].append(t2 - t0)
    # Query embedding with torch's default threads and with one: on a busy CPU the
    # default (one per core) can be 10x slower for a single short query.
    for name, threads in (("embed", default_threads), ("embed_1_thread", 1)):
        torch.set_num_threads(threads)
        timings[name] = []
        for q in asked[:30]:
            t0 = time.perf_counter()
            embedder.embed_query(q)
            timings[name].append(time.perf_counter() - t0)
    torch.set_num_threads(default_threads)
    result = {
        "chunks": len(snapshot.chunks),
        "open_s": round(open_s, 2),
        "torch_threads": default_threads,
        "rss_mb": round(rss_mb(), 1),
        "index_rss_mb": round(rss_mb() - baseline, 1),
    }
    result.update({k: percentiles(v) for k, v in timings.items()})
    try:
        from assistant import Assistant
    except ImportError:
        return result
    assistant = Assistant(settings.override(backend="extractive"), load_generator=False)
    for name, threads, count in (("retrieve", default_threads, min(queries, 60)), ("retrieve_1_thread", 1, queries)):
        torch.set_num_threads(threads)
        for q in asked[:5]:
            assistant.retrieve(q)
        spent, stages = [], {}
        for q in asked[:count]:
            t0 = time.perf_counter()
            _, retrieval = assistant.search(q)
            spent.append(time.perf_counter() - t0)
            for stage, seconds in retrieval.timings.items():
                stages.setdefault(stage, []).append(seconds)
        result[name] = percentiles(spent)
        result[f"{name}_stages_p50_ms"] = {k: percentiles(v)["p50_ms"] for k, v in stages.items()}
    torch.set_num_threads(default_threads)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return result


def child_main() -> None:
    """`python -m benchmarks.scale <settings json> <queries>`: one measurement, JSON on stdout."""
    import policyqa  # noqa: F401

    settings = Settings.model_validate(json.loads(sys.argv[1]))
    print("RESULT " + json.dumps(measure(settings, int(sys.argv[2]))), flush=True)


def measure_in_child(settings: Settings, queries: int) -> dict:
    payload = json.dumps(settings.model_dump(mode="json", exclude={"chroma_token", "openai_api_key", "auth"}))
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.scale", payload, str(queries)],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
    )
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"measurement failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")


class Server:
    def __init__(self, path: Path):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        path.mkdir(parents=True, exist_ok=True)
        self.log = open(path.parent / "chroma-server.log", "wb")
        self.proc = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "chroma"),
                "run",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--path",
                str(path),
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
        )
        import urllib.request

        for _ in range(600):
            try:
                urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("chroma run did not start")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def run(settings: Settings, args) -> dict:
    sizes = [int(x) for x in str(getattr(args, "sizes", None) or "1000,10000,100000").split(",") if x]
    modes = [m for m in str(getattr(args, "modes", None) or "embedded,server").split(",") if m]
    queries = int(getattr(args, "queries", None) or 200)
    real = min(int(getattr(args, "real", None) or 10_000), max(sizes))
    from index.embedding import resolve_model

    # English synthetic chunks: the model `auto` picks for them.
    settings = settings.override(
        chroma_url=None, backend="extractive", embed_model=resolve_model(settings.embed_model, ())
    )
    texts = real_chunks(settings, real)
    vectors = real_vectors(settings, texts)
    print(
        f"{real} real chunks embedded; sizes {sizes}; modes {modes}; {queries} queries each; "
        f"load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    rows = []
    for mode in modes:
        server = Server(cache_dir(settings) / "server-db") if mode == "server" else None
        try:
            for size in sizes:
                s = settings.override(
                    data_dir=cache_dir(settings) / f"index-{mode}-{size}",
                    chroma_url=server.url if server else None,
                    collection_prefix=f"scale{size}",
                )
                # Keep the bench cache out of the settings copy: this data dir holds only the index.
                chunk_texts, chunk_vectors = expand(texts, vectors, size)
                build_scale_index(s, chunk_texts, chunk_vectors)
                got = measure_in_child(s, queries)
                got["server_rss_mb"] = round(rss_mb(server.proc.pid), 1) if server else None
                got.update({"mode": mode, "size": size, "load_avg": round(os.getloadavg()[0], 2)})
                rows.append(got)
                print(table([flatten(got)], COLUMNS), flush=True)
        finally:
            if server:
                server.stop()
    flat = [flatten(r) for r in rows]
    print()
    print(table(flat, COLUMNS))
    biggest = [r for r in rows if r["size"] == max(sizes)]
    targets = {
        f"{r['mode']}: hybrid search p95 at {r['size']} chunks": {
            "target": f"< {TARGET_P95_MS} ms",
            "value": r["hybrid"]["p95_ms"],
            "met": r["hybrid"]["p95_ms"] < TARGET_P95_MS,
        }
        for r in biggest
    }
    for r in biggest:
        for part in ("retrieve_1_thread", "retrieve"):
            if part in r:
                targets[
                    f"{r['mode']}: Assistant.retrieve p95 at {r['size']} chunks"
                    f" ({'1 torch thread' if part.endswith('thread') else 'default torch threads'})"
                ] = {
                    "target": f"< {TARGET_P95_MS} ms",
                    "value": r[part]["p95_ms"],
                    "met": r[part]["p95_ms"] < TARGET_P95_MS,
                }
    for name, t in targets.items():
        print(f"{name}: {t['value']} ms (target {t['target']}) {'met' if t['met'] else 'MISSED'}")
    result = {
        "real_chunks": real,
        "noise_sigma": NOISE,
        "queries": queries,
        "candidates": settings.candidates,
        "rows": rows,
        "targets": targets,
    }
    print(f"wrote {write_result('scale', result)}")
    return result


COLUMNS = [
    "mode",
    "size",
    "dense_p50",
    "dense_p95",
    "bm25_p50",
    "bm25_p95",
    "hybrid_p50",
    "hybrid_p95",
    "retrieve_1_thread_p50",
    "retrieve_1_thread_p95",
    "retrieve_p50",
    "retrieve_p95",
    "embed_p50",
    "embed_1_thread_p50",
    "rss_mb",
    "index_rss_mb",
    "server_rss_mb",
    "load_avg",
]


def flatten(r: dict) -> dict:
    out = {k: r.get(k) for k in ("mode", "size", "rss_mb", "index_rss_mb", "server_rss_mb", "open_s", "load_avg")}
    for part in ("dense", "bm25", "hybrid", "retrieve", "retrieve_1_thread", "embed", "embed_1_thread"):
        if part in r:
            out[f"{part}_p50"] = r[part]["p50_ms"]
            out[f"{part}_p95"] = r[part]["p95_ms"]
    return out


if __name__ == "__main__":
    child_main()
