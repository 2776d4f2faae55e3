"""Turn a folder of .md/.txt/.html/.pdf/.docx files into cleaned, structured Documents.

A bad file never stops the load: it becomes a LoadIssue that the build reports. So does a
file that is not a document (a redirect stub, an error page, a page generator) and a copy
of a document already loaded in another rendering (index/copies.py).

Document ids come from the path inside the corpus folder (`travel/leave.md` is
`travel/leave`), so files of the same name in different folders are different documents;
a front-matter `id` wins.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path, PurePosixPath

import yaml

from index.cleaning import clean_pieces
from index.copies import find_copies, format_rank
from index.documents import Document, LoadIssue, LoadResult
from index.encoding import BinaryData, NotText, decode_text, describe
from index.language import document_language, tell_among
from index.structure import Piece, assemble, plain_pieces, strip_templates

TEXT_SUFFIXES = {".txt"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
PDF_SUFFIXES = {".pdf"}
WORD_SUFFIXES = {".docx"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES | WORD_SUFFIXES
# Front matter: YAML between --- lines; `---js` / `---json` open a static-site generator's
# data block in another language, which is read for nothing but the fields below.
_FRONT_MATTER = re.compile(r"\A---([a-z]*)[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.S)
_SLUG = re.compile(r"[^a-z0-9]+")
_META_FIELDS = ("id", "title", "publisher", "date", "url", "language", "keywords")


class BadFile(Exception):
    """Raised by a parser; the message becomes the LoadIssue."""


class NotADocument(Exception):
    """Raised for a file that is a site's machinery, not a document; says what it is."""


def slugify(name: str) -> str:
    return _SLUG.sub("-", name.lower()).strip("-")[:80] or "document"


def path_id(rel: str) -> str:
    """A readable id unique by path: each folder and the file's stem slugified."""
    parts = PurePosixPath(rel.replace("\\", "/")).with_suffix("").parts
    return "/".join(slugify(p) for p in parts)


def normalize_date(value: object) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    # PDF dates look like D:20250421093000+08'00'
    pdf = re.match(r"^D:(\d{4})(\d{2})(\d{2})", text)
    if pdf:
        text = "-".join(pdf.groups())
    try:
        return dt.date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        raise BadFile(f"date {text!r} is not an ISO date (yyyy-mm-dd)") from None


def _decode(data: bytes, declared: str | None = None, kind: str = "text") -> tuple[str, list[str]]:
    """The file's text and, where its encoding was detected, a warning naming it. A web
    page that is text in no encoding that fits loses its undecodable bytes, not its text."""
    try:
        decoded = decode_text(data, declared)
    except BinaryData:
        raise BadFile(f"looks like a binary file (NUL bytes), not {kind}") from None
    except NotText as exc:
        if kind != "HTML":
            raise BadFile(str(exc)) from None
        return data.decode("utf-8", errors="replace"), [f"{exc}; undecodable bytes replaced"]
    return decoded.text, [describe(decoded)] if decoded.guessed else []


