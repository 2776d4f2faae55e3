"""The MCP server through the official `mcp` client: `policyqa mcp` started as a stdio
subprocess, as an agent's client starts it, and the same tools over streamable HTTP."""

from __future__ import annotations

import asyncio
import sys

import pytest

from tests.api.helpers import WUHAN, cli_env
from tests.serving import serving

pytestmark = pytest.mark.server

TOOLS = {"search", "ask", "list_documents"}


async def exercise(client) -> dict:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    found = await client.call_tool("search", {"query": WUHAN, "top_k": 3})
    answer = await client.call_tool("ask", {"question": WUHAN})
    follow = await client.call_tool(
        "ask",
        {
            "question": "and in Suzhou?",
            "history": [{"role": "user", "content": WUHAN}, {"role": "assistant", "content": "No: 50% [1]."}],
        },
    )
    documents = await client.call_tool("list_documents", {})
    bad = await client.call_tool("ask", {"question": ""})
    return {"tools": tools, "search": found, "ask": answer, "follow": follow, "documents": documents, "bad": bad}


def check(results: dict) -> None:
    assert set(results["tools"]) == TOOLS
    assert results["tools"]["ask"].annotations.read_only_hint is True
    passages = results["search"].structured_content["passages"]
    assert len(passages) == 3 and any("50%" in p["text"] for p in passages)
    answer = results["ask"].structured_content
    assert answer["status"] == "grounded" and "Sources:" in answer["answer"]
    assert any("50%" in c["quote"] and c["document"] == "new-measures-20-cities" for c in answer["citations"])
    assert {"title", "publisher", "date", "url", "start", "end"} <= set(answer["citations"][0])
    assert "suzhou" in results["follow"].structured_content["standalone_query"].lower()
    assert len(results["documents"].structured_content["documents"]) == 5
    assert results["bad"].is_error and "empty" in results["bad"].content[0].text


def test_mcp_over_stdio(built_settings):
    from mcp import Client, StdioServerParameters

    env = cli_env(built_settings, POLICYQA_BACKEND="extractive")
    params = StdioServerParameters(command=sys.executable, args=["-m", "policyqa.cli", "mcp"], env=env)

    async def run():
        async with Client(params, read_timeout_seconds=120) as client:
            return await exercise(client)

    check(asyncio.run(run()))


def test_mcp_over_streamable_http(assistant):
    from mcp import Client

    from api.mcp_server import create_mcp

    with serving(create_mcp(assistant).streamable_http_app()) as url:

        async def run():
            async with Client(f"{url}/mcp", read_timeout_seconds=120) as client:
                return await exercise(client)

        check(asyncio.run(run()))
