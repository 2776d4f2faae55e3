"""The index against a real Chroma server (`chroma run`) on loopback: the same builds,
the same exact counts as the embedded store; outages give clear errors and recover;
a token is sent when configured (through an auth proxy, as Chroma 1.x's server has no
auth of its own)."""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from index import build_index, open_snapshot
from index.store import VectorStore, describe, open_client
from policyqa.errors import StoreUnavailableError
from policyqa.settings import Settings

pytestmark = pytest.mark.server

CHROMA = Path(sys.executable).parent / "chroma"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ChromaServer:
    def __init__(self, path: Path, port: int | None = None, env: dict | None = None):
        self.path, self.port, self.env = path, port or free_port(), env or {}
        self.proc = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ChromaServer:
        log = open(self.path.parent / f"chroma-{self.port}.log", "ab")
        self.proc = subprocess.Popen(
            [str(CHROMA), "run", "--host", "127.0.0.1", "--port", str(self.port), "--path", str(self.path)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "ANONYMIZED_TELEMETRY": "False", **self.env},
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, (
                f"chroma run exited: {(self.path.parent / f'chroma-{self.port}.log').read_text()[-2000:]}"
            )
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                conn.request("GET", "/api/v2/heartbeat")
                if conn.getresponse().status == 200:
                    return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError("chroma run did not come up")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="module")
def chroma(tmp_path_factory):
    server = ChromaServer(tmp_path_factory.mktemp("chroma-server") / "db").start()
    yield server
    server.stop()


def server_settings(tmp_path, corpus: Path, url: str, **kw) -> Settings:
    # A prefix per test: tests share one server, and each index owns its collection.
    prefix = "t" + tmp_path.name[-20:].replace("_", "-").lower().strip("-")
    return Settings(data_dir=tmp_path / "data", corpus_dir=corpus, chroma_url=url, collection_prefix=prefix, **kw)


def test_build_through_the_env_variable(chroma, corpus_dir, tmp_path, monkeypatch, assert_consistent):
    monkeypatch.setenv("POLICYQA_CHROMA_URL", chroma.url)
    monkeypatch.setenv("POLICYQA_COLLECTION_PREFIX", "envtest")
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=corpus_dir)
    assert settings.chroma_url == chroma.url
    report = build_index(settings)
    snap = assert_consistent(settings)
    assert report.documents == 5 and report.embedded_chunks == report.chunks == len(snap.chunks)
    assert snap.store == chroma.url
    assert describe(settings) == f"Chroma server {chroma.url}"
    # The vectors really are in the server, not in a local embedded store.
    assert not (settings.index_dir / "chroma").exists()
    import chromadb

    remote = chromadb.HttpClient(
        host="127.0.0.1", port=chroma.port, settings=chromadb.Settings(anonymized_telemetry=False)
    )
    assert remote.get_collection(snap.collection).count() == len(snap.chunks)


def test_incremental_builds_on_the_server(chroma, small_corpus, tmp_path, make_doc, text_for, assert_consistent):
    settings = server_settings(tmp_path, small_corpus, chroma.url)
    build_index(settings)
    assert_consistent(settings)
    make_doc(small_corpus, "doc3.md", "doc-3", text_for(3))
    make_doc(small_corpus, "doc1.md", "doc-1", text_for(1) + " Changed at the end.")
    (small_corpus / "doc0.md").unlink()
    old = {c.id for c in open_snapshot(settings).chunks if c.doc_id in ("doc-0", "doc-1")}
    report = build_index(settings)
    assert (report.added, report.updated, report.removed) == (["doc-3"], ["doc-1"], ["doc-0"])
    assert report.deleted_vectors == len(old)
    snap = assert_consistent(settings, exact=True)
    assert report.embedded_chunks == sum(c.doc_id in ("doc-1", "doc-3") for c in snap.chunks)
    again = build_index(settings)
    assert not again.changed and again.embedded_chunks == 0
    assert_consistent(settings, exact=True)


def test_two_corpora_share_a_server_and_a_prefix(chroma, small_corpus, corpus_dir, tmp_path, assert_consistent):
    """Each corpus folder has its own index, and on a server its own collection: building
    one never deletes the other's vectors."""
    small = server_settings(tmp_path, small_corpus, chroma.url)
    seed = small.override(corpus_dir=corpus_dir)
    build_index(small)
    build_index(seed)
    assert open_snapshot(small).collection != open_snapshot(seed).collection
    assert_consistent(small, exact=True)
    assert_consistent(seed, exact=True)
    assert not build_index(small).changed


def test_same_index_as_the_embedded_store(chroma, small_corpus, tmp_path, settings_for):
    embedded = settings_for(small_corpus, "embedded")
    served = server_settings(tmp_path, small_corpus, chroma.url)
    build_index(embedded)
    build_index(served)
    a, b = open_snapshot(embedded), open_snapshot(served)
    assert a.chunk_ids() == b.chunk_ids() and a.doc_hashes == b.doc_hashes
    query = VectorStore(embedded, a.collection, a.dim).collection.get(ids=[a.chunks[0].id], include=["embeddings"])
    vector = query["embeddings"][0]
    hits_a = VectorStore(embedded, a.collection, a.dim).query(vector, 5)
    hits_b = VectorStore(served, b.collection, b.dim).query(vector, 5)
    assert [h.id for h in hits_a] == [h.id for h in hits_b]
    assert hits_a[0].id == a.chunks[0].id and hits_a[0].similarity == pytest.approx(1.0, abs=1e-4)


