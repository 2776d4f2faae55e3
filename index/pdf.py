"""PDF text as headings and paragraphs, from the page layout pypdf reports.

A PDF holds positioned runs of text, not paragraphs: its extracted text breaks every
line and separates nothing. What a reader sees as structure is in the layout, and it
holds for any typeset document:
- a paragraph ends where the gap to the next line is clearly wider than the document's
  usual line pitch (for lines of its size); at the end of a page or column, where its
  sentence ends; or where the font size or weight changes between whole lines;
- a heading is a short block of whole lines set larger than the body text, or wholly in
  a bold face at body size, that does not end like a sentence; larger means higher;
- a line drawn on most pages at the same place (a running title, a page number) is page
  furniture, not text;
- a line well short of the full width that the next one follows without a gap was broken
  by hand (an address, a signature block, an enumeration): it ends its block;
- a list marker drawn apart from its line (browsers print bullets separately) belongs to
  the line at its height.
Wrapped lines join with a space, or with nothing between two characters of a script
written without spaces. A PDF without usable layout (no fonts reported) gets no pieces
here, and the caller falls back to its plain text.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from index.language import word_count
from index.structure import LINE_PARAGRAPH_SHARE, Piece

_BOLD = re.compile(r"bold|black|heavy|semibold|demibold", re.I)
_SENTENCE_END = re.compile(r"[.!?;。！？；][\"'”’)\]»]*$")
_CLAUSE_END = re.compile(r"[.!?;:,。！？；：，、][\"'”’)\]»]*$")
_BULLETS = "•◦▪▫■□●○‣⁃∙·"
_UNSPACED = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
_DIGITS = re.compile(r"\d+")
PARAGRAPH_GAP = 1.2  # a gap this many times the usual line pitch ends a paragraph
LARGER = 1.08  # a size this many times the body's is a heading size
HEADING_MAX_WORDS = 20
SHORT = 0.6  # a line this share of a full line's length, with no gap after it, was broken by hand
FURNITURE_SHARE = 0.5  # a line at one place on at least this share of the pages (and 2) is page furniture


@dataclass
class _Line:
    page: int
    y: float
    runs: list[tuple[float, str, bool, float]] = field(default_factory=list)  # (x, text, bold, size)
    marker: str = ""

    @property
    def text(self) -> str:
        """Its runs in drawing order, as pypdf's own text is (right-to-left scripts too)."""
        return "".join(run[1] for run in self.runs).strip()

    @property
    def size(self) -> float:
        """The size most of its characters are set in (an inline symbol does not count)."""
        return _most_common([run[3] for run in self.runs], [len(run[1].strip()) for run in self.runs]) or 0.0

    @property
    def bold(self) -> bool:
        visible = [run[2] for run in self.runs if run[1].strip()]
        return bool(visible) and all(visible)


def pdf_pieces(reader) -> list[Piece]:
    """Headings, list items and paragraphs of the document in `reader` (a pypdf
    PdfReader); [] when its pages report no positioned text."""
    lines = _page_furniture_removed([line for n, page in enumerate(reader.pages) for line in _lines(n, page)])
    if not lines:
        return []
    body = _most_common([line.size for line in lines], [len(line.text) for line in lines])
    pitch = _most_common(
        [round(abs(b.y - a.y), 1) for a, b in zip(lines, lines[1:]) if a.page == b.page and a.size == b.size == body]
    )
    full = _percentile([len(line.text) for line in lines if line.size == body], 0.9)
    blocks: list[list[_Line]] = []
    for line in lines:
        prev = blocks[-1][-1] if blocks else None
        if prev is None or line.marker or _breaks(prev, line, body, pitch) or _broken_by_hand(prev, body, full):
            blocks.append([line])
        else:
            blocks[-1].append(line)
    if _lines_are_paragraphs(blocks, body):
        blocks = [
            part for block in blocks for part in ([block] if _is_heading(block, body) else [[ln] for ln in block])
        ]
    headings = [_is_heading(block, body) for block in blocks]
    sizes = sorted({b[0].size for b, heading in zip(blocks, headings) if heading and b[0].size > body * LARGER})[::-1]
    pieces = []
    for block, heading in zip(blocks, headings):
        text = _joined(line.text for line in block)
        if heading:
            size = block[0].size
            level = sizes.index(size) + 1 if size > body * LARGER else len(sizes) + 1
            pieces.append(Piece("heading", text, level=min(level, 6)))
        else:
            pieces.append(Piece("item" if block[0].marker else "paragraph", text))
    return pieces


def _lines(page_number: int, page) -> list[_Line]:
    """The page's lines in drawing order, from pypdf's positioned text runs."""
    lines: list[_Line] = []
    markers: list[tuple[float, str]] = []

    def visit(text, cm, tm, font, font_size):
        if not text or not text.strip() or not font_size:
            return
        x = cm[0] * tm[4] + cm[2] * tm[5] + cm[4]
        y = cm[1] * tm[4] + cm[3] * tm[5] + cm[5]
        scale = math.sqrt(abs(tm[0] * tm[3] - tm[1] * tm[2]) * abs(cm[0] * cm[3] - cm[1] * cm[2]))
        size = round(float(font_size) * (scale or 1.0), 1)
        bold = _is_bold(font)
        text = text.replace("\n", " ")
        if _is_marker(text):
            markers.append((y, text.strip()))
            return
        line = lines[-1] if lines else None
        if line is None or abs(line.y - y) >= 0.3 * max(size, line.size):
            line = _Line(page_number, y)
            lines.append(line)
        line.runs.append((x, text, bold, size))

    page.extract_text(visitor_text=visit)
    for y, marker in markers:  # a marker drawn apart: the line at its height is a list item
        line = min(lines, key=lambda ln: abs(ln.y - y), default=None)
        if line is not None and abs(line.y - y) < 0.5 * line.size:
            line.marker = marker
    return lines


