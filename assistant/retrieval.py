"""Hybrid retrieval: dense (Chroma) + BM25, fused, then re-ranked.

Stages, each measured in `policyqa bench retrieval`:
  1. candidates: top `candidates` chunks from each retriever, after metadata filters
     (dense: an English question against the English chunks of a multilingual collection
     with the English model, index/companion.py);
  2. fusion: max-normalised score fusion (default) or reciprocal rank fusion;
  3. re-ranking (assistant/reranking.py): dense similarity, BM25 and query-term coverage
     (a passage in another language than the question's: dense similarity where higher);
     the question's names and numbers not yet covered by the passages above; repeats of a
     passage ranked above dropped, and translations of one (the question's language kept);
     adjacent chunks of one document merged;
  4. evidence strength: how well the passages together match the question, which the
     answerability policy (assistant/policy.py) weighs. Retrieval itself refuses nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cache

import numpy as np

from assistant.analysis import QueryAnalysis, content_terms
from assistant.filters import allowed_documents
from assistant.reranking import (
    Candidate,
    TermsFor,
    coverage,
    diversify,
    drop_repeats,
    drop_translations,
    merge_adjacent,
    rerank,
    tokens_of,
)
from assistant.types import Filters, Passage
from index.embedding import Embedder
from index.language import prompt_tokens
from index.lexical import tokenize
from index.snapshot import ChunkRecord, Snapshot
from index.store import VectorStore
from policyqa.settings import Settings

MAX_TOP_K = 50
W_STRENGTH_DENSE = 0.5  # evidence strength: best dense similarity vs joint coverage of the question


@dataclass
class DenseScores:
    """A question's dense similarities beyond what the vector store returns."""

    vector: np.ndarray  # the question embedded with the index's model
    in_memory: np.ndarray | None = None  # per chunk, computed in memory (-1: none): best sentence, companion
    routed: np.ndarray | None = None  # chunks scored by the companion model alone (index/companion.py)


@dataclass
class Retrieval:
    passages: list[Passage]
    strength: float  # evidence strength in [0, 1] (see `evidence_strength`)
    timings: dict[str, float] = field(default_factory=dict)


def evidence_strength(terms_for: TermsFor, ranked: list[Candidate], snapshot: Snapshot) -> float:
    """The best passage's dense similarity blended with how much of the question's content
    the top three passages cover together (those of one language together, the best
    language counting). Numbers are left out of coverage: a question may pose a number the
    documents never state ("can I carry over 300 hours?") and still be answerable."""
    if not ranked:
        return 0.0
    tokens: dict[str | None, set[str]] = {}
    for c in ranked[:3]:
        tokens.setdefault(snapshot.documents[c.doc_id].language, set()).update(tokens_of(c, snapshot))
    joint = max(coverage(terms_for(lang)[0], held, snapshot, skip_numbers=True) for lang, held in tokens.items())
    dense = max(max(c.dense or 0.0, 0.0) for c in ranked)
    return W_STRENGTH_DENSE * dense + (1 - W_STRENGTH_DENSE) * joint