def split_front_matter(text: str) -> tuple[dict, str, list[str]]:
    """(front matter fields, body, warnings). Fields we do not use load silently."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text, []
    language, block, body = match.group(1), match.group(2), text[match.end() :]
    if language not in ("", "yaml"):
        # Another language's data block: only whether it generates pages matters.
        return ({"pagination": True} if re.search(r"\bpagination\s*:", block) else {}), body, []
    try:
        meta = yaml.safe_load(block) or {}
        if not isinstance(meta, dict):
            raise yaml.YAMLError("front matter is not a mapping")
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0]
        return {}, body, [f"front matter ignored, it is not valid YAML ({first})"]
    return meta, body, []


def _not_a_document(path: Path, meta: dict) -> None:
    """Raise NotADocument for the machinery of a web site that sits among its pages.

    These conventions are shared by static-site generators and web servers: a page
    that only redirects elsewhere, a page generated once per data item, the server's
    "not found" page."""
    target = meta.get("redirect_to") or meta.get("redirect")
    if target and isinstance(target, str):
        raise NotADocument(f"a redirect stub (to {target[:80]})")
    if meta.get("pagination"):
        raise NotADocument("a page template (it generates pages from data)")
    if re.fullmatch(r"40[0-9]|50[0-9]", path.stem):
        raise NotADocument(f"an error page template ({path.stem})")


def _parse_markdown(path: Path, data: bytes) -> tuple[dict, list[Piece], list[str]]:
    from index.markdown import attribute_date, markdown_pieces

    text, read_as = _decode(data)
    meta, body, warnings = split_front_matter(text)
    warnings = [*read_as, *warnings]
    _not_a_document(path, meta)
    if not meta.get("date") and (stated := attribute_date(body)):
        meta["date"] = stated
    return meta, markdown_pieces(body), warnings


def _parse_text(path: Path, data: bytes) -> tuple[dict, list[Piece], list[str]]:
    text, read_as = _decode(data)
    meta, body, warnings = split_front_matter(text)
    _not_a_document(path, meta)
    return meta, plain_pieces(body), [*read_as, *warnings]


def _parse_html(path: Path, data: bytes) -> tuple[dict, list[Piece], list[str]]:
    from bs4.dammit import EncodingDetector

    from index.html import _soup, body_pieces, html_meta

    text, read_as = _decode(data, EncodingDetector.find_declared_encoding(data, is_html=True), "HTML")
    front, body, warnings = split_front_matter(text)
    warnings = [*read_as, *warnings]
    _not_a_document(path, front)
    soup = _soup(strip_templates(body))
    meta = html_meta(soup)
    _not_a_document(path, {k: v for k, v in meta.items() if k == "redirect_to"})
    meta.pop("redirect_to", None)
    meta.update({k: v for k, v in front.items() if v})
    return meta, body_pieces(soup), warnings


def _parse_pdf(path: Path, data: bytes) -> tuple[dict, list[Piece], list[str]]:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    from index.pdf import pdf_pieces

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise BadFile("the PDF is encrypted")
        # Headings and paragraphs from the layout; the bare text where no layout is reported
        # or the layout makes no sense to the reader (the text still loads).
        try:
            pieces = pdf_pieces(reader)
        except (ArithmeticError, ValueError, TypeError, KeyError, IndexError, AttributeError):
            pieces = []
        pieces = pieces or plain_pieces("\n".join((page.extract_text() or "") for page in reader.pages))
        info = reader.metadata or {}
        language = reader.trailer["/Root"].get("/Lang")  # the document catalog's language
    except (
        PyPdfError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
        RecursionError,
        OSError,
        ArithmeticError,
    ) as exc:
        raise BadFile(f"not a readable PDF ({type(exc).__name__}: {exc})") from None
    meta = {
        "title": info.get("/Title"),
        "publisher": info.get("/Author"),
        "date": info.get("/CreationDate"),
        "keywords": info.get("/Keywords"),
        "language": language,
    }
    return {k: (str(v).strip() if v else None) for k, v in meta.items()}, pieces, []


def _parse_docx(path: Path, data: bytes) -> tuple[dict, list[Piece], list[str]]:
    from index.html import _soup, body_pieces
    from index.word import NotWord, read_docx

    try:
        meta, html = read_docx(data)
    except NotWord as exc:
        raise BadFile(f"not a readable Word document ({exc})") from None
    return meta, body_pieces(_soup(html)), []


def _parse(path: Path, data: bytes) -> tuple[dict, list[Piece], list[str]]:
    suffix = path.suffix.lower()
    if suffix in HTML_SUFFIXES:
        return _parse_html(path, data)
    if suffix in WORD_SUFFIXES:
        return _parse_docx(path, data)
    if suffix in PDF_SUFFIXES:
        return _parse_pdf(path, data)
    if suffix in TEXT_SUFFIXES:
        return _parse_text(path, data)
    return _parse_markdown(path, data)


def _field(meta: dict, key: str) -> str:
    value = meta.get(key)
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v).strip() for v in value if v is not None)
    return str(value).strip()


def load_file(path: Path, root: Path, max_bytes: int) -> tuple[Document | None, list[LoadIssue]]:
    rel = path.relative_to(root).as_posix()
    size = path.stat().st_size
    if size == 0:
        return None, [LoadIssue(rel, "empty file")]
    if size > max_bytes:
        limit = max_bytes / 1_000_000
        return None, [
            LoadIssue(rel, f"{size / 1_000_000:.1f} MB is over the {limit:g} MB limit (POLICYQA_MAX_DOCUMENT_MB)")
        ]
    try:
        meta, pieces, warnings = _parse(path, path.read_bytes())
    except BadFile as exc:
        return None, [LoadIssue(rel, str(exc))]
    except NotADocument as exc:
        return None, [LoadIssue(rel, f"not a document: {exc}")]
    try:
        date = normalize_date(meta.get("date"))
    except BadFile as exc:  # a bad date loses the date, not the document
        date, warnings = None, [*warnings, f"{exc}; date left empty"]
    issues = [LoadIssue(rel, w, skipped=False) for w in warnings]
    text, blocks = assemble(pieces, clean=clean_pieces)
    if not text.strip():
        if path.suffix.lower() in PDF_SUFFIXES and not pieces:
            return None, issues + [LoadIssue(rel, "no text layer (a scanned PDF needs OCR before it can be indexed)")]
        return None, issues + [LoadIssue(rel, "no text left after cleaning")]
    clean = {k: _field(meta, k) for k in _META_FIELDS}
    language, unsure = document_language(clean["language"], text)
    title = clean["title"]
    if not title and blocks and blocks[0].kind == "heading" and blocks[0].level == 1:
        title = text[blocks[0].start : blocks[0].end]  # the document's own headline
    doc = Document(
        id=slugify(clean["id"]) if clean["id"] else path_id(rel),
        text=text,
        title=title,
        publisher=clean["publisher"],
        date=date,
        url=clean["url"] or None,
        language=language,
        language_unsure=unsure,
        source=rel,
        keywords=clean["keywords"],
        blocks=blocks,
    )
    return doc, issues


def corpus_files(folder: Path) -> list[Path]:
    """Every file under the folder except hidden ones and READMEs, in a stable order."""
    return sorted(
        p
        for p in folder.rglob("*")
        if (p.is_file() or (p.is_symlink() and not p.exists()))  # a dangling link is reported
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
        and not p.name.upper().startswith("README")
    )


def declared_id(doc: Document) -> bool:
    """Whether the document named its own id (front matter) rather than taking its path's."""
    return doc.id != path_id(doc.source)


