"""API keys: required once set, checked on every API route (health aside), never echoed;
and no server beyond loopback without one."""

from __future__ import annotations

import httpx
import openai
import pytest
from pydantic import SecretStr

from api.auth import check_exposure, is_loopback, parse_keys
from policyqa.errors import PolicyQAError
from tests.api.helpers import WUHAN, openai_client
from tests.serving import serving

pytestmark = pytest.mark.server

KEYS = "first-key-1234,second-key-5678"


@pytest.fixture(scope="module")
def keyed_url(assistant, built_settings):
    from api import create_api

    settings = built_settings.override(api_key=SecretStr(KEYS))
    with serving(create_api(assistant, settings)) as url:
        yield url


def ask(url, key):
    return openai_client(url, key=key).chat.completions.create(
        model="policyqa-extractive", messages=[{"role": "user", "content": WUHAN}]
    )


def test_a_missing_or_wrong_key_is_a_401_that_never_shows_a_key(keyed_url):
    for key in ["first-key-123", "wrong", "first-key-1234 "]:
        with pytest.raises(openai.AuthenticationError) as caught:
            ask(keyed_url, key.strip() + "x")
        text = caught.value.response.text
        assert "first-key" not in text and "second-key" not in text and caught.value.status_code == 401
    body = {"model": "policyqa-extractive", "messages": [{"role": "user", "content": WUHAN}]}
    for headers in [{}, {"Authorization": "first-key-1234"}, {"Authorization": "Basic Zmlyc3Q6a2V5"}]:
        r = httpx.post(f"{keyed_url}/v1/chat/completions", json=body, headers=headers)
        assert r.status_code == 401 and r.json()["error"]["code"] == "missing_api_key", headers
    for path in ["/v1/models", "/v1/documents", "/v1/anything"]:
        assert httpx.get(keyed_url + path).status_code == 401, path


def test_any_configured_key_opens_the_api(keyed_url):
    for key in KEYS.split(","):
        assert "50%" in ask(keyed_url, key).choices[0].message.content
    r = httpx.post(
        f"{keyed_url}/v1/retrieve", json={"question": WUHAN}, headers={"Authorization": "Bearer second-key-5678"}
    )
    assert r.status_code == 200


def test_health_needs_no_key(keyed_url):
    assert httpx.get(f"{keyed_url}/healthz").json()["status"] == "ok"


def test_no_server_beyond_loopback_without_a_key(built_settings):
    with pytest.raises(PolicyQAError, match="POLICYQA_API_KEY"):
        check_exposure(built_settings.override(host="0.0.0.0"))
    check_exposure(built_settings.override(host="0.0.0.0", api_key=SecretStr("k")))
    check_exposure(built_settings.override(host="127.0.0.1"))


def test_loopback_and_key_parsing():
    assert all(is_loopback(h) for h in ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"])
    assert not any(is_loopback(h) for h in ["0.0.0.0", "::", "192.168.1.5", "example.org", ""])
    assert parse_keys(SecretStr(" a , b,,")) == ("a", "b") and parse_keys(None) == ()
