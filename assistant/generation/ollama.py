"""An Ollama server, through llama-index's `Ollama` LLM.

Ollama constrains output with JSON schemas only, not grammars, so the answer format is
asked for by the prompt alone; verification checks the result as for any backend. The
output length is an Ollama option, fixed per client object, so one client is kept
per distinct `max_tokens` (in practice two: answers and condensing).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

from policyqa.errors import BackendError, ModelUnavailableError
from policyqa.settings import Settings


def describe_error(exc: BaseException, where: str, timeout: float) -> str:
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        return f"{where} did not answer within {timeout:.0f} s (POLICYQA_LLM_TIMEOUT)"
    if isinstance(exc, (httpx.ConnectError, ConnectionError)):
        return f"cannot reach Ollama at {where}: is `ollama serve` running?"
    status = getattr(exc, "status_code", None)
    if status == 404:
        return f"Ollama at {where} does not have that model: run `ollama pull <model>` (POLICYQA_OLLAMA_MODEL)"
    if status:
        return f"Ollama at {where} answered HTTP {status}: {str(exc)[:200]}"
    return f"Ollama at {where} failed: {type(exc).__name__}: {str(exc)[:200]}"


class OllamaGenerator:
    backend = "ollama"
    supports_grammar = False  # Ollama takes JSON schemas, not grammars: the prompt asks

    def __init__(self, settings: Settings):
        if not settings.ollama_model:
            raise ModelUnavailableError("the ollama backend needs POLICYQA_OLLAMA_MODEL (e.g. qwen2.5:7b-instruct)")
        self.base_url = settings.ollama_url.rstrip("/")
        self.model = settings.ollama_model
        self.timeout = settings.llm_timeout
        self.context_window = settings.llm_context
        self.name = f"ollama: {self.model} at {self.base_url}"
        self._clients: dict[int, object] = {}
        self._lock = threading.Lock()
        self._default_max_tokens = settings.llm_max_tokens

    def _client(self, max_tokens: int):
        with self._lock:
            client = self._clients.get(max_tokens)
            if client is None:
                from llama_index.llms.ollama import Ollama

                client = Ollama(
                    model=self.model,
                    base_url=self.base_url,
                    request_timeout=self.timeout,
                    temperature=0.0,
                    context_window=self.context_window,  # explicit: no /api/show call
                    additional_kwargs={"num_predict": max_tokens},
                )
                self._clients[max_tokens] = client
            return client

    @property
    def llm(self):
        return self._client(self._default_max_tokens)

    def stream_chat(self, messages: list[dict], max_tokens: int, grammar: str | None = None) -> Iterator[str]:
        from llama_index.core.llms import ChatMessage

        chat = [ChatMessage(role=m["role"], content=m["content"]) for m in messages]
        deadline = time.monotonic() + self.timeout
        try:
            for response in self._client(max_tokens).stream_chat(chat):
                if response.delta:
                    yield response.delta
                if time.monotonic() > deadline:
                    raise BackendError(
                        f"Ollama at {self.base_url} did not finish within {self.timeout:.0f} s (POLICYQA_LLM_TIMEOUT)"
                    )
        except BackendError:
            raise
        except Exception as exc:
            raise BackendError(describe_error(exc, self.base_url, self.timeout)) from exc

    def complete(self, prompt: str, max_tokens: int) -> str:
        return "".join(self.stream_chat([{"role": "user", "content": prompt}], max_tokens))
