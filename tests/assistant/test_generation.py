"""Generators with real models and real servers: GGUF assembly and its checksum, the
in-process llama.cpp backend, an OpenAI-compatible `python -m llama_cpp.server` on
loopback (the small 0.5B model keeps it fast), a server that is down, one that times
out, one that returns garbage, and Ollama down. Every failure must be a BackendError
with a readable message, and `answer_stream` must turn it into the extractive answer."""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from assistant import answering
from assistant.generation import load_generator
from assistant.generation.model_files import MODELS, assemble, is_verified, part_paths, resolve_model, verify
from assistant.types import Answer, Delta
from policyqa import cli
from policyqa.errors import BackendError, ModelUnavailableError

WUHAN = "Can I own 100% of a VPN service in Wuhan?"
YES_NO = 'root ::= "Yes" | "No"\n'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def final(events) -> Answer:
    answers = [e for e in events if isinstance(e, Answer)]
    assert len(answers) == 1 and isinstance(events[-1], Answer)
    return answers[0]


def assert_valid_markers(answer: Answer) -> None:
    import re

    markers = {int(m) for m in re.findall(r"\[(\d+)\]", answer.text)}
    assert markers == {c.marker for c in answer.citations}
    assert all(1 <= m <= len(answer.passages) for m in markers)


# -- assembling model files ------------------------------------------------------------
@pytest.fixture(scope="module")
def small_copy(tmp_path_factory):
    """The small model assembled by the CLI into a fresh data dir."""
    data = tmp_path_factory.mktemp("modeldata")
    assert cli.main(["--data-dir", str(data), "model", "assemble", "--small"]) == 0
    return data / "models" / MODELS["small"].filename