class HybridRetriever:
    def __init__(
        self,
        settings: Settings,
        snapshot: Snapshot,
        store: VectorStore,
        embedder: Embedder,
        companion: Embedder | None = None,
    ):
        self.settings = settings
        self.snapshot = snapshot
        self.store = store
        self.embedder = embedder
        # The English model, for English questions against English chunks (index/companion.py).
        self.companion = companion if snapshot.companion is not None else None
        self._routed = (
            snapshot.companion.routed(snapshot.position, len(snapshot.chunks)) if self.companion is not None else None
        )

    # -- stage 1 ------------------------------------------------------------------
    def dense(self, scores: DenseScores, allowed: set[str] | None, n: int) -> list[tuple[ChunkRecord, float]]:
        """Top chunks by dense similarity: a chunk's own vector (Chroma) or, where the
        index has sentence vectors, its best sentence's, the better; a chunk the companion
        model scores (`scores.routed`), by that model's similarity alone."""
        if allowed is not None and not allowed:
            return []
        where = {"doc_id": {"$in": sorted(allowed)}} if allowed is not None else None
        # Over-fetch: vectors of an uncommitted or superseded generation are skipped.
        hits = self.store.query(scores.vector, min(2 * n + 10, max(1, len(self.snapshot.chunks))), where)
        position = self.snapshot.position
        routed = scores.routed
        found = {
            position[h.id]: float(self.embedder.calibrate(h.similarity))
            for h in hits
            if h.id in position and (routed is None or not routed[position[h.id]])
        }
        memory = scores.in_memory
        if memory is not None and len(memory):
            top = np.argpartition(-memory, min(n, len(memory) - 1))[:n]
            for i in top:
                if memory[i] > -1:
                    found[int(i)] = max(found.get(int(i), -1.0), float(memory[i]))
            for i in list(found):
                found[i] = max(found[i], float(memory[i]))
        ranked = sorted(found.items(), key=lambda kv: -kv[1])[:n]
        return [(self.snapshot.chunks[i], sim) for i, sim in ranked]

    def sentence_scores(self, vector: np.ndarray, allowed: set[str] | None) -> np.ndarray | None:
        """Each chunk's best sentence similarity (-1 where filtered out or none), or None."""
        sentences = self.snapshot.sentences
        if sentences is None:
            return None
        best = sentences.best_per_chunk(vector, self.snapshot.position, len(self.snapshot.chunks))
        best = np.where(best > -1, self.embedder.calibrate(best), -1.0)
        if allowed is not None:
            best = np.where(self._mask(allowed), best, -1.0)
        return best

    def companion_scores(self, query: str, language: str | None, allowed: set[str] | None) -> np.ndarray | None:
        """For a question in the companion model's language, that model's similarity of
        each chunk it scores (-1 elsewhere and where filtered out); otherwise None."""
        vectors = self.snapshot.companion
        if self.companion is None or vectors is None or language != vectors.language:
            return None
        query_vector = self.companion.embed_query(query)
        best = vectors.best_per_chunk(query_vector, self.snapshot.position, len(self.snapshot.chunks))
        best = np.where(best > -1, self.companion.calibrate(best), -1.0)
        if allowed is not None:
            best = np.where(self._mask(allowed), best, -1.0)
        return best

    def _mask(self, allowed: set[str]) -> np.ndarray:
        return np.fromiter((c.doc_id in allowed for c in self.snapshot.chunks), bool, len(self.snapshot.chunks))

    def lexical(self, query: str, allowed: set[str] | None, n: int) -> list[tuple[ChunkRecord, float]]:
        scores = self.snapshot.lexical.scores(query)
        if allowed is not None:
            scores = np.where(self._mask(allowed), scores, 0.0)
        if not len(scores):
            return []
        top = np.argpartition(-scores, min(n, len(scores) - 1))[:n]
        top = top[np.argsort(-scores[top])]
        return [(self.snapshot.chunks[i], float(scores[i])) for i in top if scores[i] > 0]

    def candidates(
        self,
        query: str,
        filters: Filters | None,
        lexical_query: str | None = None,
        language: str | None = None,
    ) -> tuple[list[Candidate], DenseScores, dict]:
        """Fused candidates, the question's dense similarities, timings. `language`: the
        question's, which picks the companion model's scores for the chunks it holds."""
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        allowed = allowed_documents(self.snapshot, filters)
        scores = DenseScores(self.embedder.embed_query(query))
        routed = self.companion_scores(query, language, allowed)
        timings["embed"] = time.perf_counter() - t0
        n = self.settings.candidates
        t0 = time.perf_counter()
        scores.in_memory = self.sentence_scores(scores.vector, allowed)
        if routed is not None:
            scores.routed = self._routed
            fallback = scores.in_memory if scores.in_memory is not None else np.full(len(routed), -1.0)
            scores.in_memory = np.where(self._routed, routed, fallback)
        dense = self.dense(scores, allowed, n)
        timings["dense"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        lexical = self.lexical(lexical_query or query, allowed, n)
        timings["bm25"] = time.perf_counter() - t0
        fused = (
            fuse_scores(dense, lexical)
            if self.settings.fusion == "score"
            else fuse(dense, lexical, self.settings.rrf_k)
        )
        return fused, scores, timings

    # -- all stages -----------------------------------------------------------------
    def retrieve(
        self,
        query: QueryAnalysis | str,
        filters: Filters | None = None,
        top_k: int | None = None,
        rerank_enabled: bool = True,
        novelty: float | None = None,
    ) -> Retrieval:
        """Passages for a question (its analysis, or plain text), best first."""
        top_k = min(max(1, top_k if top_k is not None else self.settings.top_k), MAX_TOP_K)
        analysis = query if isinstance(query, QueryAnalysis) else None
        text = analysis.dense_text if analysis else query
        terms_for = analysis.terms_for if analysis is not None else _plain_terms(text)
        language = analysis.query_language if analysis is not None else None
        fused, scores, timings = self.candidates(text, filters, analysis.lexical_text if analysis else None, language)
        t0 = time.perf_counter()
        if rerank_enabled and fused:
            self._fill_dense(fused, scores)
            ranked = rerank(terms_for, fused, self.snapshot, language)
            ranked = drop_repeats(ranked, self.snapshot)
            ranked = drop_translations(ranked, self.snapshot, self._similarities, language)
            ranked = diversify(
                _anchors(query), ranked, self.snapshot, self.settings.novelty if novelty is None else novelty
            )
            ranked = merge_adjacent(ranked, self.snapshot, top_k)
        else:
            ranked = fused[:top_k]
            for c in ranked:
                c.score = c.rrf / fused[0].rrf if fused else 0.0
        ranked = self._within_budget(ranked[:top_k])
        timings["rerank"] = time.perf_counter() - t0
        strength = evidence_strength(terms_for, ranked, self.snapshot)
        return Retrieval([self.to_passage(c) for c in ranked], strength, timings)

    def _fill_dense(self, candidates: list[Candidate], scores: DenseScores) -> None:
        """BM25-only candidates have no dense score yet: as `dense` scores them (their
        stored vector's or best sentence's, whichever is better; the companion model's)."""
        position = self.snapshot.position
        routed = scores.routed
        missing = [c for c in candidates if c.dense is None]
        stored_ids = [c.chunk.id for c in missing if routed is None or not routed[position[c.chunk.id]]]
        vectors = self.store.vectors(stored_ids) if stored_ids else {}
        memory = scores.in_memory
        for c in missing:
            i = position[c.chunk.id]
            if routed is not None and routed[i]:
                c.dense = float(memory[i])
                continue
            stored = vectors.get(c.chunk.id)
            c.dense = float(self.embedder.calibrate(np.dot(stored, scores.vector))) if stored is not None else 0.0
            if memory is not None:
                c.dense = max(c.dense, float(memory[i]))

    def _similarities(self, chunk_ids: list[str]) -> np.ndarray:
        """Calibrated cosines between the stored vectors of these chunks (a missing vector
        is a zero row: similar to nothing)."""
        stored = self.store.vectors(chunk_ids)
        matrix = np.zeros((len(chunk_ids), self.snapshot.dim), dtype=np.float32)
        for row, chunk_id in enumerate(chunk_ids):
            if (vector := stored.get(chunk_id)) is not None:
                matrix[row] = vector
        return np.asarray(self.embedder.calibrate(matrix @ matrix.T))

    def _within_budget(self, ranked: list[Candidate]) -> list[Candidate]:
        budget = self.settings.context_token_budget
        out, used = [], 0
        for c in ranked:
            cost = prompt_tokens(self.snapshot.text_span(c.doc_id, c.start, c.end))
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
            section=c.chunk.section,
            publisher=doc.publisher,
            date=doc.date,
            url=doc.url,
            source=doc.source,
            language=doc.language,
            text=doc.text[c.start : c.end],
            start=c.start,
            end=c.end,
            score=round(float(c.score), 4),
            scores={k: round(float(v), 4) for k, v in c.features().items()},
        )


def _plain_terms(text: str) -> TermsFor:
    """(terms, focus) of a plain-text query per language, each tokenised once."""

    @cache
    def terms_for(language: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
        terms = content_terms(text, language)
        return terms, terms

    return terms_for


def _anchors(query: QueryAnalysis | str) -> set[str]:
    """Stemmed names and numbers of the question: each may need a passage of its own."""
    if not isinstance(query, QueryAnalysis):
        return set()
    return {t for word in (*query.names, *query.numbers) for t in tokenize(word)}


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
