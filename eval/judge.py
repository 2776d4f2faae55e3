"""The judge LLM that ragas metrics call: any OpenAI-compatible endpoint.

By default the suite starts the local GGUF model under `python -m llama_cpp.server` on
loopback (`LocalJudgeServer`; by way of `eval.judge_server`, which decodes its
JSON-schema grammar faster with the same tokens), waits until `/v1/models` answers,
and stops it at the end. A user with a stronger endpoint passes `--judge-url/--judge-model` instead.

ragas 0.4 talks to the judge through `llm_factory(model, client=AsyncOpenAI(...))`,
which asks for JSON through instructor. A 0.5-1.5B judge writes broken or off-schema
JSON often enough to turn many scores into NaN, so for the local server we switch
instructor to JSON-schema mode and translate its `response_format` into the dialect
llama-cpp-python's server understands (`{"type": "json_object", "schema": ...}`): the
server then compiles the schema into a grammar and the judge cannot produce anything
that does not parse.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from policyqa.errors import PolicyQAError
from policyqa.settings import Settings


class JudgeUnavailableError(PolicyQAError):
    """The judge endpoint is down, unreachable, or could not be started."""


@dataclass(frozen=True)
class JudgeEndpoint:
    base_url: str  # ends in /v1
    model: str
    api_key: str = field(default="not-needed", repr=False)  # never written anywhere
    dialect: str = "openai"  # "llama.cpp": llama-cpp-python's server (schema translation)
    label: str = ""  # shown in reports, e.g. "local: qwen2.5-coder-1.5b-instruct-q4_k_m"

    def public(self) -> dict:
        """What a report may show: no key."""
        return {"url": self.base_url, "model": self.model, "dialect": self.dialect, "label": self.label or self.model}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def list_models(base_url: str, api_key: str = "not-needed", timeout: float = 5.0) -> list[str]:
    """GET {base_url}/models; raises JudgeUnavailableError with what to do."""
    request = urllib.request.Request(base_url.rstrip("/") + "/models", headers={"Authorization": f"Bearer {api_key}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = json.loads(response.read().decode("utf-8"))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise JudgeUnavailableError(
            f"the judge at {base_url} is not reachable ({reason}); start it, pass another "
            "--judge-url, or omit --judge-url to let the suite start the local model"
        ) from exc
    return [m.get("id", "") for m in data.get("data", [])]


def check_endpoint(endpoint: JudgeEndpoint, timeout: float = 5.0) -> None:
    """Fail fast, before any question is answered, if the judge is down."""
    models = list_models(endpoint.base_url, endpoint.api_key, timeout)
    if endpoint.dialect == "openai" and models and endpoint.model not in models:
        # Some servers serve any name; only warn through the error text if none matches.
        pass


def _die_with_parent() -> None:
    """Linux: the server gets SIGTERM if the eval process dies without cleaning up
    (killed, OOM), so no orphaned 2 GB judge keeps a core busy."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class LocalJudgeServer:
    """`python -m llama_cpp.server` (through `eval.judge_server`) on 127.0.0.1 for the
    duration of a `with` block."""

    def __init__(
        self,
        model_path: Path,
        threads: int,
        n_ctx: int = 4096,
        port: int | None = None,
        startup_timeout: float = 120.0,
        log_path: Path | None = None,
    ):
        self.model_path = Path(model_path)
        self.threads = threads
        self.n_ctx = n_ctx
        self.port = port or free_port()
        self.startup_timeout = startup_timeout
        self.log_path = log_path
        self._proc: subprocess.Popen | None = None
        self._log = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def endpoint(self) -> JudgeEndpoint:
        return JudgeEndpoint(
            base_url=self.base_url, model="judge", dialect="llama.cpp", label=f"local: {self.model_path.stem}"
        )

    def start(self) -> JudgeEndpoint:
        if not self.model_path.is_file():
            raise JudgeUnavailableError(
                f"judge model {self.model_path} is not a file; run `policyqa model assemble --all`"
            )
        if self.log_path is None:
            fd, name = tempfile.mkstemp(prefix="policyqa-judge-", suffix=".log")
            os.close(fd)
            self.log_path = Path(name)
        self._log = open(self.log_path, "wb")
        cmd = [
            sys.executable,
            "-m",
            "eval.judge_server",
            "--model",
            str(self.model_path),
            "--model_alias",
            "judge",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--n_ctx",
            str(self.n_ctx),
            "--n_threads",
            str(self.threads),
            "--n_threads_batch",
            str(self.threads),
            "--n_batch",
            "256",
            # Prompt states in RAM: ragas prompts share long instruction+example
            # prefixes, so the next call only evaluates what differs.
            "--cache",
            "true",
            "--cache_type",
            "ram",
            "--cache_size",
            str(512 * 1024 * 1024),
            "--seed",
            "0",
            "--verbose",
            "false",
        ]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self._proc = subprocess.Popen(
            cmd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self._proc.poll() is not None:
                tail = self._tail()
                self.stop()
                raise JudgeUnavailableError(
                    f"the local judge server exited with code {self._proc.returncode} while starting:\n{tail}"
                )
            try:
                list_models(self.base_url, timeout=2.0)
                return self.endpoint()
            except JudgeUnavailableError as exc:
                if time.monotonic() > deadline:
                    tail = self._tail()
                    self.stop()
                    raise JudgeUnavailableError(
                        f"the local judge server did not answer within {self.startup_timeout:.0f} s:\n{tail}"
                    ) from exc
                time.sleep(0.5)

    def _tail(self, lines: int = 15) -> str:
        try:
            text = Path(self.log_path).read_text(encoding="utf-8", errors="replace")
        except (OSError, TypeError):
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> JudgeEndpoint:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def local_judge_model(settings: Settings, size: str = "default") -> Path:
    """The GGUF the local judge serves: the assembled default (1.5B) or small (0.5B) model."""
    from assistant.generation.model_files import resolve_model

    return resolve_model(settings, size)


@contextlib.contextmanager
def judge_endpoint(
    settings: Settings,
    url: str | None = None,
    model: str | None = None,
    api_key: str | None = None,
    size: str = "default",
    n_ctx: int = 4096,
    log_path: Path | None = None,
):
    """Yield a reachable JudgeEndpoint: the given URL (checked), or a local server."""
    if url:
        endpoint = JudgeEndpoint(
            base_url=url.rstrip("/"),
            model=model or "judge",
            api_key=api_key or os.environ.get("POLICYQA_JUDGE_API_KEY") or "not-needed",
            dialect="openai",
            label=model or url,
        )
        check_endpoint(endpoint)
        yield endpoint
        return
    server = LocalJudgeServer(
        local_judge_model(settings, size), threads=settings.llm_threads, n_ctx=n_ctx, log_path=log_path
    )
    with server as endpoint:
        yield endpoint


# -- the ragas side -------------------------------------------------------------------

# Bounds put on every array and string of a judge's output schema (llama.cpp only):
# a small judge under a JSON grammar sometimes repeats list items until max_tokens,
# which costs minutes per call on a CPU and ends in a truncated, failed score.
MAX_ITEMS = 12
MAX_STRING = 400


def bound_schema(schema, max_string: int = MAX_STRING):
    """A copy of a JSON schema with maxItems/maxLength on arrays and strings."""
    if isinstance(schema, list):
        return [bound_schema(x, max_string) for x in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: bound_schema(v, max_string) for k, v in schema.items()}
    if out.get("type") == "array":
        out.setdefault("maxItems", MAX_ITEMS)
    if out.get("type") == "string" and "enum" not in out:
        out.setdefault("maxLength", max_string)
    return out


class CallLog:
    """One JSON line per judge call: seconds, tokens, finish reason (for the report)."""

    def __init__(self, path: Path | None):
        self.path = path
        self.calls: list[dict] = []

    def add(self, record: dict) -> None:
        self.calls.append(record)
        if self.path is not None:
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(record) + "\n")


