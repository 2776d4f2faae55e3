"""One evaluation run: answer every question through the public `Assistant` API (the
path users take), score the answers, and write a results folder.

Order matters for speed on a CPU: all answers first (the generator stays warm), then
the metrics that need no LLM, then the judge metrics one metric at a time, so
consecutive judge prompts share their long instruction+examples prefix and the judge
server's prompt cache only evaluates what differs.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import platform
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from assistant.types import Answer, Turn
from eval.metrics import (
    DEFAULT_JUDGE_METRICS,
    JUDGE_METRICS,
    METRICS,
    MetricSummary,
    Score,
    summarize,
)
from eval.testsets import Sample, load_testset, testset_names, testset_path
from policyqa.errors import PolicyQAError
from policyqa.settings import PROJECT_ROOT, Settings

RESULTS_ROOT = Path(__file__).resolve().parent / "results"
QUICK_SIZE = 16  # two questions of each of the eight kinds
# The local 1.5B judge took about 2.7 minutes per answerable question for the default judge
# metrics on 2 cores (measured 2026-11-23): all 58 would take 2.6 hours. The release run
# judges this many (round robin over kinds, ~22 min) and runs every no-LLM metric on all.
LOCAL_JUDGE_SAMPLE = 8


class EvalError(PolicyQAError):
    pass


@dataclass
class RunOptions:
    testset: str = "gold"
    backend: str | None = None
    quick: bool = False
    judge: bool = True  # False: no-LLM metrics on every question, no judge started
    limit: int | None = None
    judge_url: str | None = None
    judge_model: str | None = None
    judge_size: str = "default"  # local judge model: "default" (1.5B) or "small" (0.5B)
    judge_structured: str = "auto"  # "schema" | "json" | "auto"
    judge_max_tokens: int = 768
    judge_timeout: float = 1200.0  # seconds per (question, metric) cell
    judge_concurrency: int | None = None  # default: 1 for the local server, 4 otherwise
    judge_endpoint: Any = None  # an already running JudgeEndpoint (tests share one server)
    metrics: list[str] | None = None  # judge metrics to run (default: DEFAULT_JUDGE_METRICS)
    judge_sample: int | None = None  # judge only this many questions (stratified); no-LLM metrics on all
    max_judge_failure_rate: float | None = None  # default: thresholds.toml [judge]
    results_root: Path = RESULTS_ROOT
    thresholds_file: Path | None = None  # default eval/thresholds.toml
    show_progress: bool = True
    extra: dict = field(default_factory=dict)


class QuestionResult(BaseModel):
    id: str
    kind: str
    question: str
    history: list[Turn] = Field(default_factory=list)
    reference: str
    expected_verdict: str | None = None
    required_facts: list[str] = Field(default_factory=list)
    answer: Answer | None = None
    error: str | None = None
    seconds: float = 0.0
    scores: dict[str, Score] = Field(default_factory=dict)


class RunResult(BaseModel):
    run_id: str
    mode: str  # "full" | "quick"
    testset: str
    started_at: str
    info: dict[str, Any]
    settings: dict[str, Any]
    questions: list[QuestionResult]
    summary: dict[str, MetricSummary]
    timings: dict[str, float]
    judge_problems: list[str] = Field(default_factory=list)
    gate: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return not self.judge_problems


# -- selection -------------------------------------------------------------------------


def select(samples: list[Sample], quick: bool, limit: int | None) -> list[Sample]:
    """--quick: a fixed sample covering every question kind (round-robin over kinds in
    file order); --limit: the first N of what remains."""
    if quick:
        keep = stratified(samples, QUICK_SIZE)
        samples = [s for s in samples if s.id in keep]
    return samples[:limit] if limit else samples


# -- run facts ----------------------------------------------------------------------------


def git_commit() -> dict[str, Any]:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=10
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                capture_output=True,
                text=True,
                cwd=PROJECT_ROOT,
                timeout=10,
            ).stdout.strip()
        )
    except (OSError, subprocess.SubprocessError):
        head, dirty = "", False
    return {"commit": head or "unknown", "dirty": dirty}


def corpus_hash(snapshot) -> str:
    """Content hash of what was indexed and how: documents, chunking, embedding model."""
    digest = hashlib.sha256()
    for doc_id in sorted(snapshot.doc_hashes):
        digest.update(f"{doc_id}\0{snapshot.doc_hashes[doc_id]}\n".encode())
    digest.update(f"{snapshot.chunk_config}\0{snapshot.embed_model}".encode())
    return digest.hexdigest()[:16]


def new_run_dir(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = root / stamp
    n = 1
    while path.exists():
        n += 1
        path = root / f"{stamp}-{n}"
    path.mkdir()
    return path


def previous_run(root: Path, current: Path | None, testset: str) -> RunResult | None:
    """The newest earlier run on the same test set, for the comparison charts."""
    if not root.is_dir():
        return None
    for path in sorted((p for p in root.iterdir() if p.is_dir()), reverse=True):
        if current is not None and path.resolve() == current.resolve():
            continue
        if current is not None and path.name > current.name:
            continue
        try:
            run = load_run(path)
        except (OSError, ValueError):
            continue
        if run.testset == testset:
            return run
    return None


def load_run(path: Path) -> RunResult:
    path = Path(path)
    file = path / "results.json" if path.is_dir() else path
    return RunResult.model_validate_json(file.read_text(encoding="utf-8"))


def latest_run_dir(root: Path = RESULTS_ROOT) -> Path | None:
    if not root.is_dir():
        return None
    runs = sorted(p for p in root.iterdir() if (p / "results.json").is_file())
    return runs[-1] if runs else None


# -- the run --------------------------------------------------------------------------------


def _bar(iterable, show: bool, **kwargs):
    from tqdm import tqdm

    return tqdm(iterable, disable=not show, file=sys.stderr, dynamic_ncols=True, **kwargs)


def answer_all(assistant, samples: list[Sample], backend: str, show: bool) -> list[QuestionResult]:
    results = []
    bar = _bar(samples, show, desc="answering", unit="q")
    for sample in bar:
        started = time.perf_counter()
        record = QuestionResult(
            id=sample.id,
            kind=sample.kind,
            question=sample.user_input,
            history=sample.history,
            reference=sample.reference,
            expected_verdict=sample.expected_verdict,
            required_facts=sample.required_facts,
        )
        try:
            record.answer = assistant.ask(
                sample.user_input, history=sample.history, filters=sample.filters, backend=backend
            )
        except PolicyQAError as exc:  # a bad question is a result, not a crash
            record.error = f"{type(exc).__name__}: {exc}"
        record.seconds = time.perf_counter() - started
        results.append(record)
    return results


# The semantic-similarity metric's model is part of the metric, not of the product: it stays
# the same whatever model the index uses, so figures compare across configurations.
METRIC_EMBED_MODEL = "all-MiniLM-L6-v2"


def _embeddings():
    from ragas.embeddings import HuggingFaceEmbeddings

    from index.embedding import resolve_model_path

    return HuggingFaceEmbeddings(model=str(resolve_model_path(METRIC_EMBED_MODEL)), device="cpu", local_files_only=True)


async def score_local(records: list[QuestionResult], samples: list[Sample], snapshot, embeddings, show: bool) -> None:
    from eval.metrics import LocalScorers
    from eval.references import reference_spans

    scorers = LocalScorers(embeddings)
    for record, sample in _bar(list(zip(records, samples)), show, desc="no-LLM metrics", unit="q"):
        if record.answer is None:
            record.scores.update(
                {m: Score.failed(record.error or "no answer") for m in METRICS if METRICS[m].group != "judge"}
            )
            continue
        record.scores.update(await scorers.score(sample, record.answer, reference_spans(sample, snapshot)))


def stratified(samples: list[Sample], n: int) -> set[str]:
    """Ids of n samples taken round-robin over question kinds, in file order."""
    by_kind: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        by_kind[s.kind].append(s)
    picked: list[str] = []
    while len(picked) < min(n, len(samples)):
        for kind in list(by_kind):
            if by_kind[kind] and len(picked) < n:
                picked.append(by_kind[kind].pop(0).id)
    return set(picked)


async def score_judge(
    records: list[QuestionResult],
    samples: list[Sample],
    llm,
    embeddings,
    metrics: list[str],
    timeout: float,
    concurrency: int,
    show: bool,
    sample: int | None = None,
) -> dict[str, float]:
    from eval.metrics import JudgeScorers, run_judge_call

    scorers = JudgeScorers(llm, embeddings)
    judged = stratified([s for s in samples if s.answerable], sample) if sample else None
    limit = asyncio.Semaphore(concurrency)
    seconds: dict[str, float] = {}

    async def cell(record: QuestionResult, name: str, call) -> None:
        async with limit:
            record.scores[name] = await run_judge_call(call, timeout)
            bar.update(1)

    for name in metrics:
        started = time.perf_counter()
        jobs = []
        for record, sample in zip(records, samples):
            if record.answer is None:
                record.scores[name] = Score.failed(record.error or "no answer")
                continue
            if judged is not None and sample.id not in judged:
                record.scores[name] = Score.na("not in the judge sample")
                continue
            call = scorers.call(name, sample, record.answer)
            if isinstance(call, Score):
                record.scores[name] = call
            else:
                jobs.append((record, call))
        bar = _bar(None, show, total=len(jobs), desc=f"judge: {name}", unit="q")
        await asyncio.gather(*(cell(r, name, c) for r, c in jobs))
        bar.close()
        seconds[name] = time.perf_counter() - started
    return seconds


def run(settings: Settings, options: RunOptions) -> tuple[RunResult, Path]:
    """Answer, score, write `results.json`, `report.html`, `summary.md`; return both."""
    from assistant import Assistant
    from eval.gate import load_thresholds
    from eval.judge import CallLog, make_ragas_llm

    started_at = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    t_start = time.perf_counter()
    path = testset_path(options.testset)
    if not path.is_file():
        raise EvalError(
            f"no test set {options.testset!r} (looked for {path}); "
            f"available: {', '.join(testset_names(path.parent)) or 'none'}"
        )
    samples = select(load_testset(options.testset), options.quick, options.limit)
    if not samples:
        raise EvalError(f"test set {options.testset!r} has no questions to run")
    thresholds = load_thresholds(options.thresholds_file)
    max_fail = (
        options.max_judge_failure_rate
        if options.max_judge_failure_rate is not None
        else thresholds.max_judge_failure_rate
    )
    backend = options.backend or settings.backend
    settings = settings.override(backend=backend)
    judge_metrics = [] if options.quick or not options.judge else list(options.metrics or DEFAULT_JUDGE_METRICS)
    unknown = [m for m in judge_metrics if m not in JUDGE_METRICS]
    if unknown:
        raise EvalError(f"unknown judge metric(s) {', '.join(unknown)}; choose from {', '.join(JUDGE_METRICS)}")

    run_dir = new_run_dir(options.results_root)
    timings: dict[str, float] = {}
    judge_info: dict[str, Any] = {"label": "none (quick mode: no judge)"} if options.quick else {}
    with _maybe_judge(settings, options, run_dir, bool(judge_metrics)) as endpoint:
        if endpoint is not None:
            judge_info = endpoint.public()
        t0 = time.perf_counter()
        assistant = Assistant(settings, load_generator=backend != "extractive")
        timings["load"] = time.perf_counter() - t0
        if not assistant.generator_ready(backend):
            raise EvalError(
                f"the {backend} generator is not available ({assistant.generator_status(backend)}); "
                "an eval would only measure the extractive fallback. Fix it or pass --backend extractive"
            )
        generator = assistant.generator_status(backend)
        t0 = time.perf_counter()
        records = answer_all(assistant, samples, backend, options.show_progress)
        timings["answering"] = time.perf_counter() - t0

        embeddings = _embeddings()
        t0 = time.perf_counter()
        asyncio.run(score_local(records, samples, assistant.snapshot, embeddings, options.show_progress))
        timings["local_metrics"] = time.perf_counter() - t0
        if endpoint is not None:
            calls = CallLog(run_dir / "judge-calls.jsonl")
            llm = make_ragas_llm(
                endpoint,
                max_tokens=options.judge_max_tokens,
                timeout=options.judge_timeout,
                structured=options.judge_structured,
                log=calls,
            )
            concurrency = options.judge_concurrency or (1 if endpoint.dialect == "llama.cpp" else 4)
            t0 = time.perf_counter()
            sample = options.judge_sample
            if sample is None and endpoint.dialect == "llama.cpp":
                sample = LOCAL_JUDGE_SAMPLE
            per_metric = asyncio.run(
                score_judge(
                    records,
                    samples,
                    llm,
                    embeddings,
                    judge_metrics,
                    options.judge_timeout,
                    concurrency,
                    options.show_progress,
                    sample or None,
                )
            )
            timings["judging"] = time.perf_counter() - t0
            timings.update({f"judge.{k}": v for k, v in per_metric.items()})
            judge_info["structured"] = options.judge_structured
            judge_info["concurrency"] = concurrency
            judge_info["sample"] = sample or "all"
            judge_info["calls"] = call_stats(calls.calls)
    timings["total"] = time.perf_counter() - t_start

    names = [m for m in METRICS if METRICS[m].group != "judge" or m in judge_metrics]
    summary = {m: summarize(m, [r.scores.get(m, Score.na("not run")) for r in records]) for m in names}
    problems = judge_problems(summary, max_fail)
    snapshot = assistant.snapshot
    info = {
        "backend": backend,
        "generator": generator,
        "judge": judge_info,
        "embed_model": snapshot.embed_model,
        "corpus_hash": corpus_hash(snapshot),
        "index_generation": snapshot.generation,
        "documents": len(snapshot.documents),
        "questions": len(records),
        "testset_file": str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "llm_threads": settings.llm_threads,
        **git_commit(),
    }
    result = RunResult(
        run_id=run_dir.name,
        mode="quick" if options.quick else "full" if judge_metrics else "no-judge",
        testset=options.testset if not Path(options.testset).suffix else Path(options.testset).stem,
        started_at=started_at,
        info=info,
        settings=settings.public_dict(),
        questions=records,
        summary=summary,
        timings={k: round(v, 2) for k, v in timings.items()},
        judge_problems=problems,
    )
    from eval.gate import evaluate_gate

    result.gate = evaluate_gate(result, options.thresholds_file).model_dump()
    write_run(result, run_dir, options.results_root)
    return result, run_dir


def call_stats(calls: list[dict]) -> dict[str, Any]:
    seconds = sorted(c.get("seconds", 0.0) for c in calls)
    return {
        "count": len(calls),
        "seconds_total": round(sum(seconds), 1),
        "seconds_median": seconds[len(seconds) // 2] if seconds else None,
        "seconds_max": seconds[-1] if seconds else None,
        "prompt_tokens": sum(c.get("prompt_tokens") or 0 for c in calls),
        "completion_tokens": sum(c.get("completion_tokens") or 0 for c in calls),
        "truncated": sum(c.get("finish_reason") == "length" for c in calls),
        "http_errors": sum(c.get("status", 200) >= 400 for c in calls),
    }


def judge_problems(summary: dict[str, MetricSummary], max_failure_rate: float) -> list[str]:
    """Judge metrics whose failure rate makes their mean untrustworthy."""
    return [
        f"{m}: {s.failed} of {s.scored + s.failed} judge scores failed ({s.failure_rate:.0%} > {max_failure_rate:.0%} allowed)"
        for m, s in summary.items()
        if METRICS[m].group == "judge" and s.failed and s.failure_rate > max_failure_rate
    ]


class _maybe_judge:
    """Context manager: the judge endpoint (started or checked) or None."""

    def __init__(self, settings: Settings, options: RunOptions, run_dir: Path, needed: bool):
        self.settings, self.options, self.run_dir, self.needed = settings, options, run_dir, needed
        self._cm = None

    def __enter__(self):
        if not self.needed:
            return None
        if self.options.judge_endpoint is not None:
            from eval.judge import check_endpoint

            check_endpoint(self.options.judge_endpoint)
            return self.options.judge_endpoint
        from eval.judge import judge_endpoint

        self._cm = judge_endpoint(
            self.settings,
            url=self.options.judge_url,
            model=self.options.judge_model,
            size=self.options.judge_size,
            log_path=self.run_dir / "judge-server.log",
        )
        return self._cm.__enter__()

    def __exit__(self, *exc):
        if self._cm is not None:
            return self._cm.__exit__(*exc)
        return False


def write_run(result: RunResult, run_dir: Path, root: Path) -> None:
    from eval.report import render_html, render_markdown

    previous = previous_run(root, run_dir, result.testset)
    (run_dir / "results.json").write_text(result.model_dump_json(indent=1), encoding="utf-8")
    (run_dir / "report.html").write_text(render_html(result, previous), encoding="utf-8")
    (run_dir / "summary.md").write_text(render_markdown(result, previous), encoding="utf-8")
