"""Where a test sample's reference contexts sit in the indexed documents.

A gold reference context is a verbatim excerpt of a cleaned document; a retrieved
passage "hits" it when their character spans overlap. The retrieval benchmark and the
ID-based ragas metrics both use this, so the definition lives in one place.
"""

from __future__ import annotations

from collections.abc import Iterable

from eval.testsets import Sample

Span = tuple[str, int, int]  # (doc_id, start, end) in the cleaned document text


def locate(text: str, context: str) -> tuple[int, int] | None:
    """Character span of `context` in `text`, tolerating collapsed whitespace."""
    start = text.find(context)
    if start < 0:
        squeezed = " ".join(context.split())
        start = text.find(squeezed)
        context = squeezed
    return (start, start + len(context)) if start >= 0 else None


def document(snapshot, ref: str):
    """A test set's reference to a document: its id, or its path in the corpus folder."""
    doc = snapshot.documents.get(ref)
    if doc is None:
        doc = next((d for d in snapshot.documents.values() if d.source == ref), None)
    return doc


def reference_spans(sample: Sample, snapshot) -> list[Span]:
    """Spans of the sample's reference contexts that were found (in listed documents)."""
    spans = []
    for ctx in sample.reference_contexts:
        for ref in sample.reference_doc_ids:
            doc = document(snapshot, ref)
            found = locate(doc.text, ctx) if doc else None
            if found:
                spans.append((doc.id, *found))
                break
    return spans


def find_in_corpus(snapshot, context: str) -> Span | None:
    """Where `context` sits in any document (the first, by id), or None."""
    for doc_id in sorted(snapshot.documents):
        found = locate(snapshot.documents[doc_id].text, context)
        if found:
            return (doc_id, *found)
    return None


def evidence_spans(sample: Sample, snapshot) -> list[Span]:
    """The reference spans plus the sample's restatements (`also_stated_in`), found in
    any document: what a precise citation may point at."""
    found = (find_in_corpus(snapshot, ctx) for ctx in sample.also_stated_in)
    return reference_spans(sample, snapshot) + [span for span in found if span]


def overlaps(a: Span, b: Span) -> bool:
    return a[0] == b[0] and a[1] < b[2] and b[1] < a[2]


def reference_ids(spans: list[Span]) -> list[str]:
    return [f"ref{n}" for n in range(len(spans))]


def retrieved_ids(passages: Iterable, spans: list[Span]) -> list[str]:
    """One id per retrieved passage: the id of the first reference span it overlaps,
    else its own span key (which matches no reference). With `reference_ids`, ragas's
    IDBasedContextRecall is the share of reference contexts retrieved and
    IDBasedContextPrecision the share of passages that hold a reference context."""
    ids = []
    for p in passages:
        span = (p.doc_id, p.start, p.end)
        hit = next((n for n, ref in enumerate(spans) if overlaps(span, ref)), None)
        ids.append(f"ref{hit}" if hit is not None else f"{p.doc_id}:{p.start}-{p.end}")
    return ids
