"""The Chroma side of the index: an embedded PersistentClient, or a server by URL.

We always pass our own embeddings and never let Chroma embed: its default embedding
function downloads an ONNX model. Telemetry is off in both modes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import numpy as np

from policyqa.errors import StoreUnavailableError
from policyqa.settings import Settings


def _chroma_settings(settings: Settings):
    import chromadb

    extra: dict[str, Any] = {"anonymized_telemetry": False, "allow_reset": False}
    if settings.chroma_url and settings.chroma_token:
        extra["chroma_client_auth_provider"] = "chromadb.auth.token_authn.TokenAuthClientProvider"
        extra["chroma_client_auth_credentials"] = settings.chroma_token.get_secret_value()
    return chromadb.Settings(**extra)


def describe(settings: Settings) -> str:
    """Where the vectors live, safe to print (no credentials)."""
    if settings.chroma_url:
        parsed = urlparse(settings.chroma_url)
        return f"Chroma server {parsed.scheme}://{parsed.hostname}:{parsed.port or ''}"
    return f"embedded Chroma at {settings.index_dir / 'chroma'}"


def store_identity(settings: Settings) -> str:
    """Which Chroma holds the vectors, recorded in each snapshot (no credentials).

    A snapshot's vectors are only where it was built: switching POLICYQA_CHROMA_URL
    makes the next build re-embed everything into the new store.
    """
    if not settings.chroma_url:
        return "embedded"
    parsed = urlparse(settings.chroma_url)
    return f"{parsed.scheme}://{parsed.hostname}:{parsed.port or (443 if parsed.scheme == 'https' else 8000)}"


def _forget_cached_system(path: str) -> None:
    """Make the next PersistentClient on `path` read the store as it is on disk now.

    Chroma keeps one System per path per process, and that System's in-memory HNSW
    index never sees vectors another process wrote (or deleted) after it was loaded:
    measured here, a reader opened before a build kept returning deleted ids and missing
    new ones, even through a new PersistentClient. Clients already open keep working on
    their own System; the old System is freed when the last of them goes.
    """
    try:
        from chromadb.api.shared_system_client import SharedSystemClient

        with SharedSystemClient._refcount_lock:
            SharedSystemClient._identifier_to_system.pop(path, None)
            SharedSystemClient._identifier_to_refcount.pop(path, None)
    except (ImportError, AttributeError):  # a chromadb without this cache: nothing to forget
        pass


def open_client(settings: Settings):
    import chromadb

    try:
        if settings.chroma_url:
            url = urlparse(settings.chroma_url)
            if url.scheme not in ("http", "https") or not url.hostname:
                raise StoreUnavailableError(
                    f"POLICYQA_CHROMA_URL must look like http://host:8000, got {settings.chroma_url!r}"
                )
            client = chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=_chroma_settings(settings),
            )
            client.heartbeat()
            return client
        path = settings.index_dir / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        _forget_cached_system(str(path))
        return chromadb.PersistentClient(path=str(path), settings=_chroma_settings(settings))
    except StoreUnavailableError:
        raise
    except Exception as exc:  # chromadb raises many types for one cause: unreachable
        raise StoreUnavailableError(f"cannot open {describe(settings)}: {exc}") from exc


@dataclass
class Hit:
    id: str
    similarity: float


class VectorStore:
    """One Chroma collection holding every chunk's vector and its metadata."""

    def __init__(self, settings: Settings, name: str, dim: int, client=None):
        self.settings = settings
        self.name = name
        self.client = client or open_client(settings)
        try:
            self.collection = self.client.get_or_create_collection(
                name=name,
                embedding_function=None,
                metadata={"hnsw:space": "cosine", "dim": dim},
            )
        except Exception as exc:
            raise StoreUnavailableError(f"cannot open collection {name!r} in {describe(settings)}: {exc}") from exc

    def _guard(self, what: str, call, *args, **kwargs):
        try:
            return call(*args, **kwargs)
        except Exception as exc:
            raise StoreUnavailableError(f"{what} failed on {describe(self.settings)}: {exc}") from exc

    @property
    def max_batch(self) -> int:
        try:
            return int(self.client.get_max_batch_size())
        except Exception:
            return 1000

    def count(self) -> int:
        return self._guard("count", self.collection.count)

    def ids(self) -> set[str]:
        out: set[str] = set()
        offset, page = 0, 10_000
        while True:
            got = self._guard("listing ids", self.collection.get, include=[], limit=page, offset=offset)
            out.update(got["ids"])
            if len(got["ids"]) < page:
                return out
            offset += page

    def upsert(
        self,
        ids: Sequence[str],
        vectors: np.ndarray,
        texts: Sequence[str],
        metadatas: Sequence[dict],
        progress: Callable[[int], None] | None = None,
    ) -> None:
        step = self.max_batch
        for i in range(0, len(ids), step):
            self._guard(
                "writing vectors",
                self.collection.upsert,
                ids=list(ids[i : i + step]),
                embeddings=vectors[i : i + step],
                documents=list(texts[i : i + step]),
                metadatas=list(metadatas[i : i + step]),
            )
            if progress:
                progress(len(ids[i : i + step]))

    def delete(self, ids: Sequence[str]) -> None:
        ids = list(ids)
        step = self.max_batch
        for i in range(0, len(ids), step):
            self._guard("deleting vectors", self.collection.delete, ids=ids[i : i + step])

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        got = self._guard("reading vectors", self.collection.get, ids=list(ids), include=["embeddings"])
        return {i: np.asarray(v, dtype=np.float32) for i, v in zip(got["ids"], got["embeddings"])}

    def query(self, vector: np.ndarray, n: int, where: dict | None = None) -> list[Hit]:
        got = self._guard(
            "vector search",
            self.collection.query,
            query_embeddings=[vector],
            n_results=n,
            where=where,
            include=["distances"],
        )
        return [Hit(i, 1.0 - float(d)) for i, d in zip(got["ids"][0], got["distances"][0])]
