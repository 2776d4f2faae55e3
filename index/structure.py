"""From parsed blocks to a document's cleaned text and its block spans.

Every parser (Markdown, HTML, plain text, PDF) yields `Piece`s: the rendered text of one
heading, paragraph, list item, table row, code block or quote. `assemble` joins them one
per line into the text that is embedded, searched and quoted, and records each block's
exact span in it, so a chunk or a citation is always `text[start:end]`.

Two decisions here hold for any collection:
- A soft line break inside a paragraph is a space when the document wraps its lines
  (most breaks fall mid-sentence) and a paragraph break when the document writes one
  paragraph per line (most breaks follow a sentence end). Which one is decided per
  document, from its own breaks, so hard-wrapped Markdown joins into sentences and text
  saved one paragraph per line keeps its paragraphs (and its headlines apart).
- Template and attribute syntax (`{% … %}`, `{{ … }}`, `{# … #}`, kramdown's `{: … }`)
  is never text a reader sees: it is removed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from index.documents import Block, BlockKind

SOFT_BREAK = "\x1f"  # a parser's soft line break, resolved per document by `assemble`
_TEMPLATE = re.compile(r"\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}|\{:[^}\n]*\}", re.S)
_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_SENTENCE_END = re.compile(r"[.!?。！？:;][\"'”’)\]»]*$")
# A document writes one paragraph per line when at least this share of its soft breaks
# follows a sentence end; hard-wrapped prose breaks mid-sentence far more often than not.
LINE_PARAGRAPH_SHARE = 0.5


@dataclass
class Piece:
    """One block as a parser renders it, before the document's text is assembled."""

    kind: BlockKind
    text: str
    level: int = 0
    group: int = -1


def strip_templates(text: str) -> str:
    """Remove template tags and attribute lists (see the module docstring)."""
    return _TEMPLATE.sub("", text)


