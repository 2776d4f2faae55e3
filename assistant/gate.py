"""The evidence gate: refuse instead of handing weak passages to a generator.

Strength = the best passage's dense similarity blended with how much of the question's
content the top passages cover together. Numbers are left out of coverage: a question
may pose a number the corpus never states ("100%") and still be answerable. The
threshold (`POLICYQA_MIN_EVIDENCE`) is calibrated on the gold set's answerable vs
unanswerable questions (`policyqa bench retrieval`).

Strength cannot tell "how much is the licence fee for a VPN permit?" from a real question:
the passages are about VPN permits. But some questions ask for a kind of fact, an amount of
money or a length of time, that a passage either states or not (`missing_kind`): none of
the passages having one, the corpus cannot answer, whatever the overlap.
"""

from __future__ import annotations

import re
from typing import Iterable

from assistant.reranking import Candidate, coverage, query_terms
from index.lexical import tokenize
from index.snapshot import Snapshot

W_DENSE = 0.5


def evidence_strength(query: str, passages: list[Candidate], snapshot: Snapshot) -> float:
    if not passages:
        return 0.0
    tokens: set[str] = set()
    for c in passages[:3]:
        tokens.update(tokenize(snapshot.text_span(c.doc_id, c.start, c.end)))
    joint = coverage(query_terms(query), tokens, snapshot, skip_numbers=True)
    dense = max(max(c.dense or 0.0, 0.0) for c in passages)
    return W_DENSE * dense + (1 - W_DENSE) * joint


# A question asking for an amount of money or a length of time, and how passages state one.
_KINDS = {
    "an amount of money": (
        # (Not a bare "costs" or "charge": "does the pilot cut costs?", "who is in charge?".)
        re.compile(r"\bhow much\b[^?]*\b(?:fees?|costs?|prices?|pay|paid|charged?|money|budget)\b"
                   r"|\b(?:fees?|costs?|prices?)\b[^?]*\bhow much\b"
                   r"|\bwhat(?:['’]s|\s+is|\s+are|\s+was|\s+were)\s+(?:the\s+)?(?:[\w-]+\s+){0,3}(?:fees?|prices?|costs?|budget)\b"
                   r"|\b(?:registered|minimum|paid-in|initial)\s+capital\b", re.I),
        re.compile(r"[$€£¥]\s?\d|\b\d[\d,.]*\s*(?:million|billion|thousand)?\s*(?:yuan|renminbi|rmb|cny|dollars?|"
                   r"usd|euros?)\b|\b(?:rmb|cny|usd)\s?\d", re.I),
    ),
    "a length of time": (
        re.compile(r"\bhow long\b|\bhow many (?:hours|days|weeks|months|years)\b", re.I),
        re.compile(r"\b(?:\d+|an?|one|two|three|four|five|six|ten|several|few)\s+(?:working\s+|business\s+)?"
                   r"(?:hours?|days?|weeks?|months?|years?)\b(?!-on-)", re.I),
    ),
}


def missing_kind(question: str, texts: Iterable[str]) -> str | None:
    """The kind of fact the question asks for that no passage states, if any."""
    texts = list(texts)
    for kind, (asks, states) in _KINDS.items():
        if asks.search(question) and not any(states.search(t) for t in texts):
            return kind
    return None