def test_switching_to_the_server_reembeds_into_it(chroma, small_corpus, settings_for, assert_consistent):
    settings = settings_for(small_corpus)
    build_index(settings)
    served = settings.override(chroma_url=chroma.url, collection_prefix="switch")
    report = build_index(served)  # the snapshot's vectors live elsewhere: not "up to date"
    assert report.changed and report.embedded_chunks == report.chunks
    assert assert_consistent(served).store == chroma.url


def test_unreachable_server_is_a_clear_error(small_corpus, tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    settings = server_settings(tmp_path, small_corpus, url)
    with pytest.raises(StoreUnavailableError, match=f"cannot open Chroma server {url}"):
        build_index(settings)
    with pytest.raises(StoreUnavailableError, match="must look like http://host:8000"):
        open_client(settings.override(chroma_url="ftp://nowhere"))


def test_server_going_away_and_coming_back(small_corpus, tmp_path, assert_consistent):
    server = ChromaServer(tmp_path / "db").start()
    try:
        settings = server_settings(tmp_path, small_corpus, server.url)
        build_index(settings)
        snap = open_snapshot(settings)
        store = VectorStore(settings, snap.collection, snap.dim)
        vector = store.collection.get(ids=[snap.chunks[0].id], include=["embeddings"])["embeddings"][0]
        assert store.query(vector, 1)[0].id == snap.chunks[0].id

        server.stop()
        with pytest.raises(StoreUnavailableError, match=f"vector search failed on Chroma server {server.url}"):
            store.query(vector, 1)
        assert open_snapshot(settings).generation == snap.generation  # local state is fine

        server.start()  # same port, same data: the open store works again
        assert store.query(vector, 1)[0].id == snap.chunks[0].id
        assert_consistent(settings, exact=True)
    finally:
        server.stop()


# --- token auth --------------------------------------------------------------------------------


class TokenProxy:
    """A loopback reverse proxy that demands `Authorization: Bearer <token>`, the way an
    Envoy/nginx front of a Chroma 1.x server does; forwards everything else unchanged."""

    def __init__(self, upstream_port: int, token: str):
        self.seen_headers: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def relay(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                auth = self.headers.get("Authorization", "")
                proxy.seen_headers.append(auth)
                if auth != f"Bearer {token}":
                    payload = b'{"error":"Unauthorized","message":"missing or wrong token"}'
                    self.send_response(401)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                conn = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=60)
                headers = {
                    k: v for k, v in self.headers.items() if k.lower() not in ("host", "authorization", "connection")
                }
                conn.request(self.command, self.path, body=body or None, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                conn.close()

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = relay

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def token_proxy(chroma):
    proxy = TokenProxy(chroma.port, "s3cret-T0ken")
    yield proxy
    proxy.close()


def test_token_is_sent_and_accepted(token_proxy, small_corpus, tmp_path, assert_consistent, capsys):
    url = f"http://127.0.0.1:{token_proxy.port}"
    settings = server_settings(tmp_path, small_corpus, url, chroma_token="s3cret-T0ken")
    report = build_index(settings)
    assert report.embedded_chunks == report.chunks > 0
    assert_consistent(settings, exact=True)
    assert token_proxy.seen_headers and set(token_proxy.seen_headers) == {"Bearer s3cret-T0ken"}

    # Without the token, or with a wrong one, the proxy refuses: a clear error, no secret in it.
    for token in (None, "wrong-token"):
        bad = settings.override(chroma_token=token) if token else settings.model_copy(update={"chroma_token": None})
        with pytest.raises(StoreUnavailableError) as err:
            VectorStore(bad, "anything", 384)
        assert "cannot open Chroma server" in str(err.value)
        assert "s3cret" not in str(err.value)
    assert "s3cret" not in describe(settings) and "s3cret" not in repr(settings)
    assert settings.public_dict()["chroma_token"] == "**********"
    assert "s3cret" not in capsys.readouterr().err


def test_chroma_server_does_not_enforce_auth_itself(tmp_path):
    """Why the proxy above: chroma 1.5's Rust server ignores the 0.x auth settings, so a
    token-protected deployment needs a proxy in front (README, "Chroma server mode")."""
    import chromadb

    server = ChromaServer(
        tmp_path / "db",
        env={
            "CHROMA_SERVER_AUTHN_PROVIDER": "chromadb.auth.token_authn.TokenAuthenticationServerProvider",
            "CHROMA_SERVER_AUTHN_CREDENTIALS": "s3cret-T0ken",
        },
    ).start()
    try:
        client = chromadb.HttpClient(
            host="127.0.0.1", port=server.port, settings=chromadb.Settings(anonymized_telemetry=False)
        )
        client.get_or_create_collection("no-token-needed", embedding_function=None)
        assert "no-token-needed" in [c.name for c in client.list_collections()]
    finally:
        server.stop()
        shutil.rmtree(tmp_path / "db", ignore_errors=True)
