from rag.chunking import Chunk
from rag.retriever import merge_chunks

TEXT = "First sentence. Second sentence. Third sentence. Fourth sentence."


def chunk(article, position, start, end):
    return Chunk(article, position, start, end, TEXT[start:end], "title")


def test_overlapping_chunks_of_one_article_merge_into_one_passage():
    a0, a1 = chunk("a", 0, 0, 32), chunk("a", 1, 16, 48)  # share "Second sentence."
    far = chunk("a", 3, 49, len(TEXT))
    other = chunk("b", 0, 0, 15)
    passages = merge_chunks([(a1, 0.9), (other, 0.8), (a0, 0.5), (far, 0.4)])
    assert [(p.article_id, p.start, p.end) for p in passages] == [("a", 0, 48), ("b", 0, 15), ("a", 49, len(TEXT))]
    merged = passages[0]
    assert merged.text == TEXT[0:48] and merged.score == 0.9
    assert merged.chunk_ids == ["a#0", "a#1"]
