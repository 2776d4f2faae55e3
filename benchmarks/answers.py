"""Answer quality and latency on a test set, on any corpus, per split and per backend.

Each question goes through `Assistant.stream` (the path the app takes). Per backend:
- verdicts: yes/no questions whose verdict matches the gold one (a refusal counts wrong);
- required facts: gold facts ("50", "Wuhan") present in grounded answers;
- citation precision: cited passages that overlap a gold reference span or a hand-reviewed
  restatement of one in another article (`also_stated_in`; independent
  of our own verifier), and the verifier's share of supported sentences beside it;
- citation recall: required facts the answer states that one of its cited passages holds;
- refusals of unanswerable questions, false refusals of answerable ones;
- time to evidence, first token and full answer (p50/p95), and generation tokens/s.
Dev and held-out splits are summarised apart; only dev questions are printed one by one.
"""

from __future__ import annotations

import re
import statistics
import time

from benchmarks.common import corpus_settings, ensure_index, percentiles, result_name, split_of, table, write_result
from eval.references import evidence_spans, overlaps
from eval.testsets import Sample, load_testset
from index.language import SPACED_LETTER
from policyqa.settings import Settings

SPLITS = ("dev", "heldout")


def _norm(text: str) -> str:
    return re.sub(r"(?<=\d),(?=\d{3})", "", text).replace("’", "'").lower()


# A word boundary is made of letters of a language written with spaces: Chinese has none
# in writing ("30 天内" states "30 天").


def has_fact(fact: str, text: str) -> bool:
    """Word-bounded, so "50" is not found in "150"; "2,400" matches "2400"; "a|b" is
    either."""
    # An ordinal suffix still states the number ("November 15th" states "November 15").
    return any(
        re.search(
            rf"(?<!{SPACED_LETTER})(?<!\.){re.escape(_norm(f.strip()))}(?:st|nd|rd|th)?(?!{SPACED_LETTER}|\.\d)",
            _norm(text),
        )
        is not None
        for f in fact.split("|")
        if f.strip()
    )


def score(sample: Sample, answer, spans) -> dict:
    row: dict = {
        "id": sample.id,
        "split": sample.split,
        "kind": sample.kind,
        "status": answer.status,
        "verdict": answer.verdict,
        "notes": answer.notes,
        "scores": answer.scores,
        "draft": answer.draft,
        "text": answer.text,
        "fallback": answer.fallback_reason,
        "answered_by": answer.backend,
        "query": answer.standalone_query,
        **{
            k: round(v, 3)
            for k, v in answer.timings.items()
            if k in ("evidence", "first_token", "total", "tokens_per_s")
        },
        "dropped": [f"{c.text} ({c.reason})" for c in answer.checks if c.status == "dropped"],
    }
    if sample.expected_verdict:
        row["verdict_ok"] = answer.grounded and answer.verdict == sample.expected_verdict
    if not sample.answerable:
        row["refused_ok"] = answer.refused
        return row
    row["false_refusal"] = answer.refused
    if answer.refused:
        return row
    facts = sample.required_facts
    stated = [f for f in facts if has_fact(f, answer.text)]
    row["facts"] = (len(stated), len(facts))
    cited_text = " ".join(c.passage.text for c in answer.citations)
    row["fact_citations"] = (sum(has_fact(f, cited_text) for f in stated), len(stated))
    pairs = [(c.passage.doc_id, c.passage.start, c.passage.end) for c in answer.citations]
    row["cited"] = (sum(any(overlaps(p, s) for s in spans) for p in pairs), len(pairs))
    row["checks"] = (sum(c.status == "supported" for c in answer.checks), len(answer.checks))
    return row


def _ratio(rows: list[dict], key: str) -> float | None:
    num = sum(r[key][0] for r in rows if key in r)
    den = sum(r[key][1] for r in rows if key in r)
    return round(num / den, 3) if den else None


def _share(rows: list[dict], key: str) -> tuple[int, int]:
    marked = [r[key] for r in rows if key in r]
    return sum(marked), len(marked)


