"""Structure-aware chunking that remembers where every chunk sits in its document.

A chunk is always `document.text[start:end]`, so a citation can quote and highlight
exactly the passage it rests on. Chunks hold for any document:
- each stays inside one section (the text under one heading) and records its section
  path, "Title > Heading > Sub-heading": the heading is often all that ties a passage to
  a question ("3. Account Requirements" under "B. Account Terms");
- what introduces text never ends a chunk: a heading opens the chunk of the text under
  it (one with no text of its own opens its first sub-section's chunk), and so do a
  sentence ending in a colon (it introduces a list) and a paragraph's run-in heading
  ("Payment. We offer ...");
- a list or a table that fits the size is kept whole (a rule and what it applies to
  travel together); a longer one is cut between its items or rows;
- otherwise chunks start and end on sentence boundaries; a single sentence longer than
  twice the target is cut at word boundaries, because the embedder would truncate it.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass

import regex

from index.documents import Block, Chunk, Document
from index.language import NOT_A_WORD, UNSEGMENTED_LETTER

_ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "sr",
    "jr",
    "st",
    "co",
    "corp",
    "inc",
    "ltd",
    "no",
    "vs",
    "etc",
    "e.g",
    "i.e",
    "u.s",
    "u.k",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "art",
    "sec",
    "para",
    "fig",
    "approx",
}
# End punctuation (a danda, an Arabic question mark too), optional closing quotes or
# brackets, whitespace, then a likely sentence start: a capital of any alphabet ("Über",
# "Вы"), a letter of a script without case (Korean, Arabic, Devanagari, Chinese, ...) or a
# digit, not a lower-case letter ("e.g. the"); after full-width CJK punctuation no space
# is needed (none is written).
_BOUNDARY = regex.compile(
    r"(?<=[.!?।॥؟۔])[\"'”’)\]]*\s+(?=[\"'“‘(\[¿¡«„]?[\p{Lu}\p{Lt}\p{Lo}\p{Nd}])"
    r"|(?<=[。！？])[”’」』）]*\s*(?=\S)"
)
_RUN = re.compile(r"\S+")
# A run between spaces that is no word (a path, an address, an identifier, markup: it
# holds a slash, an @, an underscore, a dot inside it, ...) and is longer than this counts
# as one word per this many characters, as a tokenizer cuts it into many pieces: a chunk
# of file paths or links is then not 11,000 characters long for its hundred "words".
# Words of any language (German compounds, hyphenated or not) count as one.
LONG_RUN = 20
SECTION_SEPARATOR = " > "
RUN_IN_WORDS = 4  # a paragraph's first "sentence" this short is a run-in heading for the rest


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class ChunkSpan:
    start: int
    end: int
    section: str = ""


def is_abbreviation(text: str, dot: int) -> bool:
    """Whether the full stop at text[dot] ends an abbreviation ("Dr.", "z. B.", "U.S."), not a sentence."""
    # Look back a short window only: searching text[:dot] made chunking quadratic.
    word = re.search(r"([\w.]+)\.$", text[max(0, dot - 40) : dot + 1])
    if not word:
        return False
    token = word.group(1).lower()
    return token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha())


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentence spans of text[start:end]; every line (paragraph, list item) ends a sentence."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    for line in re.finditer(r"[^\n]+", text[start:end]):
        line_start = start + line.start()
        begin = line_start
        for match in _BOUNDARY.finditer(line.group()):
            punct = line_start + match.start() - 1
            if text[punct] == "." and is_abbreviation(text, punct):
                continue
            spans.append(Span(begin, line_start + match.start() + len(match.group().rstrip())))
            begin = line_start + match.end()
        spans.append(Span(begin, line_start + len(line.group())))
    return [_trim(text, s) for s in spans if text[s.start : s.end].strip()]


def _trim(text: str, span: Span) -> Span:
    piece = text[span.start : span.end]
    lead = len(piece) - len(piece.lstrip())
    trail = len(piece) - len(piece.rstrip())
    return Span(span.start + lead, span.end - trail)


def word_spans(text: str, start: int, end: int) -> list[Span]:
    """The words of text[start:end] as the chunker counts them: runs between spaces, a
    long one that is no word (and holds no letter of a script written without spaces, where
    a run is a clause) cut every LONG_RUN characters."""
    out = []
    for run in _RUN.finditer(text, start, end):
        a, b = run.span()
        piece = run.group()
        if b - a <= LONG_RUN or not NOT_A_WORD.search(piece) or UNSEGMENTED_LETTER.search(piece):
            out.append(Span(a, b))
        else:
            out += [Span(i, min(i + LONG_RUN, b)) for i in range(a, b, LONG_RUN)]
    return out


def _words(text: str, span: Span) -> int:
    return len(word_spans(text, span.start, span.end))


def _cut_long(text: str, span: Span, limit: int) -> list[Span]:
    """Split an over-long sentence into word-boundary pieces of about `limit` words."""
    words = word_spans(text, span.start, span.end)
    return [Span(words[i].start, words[min(i + limit, len(words)) - 1].end) for i in range(0, len(words), limit)]


def line_blocks(text: str) -> tuple[Block, ...]:
    """Every line a paragraph: the structure of text that has no other."""
    return tuple(Block("paragraph", m.start(), m.end()) for m in re.finditer(r"[^\n]+", text))


@dataclass
class _Unit:
    """What the packer moves as one piece: a sentence, a whole list, a heading + what follows."""

    start: int
    end: int
    words: int
    sentence: bool  # may be repeated as overlap
    glue: bool = False  # must be followed by the next unit in the same chunk


@dataclass
class _Section:
    path: tuple[str, ...]
    blocks: list[Block]


def sections(text: str, blocks: tuple[Block, ...], title: str = "") -> list[_Section]:
    """The document cut at its headings, each part with its heading path. The title
    heads every path unless the first heading says it already."""
    out: list[_Section] = []
    stack: list[tuple[int, str]] = []
    current = _Section(path=(title,) if title else (), blocks=[])
    for block in blocks:
        if block.kind == "heading":
            if current.blocks:
                out.append(current)
            heading = text[block.start : block.end]
            stack = [(lvl, h) for lvl, h in stack if lvl < block.level] + [(block.level, heading)]
            path = tuple(h for _, h in stack)
            if title and (not path or path[0].casefold() != title.casefold()):
                path = (title, *path)
            current = _Section(path=path, blocks=[block])
        else:
            current.blocks.append(block)
    if current.blocks:
        out.append(current)
    return out


def _units(text: str, section: _Section, chunk_words: int) -> list[_Unit]:
    units: list[_Unit] = []
    blocks = section.blocks
    group_end, word_starts = 0, []  # the current list or table: its end (block index), its words
    i = 0
    while i < len(blocks):
        block = blocks[i]
        if block.group >= 0:
            if i >= group_end or blocks[group_end - 1].group != block.group:
                group_end = i
                while group_end < len(blocks) and blocks[group_end].group == block.group:
                    group_end += 1
                span = Span(block.start, blocks[group_end - 1].end)
                word_starts = [w.start for w in word_spans(text, span.start, span.end)]
            j = group_end
            whole = Span(block.start, blocks[j - 1].end)
            # The words from this block to the group's end, read off the group's words once:
            # a long table is not re-counted from each of its rows.
            first = bisect_left(word_starts, block.start)
            words = len(word_starts) - first
            starts_a_word = first < len(word_starts) and word_starts[first] == block.start
            if not starts_a_word and block.start > 0 and not text[block.start - 1].isspace():
                words += 1  # a word running into this block counts from where the block starts
            if words <= chunk_words:
                units.append(_Unit(whole.start, whole.end, words, sentence=False))
                i = j
                continue
        if block.kind in ("heading", "row", "code"):
            span = Span(block.start, block.end)
            words = _words(text, span)
            if words > 2 * chunk_words:
                units += [_Unit(s.start, s.end, _words(text, s), False) for s in _cut_long(text, span, chunk_words)]
            else:
                units.append(_Unit(span.start, span.end, words, sentence=False, glue=block.kind == "heading"))
        else:
            sentences = split_sentences(text, block.start, block.end)
            for n, s in enumerate(sentences):
                pieces = _cut_long(text, s, chunk_words) if _words(text, s) > 2 * chunk_words else [s]
                units += [_Unit(p.start, p.end, _words(text, p), sentence=True) for p in pieces]
                if n == 0 and len(sentences) > 1 and _run_in_heading(text[s.start : s.end]):
                    units[-1].glue = True
            if units and text[units[-1].end - 1] == ":":
                units[-1].glue = True  # "For bereavement, you can use:" introduces what follows
        i += 1
    return _glued(units)


def _run_in_heading(sentence: str) -> bool:
    """A paragraph's lead-in in title case ("Payment.", "30-Day Refund Policy."): a heading
    for the sentences after it, not a sentence of its own."""
    words = sentence.split()
    return len(words) <= RUN_IN_WORDS and all(w[0].isupper() or w[0].isdigit() for w in words)


def _glued(units: list[_Unit]) -> list[_Unit]:
    """Each glue unit (a heading, a sentence introducing a list) merged with the next."""
    out: list[_Unit] = []
    for unit in units:
        if out and out[-1].glue:
            head = out.pop()
            unit = _Unit(head.start, unit.end, head.words + unit.words, sentence=False, glue=unit.glue)
        out.append(unit)
    return out


def _pack(units: list[_Unit], chunk_words: int, overlap: int) -> list[Span]:
    chunks: list[Span] = []
    i = 0
    while i < len(units):
        j, words = i, 0
        while j < len(units) and (j == i or words + units[j].words <= chunk_words):
            words += units[j].words
            j += 1
        chunks.append(Span(units[i].start, units[j - 1].end))
        if j >= len(units):
            break
        # Step back for overlap (sentences only), but always make progress, and only as
        # far as still lets the next chunk reach unit j: otherwise it would be the overlap
        # alone, a sub-span of this chunk that retrieval would return twice.
        back = j
        while back > i + 1 and j - back < overlap and units[back - 1].sentence:
            back -= 1
        i = back
        while i < j and sum(u.words for u in units[i : j + 1]) > chunk_words:
            i += 1
    return chunks


def chunk_spans(
    text: str, chunk_words: int, overlap_sentences: int = 0, blocks: tuple[Block, ...] | None = None, title: str = ""
) -> list[ChunkSpan]:
    blocks = blocks if blocks else line_blocks(text)
    parts = sections(text, blocks, title)
    out: list[ChunkSpan] = []
    carried: Block | None = None  # a heading with no text of its own
    for n, part in enumerate(parts):
        body = [b for b in part.blocks if b.kind != "heading"]
        if not body and n + 1 < len(parts):
            carried = carried or part.blocks[0]
            continue
        units = _units(text, part, chunk_words)
        if carried is not None and units:
            units[0] = _Unit(
                carried.start,
                units[0].end,
                units[0].words + _words(text, Span(carried.start, carried.end)),
                sentence=False,
            )
            carried = None
        section = SECTION_SEPARATOR.join(p for p in part.path if p)
        out += [ChunkSpan(s.start, s.end, section) for s in _pack(units, chunk_words, overlap_sentences)]
    return out


def chunk_config(chunk_words: int, overlap_sentences: int, contextual: bool = False, sentences: bool = False) -> str:
    """Part of every document hash: changing the chunker re-chunks everything."""
    return (
        f"sections-v4:words={chunk_words}:overlap={overlap_sentences}:contextual={int(contextual)}"
        f":sentences={int(sentences)}"
    )


def chunk_document(doc: Document, chunk_words: int, overlap_sentences: int = 0) -> list[Chunk]:
    return [
        Chunk(doc_id=doc.id, index=n, start=s.start, end=s.end, text=doc.text[s.start : s.end], section=s.section)
        for n, s in enumerate(chunk_spans(doc.text, chunk_words, overlap_sentences, doc.blocks, doc.title))
    ]


def indexed_text(title: str, section: str, text: str) -> str:
    """What is embedded and BM25-indexed for a chunk with contextual indexing: its
    section path (which starts with the document's title) before its text. The passage
    shown and quoted stays the chunk itself."""
    context = section or title
    return f"{context}\n{text}" if context else text
