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


def plain_pieces(text: str) -> list[Piece]:
    """Plain text: paragraphs are separated by blank lines; single line breaks are soft."""
    text = _printable(text)
    pieces = []
    for para in re.split(r"\n[ \t]*\n", text):
        lines = [line.strip() for line in para.split("\n")]
        lines = [line for line in lines if line]
        if lines:
            pieces.append(Piece("paragraph", SOFT_BREAK.join(lines)))
    return pieces
