"""A synthetic corpus made deterministically from the real articles, for the benchmarks.

Each synthetic document draws sentences from the five cleaned articles with a seeded
RNG and varies their numbers and place names, so documents read like the real ones
(same vocabulary, sentence lengths and chunk sizes) without being duplicates.
"""

from __future__ import annotations

import random
import re
from functools import lru_cache
from pathlib import Path

from index.chunking import split_sentences
from index.loading import load_corpus
from policyqa.settings import PROJECT_ROOT

CITIES = (
    "Beijing",
    "Shanghai",
    "Hainan",
    "Shenzhen",
    "Tianjin",
    "Chongqing",
    "Wuhan",
    "Chengdu",
    "Nanjing",
    "Hangzhou",
    "Xiamen",
    "Qingdao",
    "Dalian",
    "Ningbo",
    "Hefei",
    "Fuzhou",
    "Suzhou",
)
_NUMBER = re.compile(r"\b\d+(?:\.\d+)?\b")
_CITY = re.compile("|".join(CITIES))


@lru_cache(maxsize=1)
def real_sentences() -> tuple[str, ...]:
    docs = load_corpus(PROJECT_ROOT / "corpus").documents
    out = []
    for doc in docs:
        out.extend(doc.text[s.start : s.end] for s in split_sentences(doc.text))
    return tuple(s for s in out if len(s.split()) >= 5)


def vary(sentence: str, rng: random.Random) -> str:
    sentence = _NUMBER.sub(lambda m: str(rng.randint(2, 400)), sentence)
    return _CITY.sub(lambda m: rng.choice(CITIES), sentence)


def synthetic_text(seed: int, sentences: tuple[int, int] = (18, 40)) -> str:
    """One document: paragraphs of 2-5 varied real sentences, a numbered headline."""
    rng = random.Random(seed)
    pool = real_sentences()
    n = rng.randint(*sentences)
    picked = [vary(rng.choice(pool), rng) for _ in range(n)]
    paragraphs, i = [], 0
    while i < len(picked):
        k = rng.randint(2, 5)
        paragraphs.append(" ".join(picked[i : i + k]))
        i += k
    return f"Policy notice {seed}: {rng.choice(CITIES)} opens more services\n" + "\n".join(paragraphs)


def write_corpus(folder: Path, documents: int, first_seed: int = 0) -> list[Path]:
    """Write `documents` Markdown files with front matter; the same call writes the same bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(documents):
        seed = first_seed + n
        path = folder / f"synthetic-{seed:06d}.md"
        body = synthetic_text(seed)
        month, day = 1 + seed % 12, 1 + seed % 28
        path.write_text(
            f'---\nid: synthetic-{seed:06d}\ntitle: "Policy notice {seed}"\npublisher: Synthetic Daily\n'
            f"date: 2025-{month:02d}-{day:02d}\nlanguage: en\n---\n{body}\n",
            encoding="utf-8",
        )
        paths.append(path)
    return paths


def change_document(path: Path, salt: int) -> None:
    """An edit a user would make: one sentence appended to the article."""
    text = path.read_text(encoding="utf-8").rstrip("\n")
    path.write_text(text + f" An amendment, number {salt}, extends the pilot by one year.\n", encoding="utf-8")
