"""Keep every library off the network before any of them is imported.

These machines reach only package registries; each variable below closes a door a
library would otherwise open at run time (see ../shared/GUIDE.md, "Offline pitfalls").
"""

from __future__ import annotations

import os
from importlib.util import find_spec
from pathlib import Path

_FIXED = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "RAGAS_DO_NOT_TRACK": "true",
    "DO_NOT_TRACK": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "TRANSFORMERS_VERBOSITY": "error",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
}


def _tiktoken_cache() -> str | None:
    """llama-index ships tiktoken's encodings; point every tiktoken user at them."""
    spec = find_spec("llama_index.core")
    if spec is None or not spec.submodule_search_locations:
        return None
    cache = Path(list(spec.submodule_search_locations)[0]) / "_static" / "tiktoken_cache"
    return str(cache) if cache.is_dir() else None


def enforce() -> None:
    for key, value in _FIXED.items():
        os.environ.setdefault(key, value)
    if "TIKTOKEN_CACHE_DIR" not in os.environ:
        cache = _tiktoken_cache()
        if cache:
            os.environ["TIKTOKEN_CACHE_DIR"] = cache
