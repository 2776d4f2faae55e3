"""`policyqa serve`: the chat app and the HTTP APIs on http://127.0.0.1:7860 (host and port
are settings); `--api-only` serves the APIs alone."""

from __future__ import annotations

from policyqa.commands import add_corpus_option
from policyqa.settings import Settings

BACKENDS = ["local", "openai", "ollama", "extractive"]


def register(sub) -> None:
    serve = sub.add_parser(
        "serve",
        help="start the chat app and the HTTP APIs (indexes the corpus first if there is no index, "
        "else brings it up to date in the background)",
        description="Start the Gradio chat app at / and the HTTP APIs at /v1 (OpenAI-compatible chat, REST; "
        "docs at /docs) on one server. The page answers evidence-only while the generator model loads in the "
        "background. Login to the page: POLICYQA_AUTH=user:password[,user2:password2]; API keys: "
        "POLICYQA_API_KEY=key[,key2] (required when the server listens beyond loopback).",
    )
    serve.add_argument("--api-only", action="store_true", help="serve the HTTP APIs without the chat page")
    serve.add_argument("--host", help="interface to bind (default: POLICYQA_HOST, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: POLICYQA_PORT, 7860)")
    serve.add_argument("--backend", choices=BACKENDS, help="default answer generator (default: POLICYQA_BACKEND)")
    add_corpus_option(serve)
    serve.set_defaults(handler=run_serve)


def run_serve(args, settings: Settings) -> int:
    import app

    settings = settings.override(host=args.host, port=args.port, backend=args.backend)
    app.serve(settings, api_only=args.api_only)
    return 0