def _transport(dialect: str, log: CallLog, max_string: int = MAX_STRING):
    """httpx transport: logs each chat call; for llama-cpp-python's server, rewrites
    OpenAI structured-output requests into its dialect ({"type": "json_object",
    "schema": ...}) with bounded arrays and strings."""
    import httpx

    class JudgeTransport(httpx.AsyncBaseTransport):
        def __init__(self) -> None:
            # No keep-alive: ragas runs each test-set transform in a fresh event loop, and
            # a pooled connection opened in an earlier loop fails when reused or closed
            # ("RuntimeError: Event loop is closed", reported by openai as "Connection
            # error"), which cost whole generation runs. A new loopback connection per
            # judge call costs nothing next to the call.
            self.inner = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_keepalive_connections=0))

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            chat = request.method == "POST" and request.url.path.endswith("/chat/completions")
            if chat and dialect == "llama.cpp":
                body = json.loads(request.content or b"{}")
                fmt = body.get("response_format") or {}
                if fmt.get("type") == "json_schema":
                    schema = fmt.get("json_schema", {}).get("schema", {})
                    body["response_format"] = {"type": "json_object", "schema": bound_schema(schema, max_string)}
                    content = json.dumps(body).encode("utf-8")
                    headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
                    request = httpx.Request(
                        request.method, request.url, headers=headers, content=content, extensions=request.extensions
                    )
            started = time.perf_counter()
            try:
                response = await self.inner.handle_async_request(request)
            except httpx.HTTPError as exc:
                # openai reports all of these as "Connection error": keep the cause.
                log.add(
                    {
                        "seconds": round(time.perf_counter() - started, 2),
                        "status": None,
                        "error": f"{type(exc).__name__}: {exc}",
                    }
                )
                raise
            if not chat:
                return response
            content = await response.aread()
            record = {"seconds": round(time.perf_counter() - started, 2), "status": response.status_code}
            try:
                data = json.loads(content)
                usage = data.get("usage") or {}
                record.update(
                    prompt_tokens=usage.get("prompt_tokens"),
                    completion_tokens=usage.get("completion_tokens"),
                    finish_reason=(data.get("choices") or [{}])[0].get("finish_reason"),
                )
            except ValueError:
                pass
            log.add(record)
            headers = [
                (k, v)
                for k, v in response.headers.items()
                if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
            ]
            return httpx.Response(response.status_code, headers=headers, content=content, request=request)

        async def aclose(self) -> None:
            await self.inner.aclose()

    return JudgeTransport()