def _is_bold(font) -> bool:
    """A bold face: by its name ("Arial-BoldMT", "Helvetica-Bold", "NotoSans-SemiBold"), or
    by its descriptor (a weight of 600 or more, or the ForceBold flag) where the name does
    not say it (TeX's "CMBX10")."""
    if not font:
        return False
    if _BOLD.search(str(font.get("/BaseFont", ""))):
        return True
    try:
        descriptor = font.get("/FontDescriptor")
        descriptor = descriptor.get_object() if descriptor is not None else None
        if not descriptor:
            return False
        weight = float(descriptor.get("/FontWeight", 0) or 0)
        flags = int(descriptor.get("/Flags", 0) or 0)
    except (AttributeError, TypeError, ValueError):
        return False
    return weight >= 600 or bool(flags & (1 << 18))  # bit 19 of the flags: ForceBold


def _is_marker(text: str) -> bool:
    """A list marker: one bullet glyph, or one glyph the font maps to no character (how a
    symbol font's bullet extracts)."""
    mark = text.strip()
    return len(mark) == 1 and (mark in _BULLETS or unicodedata.category(mark) in ("Cc", "Co", "Cn"))


def _page_furniture_removed(lines: list[_Line]) -> list[_Line]:
    """Without the lines found at the same place, with the same text but for its numbers,
    on most pages (a running title, "Page 3 of 7")."""
    pages = len({line.page for line in lines})
    if pages < 2:
        return lines

    def key(line: _Line) -> tuple[int, str]:
        return round(line.y), _DIGITS.sub("#", line.text)

    placed = {(line.page, key(line)) for line in lines}
    seen = Counter(k for _, k in placed)
    common = {k for k, n in seen.items() if n >= max(2, FURNITURE_SHARE * pages)}
    return [line for line in lines if key(line) not in common]


def _breaks(prev: _Line, line: _Line, body: float, pitch: float | None) -> bool:
    """Whether `line` starts a new block after `prev`."""
    if _headingish(prev, body) != _headingish(line, body) or abs(prev.size - line.size) > 0.1 * body:
        return True
    if prev.page != line.page or line.y > prev.y + 0.5 * prev.size:
        # The next page or column (text resumes higher up): no gap to measure, so a
        # sentence that ended ends the paragraph.
        return bool(_SENTENCE_END.search(prev.text))
    gap = prev.y - line.y  # the pitch grows with the size: larger lines stand further apart
    return pitch is not None and gap > PARAGRAPH_GAP * pitch * max(prev.size, line.size) / body


def _lines_are_paragraphs(blocks: list[list[_Line]], body: float) -> bool:
    """Whether the document sets one paragraph per line with no gaps between them: most of
    its remaining line breaks follow a sentence end (wrapped prose breaks mid-sentence)."""
    breaks = [line.text for block in blocks if not _is_heading(block, body) for line in block[:-1]]
    ends = sum(bool(_SENTENCE_END.search(text)) for text in breaks)
    return bool(breaks) and ends / len(breaks) >= LINE_PARAGRAPH_SHARE


def _broken_by_hand(line: _Line, body: float, full: float) -> bool:
    """A body line well short of a full one (headings, set larger, hold fewer characters)."""
    return not _headingish(line, body) and len(line.text) < SHORT * full


def _headingish(line: _Line, body: float) -> bool:
    return line.size > body * LARGER or line.bold


def _is_heading(block: list[_Line], body: float) -> bool:
    """Whole lines set larger than the body, or bold at body size and not ending like a
    clause (a bold sentence is emphasis, not a heading); short."""
    text = _joined(line.text for line in block)
    if block[0].marker or word_count(text) > HEADING_MAX_WORDS or not all(_headingish(ln, body) for ln in block):
        return False
    return block[0].size > body * LARGER or not _CLAUSE_END.search(text)


def _joined(lines) -> str:
    out = ""
    for text in lines:
        if not out:
            out = text
        elif _UNSPACED.match(out[-1]) and _UNSPACED.match(text[0]):
            out += text
        elif out.endswith("-") and text[:1].islower():
            out += text  # a word broken over the line: its hyphen kept, nothing lost
        else:
            out += " " + text
    return out


def _percentile(values: list[int], share: float) -> float:
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, int(share * len(ordered)))]) if ordered else 0.0


def _most_common(values: list[float], weights: list[int] | None = None) -> float | None:
    counts: Counter = Counter()
    for i, value in enumerate(values):
        counts[value] += weights[i] if weights is not None else 1
    return counts.most_common(1)[0][0] if counts else None
