"""HTML to rendered blocks and metadata, with BeautifulSoup.

Page chrome (scripts, styles, navigation, headers, footers, forms) is dropped; the body is
walked in document order into headings, paragraphs, list items, table rows, code and
quotes. White space collapses as a browser collapses it, except inside `<pre>`.
"""

from __future__ import annotations

import re

from index.structure import Piece, strip_templates

_CHROME = [
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "head",
    "button",
    "select",
    "svg",
    "iframe",
]
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BLOCKS = {
    "p",
    "div",
    "section",
    "article",
    "main",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "td",
    "th",
    "blockquote",
    "pre",
    "figure",
    "figcaption",
    "address",
    "details",
    "summary",
    "hr",
    "body",
    "html",
    *_HEADINGS,
}
_REFRESH_URL = re.compile(r"""url\s*=\s*['"]?([^'"]+)""", re.I)
MAIN_SHARE = 0.5  # of the page's text, for its <main> element to be read alone
_SOURCE_BREAK = re.compile(r"\r\n|[\r\n]")
_WS = re.compile(r"\s+")


def _soup(data: bytes | str):
    from bs4 import BeautifulSoup

    return BeautifulSoup(data, "html.parser")


def html_meta(soup) -> dict:
    """Title, publisher, date, url, language, keywords and redirect from the head."""

    def meta_content(*names: str) -> str | None:
        for name in names:
            tag = soup.find("meta", attrs={"property": name}) or soup.find("meta", attrs={"name": name})
            if tag and tag.get("content"):
                return str(tag["content"]).strip()
        return None

    title = meta_content("og:title") or (soup.title.get_text(strip=True) if soup.title else None)
    time_tag = soup.find("time", attrs={"datetime": True})
    canonical = soup.find("link", attrs={"rel": "canonical"})
    refresh = soup.find("meta", attrs={"http-equiv": re.compile("^refresh$", re.I)})
    return {
        "title": title,
        "publisher": meta_content("og:site_name", "publisher", "author"),
        "date": meta_content("article:published_time", "date", "pubdate", "dc.date")
        or (time_tag["datetime"] if time_tag else None),
        "url": meta_content("og:url") or (canonical.get("href") if canonical else None),
        "language": (soup.html.get("lang") if soup.html else None),
        "keywords": meta_content("keywords"),
        "redirect_to": _refresh_target(refresh.get("content") if refresh else None),
    }


def _refresh_target(content: str | None) -> str | None:
    """Where a `<meta http-equiv="refresh">` sends the reader ("0; URL=page.html"), or None
    when it only reloads the page itself after a delay ("300": a page that updates, not a
    redirect)."""
    match = _REFRESH_URL.search(content or "")
    return match.group(1).strip() if match else None


def _is_block(node) -> bool:
    return getattr(node, "name", None) in _BLOCKS


def _has_block(node) -> bool:
    return any(getattr(d, "name", None) in _BLOCKS for d in node.descendants)


def _text(node, preformatted: bool = False) -> str:
    """A node's text as a reader sees it: comments and images left out, a line break for
    `<br>` and, in preformatted text only, for a line break of the source (elsewhere a
    browser shows it as a space: a page's source wraps its paragraphs anywhere). Read off
    its descendants in document order, so text nested however deep (a legacy page's
    unclosed tags) is read without recursion."""
    from bs4 import NavigableString
    from bs4.element import Comment

    def shown(text: str) -> str:
        return text if preformatted else _SOURCE_BREAK.sub(" ", text)

    if isinstance(node, NavigableString):
        return "" if isinstance(node, Comment) else shown(str(node))
    if node.name == "br":
        return "\n"
    out = []
    for child in node.descendants:
        if isinstance(child, NavigableString):
            if not isinstance(child, Comment):
                out.append(shown(str(child)))
        elif child.name == "br":
            out.append("\n")
    return "".join(out)


_END = object()  # no more children


class _Walker:
    """The page's blocks in document order, walked with a stack of its open blocks rather
    than by recursion: a legacy page that never closes its `<p>` or `<div>` tags nests
    them as deep as it is long."""

    def __init__(self) -> None:
        self.pieces: list[Piece] = []
        self.groups = 0

    def flush(self, buffer: list[str], kind: str, group: int) -> None:
        text = "".join(buffer)
        buffer.clear()
        lines = [_WS.sub(" ", line).strip() for line in text.split("\n")]
        text = "\n".join(line for line in lines if line)
        if text:
            self.pieces.append(Piece(kind, text, group=group))  # type: ignore[arg-type]

    def walk(self, root, kind: str = "paragraph", group: int = -1) -> None:
        from bs4.element import Comment

        stack = [(iter(root.children), kind, group, [])]
        while stack:
            children, kind, group, buffer = stack[-1]
            child = next(children, _END)
            if child is _END:
                self.flush(buffer, kind, group)
                stack.pop()
                continue
            if isinstance(child, Comment):
                continue
            name = getattr(child, "name", None)
            if name is None or not _is_block(child) and not _has_block(child):
                buffer.append(_text(child))
                continue
            self.flush(buffer, kind, group)
            inside = self.block(child, kind, group)
            if inside is not None:
                stack.append((iter(child.children), *inside, []))

    def block(self, node, kind: str, group: int) -> tuple[str, int] | None:
        """Record a block that is read whole (a heading, a table, code); for one whose
        children are blocks of their own, the (kind, group) to walk them with."""
        name = node.name
        if name in _HEADINGS:
            text = _WS.sub(" ", _text(node)).strip()
            if text:
                self.pieces.append(Piece("heading", text, level=_HEADINGS[name]))
        elif name in ("ul", "ol", "dl"):
            if group < 0:
                self.groups += 1
                group = self.groups
            return "item", group
        elif name in ("li", "dt", "dd"):
            return "item", group
        elif name == "table":
            self.groups += 1
            for row in node.find_all("tr"):
                cells = [_WS.sub(" ", _text(c)).strip() for c in row.find_all(["td", "th"])]
                cells = [c for c in cells if c]
                if cells:
                    self.pieces.append(Piece("row", " | ".join(cells), group=self.groups))
        elif name == "pre":
            text = _text(node, preformatted=True)
            if text.strip():
                self.pieces.append(Piece("code", text))
        elif name == "blockquote":
            return "quote", group
        elif name != "hr":
            return kind, group
        return None


def html_pieces(data: bytes | str, fragment: bool = False) -> list[Piece]:
    """The rendered blocks of an HTML page (or of a fragment inside Markdown)."""
    soup = _soup(strip_templates(data) if isinstance(data, str) else data)
    return body_pieces(soup, fragment)


def body_pieces(soup, fragment: bool = False) -> list[Piece]:
    for tag in soup(_CHROME if not fragment else ["script", "style", "noscript", "template"]):
        tag.decompose()
    walker = _Walker()
    walker.walk(_content(soup.body or soup) if not fragment else soup)
    return walker.pieces


def _content(body):
    """The page's main content: its `<main>` element (or `role="main"`), which HTML defines
    as the dominant content of the page, where one holds most of the page's text; what is
    outside it is site furniture (a help pop-up, a cookie notice, a sidebar not marked as
    navigation) repeated on every page. Else the whole body."""
    main = body.find("main") or body.find(attrs={"role": "main"})
    if main is None:
        return body
    inside, everything = len(_WS.sub("", main.get_text())), len(_WS.sub("", body.get_text()))
    return main if inside >= MAIN_SHARE * everything else body
