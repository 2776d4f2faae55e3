"""Query side: retrieve, answer, cite, converse. Start reading at `api.py`."""

from assistant.api import Assistant, Chat
from assistant.types import Answer, Citation, Delta, Evidence, Filters, Passage, Quote, Turn

__all__ = ["Answer", "Assistant", "Chat", "Citation", "Delta", "Evidence", "Filters", "Passage", "Quote", "Turn"]
