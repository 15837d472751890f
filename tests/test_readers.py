"""The readers (rag/readers) on files made here: saved news pages, PDFs and Word files in Arabic
and English, news records as JSON and a ZIP of them, and the dates they carry. No models."""

import io
import json
import sys
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from news_files import news_page, pdf_file, word_file  # noqa: E402

from rag.corpus import load  # noqa: E402
from rag.dates import find_date, iso_date, shown_date  # noqa: E402
from rag.readers.pdf_text import normalize_page, reading_order, reads_visual  # noqa: E402

AR_LEAD = "أعلن وزير الطاقة يوم الثلاثاء افتتاح محطة تحلية جديدة في مدينة ينبع بطاقة تبلغ مئتي ألف متر مكعب يوميا."
AR_PAGE2 = "وأكد رئيس الهيئة أن الحديقة النباتية ستفتح أبوابها للزوار في شهر ديسمبر المقبل."


def one(result):
    assert not result.problems, [str(p) for p in result.problems]
    [article] = result.articles
    return article


def test_a_saved_news_page_gives_its_article_without_menus_ads_or_comments(tmp_path):
    page = news_page(tmp_path / "riyadh-1085000.html", "وزير الطاقة يفتتح محطة تحلية في ينبع",
                     [AR_LEAD, "وقال الوزير إن المحطة ستخدم أكثر من مليون نسمة في المنطقة الغربية."],
                     date="2015-09-29T10:00:00+03:00", site="صحيفة الرياض", author="ينبع: سارة أحمد",
                     url="http://www.alriyadh.com/1085000")
    article = one(load([page]))
    assert article.id == "riyadh-1085000" and article.title == "وزير الطاقة يفتتح محطة تحلية في ينبع"
    assert article.text.startswith(AR_LEAD) and "مليون نسمة" in article.text
    for boilerplate in ("اشترك", "SUBSCRIBE", "Reader comment", "الرئيسية", "الحقوق"):
        assert boilerplate not in article.text
    assert (article.meta.date, article.meta.source, article.meta.url) == (
        "2015-09-29", "صحيفة الرياض", "http://www.alriyadh.com/1085000")
    assert "سارة أحمد" in article.meta.author


def test_an_english_page_keeps_its_date_and_site(tmp_path):
    page = news_page(tmp_path / "dammam.htm", "Port of Dammam opens a container terminal",
                     ["The Port of Dammam opened a new container terminal on Wednesday, adding room for "
                      "1.5 million containers a year.", "Officials said ships would dock there from September."],
                     date="2015-07-22T08:00:00Z", site="Gulf Times")
    article = one(load([page]))
    assert article.title == "Port of Dammam opens a container terminal"
    assert "1.5 million containers" in article.text and "SUBSCRIBE" not in article.text
    assert (article.meta.date, article.meta.source) == ("2015-07-22", "Gulf Times")


def test_a_page_without_article_text_is_reported(tmp_path):
    (tmp_path / "empty.html").write_text("<html><body><nav><a href='/'>Home</a></nav></body></html>", encoding="utf-8")
    (tmp_path / "binary.html").write_bytes(b"\x00\x01\x02" * 100)
    result = load([tmp_path])
    reasons = {Path(p.path).name: p.reason for p in result.problems}
    assert "no article text" in reasons["empty.html"] and "binary" in reasons["binary.html"]
    assert not result.articles


def test_an_arabic_pdf_reads_in_reading_order_with_its_pages(tmp_path):
    pdf = pdf_file(tmp_path / "gazette.pdf", [
        ["الرياض، 3 أغسطس 2015", AR_LEAD],
        ["وأضاف أن العمل في المشروع بدأ قبل عامين بتكلفة بلغت 120 مليون ريال.", AR_PAGE2],
    ], title="افتتاح مشروعات جديدة في المنطقة الغربية")
    article = one(load([pdf]))
    assert article.title == "افتتاح مشروعات جديدة في المنطقة الغربية"
    assert AR_LEAD in article.text and AR_PAGE2 in article.text  # letters, words and numbers in order
    assert "120 مليون ريال" in article.text
    assert article.meta.date == "2015-08-03" and len(article.meta.pages) == 2
    assert article.meta.page_at(article.text.index(AR_LEAD)) == 1
    assert article.meta.page_at(article.text.index(AR_PAGE2)) == 2


