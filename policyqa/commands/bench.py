"""`policyqa bench <name>`: one sub-command per module `benchmarks/<name>.py`.

Each benchmark module exposes `run(settings, args) -> dict`, prints its table and writes
`benchmarks/results/<name>.json`. To add one, write the module and add a line to
BENCHMARKS with its help text and a function declaring its options.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from functools import partial

from policyqa.settings import Settings


def _ingest_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--docs", type=int, default=200, help="synthetic documents to ingest (default 200)")
    p.add_argument("--corpus", default="", help="ingest a copy of this real collection instead of synthetic documents")
    p.add_argument("--workers", default="1,2", help="embedding worker counts to measure, comma separated")
    p.add_argument("--keep", action="store_true", help="keep the temporary corpus and indexes")


def _scale_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sizes", default="1000,10000,100000", help="chunk counts, comma separated")
    p.add_argument("--queries", type=int, default=200, help="timed queries per size and mode")
    p.add_argument("--modes", default="embedded,server", help="embedded and/or server")
    p.add_argument(
        "--real",
        type=int,
        default=10000,
        help="chunks embedded for real; larger sizes derive the rest from these (see scale.py)",
    )


def _corpus_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--testset", default="gold", help="test set name or path (default gold)")
    p.add_argument(
        "--corpus",
        default="",
        help="corpus folder the test set is about (default: POLICYQA_CORPUS_DIR); "
        "indexed into a data directory of its own under data/corpora/",
    )


def _retrieval_args(p: argparse.ArgumentParser) -> None:
    _corpus_args(p)
    p.add_argument(
        "--compare-context",
        dest="compare_context",
        action="store_true",
        help="also run the full pipeline over chunks indexed without their section path",
    )
    p.add_argument(
        "--compare-embedding",
        dest="compare_embedding",
        default="",
        help="also run dense, fused and full retrieval with these embedding models (comma separated), "
        "each over its own index of the same chunks",
    )
    p.add_argument("--output", default="", help="result name under benchmarks/results/ (default: retrieval[-TESTSET])")


def _answers_args(p: argparse.ArgumentParser) -> None:
    _corpus_args(p)
    p.add_argument("--split", default="all", choices=["all", "dev", "heldout"], help="only this split (default all)")
    p.add_argument("--backends", default="extractive,local", help="backends to compare, comma separated")
    p.add_argument("--limit", type=int, default=0, help="only the first N questions (0: all)")
    p.add_argument("--kinds", default="", help="only these question kinds, comma separated (e.g. followup)")
    p.add_argument("--output", default="", help="result name under benchmarks/results/ (default: answers)")


def _coldstart_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--backends", default="extractive,local", help="backends to compare, comma separated")
    p.add_argument("--repeats", type=int, default=3, help="cold starts per backend (default 3)")
    p.add_argument("--no-app", dest="no_app", action="store_true", help="only the CLI, not `policyqa serve`")


def _decoding_args(p: argparse.ArgumentParser) -> None:
    _corpus_args(p)
    p.add_argument("--limit", type=int, default=8, help="answer prompts to decode (dev questions; default 8)")
    p.add_argument("--output", default="", help="result name under benchmarks/results/ (default: decoding)")


def _prompt_state_args(p: argparse.ArgumentParser) -> None:
    _corpus_args(p)
    p.add_argument("--limit", type=int, default=6, help="dev questions answered per round (default 6)")
    p.add_argument("--rounds", type=int, default=4, help="rounds, the order of the two alternating (default 4)")
    p.add_argument("--output", default="", help="result name under benchmarks/results/ (default: prompt-state)")


def _renderings_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--corpus", default="", help="a collection holding renderings of its documents (default: POLICYQA_CORPUS_DIR)"
    )
    p.add_argument("--output", default="", help="result name under benchmarks/results/ (default: renderings)")


def _calibrate_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--results",
        default="answers,answers-18f,answers-mozilla",
        help="answer-bench results of dev runs, comma separated (names under benchmarks/results/ or paths)",
    )
    p.add_argument("--backend", default="local", help="the backend whose judgements are calibrated")
    p.add_argument(
        "--max-false-refusals",
        dest="max_false_refusals",
        type=float,
        default=0.05,
        help="share of answerable questions a threshold may refuse (default 0.05)",
    )


BENCHMARKS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None]]] = {
    "ingest": ("ingest throughput vs raw encode and stock llama-index; incremental rebuilds", _ingest_args),
    "scale": ("retrieval latency and memory at 1k/10k/100k chunks, embedded vs server", _scale_args),
    "retrieval": (
        "retrieval quality and latency on a test set, per split, beside llama-index's retrievers",
        _retrieval_args,
    ),
    "answers": ("answer verdicts, facts, citations, refusals and latency per backend", _answers_args),
    "coldstart": ("process start to first answer, CLI and app, per backend", _coldstart_args),
    "decoding": ("tokens/s under the answer grammar: stock vs checked-first sampling", _decoding_args),
    "prompt-state": (
        "seconds per answer: llama-cpp-python's prompt cache vs the kept system-prompt state",
        _prompt_state_args,
    ),
    "renderings": (
        "a document read from its PDF or HTML rendering against its source: headings, sections, text",
        _renderings_args,
    ),
    "calibrate": ("answerability thresholds from dev-split answer runs of every corpus", _calibrate_args),
    "report": ("write docs/benchmarks.md and the README's figures from the result files", lambda p: None),
}


def register(sub) -> None:
    bench = sub.add_parser("bench", help="run a benchmark; results go to benchmarks/results/")
    names = bench.add_subparsers(dest="benchmark", required=True)
    for name, (help_text, add_args) in BENCHMARKS.items():
        parser = names.add_parser(name, help=help_text)
        add_args(parser)
        parser.set_defaults(handler=partial(run_benchmark, name))


def run_benchmark(name: str, args, settings: Settings) -> int:
    module = importlib.import_module(f"benchmarks.{name.replace('-', '_')}")
    module.run(settings, args)
    return 0