def test_model_status_reports_what_is_assembled(tmp_path, capsys, small_copy):
    assert cli.main(["--data-dir", str(tmp_path), "model", "status", "--json"]) == 0
    rows = {r["model"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["default"]["parts_installed"] and rows["small"]["parts_installed"]
    assert not rows["small"]["assembled"]
    data = small_copy.parent.parent
    assert cli.main(["--data-dir", str(data), "model", "status", "--json"]) == 0
    rows = {r["model"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["small"]["verified"] and not rows["default"]["assembled"]


def test_assembly_is_verified_and_idempotent(small_copy, capsys):
    spec = MODELS["small"]
    assert small_copy.stat().st_size == spec.size and is_verified(small_copy, spec)
    before = small_copy.stat().st_mtime_ns
    assert assemble(spec, small_copy.parent) == small_copy
    assert small_copy.stat().st_mtime_ns == before  # not rewritten
    assert not [p for p in small_copy.parent.iterdir() if ".tmp-" in p.name]


def test_a_corrupted_model_file_is_rejected_and_not_used(small_copy, base_settings):
    spec = MODELS["small"]
    settings = base_settings.override(model_dir=small_copy.parent)
    with open(small_copy, "r+b") as fh:
        fh.seek(spec.size // 2)
        byte = fh.read(1)
        fh.seek(spec.size // 2)
        fh.write(bytes([byte[0] ^ 0xFF]))
    try:
        assert not is_verified(small_copy, spec)  # mtime changed since the stamp
        with pytest.raises(ModelUnavailableError, match="sha256"):
            resolve_model(settings, "small")
    finally:
        with open(small_copy, "r+b") as fh:
            fh.seek(spec.size // 2)
            fh.write(byte)
    verify(small_copy, spec)  # restored: verifies again
    assert resolve_model(settings, "small") == small_copy


def test_a_checksum_mismatch_during_assembly_leaves_no_file(tmp_path):
    spec = dataclasses.replace(MODELS["small"], sha256="0" * 64, filename="bad.gguf")
    with pytest.raises(ModelUnavailableError, match="damaged or the wrong version"):
        assemble(spec, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_missing_part_packages_are_named_with_the_install_command():
    spec = dataclasses.replace(MODELS["small"], module_prefix="policyqa_no_such_part", dist_prefix="no-such-part")
    with pytest.raises(ModelUnavailableError, match=r"no-such-part1==.*pip install"):
        part_paths(spec)


def test_an_unassembled_model_says_what_to_run(tmp_path, base_settings):
    with pytest.raises(ModelUnavailableError, match="policyqa model assemble"):
        resolve_model(base_settings.override(model_dir=tmp_path))


def test_backend_configuration_errors_are_clear(base_settings):
    assert load_generator(base_settings.override(backend="extractive")) is None
    with pytest.raises(ModelUnavailableError, match="OPENAI_BASE_URL"):
        load_generator(base_settings.override(backend="openai"))
    with pytest.raises(ModelUnavailableError, match="OLLAMA_MODEL"):
        load_generator(base_settings.override(backend="ollama"))


# -- the in-process backend (small model: fast) ----------------------------------------
@pytest.fixture(scope="module")
def small_local(base_settings):
    from assistant.generation.local import LocalGenerator

    path = resolve_model(base_settings, "small")
    generator = LocalGenerator(base_settings.override(llm_context=2048, llm_max_tokens=16), model_path=path, warm=False)
    yield generator
    generator.close()


@pytest.mark.llm
def test_local_streams_pieces_and_obeys_a_grammar(small_local):
    messages = [{"role": "user", "content": "Is Paris in France? Answer Yes or No."}]
    pieces = list(small_local.stream_chat(messages, 8, grammar=YES_NO))
    assert pieces and "".join(pieces) in ("Yes", "No")
    assert small_local.complete("Say hello.", 8).strip()


@pytest.mark.llm
def test_local_times_out_instead_of_hanging(small_local):
    small_local.timeout = 0.05
    try:
        started = time.monotonic()
        with pytest.raises(BackendError, match="did not finish"):
            list(small_local.stream_chat([{"role": "user", "content": "Count from 1 to 200."}], 200))
        assert time.monotonic() - started < 30
        with small_local._lock:  # another caller holds the model: wait at most the timeout
            with pytest.raises(BackendError, match="busy"):
                list(small_local.stream_chat([{"role": "user", "content": "Hi"}], 4))
    finally:
        small_local.timeout = 120.0


@pytest.mark.llm
def test_local_serialises_concurrent_callers(small_local):
    results, errors = [], []

    def ask(n: int) -> None:
        try:
            results.append(small_local.complete(f"Reply with the number {n}.", 6))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors and len(results) == 3


@pytest.fixture(scope="module")
def warm_small_local(base_settings):
    """The small model with its system prompt evaluated and kept (as the app loads it)."""
    from assistant.generation.local import LocalGenerator

    path = resolve_model(base_settings, "small")
    generator = LocalGenerator(base_settings.override(llm_context=2048, llm_max_tokens=16), model_path=path)
    yield generator
    generator.close()


def _counting_evaluations(generator) -> list[int]:
    """The number of tokens of each evaluation the model makes from now on."""
    llm = generator._llm
    evaluated: list[int] = []
    evaluate = llm.eval
    llm.eval = lambda tokens: (evaluated.append(len(tokens)), evaluate(tokens))[1]
    return evaluated


@pytest.mark.llm
def test_a_chat_after_another_prompt_resumes_from_the_kept_system_prompt(warm_small_local):
    from assistant.prompts import SYSTEM

    generator = warm_small_local
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "Is Paris in France?"}]
    first = "".join(generator.stream_chat(messages, 8))
    assert generator.complete("Say hello.", 8).strip()  # the template's own system prompt
    evaluated = _counting_evaluations(generator)
    try:
        again = "".join(generator.stream_chat(messages, 8))
    finally:
        del generator._llm.eval
    prompt = generator._prompt_tokens(messages)
    assert again == first
    assert evaluated[0] <= len(prompt) - len(generator._system_tokens) < len(prompt)


@pytest.mark.llm
def test_an_answer_is_evaluated_from_the_system_prompt_whatever_was_asked_before(warm_small_local):
    """Two questions over the same passages share a long prefix; the second answer's
    first prompt is still evaluated from the system prompt on, so its judgement is the
    one it gets when asked first."""
    from assistant.prompts import SYSTEM

    generator = warm_small_local
    passages = "[1] Refunds are given within 30 days of purchase for unused items. " * 6

    def asking(question: str) -> list[dict]:
        return [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": f"{passages}\n\n{question} Answer yes or no."},
        ]

    messages = asking("Can I get a refund after 40 days?")
    generator.start_answer()
    first = generator.judge(messages)
    generator.start_answer()
    generator.judge(asking("Is a used item refunded?"))  # leaves the passages in the context
    evaluated = _counting_evaluations(generator)
    try:
        generator.start_answer()
        again = generator.judge(messages)
    finally:
        del generator._llm.eval
    assert evaluated == [len(generator._prompt_tokens(messages)) - len(generator._system_tokens)]
    assert again == first


@pytest.mark.llm
def test_local_is_also_a_llama_index_llm(small_local):
    response = small_local.llm.complete("Say OK.")
    assert response.text.strip()


# -- greedy decoding under a grammar: the best candidates checked first -----------------
@pytest.fixture(scope="module")
def stock_and_checked_first(base_settings):
    """The small model loaded twice: by stock llama-cpp-python and with the
    checked-first grammar sampling (the same weights, the same settings)."""
    import llama_cpp

    from assistant.generation.grammar_sampling import checked_first_llama

    path = str(resolve_model(base_settings, "small"))
    options = dict(model_path=path, n_ctx=2048, n_threads=base_settings.llm_threads, seed=0, verbose=False)
    pair = (llama_cpp.Llama(**options), checked_first_llama()(**options))
    yield pair
    for llm in pair:
        llm.close()


def _greedy(llm, messages, grammar_text: str, max_tokens: int = 60, **options) -> str:
    import llama_cpp

    grammar = llama_cpp.LlamaGrammar.from_string(grammar_text, verbose=False)
    reply = llm.create_chat_completion(
        messages=messages, temperature=0.0, max_tokens=max_tokens, grammar=grammar, **options
    )
    return reply["choices"][0]["message"]["content"]


@pytest.mark.llm
def test_checked_first_grammar_sampling_generates_the_stock_tokens(stock_and_checked_first):
    from assistant import prompts

    stock, checked = stock_and_checked_first
    passages = (
        "[1] Foreign investors may hold up to 50 percent of a value-added telecom company.\n"
        "[2] The pilot applies in Beijing, Shanghai and Shenzhen from 2024."
    )
    cases = [
        # the answer grammar: the model's favourite token is nearly always allowed
        (f"{passages}\nCan a foreign investor own all of such a company?", prompts.answer_grammar(2, True)),
        (f"{passages}\nWhere does the pilot apply?", prompts.answer_grammar(2, False)),
        # a grammar the model would never write by itself: its best candidates are
        # rejected, so the whole vocabulary is checked
        ("Say hello.", 'root ::= "Zq" [0-9] [0-9] "-" [xyz]+ "."\n'),
    ]
    for question, grammar in cases:
        messages = [{"role": "user", "content": question}]
        expected = _greedy(stock, messages, grammar)
        assert expected
        assert _greedy(checked, messages, grammar) == expected


@pytest.mark.llm
def test_checked_first_grammar_sampling_keeps_repetition_penalties(stock_and_checked_first):
    """Penalised logits rank the candidates, as in the stock chain: the llama.cpp server
    that serves the eval judge's JSON applies a repeat penalty of 1.1 by default."""
    stock, checked = stock_and_checked_first
    grammar = 'root ::= "{" ws "\\"items\\":" ws "[" ws item ("," ws item)* "]" ws "}"\nitem ::= "\\"" [a-z ]+ "\\""\nws ::= " "?\n'
    messages = [{"role": "user", "content": "List four fruits as JSON, repeating none."}]
    penalties = {"repeat_penalty": 1.1, "frequency_penalty": 0.2, "presence_penalty": 0.1}
    expected = _greedy(stock, messages, grammar, **penalties)
    assert expected.startswith("{")
    unpenalised = _greedy(stock, messages, grammar)
    assert unpenalised != expected  # the penalties change this reply: dropping them would show
    assert _greedy(checked, messages, grammar, **penalties) == expected
    assert _greedy(checked, messages, grammar) == unpenalised


@pytest.mark.llm
def test_sampling_without_a_grammar_is_untouched(stock_and_checked_first):
    stock, checked = stock_and_checked_first
    messages = [{"role": "user", "content": "Name three colours."}]
    for llm in (stock, checked):
        llm.reset()
    replies = [
        llm.create_chat_completion(messages=messages, temperature=0.0, max_tokens=20)["choices"][0]["message"][
            "content"
        ]
        for llm in (stock, checked)
    ]
    assert replies[0] and replies[0] == replies[1]


# -- an OpenAI-compatible server: the real llama.cpp server on loopback -------------------
@pytest.fixture(scope="module")
def llama_server(base_settings, tmp_path_factory):
    import httpx

    model = resolve_model(base_settings, "small")
    port = free_port()
    log = open(tmp_path_factory.mktemp("server") / "server.log", "wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(model),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "2048",
            "--n_threads",
            str(os.cpu_count() or 1),
            "--model_alias",
            "small-test",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, "llama_cpp.server exited; see its log"
            try:
                if httpx.get(f"{base_url}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "llama_cpp.server did not come up in 180 s"
            time.sleep(0.5)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def openai_settings(base_settings, url, **kw):
    return base_settings.override(backend="openai", openai_base_url=url, **kw)


@pytest.mark.server
@pytest.mark.llm
def test_openai_backend_streams_with_a_grammar_and_finds_the_model(base_settings, llama_server):
    gen = load_generator(openai_settings(base_settings, llama_server))
    pieces = list(gen.stream_chat([{"role": "user", "content": "Is Paris in France?"}], 8, grammar=YES_NO))
    assert "".join(pieces) in ("Yes", "No")
    assert gen._grammar_ok is True and "small-test" in gen.name  # model name read from /v1/models
    assert gen.complete("Say hello.", 8).strip()


@pytest.mark.server
@pytest.mark.llm
def answer_stream(assistant, settings, gen, question=WUHAN):
    """The answer step over the seed index's passages for a question, with this generator."""
    analysis, found = assistant.search(question)
    ready = answering.prepare(analysis, found.passages, [], settings, gen, assistant.embedder)
    return answering.answer_stream(ready, settings, gen)


def test_openai_backend_answer_is_verified_like_any_other(base_settings, llama_server, assistant):
    settings = openai_settings(base_settings, llama_server, llm_max_tokens=80)
    gen = load_generator(settings)
    events = list(answer_stream(assistant, settings, gen))
    answer = final(events)
    assert answer.grounded and answer.verdict == "no" and answer.text.startswith("No.")
    assert answer.backend in ("openai", "extractive")  # the 0.5B model may fail verification
    assert answer.draft is not None
    assert_valid_markers(answer)
    assert any(isinstance(e, Delta) for e in events)


@pytest.mark.server
@pytest.mark.llm
def test_openai_backend_times_out(base_settings, llama_server):
    gen = load_generator(openai_settings(base_settings, llama_server, llm_timeout=0.5))
    long_prompt = "Summarise this. " + " ".join(["The pilot covers cloud computing and data services."] * 120)
    started = time.monotonic()
    with pytest.raises(BackendError, match="did not (answer|finish) within"):
        list(gen.stream_chat([{"role": "user", "content": long_prompt}], 64))
    assert time.monotonic() - started < 20


def test_openai_backend_down_gives_a_clear_message_and_the_extractive_answer(base_settings, assistant):
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens here
    gen = load_generator(openai_settings(base_settings, url, openai_model="any"))
    started = time.monotonic()
    with pytest.raises(BackendError, match="cannot reach"):
        list(gen.stream_chat([{"role": "user", "content": "hi"}], 4))
    answer = final(list(answer_stream(assistant, base_settings, gen)))
    assert time.monotonic() - started < 30
    assert answer.backend == "extractive" and answer.grounded and "cannot reach" in answer.fallback_reason
    assert answer.verdict == "no"
    assert_valid_markers(answer)


class _GarbageHandler(BaseHTTPRequestHandler):
    """An 'OpenAI-compatible' server that streams nonsense, or breaks the protocol."""

    def log_message(self, *args):  # keep test output clean
        pass

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"object": "list", "data": [{"id": "garbage", "object": "model"}]}')

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.server.mode == "broken":
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            self.wfile.write(b"data: {this is not json\n\n")
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for word in ["Zorp ", "glim ", "the ", "moon ", "is ", "made ", "of ", "77 ", "cheeses ", "[9]."]:
            chunk = {
                "id": "x",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": "garbage",
                "choices": [{"index": 0, "delta": {"content": word}, "finish_reason": None}],
            }
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")


@pytest.fixture(params=["nonsense", "broken"])
def garbage_server(request):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _GarbageHandler)
    server.mode = request.param
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield request.param, f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_a_backend_returning_garbage_falls_back_to_the_extractive_answer(base_settings, garbage_server, assistant):
    mode, url = garbage_server
    gen = load_generator(openai_settings(base_settings, url))
    answer = final(list(answer_stream(assistant, base_settings, gen)))
    assert answer.backend == "extractive" and answer.grounded
    assert answer.fallback_reason
    assert "77" not in answer.text and "cheese" not in answer.text
    assert answer.verdict == "no"
    assert_valid_markers(answer)


def test_ollama_down_gives_a_clear_message(base_settings, assistant):
    settings = base_settings.override(
        backend="ollama", ollama_url=f"http://127.0.0.1:{free_port()}", ollama_model="qwen2.5:1.5b"
    )
    gen = load_generator(settings)
    with pytest.raises(BackendError, match="cannot reach Ollama"):
        list(gen.stream_chat([{"role": "user", "content": "hi"}], 4))
    answer = final(list(answer_stream(assistant, settings, gen)))
    assert answer.backend == "extractive" and "cannot reach Ollama" in answer.fallback_reason


def test_the_llama_cpp_library_is_checked_against_this_cpus_instruction_sets(tmp_path):
    """The installed library runs here; one compiled for AVX-512 on a CPU without it is a
    clear error before any model is loaded, not an "Illegal instruction" crash."""
    import llama_cpp

    from assistant.generation.cpu_check import check_cpu, compiled_for, cpu_flags, missing

    info = llama_cpp.llama_print_system_info().decode()
    assert "AVX2" in compiled_for(info) or "NEON" in compiled_for(info)
    check_cpu(info, cpu_flags())  # the library make install built for this machine

    older = tmp_path / "cpuinfo"
    older.write_text("processor\t: 0\nflags\t\t: fpu sse2 pni ssse3 avx avx2 fma f16c bmi2\n", encoding="utf-8")
    compiled = "CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | AVX512 = 1 | AVX512_VNNI = 1 | "
    assert missing(compiled, cpu_flags(older)) == ["AVX512", "AVX512_VNNI"]
    with pytest.raises(ModelUnavailableError, match="compiled for a CPU with AVX512, AVX512_VNNI"):
        check_cpu(compiled, cpu_flags(older))
    assert missing(compiled, cpu_flags(tmp_path / "absent")) == []  # no /proc/cpuinfo: nothing known
