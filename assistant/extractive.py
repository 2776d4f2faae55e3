"""The answer without an LLM: the evidence's best sentences, quoted exactly, each cited.

Used when the user picks the `extractive` backend for instant answers, and as the
fallback whenever a generator is unavailable, fails, or produces nothing that survives
verification. Sentences are chosen greedily: the most relevant first, then ones that
cover question terms the earlier ones did not (a rule in one passage, the fact it
applies to in another). When the question asks for a value (a number, a date, ...), the
best sentence stating one of that kind leads. A yes/no verdict is given only when a
stated limit decides it (assistant/limits.py, applied by the policy).
"""

from __future__ import annotations

import numpy as np

from assistant.analysis import QueryAnalysis
from assistant.prompts import MAX_SENTENCES
from assistant.values import states_kind
from assistant.verification import EvidenceIndex, VerifiedClaim, content_tokens
from index.chunking import SECTION_SEPARATOR
from index.language import word_count

MIN_WORDS = 4
RELATIVE_FLOOR = 0.5  # later sentences must score at least this share of the best
W_SIMILARITY, W_LEXICAL, W_SPECIFIC, W_RANK = 0.5, 0.5, 0.15, 0.1


def unit_scores(query: str, specific: set[str], index: EvidenceIndex) -> np.ndarray:
    """How well each sentence of the evidence matches the query: embedding similarity,
    query-term coverage, the question's names and numbers, and the passage's rank. Lines
    without end punctuation (headings, datelines) and the passage's own headings (its
    section path names them, "8. Termination." too) count less than sentences: a heading
    names a topic, it states nothing."""
    sims = index.similarities(query)
    scores = np.zeros(len(index.units), dtype=np.float32)
    count = max(len(index.passages), 1)
    headings = [p.section.split(SECTION_SEPARATOR) for p in index.passages]  # once per passage
    for i, unit in enumerate(index.units):
        tokens = index.unit_tokens[i]
        query_tokens = index.tokens_as(query, unit.passage)
        lexical = len(query_tokens & tokens) / len(query_tokens) if query_tokens else 0.0
        bonus = W_SPECIFIC if specific & tokens else 0.0
        rank = W_RANK * (1 - (unit.passage - 1) / count)
        text = unit.text.strip()
        heading = bool(text) and any(part.endswith(text) for part in headings[unit.passage - 1])
        headline = 0.7 if heading or text[-1:] not in ".!?:;”\"')。！？：；" else 1.0
        scores[i] = (W_SIMILARITY * float(sims[i]) + W_LEXICAL * lexical + bonus + rank) * headline
    return scores


def _specific(analysis: QueryAnalysis) -> set[str]:
    return {t for word in (*analysis.names, *analysis.numbers) for t in content_tokens(word)}


def extract(analysis: QueryAnalysis, index: EvidenceIndex, within: set[int] | None = None) -> list[VerifiedClaim]:
    """The evidence's best sentences for the question (`within`: only these passages)."""
    if not index.units:
        return []
    query = analysis.query_text
    scores = unit_scores(query, _specific(analysis), index)
    order = sorted(range(len(index.units)), key=lambda i: -scores[i])
    if within is not None:
        order = [i for i in order if index.units[i].passage in within]
        if not order:
            return []
    if analysis.asks_for_value:
        # The best sentence that states a value of the kind asked for leads, if it is relevant.
        stating = [
            i for i in order if states_kind(index.units[i].text, analysis.kind, index.language_of(index.units[i]))
        ]
        if stating and scores[stating[0]] >= RELATIVE_FLOOR * scores[order[0]]:
            order.remove(stating[0])
            order.insert(0, stating[0])
    chosen: list[int] = []
    covered: set[str] = set()
    seen_texts: set[str] = set()
    best = float(scores[order[0]])
    for i in order:
        unit = index.units[i]
        if word_count(unit.text) < MIN_WORDS or unit.text in seen_texts:
            continue
        tokens = index.unit_tokens[i]
        query_tokens = index.tokens_as(query, unit.passage)
        if chosen:
            if scores[i] < RELATIVE_FLOOR * best:
                break
            gain = (tokens & query_tokens) - covered
            if not gain:
                continue
            if any(
                len(tokens & index.unit_tokens[j]) / max(len(tokens | index.unit_tokens[j]), 1) > 0.6 for j in chosen
            ):
                continue
        chosen.append(i)
        covered |= tokens & query_tokens
        seen_texts.add(unit.text)
        if len(chosen) >= MAX_SENTENCES or (query_tokens and covered >= query_tokens):
            break
    return [
        VerifiedClaim(text=u.text, markers=[u.passage], quotes={u.passage: u}) for u in (index.units[i] for i in chosen)
    ]


def focus_texts(analysis: QueryAnalysis, index: EvidenceIndex, budget_words: int) -> list[str]:
    """Each passage cut down to its sentences most relevant to the query, within a word
    budget for all passages together: the generator's context stays short (prompt
    processing is most of the time to first token on a CPU). Every passage keeps its
    best sentence; kept sentences stay in document order, gaps marked with "…".
    """
    if not index.units:
        return [p.text for p in index.passages]
    scores = unit_scores(analysis.query_text, _specific(analysis), index)
    order = sorted(range(len(index.units)), key=lambda i: -scores[i])
    keep: set[int] = set()
    used = 0
    for n in range(1, len(index.passages) + 1):  # the best sentence of every passage first
        best = next((i for i in order if index.units[i].passage == n), None)
        if best is not None:
            keep.add(best)
            used += word_count(index.units[best].text)
    for i in order:
        if i in keep:
            continue
        words = word_count(index.units[i].text)
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
