"""How answers, passages and documents look on the wire: one JSON shape for every API
(the chat API's `citations`, the MCP tools' results), and the plain-text source notes
for clients that show only text."""

from __future__ import annotations

from collections import Counter
from typing import Any

from assistant import Answer, Citation, Passage

SOURCES_HEADING = "\n\nSources:\n"


def source_json(passage: Passage) -> dict[str, Any]:
    return {
        "document": passage.doc_id,
        "title": passage.title,
        "section": passage.section,
        "publisher": passage.publisher,
        "date": passage.date,
        "url": passage.url,
        "language": passage.language,
    }


def citation_json(citation: Citation) -> dict[str, Any]:
    """marker, document, title, section, publisher, date, url, language, quote and its character span
    in the document (the whole passage where no single sentence was quoted)."""
    p = citation.passage
    quote = citation.quotes[0] if citation.quotes else None
    return {
        "marker": citation.marker,
        **source_json(p),
        "quote": quote.text if quote else p.text,
        "start": quote.start if quote else p.start,
        "end": quote.end if quote else p.end,
        "quotes": [q.model_dump() for q in citation.quotes],
        "passage": {"text": p.text, "start": p.start, "end": p.end, "score": p.score},
    }


def passage_json(passage: Passage) -> dict[str, Any]:
    return {**source_json(passage), "text": passage.text, "start": passage.start, "end": passage.end}


def source_notes(answer: Answer) -> str:
    """The numbered source notes appended to an answer's text."""
    if not answer.citations:
        return ""
    lines = []
    for c in answer.citations:
        quote = " … ".join(q.text for q in c.quotes)
        line = f"[{c.marker}] {c.passage.byline}"
        if quote:
            line += f': "{quote}"'
        if c.passage.url:
            line += f" <{c.passage.url}>"
        lines.append(line)
    return SOURCES_HEADING + "\n".join(lines)


def answer_json(answer: Answer) -> dict[str, Any]:
    """The whole Answer, as the REST API sends it (the Python API's object, in JSON)."""
    return answer.model_dump(mode="json")


def status_json(answer: Answer) -> dict[str, Any]:
    return {
        "status": answer.status,
        "verdict": answer.verdict,
        "standalone_query": answer.standalone_query,
        "backend": answer.backend,
        "fallback_reason": answer.fallback_reason,
        "notes": answer.notes,
    }


def documents_json(snapshot) -> list[dict[str, Any]]:
    """Every indexed document's metadata and number of chunks, by id."""
    counts = Counter(chunk.doc_id for chunk in snapshot.chunks)
    return [
        {
            "id": doc.id,
            "title": doc.title,
            "publisher": doc.publisher,
            "date": doc.date,
            "url": doc.url,
            "language": doc.language,
            "source": doc.source,
            "chunks": counts[doc.id],
        }
        for doc in sorted(snapshot.documents.values(), key=lambda d: d.id)
    ]
