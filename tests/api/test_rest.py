"""The REST API with httpx against a real server on loopback: passages, whole answers,
the document list, health, the OpenAPI docs, and errors in one shape."""

from __future__ import annotations

import httpx
import pytest

from assistant import Answer, Passage
from tests.api.helpers import WUHAN

pytestmark = pytest.mark.server


def test_retrieve_returns_passages_quoted_exactly(api_url, assistant):
    r = httpx.post(f"{api_url}/v1/retrieve", json={"question": WUHAN, "top_k": 4})
    assert r.status_code == 200, r.text
    body = r.json()
    passages = [Passage.model_validate(p) for p in body["passages"]]
    assert len(passages) == 4 and any("50%" in p.text for p in passages)
    snapshot = assistant.snapshot
    for p in passages:
        assert snapshot.text_span(p.doc_id, p.start, p.end) == p.text


def test_retrieve_makes_a_follow_up_standalone(api_url):
    history = [{"role": "user", "content": WUHAN}, {"role": "assistant", "content": "No: it is capped at 50% [1]."}]
    r = httpx.post(f"{api_url}/v1/retrieve", json={"question": "and in Suzhou?", "history": history})
    standalone = r.json()["standalone_query"].lower()
    assert "suzhou" in standalone and "vpn" in standalone


def test_ask_returns_the_whole_answer(api_url):
    r = httpx.post(f"{api_url}/v1/ask", json={"question": WUHAN, "backend": "extractive"}, timeout=120)
    assert r.status_code == 200, r.text
    answer = Answer.model_validate(r.json())
    assert answer.grounded and any("50%" in q.text for c in answer.citations for q in c.quotes)
    refused = httpx.post(f"{api_url}/v1/ask", json={"question": "What is the boiling point of mercury?"}, timeout=120)
    assert Answer.model_validate(refused.json()).refused


def test_documents_lists_what_is_indexed(api_url, assistant):
    body = httpx.get(f"{api_url}/v1/documents").json()
    snapshot = assistant.snapshot
    assert body["count"] == len(snapshot.documents) == len(body["documents"])
    assert sum(d["chunks"] for d in body["documents"]) == len(snapshot.chunks)
    assert all(d["source"].endswith(".md") and d["chunks"] > 0 for d in body["documents"])
    assert {d["id"]: d["publisher"] for d in body["documents"]}["gt-miit-pilot-approvals"] == "Global Times"


def test_health_and_openapi_docs(api_url):
    health = httpx.get(f"{api_url}/healthz").json()
    assert health["status"] == "ok" and health["generator_ready"] is True
    paths = httpx.get(f"{api_url}/openapi.json").json()["paths"]
    assert {"/v1/chat/completions", "/v1/retrieve", "/v1/ask", "/v1/documents", "/healthz"} <= set(paths)
    docs = httpx.get(f"{api_url}/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


@pytest.mark.parametrize(
    "body, param",
    [
        ({}, "question"),
        ({"question": WUHAN, "colour": "red"}, "colour"),
        ({"question": WUHAN, "top_k": 0}, "top_k"),
        ({"question": WUHAN, "filters": {"date_from": "yesterday"}}, "filters"),
        ({"question": "   "}, ""),
    ],
)
def test_bad_requests_are_400_with_a_message(api_url, body, param):
    r = httpx.post(f"{api_url}/v1/retrieve", json=body)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["type"] == "invalid_request_error" and error["message"]
    assert (error["param"] or "").startswith(param), error
