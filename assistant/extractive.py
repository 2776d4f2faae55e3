"""The answer without an LLM: the evidence's best sentences, quoted exactly, each cited.

Used when the user picks the `extractive` backend for instant answers, and as the
fallback whenever a generator is unavailable, fails, or produces nothing that survives
verification. Sentences are chosen greedily: the most relevant first, then ones that
cover query words the earlier ones did not (so "the 50% cap" and "Wuhan is one of the
20 cities" are both picked for the Wuhan question). A yes/no verdict is given only when
a numeric limit in the evidence decides it; otherwise the quotes speak for themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assistant.prompts import MAX_SENTENCES
from assistant.verification import (
    EvidenceIndex,
    Unit,
    VerifiedClaim,
    check_verdict,
    content_tokens,
    names_in,
    numbers_in,
)

MIN_WORDS = 4
RELATIVE_FLOOR = 0.5  # later sentences must score at least this share of the best


@dataclass
class Extract:
    claims: list[VerifiedClaim]
    verdict: str | None = None
    verdict_note: str | None = None
    scores: list[float] | None = None


def _unit_scores(query: str, index: EvidenceIndex) -> np.ndarray:
    query_tokens = content_tokens(query)
    specific = {t for s in names_in(query) | numbers_in(query) for t in content_tokens(s)}
    vectors = index.unit_vectors
    sims = np.zeros(len(index.units), dtype=np.float32)
    if vectors is not None and index.embed is not None:
        sims = vectors @ np.asarray(index.embed([query]), dtype=np.float32)[0]
    scores = np.zeros(len(index.units), dtype=np.float32)
    count = max(len(index.passages), 1)
    for i, unit in enumerate(index.units):
        tokens = index.unit_tokens[i]
        lexical = len(query_tokens & tokens) / len(query_tokens) if query_tokens else 0.0
        bonus = 0.15 if specific & tokens else 0.0
        rank = 0.1 * (1 - (unit.passage - 1) / count)
        headline = 0.7 if unit.text.rstrip()[-1:] not in ".!?”\"')" else 1.0  # titles, datelines
        scores[i] = (0.5 * float(sims[i]) + 0.5 * lexical + bonus + rank) * headline
    return scores


def extract(question: str, standalone_query: str, index: EvidenceIndex, yes_no: bool = False) -> Extract:
    if not index.units:
        return Extract(claims=[])
    query = standalone_query or question
    scores = _unit_scores(query, index)
    query_tokens = content_tokens(query)
    order = sorted(range(len(index.units)), key=lambda i: -scores[i])
    chosen: list[int] = []
    covered: set[str] = set()
    seen_texts: set[str] = set()
    best = float(scores[order[0]])
    for i in order:
        unit = index.units[i]
        if len(unit.text.split()) < MIN_WORDS or unit.text in seen_texts:
            continue
        tokens = index.unit_tokens[i]
        if chosen:
            if scores[i] < RELATIVE_FLOOR * best:
                break
            gain = (tokens & query_tokens) - covered
            if not gain:
                continue
            if any(len(tokens & index.unit_tokens[j]) / max(len(tokens | index.unit_tokens[j]), 1) > 0.6 for j in chosen):
                continue
        chosen.append(i)
        covered |= tokens & query_tokens
        seen_texts.add(unit.text)
        if len(chosen) >= MAX_SENTENCES or (query_tokens and covered >= query_tokens):
            break
    units: list[Unit] = [index.units[i] for i in chosen]
    claims = [VerifiedClaim(text=u.text, markers=[u.passage], quotes={u.passage: u}) for u in units]
    verdict = note = None
    if yes_no:
        verdict, note, deciding = check_verdict(query, None, index, asked=question)
        if deciding is not None and all(deciding.text != u.text for u in units):
            claims.insert(0, VerifiedClaim(text=deciding.text, markers=[deciding.passage], quotes={deciding.passage: deciding}))
            claims = claims[:MAX_SENTENCES]
    return Extract(claims=claims, verdict=verdict, verdict_note=note, scores=[float(scores[i]) for i in chosen])


def focus_texts(query: str, index: EvidenceIndex, budget_words: int) -> list[str]:
    """Each passage cut down to its sentences most relevant to the query, within a word
    budget for all passages together: the generator's context stays short (prompt
    processing is most of the time to first token on a CPU). Every passage keeps its
    best sentence; kept sentences stay in document order, gaps marked with "…".
    """
    if not index.units:
        return [p.text for p in index.passages]
    scores = _unit_scores(query, index)
    order = sorted(range(len(index.units)), key=lambda i: -scores[i])
    keep: set[int] = set()
    used = 0
    for n in range(1, len(index.passages) + 1):  # the best sentence of every passage first
        best = next((i for i in order if index.units[i].passage == n), None)
        if best is not None:
            keep.add(best)
            used += len(index.units[best].text.split())
    for i in order:
        if i in keep:
            continue
        words = len(index.units[i].text.split())
        if used + words > budget_words:
            continue
        keep.add(i)
        used += words
    texts = []
    for n in range(1, len(index.passages) + 1):
        parts, previous = [], None
        for i, unit in enumerate(index.units):
            if unit.passage != n or i not in keep:
                continue
            if previous is not None and i != previous + 1:
                parts.append("…")
            parts.append(unit.text)
            previous = i
        texts.append(" ".join(parts) if parts else index.passages[n - 1].text)
    return texts
