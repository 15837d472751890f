import numpy as np

from rag.types import Chunk
from rag.config import Settings
from rag.retriever import Fusion, Retriever, merge_chunks
from rag.store import Store

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


class WordCountingEmbedder:
    """Query vector fixed by the test; a token is a word."""
    def __init__(self, vector):
        self.vector = np.asarray(vector, dtype=np.float32)

    def encode_query(self, texts):
        return self.vector[None]

    def count_tokens(self, text):
        return len(text.split())


def store_of(chunks_and_vectors):
    store = Store.empty({"name": "t", "dim": 3, "fingerprint": "f", "document_format": "x"}, {})
    chunks = [c for c, _ in chunks_and_vectors]
    vectors = np.asarray([v for _, v in chunks_and_vectors], dtype=np.float32)
    store.add(chunks, vectors / np.linalg.norm(vectors, axis=1, keepdims=True),
              {c.article_id: {"hash": c.article_id} for c in chunks})
    return store


def test_one_article_does_not_crowd_out_the_rest_and_passages_fit_the_budget():
    # Article "a" has four separate sentences closer to the query than anything in "b".
    long_article = [(chunk("a", i, s, e), [1, 0.1 * i, 0]) for i, (s, e) in
                    enumerate([(0, 15), (16, 32), (33, 48), (49, len(TEXT))])]
    other = [(Chunk("b", 0, 0, 11, "Other text.", "title"), [1, 0.5, 0.2])]
    retriever = Retriever(store_of(long_article + other), WordCountingEmbedder([1, 0, 0]), Fusion(weight=0.0))
    passages = retriever.retrieve("question", top_k=3).passages
    assert [p.article_id for p in passages] == ["a", "a", "b"]
    assert len(retriever.retrieve("question", top_k=3, passages_per_article=3).passages) == 3
    assert {p.article_id for p in retriever.retrieve("question", top_k=3, passages_per_article=3).passages} == {"a"}
    # Two words a chunk and a one-word headline, which is sent too: a budget of six tokens
    # leaves room for two chunks, one of five for one.
    assert len(retriever.retrieve("question", top_k=3, budget_tokens=6).passages) == 2
    assert len(retriever.retrieve("question", top_k=3, budget_tokens=5).passages) == 1


def test_a_chunk_counts_the_chunks_around_it_too():
    # b#0 is a little closer to the query than a#0, but the chunk after a#0 is about the query
    # too, and the one after b#0 is not.
    store = store_of([(chunk("a", 0, 0, 15), [0.9, 0.436, 0]), (chunk("a", 1, 16, 32), [0.95, 0, 0.312]),
                      (Chunk("b", 0, 0, 11, "Other text.", "t"), [0.92, 0.392, 0]),
                      (Chunk("b", 1, 12, 20, "Unrelated", "t"), [0, 0, 1])])
    embedder = WordCountingEmbedder([1, 0, 0])
    order = [c.chunk_id for c, _ in Retriever(store, embedder, Fusion(weight=0.0, context_weight=0.0)).search("q", 4)]
    assert order.index("b#0") < order.index("a#0")
    ranked = Retriever(store, embedder, Fusion(weight=0.0, context_weight=0.4)).search("q", 4)
    order = [c.chunk_id for c, _ in ranked]
    assert order.index("a#0") < order.index("b#0")
    assert dict((c.chunk_id, round(s, 3)) for c, s in ranked)["a#0"] == 0.9  # the cosine is reported, not the sum


def test_neighbours_stay_inside_their_article():
    store = store_of([(chunk("a", 0, 0, 15), [1, 0, 0]), (chunk("a", 1, 16, 32), [0, 1, 0]),
                      (chunk("a", 2, 33, 48), [0, 0, 1]), (Chunk("b", 0, 0, 11, "Other text.", "t"), [1, 1, 0])])
    before, after = store.neighbours
    assert before.tolist() == [0, 0, 1, 3] and after.tolist() == [1, 2, 2, 3]
    store.remove_articles({"a"})
    assert [r.tolist() for r in store.neighbours] == [[0], [0]]


def test_fusion_weights_are_settings(monkeypatch):
    assert Fusion.from_settings(Settings()) == Fusion()
    monkeypatch.setenv("RAG_BM25_WEIGHT", "0.3")
    monkeypatch.setenv("RAG_CONTEXT_WEIGHT", "0.4")
    fusion = Fusion.from_settings(Settings.load())
    assert (fusion.weight, fusion.context_weight) == (0.3, 0.4)
