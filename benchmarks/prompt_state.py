"""What keeping the system prompt evaluated costs each answer: llama-cpp-python's prompt
cache, which saves the model's whole state after every completion, against the one state
the local backend keeps (assistant/generation/local.py), side by side.

The first dev questions of a test set are answered in full (`Assistant.ask`, local
backend) by one loaded model, with the cache attached and without it in turn, the order
alternating from round to round so that a noisy neighbour slows both alike. The answers
are the same but where the cache puts back a longer saved state than the context holds:
the prompt is then evaluated in other pieces, which moves the logits slightly, and greedy
decoding may follow a near tie the other way.
"""

from __future__ import annotations

import statistics
import time

from benchmarks.common import corpus_settings, ensure_index, table, write_result
from eval.testsets import load_testset
from policyqa.settings import Settings

CACHE_BYTES = 256 * 1024 * 1024  # what the local backend gave llama-cpp-python's cache
MODES = ("prompt cache", "kept state")


def run(settings: Settings, args) -> dict:
    from llama_cpp import LlamaRAMCache

    from assistant.api import Assistant

    settings = corpus_settings(settings, getattr(args, "corpus", None)).override(backend="local")
    ensure_index(settings)
    samples = [s for s in load_testset(args.testset) if s.split == "dev" and not s.history][: args.limit]
    assistant = Assistant(settings)
    if not assistant.generator_ready("local"):
        raise SystemExit(f"the local model is not available: {assistant.generator_status('local')}")
    llm = assistant._generator("local")._llm
    caches = {"prompt cache": LlamaRAMCache(capacity_bytes=CACHE_BYTES), "kept state": None}
    seconds: dict[str, list[float]] = {mode: [] for mode in MODES}
    texts: dict[str, list[str]] = {mode: [] for mode in MODES}
    for round_ in range(args.rounds):
        for mode in MODES if round_ % 2 == 0 else MODES[::-1]:
            llm.set_cache(caches[mode])
            for sample in samples:
                started = time.perf_counter()
                answer = assistant.ask(sample.user_input, backend="local")
                seconds[mode].append(time.perf_counter() - started)
                texts[mode].append(answer.text)
        print(f"  [round {round_ + 1}/{args.rounds}]", flush=True)
    llm.set_cache(None)
    same = sum(a == b for a, b in zip(*texts.values()))
    paired = [a - b for a, b in zip(*seconds.values())]
    summary = [
        {
            "state": mode,
            "answers": len(seconds[mode]),
            "mean_s": round(statistics.mean(seconds[mode]), 3),
            "median_s": round(statistics.median(seconds[mode]), 3),
        }
        for mode in MODES
    ]
    print(table(summary, ["state", "answers", "mean_s", "median_s"]))
    print(f"saved per answer by the kept state: {statistics.mean(paired):.3f} s (mean of pairs)")
    print(f"identical answers: {same}/{len(paired)}")
    result = {
        "testset": args.testset,
        "corpus": str(settings.corpus_dir),
        "rounds": args.rounds,
        "summary": summary,
        "saved_per_answer_s": round(statistics.mean(paired), 3),
        "identical_answers": f"{same}/{len(paired)}",
    }
    print(f"wrote {write_result(args.output or 'prompt-state', result)}")
    return result
