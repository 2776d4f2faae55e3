"""PolicyQA's chat page (Gradio 6): layout and event wiring.

`build_app(assistant, settings)` returns the Blocks; `launch(app, settings)` starts it
with the safe defaults (loopback, optional login, no share link, bounded queue,
upload size limit); `main()` is `policyqa serve` without the CLI. Rendering, uploads
and saved conversations live in `webui/`, the ratings log in `assistant/feedback.py`;
the answers come from `assistant.Assistant`.

Per-session state is one plain dict (`new_session()`): the messages shown, the turns
sent back as history for follow-ups, the finished answers by message index (for
thumbs up/down), and the saved conversation it is (webui/history.py: saved per signed-in
user, else per browser). The chatbot is output-only, so API clients send just the question.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time
from pathlib import Path
from typing import Any

import gradio as gr

import policyqa  # noqa: F401  (offline environment before gradio is imported)
from assistant import Answer, Assistant, Delta, Evidence, Filters
from assistant.conversations import ConversationStore
from assistant.feedback import FeedbackLog, feedback_record
from index import collection
from index.uploads import UPLOADS_SUBDIR, read_limited
from policyqa.errors import InvalidQuestionError, PolicyQAError, StoreUnavailableError
from policyqa.settings import Settings
from webui import history, render
from webui.auth import parse_auth
from webui.theme import CSS, HEAD, theme

log = logging.getLogger(__name__)

BACKENDS = [
    ("Local model (llama.cpp)", "local"),
    ("OpenAI-compatible server", "openai"),
    ("Ollama", "ollama"),
    ("Evidence only (no LLM)", "extractive"),
]
_EXAMPLES_HEADING = re.compile(r"^#+\s*example questions\s*$", re.I)


def example_questions(settings: Settings) -> list[str]:
    """The example questions the page offers: from settings, else from the corpus folder's
    README ("## Example questions" and a bullet list), else none. The README is not indexed."""
    if settings.examples:
        return list(settings.examples)
    readme = next((p for p in sorted(settings.corpus_dir.glob("README*")) if p.is_file()), None)
    if readme is None:
        return []
    out, inside = [], False
    for line in readme.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("#"):
            inside = bool(_EXAMPLES_HEADING.match(line.strip()))
        elif inside and re.match(r"^\s*[-*]\s+\S", line):
            out.append(re.sub(r"^\s*[-*]\s+", "", line).strip())
    return out[:8]


UPLOAD_TYPES = [".md", ".txt", ".html", ".htm", ".pdf", ".docx"]
STREAM_INTERVAL = 0.05  # seconds between streamed UI updates


def _busy() -> gr.Textbox:
    """The question box while an answer streams: empty, with a Stop button."""
    return gr.Textbox(value="", submit_btn=False, stop_btn=True)


def _idle(value: str | None = None) -> gr.Textbox:
    return (
        gr.Textbox(value=value, submit_btn="Ask", stop_btn=False)
        if value is not None
        else gr.Textbox(submit_btn="Ask", stop_btn=False)
    )


def _role(message) -> str:
    return message.get("role", "") if isinstance(message, dict) else getattr(message, "role", "")


def _text(message) -> str:
    """A chatbot message's text, whether content is a string or a list of parts."""
    content = message.get("content") if isinstance(message, dict) else getattr(message, "content", "")
    if isinstance(content, list):
        return "".join(p.get("text", "") if isinstance(p, dict) else str(getattr(p, "text", "")) for p in content)
    return str(content or "")


def new_session(owner: str | None = None) -> dict:
    return {"messages": [], "turns": [], "answers": {}, "conversation_id": None, "owner": owner}


def parse_date(value: Any, label: str) -> dt.date | None:
    """The date pickers send strings (or timestamps); blank means no limit."""
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(value, dt.UTC).date()
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise gr.Error(f"{label} date {text[:30]!r} is not a date (yyyy-mm-dd)") from None


def make_filters(publishers, documents, date_from, date_to, languages=()) -> Filters:
    start, end = parse_date(date_from, "From"), parse_date(date_to, "To")
    if start and end and start > end:
        raise gr.Error("The From date is after the To date")
    return Filters(
        publishers=publishers or (), doc_ids=documents or (), languages=languages or (), date_from=start, date_to=end
    )


