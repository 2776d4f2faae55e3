"""The evidence gate: refuse instead of handing weak passages to a generator.

Strength = the best passage's dense similarity blended with how much of the question's
content the top passages cover together. Numbers are left out of coverage: a question
may pose a number the corpus never states ("100%") and still be answerable. The
threshold (`POLICYQA_MIN_EVIDENCE`) is calibrated on the gold set's answerable vs
unanswerable questions (`policyqa bench retrieval`).

Strength cannot tell "how much is the licence fee for a VPN permit?" from a real question:
the passages are about VPN permits. The retriever also refuses a question asking for a kind
of fact no passage states (assistant/fact_kinds.py).
"""

from __future__ import annotations

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
