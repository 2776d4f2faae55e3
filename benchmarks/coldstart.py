"""Cold start: from launching a process to the first answer, per backend, and for the app.

- CLI: `policyqa ask <Wuhan question> --json` in a fresh process. Wall time splits into
  start-up (imports, index and model load: wall minus the answer's own total) and the
  answer itself.
- App: `policyqa serve` in a fresh process, timed to the page answering HTTP, then to the
  first streamed answer through gradio_client.

Runs alternate between backends so a noisy neighbour hits all of them alike. The index
must already be built (a cold start is a restart, not a first install).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request

from benchmarks.common import table, write_result
from policyqa.settings import Settings

QUESTION = "Can I own 100% of a VPN service in Wuhan?"


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "POLICYQA_DATA_DIR": str(settings.data_dir),
        "POLICYQA_CORPUS_DIR": str(settings.corpus_dir),
        **extra,
    }
    return env


def cli_once(settings: Settings, backend: str) -> dict:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "policyqa.cli", "ask", QUESTION, "--backend", backend, "--json"],
        capture_output=True,
        text=True,
        env=_env(settings),
        timeout=900,
    )
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"policyqa ask --backend {backend} failed: {proc.stderr[-2000:]}")
    answer = json.loads(proc.stdout)
    total = answer["timings"].get("total", 0.0)
    return {
        "wall_s": wall,
        "startup_s": wall - total,
        "answer_s": total,
        "first_token_s": answer["timings"].get("first_token"),
        "verdict": answer.get("verdict"),
        "answered_by": answer.get("backend"),
    }


def app_once(settings: Settings, backend: str) -> dict:
    from gradio_client import Client

    from eval.judge import free_port

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "policyqa.cli", "serve"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=_env(settings, POLICYQA_PORT=str(port), POLICYQA_BACKEND=backend),
    )
    try:
        page = None
        deadline = started + 600
        while time.perf_counter() < deadline and page is None:
            if proc.poll() is not None:
                raise SystemExit(f"policyqa serve exited with {proc.returncode}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        page = time.perf_counter() - started
            except OSError:
                time.sleep(0.1)
        if page is None:
            raise SystemExit("policyqa serve did not answer within 600 s")
        client = Client(url, verbose=False, download_files=False)
        *_, answer = client.predict(QUESTION, api_name="/ask")
        first_answer = time.perf_counter() - started
        return {
            "page_s": page,
            "first_answer_s": first_answer,
            "verdict": answer.get("verdict"),
            "answered_by": answer.get("backend"),
        }
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def _median(runs: list[dict], key: str) -> float | None:
    values = [r[key] for r in runs if r.get(key) is not None]
    return round(statistics.median(values), 2) if values else None


def run(settings: Settings, args) -> dict:
    import policyqa  # noqa: F401  (offline environment for gradio_client)

    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    cli: dict[str, list[dict]] = {b: [] for b in backends}
    app: dict[str, list[dict]] = {b: [] for b in backends}
    for n in range(args.repeats):
        for backend in backends:
            cli[backend].append(cli_once(settings, backend))
            print(f"  cli {backend} run {n + 1}: {cli[backend][-1]['wall_s']:.1f}s", flush=True)
            if not args.no_app:
                app[backend].append(app_once(settings, backend))
                print(
                    f"  app {backend} run {n + 1}: page {app[backend][-1]['page_s']:.1f}s, "
                    f"answer {app[backend][-1]['first_answer_s']:.1f}s",
                    flush=True,
                )
    rows = []
    for backend in backends:
        rows.append(
            {
                "backend": backend,
                "cli_startup_s": _median(cli[backend], "startup_s"),
                "cli_answer_s": _median(cli[backend], "answer_s"),
                "cli_first_answer_s": _median(cli[backend], "wall_s"),
                "app_page_s": _median(app[backend], "page_s"),
                "app_first_answer_s": _median(app[backend], "first_answer_s"),
                "answered_by": "/".join(sorted({r["answered_by"] for r in cli[backend] + app[backend]})),
            }
        )
    print(table(rows, list(rows[0])))
    result = {"question": QUESTION, "repeats": args.repeats, "summary": rows, "runs": {"cli": cli, "app": app}}
    print(f"wrote {write_result('coldstart', result)}")
    return result
