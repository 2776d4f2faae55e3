"""Metadata filters, resolved against the snapshot's documents.

Resolving to a set of document ids once means dense (Chroma `where`) and BM25 (a mask)
apply exactly the same filter.
"""

from __future__ import annotations

import datetime as dt

from assistant.types import Filters
from index.language import normalise
from index.snapshot import Snapshot


def allowed_documents(snapshot: Snapshot, filters: Filters | None) -> set[str] | None:
    """Doc ids the filters allow; None means no restriction."""
    if filters is None or filters.is_empty():
        return None
    publishers = {p.casefold() for p in filters.publishers}
    languages = {normalise(code) or code.casefold() for code in filters.languages}
    out = set()
    for doc in snapshot.documents.values():
        if filters.doc_ids and doc.id not in filters.doc_ids:
            continue
        if publishers and doc.publisher.casefold() not in publishers:
            continue
        if languages and normalise(doc.language) not in languages:
            continue
        if filters.date_from or filters.date_to:
            if not doc.date:
                continue  # undated documents cannot satisfy a date range
            day = dt.date.fromisoformat(doc.date)
            if filters.date_from and day < filters.date_from:
                continue
            if filters.date_to and day > filters.date_to:
                continue
        out.add(doc.id)
    return out
