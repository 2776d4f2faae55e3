"""How faithfully a document is read from a rendering (its PDF or HTML copy) compared with
the source it was rendered from, on any collection that holds both.

The pairs are the ones the loader's copy detection finds (index/copies.py: the same text
in two formats). For each, the rendering's headings are matched against the source's
(by their text), the innermost section of every chunk against the source's chunks', and
the whole text by edit distance. PDFs are read twice, by their page layout (the loader's
way, index/pdf.py) and as plain page text (the loader with the layout reading off), so
the two are compared on the same files.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from unittest import mock

from benchmarks.common import corpus_settings, table, write_result
from index.chunking import SECTION_SEPARATOR, chunk_document
from index.copies import find_copies
from index.documents import Document
from index.loading import corpus_files, load_file
from policyqa.settings import Settings

MAX_BYTES = 50_000_000


def _headings(doc: Document) -> Counter:
    return Counter(
        re.sub(r"[\W_]+", "", doc.text[b.start : b.end].casefold()) for b in doc.blocks if b.kind == "heading"
    )


def _innermost(doc: Document, words: int) -> set[str]:
    return {c.section.split(SECTION_SEPARATOR)[-1] for c in chunk_document(doc, words) if c.section}


def compare(source: Document, rendering: Document, words: int) -> dict:
    """The rendering's headings and sections against the source's, and text similarity."""
    from rapidfuzz.distance import Levenshtein

    want, got = _headings(source), _headings(rendering)
    sections = _innermost(source, words)
    return {
        "headings_source": sum(want.values()),
        "headings_read": sum(got.values()),
        "headings_right": sum((want & got).values()),
        "sections_kept": round(len(sections & _innermost(rendering, words)) / len(sections), 3) if sections else None,
        "text_similarity": round(Levenshtein.normalized_similarity(source.text, rendering.text), 4),
    }


def _load(path: Path, root: Path, layout: bool = True) -> Document | None:
    if layout:
        return load_file(path, root, MAX_BYTES)[0]
    import index.pdf

    with mock.patch.object(index.pdf, "pdf_pieces", lambda reader: []):  # the loader's plain-text fallback
        return load_file(path, root, MAX_BYTES)[0]


def _summary(rows: list[dict], reader: str) -> dict:
    right = sum(r["headings_right"] for r in rows)
    read = sum(r["headings_read"] for r in rows)
    source = sum(r["headings_source"] for r in rows)
    kept = [r["sections_kept"] for r in rows if r["sections_kept"] is not None]
    return {
        "reader": reader,
        "documents": len(rows),
        "heading_precision": round(right / read, 3) if read else None,
        "heading_recall": round(right / source, 3) if source else None,
        "sections_kept": round(sum(kept) / len(kept), 3) if kept else None,
        "text_similarity": round(sum(r["text_similarity"] for r in rows) / len(rows), 4) if rows else None,
    }


def run(settings: Settings, args) -> dict:
    settings = corpus_settings(settings, getattr(args, "corpus", None))
    root = settings.corpus_dir
    documents = [doc for path in corpus_files(root) if (doc := _load(path, root)) is not None]
    renderings = find_copies(documents).renderings
    by_source = {doc.source: doc for doc in documents}
    readers: dict[str, list[dict]] = {}
    for copy, original in sorted(renderings.items()):
        suffix = Path(copy).suffix.lower()
        ways = [("layout", True), ("plain text", False)] if suffix == ".pdf" else [("as loaded", True)]
        for way, layout in ways:
            read = _load(root / copy, root, layout)
            if read is None:
                continue
            row = {"rendering": copy, "source": original, **compare(by_source[original], read, settings.chunk_words)}
            readers.setdefault(f"{suffix[1:]}: {way}", []).append(row)
    summary = [_summary(rows, reader) for reader, rows in readers.items()]
    columns = ["reader", "documents", "heading_precision", "heading_recall", "sections_kept", "text_similarity"]
    print(table(summary, columns))
    result = {
        "corpus": str(root),
        "renderings": len(renderings),
        "summary": summary,
        "documents": {reader: rows for reader, rows in readers.items()},
    }
    print(f"wrote {write_result(args.output or 'renderings', result)}")
    return result