def _unique_id(doc: Document, taken: dict[str, str]) -> Document:
    """Two files mapping to one id ("a.md", "a.html"): the later one's suffix joins its id."""
    if doc.id not in taken:
        return doc
    suffixed = slugify(PurePosixPath(doc.source).suffix) or "copy"
    candidate, n = f"{doc.id}-{suffixed}", 2
    while candidate in taken:
        candidate, n = f"{doc.id}-{suffixed}-{n}", n + 1
    return Document(**{**doc.meta(), "text": doc.text, "blocks": doc.blocks, "id": candidate})


def _same_text(kept: str, skipped: str) -> str:
    """Why `skipped` was: in the copy detection's words when the formats differ."""
    if format_rank(kept) != format_rank(skipped):
        return f"the same text as {kept} in another format; kept that one"
    return f"same text as {kept}; kept that one"


def load_corpus(folder: Path, max_document_mb: float = 10.0) -> LoadResult:
    result = LoadResult()
    if not folder.is_dir():
        result.issues.append(LoadIssue(str(folder), "corpus folder does not exist"))
        return result
    taken: dict[str, str] = {}
    seen_text: dict[str, int] = {}  # a text's digest -> its document's place in the result
    for path in corpus_files(folder):
        rel = path.relative_to(folder).as_posix()
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            result.issues.append(
                LoadIssue(rel, f"unsupported file type {path.suffix or '(none)'}; use .md, .txt, .html, .pdf or .docx")
            )
            continue
        try:
            doc, issues = load_file(path, folder, int(max_document_mb * 1_000_000))
        except OSError as exc:
            doc, issues = None, [LoadIssue(rel, f"cannot read: {exc.strerror or exc}")]
        except Exception as exc:  # a parser bug on one odd file must not stop the build
            doc, issues = None, [LoadIssue(rel, f"could not be parsed ({type(exc).__name__}: {exc})")]
        result.issues.extend(issues)
        if doc is None:
            continue
        digest = hashlib.sha256(doc.text.encode("utf-8")).hexdigest()
        slot = seen_text.get(digest)  # where the same text was loaded from another file
        replaced = result.documents[slot] if slot is not None else None
        if replaced is not None and format_rank(rel) >= format_rank(replaced.source):
            result.issues.append(LoadIssue(rel, _same_text(replaced.source, rel)))
            continue
        if replaced is not None:  # the same text in a richer format takes its rendering's place
            del taken[replaced.id]
        if doc.id in taken and declared_id(doc):
            if replaced is not None:
                taken[replaced.id] = replaced.source
            result.issues.append(LoadIssue(rel, f"document id {doc.id!r} is already used by {taken[doc.id]}"))
            continue
        doc = _unique_id(doc, taken)
        taken[doc.id] = rel
        if replaced is not None:
            result.issues.append(LoadIssue(replaced.source, _same_text(rel, replaced.source)))
            result.documents[slot] = doc
        else:
            seen_text[digest] = len(result.documents)
            result.documents.append(doc)
    copies = find_copies(result.documents)
    if copies.skipped:
        result.documents = [d for d in result.documents if d.id not in copies.skipped]
    result.issues.extend(copies.issues)
    result.documents = settle_languages(result.documents)
    return result


def settle_languages(documents: list[Document]) -> list[Document]:
    """Documents whose language was detected from little running text (a list of names
    reads as Latin or Yoruba to a trigram model) told again with the languages of the rest
    of their collection (`tell_among`); kept as detected where that does not decide."""
    known = Counter(d.language for d in documents if d.language and not d.language_unsure)
    if not known:
        return documents
    languages = [code for code, _ in known.most_common()]
    return [
        replace(d, language=tell_among(d.text, d.language, languages) or d.language, language_unsure=False)
        if d.language_unsure
        else d
        for d in documents
    ]
