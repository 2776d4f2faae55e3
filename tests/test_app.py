"""The chat app served on loopback, driven by gradio_client like any API user would.

Each test starts the real server (page and APIs, as `policyqa serve` runs them) in this
process, in its own thread, over the session's real index, and talks to it over HTTP;
every Client is its own session.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest

import policyqa  # noqa: F401  (HF_HUB_OFFLINE for gradio_client)

pytestmark = pytest.mark.server

WUHAN = "Can I own 100% of a VPN service in Wuhan?"


@contextmanager
def serving(assistant, settings):
    """The page as `policyqa serve` serves it (beside the HTTP APIs) on a free port."""
    import app
    from tests.serving import serving as serve_asgi

    with serve_asgi(app.server_app(assistant, settings)) as url:
        yield f"{url}/", settings


@pytest.fixture(scope="module")
def server(assistant, built_settings):
    with serving(assistant, built_settings) as (url, settings):
        yield url


def client(url, **kwargs):
    from gradio_client import Client

    return Client(url, verbose=False, download_files=False, **kwargs)


def ask(c, question, **params):
    """Submit through the streaming endpoint; return (updates seen, final outputs)."""
    job = c.submit(question, api_name="/ask", **params)
    updates = list(job)
    return updates, job.result()


def message_html(message) -> str:
    content = message["content"]
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)


def cited_docs(answer) -> set[str]:
    return {c["passage"]["doc_id"] for c in answer["citations"]}


def quotes(answer) -> str:
    return " ".join(q["text"] for c in answer["citations"] for q in c["quotes"])


def test_wuhan_question_and_follow_up_stream_cited_answers(server):
    c = client(server)
    updates, (chat, box, answer) = ask(c, WUHAN)
    assert len(updates) >= 2, "the answer was not streamed"
    assert "pqa-answer-pending" in message_html(updates[0][0][-1])
    assert answer["status"] == "grounded", answer
    assert "new-measures-20-cities" in cited_docs(answer)
    assert "50%" in quotes(answer), quotes(answer)
    final = message_html(chat[-1])
    assert 'class="pqa-cite"' in final and '<details class="pqa-source"' in final and "<mark" in final
    assert [m["role"] for m in chat] == ["user", "assistant"]
    assert updates[0][1] == "" or updates[0][1].get("value") == "", "the question box was not cleared"

    updates, (chat, _, follow) = ask(c, "and in Suzhou?")
    assert "suzhou" in follow["standalone_query"].lower() and "vpn" in follow["standalone_query"].lower()
    assert follow["status"] == "grounded" and "new-measures-20-cities" in cited_docs(follow)
    assert [m["role"] for m in chat] == ["user", "assistant"] * 2

    chat, last, _ = c.predict(api_name="/new_chat")
    assert chat == [] and last is None
    _, (chat, _, fresh) = ask(c, "and in Suzhou?")
    assert "vpn" not in fresh["standalone_query"].lower(), "history survived New chat"


def test_unanswerable_question_is_refused(server):
    _, (chat, _, answer) = ask(client(server), "What is the boiling point of mercury in Kelvin?")
    assert answer["status"] == "refused" and answer["citations"] == []
    assert "pqa-answer-refused" in message_html(chat[-1])


def test_filters_reach_retrieval(server):
    _, (_, _, answer) = ask(client(server), WUHAN, publishers=["Global Times"])
    assert answer["passages"] and all(p["publisher"] == "Global Times" for p in answer["passages"])
    _, (_, _, answer) = ask(client(server), WUHAN, date_from="2025-04-01", date_to="2025-12-31")
    assert answer["passages"] and all(p["date"] and p["date"] >= "2025-04-01" for p in answer["passages"])
    _, (_, _, answer) = ask(client(server), WUHAN, languages=["en"])  # the choices are the corpus's languages
    assert answer["passages"] and all(p["language"] == "en" for p in answer["passages"])


CASES = [
    (WUHAN, "new-measures-20-cities", "50%"),
    (
        "How many foreign-invested enterprises were approved to pilot value-added telecom services?",
        "foreign-firms-166-approved",
        "166",
    ),
    ("How many pilot tasks does the Plan propose in total?", "new-measures-20-cities", "155"),
    (
        "How many foreign-invested companies were licensed to operate telecom businesses as of September?",
        "miit-pilot-four-areas",
        "2,220",
    ),
    (
        "Which multinationals are affiliated with the 13 foreign-invested enterprises approved for the pilot?",
        "miit-first-batch-13",
        "Airbus",
    ),
    ("Who is Ma Jihua?", "gt-miit-pilot-approvals", "Ma Jihua"),
    ("What is the foreign ownership cap for domestic internet VPN services?", "new-measures-20-cities", "50%"),
    ("What is the capital of France?", None, None),
]


def test_eight_concurrent_sessions_get_their_own_answers(server):
    def run(case):
        question, doc, needle = case
        c = client(server)
        _, (chat, _, answer) = ask(c, question)
        return case, chat, answer

    started = time.perf_counter()
    with ThreadPoolExecutor(len(CASES)) as pool:
        results = list(pool.map(run, CASES))
    elapsed = time.perf_counter() - started
    for (question, doc, needle), chat, answer in results:
        assert answer["question"] == question
        assert len(chat) == 2 and question in message_html(chat[0]), "sessions leaked into each other"
        if doc is None:
            assert answer["status"] == "refused", (question, answer["text"])
            continue
        assert answer["status"] == "grounded", (question, answer.get("fallback_reason"))
        assert doc in cited_docs(answer), (question, cited_docs(answer))
        cited_text = " ".join(c["passage"]["text"] for c in answer["citations"])
        assert needle in cited_text, (question, needle)
    print(f"8 concurrent sessions answered in {elapsed:.1f}s")


def test_login_is_required_when_auth_is_set(assistant, built_settings):
    from pydantic import SecretStr

    with serving(assistant, built_settings.override(auth=SecretStr("alice:s3cret"))) as (url, _):
        with pytest.raises(Exception):  # noqa: B017 (the client raises its own error types, by version)
            client(url).predict(WUHAN, api_name="/ask")
        _, (_, _, answer) = ask(client(url, auth=("alice", "s3cret")), WUHAN)
        assert answer["status"] == "grounded"


@pytest.mark.llm
def test_local_model_answers_while_other_sessions_keep_flowing(local_assistant, built_settings):
    """One slow LLM answer occupies one worker; an evidence-only session still gets
    through, and the LLM's answer is grounded and cited."""
    with serving(local_assistant, built_settings.override(backend="local", concurrency=2)) as (url, _):
        done: dict[str, float] = {}
        results: dict[str, dict] = {}
        t0 = time.perf_counter()

        def slow():
            _, (_, _, results["local"]) = ask(client(url), WUHAN, backend="local")
            done["local"] = time.perf_counter() - t0

        thread = threading.Thread(target=slow)
        thread.start()
        time.sleep(1.0)
        _, (_, _, results["fast"]) = ask(client(url), "Who is Ma Jihua?", backend="extractive")
        done["fast"] = time.perf_counter() - t0
        thread.join(timeout=120)
        answer = results["local"]
        print(f"local answer in {done['local']:.1f}s, extractive meanwhile in {done['fast']:.1f}s: {answer['text']!r}")
        assert done["fast"] < done["local"]
        assert answer["status"] == "grounded" and answer["backend"] != "gate"
        assert "new-measures-20-cities" in cited_docs(answer) and "50%" in quotes(answer)