def test_a_legacy_pdf_in_presentation_forms_and_visual_order_is_put_right(tmp_path):
    lines = ["أعلنت وزارة الصحة افتتاح 12 مستشفى جديدا", "وقال الوزير إن العمل بدأ في عام 2013"]
    pdf = pdf_file(tmp_path / "legacy.pdf", [["جدة، 5 أغسطس 2015", *lines]], legacy=True)
    article = one(load([pdf]))
    for line in lines:
        assert line in article.text
    assert article.meta.date == "2015-08-05"


def test_an_english_pdf_keeps_the_page_of_each_passage(tmp_path):
    answer = "The museum will display 400 manuscripts from the eighteenth century."
    pdf = pdf_file(tmp_path / "museum.pdf", [
        ["Jeddah, 5 August 2015", "The city opened its new museum of calligraphy on Tuesday."],
        ["The building took three years to finish."], [answer]])
    article = one(load([pdf]))
    assert article.meta.page_at(article.text.index(answer)) == 3
    assert article.meta.date == "2015-08-05" and article.title == "Jeddah, 5 August 2015"


def test_bad_pdfs_are_reported(tmp_path):
    (tmp_path / "fake.pdf").write_text("not a pdf at all", encoding="utf-8")
    (tmp_path / "cut.pdf").write_bytes(pdf_file(tmp_path / "whole.pdf.tmp", [["Some text here"]]).read_bytes()[:200])
    pdf_file(tmp_path / "blank.pdf", [[""]])
    result = load([tmp_path / "fake.pdf", tmp_path / "cut.pdf", tmp_path / "blank.pdf"])
    reasons = {Path(p.path).name: p.reason for p in result.problems}
    assert reasons["fake.pdf"] == "not a PDF file"
    assert reasons["cut.pdf"].startswith(("damaged PDF", "the PDF has no text"))
    assert "no text to extract" in reasons["blank.pdf"]


def test_word_files_give_headline_body_date_and_author(tmp_path):
    arabic = word_file(tmp_path / "ksu.docx", "جامعة الملك سعود تطلق برنامجا للذكاء الاصطناعي",
                       ["الأحد 26 يوليو 2015", "أطلقت جامعة الملك سعود برنامجا جديدا للماجستير في الذكاء "
                        "الاصطناعي يقبل ستين طالبا في عامه الأول."], author="نورة العتيبي")
    english = word_file(tmp_path / "abha.docx", "Heavy rain closes schools in Abha",
                        ["Monday, 27 July 2015", "Schools in Abha were closed on Monday after heavy rain flooded roads."])
    result = load([arabic, english])
    assert not result.problems
    by_id = {a.id: a for a in result.articles}
    assert by_id["ksu"].title == "جامعة الملك سعود تطلق برنامجا للذكاء الاصطناعي"
    assert "ستين طالبا" in by_id["ksu"].text and by_id["ksu"].title not in by_id["ksu"].text
    assert (by_id["ksu"].meta.date, by_id["ksu"].meta.author) == ("2015-07-26", "نورة العتيبي")
    assert by_id["abha"].meta.date == "2015-07-27" and by_id["abha"].meta.author == ""  # python-docx's default is not an author
    (tmp_path / "old.docx").write_bytes(b"\xd0\xcf\x11\xe0 an old binary .doc")
    [problem] = load([tmp_path / "old.docx"]).problems
    assert "not a readable .docx" in problem.reason