def _printable(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(
        ch
        for ch in text
        if ch in "\n\t" or ch == SOFT_BREAK or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co")
    )


def lines_are_paragraphs(pieces: list[Piece]) -> bool:
    """Whether this document's soft breaks are paragraph breaks (see the module docstring)."""
    ends = total = 0
    for piece in pieces:
        if piece.kind not in ("paragraph", "item", "quote"):
            continue
        lines = piece.text.split(SOFT_BREAK)
        for line in lines[:-1]:
            total += 1
            ends += bool(_SENTENCE_END.search(line.rstrip()))
    return total > 0 and ends / total >= LINE_PARAGRAPH_SHARE


def _render(piece: Piece, paragraphs: bool) -> list[str]:
    """The piece's lines: squeezed spaces, no empty lines."""
    if piece.kind == "code":
        raw = piece.text.replace(SOFT_BREAK, "\n")
        return [line.rstrip() for line in raw.split("\n") if line.strip()]
    text = piece.text.replace(SOFT_BREAK, "\n" if paragraphs else " ")
    return [_SPACES.sub(" ", line).strip() for line in text.split("\n") if line.strip()]


def assemble(
    pieces: list[Piece], clean: Callable[[list[Piece]], list[Piece]] | None = None
) -> tuple[str, tuple[Block, ...]]:
    """The cleaned text (one block per line) and the exact span of every block in it.

    `clean` sees the blocks line by line, after soft breaks are resolved, and may drop
    or rewrite them (web debris: index/cleaning.py)."""
    cleaned = [Piece(p.kind, _printable(p.text), p.level, p.group) for p in pieces]
    paragraphs = lines_are_paragraphs(cleaned)
    lines: list[Piece] = []
    for piece in cleaned:
        rendered = _render(piece, paragraphs)
        if piece.kind == "code" or piece.kind == "row":
            rendered = [" ".join(rendered)] if piece.kind == "row" else ["\n".join(rendered)]
        lines += [Piece(piece.kind, text, piece.level, piece.group) for text in rendered if text]
    if clean is not None:
        lines = clean(lines)
    parts: list[str] = []
    blocks: list[Block] = []
    position = 0
    for line in lines:
        if not line.text:
            continue
        if parts:
            position += 1  # the "\n" between blocks
        blocks.append(Block(line.kind, position, position + len(line.text), line.level, line.group))
        parts.append(line.text)
        position += len(line.text)
    return "\n".join(parts), tuple(blocks)


# Plain text shows its structure by layout alone. A line that stands apart and reads as a
# heading (at most this many words, no sentence end but a section number's own period) is
# one; so is a line underlined with = or - (setext, as many plain-text documents write).
HEADING_WORDS = 10
_UNDERLINE = re.compile(r"^(?:=+|-+)$")
_SECTION_NUMBER = re.compile(
    r"^(?:(?:section|article|chapter|part|§)\s*)?(\d+(?:\.\d+)*[.)]?|(?:[IVXLC]+|[A-Za-z])[.)])\s+(?=\S)", re.I
)
_WEB_ADDRESS = re.compile(r"\w://|www\.")
_RUN_IN = re.compile(r"^(.+?[.:])\s+(?=\S)")


def _heading_level(line: str) -> int:
    """The level of a line that reads as a heading, else 0: 1 for a named heading, 2 and
    deeper for a numbered one ("3." 2, "3.1" 3). A short line that ends no sentence and
    starts in upper case is a heading in any plain-text document: prose lines end their
    sentences or run on to the next line, and list items start in lower case as often."""
    words = line.split()
    if not words or len(words) > HEADING_WORDS or _WEB_ADDRESS.search(line):
        return 0
    number = _SECTION_NUMBER.match(line)
    name = line[number.end() :] if number else line
    if name[:1].islower() or _SENTENCE_END.search(line[:-1] if number and line.endswith(".") else line):
        return 0
    return 2 + number.group(1).rstrip(".)").count(".") if number else 1


def _short_line(line: str) -> bool:
    """A line of a title block (a version, a date, an address): short, ending no sentence."""
    return len(line.split()) <= HEADING_WORDS and not _SENTENCE_END.search(line)


def _section_number(line: str) -> tuple[int, ...] | None:
    number = _SECTION_NUMBER.match(line)
    label = number.group(1).rstrip(".)") if number else ""
    return tuple(int(part) for part in label.split(".")) if label[:1].isdigit() else None


def _follows(number: tuple[int, ...], last: tuple[int, ...]) -> bool:
    """Whether a section number comes next after another: 2 after 1, 1.1 after 1, 3 after 2.4."""
    if number == (*last, 1):
        return True
    return any(number == (*last[:depth], last[depth] + 1) for depth in range(len(last)))


def plain_pieces(text: str) -> list[Piece]:
    """Plain text: paragraphs are separated by blank lines; single line breaks are soft.

    Headings as layout shows them: a line underlined with = (level 1) or - (level 2); a
    paragraph of one heading-like line followed by text or by a deeper heading (a list of
    short items is followed by more of the same); the first line of a first paragraph made
    of short lines (a title block: title, version, date, address), as the document's
    title; and a paragraph opening with the section number that comes next after the last
    numbered heading and a short name ("2. Grant of Licence. Subject to ..."), its name as
    a heading of its own (numbered sections are written run-in as often as apart)."""
    text = _printable(text)
    paragraphs = []
    for para in re.split(r"\n[ \t]*\n", text):
        lines = [line.strip() for line in para.split("\n")]
        if lines := [line for line in lines if line]:
            paragraphs.append(lines)
    pieces: list[Piece] = []
    last: tuple[int, ...] | None = None  # the last numbered heading's number

    def heading(line: str, level: int) -> None:
        nonlocal last
        pieces.append(Piece("heading", line, level))
        last = _section_number(line) or last

    for i, lines in enumerate(paragraphs):
        if len(lines) == 2 and _UNDERLINE.match(lines[1]) and _heading_level(lines[0]):
            heading(lines[0], 1 if lines[1][0] == "=" else 2)
            continue
        if not pieces and _heading_level(lines[0]) and all(_short_line(line) for line in lines[1:]):
            heading(lines[0], 1)
            lines = lines[1:]
        elif len(lines) == 1 and (level := _heading_level(lines[0])) and i + 1 < len(paragraphs):
            after = paragraphs[i + 1]
            after_level = _heading_level(after[0]) if len(after) == 1 else 0
            if not after_level or after_level > level:
                heading(lines[0], level)
                continue
        elif last and (number := _section_number(lines[0])) and _follows(number, last):
            label_end = _SECTION_NUMBER.match(lines[0]).end()
            run_in = _RUN_IN.match(lines[0][label_end:])
            name = lines[0][: label_end + run_in.end(1)] if run_in else ""
            if name and (level := _heading_level(name)):
                heading(name, level)
                lines = [lines[0][len(name) :].strip(), *lines[1:]]
        if lines:
            pieces.append(Piece("paragraph", SOFT_BREAK.join(lines)))
    return pieces
