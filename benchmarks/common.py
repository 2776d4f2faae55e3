"""Shared helpers for the benchmarks: percentiles, tables, result files."""

from __future__ import annotations

import json
import platform
import subprocess
import time
from pathlib import Path

import numpy as np

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def percentiles(values_s: list[float]) -> dict[str, float]:
    arr = np.asarray(values_s) * 1000.0
    return {"p50_ms": round(float(np.percentile(arr, 50)), 2), "p95_ms": round(float(np.percentile(arr, 95)), 2)}


def machine() -> dict:
    import os

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], capture_output=True, text=True, cwd=Path(__file__).parent, timeout=5
        ).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        # Measured on uncommitted changes to that commit (results and docs aside)?
        if commit and git(
            "status",
            "--porcelain",
            "--untracked-files=no",
            "--",
            ":/",
            ":(top,exclude)benchmarks/results",
            ":(top,exclude,glob)**/*.md",
        ):
            commit += "-dirty"
    except OSError:
        commit = ""
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "commit": commit,
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def corpus_settings(settings, corpus: str | Path | None):
    """Settings for benchmarking on a corpus folder: the seed corpus (settings as they
    are), or any other folder, which has an index of its own (`Settings.index_dir`)."""
    if not corpus:
        return settings
    folder = Path(corpus).expanduser().resolve()
    if not folder.is_dir():
        raise SystemExit(f"the corpus folder {folder} does not exist")
    return settings.override(corpus_dir=folder)


def ensure_index(settings) -> None:
    """Build (or bring up to date) the index of settings.corpus_dir, with a line of progress."""
    from index import build_index

    started = time.perf_counter()
    report = build_index(settings)
    if report.changed:
        print(
            f"indexed {settings.corpus_dir}: {report.documents} documents, {report.chunks} chunks "
            f"in {time.perf_counter() - started:.0f} s",
            flush=True,
        )


def split_of(samples, split: str):
    """The samples of one split ("dev", "heldout"), or all of them ("all")."""
    return list(samples) if split == "all" else [s for s in samples if s.split == split]


def result_name(kind: str, testset: str) -> str:
    stem = Path(testset).stem
    return kind if stem == "gold" else f"{kind}-{stem}"


def table(rows: list[dict], columns: list[str]) -> str:
    widths = {c: max([len(c), *(len(_fmt(r.get(c))) for r in rows)]) for c in columns}
    lines = [" | ".join(c.ljust(widths[c]) for c in columns), "-|-".join("-" * widths[c] for c in columns)]
    lines += [" | ".join(_fmt(r.get(c)).ljust(widths[c]) for c in columns) for r in rows]
    return "\n".join(lines)


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return "" if value is None else str(value)


def write_result(name: str, data: dict) -> Path:
    """Write a result as `benchmarks/results/NAME.json` (a name given with ".json" keeps
    it once; a path of its own is written where it says)."""
    path = RESULTS_DIR / (name if name.endswith(".json") else f"{name}.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"machine": machine(), **data}, indent=2, ensure_ascii=False) + "\n")
    return path
