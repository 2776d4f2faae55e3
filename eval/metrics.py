"""The metrics: what each one means, which questions it applies to, and how it is scored.

Three groups:
  judge  ragas 0.4.3 metrics that ask the judge LLM (groundedness, relevancy, context
         recall/precision, factual correctness); only in a full run.
  ragas  ragas metrics that need no LLM (ID-based context recall/precision, non-LLM
         context recall, string presence of required facts, semantic similarity).
  ours   product behaviour ragas has no metric for: yes/no verdicts, refusals,
         and the precision of the generator's own citations.

Every (question, metric) gets a `Score`: a number, "n/a" (the metric does not apply to
that question, e.g. groundedness of a refusal) or "failed" (the judge errored or
returned NaN). Failures are counted per metric and shown, never averaged away.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

from assistant.types import Answer
from eval.references import reference_ids, retrieved_ids
from eval.testsets import Sample

Group = Literal["judge", "ragas", "ours"]


@dataclass(frozen=True)
class MetricInfo:
    name: str
    title: str
    group: Group
    ragas_class: str  # the ragas class that computes it ("" for ours)
    applies_to: str
    meaning: str
    higher_is_better: bool = True


METRICS: dict[str, MetricInfo] = {
    m.name: m
    for m in [
        MetricInfo(
            "response_groundedness",
            "Groundedness",
            "judge",
            "ragas.metrics.collections.ResponseGroundedness",
            "answered questions",
            "The judge rates, twice with two different prompts, whether the answer is fully (1), partly (0.5) or not (0) supported by the passages the assistant was given; the mean of the two ratings.",
        ),
        MetricInfo(
            "faithfulness",
            "Faithfulness",
            "judge",
            "ragas.metrics.collections.Faithfulness",
            "answered questions",
            "Share of the answer's claims (split by the judge) that the judge finds supported by the passages the assistant was given.",
        ),
        MetricInfo(
            "response_relevancy",
            "Response relevancy",
            "judge",
            "ragas.metrics.collections.AnswerRelevancy (ResponseRelevancy)",
            "answered questions",
            "Cosine similarity (local MiniLM) between the question and a question the judge writes back from the answer; 0 if the judge calls the answer noncommittal.",
        ),
        MetricInfo(
            "context_recall",
            "Context recall (LLM)",
            "judge",
            "ragas.metrics.collections.ContextRecall (LLMContextRecall)",
            "answerable questions",
            "Share of the reference answer's statements the judge can attribute to the retrieved passages.",
        ),
        MetricInfo(
            "context_precision",
            "Context precision (LLM)",
            "judge",
            "ragas.metrics.collections.ContextPrecisionWithReference (LLMContextPrecisionWithReference)",
            "answerable questions",
            "Average precision of the passage ranking, a passage counting as relevant when the judge finds it useful for the reference answer.",
        ),
        MetricInfo(
            "factual_correctness",
            "Factual correctness",
            "judge",
            "ragas.metrics.collections.FactualCorrectness",
            "answerable questions",
            "F1 of claims between answer and reference (judge decomposes both and checks each side against the other). A refusal scores 0.",
        ),
        MetricInfo(
            "id_context_recall",
            "Context recall (ID)",
            "ragas",
            "ragas.metrics._context_recall.IDBasedContextRecall",
            "answerable questions",
            "Share of the gold reference contexts that a retrieved passage overlaps (character spans in the cleaned documents).",
        ),
        MetricInfo(
            "id_context_precision",
            "Context precision (ID)",
            "ragas",
            "ragas.metrics._context_precision.IDBasedContextPrecision",
            "answerable questions",
            "Share of the retrieved passages that overlap a gold reference context.",
        ),
        MetricInfo(
            "nonllm_context_recall",
            "Context recall (string)",
            "ragas",
            "ragas.metrics._context_recall.NonLLMContextRecall",
            "answerable questions",
            "Share of reference contexts whose best string similarity (normalised Levenshtein) to a run of 1-3 consecutive sentences of a retrieved passage is at least 0.5.",
        ),
        MetricInfo(
            "string_presence",
            "Required facts present",
            "ragas",
            "ragas.metrics.collections.StringPresence",
            "questions with required facts",
            "Share of the question's required facts (numbers, names) found verbatim in the answer.",
        ),
        MetricInfo(
            "semantic_similarity",
            "Semantic similarity",
            "ragas",
            "ragas.metrics.collections.SemanticSimilarity",
            "answerable questions",
            "Cosine similarity (local MiniLM) between the answer and the reference answer.",
        ),
        MetricInfo(
            "verdict_accuracy",
            "Yes/no verdict accuracy",
            "ours",
            "",
            "yes/no questions",
            "Share of yes/no questions whose Answer.verdict equals the expected verdict (a refusal counts as wrong).",
        ),
        MetricInfo(
            "refusal_accuracy",
            "Refusal accuracy",
            "ours",
            "",
            "unanswerable questions",
            "Share of questions the corpus cannot answer that the assistant refused.",
        ),
        MetricInfo(
            "false_refusal_rate",
            "False refusals",
            "ours",
            "",
            "answerable questions",
            "Share of answerable questions the assistant refused (lower is better).",
            higher_is_better=False,
        ),
        MetricInfo(
            "citation_precision",
            "Citation precision",
            "ours",
            "",
            "answered questions with verified sentences",
            "Share of generated sentences whose own citations the verification step accepted as supporting (Answer.checks status 'supported'; 'reattributed' and 'dropped' count against).",
        ),
    ]
}

JUDGE_METRICS = [m for m, info in METRICS.items() if info.group == "judge"]
# What a full run computes unless --metrics says otherwise. Faithfulness is opt-in: with
# the local 1.5B judge its statement-by-statement verdicts called a plainly wrong answer
# fully faithful, where ResponseGroundedness's direct rating told the two apart (README).
# LLM context recall is opt-in too: the local judge returned no usable attributions (NaN)
# for 5 of 8 questions in the measured release run (2026-11-23); the ID-based and string
# context recall measure the same thing without a judge.
DEFAULT_JUDGE_METRICS = ["response_groundedness", "factual_correctness", "context_precision", "response_relevancy"]
QUICK_METRICS = [m for m, info in METRICS.items() if info.group != "judge"]


class Score(BaseModel):
    value: float | None = None
    status: Literal["ok", "na", "failed"] = "ok"
    note: str = ""

    @classmethod
    def of(cls, value: float, note: str = "") -> Score:
        value = float(value)
        if math.isnan(value):
            return cls(status="failed", note=note or "the metric returned NaN")
        return cls(value=value, note=note)

    @classmethod
    def na(cls, note: str) -> Score:
        return cls(status="na", note=note)

    @classmethod
    def failed(cls, note: str) -> Score:
        return cls(status="failed", note=note)


class MetricSummary(BaseModel):
    name: str
    mean: float | None
    scored: int
    failed: int
    not_applicable: int
    failure_rate: float  # failed / (scored + failed)
    values: list[float]


def summarize(name: str, scores: list[Score]) -> MetricSummary:
    values = [s.value for s in scores if s.status == "ok" and s.value is not None]
    failed = sum(s.status == "failed" for s in scores)
    attempted = len(values) + failed
    return MetricSummary(
        name=name,
        mean=sum(values) / len(values) if values else None,
        scored=len(values),
        failed=failed,
        not_applicable=sum(s.status == "na" for s in scores),
        failure_rate=failed / attempted if attempted else 0.0,
        values=values,
    )


# -- what the judge sees ----------------------------------------------------------------

_MARKER = re.compile(r"\s*\[\d+\]")


def plain_text(answer: Answer) -> str:
    """The answer without its [n] markers: the judge grades claims, not bookkeeping."""
    return _MARKER.sub("", answer.text).strip()


def contexts(answer: Answer) -> list[str]:
    return [p.text for p in answer.passages]


def passage_sentences(answer: Answer) -> list[str]:
    """The retrieved passages cut into sentences. NonLLMContextRecall compares each
    reference context (a sentence or two) to each retrieved context by edit distance;
    against a whole 100-word passage even a verbatim match scores far below its 0.5
    cut-off, so it is compared to runs of 1-3 consecutive sentences of each passage."""
    from index.chunking import split_sentences

    out = []
    for p in answer.passages:
        spans = split_sentences(p.text)
        for size in (1, 2, 3):
            out += [p.text[spans[i].start : spans[i + size - 1].end] for i in range(len(spans) - size + 1)]
    return out


def judge_question(sample: Sample, answer: Answer) -> str:
    """Follow-ups are graded against the standalone question the assistant answered."""
    return answer.standalone_query if sample.history else sample.user_input


# -- metrics that need no LLM ------------------------------------------------------------


class LocalScorers:
    """ragas metrics without an LLM, plus ours. Built once (loads the embeddings)."""

    def __init__(self, embeddings):
        from ragas.metrics._context_precision import IDBasedContextPrecision
        from ragas.metrics._context_recall import IDBasedContextRecall, NonLLMContextRecall
        from ragas.metrics.collections import SemanticSimilarity, StringPresence

        self.id_recall = IDBasedContextRecall()
        self.id_precision = IDBasedContextPrecision()
        self.nonllm_recall = NonLLMContextRecall()
        self.presence = StringPresence()
        self.similarity = SemanticSimilarity(embeddings=embeddings)

    async def score(self, sample: Sample, answer: Answer, spans: list) -> dict[str, Score]:
        from ragas.dataset_schema import SingleTurnSample

        out: dict[str, Score] = {}
        answerable = sample.answerable
        text = plain_text(answer)
        if answerable and spans:
            ids = SingleTurnSample(
                retrieved_context_ids=retrieved_ids(answer.passages, spans) or ["none"],
                reference_context_ids=reference_ids(spans),
            )
            out["id_context_recall"] = Score.of(await self.id_recall.single_turn_ascore(ids))
            out["id_context_precision"] = (
                Score.of(await self.id_precision.single_turn_ascore(ids))
                if answer.passages
                else Score.of(0.0, "no passages retrieved")
            )
        else:
            note = "unanswerable" if not answerable else "reference contexts not found in the index"
            out["id_context_recall"] = out["id_context_precision"] = Score.na(note)
        if answerable and sample.reference_contexts:
            if answer.passages:
                row = SingleTurnSample(
                    retrieved_contexts=passage_sentences(answer), reference_contexts=sample.reference_contexts
                )
                out["nonllm_context_recall"] = Score.of(await self.nonllm_recall.single_turn_ascore(row))
            else:
                out["nonllm_context_recall"] = Score.of(0.0, "no passages retrieved")
        else:
            out["nonllm_context_recall"] = Score.na("unanswerable" if not answerable else "no reference contexts")
        if answerable and sample.required_facts:
            hits = [(await self.presence.ascore(reference=fact, response=text)).value for fact in sample.required_facts]
            missing = [f for f, h in zip(sample.required_facts, hits) if not h]
            out["string_presence"] = Score.of(
                sum(hits) / len(hits), f"missing: {', '.join(missing)}" if missing else ""
            )
        else:
            out["string_presence"] = Score.na("no required facts")
        if answerable:
            out["semantic_similarity"] = Score.of(
                (await self.similarity.ascore(reference=sample.reference, response=text)).value
            )
        else:
            out["semantic_similarity"] = Score.na("unanswerable")
        out.update(behaviour_scores(sample, answer))
        return out


def behaviour_scores(sample: Sample, answer: Answer) -> dict[str, Score]:
    """Verdicts, refusals and citation precision: read straight off the Answer."""
    out: dict[str, Score] = {}
    if sample.expected_verdict:
        got = answer.verdict if answer.grounded else "refused"
        out["verdict_accuracy"] = Score.of(
            float(got == sample.expected_verdict), f"expected {sample.expected_verdict}, got {got or 'no verdict'}"
        )
    else:
        out["verdict_accuracy"] = Score.na("not a yes/no question")
    if sample.answerable:
        out["refusal_accuracy"] = Score.na("answerable")
        out["false_refusal_rate"] = Score.of(
            float(answer.refused), answer.fallback_reason or "" if answer.refused else ""
        )
    else:
        out["refusal_accuracy"] = Score.of(
            float(answer.refused), "" if answer.refused else "answered an unanswerable question"
        )
        out["false_refusal_rate"] = Score.na("unanswerable")
    if answer.grounded and answer.checks:
        supported = sum(c.status == "supported" for c in answer.checks)
        other = [c.status for c in answer.checks if c.status != "supported"]
        out["citation_precision"] = Score.of(
            supported / len(answer.checks),
            f"{len(other)} of {len(answer.checks)} sentences {'/'.join(sorted(set(other)))}" if other else "",
        )
    else:
        out["citation_precision"] = Score.na("refused" if answer.refused else "no verified sentences")
    return out


# -- judge metrics ---------------------------------------------------------------------------

JudgeCall = Callable[[], Awaitable[float]]


class JudgeScorers:
    """The ragas LLM metrics, each bound to the judge LLM (and local embeddings)."""

    def __init__(self, llm, embeddings):
        from ragas.metrics.collections import (
            AnswerRelevancy,
            ContextPrecisionWithReference,
            ContextRecall,
            FactualCorrectness,
            Faithfulness,
            ResponseGroundedness,
        )

        self.metrics = {
            # ragas retries a judge that gives no valid rating up to 5 times per prompt;
            # 2 bounds the time a confused small judge can take.
            "response_groundedness": ResponseGroundedness(llm=llm, max_retries=2),
            "faithfulness": Faithfulness(llm=llm),
            # One generated question: the judge decodes greedily, so more would be copies.
            "response_relevancy": AnswerRelevancy(llm=llm, embeddings=embeddings, strictness=1),
            "context_recall": ContextRecall(llm=llm),
            "context_precision": ContextPrecisionWithReference(llm=llm),
            "factual_correctness": FactualCorrectness(llm=llm, mode="f1"),
        }

    def call(self, name: str, sample: Sample, answer: Answer) -> JudgeCall | Score:
        """The judge call for one question, or a Score when no call is needed."""
        metric = self.metrics[name]
        question = judge_question(sample, answer)
        text = plain_text(answer)
        if name in ("response_groundedness", "faithfulness", "response_relevancy"):
            if not answer.grounded:
                return Score.na("refused")
            if not text:
                return Score.failed("empty answer")
            if name == "response_groundedness":
                return lambda: _value(metric.ascore(response=text, retrieved_contexts=contexts(answer)))
            if name == "faithfulness":
                return lambda: _value(
                    metric.ascore(user_input=question, response=text, retrieved_contexts=contexts(answer))
                )
            return lambda: _value(metric.ascore(user_input=question, response=text))
        if not sample.answerable:
            return Score.na("unanswerable")
        if name in ("context_recall", "context_precision"):
            if not answer.passages:
                return Score.of(0.0, "no passages retrieved")
            return lambda: _value(
                metric.ascore(user_input=question, retrieved_contexts=contexts(answer), reference=sample.reference)
            )
        if name == "factual_correctness":
            if answer.refused:
                return Score.of(0.0, "refused: none of the reference's claims stated")
            return lambda: _value(metric.ascore(response=text, reference=sample.reference))
        raise KeyError(name)


async def _value(coro) -> float:
    result = await coro
    return float(result.value) if result.value is not None else float("nan")


async def run_judge_call(call: JudgeCall, timeout: float) -> Score:
    """One judge-scored cell: errors and NaN become a failed Score with the reason."""
    try:
        value = await asyncio.wait_for(call(), timeout=timeout)
    except TimeoutError:
        return Score.failed(f"judge timed out after {timeout:.0f} s")
    except Exception as exc:  # any judge/parse error: counted, shown, not averaged
        message = " ".join(str(exc).split())[:300]
        return Score.failed(f"{type(exc).__name__}: {message}")
    if math.isnan(value):
        return Score.failed("judge gave no usable verdicts (NaN)")
    return Score.of(value)
