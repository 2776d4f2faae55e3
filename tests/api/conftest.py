"""A real HTTP server on loopback for the API tests: uvicorn in a thread of this process,
over the session's real assistants (real index, real model)."""

from __future__ import annotations

import pytest

from tests.serving import serving


@pytest.fixture(scope="session")
def api_url(assistant, built_settings):
    """The API alone over the extractive assistant (no LLM)."""
    from api import create_api

    with serving(create_api(assistant, built_settings)) as url:
        yield url


@pytest.fixture(scope="session")
def local_api_url(local_assistant):
    """The page and the APIs on one server, as `policyqa serve` runs them, over the local model."""
    import app

    with serving(app.server_app(local_assistant, local_assistant.settings)) as url:
        yield url