def filter_dropdown(choices, what: str) -> gr.Dropdown:
    """A multi-select filter over the collection's `what` (publishers, documents, languages)."""
    return gr.Dropdown(choices, value=[], multiselect=True, label=f"Only these {what}", elem_id=f"pqa-{what}")


class ChatApp:
    """The event handlers; one instance per app, shared by all sessions (stateless
    apart from the assistant, which is thread-safe, and the append-only feedback log)."""

    def __init__(self, assistant: Assistant, settings: Settings):
        self.assistant = assistant
        self.settings = settings
        self.feedback = FeedbackLog(settings.feedback_file)
        self._preload_lock = threading.Lock()
        try:
            self.conversations: ConversationStore | None = ConversationStore.in_data_dir(settings.data_dir)
        except StoreUnavailableError as exc:  # chat still works; nothing is saved
            log.warning("conversations are not saved: %s", exc)
            self.conversations = None

    # -- chat -------------------------------------------------------------------------
    def respond(self, question, backend, top_k, publishers, documents, languages, date_from, date_to, session):
        """Stream one exchange. Yields (chatbot, session, question box, answer JSON)."""
        session = session or new_session()
        question = (question or "").strip()
        if not question:
            gr.Warning("Type a question first.")
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        filters = make_filters(publishers, documents, date_from, date_to, languages)
        backend = backend or self.settings.backend
        shown = session["messages"] + [{"role": "user", "content": render.question_html(question)}]
        yield shown + [{"role": "assistant", "content": render.pending_html(None)}], gr.skip(), _busy(), gr.skip()

        evidence, text, answer, last = None, "", None, 0.0
        try:
            for event in self.assistant.stream(question, session["turns"], filters, int(top_k), backend):
                if isinstance(event, Evidence):
                    evidence = event
                elif isinstance(event, Delta):
                    text += event.text
                    if time.monotonic() - last < STREAM_INTERVAL:
                        continue
                elif isinstance(event, Answer):
                    answer = event
                    break
                last = time.monotonic()
                pending = {"role": "assistant", "content": render.pending_html(evidence, text)}
                yield shown + [pending], gr.skip(), gr.skip(), gr.skip()
        except InvalidQuestionError as exc:
            gr.Warning(str(exc))
            yield session["messages"], gr.skip(), _idle(question), gr.skip()
            return
        except Exception as exc:  # show it in the chat; the conversation so far is kept
            log.exception("answering failed")
            message = str(exc) if isinstance(exc, PolicyQAError) else f"{type(exc).__name__}: {exc}"
            shown = shown + [{"role": "assistant", "content": render.error_html(f"Could not answer: {message}")}]
            yield shown, {**session, "messages": shown}, _idle(), gr.skip()
            return
        if answer is None:
            shown = shown + [
                {"role": "assistant", "content": render.error_html("The answer stream ended without an answer.")}
            ]
            yield shown, {**session, "messages": shown}, _idle(), gr.skip()
            return

        shown = shown + [{"role": "assistant", "content": render.answer_html(answer)}]
        record = history.answer_record(answer, int(top_k), filters, session["turns"])
        new = {
            **session,
            "messages": shown,
            "turns": session["turns"]
            + [{"role": "user", "content": question}, {"role": "assistant", "content": answer.text}],
            "answers": {**session["answers"], str(len(shown) - 1): record},
        }
        new["conversation_id"] = self._save(new, answer, filters)
        yield shown, new, _idle(), record["answer"]

    def ask_example(self, sample, backend, top_k, publishers, documents, languages, date_from, date_to, session):
        question = sample[0] if isinstance(sample, (list, tuple)) else sample
        yield from self.respond(question, backend, top_k, publishers, documents, languages, date_from, date_to, session)

    def stopped(self, chat, session):
        """Stop pressed: keep the question on screen, marked as stopped; not in history."""
        session = session or new_session()
        shown = list(session["messages"])
        asked = (chat or [])[len(shown) : len(shown) + 1]
        if asked and _role(asked[0]) == "user":
            shown += [
                {"role": "user", "content": _text(asked[0])},
                {"role": "assistant", "content": render.stopped_html()},
            ]
        return shown, {**session, "messages": shown}, _idle()

    def new_chat(self, session=None):
        return [], new_session((session or {}).get("owner")), None, ""

    # -- saved conversations (webui/history.py) ----------------------------------------
    def _save(self, session: dict, answer: Answer, filters: Filters) -> str | None:
        """Save a finished exchange in the session's conversation (created on the first)."""
        owner, conversation_id = session.get("owner"), session.get("conversation_id")
        if self.conversations is None or owner is None:
            return conversation_id
        try:
            if conversation_id is None:
                conversation_id = self.conversations.create(owner, filters=filters).id
            self.conversations.append(conversation_id, owner, answer)
        except PolicyQAError as exc:
            gr.Warning(f"The conversation was not saved: {exc}")
        return conversation_id

    def identify(self, browser_id, session, request: gr.Request):
        """On page load: the owner (signed-in user, else this browser's id) and their list."""
        browser_id = browser_id or history.new_browser_id()
        owner = history.owner_of(getattr(request, "username", None), browser_id)
        session = {**(session or new_session()), "owner": owner}
        return browser_id, session, self.conversation_list(session)

    def conversation_list(self, session, search: str = ""):
        store, owner = self.conversations, (session or {}).get("owner")
        current = (session or {}).get("conversation_id")
        listed = history.choices(store, owner, search) if store is not None else []
        return gr.Radio(choices=listed, value=current if current in {v for _, v in listed} else None)

    def open_conversation(self, conversation_id, top_k, session):
        session = session or new_session()
        if not conversation_id or self.conversations is None or session.get("owner") is None:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        try:
            saved = self.conversations.get(conversation_id, session["owner"])
        except PolicyQAError as exc:
            gr.Warning(str(exc))
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        reopened = {**history.session_of(saved, int(top_k)), "owner": session["owner"]}
        last = saved.answers[-1].model_dump(mode="json") if saved.answers else None
        return reopened["messages"], reopened, last, ""

    def _current(self, session) -> tuple[str, str] | None:
        """(conversation id, owner) of the session's saved conversation, if it has one."""
        conversation_id, owner = (session or {}).get("conversation_id"), (session or {}).get("owner")
        return (conversation_id, owner) if conversation_id and owner and self.conversations is not None else None

    def rename_conversation(self, title, session):
        current = self._current(session)
        if current is None:
            gr.Warning("Ask a question first: there is no saved conversation to rename.")
            return gr.skip()
        try:
            self.conversations.rename(*current, title or "")
        except (PolicyQAError, ValueError) as exc:
            gr.Warning(str(exc))
            return gr.skip()
        return ""

    def delete_conversation(self, session):
        current = self._current(session)
        if current is not None:
            try:
                self.conversations.delete(*current)
            except PolicyQAError as exc:
                gr.Warning(str(exc))
        return self.new_chat(session)

    def export_conversation(self, kind: str, session):
        current = self._current(session)
        if current is None:
            gr.Warning("Ask a question first: there is no saved conversation to export.")
            return gr.skip()
        try:
            return gr.File(value=str(history.export_file(self.conversations.get(*current), kind)))
        except PolicyQAError as exc:
            gr.Warning(str(exc))
            return gr.skip()

    def like(self, session, data: gr.LikeData):
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        record = (session or {}).get("answers", {}).get(str(index))
        if record is None:
            return
        answer = Answer.model_validate(record["answer"])
        rated = feedback_record(
            answer,
            data.liked,
            top_k=record["top_k"],
            filters=record["filters"],
            history=record.get("history", []),
            owner=session.get("owner"),
        )
        self.feedback.append(rated)
        gr.Info("Thanks, your rating was saved; add a comment in the Feedback tab.")

    # -- feedback -----------------------------------------------------------------------
    def feedback_views(self, session, picked: str | None = None):
        """The session owner's rated answers (table and picker), newest first."""
        ratings = self._ratings(session)
        keep = picked if picked in {r.id for r in ratings} else None
        return (
            render.rating_rows(ratings),
            gr.Dropdown(choices=render.rating_choices(ratings), value=keep),
        )

    def _ratings(self, session):
        owner = (session or {}).get("owner")
        return self.feedback.ratings(owner) if owner is not None else []

    def pick_rating(self, rating_id, session):
        """The picked rating's comment, to edit."""
        found = [r for r in self._ratings(session) if r.id == rating_id]
        return found[0].comment if found else ""

    def save_comment(self, rating_id, text, session):
        if not rating_id:
            gr.Warning("Pick a rated answer first.")
            return gr.skip(), gr.skip()
        try:
            self.feedback.comment(rating_id, (session or {}).get("owner"), text or "")
        except KeyError:
            gr.Warning("That rating is not one of yours.")
            return gr.skip(), gr.skip()
        gr.Info("Comment saved.")
        return self.feedback_views(session, rating_id)

    # -- status -----------------------------------------------------------------------
    def status(self, backend: str | None = None):
        backend = backend or self.settings.backend
        generator = self.assistant.generator_status(backend)
        try:
            info = self.assistant.status()
        except PolicyQAError as exc:
            return f'<div class="pqa-status">{render.esc(exc)}</div>', gr.Timer(active=False)
        loading = generator.endswith("loading…")
        return render.status_html(info, generator), gr.Timer(active=loading)

    def choose_backend(self, backend: str):
        """Start loading a backend's model in the background, so the next answer uses it
        as soon as it is ready and evidence-only answers flow meanwhile."""
        with self._preload_lock:
            status = self.assistant.generator_status(backend)
            if backend != "extractive" and status.endswith("not loaded"):
                self.assistant.preload(backend)
        return self.status(backend)

    # -- corpus -----------------------------------------------------------------------
    def filter_choices(self) -> tuple[list[str], list[tuple[str, str]], list[str]]:
        """Publishers, documents (label, id) and languages of the indexed collection."""
        docs = sorted(self.assistant.snapshot.documents.values(), key=lambda d: d.id)
        publishers = sorted({d.publisher for d in docs if d.publisher})
        languages = sorted({d.language for d in docs if d.language})
        return publishers, [(f"{d.title} ({d.id})" if d.title else d.id, d.id) for d in docs], languages

    def corpus_views(self):
        publishers, documents, languages = self.filter_choices()
        return (
            render.document_rows(self.assistant.snapshot),
            gr.Dropdown(choices=publishers),
            gr.Dropdown(choices=documents),
            gr.Dropdown(choices=languages),
            gr.Dropdown(choices=documents, value=None),
        )

    # -- documents users manage (index/manage.py) ----------------------------------------
    def show_document(self, doc_id):
        doc = self.assistant.snapshot.documents.get(doc_id or "")
        return doc.text if doc is not None else ""

    def remove_document(self, doc_id, backend, progress=gr.Progress()):
        """Take a document out of the collection, rebuild, and check nothing of it is left."""
        if not doc_id:
            gr.Warning("Choose a document first.")
            return (gr.skip(),) * 8
        try:
            change = collection.remove(self.settings, doc_id, self.assistant.snapshot, _progress(progress))
        except PolicyQAError as exc:
            gr.Warning(str(exc))
            return (gr.skip(),) * 8
        return ("\n".join(change.lines()), *self.corpus_views(), self.status(backend)[0], "")

    def replace_document(self, doc_id, file, backend, progress=gr.Progress()):
        """Put an uploaded file in place of a document's (same type), then rebuild."""
        path = Path(file if isinstance(file, str) else getattr(file, "name", "")) if file else None
        if not doc_id or path is None:
            gr.Warning("Choose a document and the file to replace it with.")
            return (gr.skip(),) * 9
        try:
            data = read_limited(path, collection.max_upload_bytes(self.settings))
            change = collection.replace(
                self.settings, doc_id, path.name, data, self.assistant.snapshot, _progress(progress)
            )
        except (PolicyQAError, OSError) as exc:
            gr.Warning(f"Not replaced: {exc}")
            return (gr.skip(),) * 9
        return ("\n".join(change.lines()), *self.corpus_views(), self.status(backend)[0], "", None)

    def add_documents(self, files, backend, progress=gr.Progress()):
        """Check and store uploads under <corpus>/uploads, then re-index incrementally."""
        paths = [Path(f if isinstance(f, str) else getattr(f, "name", f)) for f in (files or [])]
        if not paths:
            gr.Warning("Choose one or more files first (.md, .txt, .html, .pdf, .docx).")
            return (gr.skip(),) * 8
        change = collection.add(
            self.settings, [(p.name, p) for p in paths], self.assistant.snapshot, _progress(progress)
        )
        return ("\n".join(change.lines()), *self.corpus_views(), self.status(backend)[0], None)

    def reindex(self, backend, progress=gr.Progress()):
        change = collection.rebuild(self.settings, _progress(progress))
        return ("\n".join(change.lines()), *self.corpus_views(), self.status(backend)[0], gr.skip())


