"""Word documents (.docx) as HTML and metadata, with mammoth.

mammoth maps a paragraph's style to its meaning (Word's built-in "heading 1".."heading 6",
which keep their English names in any language's Word, LibreOffice and Google Docs
exports; lists; tables; footnotes) rather than its look, so a .docx becomes the same
semantic HTML a web page is, and goes through the HTML loader's blocks, section paths and
cleaning. The document's properties (`docProps/core.xml`, Dublin Core) give its title,
author, date, language and keywords.
"""

from __future__ import annotations

import io
import zipfile
from xml.etree import ElementTree

# Word's "Title" style is the document's headline; its "Subtitle" a line under it.
_STYLE_MAP = """
p[style-name='Title'] => h1:fresh
p[style-name='Subtitle'] => p:fresh
"""
_CORE = "docProps/core.xml"
_NS = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
    "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
}


# What a document's XML parts may expand to: the XML of a thousand-page document is a few
# tens of MB, so a file expanding beyond this is a ZIP bomb, not a document.
MAX_XML_BYTES = 200_000_000


class NotWord(ValueError):
    """The bytes are not a readable .docx; the message says why."""


def read_docx(data: bytes) -> tuple[dict, str]:
    """The document's properties (`docx_meta`) and its body as HTML (`docx_html`), after
    checking that the archive is a Word document of a sane size."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = {info.filename: info.file_size for info in archive.infolist()}
            if "word/document.xml" not in parts:
                raise NotWord("an Office archive without a Word document body (word/document.xml)")
            xml = sum(size for name, size in parts.items() if not name.startswith("word/media/"))
            if xml > MAX_XML_BYTES:
                raise NotWord(f"its parts expand to {xml / 1e6:,.0f} MB, over the {MAX_XML_BYTES / 1e6:g} MB allowed")
            core = archive.read(_CORE) if _CORE in parts else None
    except zipfile.BadZipFile as exc:
        raise NotWord(_why(exc)) from None
    return docx_meta(core), docx_html(data)


def docx_html(data: bytes) -> str:
    """The document body as HTML. Images are left out (their bytes are not read): only
    text is indexed."""
    import mammoth

    try:
        result = mammoth.convert_to_html(
            io.BytesIO(data),
            style_map=_STYLE_MAP,
            convert_image=mammoth.images.img_element(lambda image: {"alt": image.alt_text or ""}),
        )
    except (zipfile.BadZipFile, KeyError, ValueError, ElementTree.ParseError) as exc:
        raise NotWord(_why(exc)) from None
    return result.value


def docx_meta(core: bytes | None) -> dict:
    """Title, publisher (the author), date (last modified, else created), language and
    keywords from the core properties part (`docProps/core.xml`); empty where there are none."""
    if not core:
        return {}
    try:
        root = ElementTree.fromstring(core)
    except ElementTree.ParseError:
        return {}  # unreadable properties lose the properties, not the document

    def field(name: str) -> str | None:
        node = root.find(name, _NS)
        return node.text.strip() if node is not None and node.text and node.text.strip() else None

    return {
        "title": field("dc:title"),
        "publisher": field("dc:creator"),
        "date": field("dcterms:modified") or field("dcterms:created"),
        "language": field("dc:language"),
        "keywords": field("cp:keywords"),
    }


def _why(exc: Exception) -> str:
    if isinstance(exc, zipfile.BadZipFile):
        return "not a .docx archive (a password-protected or old binary .doc file is not one)"
    return f"{type(exc).__name__}: {exc}"
