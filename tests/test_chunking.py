from rag.chunking import chunk_article
from rag.corpus import Article


def words(text: str) -> int:
    return len(text.split())


def test_chunks_are_whole_sentences_with_exact_spans_and_overlap():
    text = "جملة أولى فيها أربع كلمات. جملة ثانية هنا أيضا؟ ثالثة قصيرة؛ رابعة\nخامسة في سطر."
    article = Article("a", "عنوان", text)
    chunks = chunk_article(article, words, max_tokens=10, overlap_sentences=1)
    assert len(chunks) > 1
    for chunk in chunks:
        assert text[chunk.start:chunk.end] == chunk.text
        assert words(chunk.text) <= 10
        assert chunk.title == "عنوان" and chunk.article_id == "a"
    assert [c.position for c in chunks] == list(range(len(chunks)))
    # consecutive chunks share a sentence, so a fact is never cut in half
    assert all(later.start < earlier.end for earlier, later in zip(chunks, chunks[1:]))
    assert chunks[0].start == 0 and chunks[-1].end == len(text)


def test_long_sentence_is_cut_at_commas_then_words():
    text = "، ".join(f"مقطع رقم {i} من جملة طويلة جدا" for i in range(30)) + "."
    chunks = chunk_article(Article("b", "t", text), words, max_tokens=12, overlap_sentences=0)
    assert all(words(c.text) <= 12 for c in chunks)
    assert text[chunks[0].start:chunks[0].end] == chunks[0].text
    run_on = " ".join(["كلمة"] * 50)
    chunks = chunk_article(Article("c", "t", run_on), words, max_tokens=10, overlap_sentences=0)
    assert all(words(c.text) <= 10 for c in chunks)
    assert sum(words(c.text) for c in chunks) == 50
