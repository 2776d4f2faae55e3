"""The chat page in a real headless Chromium (Debian's package, driven by Playwright).

The app runs over a temporary copy of the corpus (uploads write into it) with its own
index, on loopback. Every page also checks that nothing was fetched from outside
127.0.0.1 and that no JavaScript dialog ever opened.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import time
from pathlib import Path

import pytest

import policyqa  # noqa: F401
from policyqa.settings import PROJECT_ROOT, Settings

pytestmark = [pytest.mark.browser, pytest.mark.server]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAYLOAD = "<img src=x onerror=alert(1)>"
WUHAN = "Can I own 100% of a VPN service in Wuhan?"
ANSWERED = "#pqa-chat .pqa-answer-grounded, #pqa-chat .pqa-answer-refused, #pqa-chat .pqa-answer-error"


@pytest.fixture(scope="module")
def app_settings(tmp_path_factory, base_settings) -> Settings:
    """Its own corpus copy and data dir: this module uploads documents."""
    from index import build_index

    root = tmp_path_factory.mktemp("browser")
    corpus = root / "corpus"
    shutil.copytree(PROJECT_ROOT / "corpus", corpus)
    settings = base_settings.override(data_dir=root / "data", corpus_dir=corpus, host="127.0.0.1", backend="extractive")
    build_index(settings)
    return settings


@pytest.fixture(scope="module")
def server(app_settings):
    """The page as `policyqa serve` serves it: mounted beside the HTTP APIs."""
    import app
    from assistant import Assistant
    from tests.serving import serving

    assistant = Assistant(app_settings, load_generator=False)
    with serving(app.server_app(assistant, app_settings)) as url:
        yield f"{url}/"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (`make chromium`)")
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(20_000)
    outside, dialogs = [], []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith((server, "data:", "blob:")) else None)
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(server)
    page.wait_for_selector("#pqa-question textarea")
    yield page
    context.close()
    assert not dialogs, f"a dialog opened: {dialogs}"
    assert not outside, f"the page fetched from outside loopback: {outside}"


def ask(page, question: str, timeout: float = 60_000):
    before = page.locator(ANSWERED).count()
    box = page.locator("#pqa-question textarea")
    box.fill(question)
    box.press("Enter")
    page.wait_for_function(f"document.querySelectorAll({json.dumps(ANSWERED)}).length > {before}", timeout=timeout)
    return page.locator("#pqa-chat .pqa-answer").last


def test_answer_with_highlighted_source_and_citation_click(page, artifacts_dir):
    from playwright.sync_api import expect

    answer = ask(page, WUHAN)
    expect(answer).to_have_class("pqa-answer pqa-answer-grounded")
    assert answer.locator(".pqa-text").inner_text().strip()
    quote = answer.locator(".pqa-src-quote mark.pqa-quote").filter(has_text="50%")
    expect(quote.first).to_be_visible()

    marker = answer.locator("a.pqa-cite").first
    target_id = marker.get_attribute("href").lstrip("#")
    source = answer.locator(f"details#{target_id}")
    expect(source).not_to_have_attribute("open", "")
    expect(source.locator(".pqa-passage")).to_be_hidden()
    marker.click()
    expect(source).to_have_attribute("open", "")
    expect(source.locator(".pqa-passage")).to_be_visible()
    expect(source.locator(".pqa-passage mark.pqa-quote").first).to_be_visible()
    time.sleep(0.6)  # let the scroll and flash settle for the screenshot
    page.screenshot(path=str(artifacts_dir / "app-wuhan.png"))

    status = page.locator("#pqa-status").inner_text()
    assert "documents" in status and "chunks" in status and "extractive" in status


def test_refused_answer_looks_different(page):
    from playwright.sync_api import expect

    answer = ask(page, "What is the boiling point of mercury in Kelvin?")
    expect(answer).to_have_class("pqa-answer pqa-answer-refused")
    expect(answer.locator(".pqa-badge")).to_have_text("Not in the corpus")
    assert answer.locator("a.pqa-cite").count() == 0


def test_example_follow_up_and_new_chat(page):
    from playwright.sync_api import expect

    page.locator("#pqa-examples").get_by_text(WUHAN).click()
    page.wait_for_selector(ANSWERED, timeout=60_000)
    answer = ask(page, "and in Suzhou?")
    expect(answer).to_have_class("pqa-answer pqa-answer-grounded")
    assert page.locator("#pqa-chat .pqa-question").count() == 2
    page.locator("#pqa-new-chat").click()
    expect(page.locator("#pqa-chat .pqa-question")).to_have_count(0)
    expect(page.locator("#pqa-chat .placeholder")).to_be_visible()


def test_thumbs_up_is_saved_as_jsonl(page, app_settings):
    ask(page, WUHAN)
    page.locator("#pqa-chat button[aria-label='Like']").last.click()
    feedback = app_settings.feedback_file
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not (feedback.exists() and feedback.read_text().strip()):
        time.sleep(0.2)
    record = json.loads(feedback.read_text().splitlines()[-1])
    assert record["rating"] == "up" and record["question"] == WUHAN
    assert record["answer"] and record["citations"] and record["backend"] and record["timestamp"]


def test_upload_a_document_and_ask_about_it_markup_stays_text(page, app_settings, tmp_path):
    from playwright.sync_api import expect

    note = tmp_path / "Zephyr harbour rules.txt"
    note.write_text(
        "Zephyr Harbour widget rules\n"
        f"The Zephyr Harbour authority requires every widget importer to hold a teal licence; its notice quotes {PAYLOAD} verbatim.\n"
        "The teal licence is issued by the Zephyr Harbour licensing office within 12 working days.\n",
        encoding="utf-8",
    )
    titled = tmp_path / "titled.md"
    titled.write_text(
        f'---\ntitle: "{PAYLOAD} Quarterly glossary"\n---\nThe glossary defines a quokka bond as a '
        "twelve-month municipal note issued by the Zephyr treasury.\n",
        encoding="utf-8",
    )
    fake = tmp_path / "fake.pdf"
    fake.write_text("not really a pdf", encoding="utf-8")

    page.get_by_role("tab", name="Corpus").click()
    page.locator("#pqa-upload input[type=file]").set_input_files([str(note), str(titled), str(fake)])
    for name in ("Zephyr harbour rules.txt", "titled.md", "fake.pdf"):  # on the server once it has a link
        expect(page.locator("#pqa-upload").get_by_role("row", name=name).get_by_role("link")).to_have_count(1)
    page.locator("#pqa-add").click()
    log = page.locator("#pqa-build-log textarea")
    expect(log).to_have_value(re.compile(r"added 2\b"), timeout=90_000)
    text = log.input_value()
    assert "rejected: fake.pdf: the file is named .pdf but is not a PDF" in text
    stored = sorted(p.name for p in (app_settings.corpus_dir / "uploads").iterdir())
    assert stored == ["Zephyr-harbour-rules.txt", "titled.md"]
    expect(page.locator("#pqa-documents-table")).to_contain_text("zephyr-harbour-rules")
    expect(page.locator("#pqa-documents-table")).to_contain_text(PAYLOAD)  # the title, as text

    page.get_by_role("tab", name="Chat").click()
    answer = ask(page, "What licence does a widget importer need in Zephyr Harbour?")
    expect(answer).to_have_class("pqa-answer pqa-answer-grounded")
    source = answer.locator("details.pqa-source").filter(has_text="zephyr-harbour-rules").first
    answer.locator(f"a.pqa-cite[href='#{source.get_attribute('id')}']").first.click()
    expect(source.locator(".pqa-passage")).to_contain_text(PAYLOAD)

    answer = ask(page, "What is a quokka bond?")
    expect(answer.locator(".pqa-src-title").filter(has_text=PAYLOAD).first).to_be_visible()
    assert page.locator("img[src='x']").count() == 0
    assert page.evaluate("document.querySelectorAll('[onerror]').length") == 0


def test_a_conversation_survives_a_reload_and_takes_a_follow_up(page, app_settings):
    from playwright.sync_api import expect

    from assistant.conversations import ConversationStore

    ask(page, WUHAN)
    saved = page.locator("#pqa-conversations label").filter(has_text=WUHAN)
    expect(saved.first).to_be_visible(timeout=15_000)  # the list follows the answer as its own event
    count = page.locator("#pqa-conversations label").count()
    page.reload()
    page.wait_for_selector("#pqa-question textarea")
    expect(page.locator("#pqa-chat .pqa-question")).to_have_count(0)
    expect(page.locator("#pqa-conversations label")).to_have_count(count)  # the same browser's list
    page.locator("#pqa-conversations label").filter(has_text=WUHAN).first.click()
    expect(page.locator("#pqa-chat .pqa-question")).to_have_count(1)
    expect(page.locator("#pqa-chat .pqa-answer-grounded")).to_have_count(1)
    answer = ask(page, "and in Suzhou?")
    expect(answer).to_have_class("pqa-answer pqa-answer-grounded")
    expect(page.locator("#pqa-chat .pqa-question")).to_have_count(2)
    expect(page.locator("#pqa-conversations label")).to_have_count(count)  # the same conversation, grown
    store = ConversationStore.in_data_dir(app_settings.data_dir)
    with sqlite3.connect(store.path) as db:
        owners = {o for (o,) in db.execute("SELECT owner FROM conversations")}
    assert all(o.startswith("browser:") for o in owners)
    grown = [c for o in owners for c in store.list(o) if c.title == WUHAN and c.exchanges == 2]
    assert grown, "the follow-up was not saved in the reopened conversation"


def test_a_deleted_conversation_leaves_the_list_and_another_browser_sees_none(page, browser, server):
    from playwright.sync_api import expect

    question = "Which cities are in the VPN pilot?"
    ask(page, question)
    expect(page.locator("#pqa-conversations label").filter(has_text=question).first).to_be_visible()

    other = browser.new_context()
    stranger = other.new_page()
    stranger.goto(server)
    stranger.wait_for_selector("#pqa-question textarea")
    time.sleep(1)  # the list arrives with the page-load event
    assert stranger.locator("#pqa-conversations label").filter(has_text=question).count() == 0
    other.close()

    page.locator("#pqa-conversations label").filter(has_text=question).first.click()
    expect(page.locator("#pqa-chat .pqa-question")).to_have_count(1)
    page.locator("#pqa-conversation-delete").click()
    expect(page.locator("#pqa-chat .pqa-question")).to_have_count(0)
    expect(page.locator("#pqa-conversations label").filter(has_text=question)).to_have_count(0)


def test_a_question_only_a_removed_document_answered_is_refused_and_a_copy_is_not_added_twice(
    page, app_settings, tmp_path
):
    from playwright.sync_api import expect

    from index import open_snapshot
    from index.manage import leftovers

    note = tmp_path / "Marlow ferry rules.txt"
    note.write_text(
        "Marlow ferry rules\nEvery Marlow ferry passenger must carry a violet boarding token issued by the "
        "Marlow ferry office.\nThe violet token costs 14 florins and is valid for one crossing.\n",
        encoding="utf-8",
    )
    page.get_by_role("tab", name="Corpus").click()
    log = page.locator("#pqa-build-log textarea")
    for expected in (r"added 1\b", r"not added: Marlow ferry rules.txt is already indexed"):
        page.locator("#pqa-upload input[type=file]").set_input_files([str(note)])
        expect(page.locator("#pqa-upload").get_by_role("row", name=note.name).get_by_role("link")).to_have_count(1)
        page.locator("#pqa-add").click()
        expect(log).to_have_value(re.compile(expected), timeout=90_000)
    assert len(list((app_settings.corpus_dir / "uploads").glob("Marlow*"))) == 1

    page.get_by_role("tab", name="Chat").click()
    question = "What colour is the Marlow ferry boarding token?"
    answered = ask(page, question)
    expect(answered).to_have_class("pqa-answer pqa-answer-grounded")
    expect(answered.locator(".pqa-text")).to_contain_text("violet")

    doc_id = next(d.id for d in open_snapshot(app_settings).documents.values() if "marlow" in d.id)
    chunk_ids = {c.id for c in open_snapshot(app_settings).chunks if c.doc_id == doc_id}
    page.get_by_role("tab", name="Corpus").click()
    page.locator("#pqa-doc-pick input").fill(doc_id)
    page.get_by_role("option").filter(has_text=doc_id).first.click()
    expect(page.locator("#pqa-doc-text textarea")).to_have_value(re.compile("violet boarding token"))
    page.locator("#pqa-doc-remove").click()
    expect(log).to_have_value(re.compile(rf"checked: none of its {len(chunk_ids)} chunks? is left"), timeout=90_000)
    assert leftovers(app_settings, open_snapshot(app_settings), doc_id, chunk_ids).none
    expect(page.locator("#pqa-documents-table")).not_to_contain_text(doc_id)

    page.get_by_role("tab", name="Chat").click()
    page.locator("#pqa-new-chat").click()
    expect(page.locator("#pqa-chat .pqa-question")).to_have_count(0)
    after = ask(page, question)  # only the removed document answered it
    expect(after).to_have_class("pqa-answer pqa-answer-refused")
    assert "violet" not in after.inner_text().lower() and doc_id not in after.inner_text()


def test_a_thumbs_down_is_listed_in_feedback_and_takes_a_comment(page, app_settings):
    from playwright.sync_api import expect

    from assistant.feedback import FeedbackLog

    ask(page, WUHAN)
    ask(page, "and in Suzhou?")
    page.locator("#pqa-chat button[aria-label='Dislike']").last.click()
    page.get_by_role("tab", name="Feedback").click()
    table = page.locator("#pqa-ratings-table")
    expect(table).to_contain_text("and in Suzhou?")
    page.locator("#pqa-rating-pick input").click()
    page.get_by_role("option").filter(has_text="and in Suzhou?").first.click()
    time.sleep(1)  # picking loads the rating's comment into the box; type after it
    comment = "It should say whether the cap differs in Suzhou"
    page.locator("#pqa-rating-comment textarea").fill(comment)
    page.locator("#pqa-rating-save").click()
    expect(table).to_contain_text(comment)
    (rating,) = [r for r in FeedbackLog(app_settings.feedback_file).ratings() if r.comment == comment]
    assert rating.rating == "down" and rating.owner.startswith("browser:")
    assert [t.content for t in rating.history][0] == WUHAN and rating.passages  # ready to become a test


@pytest.fixture(scope="module")
def login_server(app_settings):
    """The same app with login on, for two users."""
    from pydantic import SecretStr

    import app
    from assistant import Assistant
    from tests.serving import serving

    settings = app_settings.override(auth=SecretStr("ann:ann-pass-1,ben:ben-pass-2"))
    with serving(app.server_app(Assistant(settings, load_generator=False), settings)) as url:
        yield f"{url}/"


def signed_in(browser, url: str, user: str, password: str):
    """A fresh browser context (no shared local storage) signed in as `user`."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(url)
    page.get_by_label("username").fill(user)
    page.get_by_label("password").fill(password)
    page.get_by_role("button", name="Login").click()
    page.wait_for_selector("#pqa-question textarea")
    return context, page


def test_two_signed_in_users_see_only_their_own_conversations(browser, login_server):
    from playwright.sync_api import expect

    question = "Which cities does the VPN measure cover?"
    context, ann = signed_in(browser, login_server, "ann", "ann-pass-1")
    ask(ann, question)
    expect(ann.locator("#pqa-conversations label").filter(has_text=question).first).to_be_visible()
    context.close()

    context, ben = signed_in(browser, login_server, "ben", "ben-pass-2")
    time.sleep(1)  # the list arrives with the page-load event
    assert ben.locator("#pqa-conversations label").filter(has_text=question).count() == 0
    context.close()

    context, again = signed_in(browser, login_server, "ann", "ann-pass-1")  # another browser, the same user
    expect(again.locator("#pqa-conversations label").filter(has_text=question).first).to_be_visible()
    context.close()
