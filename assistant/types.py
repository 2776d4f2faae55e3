"""The typed contract between the query side and everything that calls it
(the Gradio app, the eval suite, users' code). Pydantic models: they validate,
and `.model_dump_json()` gives the `--json` output for free.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Turn(BaseModel):
    model_config = ConfigDict(frozen=True)

    role: Literal["user", "assistant"]
    content: str


class Filters(BaseModel):
    """Restrict retrieval to some documents. Empty fields do not restrict."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    doc_ids: tuple[str, ...] = ()
    publishers: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()  # language codes ("de", "zh"; "zh-CN" matches "zh")
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    @field_validator("doc_ids", "publishers", "languages", mode="before")
    @classmethod
    def _listify(cls, value):
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        if isinstance(value, (list, tuple, set, frozenset)):
            return tuple(value)
        return value  # let validation report the wrong type

    def is_empty(self) -> bool:
        return not (self.doc_ids or self.publishers or self.languages or self.date_from or self.date_to)


class Passage(BaseModel):
    """A retrieved chunk, quoted exactly: `text == document_text[start:end]`."""

    model_config = ConfigDict(frozen=True)

    chunk_id: str
    doc_id: str
    title: str = ""
    section: str = Field("", description="Heading path inside the document: 'Title > Heading > Sub-heading'.")
    publisher: str = ""
    date: str | None = None
    url: str | None = None
    source: str = ""
    language: str | None = Field(None, description="The document's language code ('en', 'de', 'zh').")
    text: str
    start: int
    end: int
    score: float = Field(description="Final relevance in [0, 1] after fusion and re-ranking.")
    scores: dict[str, float] = Field(default_factory=dict, description="Per-stage scores.")

    @property
    def label(self) -> str:
        """How a source is named to people: title, else its id."""
        return self.title or self.doc_id

    @property
    def byline(self) -> str:
        """Title, publisher and date, as a source is named in plain text."""
        return " | ".join(bit for bit in (self.label, self.publisher, self.date) if bit)

    @property
    def heading(self) -> str:
        """The passage's section path below its document's title (or the whole path)."""
        prefix = f"{self.title} > "
        return (
            self.section[len(prefix) :]
            if self.title and self.section.startswith(prefix)
            else ("" if self.section == self.title else self.section)
        )


class Quote(BaseModel):
    """An exact supporting sentence inside a cited passage, located in the document."""

    model_config = ConfigDict(frozen=True)

    text: str
    start: int  # character offsets in the cleaned document text
    end: int


class Citation(BaseModel):
    model_config = ConfigDict(frozen=True)

    marker: int  # the n in "[n]" inside Answer.text
    passage: Passage
    quotes: list[Quote] = Field(default_factory=list)


class SentenceCheck(BaseModel):
    """What verification did to one generated sentence."""

    text: str
    cited: list[int]  # markers the generator gave
    status: Literal["supported", "reattributed", "dropped"]
    support: float = 0.0
    reason: str = ""


Status = Literal["grounded", "refused"]


class Answer(BaseModel):
    question: str
    standalone_query: str
    context: str = Field("", description="What the conversation added to a follow-up that could not be rewritten.")
    searched_as: str = Field(
        "",
        description="The question translated into the language of the documents searched, when none of them is "
        "in the asker's: what retrieval searched for (empty: the question as asked).",
    )
    also_searched: list[str] = Field(
        default_factory=list,
        description="The collection's other spelling of an acronym or a name in the question (the name it "
        'stands for, "Mozilla Public License" for "MPL", or the reverse), searched for beside it.',
    )
    text: str  # with inline [n] markers, n matching citations[].marker
    status: Status
    verdict: Literal["yes", "no"] | None = None
    citations: list[Citation] = Field(default_factory=list)
    passages: list[Passage] = Field(default_factory=list, description="All evidence shown to the generator.")
    backend: str = "extractive"
    fallback_reason: str | None = None  # why a generator's answer was replaced, if it was
    generator_failed: bool = Field(
        False, description="The generator was unavailable or failed, so the answer is evidence-only."
    )
    checks: list[SentenceCheck] = Field(default_factory=list)
    draft: str | None = Field(None, description="The generator's raw text, before verification.")
    notes: list[str] = Field(
        default_factory=list,
        description="What verification changed beyond single sentences (verdict corrected, evidence added).",
    )
    timings: dict[str, float] = Field(default_factory=dict, description="Seconds per stage.")
    scores: dict[str, float] = Field(
        default_factory=dict,
        description="What answerability was decided on: evidence strength, the generator's relevance judgement.",
    )

    @property
    def refused(self) -> bool:
        return self.status == "refused"

    @property
    def grounded(self) -> bool:
        return self.status == "grounded"


class Evidence(BaseModel):
    """First event of a stream: the passages, before any token is generated."""

    kind: Literal["evidence"] = "evidence"
    standalone_query: str
    passages: list[Passage]
    refused: bool = False


class Delta(BaseModel):
    kind: Literal["delta"] = "delta"
    text: str
    draft: bool = Field(
        True,
        description="The generator's unverified text (the final Answer may differ); False for evidence-only "
        "text, which is the answer itself.",
    )


StreamEvent = Evidence | Delta | Answer
