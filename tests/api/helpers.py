"""What the API tests share: the demo question and an OpenAI client for a test server."""

from __future__ import annotations

import os

WUHAN = "Can I own 100% of a VPN service in Wuhan?"


def openai_client(url: str, key: str = "unused", **kwargs):
    from openai import OpenAI

    return OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0, timeout=600, **kwargs)


def cli_env(settings, **extra: str) -> dict[str, str]:
    """The environment for a `policyqa` subprocess over the test's settings."""
    return {
        **os.environ,
        "POLICYQA_DATA_DIR": str(settings.data_dir),
        "POLICYQA_CORPUS_DIR": str(settings.corpus_dir),
        "POLICYQA_MODEL_DIR": str(settings.models_dir),
        **extra,
    }
