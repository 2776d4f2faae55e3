"""Retrieval quality on a test set, on any corpus, per split (dev and held-out apart).

Methods, side by side on the same Chroma collection and the same chunks:
- dense: the stock llama-index vector retriever;
- bm25: our BM25 alone;
- llamaindex-hybrid: what a llama-index user would write, `QueryFusionRetriever` over
  llama-index's `BM25Retriever` and the vector retriever, reciprocal-rank fusion;
- fused: our dense + BM25 fusion without re-ranking;
- full: the whole pipeline (fusion, re-ranking, repeats dropped, neighbours merged);
- with `--compare-embedding MODEL`: dense, fused and full again with another embedding
  model, over its own index of the same chunks, in the same run.

A passage "hits" when it overlaps a reference context's span in the cleaned document. A
question asked with filters (a test set's `filters`, e.g. only German documents) is searched
with them by every method; llama-index's hybrid is scored on unfiltered questions only,
since its BM25Retriever takes no filters.
Answerability (the policy's refusals before generation) is scored beside it for the full
pipeline, and the evidence strength that best separates answerable from unanswerable
questions is reported (calibration is on dev splits only).
"""

from __future__ import annotations

import statistics
import time

from assistant.filters import allowed_documents
from benchmarks.common import (
    corpus_settings,
    ensure_index,
    percentiles,
    result_name,
    split_of,
    table,
    write_result,
)
from eval.references import overlaps, reference_spans
from eval.testsets import Sample, load_testset
from policyqa.settings import Settings

SPLITS = ("dev", "heldout")
METHODS = ("dense", "bm25", "llamaindex-hybrid", "fused", "full")


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
    for t in candidates:
        acc = (sum(p >= t for p in pos) + sum(n < t for n in neg)) / max(1, len(pos) + len(neg))
        lower = max((x for x in candidates if x < t), default=t)
        margin = t - lower
        if (acc, margin) > (best[0], best[2]):
            best = (acc, (t + lower) / 2, margin)
    return best[1], best[0]


class Peers:
    """The stock llama-index retrievers over our Chroma collection and chunks."""

    def __init__(self, assistant, k: int):
        from llama_index.core import VectorStoreIndex
        from llama_index.core.llms import MockLLM
        from llama_index.core.retrievers import QueryFusionRetriever
        from llama_index.core.schema import TextNode
        from llama_index.retrievers.bm25 import BM25Retriever
        from llama_index.vector_stores.chroma import ChromaVectorStore

        snapshot = assistant.snapshot
        store = ChromaVectorStore(chroma_collection=assistant.retriever.store.collection)
        embed = assistant.retriever.embedder.llama_index_embedding()
        index = VectorStoreIndex.from_vector_store(store, embed_model=embed)
        self.index, self.k = index, k
        self.dense = index.as_retriever(similarity_top_k=k)
        nodes = [
            TextNode(text=snapshot.text(c), id_=c.id, metadata={"doc_id": c.doc_id, "start": c.start, "end": c.end})
            for c in snapshot.chunks
        ]
        bm25 = BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=k)
        # num_queries=1: no query generation, so the LLM is never called (MockLLM only
        # keeps llama-index from resolving its OpenAI default).
        self.hybrid = QueryFusionRetriever(
            [self.dense, bm25],
            similarity_top_k=k,
            num_queries=1,
            mode="reciprocal_rerank",
            use_async=False,
            llm=MockLLM(),
        )

    def dense_within(self, allowed: set[str] | None):
        """The vector retriever, restricted to these documents by a metadata filter."""
        if allowed is None:
            return self.dense
        from llama_index.core.vector_stores import FilterOperator, MetadataFilter, MetadataFilters

        only = MetadataFilter(key="doc_id", value=sorted(allowed) or [""], operator=FilterOperator.IN)
        return self.index.as_retriever(similarity_top_k=self.k, filters=MetadataFilters(filters=[only]))

    @staticmethod
    def ranked(nodes) -> list[tuple[str, int, int]]:
        return [(n.node.metadata["doc_id"], int(n.node.metadata["start"]), int(n.node.metadata["end"])) for n in nodes]