def _progress(progress: gr.Progress):
    """A build's progress callback that moves the page's progress bar."""
    progress(0, desc="Reading the corpus…")

    def on_progress(stage: str, done: int, total: int) -> None:
        if total > 0:
            progress((done, total), desc=stage, unit="chunks")

    return on_progress


def build_app(assistant: Assistant, settings: Settings) -> gr.Blocks:
    ui = ChatApp(assistant, settings)
    status_now, _ = ui.status()
    publisher_choices, document_choices, language_choices = ui.filter_choices()

    with gr.Blocks(title="PolicyQA", analytics_enabled=False) as app:
        session = gr.State(new_session())
        browser_id = gr.BrowserState("", storage_key="pqa-browser-id")
        gr.HTML(
            '<div id="pqa-header"><h1>PolicyQA</h1><span class="pqa-tagline">Answers from your policy '
            "articles, every claim cited to the exact passage.</span></div>",
            padding=False,
        )
        status = gr.HTML(status_now, elem_id="pqa-status", label="Status", padding=False)
        timer = gr.Timer(2.0, active="loading" in assistant.generator_status())

        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=4, min_width=420):
                        chatbot = gr.Chatbot(
                            elem_id="pqa-chat",
                            label="Conversation",
                            show_label=False,
                            height=620,
                            render_markdown=False,  # corpus text is never Markdown
                            sanitize_html=True,  # second lock behind render.esc
                            allow_tags=False,
                            latex_delimiters=[],
                            feedback_options=("Like", "Dislike"),
                            buttons=["copy"],
                            layout="panel",
                            placeholder=(
                                "<b>Ask a question about the policy articles.</b><br>"
                                "Answers cite their sources as [n]: click one to see the passage, "
                                "with the supporting sentence highlighted."
                            ),
                        )
                        question = gr.Textbox(
                            elem_id="pqa-question",
                            label="Question",
                            placeholder="Ask about the documents",
                            show_label=False,
                            lines=1,
                            max_lines=4,
                            submit_btn="Ask",
                            stop_btn=False,
                            autofocus=True,
                        )
                        examples = gr.Dataset(
                            components=[gr.Textbox(visible=False)],
                            samples=[[q] for q in example_questions(settings)] or [[""]],
                            visible=bool(example_questions(settings)),
                            label="Example questions",
                            elem_id="pqa-examples",
                            type="values",
                        )
                    with gr.Column(scale=1, min_width=260, elem_id="pqa-side"):
                        new_chat = gr.Button("New chat", variant="secondary", elem_id="pqa-new-chat", icon=None)
                        with gr.Accordion("Conversations", open=True, elem_id="pqa-conversations-panel"):
                            conversation_search = gr.Textbox(
                                placeholder="Search conversations",
                                show_label=False,
                                lines=1,
                                elem_id="pqa-conversation-search",
                            )
                            conversation_list = gr.Radio(
                                [], label="Saved", show_label=False, elem_id="pqa-conversations"
                            )
                            with gr.Row():
                                conversation_title = gr.Textbox(
                                    placeholder="New title", show_label=False, lines=1, elem_id="pqa-conversation-title"
                                )
                                rename = gr.Button("Rename", size="sm", elem_id="pqa-conversation-rename")
                            with gr.Row():
                                export_md = gr.Button("Markdown", size="sm", elem_id="pqa-export-md")
                                export_json = gr.Button("JSON", size="sm", elem_id="pqa-export-json")
                                delete = gr.Button(
                                    "Delete", size="sm", variant="stop", elem_id="pqa-conversation-delete"
                                )
                            exported = gr.File(label="Export", interactive=False, elem_id="pqa-export-file")
                        with gr.Accordion("Settings", open=True):
                            backend = gr.Dropdown(
                                BACKENDS, value=settings.backend, label="Answer generator", elem_id="pqa-backend"
                            )
                            top_k = gr.Slider(
                                1,
                                10,
                                value=settings.top_k,
                                step=1,
                                label="Passages to use (top-k)",
                                elem_id="pqa-top-k",
                            )
                            publishers = filter_dropdown(publisher_choices, "publishers")
                            documents = filter_dropdown(document_choices, "documents")
                            languages = filter_dropdown(language_choices, "languages")
                            with gr.Row():
                                date_from = gr.DateTime(
                                    "", label="Dated from", include_time=False, type="string", elem_id="pqa-date-from"
                                )
                                date_to = gr.DateTime(
                                    "", label="Dated to", include_time=False, type="string", elem_id="pqa-date-to"
                                )
                            gr.HTML(
                                '<div class="pqa-side-note">Filters narrow the search; documents without '
                                "a date are left out by a date filter.</div>",
                                padding=False,
                            )
                answer_json = gr.JSON(visible=False, label="Last answer")

            with gr.Tab("Corpus", id="corpus"):
                gr.HTML(
                    '<div class="pqa-side-note">Indexed documents. Add .md, .txt, .html, .pdf or .docx files '
                    f"(up to {settings.max_upload_mb:g} MB each, UTF-8 text, real PDFs or Word documents); they are stored "
                    f"in the corpus folder under <code>{UPLOADS_SUBDIR}/</code> and indexed "
                    "incrementally.</div>",
                    padding=False,
                )
                doc_table = gr.Dataframe(
                    value=render.document_rows(assistant.snapshot),
                    headers=["id", "title", "publisher", "date", "language", "chunks", "file"],
                    datatype=["str", "str", "str", "str", "str", "number", "str"],
                    interactive=False,
                    wrap=True,
                    column_widths=["18%", "34%", "13%", "10%", "6%", "6%", "13%"],
                    elem_id="pqa-documents-table",
                    label="Documents",
                    show_label=False,
                )
                with gr.Row():
                    upload = gr.File(
                        label="Add documents",
                        file_count="multiple",
                        file_types=UPLOAD_TYPES,
                        type="filepath",
                        elem_id="pqa-upload",
                        scale=3,
                    )
                    with gr.Column(scale=1, min_width=220):
                        add = gr.Button("Add and re-index", variant="primary", elem_id="pqa-add")
                        reindex = gr.Button("Re-index the corpus folder", elem_id="pqa-reindex")
                with gr.Row():
                    with gr.Column(scale=3):
                        doc_pick = gr.Dropdown(
                            document_choices, value=None, label="Open a document", elem_id="pqa-doc-pick"
                        )
                        doc_text = gr.Textbox(
                            label="Its cleaned text (what is indexed)",
                            lines=8,
                            max_lines=20,
                            interactive=False,
                            elem_id="pqa-doc-text",
                        )
                    with gr.Column(scale=1, min_width=220):
                        remove_doc = gr.Button("Remove it and re-index", variant="stop", elem_id="pqa-doc-remove")
                        replacement = gr.File(
                            label="Replace it with",
                            file_count="single",
                            file_types=UPLOAD_TYPES,
                            type="filepath",
                            elem_id="pqa-doc-replacement",
                        )
                        replace_doc = gr.Button("Replace and re-index", elem_id="pqa-doc-replace")
                build_log = gr.Textbox(label="Index build", lines=6, interactive=False, elem_id="pqa-build-log")

            with gr.Tab("Feedback", id="feedback") as feedback_tab:
                gr.HTML(
                    '<div class="pqa-side-note">The answers you rated. Say in a comment what was wrong '
                    "or missing: thumbs-down answers are reviewed into release tests "
                    "(<code>policyqa eval from-feedback</code>).</div>",
                    padding=False,
                )
                rating_table = gr.Dataframe(
                    value=[],
                    headers=["when", "rating", "question", "answer", "sources", "comment"],
                    datatype=["str"] * 6,
                    interactive=False,
                    wrap=True,
                    column_widths=["10%", "6%", "20%", "30%", "20%", "14%"],
                    elem_id="pqa-ratings-table",
                    label="Rated answers",
                    show_label=False,
                )
                with gr.Row():
                    rating_pick = gr.Dropdown([], value=None, label="Rated answer", elem_id="pqa-rating-pick", scale=2)
                    rating_comment = gr.Textbox(
                        label="Comment", lines=2, max_lines=6, elem_id="pqa-rating-comment", scale=3
                    )
                    save_comment = gr.Button("Save comment", elem_id="pqa-rating-save", scale=1)

        # -- wiring ---------------------------------------------------------------------
        chat_inputs = [question, backend, top_k, publishers, documents, languages, date_from, date_to, session]
        chat_outputs = [chatbot, session, question, answer_json]
        answering = dict(concurrency_limit=settings.concurrency, concurrency_id="answer")
        asked = question.submit(ui.respond, chat_inputs, chat_outputs, api_name="ask", **answering)
        picked = examples.click(
            ui.ask_example, [examples, *chat_inputs[1:]], chat_outputs, api_visibility="private", **answering
        )
        question.stop(
            ui.stopped,
            [chatbot, session],
            [chatbot, session, question],
            cancels=[asked, picked],
            api_visibility="private",
            queue=False,
        )
        private = dict(api_visibility="private", concurrency_limit=None)
        listing = ([session, conversation_search], [conversation_list])
        for event in (asked, picked):
            event.then(ui.status, [backend], [status, timer], **private)
            event.then(ui.conversation_list, *listing, **private)
        cleared = [chatbot, session, answer_json, question]
        new_chat.click(ui.new_chat, [session], cleared, api_name="new_chat", concurrency_limit=None).then(
            ui.conversation_list, *listing, **private
        )
        chatbot.clear(ui.new_chat, [session], cleared, **private).then(ui.conversation_list, *listing, **private)
        conversation_list.input(ui.open_conversation, [conversation_list, top_k, session], cleared, **private)
        conversation_search.change(ui.conversation_list, *listing, **private)
        rename.click(ui.rename_conversation, [conversation_title, session], [conversation_title], **private).then(
            ui.conversation_list, *listing, **private
        )
        delete.click(ui.delete_conversation, [session], cleared, **private).then(
            ui.conversation_list, *listing, **private
        )
        export_md.click(lambda s: ui.export_conversation("markdown", s), [session], [exported], **private)
        export_json.click(lambda s: ui.export_conversation("json", s), [session], [exported], **private)
        app.load(ui.identify, [browser_id, session], [browser_id, session, conversation_list], **private)
        feedback_views = ([session, rating_pick], [rating_table, rating_pick])
        chatbot.like(ui.like, [session], None, **private).then(ui.feedback_views, *feedback_views, **private)
        feedback_tab.select(ui.feedback_views, *feedback_views, **private)
        rating_pick.input(ui.pick_rating, [rating_pick, session], [rating_comment], **private)
        save_comment.click(
            ui.save_comment, [rating_pick, rating_comment, session], [rating_table, rating_pick], **private
        )
        backend.change(ui.choose_backend, [backend], [status, timer], api_visibility="private", concurrency_limit=None)
        timer.tick(ui.status, [backend], [status, timer], api_visibility="private", concurrency_limit=None)

        # Fresh status and corpus lists for every page load (the values built into the
        # page are from start-up; the model may have loaded or documents been added since).
        app.load(ui.status, [backend], [status, timer], api_visibility="private", concurrency_limit=None)
        app.load(
            ui.corpus_views,
            None,
            [doc_table, publishers, documents, languages, doc_pick],
            api_visibility="private",
            concurrency_limit=None,
        )

        corpus_outputs = [build_log, doc_table, publishers, documents, languages, doc_pick, status]
        indexing = dict(concurrency_limit=1, concurrency_id="index")
        add.click(ui.add_documents, [upload, backend], [*corpus_outputs, upload], api_name="add_documents", **indexing)
        reindex.click(ui.reindex, [backend], [*corpus_outputs, upload], api_name="reindex", **indexing)
        doc_pick.input(ui.show_document, [doc_pick], [doc_text], api_visibility="private", concurrency_limit=None)
        remove_doc.click(
            ui.remove_document, [doc_pick, backend], [*corpus_outputs, doc_text], api_name="remove_document", **indexing
        )
        replace_doc.click(
            ui.replace_document,
            [doc_pick, replacement, backend],
            [*corpus_outputs, doc_text, replacement],
            api_name="replace_document",
            **indexing,
        )

    app.queue(max_size=settings.queue_size, default_concurrency_limit=settings.concurrency)
    return app


