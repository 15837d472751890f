"""The chat UI in a real browser: Debian's chromium driven by Playwright, headless.

`./setup.sh --tests` installs chromium; Playwright never downloads a browser of its own."""

import time
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
    # The seed set's ar-peskov-baghdad question. (Its ar-isolation question is withheld since the
    # LLM reads the closest sentences: its draft and the whole passages' do not agree.)
    box.fill("ماذا قال بيسكوف عن مركز المعلومات في بغداد؟")
    box.press("Enter")

    # Sources appear when the checked answer replaces the streamed one.
    expect(page.locator("#sources .source").first).to_be_visible(timeout=240_000)
    answer = page.locator("[data-testid='bot']").last
    expect(answer).to_contain_text("المركز")
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


def _ask(page, question: str, answers_before: int):
    """Type a question, wait until its checked answer (with sources) is in, return its message."""
    from playwright.sync_api import expect

    box = page.get_by_role("textbox").first
    box.fill(question)
    box.press("Enter")
    expect(page.locator("[data-testid='bot']")).to_have_count(answers_before + 1, timeout=240_000)
    # The previous answer's sources stay until this one streams: done is when its text has
    # stopped changing and sources are shown again.
    answer, last, steady = page.locator("[data-testid='bot']").last, None, 0
    deadline = time.time() + 240
    while steady < 4 and time.time() < deadline:
        time.sleep(1)
        text = answer.inner_text()
        shown = page.locator("#sources .source, #sources .refused").count() > 0
        steady = steady + 1 if text and text == last and shown else 0
        last = text
    assert steady >= 4, f"no settled answer to {question!r}: {last!r}"
    return answer


def test_a_follow_up_question_is_answered_with_the_conversation_before_it(page):
    # "he" is the Kremlin's spokesman only through the first question. (The English pair "What
    # did John Kerry tell MSNBC?" / "Who is he going to meet on Wednesday?" is withheld since the
    # LLM reads the closest sentences: it writes "Sergei Lavrov" at a log-probability the English
    # policy withholds.)
    page.get_by_role("button", name="New chat · محادثة جديدة").click()
    _ask(page, "كيف وصف بيسكوف حالة العلاقات الروسية الأمريكية؟", 0)
    answer = _ask(page, "وماذا قال عن عزلة روسيا؟", 1)
    text = answer.inner_text()
    assert "عزل" in text and "الكرملين" in text, text


def test_markup_in_an_uploaded_article_never_becomes_markup_in_the_chat(page, tmp_path):
    from playwright.sync_api import expect

    article = tmp_path / "qasr_festival.txt"
    article.write_text(
        "Qasr dates festival opens\n\nThe Qasr dates festival opens on 12 May with 300 stalls "
        '<svg><a href="javascript:alert(document.domain)">click here</a></svg> '
        "![beacon](http://127.0.0.1:9/beacon.png) "
        '<form action="http://127.0.0.1:9/steal"><input name="password"></form> '
        '<div style="position:fixed;inset:0;background:red">overlay</div> and free entry for families.\n',
        encoding="utf-8")
    page.get_by_role("button", name="New chat · محادثة جديدة").click()
    page.get_by_text("Articles · المقالات").click()
    page.locator("input[type=file]").first.set_input_files(str(article))
    page.get_by_role("button", name="Add to the index").click()
    expect(page.locator("#upload-report")).to_contain_text("Added 1", timeout=240_000)

    answer = _ask(page, "How many stalls does the Qasr dates festival have?", 0)
    assert "300" in answer.inner_text()
    bots = page.locator("[data-testid='bot']")
    assert bots.locator("svg a[href^='javascript'], a[href^='javascript'], form, input").count() == 0
    assert bots.locator("img[src^='http']").count() == 0
    assert bots.locator("[style*='position']").count() == 0
    assert page.evaluate("() => [...document.querySelectorAll('form')].filter(f => (f.action || '').includes('steal')).length") == 0
    page.screenshot(path=str(OUTPUT / "markup-upload.png"), full_page=True)


def test_citations_show_outlet_and_date_and_a_date_filter_changes_the_article_cited(page, tmp_path):
    import json

    from playwright.sync_api import expect

    day = tmp_path / "waterfront.json"  # two outlets' reports of one event, days apart
    day.write_text(json.dumps([
        {"source": "okaz", "date_extracted": "2015-07-21 09:00:00", "url": "http://okaz.example/waterfront",
         "title": "أمانة جدة تفتتح حديقة الواجهة البحرية",
         "content": "افتتحت أمانة جدة حديقة الواجهة البحرية الجديدة يوم الثلاثاء أمام الزوار."},
        {"source": "alriyadh", "date_extracted": "2015-08-05 10:00:00", "url": "http://alriyadh.example/waterfront",
         "title": "افتتاح حديقة الواجهة البحرية في جدة بعد التأجيل",
         "content": "افتتحت أمانة جدة حديقة الواجهة البحرية الجديدة يوم الأربعاء بعد تأجيل الموعد."}],
        ensure_ascii=False), encoding="utf-8")
    page.get_by_role("button", name="New chat · محادثة جديدة").click()
    if not page.get_by_role("button", name="Add to the index").is_visible():  # the panel may be open already
        page.get_by_text("Articles · المقالات").click()
    page.locator("input[type=file]").first.set_input_files(str(day))
    page.get_by_role("button", name="Add to the index").click()
    report = page.locator("#upload-report")
    expect(report).to_contain_text("Added 2", timeout=240_000)
    expect(report).to_contain_text("أمانة جدة تفتتح حديقة الواجهة البحرية (okaz, 21 July 2015)")

    since = page.locator("#filter-since input, #filter-since textarea").first
    until = page.locator("#filter-until input, #filter-until textarea").first
    if not since.is_visible():  # the Settings accordion, if it is closed
        page.locator("button.label-wrap", has_text="Settings").click()
    question = "متى افتتحت أمانة جدة حديقة الواجهة البحرية؟"
    since.fill("2015-08-01")
    _ask(page, question, 0)
    first = page.locator("#sources .source").first
    expect(first).to_contain_text("alriyadh, 5 August 2015")
    assert first.locator("a[href='http://alriyadh.example/waterfront']").count() == 1
    assert "okaz" not in page.locator("#sources").inner_text()
    page.screenshot(path=str(OUTPUT / "date-filter-august.png"), full_page=True)

    since.fill("")
    until.fill("2015-07-31")
    _ask(page, question, 1)
    first = page.locator("#sources .source").first
    expect(first).to_contain_text("okaz, 21 July 2015")
    assert "alriyadh" not in page.locator("#sources").inner_text()
    until.fill("")
