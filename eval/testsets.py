"""Test sets in ragas's sample format (`user_input`, `reference`, `reference_contexts`)
plus our fields. Versioned as JSONL under eval/testsets/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from assistant.types import Filters, Turn

TESTSET_DIR = Path(__file__).resolve().parent / "testsets"

Kind = Literal[
    "fact",
    "number",
    "date",
    "duration",
    "amount",
    "name",
    "list",
    "definition",
    "explanation",
    "yesno",
    "multi_hop",
    "followup",
    "unanswerable",
]
Split = Literal["dev", "heldout"]


class Sample(BaseModel):
    id: str
    split: Split = Field("dev", description="dev: tuned on; heldout: never tuned on, reported apart.")
    user_input: str
    reference: str
    reference_contexts: list[str] = Field(default_factory=list)
    reference_doc_ids: list[str] = Field(default_factory=list)
    kind: Kind = "fact"
    expected_verdict: Literal["yes", "no"] | None = None
    required_facts: list[str] = Field(default_factory=list)
    history: list[Turn] = Field(default_factory=list)
    filters: Filters | None = Field(None, description="Asked with these filters (e.g. only German documents).")
    # The five articles overlap: other verbatim sentences stating a reference context's
    # evidence again (hand-reviewed). Citing one is as precise as citing the reference;
    # retrieval is still scored on the reference contexts alone.
    also_stated_in: list[str] = Field(default_factory=list)

    @property
    def answerable(self) -> bool:
        return self.kind != "unanswerable"


RAW_SUFFIX = ".raw"  # ragas's raw output beside a generated set (eval/generate.py): no test set


def testset_names(directory: Path = TESTSET_DIR) -> list[str]:
    return sorted(p.stem for p in directory.glob("*.jsonl") if not p.stem.endswith(RAW_SUFFIX))


def testset_path(name: str) -> Path:
    path = Path(name)
    return path if path.suffix == ".jsonl" and path.exists() else TESTSET_DIR / f"{name}.jsonl"


def load_testset(name: str = "gold") -> list[Sample]:
    path = testset_path(name)
    samples = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                samples.append(Sample.model_validate_json(line))
            except ValueError as exc:
                raise ValueError(f"{path}:{n}: {exc}") from exc
    return samples


def save_testset(samples: list[Sample], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "".join(json.dumps(s.model_dump(mode="json"), ensure_ascii=False) + "\n" for s in samples), encoding="utf-8"
    )
