"""Saved conversations over HTTP, with httpx against real servers: ask in one, follow up,
read, search, rename, export, delete; each API key (and each named user under a key)
sees only its own; bad requests and an unreadable store get clear errors."""

from __future__ import annotations

import json

import httpx
import pytest
from pydantic import SecretStr

from assistant import Answer
from tests.api.helpers import WUHAN
from tests.serving import serving

pytestmark = pytest.mark.server

KEYS = "alpha-key-1234,beta-key-5678"
TIMEOUT = 120


def bearer(key: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", **extra}


@pytest.fixture(scope="module")
def keyed_url(assistant, built_settings):
    from api import create_api

    with serving(create_api(assistant, built_settings.override(api_key=SecretStr(KEYS)))) as url:
        yield url


def start(url: str, headers: dict | None = None, **body) -> str:
    r = httpx.post(f"{url}/v1/conversations", json=body, headers=headers or {})
    assert r.status_code == 201, r.text
    assert "owner" not in r.json()
    return r.json()["id"]


def ask(url: str, conversation_id: str, question: str, headers: dict | None = None) -> httpx.Response:
    return httpx.post(
        f"{url}/v1/conversations/{conversation_id}/ask",
        json={"question": question, "backend": "extractive"},
        headers=headers or {},
        timeout=TIMEOUT,
    )


def test_a_conversation_keeps_its_answers_and_its_follow_ups_use_them(api_url):
    conversation_id = start(api_url)
    first = ask(api_url, conversation_id, WUHAN)
    assert first.status_code == 200, first.text
    assert any("50%" in q.text for c in Answer.model_validate(first.json()).citations for q in c.quotes)
    follow_up = Answer.model_validate(ask(api_url, conversation_id, "and in Suzhou?").json())
    assert "vpn" in follow_up.standalone_query.lower() and "suzhou" in follow_up.standalone_query.lower()

    saved = httpx.get(f"{api_url}/v1/conversations/{conversation_id}").json()
    assert saved["title"] == WUHAN and saved["exchanges"] == 2 and "owner" not in saved
    answers = [Answer.model_validate(a) for a in saved["answers"]]
    assert answers[0].model_dump() == Answer.model_validate(first.json()).model_dump()
    assert answers[1].question == "and in Suzhou?"

    listed = httpx.get(f"{api_url}/v1/conversations", params={"search": "Suzhou"}).json()
    assert conversation_id in [c["id"] for c in listed["conversations"]] and listed["count"] >= 1
    assert conversation_id not in [
        c["id"] for c in httpx.get(f"{api_url}/v1/conversations", params={"search": "Zanzibar"}).json()["conversations"]
    ]


def test_rename_export_and_delete(api_url):
    conversation_id = start(api_url, title="  draft  ")
    assert ask(api_url, conversation_id, WUHAN).status_code == 200
    renamed = httpx.patch(f"{api_url}/v1/conversations/{conversation_id}", json={"title": "VPN *rules* <b>x</b>"})
    assert renamed.status_code == 200 and renamed.json()["title"] == "VPN *rules* <b>x</b>"

    markdown = httpx.get(f"{api_url}/v1/conversations/{conversation_id}/export")
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert f"conversation-{conversation_id}.md" in markdown.headers["content-disposition"]
    assert "# VPN \\*rules\\* &lt;b&gt;x&lt;/b&gt;" in markdown.text and "50%" in markdown.text
    exported = json.loads(httpx.get(f"{api_url}/v1/conversations/{conversation_id}/export?format=json").text)
    assert exported["answers"][0]["question"] == WUHAN and "owner" not in exported

    assert httpx.delete(f"{api_url}/v1/conversations/{conversation_id}").status_code == 204
    gone = httpx.get(f"{api_url}/v1/conversations/{conversation_id}")
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "conversation_not_found"


def test_each_key_and_each_named_user_sees_only_its_own(keyed_url):
    alpha, beta = bearer("alpha-key-1234"), bearer("beta-key-5678")
    mine = start(keyed_url, alpha)
    assert ask(keyed_url, mine, WUHAN, alpha).status_code == 200
    base = f"{keyed_url}/v1/conversations/{mine}"
    for response in [
        httpx.get(base, headers=beta),
        ask(keyed_url, mine, "and in Suzhou?", beta),
        httpx.patch(base, json={"title": "taken"}, headers=beta),
        httpx.get(f"{base}/export", headers=beta),
        httpx.delete(base, headers=beta),
    ]:
        assert response.status_code == 404 and response.json()["error"]["code"] == "conversation_not_found"
    assert mine not in [
        c["id"] for c in httpx.get(f"{keyed_url}/v1/conversations", headers=beta).json()["conversations"]
    ]
    assert httpx.get(base, headers=alpha).json()["exchanges"] == 1  # untouched by the other key

    ann, bob = (
        bearer("alpha-key-1234", **{"X-PolicyQA-User": "ann"}),
        bearer("alpha-key-1234", **{"X-PolicyQA-User": "bob"}),
    )
    anns = start(keyed_url, ann)
    assert httpx.get(f"{keyed_url}/v1/conversations/{anns}", headers=ann).status_code == 200
    assert httpx.get(f"{keyed_url}/v1/conversations/{anns}", headers=bob).status_code == 404
    assert httpx.get(f"{keyed_url}/v1/conversations/{anns}", headers=alpha).status_code == 404
    assert httpx.get(f"{keyed_url}/v1/conversations").status_code == 401


def test_bad_requests_are_clear_400s_and_404s(api_url, keyed_url):
    conversation_id = start(api_url)
    cases = [
        (httpx.post(f"{api_url}/v1/conversations", json={"title": "x", "colour": "red"}), 400, "colour"),
        (httpx.patch(f"{api_url}/v1/conversations/{conversation_id}", json={"title": ""}), 400, "title"),
        (httpx.patch(f"{api_url}/v1/conversations/{conversation_id}", json={"title": "   "}), 400, "title"),
        (ask(api_url, conversation_id, "   "), 400, "question"),
        (httpx.get(f"{api_url}/v1/conversations/{conversation_id}/export?format=pdf"), 400, "format"),
        (ask(api_url, "no-such-id", WUHAN), 404, "no-such-id"),
        (
            httpx.get(f"{keyed_url}/v1/conversations", headers=bearer("alpha-key-1234", **{"X-PolicyQA-User": "a b"})),
            400,
            "X-PolicyQA-User",
        ),
    ]
    for response, status, mentioned in cases:
        assert response.status_code == status, (response.status_code, response.text)
        assert mentioned in response.json()["error"]["message"] + str(response.json()["error"]["param"])
    assert httpx.get(f"{api_url}/v1/conversations/{conversation_id}").json()["exchanges"] == 0  # nothing half-saved


def test_an_unreadable_store_is_a_503_on_conversations_only(assistant, built_settings, tmp_path):
    from api import create_api

    (tmp_path / "conversations.sqlite3").write_bytes(b"not a database" * 100)
    with serving(create_api(assistant, built_settings.override(data_dir=tmp_path))) as url:
        r = httpx.get(f"{url}/v1/conversations")
        assert r.status_code == 503 and r.json()["error"]["code"] == "conversations_unavailable"
        assert "move it aside" in r.json()["error"]["message"]
        assert httpx.post(f"{url}/v1/retrieve", json={"question": WUHAN}).status_code == 200
