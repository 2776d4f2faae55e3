"""`Assistant`: the one object the app, the eval suite and users' code talk to.

Read top-down, a question becomes an answer in `stream()`:
  analyse (analysis.py: clean, make a follow-up standalone, yes/no?, kind of answer) →
  retrieve (retrieval.py: hybrid + re-rank) → may it be answered? (policy.before) →
  generate or extract, verify every sentence, decide what the answer may say
  (answering.py, verification.py, policy.after) → Answer.
Everything heavy (embedding model, index snapshot, Chroma client, generator) is loaded
once; `ask`/`stream`/`retrieve` are safe to call from many threads at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

from assistant import answering, policy
from assistant.analysis import QueryAnalysis, analyze
from assistant.condense import trim_history
from assistant.filters import allowed_documents
from assistant.generation import start_answer
from assistant.retrieval import HybridRetriever, Retrieval
from assistant.translation import translator
from assistant.types import Answer, Evidence, Filters, Passage, StreamEvent, Turn
from index.embedding import AUTO, Embedder, load_embedder
from index.snapshot import current_marker, open_snapshot
from index.store import VectorStore, store_identity
from policyqa.errors import IndexCorruptError, ModelUnavailableError
from policyqa.settings import Settings

log = logging.getLogger(__name__)

REFUSAL = policy.REFUSAL


class Assistant:
    def __init__(self, settings: Settings, load_generator: bool = True, background: bool = False):
        self.settings = settings
        self._lock = threading.Lock()  # guards index reloads
        self._gen_lock = threading.Lock()  # guards generator loading (slow: never under _lock)
        self._embedders: dict[str, Embedder] = {}  # by model name: the index says which
        # One torch thread per query: measured 26-63 ms per query embedding on a busy
        # 2-core machine against 220-780 ms with torch's default of one per core.
        import torch

        torch.set_num_threads(settings.query_threads)
        self._retriever = self._open_retriever()
        self._generators: dict[str, object] = {}
        self._generator_errors: dict[str, str] = {}
        self._loading: dict[str, threading.Thread] = {}
        if load_generator and settings.backend != "extractive":
            if background:
                self.preload(settings.backend)
            else:
                self._generator(settings.backend)

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **overrides) -> Assistant:
        """Build from POLICYQA_* settings; keyword arguments override single fields."""
        settings = (settings or Settings()).override(**overrides)
        return cls(settings)

    @classmethod
    def build(cls, settings: Settings | None = None, progress=None, **overrides) -> Assistant:
        """Index the corpus folder, then open it: `Assistant.build(corpus_dir="~/policies")`
        points PolicyQA at a folder from code. The build is incremental (only files changed
        since the last one are read; none at all when it is up to date); `progress` is an
        `index.build_index` progress callback."""
        from index import build_index

        settings = (settings or Settings()).override(**overrides)
        build_index(settings, progress=progress)
        return cls(settings)

    # -- the index --------------------------------------------------------------------
    def _open_retriever(self) -> HybridRetriever:
        snapshot = open_snapshot(self.settings)
        if self.settings.embed_model not in (AUTO, snapshot.embed_model):
            raise IndexCorruptError(
                f"the index was built with embedding model {snapshot.embed_model!r} but settings ask "
                f"for {self.settings.embed_model!r}; run `policyqa index build`"
            )
        if snapshot.store != store_identity(self.settings):
            raise IndexCorruptError(
                f"the index's vectors are in {snapshot.store} but settings point at "
                f"{store_identity(self.settings)}; run `policyqa index build` to index into it"
            )
        store = VectorStore(self.settings, snapshot.collection, snapshot.dim)
        _ = snapshot.glossary  # read now (about a second per 10 MB of text), not at the first question
        companion = snapshot.companion
        use_companion = companion is not None and companion.model == self.settings.english_model
        return HybridRetriever(
            self.settings,
            snapshot,
            store,
            self._embedder(snapshot.embed_model),
            self._embedder(companion.model) if use_companion else None,
        )

    def _embedder(self, model: str) -> Embedder:
        """An embedding model by name, loaded once (the index's, and the one answers compare with)."""
        if model not in self._embedders:
            self._embedders[model] = load_embedder(self.settings.override(embed_model=model))
        return self._embedders[model]

    @property
    def embedder(self) -> Embedder:
        """The embedding model of the comparisons made while answering (`compare_model`;
        `auto`: the index's, which searches)."""
        search = self.retriever.embedder
        model = self.settings.compare_model
        return search if model in (AUTO, search.name) else self._embedder(model)

    @property
    def retriever(self) -> HybridRetriever:
        """The current generation's retriever; swapped whole when a build commits."""
        retriever = self._retriever
        marker = current_marker(self.settings.index_dir)
        if marker and marker != retriever.snapshot.path.name:
            with self._lock:
                if self._retriever is retriever:
                    log.info("index changed to %s; reloading", marker)
                    self._retriever = self._open_retriever()
                retriever = self._retriever
        return retriever

    @property
    def snapshot(self):
        return self.retriever.snapshot

    # -- generators -------------------------------------------------------------------
    def _generator(self, backend: str):
        """The loaded generator for a backend, or None (extractive, still loading, failed)."""
        if backend == "extractive":
            return None
        thread = self._loading.get(backend)
        if thread is not None and thread.is_alive():
            return None
        with self._gen_lock:
            if backend not in self._generators and backend not in self._generator_errors:
                self._load(backend)
        return self._generators.get(backend)

    def _load(self, backend: str) -> None:
        from assistant.generation import load_generator

        try:
            self._generators[backend] = load_generator(self.settings.override(backend=backend))
        except Exception as exc:  # the product still answers, extractively
            log.warning("generator %s unavailable: %s", backend, exc)
            self._generator_errors[backend] = str(exc)

    def preload(self, backend: str) -> None:
        """Start loading a backend's generator in the background; answers are evidence-only
        (extractive) until it is ready. Does nothing if it is loaded or loading."""
        if backend == "extractive":
            return

        def run() -> None:
            with self._gen_lock:
                if backend not in self._generators:
                    self._generator_errors.pop(backend, None)
                    self._load(backend)

        with self._gen_lock:
            thread = self._loading.get(backend)
            if backend in self._generators or (thread is not None and thread.is_alive()):
                return
            thread = threading.Thread(target=run, name=f"load-{backend}", daemon=True)
            self._loading[backend] = thread
            thread.start()

    def generator_ready(self, backend: str | None = None) -> bool:
        """Load the backend's generator now (if it is not yet) and say whether it works."""
        backend = backend or self.settings.backend
        return backend == "extractive" or self._generator(backend) is not None

    def generator_loaded(self, backend: str | None = None) -> bool:
        """Whether the backend's generator is loaded now (never starts loading it)."""
        backend = backend or self.settings.backend
        return backend == "extractive" or backend in self._generators

    def generator_status(self, backend: str | None = None) -> str:
        backend = backend or self.settings.backend
        if backend == "extractive":
            return "extractive (no LLM)"
        thread = self._loading.get(backend)
        if thread is not None and thread.is_alive():
            return f"{backend}: loading…"
        if backend in self._generator_errors:
            return f"{backend}: unavailable ({self._generator_errors[backend]})"
        gen = self._generators.get(backend)
        return getattr(gen, "name", backend) if gen is not None else f"{backend}: not loaded"

    # -- the API ----------------------------------------------------------------------
    def analyze(self, question: str, history=None, backend: str | None = None, filters=None) -> QueryAnalysis:
        """The question analysed once: standalone form, context, yes/no, kind of answer, and
        its translation where the documents searched (`filters`) are all in another language."""
        backend = backend or self.settings.backend
        turns = trim_history(_turns(history), self.settings.history_token_budget)
        gen = self._generator(backend) if turns and self.settings.condense_with_llm else None
        rewrite = (lambda prompt: gen.complete(prompt, max_tokens=64)) if gen is not None else None
        snapshot = self.snapshot
        languages = snapshot.lexical.languages if snapshot.lexical is not None else ()
        translate = None
        if self.settings.translate_questions and backend != "extractive":
            allowed = allowed_documents(snapshot, _filters(filters))
            translate = translator(snapshot, allowed, lambda: self._generator(backend))
        return analyze(
            question, turns, self.settings.max_question_chars, rewrite, languages, translate, snapshot.glossary.aliases
        )

    def standalone_query(self, question: str, history=None, backend: str | None = None) -> str:
        """The question made standalone, with any context, in the asker's words (retrieval
        searches its translation where the documents searched are in another language)."""
        return self.analyze(question, history, backend).search_text

    def search(
        self, question: str, history=None, filters=None, top_k: int | None = None
    ) -> tuple[QueryAnalysis, Retrieval]:
        """The question's analysis and its retrieval result."""
        analysis = self.analyze(question, history, filters=filters)
        return analysis, self.retriever.retrieve(analysis, _filters(filters), top_k)

    def retrieve(self, question: str, history=None, filters=None, top_k: int | None = None) -> list[Passage]:
        return self.search(question, history, filters, top_k)[1].passages

    def ask(
        self, question: str, history=None, filters=None, top_k: int | None = None, backend: str | None = None
    ) -> Answer:
        answer = None
        for event in self.stream(question, history, filters, top_k, backend):
            if isinstance(event, Answer):
                answer = event
        assert answer is not None
        return answer

    def stream(
        self, question: str, history=None, filters=None, top_k: int | None = None, backend: str | None = None
    ) -> Iterator[StreamEvent]:
        """Yields Evidence (before any token), Delta events, then the final Answer."""
        started = time.perf_counter()
        backend = backend or self.settings.backend
        turns = trim_history(_turns(history), self.settings.history_token_budget)
        t0 = time.perf_counter()
        analysis = self.analyze(question, turns, backend, filters)
        timings = {"analyze": time.perf_counter() - t0}
        t0 = time.perf_counter()
        found = self.retriever.retrieve(analysis, _filters(filters), top_k)
        timings["retrieve"] = time.perf_counter() - t0
        timings.update({f"retrieve.{k}": v for k, v in found.timings.items()})
        decision = policy.before(analysis, found.passages, found.strength, self.settings)
        timings["evidence"] = time.perf_counter() - started
        yield Evidence(standalone_query=analysis.standalone, passages=found.passages, refused=not decision.answer)
        scores = {"strength": round(found.strength, 4)}
        if decision.answer:
            generator = self._generator(backend)
            start_answer(generator)
            ready = answering.prepare(analysis, found.passages, turns, self.settings, generator, self.embedder)
            if generator is not None:
                t0 = time.perf_counter()
                decision = policy.before(
                    analysis,
                    found.passages,
                    found.strength,
                    self.settings,
                    answering.relevance(ready, generator, self.settings),
                )
                timings["relevance"] = time.perf_counter() - t0
                if decision.relevance is not None:
                    scores["relevance"] = round(decision.relevance, 4)
        if not decision.answer:
            timings["total"] = time.perf_counter() - started
            yield answering.refusal(analysis, found.passages, "policy", decision.reason, timings=timings, scores=scores)
            return
        for event in answering.answer_stream(ready, self.settings, generator, started):
            if isinstance(event, Answer):
                event.scores = {**scores, **event.scores}
                if backend != "extractive" and generator is None and not event.fallback_reason:
                    event.fallback_reason = f"generator not available: {self.generator_status(backend)}"
                    event.generator_failed = True
                event.timings = {**timings, **event.timings}
            yield event

    def chat(self, filters=None, store=None, owner: str = "local") -> Chat:
        """A conversation; with a store (`conversations.ConversationStore`) it is saved."""
        return Chat(self, filters, store, owner)

    # -- llama-index components (assistant/llamaindex.py) -----------------------------
    def as_retriever(self, filters=None, top_k: int | None = None):
        """A llama-index `BaseRetriever` over this assistant's retrieval."""
        from assistant.llamaindex import PolicyQARetriever

        return PolicyQARetriever(self, _filters(filters), top_k)

    def as_query_engine(self, filters=None, top_k: int | None = None, backend: str | None = None):
        """A llama-index query engine that answers with verified citations."""
        from assistant.llamaindex import PolicyQAQueryEngine

        return PolicyQAQueryEngine(self, _filters(filters), top_k, backend)

    def as_chat_engine(self, filters=None, top_k: int | None = None, backend: str | None = None):
        """A llama-index chat engine that answers with verified citations and keeps the history."""
        from assistant.llamaindex import PolicyQAChatEngine

        return PolicyQAChatEngine(self, _filters(filters), top_k, backend)

    def as_llm(self, backend: str | None = None):
        """The backend's generator as a llama-index LLM (for pipelines of one's own)."""
        backend = backend or self.settings.backend
        generator = self._generator(backend)
        if generator is None:
            raise ModelUnavailableError(f"no generator to use as an LLM: {self.generator_status(backend)}")
        return generator.llm

    def status(self) -> dict:
        snap = self.snapshot
        return {
            "documents": len(snap.documents),
            "chunks": len(snap.chunks),
            "generation": snap.generation,
            "built_at": snap.built_at,
            "embed_model": snap.embed_model,
            "backend": self.settings.backend,
            "generator": self.generator_status(),
        }


class Chat:
    """A conversation: keeps the history so callers can just send the next question.

    With a store (assistant/conversations.py) every finished exchange is saved under
    `conversation_id` (created on the first one), and `Chat.open` reopens a saved
    conversation, its history ready for a follow-up."""

    def __init__(self, assistant: Assistant, filters=None, store=None, owner: str = "local"):
        self.assistant = assistant
        self.filters = _filters(filters)
        self.history: list[Turn] = []
        self.answers: list[Answer] = []
        self.store = store
        self.owner = owner
        self.conversation_id: str | None = None

    @classmethod
    def open(cls, assistant: Assistant, store, conversation_id: str, owner: str = "local") -> Chat:
        """A saved conversation, reopened (ConversationNotFoundError if it is not the owner's)."""
        saved = store.get(conversation_id, owner)
        chat = cls(assistant, saved.filters, store, owner)
        chat.conversation_id = saved.id
        chat.answers = list(saved.answers)
        chat.history = saved.history
        return chat

    def ask(self, question: str, **kwargs) -> Answer:
        answer = self.assistant.ask(question, self.history, self.filters, **kwargs)
        self.record(answer)
        return answer

    def record(self, answer: Answer) -> None:
        """Add a finished exchange (for callers that stream it themselves); saved with a store."""
        self.history += [Turn(role="user", content=answer.question), Turn(role="assistant", content=answer.text)]
        self.answers.append(answer)
        if self.store is not None:
            if self.conversation_id is None:
                self.conversation_id = self.store.create(self.owner, filters=self.filters).id
            self.store.append(self.conversation_id, self.owner, answer)

    def reset(self) -> None:
        """Start afresh; with a store, the next exchange opens a new conversation."""
        self.history.clear()
        self.answers.clear()
        self.conversation_id = None


def _turns(history) -> list[Turn]:
    """Accept Turn objects, {"role", "content"} dicts, or (user, assistant) pairs."""
    out: list[Turn] = []
    for item in history or []:
        if isinstance(item, Turn):
            out.append(item)
        elif isinstance(item, dict):
            out.append(Turn(role=item["role"], content=str(item["content"])))
        else:
            user, reply = item
            out += [Turn(role="user", content=str(user)), Turn(role="assistant", content=str(reply or ""))]
    return out


def _filters(filters) -> Filters | None:
    if filters is None or isinstance(filters, Filters):
        return filters
    return Filters.model_validate(filters)
