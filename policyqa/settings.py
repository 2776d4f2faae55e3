"""The one settings object every component takes explicitly.

Values come, highest priority first, from keyword overrides (`Settings(top_k=3)` or
`settings.override(top_k=3)`), `POLICYQA_*` environment variables, a `policyqa.toml`
in the working directory (or the file named by `POLICYQA_CONFIG`), then the defaults.
"""

from __future__ import annotations

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
    model_config = SettingsConfigDict(
        env_prefix="POLICYQA_", extra="forbid", validate_assignment=True, frozen=False
    )

    # --- where things live -------------------------------------------------------
    data_dir: Path = Field(PROJECT_ROOT / "data", description="Index, models, feedback, uploads.")
    corpus_dir: Path = Field(PROJECT_ROOT / "corpus", description="Documents to index.")
    model_dir: Path | None = Field(None, description="Assembled GGUF models; default data_dir/models.")

    # --- index build ---------------------------------------------------------------
    embed_model: str = Field(
        "all-MiniLM-L6-v2",
        description="A sentence-transformers folder, or 'all-MiniLM-L6-v2' for the packaged copy.",
    )
    embed_batch_size: int = Field(32, ge=1, le=4096)
    embed_workers: int = Field(1, ge=1, le=64, description="Worker processes for embedding.")
    chunk_words: int = Field(100, ge=10, le=2000, description="Target chunk size in words.")
    chunk_overlap_sentences: int = Field(1, ge=0, le=10)
    max_document_mb: float = Field(10.0, gt=0, description="Larger corpus files are skipped.")

    # --- vector store ----------------------------------------------------------------
    chroma_url: str | None = Field(None, description="Chroma server URL; unset = embedded store.")
    chroma_token: SecretStr | None = Field(None, description="Bearer token for the Chroma server.")
    collection_prefix: str = "policyqa"

    # --- retrieval -----------------------------------------------------------------
    top_k: int = Field(3, ge=1, le=50, description="Passages handed to the answer step.")
    candidates: int = Field(20, ge=1, le=500, description="Per-retriever candidates before fusion.")
    fusion: Literal["rrf", "score"] = Field("score", description="How dense and BM25 lists are merged.")
    rrf_k: int = Field(60, ge=1)
    novelty: float = Field(
        0.5, ge=0.0, le=1.0,
        description="Re-ranking boost for the question's names, dates and numbers the passages above lack (0: off).",
    )
    min_evidence: float = Field(
        0.17, ge=0.0, le=1.0, description="Evidence gate: below this the question is refused."
    )
    max_question_chars: int = Field(2000, ge=10)
    query_threads: int = Field(1, ge=1, le=64, description="Torch threads in a serving process.")
    history_token_budget: int = Field(300, ge=0)
    condense_with_llm: bool = Field(
        False, description="Let a loaded generator rewrite follow-ups; off: the rule-based rewrite was as good "
        "on the gold follow-ups and 3 s faster to evidence (README, benchmarks/results/answers-followups-*)."
    )
    context_token_budget: int = Field(900, ge=100)

    # --- answer generation -----------------------------------------------------------
    backend: Backend = "local"
    llm_model_path: Path | None = Field(None, description="GGUF file; default: the assembled one.")
    llm_threads: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1)
    llm_context: int = Field(4096, ge=512)
    llm_max_tokens: int = Field(256, ge=16)
    llm_timeout: float = Field(120.0, gt=0, description="Seconds before a backend counts as down.")
    openai_base_url: str | None = None
    openai_api_key: SecretStr | None = None
    openai_model: str | None = None
    ollama_url: str = "http://127.0.0.1:11434"
    ollama_model: str | None = None

    # --- app -------------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = Field(7860, ge=0, le=65535)
    auth: SecretStr | None = Field(None, description="user:password pairs, comma separated.")
    max_upload_mb: float = Field(5.0, gt=0)
    queue_size: int = Field(32, ge=1)
    concurrency: int = Field(2, ge=1)

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

    def override(self, **changes: Any) -> "Settings":
        """A validated copy with some fields changed; the original is untouched."""
        values = self.model_dump()
        values.update({k: v for k, v in changes.items() if v is not None})
        return Settings.model_validate(values)

    # Derived paths: one place decides the data directory's layout.
    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

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
