"""Turn a folder of .md/.txt/.html/.pdf files into cleaned Documents.

A bad file never stops the load: it becomes a LoadIssue that the build reports.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

import yaml

from index.cleaning import clean_text
from index.documents import Document, LoadIssue, LoadResult

TEXT_SUFFIXES = {".md", ".markdown", ".txt"}
HTML_SUFFIXES = {".html", ".htm"}
PDF_SUFFIXES = {".pdf"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.S)
_SLUG = re.compile(r"[^a-z0-9]+")
_META_FIELDS = ("id", "title", "publisher", "date", "url", "language")


class BadFile(Exception):
    """Raised by a parser; the message becomes the LoadIssue."""


def slugify(name: str) -> str:
    return _SLUG.sub("-", name.lower()).strip("-")[:80] or "document"


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


def _decode(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise BadFile("looks like a binary file (NUL bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadFile(f"not valid UTF-8 (bad byte at offset {exc.start}); save it as UTF-8") from None


def _parse_markdown(data: bytes) -> tuple[dict, str, list[str]]:
    text = _decode(data)
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text, []
    try:
        meta = yaml.safe_load(match.group(1)) or {}
        if not isinstance(meta, dict):
            raise yaml.YAMLError("front matter is not a mapping")
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0]
        return {}, text[match.end():], [f"front matter ignored, it is not valid YAML ({first})"]
    return meta, text[match.end():], []


def _parse_html(data: bytes) -> tuple[dict, str, list[str]]:
    from bs4 import BeautifulSoup

    if b"\x00" in data[:8192]:
        raise BadFile("looks like a binary file (NUL bytes), not HTML")
    soup = BeautifulSoup(data, "html.parser")

    def meta_content(*names: str) -> str | None:
        for name in names:
            tag = soup.find("meta", attrs={"property": name}) or soup.find("meta", attrs={"name": name})
            if tag and tag.get("content"):
                return str(tag["content"]).strip()
        return None

    title = meta_content("og:title") or (soup.title.get_text(strip=True) if soup.title else None)
    time_tag = soup.find("time", attrs={"datetime": True})
    canonical = soup.find("link", attrs={"rel": "canonical"})
    meta = {
        "title": title,
        "publisher": meta_content("og:site_name", "publisher", "author"),
        "date": meta_content("article:published_time", "date", "pubdate", "dc.date")
        or (time_tag["datetime"] if time_tag else None),
        "url": meta_content("og:url") or (canonical.get("href") if canonical else None),
        "language": (soup.html.get("lang") if soup.html else None),
    }
    for tag in soup(["script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form", "head"]):
        tag.decompose()
    body = soup.body or soup
    blocks = "p li h1 h2 h3 h4 h5 h6 blockquote pre td dd dt figcaption div section article br".split()
    for tag in body.find_all(blocks):
        tag.insert_after("\n")
    return meta, body.get_text(), []


def _parse_pdf(data: bytes) -> tuple[dict, str, list[str]]:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise BadFile("the PDF is encrypted")
        text = "\n".join((page.extract_text() or "") for page in reader.pages)
        info = reader.metadata or {}
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            RecursionError, OSError, ArithmeticError) as exc:
        raise BadFile(f"not a readable PDF ({type(exc).__name__}: {exc})") from None
    meta = {
        "title": info.get("/Title"),
        "publisher": info.get("/Author"),
        "date": info.get("/CreationDate"),
    }
    return {k: (str(v).strip() if v else None) for k, v in meta.items()}, text, []


def _parse(path: Path, data: bytes) -> tuple[dict, str, list[str]]:
    suffix = path.suffix.lower()
    if suffix in HTML_SUFFIXES:
        return _parse_html(data)
    if suffix in PDF_SUFFIXES:
        return _parse_pdf(data)
    return _parse_markdown(data)


def load_file(path: Path, root: Path, max_bytes: int) -> tuple[Document | None, list[LoadIssue]]:
    rel = str(path.relative_to(root))
    size = path.stat().st_size
    if size == 0:
        return None, [LoadIssue(rel, "empty file")]
    if size > max_bytes:
        limit = max_bytes / 1_000_000
        return None, [LoadIssue(rel, f"{size / 1_000_000:.1f} MB is over the {limit:g} MB limit (POLICYQA_MAX_DOCUMENT_MB)")]
    try:
        meta, raw_text, warnings = _parse(path, path.read_bytes())
    except BadFile as exc:
        return None, [LoadIssue(rel, str(exc))]
    try:
        date = normalize_date(meta.get("date"))
    except BadFile as exc:  # a bad date loses the date, not the document
        date, warnings = None, [*warnings, f"{exc}; date left empty"]
    issues = [LoadIssue(rel, w, skipped=False) for w in warnings]
    text = clean_text(raw_text)
    if not text.strip():
        return None, issues + [LoadIssue(rel, "no text left after cleaning")]
    clean = {k: ("" if meta.get(k) is None else str(meta.get(k)).strip()) for k in _META_FIELDS}
    doc = Document(
        id=slugify(clean["id"] or path.stem),
        text=text,
        title=clean["title"],
        publisher=clean["publisher"],
        date=date,
        url=clean["url"] or None,
        language=clean["language"] or None,
        source=rel,
    )
    return doc, issues


def corpus_files(folder: Path) -> list[Path]:
    """Every file under the folder except hidden ones and READMEs, in a stable order."""
    return sorted(
        p for p in folder.rglob("*")
        if (p.is_file() or (p.is_symlink() and not p.exists()))  # a dangling link is reported
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
        and not p.name.upper().startswith("README")
    )


def load_corpus(folder: Path, max_document_mb: float = 10.0) -> LoadResult:
    result = LoadResult()
    if not folder.is_dir():
        result.issues.append(LoadIssue(str(folder), "corpus folder does not exist"))
        return result
    seen_ids: dict[str, str] = {}
    seen_text: dict[str, str] = {}
    for path in corpus_files(folder):
        rel = str(path.relative_to(folder))
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            result.issues.append(LoadIssue(rel, f"unsupported file type {path.suffix or '(none)'}; use .md, .txt, .html or .pdf"))
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
        if digest in seen_text:
            result.issues.append(LoadIssue(rel, f"same text as {seen_text[digest]}; kept that one"))
            continue
        if doc.id in seen_ids:
            result.issues.append(LoadIssue(rel, f"document id {doc.id!r} is already used by {seen_ids[doc.id]}"))
            continue
        seen_ids[doc.id] = rel
        seen_text[digest] = rel
        result.documents.append(doc)
    return result