def page_options(settings: Settings) -> dict[str, Any]:
    """The page's safe defaults (optional login, upload limit, no error details, no
    Gradio MCP or PWA), the same whether it is launched alone or mounted beside the APIs."""
    return dict(
        auth=parse_auth(settings.auth),
        auth_message="PolicyQA: sign in with a user from POLICYQA_AUTH.",
        max_file_size=int(settings.max_upload_mb * 1_000_000),
        show_error=False,
        ssr_mode=False,
        mcp_server=False,
        pwa=False,
        footer_links=["api", "settings"],
        theme=theme(),
        css=CSS,
        head=HEAD,
    )


def launch(app: gr.Blocks, settings: Settings, **overrides):
    """Start the page alone with PolicyQA's defaults (loopback, no share link); keyword
    arguments override them."""
    options = dict(server_name=settings.host, server_port=settings.port, share=False, **page_options(settings))
    options.update(overrides)
    return app.launch(**options)


def server_app(assistant: Assistant, settings: Settings, api_only: bool = False):
    """The ASGI app `policyqa serve` runs: the HTTP APIs (api/) with the chat page mounted
    at / on the same server, or the APIs alone."""
    from api import create_api

    server = create_api(assistant, settings)
    if api_only:
        return server
    return gr.mount_gradio_app(server, build_app(assistant, settings), path="/", **page_options(settings))


