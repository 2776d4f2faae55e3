"""Thresholds from dev-split answer runs on every corpus together (one setting for all).

Reads `benchmarks/results/answers-*.json` written by `policyqa bench answers --split dev`
with the threshold being calibrated set to a value that refuses nothing (`POLICYQA_MIN_RELEVANCE=0.0001`,
`POLICYQA_MIN_ANSWERED=0.0001`: 0 would not ask the generator at all), and reports, for
each of the generator's judgements (of the passages before generation, of the verified
sentences after it), how many answerable questions each candidate
threshold would refuse and how many unanswerable ones it would catch; it proposes the
highest threshold that refuses at most `--max-false-refusals` of the answerable
questions. Held-out rows are never read.
"""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.common import RESULTS_DIR, table


def rows(paths: list[Path], backend: str) -> list[dict]:
    out = []
    for path in paths:
        data = json.loads(path.read_text())
        for row in data["questions_detail"].get(backend, []):
            if row.get("split", "dev") != "dev":
                continue
            out.append({**row, "corpus": path.stem})
    return out


def sweep(items: list[tuple[float | None, bool, bool]], max_false: float) -> tuple[list[dict], float]:
    """items: (relevance, or None where it was not asked; answerable; refused without it).
    At threshold t a question is refused if it was anyway or its relevance is below t."""
    n_answerable = sum(a for _, a, _ in items)
    n_unanswerable = len(items) - n_answerable
    out, best = [], 0.0
    for t in sorted({round(x, 2) for x, _, _ in items if x is not None} | {0.0}):
        refused = [(a, was or (x is not None and x < t)) for x, a, was in items]
        false = sum(r for a, r in refused if a)
        caught = sum(r for a, r in refused if not a)
        out.append(
            {
                "threshold": t,
                "false_refusals": f"{false}/{n_answerable}",
                "refused_unanswerable": f"{caught}/{n_unanswerable}",
            }
        )
        if false <= max_false * n_answerable:
            best = t
    return out, best


# Each threshold and the score it is compared with (recorded in the answer's `scores`).
JUDGEMENTS = {
    "min_relevance": ("relevance", "the generator's judgement of the passages, before generation"),
    "min_answered": ("answered", "the generator's judgement of the verified sentences, after it"),
}


def run(settings, args) -> dict:
    paths = [Path(p) if "/" in p else RESULTS_DIR / f"{p}.json" for p in args.results.split(",")]
    data = rows(paths, args.backend)
    result = {}
    for setting, (key, what) in JUDGEMENTS.items():
        items = [(r.get("scores", {}).get(key), r["kind"] != "unanswerable", r["status"] == "refused") for r in data]
        if not any(x is not None for x, _, _ in items):
            continue
        swept, best = sweep(items, args.max_false_refusals)
        print(f"{key} ({what}), dev splits of", ", ".join(p.stem for p in paths))
        print(
            table([r for r in swept if r["threshold"] <= 0.8], ["threshold", "false_refusals", "refused_unanswerable"])
        )
        print(f"proposed {setting}: {best}")
        result[setting] = best
    return result
