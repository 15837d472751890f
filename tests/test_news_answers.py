"""News files in, cited answers out: saved pages, PDFs and Word files in Arabic and English made
here, ingested with the real embedder, each asked a question it answers (a scripted LLM quotes the
passage), the citation carrying the article's date, outlet and PDF page; the date and source
filters choosing which article answers."""

import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fake_llm import FakeLLM, sources_of  # noqa: E402
from news_files import news_page, pdf_file, word_file  # noqa: E402

from rag.chat import Assistant  # noqa: E402
from rag.filters import FilterError, make_filter  # noqa: E402
from rag.ingest import ingest  # noqa: E402


def quoting(keyword: str):
    """A scripted LLM answer: the sentence of the sources that holds `keyword`, cited."""
    def answer(messages, start):
        sources = sources_of(messages)
        for block in re.split(r"\n(?=\[\d+\]\s)", sources):
            found = re.match(r"\[(\d+)\]\s", block)
            for sentence in re.split(r"(?<=[.!؟?])\s+", block):
                if found and keyword in sentence:
                    return f"{sentence.splitlines()[-1].strip().rstrip('.')} [{found.group(1)}]."
        return "لا تحتوي المقالات على إجابة." if re.search(r"[\u0600-\u06ff]", keyword) else \
            "The articles do not contain the answer."
    return answer


@pytest.fixture(scope="module")
def news_index(settings, embedder, tmp_path_factory):
    root = tmp_path_factory.mktemp("news")
    corpus = root / "corpus"
    corpus.mkdir()
    news_page(corpus / "yanbu.html", "وزير الطاقة يفتتح محطة تحلية في ينبع",
              ["أعلن وزير الطاقة افتتاح محطة تحلية جديدة في مدينة ينبع بطاقة إنتاجية تبلغ مئتي ألف متر مكعب يوميا.",
               "وقال الوزير إن المحطة ستخدم أكثر من مليون نسمة في المنطقة الغربية."],
              date="2015-09-29T10:00:00+03:00", site="صحيفة الرياض", url="http://www.alriyadh.com/1085000")
    news_page(corpus / "dammam.html", "Port of Dammam opens a container terminal",
              ["The Port of Dammam opened a new container terminal, adding room for 1.5 million containers a year.",
               "Officials said the first ships would dock there in September."],
              date="2015-07-22T08:00:00Z", site="Gulf Times")
    pdf_file(corpus / "garden.pdf", [
        ["الرياض، 3 أغسطس 2015", "بدأت الهيئة الملكية العمل في مشروع الحديقة النباتية قبل عامين."],
        ["وأكد رئيس الهيئة أن الحديقة النباتية ستفتح أبوابها للزوار في شهر ديسمبر المقبل."]],
        title="الحديقة النباتية في الرياض")
    pdf_file(corpus / "museum.pdf", [
        ["Jeddah, 5 August 2015", "The city opened its new museum of calligraphy on Tuesday."],
        ["The building took three years to finish."],
        ["The museum will display 400 manuscripts from the eighteenth century."]], title="A museum of calligraphy")
    word_file(corpus / "ksu.docx", "جامعة الملك سعود تطلق برنامجا للذكاء الاصطناعي",
              ["الأحد 26 يوليو 2015", "أطلقت جامعة الملك سعود برنامجا جديدا للماجستير في الذكاء الاصطناعي "
               "يقبل 60 طالبا في عامه الأول."])
    word_file(corpus / "abha.docx", "Heavy rain closes schools in Abha",
              ["Monday, 27 July 2015", "Schools in Abha were closed on Monday after heavy rain flooded several roads."])
    days = [("okaz", "2015-07-21 09:00:00", "افتتحت أمانة جدة حديقة الواجهة البحرية الجديدة يوم الثلاثاء أمام الزوار."),
            ("alriyadh", "2015-08-05 10:00:00", "افتتحت أمانة جدة حديقة الواجهة البحرية الجديدة يوم الأربعاء بعد تأجيل الموعد.")]
    (corpus / "waterfront.json").write_text(json.dumps(
        [{"source": source, "date_extracted": date, "url": f"http://{source}.example/1", "title": "حديقة الواجهة البحرية",
          "author": "", "content": text} for source, date, text in days], ensure_ascii=False), encoding="utf-8")
    settings = settings.__class__.load(index_dir=root / "index", corpus_dir=corpus)
    report = ingest([corpus], settings, embedder)
    assert not report.problems, [str(p) for p in report.problems]
    assert report.total_articles == 8
    return settings


CASES = [  # question, the answer's keyword, article, date, source, page
    ("ما الطاقة الإنتاجية لمحطة التحلية الجديدة في ينبع؟", "مئتي ألف", "yanbu", "2015-09-29", "صحيفة الرياض", None),
    ("How many containers a year does the new terminal at the Port of Dammam add?", "1.5 million", "dammam",
     "2015-07-22", "Gulf Times", None),
    ("متى ستفتح الحديقة النباتية أبوابها للزوار؟", "ديسمبر", "garden", "2015-08-03", "", 2),
    ("How many manuscripts will the calligraphy museum display?", "400 manuscripts", "museum", "2015-08-05", "", 3),
    ("كم طالبا يقبل برنامج الماجستير في الذكاء الاصطناعي؟", "60 طالبا", "ksu", "2015-07-26", "", None),
    ("Why were schools in Abha closed?", "heavy rain", "abha", "2015-07-27", "", None),
]


