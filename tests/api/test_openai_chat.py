"""The OpenAI-compatible chat API, driven by the official `openai` client against a real
server on loopback: answers with citations (whole and streamed), follow-ups from the
message history, refusals, and OpenAI-shaped errors."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import openai
import pytest

from tests.api.helpers import WUHAN, openai_client

pytestmark = pytest.mark.server


def extra(obj, name):
    """A field PolicyQA adds to OpenAI's response objects."""
    return (obj.model_extra or {}).get(name)


@pytest.mark.llm
def test_wuhan_answer_carries_the_cap_and_its_citation(local_api_url):
    completion = openai_client(local_api_url).chat.completions.create(
        model="policyqa", messages=[{"role": "user", "content": WUHAN}]
    )
    content = completion.choices[0].message.content
    status, citations = extra(completion, "policyqa"), extra(completion, "citations")
    assert status["status"] == "grounded" and status["verdict"] == "no", content
    assert "50%" in content and "[1]" in content and "\n\nSources:\n[1] " in content
    cap = [c for c in citations if "50%" in c["quote"]]
    assert cap and cap[0]["document"] == "new-measures-20-cities", citations
    c = cap[0]
    assert c["title"].startswith("New Measures") and c["date"] == "2025-04-21" and c["end"] > c["start"]
    assert c["quote"] in c["passage"]["text"]


@pytest.mark.llm
def test_streamed_answer_sends_evidence_first_and_citations_before_the_final_chunk(local_api_url):
    stream = openai_client(local_api_url).chat.completions.create(
        model="policyqa", messages=[{"role": "user", "content": WUHAN}], stream=True
    )
    chunks = list(stream)
    first = extra(chunks[0], "policyqa")
    assert first["passages"] and chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop"
    with_citations = [i for i, c in enumerate(chunks) if extra(c, "citations")]
    assert with_citations and with_citations[0] < len(chunks) - 1
    content = "".join(c.choices[0].delta.content or "" for c in chunks)
    draft = "".join(extra(c.choices[0].delta, "reasoning_content") or "" for c in chunks)
    assert "50%" in content and "Sources:" in content
    assert draft, "the draft did not stream before the verified answer"
    citations = extra(chunks[with_citations[0]], "citations")
    assert any("50%" in c["quote"] for c in citations)


@pytest.mark.llm
def test_follow_up_uses_the_message_history(local_api_url):
    client = openai_client(local_api_url)
    first = client.chat.completions.create(model="policyqa", messages=[{"role": "user", "content": WUHAN}])
    messages = [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": WUHAN},
        {"role": "assistant", "content": first.choices[0].message.content},
        {"role": "user", "content": "and in Suzhou?"},
    ]
    follow = client.chat.completions.create(model="policyqa", messages=messages)
    standalone = extra(follow, "policyqa")["standalone_query"].lower()
    assert "suzhou" in standalone and "vpn" in standalone and "sources:" not in standalone
    assert any(c["document"] == "new-measures-20-cities" for c in extra(follow, "citations"))


def test_a_refusal_is_an_ordinary_answer_with_its_status(api_url):
    completion = openai_client(api_url).chat.completions.create(
        model="policyqa-extractive", messages=[{"role": "user", "content": "What is the boiling point of mercury?"}]
    )
    assert extra(completion, "policyqa")["status"] == "refused"
    assert completion.choices[0].message.content == "The documents do not say."
    assert extra(completion, "citations") == []


def test_extractive_stream_is_content_from_the_start(api_url):
    chunks = list(
        openai_client(api_url).chat.completions.create(
            model="policyqa-extractive", messages=[{"role": "user", "content": WUHAN}], stream=True
        )
    )
    content = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert "50%" in content and content.count("Sources:") == 1
    assert not any(extra(c.choices[0].delta, "reasoning_content") for c in chunks)
    whole = openai_client(api_url).chat.completions.create(
        model="policyqa-extractive", messages=[{"role": "user", "content": WUHAN}]
    )
    assert content.split() == whole.choices[0].message.content.split()  # the same answer, sent once


def test_models_list_the_corpus_once_per_backend(api_url):
    names = [m.id for m in openai_client(api_url).models.list()]
    assert names[0] == "policyqa" and "policyqa-extractive" in names and "policyqa-local" in names


def test_filters_travel_in_the_request_body(api_url):
    completion = openai_client(api_url).chat.completions.create(
        model="policyqa-extractive",
        messages=[{"role": "user", "content": WUHAN}],
        extra_body={"filters": {"publishers": ["Global Times"]}},
    )
    assert {c["publisher"] for c in extra(completion, "citations")} <= {"Global Times"}


