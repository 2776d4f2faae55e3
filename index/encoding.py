"""Bytes of a text file to text, in whatever encoding the file was saved.

Collections as they come hold more than UTF-8: Windows-1252 text from office tools, UTF-16
from Notepad's "Unicode", GB18030 or Shift-JIS from older Chinese and Japanese systems, and
web pages that declare their charset. A file is read, in this order, as:

1. what its byte-order mark says (UTF-8, UTF-16, UTF-32);
2. UTF-8, when it decodes as UTF-8: a legacy encoding almost never yields valid UTF-8 by
   chance, so a valid decoding wins even over a page's declaration (which is often stale);
3. the charset a web page declares (`<meta charset>`), where it decodes;
4. Windows-1252, when the result reads as Latin-script text: mostly ASCII, every other
   character a letter, a punctuation mark or a sign such as "€" or "°". It is the legacy encoding of
   Western European text (and what browsers read for a page labelled Latin-1), and
   statistical detection is unreliable on such text: charset-normalizer read a German
   Windows-1252 sentence as code page 775 ("K³ndigung");
5. what charset-normalizer detects (multi-byte CJK encodings, Cyrillic, Greek, ...).

Anything else is not text (`NotText`). A file read by 4 or 5 says so (`Decoded.guessed`),
so the build can report which encoding was assumed.
"""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass

# UTF-32's little-endian mark begins with UTF-16's: the longer marks are tried first.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Labels that browsers read as Windows-1252 (the WHATWG Encoding Standard): a page labelled
# Latin-1 or ASCII uses 0x80-0x9F for curly quotes, dashes and the euro sign.
_WINDOWS_1252_LABELS = frozenset({"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "ascii", "us-ascii"})
LATIN_NON_ASCII_SHARE = 0.3  # at most this share of a Latin-script text's letters is non-ASCII
_SNIFF_BYTES = 8192


class NotText(ValueError):
    """The bytes are not text in any encoding that could be told."""


class BinaryData(NotText):
    """The bytes hold NUL bytes without a byte-order mark that explains them."""


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # Python codec name
    guessed: bool = False  # detected: no byte-order mark, declaration or valid UTF-8 said so


def decode_text(data: bytes, declared: str | None = None) -> Decoded:
    """The text of a file's bytes (see the module docstring); `declared`: the charset a web
    page declares. Raises NotText."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return Decoded(data.decode(codec), codec)
            except UnicodeDecodeError as exc:
                raise NotText(f"starts with a {codec.upper()} byte-order mark but is not {codec.upper()}") from exc
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise BinaryData("looks like a binary file (NUL bytes), not text")
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    if declared:
        codec = "cp1252" if declared.strip().lower() in _WINDOWS_1252_LABELS else declared
        try:
            return Decoded(data.decode(codec), codecs.lookup(codec).name)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = None
    if text is not None and _reads_as_latin(text):
        return Decoded(text, "cp1252", guessed=True)
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise NotText("not UTF-8, and no other text encoding fits it")
    return Decoded(str(best), codecs.lookup(best.encoding).name, guessed=True)


def _reads_as_latin(text: str) -> bool:
    """Mostly ASCII letters, the rest letters, punctuation or signs ("€", "°"): Latin-script
    text, not the bytes of another script read one by one (which give mostly non-ASCII
    letters, or digits and symbols such as "³" and "¹")."""
    letters = ascii_letters = 0
    for ch in text:
        if ch.isascii():
            ascii_letters += ch.isalpha()
            continue
        category = unicodedata.category(ch)
        if category[0] == "L":
            letters += 1
        elif category[0] not in "PZ" and category not in ("Sc", "So"):
            return False
    return letters <= LATIN_NON_ASCII_SHARE * (letters + ascii_letters)


def describe(decoded: Decoded) -> str:
    """How a file that is not UTF-8 was read, for the build's report."""
    return f"not UTF-8: read as {decoded.encoding}; save it as UTF-8 to be sure"
