"""The default generator: a GGUF model run in-process by llama-cpp-python.

One `Llama` object is loaded and shared; it is not thread-safe, so every call holds a
lock (a caller that waits longer than `llm_timeout` for it gets BackendError, not a
hang). Decoding is constrained by a llama.cpp grammar (GBNF) when one is given, checked
on the best candidate tokens first (grammar_sampling.py: the same tokens, sooner). The
fixed system prompt is evaluated once at load and its state kept, so each answer only
pays prompt processing for its passages and question, even after a condensing call
evaluated a different prompt in between (the state is put back then, in under 0.1 s).
llama-cpp-python's own prompt cache is not used: it saves the whole state (about 160 MB
for this model) after every completion, 0.4 s of each answer on 2 cores
(`policyqa bench prompt-state`).

`judge` reads the model's own probability of "yes" as the next token of a chat, from
its logits. Consecutive calls that share a prefix (the answer prompt, then a question
about it) reuse the evaluated prefix in the context, so a judgement costs only its own
few tokens.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from assistant.generation.cpu_check import check_cpu, cpu_flags
from assistant.generation.grammar_sampling import checked_first_llama
from assistant.generation.model_files import resolve_model
from assistant.prompts import SYSTEM
from policyqa.errors import BackendError, ModelUnavailableError
from policyqa.settings import Settings

log = logging.getLogger(__name__)


class LocalGenerator:
    backend = "local"
    supports_grammar = True

    def __init__(self, settings: Settings, model_path: Path | None = None, warm: bool = True):
        try:
            Llama = checked_first_llama()
            import llama_cpp
        except ImportError as exc:  # pragma: no cover - the install step builds it
            raise ModelUnavailableError(f"llama-cpp-python is not installed ({exc}); run `make install`") from exc
        check_cpu(llama_cpp.llama_print_system_info().decode("utf-8", "replace"), cpu_flags())
        path = Path(model_path) if model_path else resolve_model(settings)
        self.path = path
        self.name = f"local: {path.stem}"
        self.timeout = settings.llm_timeout
        self.context_window = settings.llm_context
        self.max_tokens = settings.llm_max_tokens
        self._lock = threading.Lock()
        self._grammars: dict[str, object] = {}  # compiled GBNF by text (few distinct ones)
        started = time.perf_counter()
        try:
            self._llm = Llama(
                model_path=str(path),
                n_ctx=settings.llm_context,
                n_threads=settings.llm_threads,
                n_threads_batch=settings.llm_threads,
                n_batch=256,
                seed=0,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelUnavailableError(f"cannot load the local model {path}: {exc}") from exc
        self._formatter = _chat_formatter(self._llm)
        self._system_state = None  # the context after the system prompt (warm_up)
        self._system_tokens: list[int] = []
        self._verdict_tokens = _yes_no_tokens(self._llm)
        # Free the model before interpreter shutdown: Llama.__del__ during module
        # teardown raises a noisy TypeError inside llama-cpp-python.
        self._finalizer = weakref.finalize(self, self._llm.close)
        self.load_seconds = time.perf_counter() - started
        if warm:
            self.warm_up()

    def close(self) -> None:
        with self._lock:
            self._finalizer()

    def warm_up(self) -> None:
        """Evaluate the system prompt now so the first question does not pay for it, and
        keep the state it leaves (`_resume` puts it back)."""
        list(self.stream_chat([{"role": "system", "content": SYSTEM}, {"role": "user", "content": "ok"}], 1))
        if self._formatter is None:
            return
        first, second = (
            self._prompt_tokens([{"role": "system", "content": SYSTEM}, {"role": "user", "content": w}])
            for w in ("a", "b")
        )
        shared = self._llm.longest_token_prefix(first, second)
        with self._lock:
            llm = self._llm
            if list(llm.input_ids[:shared]) == first[:shared]:
                llm.n_tokens = shared
                self._system_tokens = first[:shared]
                self._system_state = llm.save_state()

    def _prompt_tokens(self, messages: list[dict]) -> list[int]:
        result = self._formatter(messages=messages)
        return self._llm.tokenize(result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True)

    def _resume(self, messages: list[dict]) -> None:
        """Before a chat that opens with the system prompt: put its evaluated state back if
        the context no longer starts with it (a call with another prompt came between).
        Called with the lock held."""
        if self._system_state is None or not messages or messages[0].get("content") != SYSTEM:
            return
        self._back_to_system_prompt(keep_the_rest=True)

    def _back_to_system_prompt(self, keep_the_rest: bool) -> None:
        """The context starting with the evaluated system prompt: its kept state put back
        if the context no longer starts with it, else (unless `keep_the_rest`) cut to it.
        Called with the lock held."""
        llm, n = self._llm, len(self._system_tokens)
        if llm.n_tokens < n or list(llm.input_ids[:n]) != self._system_tokens:
            llm.load_state(self._system_state)
        elif not keep_the_rest:
            llm.n_tokens = n

    def start_answer(self) -> None:
        """Forget what the context holds past the system prompt before an answer's first
        prompt. An evaluation's numerics depend slightly on where it starts (llama.cpp
        evaluates from the longest prefix the context shares with the prompt, in batches
        from there), so reusing what an earlier question left would make a judgement, and
        at a near tie the answer, depend on what was asked before. Every answer's prompts
        are then evaluated from the same point; within one answer they still share the
        passages' prefix."""
        if self._system_state is None:
            return
        with self._lock:
            self._back_to_system_prompt(keep_the_rest=False)

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def _grammar(self, text: str):
        from llama_cpp import LlamaGrammar

        grammar = self._grammars.get(text)
        if grammar is None:
            grammar = self._grammars[text] = LlamaGrammar.from_string(text, verbose=False)
        return grammar

    def stream_chat(self, messages: list[dict], max_tokens: int, grammar: str | None = None) -> Iterator[str]:
        deadline = time.monotonic() + self.timeout
        if not self._lock.acquire(timeout=self.timeout):
            raise BackendError(f"the local model stayed busy for more than {self.timeout:.0f} s")
        try:
            self._resume(messages)
            kwargs: dict[str, Any] = {}
            if grammar is not None:
                kwargs["grammar"] = self._grammar(grammar)
            stream = self._llm.create_chat_completion(
                messages=messages, temperature=0.0, max_tokens=max_tokens, stream=True, **kwargs
            )
            for chunk in stream:
                piece = chunk["choices"][0]["delta"].get("content")
                if piece:
                    yield piece
                if time.monotonic() > deadline:
                    raise BackendError(
                        f"the local model did not finish within {self.timeout:.0f} s (POLICYQA_LLM_TIMEOUT)"
                    )
        except BackendError:
            raise
        except Exception as exc:  # llama.cpp errors: context overflow, grammar failure, ...
            raise BackendError(f"the local model failed: {exc}") from exc
        finally:
            self._lock.release()

    def complete(self, prompt: str, max_tokens: int) -> str:
        return "".join(self.stream_chat([{"role": "user", "content": prompt}], max_tokens))

    def judge(self, messages: list[dict]) -> float | None:
        """P(yes) / (P(yes) + P(no)) for the first token of the reply to `messages`."""
        if self._formatter is None or not all(self._verdict_tokens):
            return None
        tokens = self._prompt_tokens(messages)
        if len(tokens) >= self.context_window:
            return None
        if not self._lock.acquire(timeout=self.timeout):
            raise BackendError(f"the local model stayed busy for more than {self.timeout:.0f} s")
        try:
            self._resume(messages)
            llm = self._llm
            # The shared prefix is reused; the last token is always evaluated (its logits).
            shared = llm.longest_token_prefix(llm.input_ids[: llm.n_tokens], tokens[:-1])
            llm.n_tokens = shared
            llm.eval(tokens[shared:])
            logits = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),))
            yes_ids, no_ids = self._verdict_tokens
            top = float(np.max(logits))
            yes = sum(math.exp(float(logits[i]) - top) for i in yes_ids)
            no = sum(math.exp(float(logits[i]) - top) for i in no_ids)
        except Exception as exc:
            raise BackendError(f"the local model failed: {exc}") from exc
        finally:
            self._lock.release()
        return yes / (yes + no) if yes + no > 0 else None

    @property
    def llm(self):
        """This generator as a llama-index LLM."""
        return LocalLlamaIndexLLM.wrap(self, self.max_tokens)