def evaluate(assistant, samples: list[Sample], methods=METHODS, peers: Peers | None = None) -> dict:
    from assistant import policy

    retriever = assistant.retriever
    snapshot = retriever.snapshot
    settings = assistant.settings
    k = settings.top_k
    peers = peers or (Peers(assistant, k) if {"dense", "llamaindex-hybrid"} & set(methods) else None)
    rows: dict[str, list[dict]] = {m: [] for m in methods}
    strengths: list[tuple[Sample, float, bool]] = []
    for sample in samples:
        analysis, full = assistant.search(sample.user_input, sample.history, sample.filters)
        spans = reference_spans(sample, snapshot)
        allowed = allowed_documents(snapshot, sample.filters)
        for method in methods:
            if method == "dense":
                ranked = peers.ranked(peers.dense_within(allowed).retrieve(analysis.query_text))
            elif method == "llamaindex-hybrid":
                if allowed is not None:
                    continue  # llama-index's BM25Retriever takes no filters: scored unfiltered only
                ranked = peers.ranked(peers.hybrid.retrieve(analysis.query_text))
            elif method == "bm25":
                ranked = [(c.doc_id, c.start, c.end) for c, _ in retriever.lexical(analysis.query_text, allowed, k)]
            else:
                found = full if method == "full" else retriever.retrieve(analysis, sample.filters, rerank_enabled=False)
                ranked = [(p.doc_id, p.start, p.end) for p in found.passages]
                if method == "full":
                    decision = policy.before(analysis, found.passages, found.strength, settings)
                    strengths.append((sample, found.strength, decision.answer))
            if sample.answerable and spans:
                row = {"id": sample.id, "split": sample.split, **rank_metrics(ranked[:k], spans)}
                row["group"] = language_group(analysis.language, {snapshot.documents[d].language for d, *_ in spans})
                rows[method].append(row)
    return {"rows": rows, "strengths": strengths}


def language_group(asked: str, evidence: set[str | None]) -> str:
    """A question's group for the per-language figures: its language, or "cross-language"
    when none of its evidence is in it."""
    known = {lang for lang in evidence if lang}
    return "cross-language" if known and asked not in known else asked


def by_language(rows: list[dict]) -> dict[str, dict]:
    """hit@3 and MRR of each language group (see `language_group`)."""
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(r.get("group", "?"), []).append(r)
    return {
        g: {"questions": len(part), **{m: round(statistics.mean(r[m] for r in part), 3) for m in ("hit@3", "mrr")}}
        for g, part in sorted(groups.items())
    }


def summarize(result: dict, split: str) -> list[dict]:
    out = []
    for method, rows in result["rows"].items():
        part = [r for r in rows if split == "all" or r["split"] == split]
        if not part:
            continue
        out.append(
            {
                "method": method,
                "questions": len(part),
                **{m: round(statistics.mean(r[m] for r in part), 3) for m in ("hit@1", "hit@3", "mrr", "all@3")},
                "misses@3": [r["id"] for r in part if not r["hit@3"]],
            }
        )
    gate = [(s, strength, ok) for s, strength, ok in result["strengths"] if split == "all" or s.split == split]
    full = next((r for r in out if r["method"] == "full"), None)
    if full is not None:
        full["by_language"] = by_language([r for r in result["rows"]["full"] if split == "all" or r["split"] == split])
    if gate and full is not None:
        answerable = [(strength, ok) for s, strength, ok in gate if s.answerable]
        unanswerable = [(strength, ok) for s, strength, ok in gate if not s.answerable]
        full["refused_unanswerable"] = f"{sum(not ok for _, ok in unanswerable)}/{len(unanswerable)}"
        full["false_refusals"] = f"{sum(not ok for _, ok in answerable)}/{len(answerable)}"
        threshold, accuracy = best_threshold([x for x, _ in answerable], [x for x, _ in unanswerable])
        full["best_strength_threshold"] = round(threshold, 3)
        full["best_strength_accuracy"] = round(accuracy, 3)
    return out


def latency(assistant, samples: list[Sample], repeats: int = 3) -> dict:
    times = []
    for _ in range(repeats):
        for s in samples:
            t0 = time.perf_counter()
            assistant.search(s.user_input, s.history, s.filters)
            times.append(time.perf_counter() - t0)
    return percentiles(times)