@pytest.mark.parametrize("question, keyword, article, date, source, page", CASES, ids=[c[2] for c in CASES])
def test_each_kind_of_file_answers_with_its_date_source_and_page(news_index, embedder, question, keyword, article,
                                                                 date, source, page):
    assistant = Assistant(news_index, embedder=embedder, llm=FakeLLM(quoting(keyword)))
    answer = assistant.ask(question)
    assert not answer.refused, answer.sentences
    cited = answer.citations[0]
    assert cited.article_id == article and keyword in cited.quote
    assert (cited.date, cited.source, cited.page) == (date, source, page)
    shown = answer.to_json()["citations"][0]  # what `rag ask --json` prints
    assert shown["date"] == date and shown["page"] == page


def test_a_date_filter_changes_which_article_answers(news_index, embedder):
    question = "متى افتتحت أمانة جدة حديقة الواجهة البحرية؟"
    assistant = Assistant(news_index, embedder=embedder, llm=FakeLLM(quoting("افتتحت أمانة جدة")))
    known = assistant.store.sources()
    assert known == {"Gulf Times": 1, "alriyadh": 1, "okaz": 1, "صحيفة الرياض": 1}
    early = assistant.ask(question, where=make_filter(None, "2015-07-31", None, known))
    late = assistant.ask(question, where=make_filter("1 August 2015", None, None, known))
    by_source = assistant.ask(question, where=make_filter(None, None, ["OKAZ"], known))
    assert early.citations[0].article_id == "waterfront-0" and early.citations[0].source == "okaz"
    assert late.citations[0].article_id == "waterfront-1" and late.citations[0].date == "2015-08-05"
    assert "الأربعاء" in late.answer and "الثلاثاء" in early.answer
    assert by_source.citations[0].article_id == "waterfront-0"
    assert early.filters == {"until": "2015-07-31"} and by_source.filters == {"sources": ["okaz"]}
    # every passage the LLM was given is inside the filter, not only the one it cited
    dates = {p.article_id: assistant.store.articles[p.article_id]["date"] for p in late.passages + early.passages}
    assert all(dates[p.article_id] >= "2015-08-01" for p in late.passages)
    assert all(dates[p.article_id] <= "2015-07-31" for p in early.passages)
    assert {p.article_id for p in by_source.passages} == {"waterfront-0"}


def test_a_range_with_no_articles_is_refused_before_the_llm(news_index, embedder):
    llm = FakeLLM(["should not be asked"])
    assistant = Assistant(news_index, embedder=embedder, llm=llm)
    answer = assistant.ask("متى افتتحت أمانة جدة حديقة الواجهة البحرية؟",
                           where=make_filter("2016-01-01", "2016-12-31", None, {}))
    assert answer.refused and answer.gated and not llm.calls and not answer.passages


def test_filters_that_cannot_apply_say_why():
    with pytest.raises(FilterError, match="not a date"):
        make_filter("last week", None, None, {})
    with pytest.raises(FilterError, match="range is empty"):
        make_filter("2015-08-02", "2015-08-01", None, {})
    with pytest.raises(FilterError, match="its sources: alriyadh, okaz"):
        make_filter(None, None, "Reuters", {"alriyadh": 1, "okaz": 1})
    assert make_filter("", None, [], {}) is None
    where = make_filter("٢١ يوليو ٢٠١٥", "2015-07-31", "okaz,ALRIYADH", {"alriyadh": 1, "okaz": 1})
    assert (where.since, where.until, where.sources) == ("2015-07-21", "2015-07-31", frozenset({"okaz", "alriyadh"}))


def test_the_cli_names_outlet_date_and_page_and_refuses_an_unknown_source(news_index, capsys):
    import io

    from rag.cli import main, print_sources
    from rag.types import Citation

    code = main(["ask", "Why were schools in Abha closed?", "--index", str(news_index.index_dir), "--source", "Reuters"])
    assert code == 2
    assert "no articles from 'Reuters' in the index; its sources: Gulf Times, alriyadh, okaz" in capsys.readouterr().err

    class Shown:
        refused, sentences, closest = False, [], []
        citations = [Citation(1, "museum", "A museum of calligraphy", "The museum will display 400 manuscripts.", 0, 41,
                              "The museum will display 400 manuscripts.", 0, 41, source="Okaz", date="2015-08-05",
                              url="http://okaz.example/museum", page=3)]
    out = io.StringIO()
    print_sources(Shown(), out)
    assert "[1] A museum of calligraphy — Okaz, 5 August 2015 · page 3 (museum, characters 0-41)" in out.getvalue()
    assert "http://okaz.example/museum" in out.getvalue()
