"""`policyqa eval run|gate|generate`: the release evaluation suite."""

from __future__ import annotations

import sys
from pathlib import Path

from policyqa.commands import add_corpus_option
from policyqa.settings import Settings

BACKENDS = ["local", "openai", "ollama", "extractive"]


def judge_options(parser) -> None:
    """Which LLM judges (or, for `generate`, writes questions): a URL, else the local model."""
    parser.add_argument(
        "--judge-url",
        help="an OpenAI-compatible LLM (…/v1); default: start the local model on loopback; "
        "API key from POLICYQA_JUDGE_API_KEY",
    )
    parser.add_argument("--judge-model", help="model name at --judge-url")
    parser.add_argument("--judge-small", action="store_true", help="the local 0.5B model instead of the 1.5B")


def judge_choice(args) -> dict:
    """The options of `judge_options`, as the runner's and the generator's fields."""
    return {
        "judge_url": args.judge_url,
        "judge_model": args.judge_model,
        "judge_size": "small" if args.judge_small else "default",
    }


def register(sub) -> None:
    ev = sub.add_parser("eval", help="evaluate answers with ragas; release gate").add_subparsers(
        dest="action", required=True
    )

    run = ev.add_parser("run", help="answer a test set and score it (full run = the release command)")
    run.add_argument("--testset", default="gold", help="name under eval/testsets/ or a .jsonl path (default: gold)")
    add_corpus_option(run)
    run.add_argument("--backend", choices=BACKENDS, help="answer generator (default: POLICYQA_BACKEND)")
    run.add_argument(
        "--quick",
        action="store_true",
        help="no-LLM metrics only, on a fixed sample of 16 questions, two of each kind (CI)",
    )
    run.add_argument(
        "--no-judge",
        action="store_true",
        help="no-LLM metrics on every question, no judge (a release candidate's quick check)",
    )
    run.add_argument("--limit", type=int, help="only the first N questions (after --quick sampling)")
    judge_options(run)
    run.add_argument(
        "--judge-structured",
        choices=["auto", "schema", "json"],
        default="auto",
        help="schema: JSON-schema constrained decoding; json: ragas's JSON mode (auto: schema for the local judge)",
    )
    run.add_argument("--judge-concurrency", type=int, help="parallel judge calls (default 1 local, 4 remote)")
    run.add_argument("--judge-timeout", type=float, default=1200.0, help="seconds per question and metric")
    run.add_argument(
        "--metrics",
        help="comma-separated judge metrics (default: response_groundedness,factual_correctness,"
        "context_precision,response_relevancy; also: faithfulness, context_recall)",
    )
    run.add_argument(
        "--judge-sample",
        type=int,
        help="judge metrics on only N answerable questions (round robin over question kinds); no-LLM "
        "metrics on all (default: 8 with the local judge, all with --judge-url; 0: all)",
    )
    run.add_argument(
        "--gate", action="store_true", help="exit non-zero if a threshold in eval/thresholds.toml is missed"
    )
    run.add_argument("--thresholds", type=Path, help="thresholds file (default: eval/thresholds.toml)")
    run.add_argument("--results-dir", type=Path, help="where run folders go (default: eval/results)")
    run.add_argument("--no-progress", action="store_true", help="no progress bars")
    run.set_defaults(handler=run_eval)

    gate = ev.add_parser("gate", help="check a finished run against the thresholds; exit 1 naming failing metrics")
    gate.add_argument("results", nargs="?", type=Path, help="run folder or results.json (default: the latest run)")
    gate.add_argument("--thresholds", type=Path, help="thresholds file (default: eval/thresholds.toml)")
    gate.set_defaults(handler=run_gate)

    gen = ev.add_parser("generate", help="generate a synthetic test set with ragas's TestsetGenerator")
    gen.add_argument("--size", type=int, default=24, help="questions to ask ragas for (default 24)")
    add_corpus_option(gen)
    gen.add_argument("--name", default="synthetic", help="output name under eval/testsets/ (default: synthetic)")
    judge_options(gen)
    gen.add_argument("--seed", type=int, default=7)
    gen.add_argument("--out", type=Path, help="write here instead of eval/testsets/<name>.jsonl")
    gen.add_argument(
        "--from-raw",
        action="store_true",
        help="no generation: convert the kept ragas output (<name>.raw.jsonl) again, "
        "applying the review in <name>.meta.json",
    )
    gen.set_defaults(handler=run_generate)

    fb = ev.add_parser(
        "from-feedback",
        help="review thumbs-down answers from the app into release tests (eval/testsets/feedback.jsonl)",
    )
    fb.add_argument("--list", action="store_true", help="only list the thumbs-down answers and whether each is tested")
    add_corpus_option(fb)
    fb.add_argument("--select", help="only these ratings: id prefixes from --list, comma separated")
    fb.add_argument(
        "--testset", default="feedback", help="name under eval/testsets/ or a .jsonl path (default: feedback)"
    )
    fb.add_argument("--feedback", type=Path, help="the ratings file (default: <data dir>/feedback.jsonl)")
    fb.add_argument(
        "--split",
        choices=["auto", "dev", "heldout"],
        default="auto",
        help="auto (default): two tests in five held out, by a hash of the rating's id",
    )
    fb.set_defaults(handler=run_from_feedback)