def side_by_side(alt: Settings, samples: list[Sample], summary: dict, methods, rename, gate: bool = True):
    """These methods again over another index (`alt`), their rows renamed and added to each
    split's summary; `gate`: with the answerability figures of its full pipeline. Returns
    the other assistant."""
    from assistant import Assistant

    ensure_index(alt)
    other = Assistant(alt, load_generator=False)
    got = evaluate(other, samples, methods=methods)
    if not gate:
        got["strengths"] = []
    for split in summary:
        extra = summarize(got, split)
        for row in extra:
            row["method"] = rename(row["method"])
        summary[split] += extra
        print(f"\n[{split}] over {alt.data_dir.name}")
        print(table(extra, ["method", "questions", "hit@1", "hit@3", "mrr", "all@3", "best_strength_threshold"]))
    return other


def run(settings: Settings, args) -> dict:
    from assistant import Assistant

    testset = getattr(args, "testset", None) or "gold"
    samples = load_testset(testset)
    settings = corpus_settings(settings, getattr(args, "corpus", None))
    ensure_index(settings)
    # The generator is loaded only if a question needs translating (assistant/translation.py).
    assistant = Assistant(settings, load_generator=False)
    settings = settings.override(embed_model=assistant.snapshot.embed_model)  # what `auto` picked
    result = evaluate(assistant, samples)
    splits = [s for s in SPLITS if split_of(samples, s)]
    summary = {split: summarize(result, split) for split in splits}
    for split in splits:
        print(f"\n{testset} [{split}] ({len(split_of(samples, split))} questions)")
        print(
            table(
                summary[split],
                [
                    "method",
                    "questions",
                    "hit@1",
                    "hit@3",
                    "mrr",
                    "all@3",
                    "refused_unanswerable",
                    "false_refusals",
                    "best_strength_threshold",
                ],
            )
        )
        for row in summary[split]:
            if row["method"] == "full" and len(row.get("by_language", {})) > 1:
                print("  full by language: " + "; ".join(f"{g} {v}" for g, v in row["by_language"].items()))
        if split == "dev":  # held-out misses are not read while tuning
            for row in summary[split]:
                if row["method"] == "full" and row["misses@3"]:
                    print(f"  full misses@3: {', '.join(row['misses@3'])}")
    if getattr(args, "compare_context", False):
        # Contextual indexing must pay for itself: the same pipeline over chunks indexed bare.
        bare = settings.override(contextual_chunks=False, data_dir=settings.data_dir / "bare-chunks")
        side_by_side(bare, samples, summary, ("full",), lambda m: f"{m} (no context)", gate=False)
    lat = latency(assistant, samples[:40])
    print(f"Assistant.search latency: {lat}")
    latencies = {settings.embed_model: lat}
    for model in [m for m in str(getattr(args, "compare_embedding", "") or "").split(",") if m]:
        # Another embedding model, side by side in this run: same chunks, its own index.
        from index.embedding import model_slug

        alt = settings.override(embed_model=model, data_dir=settings.data_dir / f"embed-{model_slug(model)}")
        other = side_by_side(alt, samples, summary, ("dense", "fused", "full"), lambda m: f"{m} [{model}]")
        latencies[model] = latency(other, samples[:40])
        print(f"Assistant.search latency with {model}: {latencies[model]}")
    out = {
        "testset": testset,
        "corpus": str(settings.corpus_dir),
        "documents": len(assistant.snapshot.documents),
        "chunks": len(assistant.snapshot.chunks),
        "settings": {
            k: getattr(settings, k)
            for k in ("top_k", "chunk_words", "contextual_chunks", "min_evidence", "novelty", "fusion", "embed_model")
        },
        "summary": summary,
        "latency": lat,
        "latency_by_model": latencies,
        "strengths": [
            {"id": s.id, "split": s.split, "answerable": s.answerable, "strength": round(x, 3), "passed": ok}
            for s, x, ok in result["strengths"]
        ],
        "questions_detail": {m: rows for m, rows in result["rows"].items()},
    }
    path = write_result(getattr(args, "output", None) or result_name("retrieval", testset), out)
    print(f"wrote {path}")
    return out
