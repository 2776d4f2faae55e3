"""Decoding speed under the answer grammar: stock llama-cpp-python sampling against the
checked-first sampling the local backend uses (assistant/generation/grammar_sampling.py).

For the first questions of a test set the real answer prompt and grammar are built as an
answer builds them; each prompt is then generated greedily by one loaded model with each
sampler in turn (its class switched to stock `llama_cpp.Llama` and back), in alternating
order so a noisy neighbour slows both alike. Only decoding is timed (first token to
last), after the prompt is evaluated afresh for each. The texts must be identical: the
checked-first sampling changes the speed, not the tokens.
"""

from __future__ import annotations

import statistics
import time

from benchmarks.common import corpus_settings, ensure_index, table, write_result
from eval.testsets import load_testset
from policyqa.settings import Settings

MAX_TOKENS = 160


def _decode(llm, sampler: type, messages: list[dict], grammar_text: str) -> tuple[str, int, float]:
    """(text, tokens, decoding seconds) of one greedy generation under the grammar, with
    the sampling of the `llama_cpp.Llama` subclass `sampler`."""
    from llama_cpp import LlamaGrammar

    llm.__class__ = sampler
    # Both start from the same state, the prompt evaluated afresh in one pass (a prompt
    # evaluated in other pieces gives slightly different logits, and greedy decoding
    # follows a near tie either way), before the timing starts.
    llm.reset()
    llm._ctx.kv_cache_clear()
    grammar = LlamaGrammar.from_string(grammar_text, verbose=False)
    text, tokens, first = "", 0, None
    for chunk in llm.create_chat_completion(
        messages=messages, temperature=0.0, max_tokens=MAX_TOKENS, stream=True, grammar=grammar
    ):
        piece = chunk["choices"][0]["delta"].get("content")
        if not piece:
            continue
        if first is None:
            first = time.perf_counter()
        text += piece
        tokens += 1
    return text, tokens, (time.perf_counter() - first) if first is not None else 0.0


def _prompts(assistant, generator, samples, settings: Settings) -> list[tuple[list[dict], str]]:
    """The answer prompt and grammar of each question, as `answer_stream` makes them."""
    from assistant import answering

    out = []
    for sample in samples:
        analysis = assistant.analyze(sample.user_input, [])
        found = assistant.retriever.retrieve(analysis)
        if not found.passages:
            continue
        ready = answering.prepare(analysis, found.passages, [], settings, generator, assistant.embedder)
        out.append((ready.messages, ready.grammar()))
    return out


def run(settings: Settings, args) -> dict:
    import llama_cpp

    from assistant.api import Assistant
    from assistant.generation.local import LocalGenerator

    settings = corpus_settings(settings, getattr(args, "corpus", None)).override(backend="local")
    ensure_index(settings)
    samples = [s for s in load_testset(args.testset) if s.split == "dev" and not s.history][: args.limit]
    assistant = Assistant(settings, load_generator=False)
    generator = LocalGenerator(settings)
    llm = generator._llm
    checked = type(llm)
    rows, same = [], 0
    work = _prompts(assistant, generator, samples, settings)
    for n, (messages, grammar) in enumerate(work):
        order = [("stock", llama_cpp.Llama), ("checked first", checked)]
        timed = {}
        for name, sampler in order if n % 2 == 0 else order[::-1]:
            timed[name] = _decode(llm, sampler, messages, grammar)
        llm.__class__ = checked
        same += timed["stock"][0] == timed["checked first"][0]
        rows.append({name: tokens / seconds for name, (_, tokens, seconds) in timed.items() if seconds > 0})
        print(f"  [{n + 1}/{len(work)}] " + ", ".join(f"{k} {v:.1f} tok/s" for k, v in rows[-1].items()), flush=True)
    generator.close()
    summary = [
        {
            "sampler": name,
            "prompts": len(rows),
            "tokens_per_s_median": round(statistics.median(r[name] for r in rows), 2),
            "ratio_to_stock": round(statistics.median(r[name] / r["stock"] for r in rows), 3),
        }
        for name in ("stock", "checked first")
    ]
    print(table(summary, ["sampler", "prompts", "tokens_per_s_median", "ratio_to_stock"]))
    print(f"identical text: {same}/{len(rows)}")
    result = {
        "testset": args.testset,
        "corpus": str(settings.corpus_dir),
        "model": generator.path.name,
        "max_tokens": MAX_TOKENS,
        "summary": summary,
        "identical_text": f"{same}/{len(rows)}",
        "per_prompt": rows,
    }
    print(f"wrote {write_result(args.output or 'decoding', result)}")
    return result
