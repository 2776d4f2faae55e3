"""`policyqa serve` as users run it: the page and the APIs on one server, `--api-only`,
and no server beyond loopback without a key."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx
import pytest

from tests.api.helpers import WUHAN, cli_env
from tests.serving import free_port, serving

pytestmark = pytest.mark.server


def test_page_and_apis_share_one_server(assistant, built_settings):
    import app

    with serving(app.server_app(assistant, built_settings)) as url:
        page = httpx.get(f"{url}/")
        assert page.status_code == 200 and "<!doctype html>" in page.text.lower()
        assert httpx.get(f"{url}/config").json()["title"] == "PolicyQA"
        assert httpx.get(f"{url}/gradio_api/info").status_code == 200
        assert httpx.get(f"{url}/v1/models").json()["data"][0]["id"] == "policyqa"
        r = httpx.post(f"{url}/v1/retrieve", json={"question": WUHAN})
        assert any("50%" in p["text"] for p in r.json()["passages"])


def test_serve_api_only_from_the_command_line(built_settings):
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "policyqa.cli",
        "serve",
        "--api-only",
        "--backend",
        "extractive",
        "--port",
        str(port),
    ]
    process = subprocess.Popen(command, env=cli_env(built_settings), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        url, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 120
        while True:
            assert process.poll() is None, process.stdout.read().decode()
            try:
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not come up"
            time.sleep(0.5)
        assert httpx.get(f"{url}/").status_code == 404  # no page with --api-only
        assert httpx.get(f"{url}/v1/documents").json()["count"] == 5
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_serve_brings_the_index_up_to_date_with_its_folder(built_settings, tmp_path):
    """A file added while nothing was serving is indexed once serving has started, and
    the running server answers from it without a restart."""
    import shutil

    from index import build_index
    from policyqa.settings import PROJECT_ROOT

    corpus = tmp_path / "corpus"
    shutil.copytree(PROJECT_ROOT / "corpus", corpus)
    settings = built_settings.override(data_dir=tmp_path / "data", corpus_dir=corpus)
    build_index(settings)
    (corpus / "moorings.md").write_text(
        "---\nid: moorings\ntitle: Moorings\n---\nEvery mooring needs an amber permit from the port office.\n"
    )
    port = free_port()
    command = [sys.executable, "-m", "policyqa.cli", "serve", "--api-only", "--backend", "extractive"]
    process = subprocess.Popen(
        [*command, "--port", str(port)], env=cli_env(settings), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        url, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 180
        while True:
            assert process.poll() is None, process.stdout.read().decode()
            try:
                if httpx.get(f"{url}/v1/documents").json().get("count") == 6:
                    break
            except (httpx.TransportError, ValueError):
                pass
            assert time.monotonic() < deadline, "the new file was not indexed"
            time.sleep(0.5)
        r = httpx.post(f"{url}/v1/retrieve", json={"question": "Who issues mooring permits?", "top_k": 1})
        assert r.json()["passages"][0]["doc_id"] == "moorings"
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_serve_refuses_to_listen_beyond_loopback_without_a_key(built_settings):
    env = cli_env(built_settings, POLICYQA_HOST="0.0.0.0")
    done = subprocess.run(
        [sys.executable, "-m", "policyqa.cli", "serve", "--backend", "extractive"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "POLICYQA_API_KEY" in done.stderr, done.stderr
