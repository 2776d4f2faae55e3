"""HTTP APIs over the assistant: OpenAI-compatible chat, REST, bearer-key auth.
Start reading at `server.py`."""

from api.server import create_api

__all__ = ["create_api"]
