"""Re-ranking without a cross-encoder (none ships offline here, see GUIDE.md).

A candidate's score mixes what each signal is good at: dense similarity (paraphrase),
BM25 (exact names and numbers) and query-term coverage (does the passage mention what
the question asks about, weighted by how rare each term is). Weights were chosen on
the gold set (`policyqa bench retrieval`). Past the best passage, a candidate that
mentions the question's names, dates or numbers that the ones above it do not moves up
(`diversify`: "between September and February" needs the September passage, not a second
copy of the February one).
Adjacent chunks of one document are then merged so that a rule and the list it applies
to travel together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from index.lexical import tokenize
from index.snapshot import ChunkRecord, Snapshot

W_DENSE, W_BM25, W_COVERAGE = 0.45, 0.25, 0.30
NOVELTY_POOL = 10
MAX_MERGED_WORDS = 160
_FRAMING = frozenset(tokenize(
    "many much total number amount tell say said mention mentioned according article corpus "
    "text question know anything about please give list name"
))
NUMBER = re.compile(r"^\d[\d.,]*%?$")
# Names, dates and numbers past the question's first word: each may need a passage of its own.
ANCHOR = re.compile(r"(?<=\s)[A-Z][\w’'-]*|\b\d[\d.,]*%?")


@dataclass
class Candidate:
    chunk: ChunkRecord
    dense: float | None = None
    bm25: float | None = None
    dense_rank: int | None = None
    bm25_rank: int | None = None
    rrf: float = 0.0
    coverage: float = 0.0
    score: float = 0.0
    start: int = -1
    end: int = -1
    merged: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.start < 0:
            self.start, self.end = self.chunk.start, self.chunk.end

    @property
    def doc_id(self) -> str:
        return self.chunk.doc_id

    def features(self) -> dict[str, float]:
        out = {"rrf": self.rrf, "coverage": self.coverage}
        if self.dense is not None:
            out["dense"] = self.dense
        if self.bm25 is not None:
            out["bm25"] = self.bm25
        return out


def query_terms(query: str) -> list[str]:
    """Stemmed content terms a passage should mention; numbers count (they are facts)."""
    seen: dict[str, None] = {}
    for term in tokenize(query):
        if term not in _FRAMING:
            seen.setdefault(term)
    return list(seen)


def coverage(terms: list[str], text_tokens: set[str], snapshot: Snapshot, skip_numbers: bool = False) -> float:
    """IDF-weighted share of the query terms that appear in the text."""
    lexical = snapshot.lexical
    weights = {t: lexical.idf(t) for t in terms if not (skip_numbers and NUMBER.match(t))}
    total = sum(weights.values())
    if not total:
        return 0.0
    return sum(w for t, w in weights.items() if t in text_tokens) / total


def rerank(query: str, candidates: list[Candidate], snapshot: Snapshot) -> list[Candidate]:
    terms = query_terms(query)
    top_bm25 = max((c.bm25 or 0.0 for c in candidates), default=0.0) or 1.0
    for c in candidates:
        tokens = set(tokenize(snapshot.text_span(c.doc_id, c.start, c.end)))
        c.coverage = coverage(terms, tokens, snapshot)
        c.score = W_DENSE * max(c.dense or 0.0, 0.0) + W_BM25 * (c.bm25 or 0.0) / top_bm25 + W_COVERAGE * c.coverage
    return sorted(candidates, key=lambda c: -c.score)


def diversify(query: str, ranked: list[Candidate], snapshot: Snapshot, weight: float) -> list[Candidate]:
    """Re-order the head of the ranking: each next passage by its score plus `weight` times
    the IDF-weighted share of the question's anchors (names, dates, numbers) that no
    passage above it mentions. Weighting every query term instead cost the synthetic
    test set a hit (a broad question's passage lost to one with rarer words)."""
    if weight <= 0 or len(ranked) < 3:
        return ranked
    anchors = {t for word in ANCHOR.findall(query) for t in tokenize(word)}
    terms = [t for t in query_terms(query) if t in anchors]
    if not terms:
        return ranked
    lexical = snapshot.lexical
    weights = {t: lexical.idf(t) for t in terms}
    total = sum(weights.values()) or 1.0
    head, tail = ranked[:NOVELTY_POOL], ranked[NOVELTY_POOL:]
    tokens = {id(c): set(tokenize(snapshot.text_span(c.doc_id, c.start, c.end))) & set(weights) for c in head}
    out, covered = [head[0]], set(tokens[id(head[0])])
    rest = head[1:]
    while rest:
        best = max(rest, key=lambda c: c.score + weight * sum(weights[t] for t in tokens[id(c)] - covered) / total)
        rest.remove(best)
        out.append(best)
        covered |= tokens[id(best)]
    return out + tail


def merge_adjacent(ranked: list[Candidate], snapshot: Snapshot, top_k: int) -> list[Candidate]:
    """Fold a candidate into a kept passage of the same document it touches or overlaps;
    one that would make the passage too long stays a passage of its own (dropping it lost
    the list of the April 2025 measures, which overlaps the article's first chunk)."""
    kept: list[Candidate] = []
    for cand in ranked:
        host = next(
            (k for k in kept if k.doc_id == cand.doc_id and cand.start <= k.end + 1 and cand.end >= k.start - 1),
            None,
        )
        if host is not None:
            start, end = min(host.start, cand.start), max(host.end, cand.end)
            if len(snapshot.text_span(host.doc_id, start, end).split()) <= MAX_MERGED_WORDS:
                host.start, host.end = start, end
                host.merged.append(cand.chunk.id)
                continue
        if len(kept) < top_k:
            kept.append(cand)
    return kept