def _chat_formatter(llm):
    """The model's own chat template as a formatter (what create_chat_completion uses)."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    template = llm.metadata.get("tokenizer.chat_template")
    if not template:
        return None
    eos, bos = llm.token_eos(), llm.token_bos()
    return Jinja2ChatFormatter(
        template=template,
        eos_token=llm._model.token_get_text(eos) if eos != -1 else "",
        bos_token=llm._model.token_get_text(bos) if bos != -1 else "",
        stop_token_ids=[eos],
    )


def _yes_no_tokens(llm) -> tuple[list[int], list[int]]:
    """Token ids that start a "yes" or a "no" reply, in the spellings a model uses."""

    def first(word: str) -> int | None:
        ids = llm.tokenize(word.encode("utf-8"), add_bos=False, special=False)
        return ids[0] if len(ids) == 1 else None

    yes = {t for w in ("Yes", "yes", " Yes", " yes", "YES") if (t := first(w)) is not None}
    no = {t for w in ("No", "no", " No", " no", "NO") if (t := first(w)) is not None}
    return sorted(yes), sorted(no)


def _llama_index_llm_class():
    from llama_index.core.llms import (
        CompletionResponse,
        CompletionResponseGen,
        CustomLLM,
        LLMMetadata,
    )
    from llama_index.core.llms.callbacks import llm_completion_callback
    from pydantic import PrivateAttr

    class _LocalLLM(CustomLLM):
        """llama-index view of a LocalGenerator (shares its model and lock)."""

        max_tokens: int = 256
        _generator: Any = PrivateAttr()

        @classmethod
        def wrap(cls, generator: LocalGenerator, max_tokens: int = 256) -> _LocalLLM:
            llm = cls(max_tokens=max_tokens)
            llm._generator = generator
            return llm

        @property
        def metadata(self) -> LLMMetadata:
            return LLMMetadata(
                context_window=self._generator.context_window,
                num_output=self.max_tokens,
                model_name=self._generator.name,
                is_chat_model=False,
            )

        @llm_completion_callback()
        def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
            return CompletionResponse(text=self._generator.complete(prompt, self.max_tokens))

        @llm_completion_callback()
        def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
            text = ""
            for piece in self._generator.stream_chat([{"role": "user", "content": prompt}], self.max_tokens):
                text += piece
                yield CompletionResponse(text=text, delta=piece)

    return _LocalLLM


class LocalLlamaIndexLLM:
    """Lazy access to the llama-index adapter class (llama-index imports are slow)."""

    @staticmethod
    def wrap(generator: LocalGenerator, max_tokens: int = 256):
        return _llama_index_llm_class().wrap(generator, max_tokens)