def make_ragas_llm(
    endpoint: JudgeEndpoint,
    max_tokens: int = 512,
    timeout: float = 300.0,
    structured: str = "auto",
    log: CallLog | None = None,
    max_string: int = MAX_STRING,
):
    """A ragas InstructorLLM for the endpoint, via `llm_factory`.

    structured: "schema" (JSON-schema constrained decoding), "json" (ragas's default JSON
    mode), or "auto" (schema for the local llama.cpp server, json for other endpoints).
    max_string: the longest string the local server may write (a judge's verdicts are
    short; a generated test-set reference is not).
    """
    import httpx
    import instructor
    from openai import AsyncOpenAI
    from ragas.llms import llm_factory

    if structured == "auto":
        structured = "schema" if endpoint.dialect == "llama.cpp" else "json"
    transport = _transport(endpoint.dialect, log or CallLog(None), max_string)
    http_client = httpx.AsyncClient(transport=transport, timeout=timeout)
    # Two retries: the openai client retries only connection errors, timeouts, 429 and 5xx,
    # and a judge call lost to a dropped connection would otherwise be a NaN score.
    client = AsyncOpenAI(
        base_url=endpoint.base_url, api_key=endpoint.api_key, http_client=http_client, max_retries=2, timeout=timeout
    )
    llm = llm_factory(endpoint.model, client=client, max_tokens=max_tokens, temperature=0.0, top_p=1.0)
    if structured == "schema":
        llm.client = instructor.from_openai(client, mode=instructor.Mode.JSON_SCHEMA)
    return llm