SAUDINEWSNET_DAY = [  # the fields and forms of SaudiNewsNet (one JSON array a day in a ZIP), made up here
    {"source": "aawsat", "url": "http://aawsat.com/home/article/410826", "date_extracted": "2015-07-21 02:51:32",
     "title": "بريطانيا: أربعة محاور لاستراتيجية جديدة", "author": "لندن: رنيم حنوش",
     "content": "حدد رئيس الوزراء البريطاني ديفيد كاميرون، اليوم (الاثنين)، ملامح استراتيجية جديدة."},
    {"source": "okaz", "url": "http://okaz.com.sa/new/2015/07/21/1", "date_extracted": "2015-07-21 03:10:00",
     "title": "أمانة جدة تفتتح حديقة", "author": "", "content": "افتتحت أمانة جدة حديقة جديدة على الواجهة البحرية."},
    {"source": "okaz", "title": "بلا نص", "content": ""},
]


def test_a_news_archive_day_loads_as_it_is_from_its_zip(tmp_path):
    day = tmp_path / "2015-07-21.zip"
    with zipfile.ZipFile(day, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("2015-07-21.json", json.dumps(SAUDINEWSNET_DAY, ensure_ascii=False))
        z.writestr("__MACOSX/._2015-07-21.json", b"\x00\x05")
        z.writestr("notes.exe", b"MZ")
    result = load([tmp_path])
    assert [a.id for a in result.articles] == ["2015-07-21-0", "2015-07-21-1"]
    first = result.articles[0]
    assert (first.meta.date, first.meta.source, first.meta.url, first.meta.author) == (
        "2015-07-21", "aawsat", "http://aawsat.com/home/article/410826", "لندن: رنيم حنوش")
    assert first.source_path == str(day)  # a rebuild reads the ZIP again
    [problem] = result.problems
    assert problem.path == str(day) and "2015-07-21.json" in problem.where and "no text" in problem.reason
    assert any("notes.exe" in w.where and "unsupported file type .exe" in w.reason for w in result.warnings)


def test_common_feed_fields_are_understood(tmp_path):
    rows = [{"headline": "Feed item", "body": "Text of the item.", "published": "Tue, 29 Sep 2015 10:00:00 +0300",
             "source": {"id": "reuters", "name": "Reuters"}, "link": "http://r/1", "authors": ["A. B", "C. D"]},
            {"id": "odd", "title": "Odd date", "text": "Body.", "date": "sometime soon"}]
    (tmp_path / "feed.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    result = load([tmp_path])
    feed, odd = result.articles
    assert (feed.title, feed.meta.date, feed.meta.source, feed.meta.url, feed.meta.author) == (
        "Feed item", "2015-09-29", "Reuters", "http://r/1", "A. B, C. D")
    assert odd.meta.date == "" and any("'sometime soon' not understood" in w.reason for w in result.warnings)


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path):
    from rag.readers.base import ReadLimits

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("big.txt", "Headline\n" + "a" * 2_000_000)
    (tmp_path / "bomb.zip").write_bytes(buffer.getvalue())
    [problem] = load([tmp_path], limits=ReadLimits(unpacked_mb=1)).problems
    assert "unpacks to more than 1 MB" in problem.reason


@pytest.mark.parametrize("written, iso", [
    ("2015-07-21 02:51:32", "2015-07-21"), ("2015-09-29T10:00:00+03:00", "2015-09-29"),
    ("Tue, 29 Sep 2015 10:00:00 +0300", "2015-09-29"), ("September 29, 2015", "2015-09-29"),
    ("29th of September 2015", "2015-09-29"), ("29/09/2015", "2015-09-29"),
    ("الثلاثاء 29 سبتمبر 2015", "2015-09-29"), ("٢٩ أيلول ٢٠١٥", "2015-09-29"),
    ("15 تشرين الأول 2015", "2015-10-15"), ("3 أغسطس 2015", "2015-08-03"),
    ("15 ذو الحجة 1436 هـ", "2015-09-28"),  # Umm al-Qura
    ("الثلاثاء 16 ذو الحجة 1436هـ الموافق 29 سبتمبر 2015م", "2015-09-29"),  # the Gregorian date beside it wins
    (1443520800, "2015-09-29"), ("2015-02-30", None), ("no date here", None), ("", None),
])
def test_dates_are_read_into_iso_dates(written, iso):
    assert iso_date(written) == iso


def test_a_date_is_found_in_a_dateline_and_shown_in_words():
    assert find_date("موسكو - رويترز - الثلاثاء 29 سبتمبر 2015: قال الكرملين") == "2015-09-29"
    assert shown_date("2015-09-29") == "29 September 2015"


def test_visual_order_arabic_is_recognised_and_turned():
    visual = ".2015 ماع زكرملا سيسأت يف (سات) تكراش ايروسو"  # as drawn, left to right
    assert reads_visual(visual) and not reads_visual("شاركت سوريا في تأسيس المركز")
    assert normalize_page(visual) == "وسوريا شاركت (تاس) في تأسيس المركز عام 2015."
    # HarfBuzz's ToUnicode gives a mirrored bracket its logical character: nothing to mirror
    assert normalize_page(visual.translate(str.maketrans("()", ")("))) == normalize_page(visual)
    # a lam-alef ligature is one glyph holding two letters in reading order already
    assert reading_order(["ء", "ا", "ث", "لا", "ث", "ل", "ا"]) == "الثلاثاء"
    assert normalize_page("ﻭﺃﺿﺎﻑ ﺃﻥ ﺭﻭﺳﻴﺎ") == "وأضاف أن روسيا"


def test_one_malformed_member_loses_only_itself_not_the_zip(tmp_path):
    word = word_file(tmp_path / "w.docx", "Headline", ["Body of the story."])
    broken = io.BytesIO()
    with zipfile.ZipFile(word) as source, zipfile.ZipFile(broken, "w") as target:
        for member in source.infolist():
            data = source.read(member)
            target.writestr(member, data[:len(data) // 2] if member.filename == "word/document.xml" else data)
    (tmp_path / "in").mkdir()
    with zipfile.ZipFile(tmp_path / "in" / "day.zip", "w") as z:
        z.writestr("broken.docx", broken.getvalue())  # python-docx raises lxml's XMLSyntaxError on it
        z.writestr("good.txt", "Good headline\n\nGood text.")
    result = load([tmp_path / "in"])
    assert [a.id for a in result.articles] == ["good"]
    [problem] = result.problems
    assert problem.where == " (broken.docx)" and "could not be read" in problem.reason


def test_a_file_over_a_reading_limit_is_reported_with_the_limit_and_the_rest_read(tmp_path):
    import time

    from news_files import pdf_bomb, slow_pdf

    from rag.readers.base import ReadLimits

    (tmp_path / "a_slow.pdf").write_bytes(slow_pdf())
    (tmp_path / "b_bomb.pdf").write_bytes(pdf_bomb(400))  # 400 KB that unpack to 400 MB
    (tmp_path / "c_good.txt").write_text("Good headline\n\nGood text.", encoding="utf-8")
    started = time.monotonic()
    result = load([tmp_path], limits=ReadLimits(seconds=1, memory_mb=400))
    assert time.monotonic() - started < 20
    assert [a.id for a in result.articles] == ["c_good"]
    reasons = {Path(p.path).name: p.reason for p in result.problems}
    assert "RAG_READ_SECONDS" in reasons["a_slow.pdf"]
    assert "needs more than 400 MB of memory" in reasons["b_bomb.pdf"]


def test_stop_interrupts_a_file_being_read(tmp_path):
    import time

    from news_files import slow_pdf

    from rag.corpus import ReadCancelled

    (tmp_path / "slow.pdf").write_bytes(slow_pdf())
    asked = time.monotonic()
    with pytest.raises(ReadCancelled):
        load([tmp_path], should_stop=lambda: time.monotonic() - asked > 0.5)
    assert time.monotonic() - asked < 5
    assert [a.id for a in load([_seed_like(tmp_path)]).articles] == ["next"]  # the next read has a new worker


def _seed_like(tmp_path):
    path = tmp_path / "next.txt"
    path.write_text("Next headline\n\nNext text.", encoding="utf-8")
    return path
