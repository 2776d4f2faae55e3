"""Any OpenAI-compatible chat server, through llama-index's `OpenAILike`.

llama.cpp's servers (`python -m llama_cpp.server`, `llama-server`) accept a GBNF
`grammar` field in chat requests, so the answer is constrained there exactly as with
the in-process model. Other servers (OpenAI, vLLM, LM Studio) reject or ignore the
unknown field: on a 400/422 the request is repeated without it, and the generator
remembers not to send it again; the prompt alone then asks for the format, and
verification checks the result as for any backend.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

from policyqa.errors import BackendError, ModelUnavailableError
from policyqa.settings import Settings

log = logging.getLogger(__name__)


def describe_error(exc: BaseException, where: str, timeout: float) -> str:
    """One line a person can act on, never a traceback; never includes the API key."""
    import httpx
    import openai

    # A timeout mid-stream surfaces as httpx's own exception, not openai's wrapper.
    if isinstance(exc, (openai.APITimeoutError, httpx.TimeoutException, TimeoutError)):
        return f"{where} did not answer within {timeout:.0f} s (POLICYQA_LLM_TIMEOUT)"
    if isinstance(exc, openai.APIConnectionError):
        return f"cannot reach {where}: is the server running?"
    if isinstance(exc, openai.AuthenticationError):
        return f"{where} refused the API key (POLICYQA_OPENAI_API_KEY)"
    if isinstance(exc, openai.NotFoundError):
        return f"{where} has no such model or endpoint (POLICYQA_OPENAI_MODEL / POLICYQA_OPENAI_BASE_URL)"
    if isinstance(exc, openai.APIStatusError):
        return f"{where} answered HTTP {exc.status_code}: {str(exc.message)[:200]}"
    return f"{where} failed: {type(exc).__name__}: {str(exc)[:200]}"


class OpenAICompatGenerator:
    backend = "openai"

    def __init__(self, settings: Settings):
        if not settings.openai_base_url:
            raise ModelUnavailableError(
                "the openai backend needs POLICYQA_OPENAI_BASE_URL (e.g. http://127.0.0.1:8000/v1)"
            )
        from llama_index.llms.openai_like import OpenAILike

        self.base_url = settings.openai_base_url.rstrip("/")
        self.timeout = settings.llm_timeout
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "not-needed"
        self._model = settings.openai_model
        self._lock = threading.Lock()
        self._grammar_ok: bool | None = None  # None until the server has accepted or refused one
        self._llm = OpenAILike(
            model=self._model or "default",
            api_base=self.base_url,
            api_key=key,
            is_chat_model=True,
            context_window=settings.llm_context,
            timeout=settings.llm_timeout,
            max_retries=0,
            temperature=0.0,
            max_tokens=None,  # per call
        )
        self.name = f"openai: {self._model or '(server default model)'} at {self.base_url}"

    @property
    def supports_grammar(self) -> bool:
        return self._grammar_ok is not False

    @property
    def llm(self):
        return self._llm

    def _model_name(self) -> str:
        """The configured model, else the first one the server lists (llama.cpp serves one)."""
        if self._model:
            return self._model
        with self._lock:
            if self._model is None:
                try:
                    models = self._llm._get_client().models.list()
                    self._model = models.data[0].id if models.data else "default"
                except Exception as exc:
                    raise BackendError(describe_error(exc, self.base_url, self.timeout)) from exc
                self._llm.model = self._model
                self.name = f"openai: {self._model} at {self.base_url}"
        return self._model

    def stream_chat(self, messages: list[dict], max_tokens: int, grammar: str | None = None) -> Iterator[str]:
        import openai
        from llama_index.core.llms import ChatMessage

        self._model_name()
        chat = [ChatMessage(role=m["role"], content=m["content"]) for m in messages]
        attempts = [grammar] if grammar is not None and self._grammar_ok is not False else []
        attempts.append(None)
        deadline = time.monotonic() + self.timeout
        for attempt in attempts:
            kwargs: dict[str, Any] = {"max_tokens": max_tokens}
            if attempt is not None:
                kwargs["extra_body"] = {"grammar": attempt}
            try:
                for response in self._llm.stream_chat(chat, **kwargs):
                    if attempt is not None:
                        self._grammar_ok = True
                    if response.delta:
                        yield response.delta
                    if time.monotonic() > deadline:
                        raise BackendError(
                            f"{self.base_url} did not finish within {self.timeout:.0f} s (POLICYQA_LLM_TIMEOUT)"
                        )
                return
            except BackendError:
                raise
            except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
                if attempt is not None and self._grammar_ok is None:
                    log.info(
                        "%s does not take grammars (HTTP %s); asking by prompt only", self.base_url, exc.status_code
                    )
                    self._grammar_ok = False
                    continue
                raise BackendError(describe_error(exc, self.base_url, self.timeout)) from exc
            except Exception as exc:
                raise BackendError(describe_error(exc, self.base_url, self.timeout)) from exc

    def complete(self, prompt: str, max_tokens: int) -> str:
        return "".join(self.stream_chat([{"role": "user", "content": prompt}], max_tokens))
