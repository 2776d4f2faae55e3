"""Sentence vectors: each chunk's sentences embedded on their own, kept with the snapshot.

A 100-word chunk's one vector blurs the sentence a question is about among its
neighbours; a sentence's own vector does not ("can my 12-year-old sign up?" against "You
must be 13 years old or older to create an account"). Dense retrieval scores a chunk by
the better of its own vector and its best sentence's (`policyqa bench retrieval`
measures it). Each sentence is embedded with its chunk's section path in front, as the
chunk is. The matrix lives in the snapshot generation's folder (float16), not in Chroma:
it is searched in memory, and a build copies the rows of unchanged chunks from the
generation before it instead of embedding them again.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from index.chunking import indexed_text, split_sentences

MIN_WORDS = 4  # shorter sentences (headings, "Payment.") say too little to match on their own
FILE = "sentences.npz"


def sentence_texts(title: str, section: str, text: str, contextual: bool) -> list[str]:
    """The sentences of one chunk's text that get a vector of their own."""
    out = []
    for span in split_sentences(text):
        sentence = text[span.start : span.end]
        if len(sentence.split()) >= MIN_WORDS:
            out.append(indexed_text(title, section, sentence) if contextual else sentence)
    return out


class SentenceVectors:
    """Sentence vectors and, for each, the chunk (by id) it belongs to."""

    def __init__(self, vectors: np.ndarray, owners: list[str]):
        self.vectors = np.asarray(vectors, dtype=np.float32)
        self.owners = owners
        self._rows_in_snapshot: np.ndarray | None = None  # each row's chunk position, once known

    @classmethod
    def empty(cls, dim: int) -> SentenceVectors:
        return cls(np.zeros((0, dim), dtype=np.float32), [])

    def rows_of(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for row, owner in enumerate(self.owners):
            out.setdefault(owner, []).append(row)
        return out

    def save(self, folder: Path, file: str = FILE) -> None:
        np.savez(folder / file, vectors=self.vectors.astype(np.float16), owners=np.asarray(self.owners, dtype=object))

    @classmethod
    def load(cls, folder: Path, file: str = FILE) -> SentenceVectors | None:
        path = folder / file
        if not path.exists():
            return None
        with np.load(path, allow_pickle=True) as data:
            return cls(data["vectors"], [str(o) for o in data["owners"]])

    def best_per_chunk(self, query: np.ndarray, position: dict[str, int], count: int) -> np.ndarray:
        """For every chunk (in snapshot order), its best sentence's cosine to the query;
        -1 for a chunk without sentence vectors."""
        best = np.full(count, -1.0, dtype=np.float32)
        if not len(self.owners):
            return best
        if self._rows_in_snapshot is None:
            self._rows_in_snapshot = np.fromiter(
                (position.get(o, -1) for o in self.owners), dtype=np.int64, count=len(self.owners)
            )
        sims = self.vectors @ np.asarray(query, dtype=np.float32)
        known = self._rows_in_snapshot >= 0
        np.maximum.at(best, self._rows_in_snapshot[known], sims[known])
        return best
