"""What the APIs answer when the answer generator is loading, down or failing: HTTP 503
(with `Retry-After`), carrying the evidence-only answer (the passages' own sentences)
so that a client can still show something true. Every answering endpoint goes through
these two checks, so they all fail the same way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from api.errors import APIError
from assistant import Answer, Assistant

RETRY_AFTER = "10"  # seconds a client waits before asking again

Render = Callable[[Answer], dict[str, Any]]  # an answer as the endpoint sends it


def unavailable(answer: Answer, what: str, render: Render) -> APIError:
    return APIError(
        503,
        f"the answer generator {what}; the evidence-only answer is in 'evidence_answer'",
        code="generator_unavailable",
        extra={"evidence_answer": render(answer)},
        headers={"Retry-After": RETRY_AFTER},
    )


def require_generator(assistant: Assistant, backend: str, evidence_only: Callable[[], Answer], render: Render) -> None:
    """Raise the 503 before answering when the backend's generator is not loaded (still
    loading, or failed to load); `evidence_only()` makes the answer it carries."""
    if backend != "extractive" and not assistant.generator_ready(backend):
        raise unavailable(evidence_only(), f"is not available ({assistant.generator_status(backend)})", render)


def generated(answer: Answer, render: Render) -> Answer:
    """The answer, unless the generator failed while answering (then the 503 with it)."""
    if answer.generator_failed:
        raise unavailable(answer, f"failed ({answer.fallback_reason})", render)
    return answer
