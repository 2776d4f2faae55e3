"""Cleaning rules for text collected from web pages.

Each rule removes one kind of debris seen in real articles and is tested against it.
Markup inside the body is *kept* as literal text (a policy may quote it); only debris
that is not part of the article is removed. Display code escapes everything it shows.
"""

from __future__ import annotations

import re
import unicodedata

from index.structure import Piece

# The tail of an <img ...> tag cut off at its start, e.g. `alt text" src="x.jpg" />`.
_LEADING_TAG_TAIL = re.compile(r"""^[^<>\n]*?["']?(?:\s*[\w:-]+\s*=\s*(?:"[^"]*"|'[^']*'))+\s*/?>""")
# A complete media tag at the start of the text: <img ...>, <figure>, <picture> ...
_LEADING_MEDIA_TAG = re.compile(r"^\s*<(?:img|figure|picture|source|br|hr)\b[^<>]*>", re.I)
# Photo captions: "… Photo:VCG", "… [Photo/Xinhua]", "(Photo: Reuters)", "Photo by X".
_CAPTION = re.compile(
    r"(?:\bPhoto\s*:\s*[\w .'&/-]{1,40}|\[Photo\s*/\s*[^\]]{1,40}\]|\(Photo\s*:[^)]{1,40}\)"
    r"|\bPhoto by [\w .'&-]{1,40})\s*$",
    re.I,
)
_END_MARKER = re.compile(r"^\s*[-—–(]*\s*END\s*[-—–)]*\s*$", re.I)
_CAPTION_MAX_WORDS = 45
_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


def _strip_controls(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))


# Debris is a tag fragment, never longer than this; looking further would let the
# backtracking patterns above go quadratic on a huge one-line document.
_DEBRIS_MAX_CHARS = 2000


def strip_leading_debris(first_line: str) -> str:
    """Drop a cut-off or media tag at the very start of a document."""
    head = first_line[:_DEBRIS_MAX_CHARS]
    for pattern in (_LEADING_TAG_TAIL, _LEADING_MEDIA_TAG):
        match = pattern.match(head)
        if match:
            return first_line[match.end() :]
    return first_line


def is_caption(line: str) -> bool:
    return len(line.split()) <= _CAPTION_MAX_WORDS and bool(_CAPTION.search(line))


def _article_bounds(lines: list[str]) -> tuple[int, int, str]:
    """(first, end, first line's text) of the article inside squeezed lines: a cut-off
    tag at the very start is stripped, captions before the article and END markers after
    it are left out."""
    first, end = 0, len(lines)
    head = strip_leading_debris(lines[0]).strip() if lines else ""
    # Captions precede the article; once real text starts, a "Photo:" line is content.
    while first < end and (not head or is_caption(head)):
        first += 1
        head = lines[first].strip() if first < end else ""
    while end > first and _END_MARKER.match(lines[end - 1]):
        end -= 1
    return first, end, head


def clean_text(text: str) -> str:
    """Return the article text without web debris, one paragraph per line."""
    lines = [_SPACES.sub(" ", line).strip() for line in _strip_controls(text).split("\n")]
    lines = [line for line in lines if line]
    first, end, head = _article_bounds(lines)
    return "\n".join([head, *lines[first + 1 : end]] if first < end else [])


def clean_pieces(pieces: list[Piece]) -> list[Piece]:
    """The same rules over a document's blocks (one line each), keeping their kinds."""
    first, end, head = _article_bounds([p.text for p in pieces])
    if first >= end:
        return []
    lead = pieces[first]
    return [Piece(lead.kind, head, lead.level, lead.group), *pieces[first + 1 : end]]
