"""Companion vectors: the English chunks of a multilingual collection, embedded again with
the English model.

A collection with non-English documents is indexed with the multilingual model, since an
English model places a German or Chinese text near nothing it means. Between two English
texts, though, the small English model ranks better than the multilingual one: it gives
every English-only collection its index, chosen by measurement (docs/evaluation.md), and
on a mixed collection's English questions and English chunks it ranks better too
(`policyqa bench retrieval`). So a mixed collection's index also embeds its English
chunks, and their sentences, with the English model; an English question is scored
against them with it, and every other pair of languages (an English question against a
German chunk, a German question against anything) keeps the multilingual model. Both
models' similarities are on one scale (`Embedder.calibrate`), so scores from the two mix
in one ranking.

The vectors live in the snapshot's folder beside the sentence vectors, and a build copies
the rows of unchanged chunks from the generation before it, as it does theirs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.sentences import SentenceVectors

LANGUAGE = "en"
FILE = "companion.json"
CHUNKS_FILE = "companion-chunks.npz"
SENTENCES_FILE = "companion-sentences.npz"


def companion_model(setting: str, index_model: str, languages: set[str | None]) -> str | None:
    """The English model a collection's index takes beside its own, or None: only when the
    index's model is another one and the collection mixes English with other languages
    (an English-only collection is indexed with the English model already)."""
    known = {lang for lang in languages if lang}
    if not setting or setting == index_model or LANGUAGE not in known or known <= {LANGUAGE}:
        return None
    return setting


@dataclass
class CompanionVectors:
    """The companion model's vectors of the chunks in `language`: each chunk's own, and
    its sentences' (index/sentences.py), each row owned by a chunk id."""

    model: str
    language: str
    chunks: SentenceVectors
    sentences: SentenceVectors

    def owners(self) -> set[str]:
        return set(self.chunks.owners) | set(self.sentences.owners)

    def routed(self, position: dict[str, int], count: int) -> np.ndarray:
        """Which chunks (in snapshot order) these vectors score."""
        mask = np.zeros(count, dtype=bool)
        mask[[position[o] for o in self.owners() if o in position]] = True
        return mask

    def best_per_chunk(self, query: np.ndarray, position: dict[str, int], count: int) -> np.ndarray:
        """Each chunk's better cosine, its own vector's or its best sentence's (-1: none)."""
        return np.maximum(
            self.chunks.best_per_chunk(query, position, count),
            self.sentences.best_per_chunk(query, position, count),
        )

    def save(self, folder: Path) -> None:
        self.chunks.save(folder, CHUNKS_FILE)
        self.sentences.save(folder, SENTENCES_FILE)
        (folder / FILE).write_text(json.dumps({"model": self.model, "language": self.language}), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> CompanionVectors | None:
        if not (folder / FILE).exists():
            return None
        meta = json.loads((folder / FILE).read_text(encoding="utf-8"))
        chunks = SentenceVectors.load(folder, CHUNKS_FILE)
        sentences = SentenceVectors.load(folder, SENTENCES_FILE)
        if chunks is None or sentences is None:
            raise ValueError(f"companion vectors in {folder} are incomplete")
        return cls(meta["model"], meta["language"], chunks, sentences)
