"""Session-wide fixtures: one index over the real corpus, one loaded assistant per
backend. Everything is real (Chroma, MiniLM, llama.cpp); nothing is mocked."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import policyqa  # noqa: F401  (offline environment before any library import)
from policyqa.settings import PROJECT_ROOT, Settings

# Tests never read the developer's own configuration.
for key in [k for k in os.environ if k.startswith("POLICYQA_")]:
    del os.environ[key]
os.environ["POLICYQA_CONFIG"] = str(PROJECT_ROOT / "tests" / "no-such-policyqa.toml")

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
MODELS = PROJECT_ROOT / "data" / "models"


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def base_settings(tmp_path_factory) -> Settings:
    """Settings over the real corpus with a fresh data dir; models from the project's."""
    return Settings(
        data_dir=tmp_path_factory.mktemp("data"),
        corpus_dir=PROJECT_ROOT / "corpus",
        model_dir=MODELS,
        backend="extractive",
    )


@pytest.fixture(scope="session")
def built_settings(base_settings) -> Settings:
    from index import build_index

    report = build_index(base_settings)
    assert report.documents == 5 and not [i for i in report.issues if i.skipped]
    return base_settings


@pytest.fixture(scope="session")
def assistant(built_settings):
    """The extractive assistant: retrieval + evidence-only answers, no LLM."""
    from assistant import Assistant

    return Assistant(built_settings, load_generator=False)


@pytest.fixture(scope="session")
def local_assistant(built_settings):
    """The default product: the local Qwen2.5-1.5B model, loaded once per session."""
    from assistant import Assistant

    # A generous timeout: CI machines are shared, and a timeout here would test the
    # fallback path instead of the model (the fallback has its own tests).
    settings = built_settings.override(backend="local", llm_timeout=600)
    instance = Assistant(settings)
    assert instance.generator_ready("local"), instance.generator_status("local")
    return instance
