"""Re-ranking without a cross-encoder (none ships offline here, see GUIDE.md).

A candidate's score mixes what each signal is good at: dense similarity (paraphrase),
BM25 (exact names and numbers) and query-term coverage (does the passage, with its
section path, mention what the question asks about, weighted by how rare each term is).
Past the best passage, a candidate that mentions the question's names or numbers that
the ones above it do not moves up (`diversify`: a question naming two things may need a
passage for each). A candidate repeating a passage ranked above it (the same text in
another version of a document) is dropped (`drop_repeats`), as is one translating it
into another language (`drop_translations`, the asker's language kept), and adjacent
chunks of one document are merged so that a rule and the list it applies to travel
together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from index.language import word_count
from index.lexical import tokenize
from index.snapshot import ChunkRecord, Snapshot

# The mix, chosen by the sum of MRR over the dev parts of every benchmark question set
# together (seed, 18F, Mozilla, multilingual; `policyqa bench retrieval`): a plateau from
# 0.55 to 0.65 on dense similarity, which beat 0.45 on every dev set but the multilingual.
W_DENSE, W_BM25, W_COVERAGE = 0.55, 0.20, 0.25
# A language -> the question's (terms, focus terms) stemmed as that language's chunks are.
TermsFor = Callable[[str | None], tuple[tuple[str, ...], tuple[str, ...]]]

NOVELTY_POOL = 10
MAX_MERGED_WORDS = 160
REPEAT = 0.8  # token-set overlap (Jaccard) above which a passage repeats one ranked above it
TRANSLATION = 0.7  # calibrated cosine from which passages in two languages say the same
TRANSLATION_POOL = 20  # head of the ranking searched for translations of one another


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
    tokens: frozenset[str] | None = None  # stemmed tokens of its text (and section path)

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


def tokens_of(c: Candidate, snapshot: Snapshot) -> frozenset[str]:
    """The candidate's tokens, computed once: its text, and its section path when chunks
    were indexed with it (what BM25 and the embedder saw). A whole chunk's are read from
    the BM25 index, which holds exactly those."""
    if c.tokens is None and snapshot.lexical is not None and (c.start, c.end) == (c.chunk.start, c.chunk.end):
        c.tokens = snapshot.lexical.chunk_terms(snapshot.position[c.chunk.id])
    if c.tokens is None:
        text = snapshot.text_span(c.doc_id, c.start, c.end)
        if snapshot.contextual:
            text = f"{snapshot.context(c.chunk)} {text}"
        c.tokens = frozenset(tokenize(text, snapshot.documents[c.doc_id].language))
    return c.tokens


def coverage(
    terms: tuple[str, ...] | list[str],
    text_tokens: frozenset[str] | set[str],
    snapshot: Snapshot,
    skip_numbers: bool = False,
) -> float:
    """IDF-weighted share of the query terms that appear in the text."""
    lexical = snapshot.lexical
    weights = {t: lexical.idf(t) for t in terms if not (skip_numbers and t[:1].isdigit())}
    total = sum(weights.values())
    if not total:
        return 0.0
    return sum(w for t, w in weights.items() if t in text_tokens) / total


def rerank(
    terms_for: TermsFor, candidates: list[Candidate], snapshot: Snapshot, language: str | None = None
) -> list[Candidate]:
    """Candidates by their mixed score. Coverage averages the question's terms with its
    main clause's (focus terms): context sentences around a question count, what it asks
    counts twice. Each candidate is matched with the terms stemmed its language's way.
    A candidate in another language than the question's (`language`) shares no words with
    it but names, so BM25 and coverage cannot show what it says: it keeps its dense
    similarity alone where that is higher than the mix."""
    top_bm25 = max((c.bm25 or 0.0 for c in candidates), default=0.0) or 1.0
    for c in candidates:
        own = snapshot.documents[c.doc_id].language
        terms, focus = terms_for(own)
        focus = focus or terms
        tokens = tokens_of(c, snapshot)
        c.coverage = 0.5 * coverage(terms, tokens, snapshot) + 0.5 * coverage(focus, tokens, snapshot)
        dense = max(c.dense or 0.0, 0.0)
        c.score = W_DENSE * dense + W_BM25 * (c.bm25 or 0.0) / top_bm25 + W_COVERAGE * c.coverage
        if language and own and own != language:
            c.score = max(c.score, dense)
    return sorted(candidates, key=lambda c: -c.score)


def drop_translations(
    ranked: list[Candidate],
    snapshot: Snapshot,
    similarity: Callable[[list[str]], np.ndarray],
    language: str | None,
) -> list[Candidate]:
    """One passage of each text that a collection holds in several languages: among
    passages of different languages whose vectors say the same (`similarity`: the
    calibrated cosines between the chunks given, at least `TRANSLATION`), the one in the
    question's language where there is one (it can be quoted to the asker), else the
    higher ranked, in the place of the higher ranked. Nothing to do when the head of the
    ranking is in one language."""
    head, tail = ranked[:TRANSLATION_POOL], ranked[TRANSLATION_POOL:]
    languages = [snapshot.documents[c.doc_id].language for c in head]
    if len(set(languages)) < 2:
        return ranked
    sims = similarity([c.chunk.id for c in head])
    kept: list[int] = []
    for i, c in enumerate(head):
        twin = next((j for j, k in enumerate(kept) if languages[k] != languages[i] and sims[i, k] >= TRANSLATION), None)
        if twin is None:
            kept.append(i)
        elif languages[i] == language and languages[kept[twin]] != language:
            c.score = head[kept[twin]].score
            kept[twin] = i
    return [head[i] for i in kept] + tail


def drop_repeats(ranked: list[Candidate], snapshot: Snapshot) -> list[Candidate]:
    """One passage of each text that several documents repeat (versions of a document,
    a text reused for a sibling product): the one of the most recently dated document
    (an older version's passage gives way to the current one's), else the higher ranked,
    in the place of the higher ranked."""
    kept: list[Candidate] = []
    for c in ranked:
        mine = tokens_of(c, snapshot)
        twin = next(
            (
                i
                for i, k in enumerate(kept)
                if k.doc_id != c.doc_id and _jaccard(mine, tokens_of(k, snapshot)) >= REPEAT
            ),
            None,
        )
        if twin is None:
            kept.append(c)
        elif _newer(c, kept[twin], snapshot):
            c.score = kept[twin].score
            kept[twin] = c
    return kept


def _newer(a: Candidate, b: Candidate, snapshot: Snapshot) -> bool:
    date_a, date_b = snapshot.documents[a.doc_id].date, snapshot.documents[b.doc_id].date
    return bool(date_a and date_b and date_a > date_b)


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def diversify(anchors: set[str], ranked: list[Candidate], snapshot: Snapshot, weight: float) -> list[Candidate]:
    """Re-order the head of the ranking: each next passage by its score plus `weight` times
    the IDF-weighted share of the question's anchors (stemmed names and numbers) that no
    passage above it mentions."""
    if weight <= 0 or len(ranked) < 3 or not anchors:
        return ranked
    lexical = snapshot.lexical
    weights = {t: lexical.idf(t) for t in anchors}
    total = sum(weights.values()) or 1.0
    head, tail = ranked[:NOVELTY_POOL], ranked[NOVELTY_POOL:]
    held = {id(c): tokens_of(c, snapshot) & set(weights) for c in head}
    out, covered = [head[0]], set(held[id(head[0])])
    rest = head[1:]
    while rest:
        best = max(rest, key=lambda c: c.score + weight * sum(weights[t] for t in held[id(c)] - covered) / total)
        rest.remove(best)
        out.append(best)
        covered |= held[id(best)]
    return out + tail


def merge_adjacent(ranked: list[Candidate], snapshot: Snapshot, top_k: int) -> list[Candidate]:
    """Fold a candidate into a kept passage of the same document it touches or overlaps;
    one that would make the passage too long stays a passage of its own."""
    kept: list[Candidate] = []
    for cand in ranked:
        host = next(
            (k for k in kept if k.doc_id == cand.doc_id and cand.start <= k.end + 1 and cand.end >= k.start - 1),
            None,
        )
        if host is not None:
            start, end = min(host.start, cand.start), max(host.end, cand.end)
            if word_count(snapshot.text_span(host.doc_id, start, end)) <= MAX_MERGED_WORDS:
                host.start, host.end = start, end
                host.merged.append(cand.chunk.id)
                host.tokens = None if host.tokens is None else host.tokens | tokens_of(cand, snapshot)
                continue
        if len(kept) < top_k:
            kept.append(cand)
    return kept