def run_eval(args, settings: Settings) -> int:
    from eval.runner import RESULTS_ROOT, RunOptions, run

    options = RunOptions(
        testset=args.testset,
        backend=args.backend,
        quick=args.quick,
        judge=not args.no_judge,
        limit=args.limit,
        **judge_choice(args),
        judge_structured=args.judge_structured,
        judge_concurrency=args.judge_concurrency,
        judge_timeout=args.judge_timeout,
        judge_sample=args.judge_sample,
        metrics=[m.strip() for m in args.metrics.split(",") if m.strip()] if args.metrics else None,
        results_root=args.results_dir or RESULTS_ROOT,
        thresholds_file=args.thresholds,
        show_progress=not args.no_progress,
    )
    result, run_dir = run(settings, options)
    print(summary_table(result))
    print(f"\nreport: {run_dir / 'report.html'}\nsummary: {run_dir / 'summary.md'}")
    code = 0
    if result.judge_problems:
        print("\nthe judge failed too often; judge metrics are not trustworthy:", file=sys.stderr)
        for problem in result.judge_problems:
            print(f"  {problem}", file=sys.stderr)
        code = 1
    if args.gate:
        from eval.gate import GateResult

        gate = GateResult.model_validate(result.gate)
        print(gate.message(), file=sys.stdout if gate.passed else sys.stderr)
        if not gate.passed:
            code = 1
    return code


def run_gate(args, settings: Settings) -> int:
    from eval.gate import evaluate_gate
    from eval.runner import EvalError, latest_run_dir, load_run

    path = args.results or latest_run_dir()
    if path is None:
        raise EvalError("no eval run found under eval/results; run `policyqa eval run` first")
    try:
        result = load_run(path)
    except FileNotFoundError as exc:
        raise EvalError(f"no results.json at {path}") from exc
    except ValueError as exc:
        raise EvalError(f"{path} is not a PolicyQA eval result: {exc}") from exc
    gate = evaluate_gate(result, args.thresholds)
    print(f"run {result.run_id} ({result.mode}, {result.testset}, backend {result.info.get('backend')})")
    for check in gate.checks:
        bound = " ".join(f"{k}={getattr(check, k)}" for k in ("min", "max") if getattr(check, k) is not None)
        value = "–" if check.value is None else f"{check.value:.3f}"
        print(f"  {check.status:7s} {check.metric:22s} {value:>6s}  {bound}  {check.note}")
    print(gate.message(), file=sys.stdout if gate.passed else sys.stderr)
    return 0 if gate.passed else 1


def run_generate(args, settings: Settings) -> int:
    from eval.generate import GenerateOptions, generate, reconvert
    from eval.testsets import TESTSET_DIR

    if args.from_raw:
        out = reconvert(settings, args.out or TESTSET_DIR / f"{args.name}.jsonl")
        print(f"wrote {out}")
        return 0
    out = generate(
        settings,
        GenerateOptions(
            size=args.size,
            name=args.name,
            **judge_choice(args),
            seed=args.seed,
            out=args.out,
        ),
    )
    print(f"wrote {out}")
    return 0


def run_from_feedback(args, settings: Settings) -> int:
    from assistant.feedback import FeedbackLog
    from eval.feedback import Reviewer, from_feedback, listing
    from index.snapshot import read_current

    log = FeedbackLog(args.feedback or settings.feedback_file)
    if args.list:
        print(listing(log, args.testset))
        return 0
    snapshot = read_current(settings.index_dir)
    if snapshot is None:
        print("(no index yet: evidence can be given only as passage numbers)", file=sys.stderr)
    documents = {d.id: d.text for d in snapshot.documents.values()} if snapshot is not None else {}
    reviewer = Reviewer(input, print, documents, args.split)
    select = [s.strip() for s in (args.select or "").split(",") if s.strip()]
    path, added = from_feedback(log, reviewer, args.testset, select)
    if added:
        print(f"\n{len(added)} test(s) added to {path}; run them with: policyqa eval run --testset {args.testset}")
    return 0


def summary_table(result) -> str:
    from eval.metrics import METRICS

    lines = [f"{'metric':24s} {'mean':>6s} {'scored':>6s} {'failed':>6s} {'n/a':>4s}"]
    for name, s in result.summary.items():
        mean = "–" if s.mean is None else f"{s.mean:.3f}"
        flag = "  <- judge failures" if s.failed and METRICS[name].group == "judge" else ""
        lines.append(f"{name:24s} {mean:>6s} {s.scored:>6d} {s.failed:>6d} {s.not_applicable:>4d}{flag}")
    t = result.timings
    lines.append("time: " + ", ".join(f"{k} {v:.0f}s" for k, v in t.items()))
    return "\n".join(lines)
