"""The release gate: committed thresholds (eval/thresholds.toml) checked against a run.

A metric passes when its mean over the scored questions meets its `min` (or stays under
its `max` for lower-is-better metrics). A threshold on a metric the run did not measure
(a --quick run has no judge metrics) is reported as skipped, not passed. A run whose
judge failed too often fails the gate too: its judge means are not trustworthy.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from policyqa.errors import PolicyQAError

THRESHOLDS_FILE = Path(__file__).resolve().parent / "thresholds.toml"


class ThresholdError(PolicyQAError):
    pass


class Threshold(BaseModel):
    metric: str
    min: float | None = None
    max: float | None = None


class Thresholds(BaseModel):
    max_judge_failure_rate: float = 0.2
    metrics: dict[str, Threshold] = Field(default_factory=dict)
    source: str = ""


class GateCheck(BaseModel):
    metric: str
    status: Literal["pass", "fail", "skipped"]
    value: float | None
    min: float | None = None
    max: float | None = None
    note: str = ""


class GateResult(BaseModel):
    passed: bool
    failing: list[str]
    checks: list[GateCheck]
    source: str = ""

    def message(self) -> str:
        if self.passed:
            return f"release gate passed ({sum(c.status == 'pass' for c in self.checks)} thresholds met)"
        lines = ["release gate FAILED:"]
        for c in self.checks:
            if c.status == "fail":
                lines.append(f"  {c.metric}: {c.note}")
        return "\n".join(lines)


def load_thresholds(path: Path | None = None, backend: str | None = None, mode: str = "full") -> Thresholds:
    """Read the thresholds file. A full run is held to `[metrics]`, a --quick run (a small
    fixed sample) to `[quick.metrics]`; `[backend.<name>]` (or `[quick.backend.<name>]`)
    tables override per backend."""
    from eval.metrics import METRICS

    path = Path(path or THRESHOLDS_FILE)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ThresholdError(f"no thresholds file at {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ThresholdError(f"{path} is not valid TOML: {exc}") from exc
    section = raw.get("quick", {}) if mode == "quick" else raw
    tables = dict(section.get("metrics", {}))
    if backend:
        for name, table in section.get("backend", {}).get(backend, {}).get("metrics", {}).items():
            tables[name] = {**tables.get(name, {}), **table}
    metrics = {}
    for name, table in tables.items():
        if name not in METRICS:
            raise ThresholdError(f"{path}: unknown metric {name!r}; known: {', '.join(METRICS)}")
        if not isinstance(table, dict) or not ({"min", "max"} & set(table)):
            raise ThresholdError(f"{path}: [metrics.{name}] needs `min` or `max`")
        metrics[name] = Threshold(metric=name, min=table.get("min"), max=table.get("max"))
    judge = raw.get("judge", {})
    return Thresholds(
        max_judge_failure_rate=float(judge.get("max_failure_rate", 0.2)), metrics=metrics, source=str(path)
    )


def evaluate_gate(run, path: Path | None = None) -> GateResult:
    """Check a RunResult against the thresholds (file `path`) for its backend."""
    thresholds = load_thresholds(path, backend=run.info.get("backend"), mode=run.mode)
    checks: list[GateCheck] = []
    for name, t in thresholds.metrics.items():
        summary = run.summary.get(name)
        if summary is None:
            checks.append(
                GateCheck(
                    metric=name, status="skipped", value=None, min=t.min, max=t.max, note="not measured in this run"
                )
            )
            continue
        value = summary.mean
        if value is None:
            checks.append(
                GateCheck(
                    metric=name,
                    status="fail" if summary.failed else "skipped",
                    value=None,
                    min=t.min,
                    max=t.max,
                    note=f"no question scored ({summary.failed} failed)"
                    if summary.failed
                    else "no question this metric applies to",
                )
            )
            continue
        bad = []
        if t.min is not None and value < t.min:
            bad.append(f"{value:.3f} < min {t.min:.3f}")
        if t.max is not None and value > t.max:
            bad.append(f"{value:.3f} > max {t.max:.3f}")
        checks.append(
            GateCheck(
                metric=name,
                status="fail" if bad else "pass",
                value=value,
                min=t.min,
                max=t.max,
                note="; ".join(bad) + (f" (n={summary.scored})" if bad else ""),
            )
        )
    for problem in run.judge_problems:
        metric = problem.split(":", 1)[0]
        checks.append(
            GateCheck(
                metric=metric, status="fail", value=None, note=f"judge unreliable: {problem.split(':', 1)[1].strip()}"
            )
        )
    failing = sorted({c.metric for c in checks if c.status == "fail"})
    return GateResult(passed=not failing, failing=failing, checks=checks, source=thresholds.source)
