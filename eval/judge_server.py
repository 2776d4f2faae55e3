"""The local judge's server: llama-cpp-python's OpenAI-compatible server, its model
loaded with the local backend's checked-first grammar sampling
(assistant/generation/grammar_sampling.py).

ragas asks the judge for JSON at temperature 0, and the server compiles the JSON schema
into a grammar, which stock llama-cpp-python checks over the whole vocabulary at every
token. Checked on the best candidates first, the replies are the same tokens, sooner.
Run as `python -m eval.judge_server` with `python -m llama_cpp.server`'s arguments.
"""

from __future__ import annotations


def main() -> None:
    import llama_cpp
    from llama_cpp.server.__main__ import main as serve

    from assistant.generation.grammar_sampling import checked_first_llama

    llama_cpp.Llama = checked_first_llama()  # the server creates its model as llama_cpp.Llama(...)
    serve()


if __name__ == "__main__":
    main()
