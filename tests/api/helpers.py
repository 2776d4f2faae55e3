"""What the API tests share: the demo question and an OpenAI client for a test server."""

from __future__ import annotations

WUHAN = "Can I own 100% of a VPN service in Wuhan?"


def openai_client(url: str, key: str = "unused", **kwargs):
    from openai import OpenAI

    return OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0, timeout=600, **kwargs)
