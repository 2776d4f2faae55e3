"""`policyqa ask|retrieve|chat`: the Python API from a terminal."""

from __future__ import annotations

import sys
import textwrap

from policyqa.commands import add_corpus_option
from policyqa.settings import Settings

BACKENDS = ["local", "openai", "ollama", "extractive"]


def _common(parser) -> None:
    add_corpus_option(parser)
    parser.add_argument("--backend", choices=BACKENDS, help="answer generator (default: POLICYQA_BACKEND)")
    parser.add_argument("--top-k", type=int, help="passages to use")
    parser.add_argument("--doc", action="append", default=[], help="only this document id (repeatable)")
    parser.add_argument("--publisher", action="append", default=[], help="only this publisher (repeatable)")
    parser.add_argument("--date-from", help="only documents dated on/after yyyy-mm-dd")
    parser.add_argument("--date-to", help="only documents dated on/before yyyy-mm-dd")


def register(sub) -> None:
    ask = sub.add_parser("ask", help="answer one question with citations")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print the Answer as JSON")
    _common(ask)
    ask.set_defaults(handler=run_ask)
    retrieve = sub.add_parser("retrieve", help="show the ranked passages for a question")
    retrieve.add_argument("question")
    retrieve.add_argument("--json", action="store_true")
    _common(retrieve)
    retrieve.set_defaults(handler=run_retrieve)
    chat = sub.add_parser("chat", help="a terminal chat with history (Ctrl-D to quit)")
    _common(chat)
    chat.set_defaults(handler=run_chat)


def _filters(args):
    from assistant.types import Filters

    return Filters(doc_ids=args.doc, publishers=args.publisher, date_from=args.date_from, date_to=args.date_to)


def _assistant(args, settings: Settings):
    from assistant import Assistant

    settings = settings.override(backend=args.backend, top_k=args.top_k)
    return Assistant(settings)


def render_answer(answer) -> str:
    lines = [textwrap.fill(answer.text, 100)]
    if answer.refused:
        lines.append(
            "(not answered from the corpus" + (f": {answer.fallback_reason})" if answer.fallback_reason else ")")
        )
    elif answer.fallback_reason:
        lines.append(f"(note: {answer.fallback_reason})")
    for citation in answer.citations:
        p = citation.passage
        lines.append(f"\n[{citation.marker}] {p.byline}  ({p.doc_id}, chars {p.start}-{p.end})")
        for quote in citation.quotes or []:
            lines.append(textwrap.indent(textwrap.fill(f"“{quote.text}”", 96), "    "))
    return "\n".join(lines)


def run_ask(args, settings: Settings) -> int:
    from assistant.types import Answer, Delta

    assistant = _assistant(args, settings)
    answer = None
    for event in assistant.stream(args.question, filters=_filters(args)):
        if isinstance(event, Answer):
            answer = event
        elif isinstance(event, Delta) and not args.json and sys.stderr.isatty():
            print(event.text, end="", file=sys.stderr, flush=True)
    if sys.stderr.isatty() and not args.json:
        print("\r\033[K", end="", file=sys.stderr)
    print(answer.model_dump_json(indent=2) if args.json else render_answer(answer))
    return 0 if answer.grounded else 1


def run_retrieve(args, settings: Settings) -> int:
    import json

    assistant = _assistant(args, settings.override(backend="extractive"))
    from assistant import policy

    analysis, found = assistant.search(args.question, filters=_filters(args), top_k=args.top_k)
    decision = policy.before(analysis, found.passages, found.strength, assistant.settings)
    if args.json:
        print(
            json.dumps(
                {
                    "query": analysis.search_text,
                    "yes_no": analysis.yes_no,
                    "kind": analysis.kind,
                    "strength": found.strength,
                    "answerable": decision.answer,
                    "refusal": decision.reason,
                    "passages": [p.model_dump() for p in found.passages],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return 0
    kind = "yes/no" if analysis.yes_no else analysis.kind
    print(
        f"query: {analysis.search_text} ({kind})\nevidence: {found.strength:.3f} "
        f"({'answerable' if decision.answer else decision.reason})"
    )
    for n, p in enumerate(found.passages, 1):
        scores = " ".join(f"{k}={v:.3f}" for k, v in p.scores.items())
        print(f"\n{n}. score={p.score:.3f} {scores}\n   {p.byline} ({p.doc_id} {p.start}-{p.end})")
        print(textwrap.indent(textwrap.fill(p.text, 96), "   "))
    return 0


def run_chat(args, settings: Settings) -> int:
    from assistant.types import Answer, Delta

    assistant = _assistant(args, settings)
    chat = assistant.chat(filters=_filters(args))
    print(
        f"PolicyQA chat over {len(assistant.snapshot.documents)} documents ({assistant.generator_status()}). "
        "Empty line or Ctrl-D quits; /new starts over."
    )
    while True:
        try:
            question = input("\nyou> ").strip()
        except EOFError:
            print()
            return 0
        if not question:
            return 0
        if question == "/new":
            chat.reset()
            continue
        from policyqa.errors import InvalidQuestionError

        try:
            answer = None
            print("policyqa> ", end="", flush=True)
            for event in assistant.stream(question, chat.history, chat.filters):
                if isinstance(event, Delta):
                    print(event.text, end="", flush=True)
                elif isinstance(event, Answer):
                    answer = event
            print("\r\033[K" + render_answer(answer))
            chat.record(answer)
        except InvalidQuestionError as exc:
            print(f"\n{exc}")
