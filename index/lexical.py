"""BM25 over the chunks, built once per index generation and saved beside it.

Dense MiniLM retrieval misses exact names and numbers ("Wuhan", "50%"); BM25 catches
them. The index is loaded with the snapshot, never rebuilt per query.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

_TOKEN = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*%?|[\u4e00-\u9fff]")
_STOPWORDS = frozenset(
    "a an and are as at be but by can could did do does for from had has have how i if in into "
    "is it its me my of on or so such than that the their them then there these they this to "
    "was were what when where which who whom why will with would you your we our us".split()
)


_CLITIC = re.compile(r"(?<=[a-z])[’'](?:s|re|ll|ve|d|m)\b")
_NOT = re.compile(r"(?<=[a-z])n[’']t\b")
_IRREGULAR_NOT = {"can": "can", "won": "will", "shan": "shall"}


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens, stemmed; numbers keep their % so "50%" matches "50%".
    Clitics go ("Mozilla's" is "mozilla", "it's" is "it", "can't" is "can not"): a
    possessive's "s" would otherwise be a term of its own."""
    lowered = re.sub(r"\b(can|won|shan)[’']t\b", lambda m: f"{_IRREGULAR_NOT[m.group(1)]} not", text.lower())
    lowered = _CLITIC.sub("", _NOT.sub(" not", lowered))
    words = [w for w in _TOKEN.findall(lowered) if w not in _STOPWORDS]
    with _STEM_LOCK:
        return _stemmer().stemWords(words)


_STEM_LOCK = threading.Lock()  # a Stemmer object is not safe to share between threads


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


class LexicalIndex:
    def __init__(self, model, size: int, doc_freq: dict[str, int]):
        self.model = model
        self.size = size
        self.doc_freq = doc_freq  # chunks containing each stemmed term: IDF for the evidence gate

    @classmethod
    def build(cls, texts: Sequence[str]) -> LexicalIndex:
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it forces DEBUG on import
        model = bm25s.BM25()
        corpus = [tokenize(t) or ["\u2205"] for t in texts]
        if corpus:
            model.index(corpus, show_progress=False)
        doc_freq: dict[str, int] = {}
        for tokens in corpus:
            for token in set(tokens):
                doc_freq[token] = doc_freq.get(token, 0) + 1
        return cls(model, len(corpus), doc_freq)

    def idf(self, term: str) -> float:
        """Smoothed IDF; a term no chunk contains gets the highest weight."""
        return math.log(1 + (self.size + 1) / (self.doc_freq.get(term, 0) + 0.5))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if self.size:
            self.model.save(str(folder))
        (folder / "meta.json").write_text(json.dumps({"size": self.size, "doc_freq": self.doc_freq}))

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        import bm25s

        meta = json.loads((folder / "meta.json").read_text())
        model = bm25s.BM25.load(str(folder)) if meta["size"] else bm25s.BM25()
        return cls(model, meta["size"], meta["doc_freq"])

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk, in snapshot chunk order."""
        tokens = tokenize(query)
        if not tokens or not self.size:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.model.get_scores(tokens), dtype=np.float32)
