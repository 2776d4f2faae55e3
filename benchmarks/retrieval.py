"""Retrieval quality on a test set (gold by default): dense-only (the stock llama-index retriever on the
same Chroma collection), BM25-only, fused (RRF) and the full pipeline (re-rank, merge,
gate); plus gate calibration, retrieval latency and a chunk-size sweep.

A passage "hits" when it overlaps a reference context's span in the cleaned document.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.common import percentiles, table, write_result
from eval.references import overlaps, reference_spans
from eval.testsets import Sample, load_testset
from policyqa.settings import Settings


def rank_metrics(ranked: list[tuple[str, int, int]], spans) -> dict:
    """ranked: (doc_id, start, end) best first."""
    first = next((i for i, p in enumerate(ranked) if any(overlaps(p, s) for s in spans)), None)
    covered3 = all(any(overlaps(p, s) for p in ranked[:3]) for s in spans)
    return {
        "hit@1": float(first is not None and first < 1),
        "hit@3": float(first is not None and first < 3),
        "mrr": 1.0 / (first + 1) if first is not None else 0.0,
        "all@3": float(covered3),
    }


def best_threshold(pos: list[float], neg: list[float]) -> tuple[float, float]:
    """Threshold maximising accuracy (answerable >= t, unanswerable < t); ties → widest margin."""
    candidates = sorted(set(pos + neg))
    best = (0.0, 0.0, 0.0)
    for i, t in enumerate(candidates):
        acc = (sum(p >= t for p in pos) + sum(n < t for n in neg)) / (len(pos) + len(neg))
        lower = max((x for x in candidates if x < t), default=t)
        margin = t - lower
        if (acc, margin) > (best[0], best[2]):
            best = (acc, (t + lower) / 2, margin)
    return best[1], best[0]


def evaluate(assistant, samples: list[Sample], methods: list[str]) -> dict:
    from index.lexical import tokenize  # noqa: F401  (warm the stemmer before timing)

    retriever = assistant.retriever
    snapshot = retriever.snapshot
    k = assistant.settings.top_k
    baseline = _stock_llamaindex(assistant) if "dense" in methods else None
    per_method: dict[str, list[dict]] = {m: [] for m in methods}
    gate: dict[str, list[float]] = {m: [] for m in methods}
    for sample in samples:
        query = assistant.standalone_query(sample.user_input, sample.history)
        spans = reference_spans(sample, snapshot)
        for method in methods:
            if method == "dense":
                nodes = baseline.retrieve(query)
                ranked = [(n.node.metadata["doc_id"], int(n.node.metadata["start"]), int(n.node.metadata["end"])) for n in nodes]
                strength = nodes[0].score if nodes else 0.0
            elif method == "bm25":
                hits = retriever.lexical(query, None, k)
                ranked = [(c.doc_id, c.start, c.end) for c, _ in hits]
                strength = hits[0][1] if hits else 0.0
            else:
                found = retriever.retrieve(query, rerank_enabled=method.startswith("full"))
                ranked = [(p.doc_id, p.start, p.end) for p in found.passages]
                if method.startswith("full"):
                    # (A question asking for a kind of fact no passage states is refused whatever its strength.)
                    strength = 0.0 if found.refusal and found.evidence >= retriever.settings.min_evidence else found.evidence
                else:
                    strength = found.passages[0].scores.get("dense", 0.0) if found.passages else 0.0
            gate[method].append(strength)
            if sample.answerable:
                per_method[method].append({"id": sample.id, **rank_metrics(ranked[:k], spans)})
    rows = []
    answerable = [s.answerable for s in samples]
    for method in methods:
        scores = per_method[method]
        pos = [g for g, a in zip(gate[method], answerable) if a]
        neg = [g for g, a in zip(gate[method], answerable) if not a]
        if method.startswith("full"):
            t = assistant.settings.min_evidence
            acc = (sum(p >= t for p in pos) + sum(n < t for n in neg)) / len(samples)
            refused_ok = sum(n < t for n in neg) / max(1, len(neg))
            false_refusals = sum(p < t for p in pos)
            suggested, best_acc = best_threshold(pos, neg)
        else:
            t, acc = best_threshold(pos, neg)  # the most generous threshold for the baseline
            refused_ok = sum(n < t for n in neg) / max(1, len(neg))
            false_refusals = sum(p < t for p in pos)
            suggested, best_acc = t, acc
        rows.append({
            "method": method,
            **{m: round(statistics.mean(r[m] for r in scores), 3) for m in ("hit@1", "hit@3", "mrr", "all@3")},
            "unanswerable_acc": round(acc, 3),
            "unanswerable_refused": round(refused_ok, 3),
            "false_refusals": false_refusals,
            "threshold": round(t, 3),
            "best_threshold": round(suggested, 3),
            "best_threshold_acc": round(best_acc, 3),
            "misses@3": [r["id"] for r in scores if not r["hit@3"]],
            "incomplete@3": [r["id"] for r in scores if not r["all@3"]],
            "answerable_strength_min": round(min(pos), 3) if pos else None,
            "unanswerable_strength_max": round(max(neg), 3) if neg else None,
        })
    return {"rows": rows}


def _stock_llamaindex(assistant):
    """The peer: what a user of llama-index would write over this Chroma collection."""
    from llama_index.core import VectorStoreIndex
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.vector_stores.chroma import ChromaVectorStore

    store = ChromaVectorStore(chroma_collection=assistant.retriever.store.collection)
    embed = HuggingFaceEmbedding(model_name=str(assistant.embedder.path), device="cpu")
    index = VectorStoreIndex.from_vector_store(store, embed_model=embed)
    return index.as_retriever(similarity_top_k=assistant.settings.top_k)


def latency(assistant, samples: list[Sample], repeats: int = 3) -> dict:
    times = []
    for _ in range(repeats):
        for s in samples:
            t0 = time.perf_counter()
            assistant.search(s.user_input, s.history)
            times.append(time.perf_counter() - t0)
    return percentiles(times)


def chunk_sweep(settings: Settings, samples: list[Sample], sizes: list[int]) -> list[dict]:
    from assistant import Assistant
    from index import build_index

    rows = []
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            s = settings.override(data_dir=Path(tmp), chunk_words=size, backend="extractive")
            build_index(s)
            assistant = Assistant(s, load_generator=False)
            result = evaluate(assistant, samples, ["dense", "full"])
            for row in result["rows"]:
                rows.append({"chunk_words": size, "chunks": len(assistant.snapshot.chunks), **row})
    return rows


def run(settings: Settings, args) -> dict:
    from assistant import Assistant

    testset = getattr(args, "testset", None) or "gold"
    samples = load_testset(testset)
    settings = settings.override(backend="extractive")
    assistant = Assistant(settings, load_generator=False)
    result = evaluate(assistant, samples, ["dense", "bm25", "fused", "full"])
    # The other fusion, measured side by side: the default is the one that wins here.
    other = "rrf" if settings.fusion == "score" else "score"
    alt = Assistant(settings.override(fusion=other), load_generator=False)
    for row in result["rows"]:
        if row["method"] in ("fused", "full"):
            row["method"] += f" ({settings.fusion})"
    for row in evaluate(alt, samples, ["fused", "full"])["rows"]:
        row["method"] += f" ({other})"
        result["rows"].append(row)
    # The re-ranker's newest step must pay for itself: the full pipeline without it.
    plain = Assistant(settings.override(novelty=0.0), load_generator=False)
    for row in evaluate(plain, samples, ["full"])["rows"]:
        row["method"] += f" ({settings.fusion}, no novelty)"
        result["rows"].append(row)
    result["latency_full"] = latency(assistant, samples)
    result["questions"] = {"answerable": sum(s.answerable for s in samples), "unanswerable": sum(not s.answerable for s in samples)}
    cols = ["method", "hit@1", "hit@3", "mrr", "all@3", "unanswerable_acc", "false_refusals", "threshold"]
    print(table(result["rows"], cols))
    print(f"full pipeline latency: {result['latency_full']}")
    for row in result["rows"]:
        if row["misses@3"]:
            print(f"  {row['method']} misses@3: {', '.join(row['misses@3'])}")
        if row["method"].startswith("full") and row["incomplete@3"]:
            print(f"  {row['method']} not all references in the top 3: {', '.join(row['incomplete@3'])}")
    sizes = [int(x) for x in (getattr(args, "chunk_sizes", "") or "").split(",") if x]
    if sizes:
        result["chunk_sweep"] = chunk_sweep(settings, samples, sizes)
        print(table(result["chunk_sweep"], ["chunk_words", "chunks", "method", "hit@1", "hit@3", "mrr", "all@3", "unanswerable_acc"]))
    name = "retrieval" if testset == "gold" else f"retrieval-{Path(testset).stem}"
    path = write_result(name, {"testset": testset, "settings": {"top_k": settings.top_k, "chunk_words": settings.chunk_words,
                                                   "min_evidence": settings.min_evidence,
                                                   "novelty": settings.novelty}, **result})
    print(f"wrote {path}")
    return result
