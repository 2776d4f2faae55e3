"""Store uploaded documents in the corpus folder, safely.

A file is accepted only if its extension is one the index can read AND its bytes look
like that type (PDF magic, a ZIP archive for .docx, or text in an encoding that
index/encoding.py reads), and it is within the size limit. Names are reduced to a
whitelist of characters (no directories, no hidden files), and a name that is taken gets
a numeric suffix: an upload never overwrites anything.
Bytes go to a hidden temporary file first (the index build skips hidden files) and are
then hard-linked into place, which fails instead of replacing if the name appeared
meanwhile, so two uploads at once cannot clobber each other either.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from index.encoding import NotText, decode_text
from index.loading import HTML_SUFFIXES, PDF_SUFFIXES, SUPPORTED_SUFFIXES, WORD_SUFFIXES

UPLOADS_SUBDIR = "uploads"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_STEM = 80
# Magic numbers of binary formats people might rename to .txt by mistake.
_BINARY_MAGIC = (b"%PDF-", b"PK\x03\x04", b"\x7fELF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\xd0\xcf\x11\xe0")


@dataclass(frozen=True)
class Saved:
    original: str
    path: Path


@dataclass(frozen=True)
class Rejected:
    original: str
    reason: str

    def __str__(self) -> str:
        return f"{self.original}: {self.reason}"


@dataclass
class UploadResult:
    saved: list[Saved] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


def safe_name(original: str) -> str:
    """A harmless file name from whatever the browser sent: basename only, ASCII
    letters/digits/`._-`, no leading dot, lower-case extension, bounded length."""
    base = re.split(r"[/\\]", original or "")[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = suffix, ""
    stem = re.sub(r"-{2,}", "-", _UNSAFE.sub("-", stem)).strip("-._")[:_MAX_STEM] or "document"
    suffix = _UNSAFE.sub("", suffix).lower()
    return f"{stem}.{suffix}" if suffix else stem


def check_content(name: str, data: bytes, max_bytes: int) -> str | None:
    """Why these bytes may not be stored under this name, or None if they may."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        allowed = ", ".join(sorted(SUPPORTED_SUFFIXES))
        return f"unsupported file type {suffix or '(no extension)'}; allowed: {allowed}"
    if not data:
        return "the file is empty"
    if len(data) > max_bytes:
        return f"{len(data) / 1e6:.1f} MB is over the {max_bytes / 1e6:g} MB upload limit"
    if suffix in PDF_SUFFIXES:
        return None if data.startswith(b"%PDF-") else "the file is named .pdf but is not a PDF"
    if suffix in WORD_SUFFIXES:  # Office Open XML is a ZIP archive; an old binary .doc is not
        return None if data.startswith(b"PK\x03\x04") else f"the file is named {suffix} but is not a Word .docx file"
    if data.startswith(_BINARY_MAGIC):
        return f"the file is named {suffix} but contains binary data, not text"
    try:
        text = decode_text(data).text
    except NotText as exc:
        return f"the file is named {suffix} but is not text: {exc}"
    if suffix in HTML_SUFFIXES and not re.search(r"<\s*[a-zA-Z!]", text[:65536]):
        return "the file is named .html but contains no HTML markup"
    return None


def read_limited(path: Path, max_bytes: int) -> bytes:
    """Read at most max_bytes + 1 bytes: enough to know a file is too large."""
    with open(path, "rb") as fh:
        return fh.read(max_bytes + 1)


def _candidates(name: str) -> Iterable[str]:
    stem, suffix = os.path.splitext(name)
    yield name
    n = 2
    while True:
        yield f"{stem}-{n}{suffix}"
        n += 1


def store(name: str, data: bytes, folder: Path) -> Path:
    """Write data under a free variant of `name` in folder; never replaces a file."""
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".upload-{os.getpid()}-{os.urandom(6).hex()}.part"
    with open(tmp, "xb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    try:
        for candidate in _candidates(name):
            target = folder / candidate
            try:
                os.link(tmp, target)  # atomic, and fails if the name exists
                return target
            except FileExistsError:
                continue
            except OSError:  # a filesystem without hard links: exclusive create
                try:
                    with open(target, "xb") as fh:
                        fh.write(data)
                    return target
                except FileExistsError:
                    continue
    finally:
        tmp.unlink(missing_ok=True)
    raise AssertionError("unreachable")


def save_uploads(files: Iterable[tuple[str, Path | bytes]], corpus_dir: Path, max_bytes: int) -> UploadResult:
    """Check and store (original name, temporary path or the bytes themselves) pairs under
    corpus_dir/uploads."""
    result = UploadResult()
    folder = corpus_dir / UPLOADS_SUBDIR
    for original, source in files:
        shown = Path(re.split(r"[/\\]", original or "")[-1] or "upload").name
        name = safe_name(original)
        try:
            data = source if isinstance(source, bytes) else read_limited(Path(source), max_bytes)
        except OSError as exc:
            result.rejected.append(Rejected(shown, f"could not be read ({exc.strerror or exc})"))
            continue
        problem = check_content(name, data, max_bytes)
        if problem:
            result.rejected.append(Rejected(shown, problem))
            continue
        try:
            result.saved.append(Saved(shown, store(name, data, folder)))
        except OSError as exc:
            result.rejected.append(Rejected(shown, f"could not be stored ({exc.strerror or exc})"))
    return result
