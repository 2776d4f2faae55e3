"""The language of a document: from its metadata where given, else detected from its text.

Codes are ISO 639-1 primary subtags ("zh-CN" and "zh_Hans" are "zh", "de-AT" is "de"):
what tokenisers and stemmers are chosen by, and what the language filter matches. A
collection mixes languages only between documents in practice (a translation is its own
file), so one language per document is enough.

Detection uses lingua, whose models ship inside the package (nothing is downloaded), in
its low-accuracy mode: trigram models for all of its 75 languages load in about 0.3 s and
70 MB (the full models take 7 s and 1.2 GB), and are reliable on document-length text.
Short strings (a question, "and in Suzhou?") are not reliable among all 75 languages in
any mode; among the few languages a collection holds they mostly are (`detect_among`), and
where the choice stays close it is not made.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from functools import cache, lru_cache

import regex

# Scripts written without spaces between words (kana, CJK ideographs, hangul; hangul is
# spaced by words but not split further here) and their punctuation, as regex ranges.
UNSPACED_SCRIPTS = "\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff"
UNSPACED_PUNCTUATION = "\u3000-\u303f\uff00-\uff0f\uff1a-\uff20"
SPACED_LETTER = f"[^\\W{UNSPACED_SCRIPTS}]"  # a letter or digit of a script written with spaces
# Of those, the scripts with no spaces between words at all (Chinese, Japanese): their
# words are counted by characters, 1.5 a word (a Chinese word is one to two characters).
_CHARACTER_WORD_SCRIPTS = "\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff"
_CHARS_PER_WORD = 1.5
# The unspaced scripts and Thai, Lao, Khmer and Myanmar, which put no spaces between words
# either: a word cannot be found in them by its boundaries.
UNSEGMENTED_SCRIPTS = f"{UNSPACED_SCRIPTS}\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff"
UNSEGMENTED_LETTER = re.compile(f"[{UNSEGMENTED_SCRIPTS}]")
TOKENS_PER_WORD = 1.35  # prompt tokens a word takes, about (1.2-1.35 for English)
SAMPLE_CHARS = 4000  # text enough to tell a document's language
MIN_LETTERS = 40  # less text than this is not detected (too little evidence)
PROSE_WINDOW = 20  # words judged together as running text or not (a long paragraph is many)
PROSE_LETTERS = 200  # running text enough to detect from; else the document's opening is read

_UNSPACED = re.compile(f"[{_CHARACTER_WORD_SCRIPTS}]")
_UNSPACED_MARKS = re.compile(f"[{UNSPACED_PUNCTUATION}]")
# A word in lower case or in a script without case (Arabic, Hebrew, Devanagari, ...), with
# the quotes and punctuation around it; and what is no word of any language.
_LOWER_WORD = regex.compile(r"^[\p{Ps}\p{Pi}\"']*[\p{Ll}\p{Lo}][\p{L}\p{M}'’-]*[\p{P}]*$")
_SENTENCE_END = re.compile(r"[.!?:;]['\"’”)]*$")
NOT_A_WORD = regex.compile(r"[\d/@<>\\_=#|{}\[\]]|\w\.\w")
_TAG = re.compile(r"^\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)*\s*$")
_LOCK = threading.Lock()


def word_count(text: str) -> int:
    """Words in a text, for the sizes counted in words at answer time (focus excerpts,
    merged passages, the context and history budgets): white-space words, with Chinese and
    Japanese (no spaces between words) counted at 1.5 characters a word, so that a Chinese
    sentence is not one word. The index's chunks are sized by words between spaces:
    sized this way, Chinese chunks ranked worse (docs/evaluation.md)."""
    unspaced = len(_UNSPACED.findall(text))
    spaced = len(_UNSPACED.sub(" ", _UNSPACED_MARKS.sub(" ", text)).split())
    return spaced + round(unspaced / _CHARS_PER_WORD)


def prompt_tokens(text: str) -> int:
    """Tokens a text takes in a prompt, about: its words at `TOKENS_PER_WORD`, for the
    context and history budgets (the generator's own tokenizer is not loaded with every
    backend)."""
    return int(word_count(text) * TOKENS_PER_WORD)


def normalise(tag: str | None) -> str | None:
    """A language tag ("zh-CN") or English name ("German") as its primary subtag, lower
    case; None if it is neither."""
    if not tag:
        return None
    text = str(tag).strip()
    match = _TAG.match(text)
    if match:
        return match.group(1).lower()
    from lingua import Language  # a language's English name ("German")

    language = getattr(Language, text.upper().replace(" ", "_"), None)
    return language.iso_code_639_1.name.lower() if isinstance(language, Language) else None


@cache
def language_name(code: str) -> str:
    """A code's English name, lower case ("de": "german"), as PyStemmer and bm25s's
    stop-word lists know languages; the code itself when lingua does not know it."""
    from lingua import IsoCode639_1, Language

    iso = getattr(IsoCode639_1, code.upper(), None)
    return Language.from_iso_code_639_1(iso).name.lower() if iso is not None else code


@lru_cache(maxsize=1)
def _detector():
    from lingua import LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode().build()


def prose_sample(text: str) -> str:
    """The document's running text, up to SAMPLE_CHARS: its runs of PROSE_WINDOW words in
    in which most words but a sentence's first are written in lower case (or in a script
    without case), with the tokens that are no words (addresses, paths, numbers) left out.

    A policy may open with what is not prose in any language: a list of signatories,
    contacts or copyright holders, a table of codes, file names. Trigram detection reads
    names as whatever language they resemble (a list of names as Latin, Dutch or Yoruba),
    while every language's running text is mostly lower-case words (German's capitalised
    nouns too are a minority beside its articles, verbs and particles)."""
    taken: list[str] = []
    size = 0
    for line in text.splitlines():
        words = line.split()
        for at in range(0, len(words), PROSE_WINDOW):
            window = [w for w in words[at : at + PROSE_WINDOW] if not NOT_A_WORD.search(w)]
            if not window:
                continue
            # A sentence's first word is capitalised in any language: only the others tell.
            inner = [w for k, w in enumerate(window) if k and not _SENTENCE_END.search(window[k - 1])]
            lower = sum(1 for w in inner if _LOWER_WORD.match(w))
            if UNSEGMENTED_LETTER.search(" ".join(window)) or (lower >= 3 and 2 * lower >= len(inner)):
                taken.append(" ".join(window))
                size += len(taken[-1]) + 1
                if size >= SAMPLE_CHARS:
                    return "\n".join(taken)[:SAMPLE_CHARS]
    return "\n".join(taken)


def detect(text: str) -> str | None:
    """The language of a document's text, or None when there is too little text to say.
    Read from its running text (`prose_sample`) where it has PROSE_LETTERS of it, else from
    its opening."""
    return _detect(text, prose_sample(text))


def _detect(text: str, prose: str) -> str | None:
    sample = prose if _letters(prose) >= PROSE_LETTERS else text[:SAMPLE_CHARS]
    if _letters(sample) < MIN_LETTERS:
        return None
    with _LOCK:  # building the detector once; detection itself is cheap
        language = _detector().detect_language_of(sample)
    return language.iso_code_639_1.name.lower() if language is not None else None


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


@lru_cache(maxsize=16)
def _detector_among(codes: tuple[str, ...]):
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    languages = [Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper())) for c in codes]
    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()


def detect_among(text: str, candidates: Iterable[str], confidence: float = 0.9) -> str | None:
    """Which of a few languages a short text (a question) is in: the only candidate lingua
    knows, if one; else the one whose confidence reaches `confidence`, or None (a name
    alone, "Firefox Sync?", says nothing of the asker's language)."""
    from lingua import IsoCode639_1

    codes = tuple(sorted({c for c in candidates if getattr(IsoCode639_1, c.upper(), None) is not None}))
    if len(codes) < 2:
        return codes[0] if codes else None
    with _LOCK:
        values = _detector_among(codes).compute_language_confidence_values(text)
    best = values[0] if values else None
    if best is None or best.value < confidence:
        return None
    return best.language.iso_code_639_1.name.lower()


def document_language(declared: str | None, text: str) -> tuple[str | None, bool]:
    """(language, unsure): the declared language (front matter, HTML `lang`, PDF metadata)
    wins; else the detected one, unsure where the text holds too little running text
    (PROSE_LETTERS) for detection among all languages to be trusted; such a text is better
    told among its collection's languages (`tell_among`)."""
    if code := normalise(declared):
        return code, False
    prose = prose_sample(text)
    return _detect(text, prose), _letters(prose) < PROSE_LETTERS


def tell_among(text: str, own: str | None, languages: Sequence[str]) -> str | None:
    """The language of a text with little running text, given the one detected from it
    alone (`own`) and its collection's languages (most common first): with some running
    text, told among those and its own (as a question's is: with confidence, else None);
    with none at all (a list of names), nothing in it is in any language, and the
    collection's most common is taken."""
    sample = prose_sample(text)
    if _letters(sample) < MIN_LETTERS:
        return languages[0] if languages else None
    return detect_among(sample, {*languages, *([own] if own else [])})
