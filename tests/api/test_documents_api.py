"""The collection over REST, against a real server over its own corpus copy and index:
documents added, read, replaced and removed end to end (each change found, or no longer
found, by retrieval), bad files and requests refused with the reason, and only admin
keys changing a keyed server's collection."""

from __future__ import annotations

import shutil

import httpx
import pytest

from policyqa.settings import PROJECT_ROOT
from tests.serving import serving

pytestmark = pytest.mark.server

PERMIT = (
    "Quillon harbour permits\n"
    "Every Quillon harbour mooring needs an amber permit issued by the Quillon port office.\n"
    "The amber permit costs 35 florins a season and is renewed each April.\n"
)
QUESTION = "How much does the Quillon harbour amber permit cost?"


@pytest.fixture(scope="module")
def own_settings(tmp_path_factory, base_settings):
    """A corpus copy and data dir of this module's own: it changes the collection."""
    from index import build_index

    root = tmp_path_factory.mktemp("documents-api")
    corpus = root / "corpus"
    shutil.copytree(PROJECT_ROOT / "corpus", corpus)
    settings = base_settings.override(data_dir=root / "data", corpus_dir=corpus, host="127.0.0.1")
    build_index(settings)
    return settings


def _server(settings):
    from api import create_api
    from assistant import Assistant

    return serving(create_api(Assistant(settings, load_generator=False), settings))


@pytest.fixture(scope="module")
def url(own_settings):
    with _server(own_settings) as base:
        yield base


def _found(url: str, question: str) -> list[dict]:
    r = httpx.post(f"{url}/v1/retrieve", json={"question": question, "top_k": 3})
    assert r.status_code == 200, r.text
    return r.json()["passages"]


def test_a_document_added_replaced_and_removed_over_rest_is_found_then_gone(url, own_settings, tmp_path):
    existing = PROJECT_ROOT / "corpus" / "new-measures-20-cities.md"
    files = [
        ("files", ("Quillon permits.txt", PERMIT.encode(), "text/plain")),
        ("files", ("fake.pdf", b"not really a pdf", "application/pdf")),
        ("files", ("again.md", existing.read_bytes(), "text/markdown")),
    ]
    r = httpx.post(f"{url}/v1/documents", files=files, timeout=300)
    assert r.status_code == 201, r.text
    body = r.json()
    assert [(a["file"], a["path"]) for a in body["added"]] == [("Quillon permits.txt", "uploads/Quillon-permits.txt")]
    doc_id = body["added"][0]["document"]
    assert doc_id and body["index"]["added"] == [doc_id]
    assert body["rejected"] == [{"file": "fake.pdf", "reason": "the file is named .pdf but is not a PDF"}]
    assert [d["file"] for d in body["duplicates"]] == ["again.md"] and body["duplicates"][0]["document"]
    assert sorted(p.name for p in (own_settings.corpus_dir / "uploads").iterdir()) == ["Quillon-permits.txt"]

    doc = httpx.get(f"{url}/v1/documents/{doc_id}").json()
    assert doc["source"] == "uploads/Quillon-permits.txt" and "35 florins" in doc["text"] and doc["chunks"] >= 1
    assert doc_id in {d["id"] for d in httpx.get(f"{url}/v1/documents").json()["documents"]}
    assert "35 florins" in _found(url, QUESTION)[0]["text"]

    wrong = httpx.put(f"{url}/v1/documents/{doc_id}", files={"file": ("new.md", b"# Permits", "text/markdown")})
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "invalid_document"
    assert "replaced by a .txt file, not .md" in wrong.json()["error"]["message"]
    new_text = PERMIT.replace("35 florins", "42 florins").encode()
    r = httpx.put(f"{url}/v1/documents/{doc_id}", files={"file": ("permits.txt", new_text, "text/plain")}, timeout=300)
    assert r.status_code == 200, r.text
    assert r.json()["replaced"] == doc_id and r.json()["index"]["updated"] == [doc_id]
    top = _found(url, QUESTION)[0]["text"]
    assert "42 florins" in top and "35 florins" not in top
    assert list((own_settings.data_dir / "removed").rglob("Quillon-permits.txt")), "the old file is kept"

    r = httpx.delete(f"{url}/v1/documents/{doc_id}", timeout=300)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["removed"] == doc_id and body["index"]["removed"] == [doc_id]
    assert body["leftovers"] and not any(body["leftovers"].values())
    assert all(p["doc_id"] != doc_id for p in _found(url, QUESTION))
    for gone in (httpx.get(f"{url}/v1/documents/{doc_id}"), httpx.delete(f"{url}/v1/documents/{doc_id}")):
        assert gone.status_code == 404 and gone.json()["error"]["code"] == "document_not_found"


