"""The chat UI in a real browser: Debian's chromium driven by Playwright, headless.

`./setup.sh --tests` installs chromium; Playwright never downloads a browser of its own."""

from pathlib import Path

import pytest

from rag.config import REPO_ROOT

CHROMIUM = Path("/usr/bin/chromium")
OUTPUT = REPO_ROOT / "test-output" / "browser"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def page(app_server):
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: run ./setup.sh --tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(app_server[0])
        yield page
        browser.close()


def test_arabic_question_streams_a_right_to_left_answer_with_clickable_sources(page):
    from playwright.sync_api import expect

    OUTPUT.mkdir(parents=True, exist_ok=True)
    box = page.get_by_role("textbox").first
    # The seed set's ar-isolation question. (Asked "ماذا قال بيسكوف عن عزل روسيا؟" since chunks are
    # embedded without headlines, the 1.5B model quotes passage [2] instead of the isolation
    # sentence it ranks first: README, Quality.)
    box.fill("لماذا يرى بيسكوف أن عزل روسيا غير واقعي؟")
    box.press("Enter")

    # Sources appear when the checked answer replaces the streamed one.
    expect(page.locator("#sources .source").first).to_be_visible(timeout=240_000)
    answer = page.locator("[data-testid='bot']").last
    expect(answer).to_contain_text("عزل")
    direction = answer.evaluate("el => getComputedStyle(el.querySelector('[dir]') || el).direction")
    assert direction == "rtl"
    question = page.locator("[data-testid='user']").last
    assert question.evaluate("el => getComputedStyle(el.querySelector('[dir]') || el).direction") == "rtl"

    citation = answer.locator("a.cite").first
    n = citation.get_attribute("data-n")
    citation.click()
    source = page.locator(f"#src-{n}")
    expect(source).to_have_class("source active")
    expect(source).to_be_in_viewport()
    expect(source.locator("mark").first).to_be_visible()
    assert "000_832fa2db40460904" in source.inner_text()
    page.screenshot(path=str(OUTPUT / "arabic-conversation.png"), full_page=True)


def test_new_chat_clears_the_conversation_and_sources(page):
    from playwright.sync_api import expect

    page.get_by_role("button", name="New chat · محادثة جديدة").click()
    expect(page.locator("[data-testid='bot']")).to_have_count(0)
    expect(page.locator("#sources .source")).to_have_count(0)
