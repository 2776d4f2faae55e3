"""BM25 over the chunks, built once per index generation and saved beside it.

Dense MiniLM retrieval misses exact names and numbers ("Wuhan", "50%"); BM25 catches
them. The index is loaded with the snapshot, never rebuilt per query.

Each chunk is tokenised by its document's language: English (and text of no known
language) as always; Chinese segmented into words by jieba (its dictionary ships in the
package); any other language split into Unicode words, with that language's stop words
(bm25s's lists) and Snowball stemmer (PyStemmer) where they exist. A question is tokenised
once per language of the collection, since its language is not known reliably from a
short string, and each chunk is scored with the question's tokens of its own language:
a stem only matches chunks stemmed the same way, and an English question scores the
English chunks exactly as in a collection of English documents alone.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import unicodedata
from collections.abc import Sequence
from functools import cache, cached_property, lru_cache
from pathlib import Path

import numpy as np
import regex

from index.language import UNSEGMENTED_LETTER, UNSEGMENTED_SCRIPTS, language_name

# A run of letters and digits of any script but Chinese characters (each of those a term
# of its own), with a number's decimals and "%".
_TOKEN = regex.compile(r"(?:(?!\p{Han})[\p{L}\p{N}])(?:(?!\p{Han})[\p{L}\p{M}\p{N}])*(?:[.,][0-9]+)*%?|\p{Han}")
_LATIN_MARKS = regex.compile(r"(?<=[a-z])\p{M}+")
_STOPWORDS = frozenset(
    "a an and are as at be but by can could did do does for from had has have how i if in into "
    "is it its me my of on or so such than that the their them then there these they this to "
    "was were what when where which who whom why will with would you your we our us".split()
)


_NO_TERMS = "\u2205"  # what a chunk with no terms is indexed with (bm25s needs one)
_CLITIC = re.compile(r"(?<=[a-z])[’'](?:s|re|ll|ve|d|m)\b")
_NOT = re.compile(r"(?<=[a-z])n[’']t\b")
_IRREGULAR_NOT = {"can": "can", "won": "will", "shan": "shall"}


# Bumped whenever tokenisation changes: an index built with another version has its BM25
# rebuilt (its vectors are kept).
TOKENIZER_VERSION = 4
DEFAULT_LANGUAGE = "en"
_WORD = re.compile(r"[^\W\d_]+|[0-9]+(?:[.,][0-9]+)*%?")
# Scripts written without spaces between words (Japanese; Chinese characters in a document
# of another language; Thai, Lao, Khmer, Myanmar) and Korean, whose words carry their
# particles ("처리방침에"): with no segmenter for the language at hand, a run of them is
# indexed as overlapping pairs of characters, as Lucene's CJK analyser does, so a question's
# pair matches wherever a passage has the same two characters. Chinese documents are
# segmented into words by jieba instead.
_GRAPHEME = regex.compile(r"\X")
_LETTERS = regex.compile(
    rf"[{UNSEGMENTED_SCRIPTS}]+|(?:(?![{UNSEGMENTED_SCRIPTS}])[\p{{L}}\p{{M}}\p{{Nl}}\p{{No}}])+|[0-9]+(?:[.,][0-9]+)*%?"
)


def tokenize(text: str, language: str | None = None) -> list[str]:
    """Lower-case word tokens of a text in this language, stemmed where a stemmer exists."""
    language = language or DEFAULT_LANGUAGE
    if language == DEFAULT_LANGUAGE:
        return _english(text)
    if language == "zh":
        return _chinese(text)
    return _words(text, language)


def _english(text: str) -> list[str]:
    """Numbers keep their % so "50%" matches "50%". Clitics go ("Mozilla's" is "mozilla",
    "it's" is "it", "can't" is "can not"): a possessive's "s" would otherwise be a term of
    its own. Compatibility forms are unified (a PDF's "ﬁ" ligature is "fi") and Latin
    letters lose their accents, as English writers drop them ("résumé" is "resume")."""
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text).lower())
    folded = unicodedata.normalize("NFC", _LATIN_MARKS.sub("", decomposed))
    lowered = re.sub(r"\b(can|won|shan)[’']t\b", lambda m: f"{_IRREGULAR_NOT[m.group(1)]} not", folded)
    lowered = _CLITIC.sub("", _NOT.sub(" not", lowered))
    words = [w for w in _TOKEN.findall(lowered) if w not in _STOPWORDS]
    return _stem(words, "english")


def _words(text: str, language: str) -> list[str]:
    """Words with their combining marks (Devanagari's vowel signs, Thai's tone marks: a
    word is not cut at them), stop words dropped and stemmed where the language has a
    stemmer; a run of a script written without spaces becomes overlapping character
    pairs (see `UNSEGMENTED_SCRIPTS` above)."""
    name = language_name(language)
    stop = stopwords(name)
    tokens: list[str] = []
    words: list[int] = []  # positions in `tokens` of the words to stem
    for word in _LETTERS.findall(unicodedata.normalize("NFKC", text).casefold()):
        if UNSEGMENTED_LETTER.match(word):
            chars = _GRAPHEME.findall(word)  # a letter with its marks is one character
            tokens += chars if len(chars) == 1 else ["".join(chars[i : i + 2]) for i in range(len(chars) - 1)]
        elif word not in stop:
            words.append(len(tokens))
            tokens.append(word)
    if words and name in _stemmer_names():
        for position, stem in zip(words, _stem([tokens[i] for i in words], name)):
            tokens[position] = stem
    return tokens


def _chinese(text: str) -> list[str]:
    """Words as jieba's search mode segments them (long words and their parts), with the
    non-Chinese runs inside (names, numbers) tokenised as words too."""
    stop = stopwords("chinese")
    out = []
    for piece in _jieba().lcut_for_search(text.casefold()):
        for word in _WORD.findall(piece) if piece.isascii() else [piece]:
            if any(ch.isalnum() for ch in word) and word not in stop:
                out.append(word)
    return out


_STEM_LOCK = threading.Lock()  # a Stemmer object is not safe to share between threads


def _stem(words: list[str], name: str) -> list[str]:
    with _STEM_LOCK:
        return _stemmer(name).stemWords(words)


@cache
def _stemmer(name: str):
    import Stemmer

    return Stemmer.Stemmer(name)


@lru_cache(maxsize=1)
def _stemmer_names() -> frozenset[str]:
    import Stemmer

    return frozenset(Stemmer.algorithms())


@cache
def stopwords(name: str) -> frozenset[str]:
    """bm25s's stop words of a language by its Snowball name ("german"; "en_plus")."""
    from bm25s import stopwords

    return frozenset(w.casefold() for w in getattr(stopwords, f"STOPWORDS_{name.upper()}", ()))


_JIEBA_LOCK = threading.Lock()


def _jieba():
    """jieba's tokenizer, its prefix dictionary loaded once (about a second), quietly."""
    with _JIEBA_LOCK:
        import jieba

        if not jieba.dt.initialized:
            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
        return jieba


class LexicalIndex:
    def __init__(
        self,
        model,
        size: int,
        doc_freq: dict[str, int],
        languages: Sequence[str] = (DEFAULT_LANGUAGE,),
        version: int = TOKENIZER_VERSION,
        chunk_languages: Sequence[int] = (),
    ):
        self.model = model
        self.size = size
        self.doc_freq = doc_freq  # chunks containing each stemmed term: IDF for the evidence gate
        self.languages = tuple(languages) or (DEFAULT_LANGUAGE,)  # the chunks' languages
        self.version = version
        # Each chunk's language, as an index into `languages` (empty: all the first).
        self.chunk_languages = np.asarray(chunk_languages, dtype=np.int16)

    @classmethod
    def build(cls, texts: Sequence[str], languages: Sequence[str | None] | None = None) -> LexicalIndex:
        """BM25 over these texts, each tokenised in its language (None: the default)."""
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it forces DEBUG on import
        model = bm25s.BM25()
        codes = [lang or DEFAULT_LANGUAGE for lang in (languages or [None] * len(texts))]
        corpus = [tokenize(t, lang) or [_NO_TERMS] for t, lang in zip(texts, codes)]
        if corpus:
            model.index(corpus, show_progress=False)
        doc_freq: dict[str, int] = {}
        for tokens in corpus:
            for token in set(tokens):
                doc_freq[token] = doc_freq.get(token, 0) + 1
        languages = sorted(set(codes))
        position = {code: n for n, code in enumerate(languages)}
        return cls(model, len(corpus), doc_freq, languages, chunk_languages=[position[c] for c in codes])

    def chunk_terms(self, position: int) -> frozenset[str]:
        """The terms the chunk at this position was indexed with, read back from the BM25
        matrix, where a term a chunk holds has a positive score: the same set as
        tokenising its indexed text again, without the cost (segmenting a Chinese passage
        takes milliseconds, and re-ranking reads dozens of passages per question)."""
        starts, term_ids, vocabulary = self._terms_by_chunk
        return frozenset(vocabulary[term_ids[starts[position] : starts[position + 1]]].tolist()) - {_NO_TERMS}

    @cached_property
    def _terms_by_chunk(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The BM25 matrix (a column of chunks per term) turned into a row of term ids per
        chunk: row offsets, term ids, and the terms by id."""
        if not self.size:
            return np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64), np.empty(0, dtype=object)
        vocabulary = np.empty(max(self.model.vocab_dict.values()) + 1, dtype=object)
        for term, term_id in self.model.vocab_dict.items():
            vocabulary[term_id] = term
        scores = self.model.scores
        indptr = np.asarray(scores["indptr"])
        chunks = np.asarray(scores["indices"])
        terms = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
        held = np.asarray(scores["data"]) > 0
        chunks, terms = chunks[held], terms[held]
        order = np.argsort(chunks, kind="stable")
        starts = np.zeros(self.size + 1, dtype=np.int64)
        np.cumsum(np.bincount(chunks, minlength=self.size), out=starts[1:])
        return starts, terms[order], vocabulary

    def idf(self, term: str) -> float:
        """Smoothed IDF; a term no chunk contains gets the highest weight."""
        return math.log(1 + (self.size + 1) / (self.doc_freq.get(term, 0) + 0.5))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if self.size:
            self.model.save(str(folder))
        meta = {
            "size": self.size,
            "doc_freq": self.doc_freq,
            "languages": self.languages,
            "version": self.version,
            "chunk_languages": self.chunk_languages.tolist() if len(self.languages) > 1 else [],
        }
        (folder / "meta.json").write_text(json.dumps(meta))

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        import bm25s

        meta = json.loads((folder / "meta.json").read_text())
        model = bm25s.BM25.load(str(folder)) if meta["size"] else bm25s.BM25()
        languages = meta.get("languages", [DEFAULT_LANGUAGE])
        version = meta.get("version", 1)
        return cls(model, meta["size"], meta["doc_freq"], languages, version, meta.get("chunk_languages", []))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk, in snapshot chunk order: each chunk scored with the
        query tokenised in the chunk's language."""
        if not self.size:
            return np.zeros(self.size, dtype=np.float32)
        if len(self.languages) == 1 or len(self.chunk_languages) != self.size:
            return self._scores(tokenize(query, self.languages[0]))
        out = np.zeros(self.size, dtype=np.float32)
        for n, code in enumerate(self.languages):
            mask = self.chunk_languages == n
            if mask.any():
                out[mask] = self._scores(tokenize(query, code))[mask]
        return out

    def _scores(self, tokens: list[str]) -> np.ndarray:
        if not tokens:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.model.get_scores(tokens), dtype=np.float32)
