"""The evidence gate: refuse instead of handing weak passages to a generator.

Strength = the best passage's dense similarity blended with how much of the question's
content the top passages cover together. Numbers are left out of coverage: a question
may pose a number the corpus never states ("100%") and still be answerable. The
threshold (`POLICYQA_MIN_EVIDENCE`) is calibrated on the gold set's answerable vs
unanswerable questions (`policyqa bench retrieval`).

Strength cannot tell "how much is the licence fee for a VPN permit?" from a real question:
the passages are about VPN permits. The retriever also refuses a question asking for a kind
of fact no passage states (assistant/fact_kinds.py), or about a thing the corpus never
mentions (`unmentioned`).
"""

from __future__ import annotations

import re

from assistant.condense import own_words
from assistant.reranking import NUMBER, Candidate, coverage, query_terms
from index.lexical import LexicalIndex, tokenize
from index.snapshot import Snapshot

W_DENSE = 0.5
# What a question is "for" or "about", up to the next preposition or the end of the clause.
_ABOUT = re.compile(r"\b(?:for|about|regarding|concerning)\s+(.+?)(?=\s+(?:in|on|at|of|to|from|by|with|under|"
                    r"within|among|across|per|and|or|but|that|which|who|when|if)\b|[,;:?!.()\"]|$)", re.I)


def evidence_strength(query: str, passages: list[Candidate], snapshot: Snapshot) -> float:
    if not passages:
        return 0.0
    tokens: set[str] = set()
    for c in passages[:3]:
        tokens.update(tokenize(snapshot.text_span(c.doc_id, c.start, c.end)))
    joint = coverage(query_terms(query), tokens, snapshot, skip_numbers=True)
    dense = max(max(c.dense or 0.0, 0.0) for c in passages)
    return W_DENSE * dense + (1 - W_DENSE) * joint


def unmentioned(question: str, lexical: LexicalIndex) -> str | None:
    """What the question asks about ("rules for operators bidding for 5G spectrum") when
    it is two or more words, none of them names, that the corpus never uses. One such word
    may be the corpus's own thing in other words ("licence" for "license", "ceiling" for
    "cap"), and a name may be answered by a list that lacks it ("does the cap apply in
    Lhasa?": no); two unknown words together name a thing the articles do not discuss."""
    for match in _ABOUT.finditer(own_words(question)):
        words = [w for w in re.findall(r"[\w’'-]+", match.group(1)) if tokenize(w) and not NUMBER.match(w)]
        if len(words) >= 2 and not any(w[0].isupper() or any(lexical.doc_freq.get(t) for t in tokenize(w))
                                       for w in words):
            return " ".join(words)
    return None