def ensure_index(settings: Settings) -> None:
    """Build the index if there is none yet (first run), or if another version of
    PolicyQA wrote it (an upgrade). An index that exists is brought up to date with its
    folder in the background instead (files added, changed or removed while nothing was
    serving): serving starts at once on the index as it is, and the assistant switches
    to the new generation whole when the build commits."""
    from index import build_index
    from index.snapshot import read_current
    from policyqa.errors import IndexFormatError

    try:
        if read_current(settings.index_dir) is not None:
            threading.Thread(target=_catch_up, args=(settings,), name="policyqa-catch-up", daemon=True).start()
            return
        why = "no index yet"
    except IndexFormatError:
        why = "the index was written by another version of PolicyQA"
    from index.progress import progress_bar

    print(f"{why}: indexing {settings.corpus_dir} (once)", flush=True)
    print(build_index(settings, progress=progress_bar()).summary(), flush=True)


def _catch_up(settings: Settings) -> None:
    """An incremental build of the served folder; a no-op, after one read of the folder,
    when nothing changed. It speaks on stderr: over MCP's stdio, stdout is the protocol."""
    import sys

    from index import build_index

    try:
        report = build_index(settings)
    except PolicyQAError as exc:
        print(f"warning: the index was not brought up to date with {settings.corpus_dir}: {exc}", file=sys.stderr)
        return
    if report.changed:
        print(f"{settings.corpus_dir} changed since the last build: {report.summary()}", file=sys.stderr)


