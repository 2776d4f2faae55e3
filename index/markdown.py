"""Markdown to rendered blocks, with markdown-it-py (CommonMark plus tables).

What a reader of the rendered page sees is what is kept: link text without its URL,
emphasis without its markers, escapes resolved, table cells without pipes, list items
without bullets, headings without `#`. Images, HTML tags and comments are dropped (the
text inside inline HTML stays); raw HTML blocks go through the HTML parser's block
walker. Template tags are removed before parsing, so a link whose target is a template
expression (`[text]({% page "x" %})`) still parses as a link.
"""

from __future__ import annotations

import re
from functools import lru_cache
from html.parser import HTMLParser

from bs4.builder import HTMLTreeBuilder

from index.language import UNSPACED_PUNCTUATION, UNSPACED_SCRIPTS
from index.structure import SOFT_BREAK, Piece, strip_templates

_DATETIME_ATTRIBUTE = re.compile(r"""\{:[^}\n]*\bdatetime\s*=\s*["']?(\d{4}-\d{2}-\d{2})""")
_BLOCK_OPENERS = {
    "bullet_list_open",
    "ordered_list_open",
    "table_open",
    "blockquote_open",
}


MAX_NESTING = 200  # block levels parsed (a nested list takes two per level)


@lru_cache(maxsize=1)
def _parser():
    from markdown_it import MarkdownIt

    # CommonMark's preset stops parsing 20 levels of blocks deep (10 of nested lists) and
    # drops what is deeper; legal text numbers clauses (a)(i)(A)(1)... further than that.
    return MarkdownIt("commonmark", {"html": True, "maxNesting": MAX_NESTING}).enable("table")


def attribute_date(source: str) -> str | None:
    """A `{: datetime="yyyy-mm-dd" }` attribute list's date (kramdown's way of marking up
    an effective date), the first one in the document."""
    match = _DATETIME_ATTRIBUTE.search(source)
    return match.group(1) if match else None


# CommonMark's flanking rules are written for languages with spaces: "__30 天退款政策。__在您"
# is no emphasis to it (the closing run touches a letter), so its markers would stay in the
# text. A strong-emphasis pair touching a character of a language written without spaces
# is emphasis in every renderer readers use; its markers go, its text stays.
_LITERAL_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_CJK = re.compile(f"[{UNSPACED_SCRIPTS}{UNSPACED_PUNCTUATION}]")


def _strong_beside_cjk(text: str) -> str:
    if not _CJK.search(text):
        return text

    def unmark(match: re.Match) -> str:
        start, end = match.start(), match.end()
        touching = text[start - 1 : start] + match.group(2)[:1] + match.group(2)[-1:] + text[end : end + 1]
        return match.group(2) if _CJK.search(touching) else match.group(0)

    return _LITERAL_STRONG.sub(unmark, text)


def _inline(token) -> str:
    out: list[str] = []
    for child in token.children or []:
        kind = child.type
        if kind in ("text", "code_inline"):
            out.append(child.content)
        elif kind == "softbreak":
            out.append(SOFT_BREAK)
        elif kind == "hardbreak":
            out.append("\n")
        elif kind == "html_inline":
            if re.match(r"<br\b", child.content, re.I):
                out.append(" ")
        # link_open/close, em/strong markers, images: nothing of their own is shown
    return _strong_beside_cjk("".join(out))


class _OpenElements(HTMLParser):
    """How many elements the HTML fed so far leaves open (void elements and self-closing
    tags aside); fed piece by piece, each piece read once."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0

    def handle_starttag(self, tag, attrs) -> None:
        if tag not in _VOID_ELEMENTS:
            self.depth += 1

    def handle_endtag(self, tag) -> None:
        if tag not in _VOID_ELEMENTS:
            self.depth = max(0, self.depth - 1)


def _html_elements_whole(tokens: list) -> list:
    """An HTML block that a blank line cut off (CommonMark ends a raw HTML block at a blank
    line, and the rest of the element, indented, becomes a code block) joined with the
    HTML and code blocks that follow until its elements close: renderers of real
    collections (kramdown, goldmark) read the element whole, as a reader's browser does.
    A removed template tag on a line of its own leaves such a blank line too."""
    out: list = []
    pending, depth = None, None
    for token in tokens:
        if pending is not None and token.type in ("html_block", "code_block"):
            pending.content += "\n" + token.content
            depth.feed("\n" + token.content)
            if depth.depth == 0:
                pending = None
            continue
        pending = None
        out.append(token)
        if token.type == "html_block":
            depth = _OpenElements()
            depth.feed(token.content)
            pending = token if depth.depth > 0 else None
    return out


# Elements that never close (`<br>`, `<img>`, legacy `<param>`, ...), as BeautifulSoup
# (the HTML reader's parser) lists them.
_VOID_ELEMENTS = HTMLTreeBuilder.DEFAULT_EMPTY_ELEMENT_TAGS


def markdown_pieces(source: str) -> list[Piece]:
    """The rendered blocks of a Markdown body (front matter already removed)."""
    from index.html import html_pieces

    tokens = _html_elements_whole(_parser().parse(strip_templates(source)))
    pieces: list[Piece] = []
    stack: list[str] = []  # open container token types
    groups = 0
    group_of: list[int] = []  # group number of each open list/table
    row: list[str] | None = None
    heading_level = 0
    for token in tokens:
        kind = token.type
        if kind in _BLOCK_OPENERS:
            stack.append(kind)
            if kind != "blockquote_open":
                # A nested list belongs to its outer list's group: kept whole together.
                outer = next((g for g in reversed(group_of)), None)
                if outer is None or kind == "table_open":
                    groups += 1
                    group_of.append(groups)
                else:
                    group_of.append(outer)
        elif kind in ("bullet_list_close", "ordered_list_close", "table_close", "blockquote_close"):
            stack.pop()
            if kind != "blockquote_close":
                group_of.pop()
        elif kind == "heading_open":
            heading_level = int(token.tag[1])
        elif kind == "heading_close":
            heading_level = 0
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close":
            cells = [c for c in (row or []) if c.strip()]
            if cells:
                pieces.append(Piece("row", " | ".join(cells), group=group_of[-1] if group_of else -1))
            row = None
        elif kind == "inline":
            text = _inline(token)
            if row is not None:
                row.append(text.replace(SOFT_BREAK, " "))
            elif heading_level:
                pieces.append(Piece("heading", text.replace(SOFT_BREAK, " "), level=heading_level))
            elif "bullet_list_open" in stack or "ordered_list_open" in stack:
                pieces.append(Piece("item", text, group=group_of[-1]))
            elif "blockquote_open" in stack:
                pieces.append(Piece("quote", text))
            else:
                pieces.append(Piece("paragraph", text))
        elif kind in ("fence", "code_block"):
            pieces.append(Piece("code", token.content))
        elif kind == "html_block":
            pieces += html_pieces(token.content, fragment=True)
    return pieces