def test_bad_uploads_are_refused_with_the_reason_and_nothing_is_stored(url, own_settings):
    uploads = own_settings.corpus_dir / "uploads"
    before = sorted(uploads.iterdir()) if uploads.exists() else []
    r = httpx.post(
        f"{url}/v1/documents",
        files=[("files", ("run.exe", b"MZ", "application/octet-stream")), ("files", ("empty.md", b"", "text/plain"))],
    )
    assert r.status_code == 400, r.text
    message = r.json()["error"]["message"]
    assert "run.exe: unsupported file type .exe" in message and "empty.md: the file is empty" in message
    too_many = [("files", (f"n{i}.txt", b"note", "text/plain")) for i in range(21)]
    r = httpx.post(f"{url}/v1/documents", files=too_many)
    assert r.status_code == 400 and r.json()["error"]["code"] == "too_many_files"
    r = httpx.post(f"{url}/v1/documents", json={"files": ["a.txt"]})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_request"
    assert (sorted(uploads.iterdir()) if uploads.exists() else []) == before


def test_an_upload_over_the_limits_is_refused(own_settings):
    small = own_settings.override(max_upload_mb=0.01)  # 10 kB a file
    with _server(small) as base:
        r = httpx.post(f"{base}/v1/documents", files={"files": ("big.txt", b"word " * 4_000, "text/plain")})
        assert r.status_code == 400 and "over the 0.01 MB upload limit" in r.json()["error"]["message"]
        r = httpx.post(f"{base}/v1/documents", files={"files": ("huge.txt", b"word " * 400_000, "text/plain")})
        assert r.status_code == 413 and r.json()["error"]["code"] == "request_too_large"
        small_json = httpx.post(f"{base}/v1/ask", content=b"x" * 300_000, headers={"content-type": "application/json"})
        assert small_json.status_code == 413  # other endpoints keep their own, smaller limit


def test_only_an_admin_key_changes_a_keyed_servers_collection(own_settings):
    existing = PROJECT_ROOT / "corpus" / "new-measures-20-cities.md"
    copy = {"files": ("again.md", existing.read_bytes(), "text/markdown")}
    keyed = own_settings.override(api_key="reader-key", admin_key="admin-key")
    with _server(keyed) as base:
        reader, admin = ({"Authorization": f"Bearer {k}"} for k in ("reader-key", "admin-key"))
        assert httpx.get(f"{base}/v1/documents", headers=reader).status_code == 200
        assert httpx.post(f"{base}/v1/documents", files=copy).status_code == 401
        refused = httpx.post(f"{base}/v1/documents", files=copy, headers=reader)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_admin"
        assert httpx.delete(f"{base}/v1/documents/anything", headers=reader).status_code == 403
        allowed = httpx.post(f"{base}/v1/documents", files=copy, headers=admin)
        assert allowed.status_code == 200 and allowed.json()["duplicates"], allowed.text  # a copy: nothing new
        assert httpx.get(f"{base}/v1/documents", headers=admin).status_code == 200
    with _server(own_settings.override(api_key="reader-key")) as base:
        refused = httpx.delete(f"{base}/v1/documents/anything", headers={"Authorization": "Bearer reader-key"})
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "read_only"
        assert "POLICYQA_ADMIN_KEY" in refused.json()["error"]["message"]
