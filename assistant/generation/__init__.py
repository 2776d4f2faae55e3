"""Answer generators behind one small interface, chosen by `settings.backend`.

    local       Qwen2.5-Coder-1.5B-Instruct GGUF through llama-cpp-python (default)
    openai      any OpenAI-compatible server (vLLM, llama.cpp server, LM Studio, hosted APIs)
    ollama      an Ollama server
    extractive  no generator at all: `load_generator` returns None

Every generator streams text and raises `BackendError` for anything that goes wrong
(down, timeout, refused request), so callers have exactly one failure to handle: fall
back to the extractive answer. Nothing a generator says is trusted as is; answers go
through `assistant.verification` whatever the backend. Each generator also exposes a
llama-index `LLM` (`.llm`) for code that wants the llama-index interface.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from policyqa.errors import BackendError, ModelUnavailableError
from policyqa.settings import Settings

__all__ = ["BackendError", "Generator", "judge", "load_generator", "start_answer"]


@runtime_checkable
class Generator(Protocol):
    """What answering and condensing need from a language model. Thread-safe."""

    name: str  # shown to people, e.g. "local: qwen2.5-coder-1.5b-instruct-q4_k_m"
    backend: str  # "local" | "openai" | "ollama"
    supports_grammar: bool  # True if `grammar` constrains decoding (else only the prompt asks)

    def stream_chat(self, messages: list[dict], max_tokens: int, grammar: str | None = None) -> Iterator[str]:
        """Yield text pieces as they are generated. `messages` are {"role", "content"}
        dicts; `grammar` is GBNF text that constrains decoding where the backend can.
        Raises BackendError (possibly mid-stream) on any failure, or after
        `settings.llm_timeout` seconds in total."""
        ...

    def complete(self, prompt: str, max_tokens: int) -> str:
        """A plain, unconstrained reply to one user prompt. Raises BackendError."""
        ...


def judge(generator, messages: list[dict]) -> float | None:
    """The generator's probability that the reply to `messages` starts with "yes" (its
    calibrated judgement of a yes/no question about passages), or None where the backend
    gives no token probabilities. Raises BackendError."""
    method = getattr(generator, "judge", None)
    return method(messages) if method is not None else None


def start_answer(generator) -> None:
    """Tell the generator that the prompts of a new answer follow, where it keeps state
    between prompts (the local backend; a server's cache is its own)."""
    method = getattr(generator, "start_answer", None)
    if method is not None:
        method()


def load_generator(settings: Settings) -> Generator | None:
    """The configured generator, loaded once; None for the extractive backend.

    Raises ModelUnavailableError when it cannot be built (model file missing, backend
    not configured). Remote backends are not contacted here, so a server that is down
    at start-up is only a per-answer fallback and is used as soon as it is back.
    """
    backend = settings.backend
    if backend == "extractive":
        return None
    if backend == "local":
        from assistant.generation.local import LocalGenerator

        return LocalGenerator(settings)
    if backend == "openai":
        from assistant.generation.openai_compat import OpenAICompatGenerator

        return OpenAICompatGenerator(settings)
    if backend == "ollama":
        from assistant.generation.ollama import OllamaGenerator

        return OllamaGenerator(settings)
    raise ModelUnavailableError(f"unknown backend {backend!r}: use local, openai, ollama or extractive")
