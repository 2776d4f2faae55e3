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


# -- real collections from ../shared/corpora (skipped with a message where absent) ----------
SHARED_CORPORA = PROJECT_ROOT.parent / "shared" / "corpora"


@pytest.fixture(scope="session")
def shared_corpora() -> Path:
    return SHARED_CORPORA


HANDBOOK_FILES = [
    "travel-and-leave/leave.md",
    "travel-and-leave/paid-parental-leave.md",
    "hiring-staying-or-changing-jobs/leaving-tts.md",
    "travel-and-leave/travel-and-leave-policies/travel-guide-3-travel.md",
    "18f/how-18f-works/procurements-over-10000.md",
    "office-of-acquisition/index.md",
    "getting-started/index.md",
    "404.html",
    "redirects/buddy-handbook.md",
]
LEGAL_FILES = [
    "en/subscription_services_tos.md",
    "en/subscription_services_privacy_notice.md",
    "en/pdf/subscription_services_tos.pdf",
    "en/archive/mozilla_vpn_tos.md",
    "en/content_moderation_practices.md",
    "en/firefox_privacy_notice.md",
    "de/subscription_services_tos.md",
    "zh-CN/subscription_services_tos.md",
]


def shared_subcollection(tmp_path_factory, name: str, files: list[str]) -> Path:
    """A copy of some files of a real collection, keeping their folders."""
    import shutil

    source = SHARED_CORPORA / name
    if not source.is_dir():
        pytest.skip(f"{source} is absent: the tests on real collections need ../shared/corpora/")
    folder = tmp_path_factory.mktemp(name)
    for rel in files:
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / rel, folder / rel)
    return folder


def _built(tmp_path_factory, corpus: Path) -> Settings:
    from index import build_index

    settings = Settings(
        data_dir=tmp_path_factory.mktemp("data"), corpus_dir=corpus, model_dir=MODELS, backend="extractive"
    )
    build_index(settings)
    return settings


@pytest.fixture(scope="session")
def handbook_corpus(tmp_path_factory) -> Path:
    """Part of the 18F handbook: Markdown with front matter, template tags, lists, tables."""
    return shared_subcollection(tmp_path_factory, "18f-handbook", HANDBOOK_FILES)


@pytest.fixture(scope="session")
def legal_corpus(tmp_path_factory) -> Path:
    """Part of Mozilla's legal documents: Markdown, a PDF rendering, an archived version, two translations."""
    return shared_subcollection(tmp_path_factory, "mozilla-legal", LEGAL_FILES)


@pytest.fixture(scope="session")
def word_corpus(tmp_path_factory) -> Path:
    """A real handbook page written into a Word file block by block (Word's heading
    styles, bulleted items, paragraphs by python-docx), alone in its folder."""
    import docx

    from index.loading import load_corpus

    source = load_corpus(shared_subcollection(tmp_path_factory, "18f-handbook", ["travel-and-leave/leave.md"]))
    page = source.documents[0]
    document = docx.Document()
    document.core_properties.title = page.title
    for block in page.blocks:
        text = page.text[block.start : block.end]
        if block.kind == "heading":
            document.add_heading(text, level=min(block.level, 9))
        else:
            document.add_paragraph(text, style="List Bullet" if block.kind == "item" else None)
    folder = tmp_path_factory.mktemp("word")
    document.save(folder / "leave.docx")
    return folder


@pytest.fixture(scope="session")
def word_assistant(tmp_path_factory, word_corpus):
    from assistant import Assistant

    return Assistant(_built(tmp_path_factory, word_corpus), load_generator=False)


@pytest.fixture(scope="session")
def handbook_assistant(tmp_path_factory, handbook_corpus):
    from assistant import Assistant

    return Assistant(_built(tmp_path_factory, handbook_corpus), load_generator=False)


@pytest.fixture(scope="session")
def legal_assistant(tmp_path_factory, legal_corpus):
    from assistant import Assistant

    return Assistant(_built(tmp_path_factory, legal_corpus), load_generator=False)
