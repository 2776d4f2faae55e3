"""Copies among a collection's documents: one text in several renderings, or versions.

Collections as published often hold the same document twice (a Markdown source and its
HTML or PDF rendering) and older versions beside the current one. Indexed as they are,
they fill the top passages with one passage's copies. Two documents are compared by the
shared share of their word 5-grams (sampled by hash, so the cost grows with the
collection's size, not with its square):
- in two formats, each holding at least COPY of the other: one document in two renderings;
  the richer source format is kept (Markdown or text, then HTML or Word, then PDF), then the
  shorter path. (Renderings differ in line breaks, page headers and hyphenation, so the
  bar is below 1.)
- a document that holds two or more others whole, and is mostly made of them: a
  compilation (a print-all page, a single-page manual); the parts are kept, each cited by
  its own title, and the compilation is skipped.
- otherwise, one holding at least OVERLAP of the other: another version, or a document
  reusing the other's text (a product's terms copied for a sibling product). Both are
  real documents: both are kept and the overlap is reported; retrieval drops passages
  that repeat a passage ranked above them.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from index.documents import Document, LoadIssue
from index.language import UNSPACED_SCRIPTS

COPY = 0.8
OVERLAP = 0.5
WHOLE = 0.95  # a compilation's share made of its parts: nothing of its own
SHINGLE = 5
SAMPLE = 4  # keep the shingles whose hash is divisible by SAMPLE: the same ones in every document
MIN_SHINGLES = 10  # fewer sampled shingles than this: too short to judge (exact copies are caught by hash)
# A character of a language written without spaces is a word of its own: renderings that
# space such text (PDF text extraction does) and ones that do not then read alike.
_WORD = re.compile(f"[{UNSPACED_SCRIPTS}]|[^\\W{UNSPACED_SCRIPTS}]+")
_FORMAT_RANK = {".md": 0, ".markdown": 0, ".txt": 0, ".html": 1, ".htm": 1, ".docx": 1, ".pdf": 2}


@dataclass
class Copies:
    skipped: set[str] = field(default_factory=set)
    issues: list[LoadIssue] = field(default_factory=list)
    renderings: dict[str, str] = field(default_factory=dict)  # a skipped rendering's source -> the kept one's


def shingles(text: str) -> set[int]:
    words = _WORD.findall(text.casefold())
    grams = (zlib.crc32(" ".join(words[i : i + SHINGLE]).encode()) for i in range(max(1, len(words) - SHINGLE + 1)))
    return {g for g in grams if g % SAMPLE == 0}


def _preference(doc: Document) -> tuple:
    path = PurePosixPath(doc.source)
    return (_format(doc), len(path.parts), doc.source)


def find_copies(documents: list[Document]) -> Copies:
    sets = {d.id: grams for d in documents if len(grams := shingles(d.text)) >= MIN_SHINGLES}
    by_id = {d.id: d for d in documents}
    postings: dict[int, list[str]] = {}
    for doc_id, grams in sets.items():
        for g in grams:
            postings.setdefault(g, []).append(doc_id)
    shared: dict[tuple[str, str], int] = {}
    for ids in postings.values():
        if len(ids) < 2 or len(ids) > 50:  # a boilerplate line shared by many says nothing
            continue
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                key = (a, b) if a < b else (b, a)
                shared[key] = shared.get(key, 0) + 1
    out = Copies()
    pairs = []
    for (a, b), n in sorted(shared.items()):
        in_a, in_b = n / len(sets[a]), n / len(sets[b])
        pairs.append((by_id[a], by_id[b], in_a, in_b))
    for a, b, in_a, in_b in pairs:  # renderings first: the overlaps below are among what is kept
        if min(in_a, in_b) >= COPY and _format(a) != _format(b) and not out.skipped & {a.id, b.id}:
            keep, drop = sorted((a, b), key=_preference)
            out.skipped.add(drop.id)
            out.renderings[drop.source] = keep.source
            out.issues.append(
                LoadIssue(drop.source, f"the same text as {keep.source} in another format; kept that one")
            )
    _skip_compilations(pairs, sets, out)
    overlaps: dict[str, list[tuple[float, str]]] = {}
    for a, b, in_a, in_b in pairs:
        if max(in_a, in_b) >= OVERLAP and not out.skipped & {a.id, b.id}:
            part, whole = (a, b) if in_a >= in_b else (b, a)
            overlaps.setdefault(part.source, []).append((max(in_a, in_b), whole.source))
    for source, shared in sorted(overlaps.items()):
        out.issues.append(LoadIssue(source, _overlap_report(shared), skipped=False))
    return out


def _overlap_report(shared: list[tuple[float, str]]) -> str:
    """One line per document, however many others it shares text with (pages generated
    from one template share their common parts with every sibling)."""
    share, whole = max(shared)  # the largest share (ties: the last path)
    if len(shared) == 1:
        return (
            f"shares {share:.0%} of its text with {whole} (another version, or a document reusing its text); both kept"
        )
    return (
        f"shares {share:.0%} of its text with {whole}, and half of it or more with {len(shared) - 1} other "
        f"document{'s' if len(shared) > 2 else ''} (versions of one document, or text they reuse); all kept"
    )


def _skip_compilations(
    pairs: list[tuple[Document, Document, float, float]], sets: dict[str, set[int]], out: Copies
) -> None:
    """A document made of other documents of the collection, each whole (a book's
    print-all page, a single-page build of a manual, a full text beside its chapters): at
    least two others lie in it at COPY or more, and together they make WHOLE of it (it
    adds nothing of its own). Its passages would repeat theirs, which are cited by their
    own titles: it is skipped."""
    parts: dict[str, tuple[Document, list[Document]]] = {}  # a whole's id -> (it, its parts)
    for a, b, in_a, in_b in pairs:
        if out.skipped & {a.id, b.id}:
            continue
        for part, whole, in_part, in_whole in ((a, b, in_a, in_b), (b, a, in_b, in_a)):
            if in_part >= COPY > in_whole:
                parts.setdefault(whole.id, (whole, []))[1].append(part)
    for whole_id, (whole, held) in sorted(parts.items()):
        if len(held) < 2:
            continue
        covered = set().union(*(sets[p.id] for p in held)) & sets[whole_id]
        if len(covered) < WHOLE * len(sets[whole_id]):
            continue
        names = sorted(part.source for part in held)
        more = f" and {len(names) - 2} more" if len(names) > 2 else ""
        out.skipped.add(whole_id)
        out.issues.append(
            LoadIssue(
                whole.source,
                f"a compilation of {len(names)} documents of the collection ({', '.join(names[:2])}{more}); kept those",
            )
        )


def _format(doc: Document) -> int:
    return format_rank(doc.source)


def format_rank(source: str) -> int:
    """How rich a file's format is as a source (0: Markdown or text ... 2: PDF)."""
    return _FORMAT_RANK.get(PurePosixPath(source).suffix.lower(), 3)
