"""Sentence-aware chunking that remembers where every chunk sits in its document.

A chunk is always `document.text[start:end]`, so a citation can quote and highlight
exactly the passage it rests on. Chunks start and end on sentence boundaries; a single
sentence longer than twice the target is cut at word boundaries rather than kept whole,
because the embedder would silently truncate it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.documents import Chunk, Document

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "co", "corp", "inc", "ltd", "no",
    "vs", "etc", "e.g", "i.e", "u.s", "u.k", "jan", "feb", "mar", "apr", "jun", "jul",
    "aug", "sep", "sept", "oct", "nov", "dec", "art", "sec", "para", "fig", "approx",
}
# End punctuation, optional closing quotes/brackets, whitespace, then a likely sentence
# start; after full-width CJK punctuation no space is needed (none is written).
_BOUNDARY = re.compile(
    r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9\u4e00-\u9fff])"
    r"|(?<=[。！？])[”’」』）]*\s*(?=\S)"
)
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def _is_abbreviation(text: str, dot: int) -> bool:
    # Look back a short window only: searching text[:dot] made chunking quadratic.
    word = re.search(r"([\w.]+)\.$", text[max(0, dot - 40): dot + 1])
    if not word:
        return False
    token = word.group(1).lower()
    return token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha())


def split_sentences(text: str) -> list[Span]:
    """Sentence spans; every line (paragraph, list item) ends a sentence."""
    spans: list[Span] = []
    for line in re.finditer(r"[^\n]+", text):
        begin = line.start()
        for match in _BOUNDARY.finditer(line.group()):
            punct = line.start() + match.start() - 1
            if text[punct] == "." and _is_abbreviation(text, punct):
                continue
            spans.append(Span(begin, line.start() + match.start() + len(match.group().rstrip())))
            begin = line.start() + match.end()
        spans.append(Span(begin, line.end()))
    return [_trim(text, s) for s in spans if text[s.start:s.end].strip()]


def _trim(text: str, span: Span) -> Span:
    piece = text[span.start:span.end]
    lead = len(piece) - len(piece.lstrip())
    trail = len(piece) - len(piece.rstrip())
    return Span(span.start + lead, span.end - trail)


def _words(text: str, span: Span) -> int:
    return len(_WORD.findall(text[span.start:span.end]))


def _cut_long(text: str, span: Span, limit: int) -> list[Span]:
    """Split an over-long sentence into word-boundary pieces of about `limit` words."""
    words = [m for m in _WORD.finditer(text, span.start, span.end)]
    return [
        Span(words[i].start(), words[min(i + limit, len(words)) - 1].end())
        for i in range(0, len(words), limit)
    ]


def chunk_spans(text: str, chunk_words: int, overlap_sentences: int = 0) -> list[Span]:
    sentences: list[Span] = []
    for span in split_sentences(text):
        if _words(text, span) > 2 * chunk_words:
            sentences.extend(_cut_long(text, span, chunk_words))
        else:
            sentences.append(span)
    counts = [_words(text, s) for s in sentences]
    chunks: list[Span] = []
    i = 0
    while i < len(sentences):
        j, words = i, 0
        while j < len(sentences) and (j == i or words + counts[j] <= chunk_words):
            words += counts[j]
            j += 1
        chunks.append(Span(sentences[i].start, sentences[j - 1].end))
        if j >= len(sentences):
            break
        # Step back for overlap, but always make progress, and only as far as still lets
        # the next chunk reach sentence j: otherwise it would be the overlap sentences
        # alone, a sub-span of this chunk that retrieval would return twice.
        i = max(i + 1, j - overlap_sentences)
        while i < j and sum(counts[i:j + 1]) > chunk_words:
            i += 1
    return chunks


def chunk_config(chunk_words: int, overlap_sentences: int) -> str:
    """Part of every document hash: changing the chunker re-chunks everything."""
    return f"sentences-v2:words={chunk_words}:overlap={overlap_sentences}"


def chunk_document(doc: Document, chunk_words: int, overlap_sentences: int = 0) -> list[Chunk]:
    return [
        Chunk(doc_id=doc.id, index=n, start=s.start, end=s.end, text=doc.text[s.start:s.end])
        for n, s in enumerate(chunk_spans(doc.text, chunk_words, overlap_sentences))
    ]
