"""Cleaning rules for text collected from web pages.

Each rule removes one kind of debris seen in real articles and is tested against it.
Markup inside the body is *kept* as literal text (a policy may quote it); only debris
that is not part of the article is removed. Display code escapes everything it shows.
"""

from __future__ import annotations

import re
import unicodedata

# The tail of an <img ...> tag cut off at its start, e.g. `alt text" src="x.jpg" />`.
_LEADING_TAG_TAIL = re.compile(
    r"""^[^<>\n]*?["']?(?:\s*[\w:-]+\s*=\s*(?:"[^"]*"|'[^']*'))+\s*/?>"""
)
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
    return "".join(
        ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs")
    )


# Debris is a tag fragment, never longer than this; looking further would let the
# backtracking patterns above go quadratic on a huge one-line document.
_DEBRIS_MAX_CHARS = 2000


def strip_leading_debris(first_line: str) -> str:
    """Drop a cut-off or media tag at the very start of a document."""
    head = first_line[:_DEBRIS_MAX_CHARS]
    for pattern in (_LEADING_TAG_TAIL, _LEADING_MEDIA_TAG):
        match = pattern.match(head)
        if match:
            return first_line[match.end():]
    return first_line


def is_caption(line: str) -> bool:
    return len(line.split()) <= _CAPTION_MAX_WORDS and bool(_CAPTION.search(line))


def clean_text(text: str) -> str:
    """Return the article text without web debris, one paragraph per line."""
    lines = [_SPACES.sub(" ", line).strip() for line in _strip_controls(text).split("\n")]
    lines = [line for line in lines if line]
    if lines:
        lines[0] = strip_leading_debris(lines[0]).strip()
    # Captions precede the article; once real text starts, a "Photo:" line is content.
    while lines and (not lines[0] or is_caption(lines[0])):
        lines.pop(0)
    while lines and _END_MARKER.match(lines[-1]):
        lines.pop()
    return "\n".join(line for line in lines if line)
