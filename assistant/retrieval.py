"""Hybrid retrieval: dense (Chroma) + BM25, fused by reciprocal rank, then re-ranked.

Stages, each measured in `policyqa bench retrieval`:
  1. candidates: top `candidates` chunks from each retriever, after metadata filters;
  2. fusion: max-normalised score fusion (default) or reciprocal rank fusion;
  3. re-ranking (assistant/reranking.py): dense similarity, BM25 and query-term coverage;
     the question's names, dates and numbers not yet covered by the passages above; then
     adjacent chunks of one document are merged so a list split across chunks stays whole;
  4. the evidence gate (assistant/gate.py) decides whether the corpus answers at all:
     strong enough evidence, and a sentence stating the kind of fact asked for (a sum, a
     duration, an end date, a date, a share or cap, a count) near what it is asked about,
     as many names as the question asks for, or a member or smaller number of a group it
     picks from ("which of the 13 companies ...") (assistant/fact_kinds.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from assistant.filters import allowed_documents
from assistant.fact_kinds import missing_kind
from assistant.gate import evidence_strength, unmentioned
from assistant.reranking import Candidate, diversify, merge_adjacent, rerank
from assistant.types import Filters, Passage
from index.snapshot import ChunkRecord, Snapshot
from index.store import VectorStore
from policyqa.settings import Settings


MAX_TOP_K = 50


@dataclass
class Retrieval:
    passages: list[Passage]
    evidence: float
    answerable: bool
    timings: dict[str, float] = field(default_factory=dict)
    refusal: str = ""  # why the gate refused, when it did


class HybridRetriever:
    def __init__(
        self,
        settings: Settings,
        snapshot: Snapshot,
        store: VectorStore,
        embed_query: Callable[[str], np.ndarray],
    ):
        self.settings = settings
        self.snapshot = snapshot
        self.store = store
        self.embed_query = embed_query

    # -- stage 1 ------------------------------------------------------------------
    def dense(self, vector: np.ndarray, allowed: set[str] | None, n: int) -> list[tuple[ChunkRecord, float]]:
        if allowed is not None and not allowed:
            return []
        where = {"doc_id": {"$in": sorted(allowed)}} if allowed is not None else None
        # Over-fetch: vectors of an uncommitted or superseded generation are skipped.
        hits = self.store.query(vector, min(2 * n + 10, max(1, len(self.snapshot.chunks))), where)
        position = self.snapshot.position
        out = [(self.snapshot.chunks[position[h.id]], h.similarity) for h in hits if h.id in position]
        return out[:n]

    def lexical(self, query: str, allowed: set[str] | None, n: int) -> list[tuple[ChunkRecord, float]]:
        scores = self.snapshot.lexical.scores(query)
        if allowed is not None:
            mask = np.fromiter((c.doc_id in allowed for c in self.snapshot.chunks), bool, len(self.snapshot.chunks))
            scores = np.where(mask, scores, 0.0)
        if not len(scores):
            return []
        top = np.argpartition(-scores, min(n, len(scores) - 1))[:n]
        top = top[np.argsort(-scores[top])]
        return [(self.snapshot.chunks[i], float(scores[i])) for i in top if scores[i] > 0]

    def candidates(self, query: str, filters: Filters | None) -> tuple[list[Candidate], np.ndarray, dict]:
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        allowed = allowed_documents(self.snapshot, filters)
        vector = self.embed_query(query)
        timings["embed"] = time.perf_counter() - t0
        n = self.settings.candidates
        t0 = time.perf_counter()
        dense = self.dense(vector, allowed, n)
        timings["dense"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        lexical = self.lexical(query, allowed, n)
        timings["bm25"] = time.perf_counter() - t0
        if self.settings.fusion == "score":
            return fuse_scores(dense, lexical), vector, timings
        return fuse(dense, lexical, self.settings.rrf_k), vector, timings

    # -- all stages -----------------------------------------------------------------
    def retrieve(self, query: str, filters: Filters | None = None, top_k: int | None = None,
                 rerank_enabled: bool = True, novelty: float | None = None) -> Retrieval:
        top_k = min(max(1, top_k if top_k is not None else self.settings.top_k), MAX_TOP_K)
        fused, vector, timings = self.candidates(query, filters)
        t0 = time.perf_counter()
        if rerank_enabled and fused:
            self._fill_dense(fused, vector)
            ranked = rerank(query, fused, self.snapshot)
            ranked = diversify(query, ranked, self.snapshot, self.settings.novelty if novelty is None else novelty)
            ranked = merge_adjacent(ranked, self.snapshot, top_k)
        else:
            ranked = fused[:top_k]
            for c in ranked:
                c.score = c.rrf / fused[0].rrf if fused else 0.0
        ranked = self._within_budget(ranked[:top_k])
        timings["rerank"] = time.perf_counter() - t0
        evidence = evidence_strength(query, ranked, self.snapshot)
        passages = [self.to_passage(c) for c in ranked]
        if evidence < self.settings.min_evidence:
            refusal = f"evidence {evidence:.2f} is below the threshold {self.settings.min_evidence:.2f}"
        elif unknown := unmentioned(query, self.snapshot.lexical):
            refusal = f"the question asks about {unknown}, which the articles never mention"
        elif missing := missing_kind(query, passages, self.snapshot.lexical):
            refusal = str(missing)
        else:
            refusal = ""
        return Retrieval(passages, evidence, not refusal, timings, refusal)

    def _fill_dense(self, candidates: list[Candidate], vector: np.ndarray) -> None:
        """BM25-only candidates have no dense score yet: fetch their stored vectors."""
        missing = [c for c in candidates if c.dense is None]
        if not missing:
            return
        vectors = self.store.vectors([c.chunk.id for c in missing])
        for c in missing:
            stored = vectors.get(c.chunk.id)
            c.dense = float(np.dot(stored, vector)) if stored is not None else 0.0

    def _within_budget(self, ranked: list[Candidate]) -> list[Candidate]:
        budget = self.settings.context_token_budget
        out, used = [], 0
        for c in ranked:
            cost = int(len(self.snapshot.text_span(c.doc_id, c.start, c.end).split()) * 1.35)
            if out and used + cost > budget:
                break
            out.append(c)
            used += cost
        return out

    def to_passage(self, c: Candidate) -> Passage:
        doc = self.snapshot.documents[c.doc_id]
        return Passage(
            chunk_id=c.chunk.id,
            doc_id=doc.id,
            title=doc.title,
            publisher=doc.publisher,
            date=doc.date,
            url=doc.url,
            source=doc.source,
            text=doc.text[c.start:c.end],
            start=c.start,
            end=c.end,
            score=round(float(c.score), 4),
            scores={k: round(float(v), 4) for k, v in c.features().items()},
        )


def fuse(dense, lexical, rrf_k: int) -> list[Candidate]:
    """Reciprocal rank fusion of the two candidate lists."""
    by_id: dict[str, Candidate] = {}
    for rank, (chunk, sim) in enumerate(dense):
        cand = by_id.setdefault(chunk.id, Candidate(chunk))
        cand.dense, cand.dense_rank = sim, rank + 1
        cand.rrf += 1.0 / (rrf_k + rank + 1)
    for rank, (chunk, score) in enumerate(lexical):
        cand = by_id.setdefault(chunk.id, Candidate(chunk))
        cand.bm25, cand.bm25_rank = score, rank + 1
        cand.rrf += 1.0 / (rrf_k + rank + 1)
    return sorted(by_id.values(), key=lambda c: -c.rrf)


def fuse_scores(dense, lexical) -> list[Candidate]:
    """Score fusion: mean of max-normalised dense and BM25 scores (kept for comparison)."""
    fused = fuse(dense, lexical, rrf_k=60)
    top_dense = max((s for _, s in dense), default=0.0) or 1.0
    top_bm25 = max((s for _, s in lexical), default=0.0) or 1.0
    for c in fused:
        c.rrf = 0.5 * max(c.dense or 0.0, 0.0) / top_dense + 0.5 * (c.bm25 or 0.0) / top_bm25
    return sorted(fused, key=lambda c: -c.rrf)