@pytest.mark.parametrize(
    "messages, param",
    [
        ([], "messages"),
        ([{"role": "assistant", "content": "Hello"}], "messages"),
        ([{"role": "user", "content": ""}], ""),
        ([{"role": "wizard", "content": WUHAN}], "messages.0.role"),
        ([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}], "messages"),
    ],
)
def test_a_malformed_request_is_a_400_in_openai_shape(api_url, messages, param):
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client(api_url).chat.completions.create(model="policyqa-extractive", messages=messages)
    error = caught.value.body
    assert error["type"] == "invalid_request_error" and error["message"]
    assert (error["param"] or "").startswith(param.split(".")[0]), error


def test_broken_json_and_unknown_model_and_path(api_url):
    r = httpx.post(f"{api_url}/v1/chat/completions", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"
    with pytest.raises(openai.NotFoundError) as caught:
        openai_client(api_url).chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": WUHAN}])
    assert caught.value.body["code"] == "model_not_found"
    r = httpx.get(f"{api_url}/v1/no-such-thing")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_a_question_or_body_too_large_is_a_413(api_url, built_settings):
    too_long = "Is this allowed? " * (built_settings.max_question_chars // 10)
    with pytest.raises(openai.APIStatusError) as caught:
        openai_client(api_url).chat.completions.create(
            model="policyqa-extractive", messages=[{"role": "user", "content": too_long}]
        )
    assert caught.value.status_code == 413 and caught.value.body["code"] == "question_too_long"
    huge = {
        "model": "policyqa",
        "messages": [{"role": "user", "content": "x" * (built_settings.max_request_kb * 1000)}],
    }
    r = httpx.post(f"{api_url}/v1/chat/completions", json=huge)
    assert r.status_code == 413 and r.json()["error"]["code"] == "request_too_large"


@pytest.mark.parametrize(
    "broken",
    [
        {"backend": "openai", "openai_base_url": "http://127.0.0.1:9/v1", "llm_timeout": 5},  # down while answering
        {"backend": "local", "llm_model_path": "/nonexistent/model.gguf"},  # never loads
    ],
    ids=["server-down", "model-missing"],
)
def test_a_generator_that_is_down_is_a_503_with_the_evidence_only_answer(built_settings, broken):
    from api import create_api
    from assistant import Assistant
    from tests.serving import serving

    settings = built_settings.override(**broken)
    with serving(create_api(Assistant(settings, load_generator=False), settings)) as url:
        for stream in (False, True):
            with pytest.raises(openai.APIStatusError) as caught:
                openai_client(url).chat.completions.create(
                    model="policyqa", messages=[{"role": "user", "content": WUHAN}], stream=stream
                )
            assert caught.value.status_code == 503, stream
            body = caught.value.body
            assert body["code"] == "generator_unavailable" and caught.value.response.headers["retry-after"]
            evidence = caught.value.response.json()["evidence_answer"]  # beside OpenAI's "error"
            assert evidence["policyqa"]["backend"] == "extractive"
            assert "50%" in evidence["choices"][0]["message"]["content"]


def test_eight_concurrent_clients_get_their_own_answers(api_url):
    cases = [
        (WUHAN, "50%"),
        ("How many foreign-invested enterprises were approved to pilot value-added telecom services?", "166"),
        ("How many pilot tasks does the Plan propose in total?", "155"),
        ("Who is Ma Jihua?", "Ma Jihua"),
        ("What is the foreign ownership cap for domestic internet VPN services?", "50%"),
        ("How many foreign-invested companies were licensed to operate telecom businesses as of September?", "2,220"),
        ("What is the capital of France?", None),
        ("What is the boiling point of mercury?", None),
    ]

    def run(case):
        question, needle = case
        stream = case[0].startswith("How many")
        response = openai_client(api_url).chat.completions.create(
            model="policyqa-extractive", messages=[{"role": "user", "content": question}], stream=stream
        )
        if stream:
            chunks = list(response)
            content = "".join(c.choices[0].delta.content or "" for c in chunks)
            status = next(extra(c, "policyqa") for c in chunks if extra(c, "citations") is not None)
        else:
            content, status = response.choices[0].message.content, extra(response, "policyqa")
        return case, content, status

    with ThreadPoolExecutor(len(cases)) as pool:
        results = list(pool.map(run, cases))
    for (question, needle), content, status in results:
        if needle is None:
            assert status["status"] == "refused", (question, content)
        else:
            assert status["status"] == "grounded" and needle in content, (question, content)