def serve(settings: Settings, api_only: bool = False) -> None:
    """Index if needed, load the assistant (the generator loads in the background: the
    page answers evidence-only, and the API says 503, until it is ready), then serve the
    page and the APIs until interrupted."""
    import uvicorn

    from api.auth import check_exposure, is_loopback

    parse_auth(settings.auth)  # a bad POLICYQA_AUTH fails before anything loads
    check_exposure(settings)  # so does an API open beyond loopback
    if not api_only and not settings.auth and not is_loopback(settings.host):
        print(
            f"warning: the chat page on {settings.host} has no login; anyone who reaches it can ask "
            "(set POLICYQA_AUTH=user:password)",
            flush=True,
        )
    ensure_index(settings)
    # Printed before the model starts loading: llama.cpp silences the process's stdout
    # and stderr while it loads, which would swallow this line from another thread.
    loading = ", loading in the background" if settings.backend != "extractive" else ""
    url = f"http://{settings.host}:{settings.port}"
    page = "" if api_only else f"PolicyQA on {url} ({'login required' if settings.auth else 'no login'}); "
    print(
        f"{page}API at {url}/v1 (OpenAI-compatible; docs at {url}/docs; "
        f"{'key required' if settings.api_key else 'no key'}); documents from {settings.corpus_dir}; "
        f"answer generator: {settings.backend}{loading}. "
        "Ctrl-C stops.",
        flush=True,
    )
    assistant = Assistant(settings, background=True)
    uvicorn.run(server_app(assistant, settings, api_only), host=settings.host, port=settings.port, log_level="warning")


def main() -> None:
    import sys

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        serve(Settings())
    except PolicyQAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
