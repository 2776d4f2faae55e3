"""`policyqa mcp`: the corpus as MCP tools (search, ask, list_documents) for agents."""

from __future__ import annotations

import contextlib
import sys

from policyqa.commands import add_corpus_option
from policyqa.commands.serve import BACKENDS
from policyqa.settings import Settings


def register(sub) -> None:
    mcp = sub.add_parser(
        "mcp",
        help="serve the corpus as MCP tools (stdio; --http for streamable HTTP)",
        description="Serve the corpus to MCP clients: tools `search`, `ask` (verified answers with citations) "
        "and `list_documents`. Over stdio by default (the client starts this command); with --http, "
        "streamable HTTP at http://HOST:PORT/mcp, behind POLICYQA_API_KEY when it is set (required beyond loopback).",
    )
    mcp.add_argument("--http", action="store_true", help="serve streamable HTTP instead of stdio")
    mcp.add_argument("--host", help="interface for --http (default: POLICYQA_HOST, 127.0.0.1)")
    mcp.add_argument("--port", type=int, default=None, help="port for --http (default: 8765)")
    mcp.add_argument("--backend", choices=BACKENDS, help="answer generator (default: POLICYQA_BACKEND)")
    add_corpus_option(mcp)
    mcp.set_defaults(handler=run_mcp)


def run_mcp(args, settings: Settings) -> int:
    import uvicorn

    from api.auth import KeyCheck, all_keys, check_exposure
    from api.mcp_server import create_mcp
    from app import ensure_index
    from assistant import Assistant

    settings = settings.override(host=args.host, backend=args.backend)
    if args.http:
        check_exposure(settings)
    # Over stdio, stdout is the protocol: everything said while starting goes to stderr, and
    # the generator loads before the protocol starts (llama.cpp silences the process's
    # output while it loads).
    with contextlib.redirect_stdout(sys.stderr):
        ensure_index(settings)
        assistant = Assistant(settings)
    server = create_mcp(assistant)
    if not args.http:
        server.run("stdio")
        return 0
    port = args.port or 8765
    app = KeyCheck(all_keys(settings)).guard(server.streamable_http_app(host=settings.host))
    print(f"PolicyQA MCP server on http://{settings.host}:{port}/mcp (Ctrl-C stops)", file=sys.stderr, flush=True)
    uvicorn.run(app, host=settings.host, port=port, log_level="warning")
    return 0