def summarize(backend: str, rows: list[dict]) -> dict:
    verdicts = _share(rows, "verdict_ok")
    refusals = _share(rows, "refused_ok")
    false_refusals = _share(rows, "false_refusal")
    timed = [r for r in rows if "total" in r]
    out = {
        "backend": backend,
        "questions": len(rows),
        "verdicts": f"{verdicts[0]}/{verdicts[1]}",
        "facts": _ratio(rows, "facts"),
        "citation_precision": _ratio(rows, "cited"),
        "verifier_supported": _ratio(rows, "checks"),
        "citation_recall": _ratio(rows, "fact_citations"),
        "refused_unanswerable": f"{refusals[0]}/{refusals[1]}",
        "false_refusals": f"{false_refusals[0]}/{false_refusals[1]}",
        "fallbacks": sum(r["answered_by"] not in (backend, "policy") for r in rows),
    }
    for key in ("evidence", "first_token", "total"):
        values = [r[key] for r in timed if key in r]
        if values:
            p = percentiles(values)
            out[f"{key}_p50_s"], out[f"{key}_p95_s"] = p["p50_ms"] / 1000, p["p95_ms"] / 1000
    speeds = [r["tokens_per_s"] for r in timed if r.get("tokens_per_s")]
    out["tokens_per_s"] = round(statistics.median(speeds), 1) if speeds else None
    return out


def run_backend(assistant, backend: str, samples: list[Sample], show: bool = True) -> list[dict]:
    snapshot = assistant.snapshot
    rows = []
    for n, sample in enumerate(samples, 1):
        started = time.perf_counter()
        answer = assistant.ask(sample.user_input, sample.history, sample.filters, backend=backend)
        rows.append(score(sample, answer, evidence_spans(sample, snapshot)))
        if show:
            mark = "refused" if answer.refused else (answer.verdict or "answered")
            shown = f"{sample.id} {mark}" if sample.split == "dev" else "(held out)"
            print(f"  [{backend} {n}/{len(samples)}] {shown} in {time.perf_counter() - started:.1f}s", flush=True)
    return rows


COLUMNS = [
    "backend",
    "questions",
    "verdicts",
    "facts",
    "citation_precision",
    "verifier_supported",
    "citation_recall",
    "refused_unanswerable",
    "false_refusals",
    "fallbacks",
    "evidence_p95_s",
    "first_token_p50_s",
    "first_token_p95_s",
    "total_p50_s",
    "total_p95_s",
    "tokens_per_s",
]


def run(settings: Settings, args) -> dict:
    from assistant.api import Assistant

    samples = split_of(load_testset(args.testset), args.split)
    if args.kinds:
        samples = [s for s in samples if s.kind in args.kinds.split(",")]
    if args.limit:
        samples = samples[: args.limit]
    settings = corpus_settings(settings, getattr(args, "corpus", None))
    ensure_index(settings)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    assistant = Assistant.from_settings(settings)
    warm = samples[0].user_input if samples else "What do the documents cover?"
    for backend in backends:  # load every model and warm its caches before anything is timed
        if not assistant.generator_ready(backend):
            raise SystemExit(f"backend {backend} is not available: {assistant.generator_status(backend)}")
        assistant.ask(warm, backend=backend)
    per_backend = {b: run_backend(assistant, b, samples) for b in backends}
    splits = [s for s in SPLITS if split_of(samples, s)]
    summary = {split: [summarize(b, split_of_rows(rows, split)) for b, rows in per_backend.items()] for split in splits}
    for split in splits:
        print(f"\n{args.testset} [{split}]")
        print(table(summary[split], COLUMNS))
    result = {
        "testset": args.testset,
        "corpus": str(settings.corpus_dir),
        "split": args.split,
        "kinds": args.kinds or "all",
        "questions": len(samples),
        "settings": {**settings.public_dict(), "embed_model": assistant.snapshot.embed_model},  # auto resolved
        "summary": summary,
        "questions_detail": per_backend,
    }
    path = write_result(args.output or result_name("answers", args.testset), result)
    print(f"wrote {path}")
    return result


def split_of_rows(rows: list[dict], split: str) -> list[dict]:
    return [r for r in rows if r["split"] == split]
