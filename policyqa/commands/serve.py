"""`policyqa serve`: the chat app on http://127.0.0.1:7860 (host and port are settings)."""

from __future__ import annotations

from pathlib import Path

from policyqa.settings import Settings

BACKENDS = ["local", "openai", "ollama", "extractive"]


def register(sub) -> None:
    serve = sub.add_parser(
        "serve",
        help="start the chat app (indexes the corpus first if there is no index)",
        description="Start the Gradio chat app. The page answers evidence-only while the "
        "generator model loads in the background. Login: set POLICYQA_AUTH=user:password[,user2:password2].",
    )
    serve.add_argument("--host", help="interface to bind (default: POLICYQA_HOST, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: POLICYQA_PORT, 7860)")
    serve.add_argument("--backend", choices=BACKENDS, help="default answer generator (default: POLICYQA_BACKEND)")
    serve.add_argument("--corpus", type=Path, help="corpus folder (default: POLICYQA_CORPUS_DIR)")
    serve.set_defaults(handler=run_serve)


def run_serve(args, settings: Settings) -> int:
    import app

    settings = settings.override(host=args.host, port=args.port, backend=args.backend, corpus_dir=args.corpus)
    app.serve(settings)
    return 0
