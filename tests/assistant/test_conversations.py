"""Saved conversations: stored, listed, searched, reopened as shown, exported, per owner,
safe under concurrent writers and a killed writer."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import threading

import pytest

from assistant.conversations import SCHEMA_VERSION, ConversationStore, title_of, to_json, to_markdown
from assistant.types import Answer, Citation, Filters, Passage, Quote
from policyqa.errors import ConversationNotFoundError, StoreUnavailableError


def answer(question: str, text: str = "No. Foreign ownership is capped at 50% [1].") -> Answer:
    passage = Passage(
        chunk_id="c1",
        doc_id="d1",
        title="Opening telecoms",
        publisher="Xinhua",
        date="2025-04-10",
        url="https://example.org/a",
        text="Foreign ownership of VPN services is capped at 50%.",
        start=0,
        end=51,
        score=0.8,
    )
    quote = Quote(text=passage.text, start=0, end=51)
    return Answer(
        question=question,
        standalone_query=question,
        text=text,
        status="grounded",
        verdict="no",
        citations=[Citation(marker=1, passage=passage, quotes=[quote])],
        passages=[passage],
    )


@pytest.fixture
def store(tmp_path) -> ConversationStore:
    return ConversationStore.in_data_dir(tmp_path)


def test_a_conversation_reopens_exactly_as_it_was_shown(store):
    conversation = store.create("ann", filters=Filters(languages=["de"]))
    first = answer("Can I own 100% of a VPN service in Wuhan?")
    store.append(conversation.id, "ann", first)
    store.append(conversation.id, "ann", answer("And in Suzhou?", "No. The same cap applies [1]."))
    saved = store.get(conversation.id, "ann")
    assert saved.answers[0] == first and len(saved.answers) == 2
    assert saved.title == "Can I own 100% of a VPN service in Wuhan?"
    assert saved.filters == Filters(languages=["de"])
    assert [t.role for t in saved.history] == ["user", "assistant", "user", "assistant"]


def test_conversations_are_listed_newest_first_renamed_searched_and_deleted(store):
    older = store.create("ann")
    store.append(older.id, "ann", answer("How much annual leave can I carry over?", "240 hours [1]."))
    newer = store.create("ann")
    store.append(newer.id, "ann", answer("如果我在订阅后 30 天内取消，能退款吗？", "是。可以申请退款[1]。"))
    assert [c.id for c in store.list("ann")] == [newer.id, older.id]
    assert [c.id for c in store.list("ann", search="240 hours")] == [older.id]
    assert [c.id for c in store.list("ann", search="退款")] == [newer.id]
    assert store.list("ann", search="100%_") == []  # LIKE's wildcards are text here
    store.rename(older.id, "ann", "Leave carry-over")
    assert [c.id for c in store.list("ann", search="carry-over")] == [older.id]
    store.delete(older.id, "ann")
    assert [c.id for c in store.list("ann")] == [newer.id]
    with pytest.raises(ConversationNotFoundError):
        store.get(older.id, "ann")


def test_another_owners_conversation_is_not_found(store):
    mine = store.create("ann")
    store.append(mine.id, "ann", answer("Can I own 100%?"))
    assert store.list("bob") == []
    for call in (
        lambda: store.get(mine.id, "bob"),
        lambda: store.append(mine.id, "bob", answer("x?")),
        lambda: store.rename(mine.id, "bob", "mine now"),
        lambda: store.delete(mine.id, "bob"),
    ):
        with pytest.raises(ConversationNotFoundError):
            call()
    assert len(store.get(mine.id, "ann").answers) == 1


def test_a_long_first_question_is_cut_at_a_word_for_the_title():
    title = title_of("I am going on parental leave next spring and " * 5)
    assert len(title) <= 82 and title.endswith(" …") and "  " not in title


def test_two_writers_at_once_lose_nothing(store):
    conversation = store.create("ann")
    errors = []

    def write(tab: int):
        try:
            other = ConversationStore(store.path)  # each tab its own connection
            for i in range(20):
                other.append(conversation.id, "ann", answer(f"Question {i} from tab {tab}?"))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(tab,)) for tab in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    questions = [a.question for a in store.get(conversation.id, "ann").answers]
    assert len(questions) == 40 and len(set(questions)) == 40


def _write_forever(path, conversation_id, ready):
    store = ConversationStore(path)
    i = 0
    while True:
        store.append(conversation_id, "ann", answer(f"Question {i}?"))
        i += 1
        if i == 5:
            ready.set()


def test_a_killed_writer_leaves_the_store_readable(store):
    conversation = store.create("ann")
    ready = multiprocessing.get_context("spawn").Event()
    process = multiprocessing.get_context("spawn").Process(
        target=_write_forever, args=(store.path, conversation.id, ready)
    )
    process.start()
    assert ready.wait(60)
    os.kill(process.pid, signal.SIGKILL)
    process.join()
    saved = ConversationStore(store.path).get(conversation.id, "ann")
    assert len(saved.answers) >= 5
    assert [a.question for a in saved.answers] == [f"Question {i}?" for i in range(len(saved.answers))]


def test_the_schema_is_versioned_and_a_newer_one_is_refused(store, tmp_path):
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    future = tmp_path / "future.sqlite3"
    with sqlite3.connect(future) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreUnavailableError, match="newer PolicyQA"):
        ConversationStore(future)


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path):
    broken = tmp_path / "conversations.sqlite3"
    broken.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreUnavailableError, match="move it aside"):
        ConversationStore(broken)


def test_markdown_export_has_quotes_and_sources_and_markup_stays_text(store):
    conversation = store.create("ann")
    store.append(conversation.id, "ann", answer("<script>alert(1)</script> **bold** [x](javascript:alert(1))?"))
    markdown = to_markdown(store.get(conversation.id, "ann"))
    assert "<script>" not in markdown and "&lt;script&gt;" in markdown
    assert "\\*\\*bold\\*\\*" in markdown and "\\[x\\](javascript" in markdown
    assert "> Foreign ownership of VPN services is capped at 50%" in markdown
    assert "Opening telecoms | Xinhua | 2025-04-10" in markdown and "<https://example.org/a>" in markdown
    assert '"verdict": "no"' in to_json(store.get(conversation.id, "ann"))


def test_a_chat_is_saved_as_it_goes_and_reopened_for_a_follow_up(assistant, tmp_path):
    from assistant.api import Chat

    store = ConversationStore.in_data_dir(tmp_path)
    chat = assistant.chat(store=store, owner="ann")
    first = chat.ask("Can I own 100% of a VPN service in Wuhan?")
    reopened = Chat.open(assistant, store, chat.conversation_id, owner="ann")
    assert reopened.answers == [first] and reopened.history == chat.history
    follow_up = reopened.ask("And in Suzhou?")
    assert "VPN" in follow_up.standalone_query or "VPN" in follow_up.context
    assert len(store.get(chat.conversation_id, "ann").answers) == 2
    with pytest.raises(ConversationNotFoundError):
        Chat.open(assistant, store, chat.conversation_id, owner="bob")
