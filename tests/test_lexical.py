"""BM25 terms, the language-aware fusion, and BM25 kept in step with the store."""

import numpy as np
import pytest

from rag import lexical
from rag.types import Chunk
from rag.retriever import Fusion, Retriever
from rag.store import Store

EMBEDDER = {"name": "test", "dim": 4, "fingerprint": "abc", "document_format": "x"}
CHUNKER = {"max_tokens": 10, "overlap_sentences": 1, "version": 1}


def test_terms_are_normalized_stemmed_per_script_and_without_stop_words():
    # Same word with and without diacritics, hamza alef and taa marbuta typed as haa: one term.
    assert lexical.terms("المدينة") == lexical.terms("المدينه") == lexical.terms("المَدِينَة")
    assert lexical.terms("أحمد") == lexical.terms("احمد")
    assert lexical.terms("ذهب الى المدينة") == lexical.terms("ذهب إلى المدينة")
    # Arabic prefixes and suffixes go with the Arabic stemmer, English endings with the English one.
    assert lexical.terms("بالمدينة") == lexical.terms("المدينة")
    assert lexical.terms("meetings") == lexical.terms("meeting")
    mixed = lexical.terms("Peskov met reporters في الكرملين")
    assert mixed == lexical.terms("Peskov met reporters") + lexical.terms("الكرملين")
    # Stop words of both languages and punctuation are not terms; digits are, in any script.
    assert lexical.terms("what did he say about the ما هو في") == ["say"]
    assert lexical.terms("عام ٢٠١٥") == lexical.terms("عام 2015") and "2015" in lexical.terms("عام 2015")


def test_a_function_word_behind_a_proclitic_is_still_a_function_word():
    assert all(lexical.function_word(w) for w in ("ماذا", "وماذا", "بان", "فان", "the"))
    assert not any(lexical.function_word(w) for w in ("وزير", "بيسكوف", "minister"))


def test_coverage_says_how_much_of_the_query_the_corpus_knows():
    index = lexical.LexicalIndex([lexical.terms("بيسكوف يتحدث عن مركز بغداد"), lexical.terms("سعر النفط")])
    assert index.coverage(lexical.terms("ماذا قال بيسكوف عن مركز بغداد؟")) > 0.6
    assert index.coverage(lexical.terms("What did Peskov say about the Baghdad center?")) == 0.0
    assert index.coverage([]) == 0.0
    assert index.scores(lexical.terms("unknown words only")).tolist() == [0.0, 0.0]


class StubEmbedder:
    """Gives each query a vector chosen by the test."""
    def __init__(self, vectors):
        self.vectors = vectors

    def encode_query(self, texts):
        return np.asarray([self.vectors[t] for t in texts], dtype=np.float32)


def unit(*values):
    v = np.asarray(values, dtype=np.float32)
    return v / np.linalg.norm(v)


# Three Arabic chunks and one English one. The dense side prefers "oil" for both questions below;
# only "kremlin" holds the Arabic question's words.
CHUNKS = {
    "oil": ("سعر النفط ارتفع في الأسواق", unit(1, 0.2, 0, 0)),
    "kremlin": ("بيسكوف قال إن مركز بغداد للمعلومات يعمل", unit(1, 0.9, 0, 0)),
    "weather": ("الطقس حار في الرياض", unit(0, 0, 1, 0)),
    "english": ("The council met on Monday in Geneva", unit(0, 0, 0, 1)),
}


def mixed_store():
    store = Store.empty(EMBEDDER, CHUNKER)
    chunks = [Chunk(a, 0, 0, len(text), text, "") for a, (text, _) in CHUNKS.items()]
    store.add(chunks, np.stack([v for _, v in CHUNKS.values()]), {a: {"hash": a} for a in CHUNKS})
    return store


def ranked_ids(retriever, query):
    return [c.article_id for c, _ in retriever.search(query, 4)]


def test_fusion_lifts_the_lexical_match_for_a_question_in_the_corpus_language():
    query = "ماذا قال بيسكوف عن مركز بغداد؟"
    embedder = StubEmbedder({query: unit(1, 0.1, 0, 0)})
    dense_only = Retriever(mixed_store(), embedder, Fusion(weight=0.0))
    hybrid = Retriever(mixed_store(), embedder)
    assert ranked_ids(dense_only, query)[0] == "oil"
    assert ranked_ids(hybrid, query)[0] == "kremlin"
    # Scores stay cosines, whatever the order: the evidence gate is calibrated on them.
    kremlin_score = dict((c.article_id, s) for c, s in hybrid.search(query, 4))["kremlin"]
    assert kremlin_score == pytest.approx(float(unit(1, 0.1, 0, 0) @ CHUNKS["kremlin"][1]))


def test_fusion_leaves_a_cross_lingual_question_to_the_dense_side():
    query = "What did Peskov say about the Baghdad center?"  # none of its terms are in the Arabic text
    embedder = StubEmbedder({query: unit(1, 0.1, 0, 0.05)})
    dense_only = Retriever(mixed_store(), embedder, Fusion(weight=0.0))
    hybrid = Retriever(mixed_store(), embedder)
    assert hybrid.search(query, 4) == dense_only.search(query, 4)


def test_fusion_helps_an_english_question_over_english_text():
    query = "When did the council meet in Geneva?"
    embedder = StubEmbedder({query: unit(1, 0, 0, 0.3)})
    assert ranked_ids(Retriever(mixed_store(), embedder, Fusion(weight=0.0)), query)[0] == "oil"
    assert ranked_ids(Retriever(mixed_store(), embedder, Fusion(weight=1.0)), query)[0] == "english"


def test_bm25_follows_added_changed_and_removed_articles(tmp_path):
    store = mixed_store()
    query = lexical.terms("مركز بغداد")
    assert store.lexical.scores(query).argmax() == 1  # "kremlin"
    store.remove_articles({"kremlin"})
    assert store.lexical.scores(query).tolist() == [0.0, 0.0, 0.0]
    store.add([Chunk("baghdad", 0, 0, 10, "افتتاح مركز في بغداد", "")], unit(0, 1, 0, 0)[None], {"baghdad": {"hash": "x"}})
    assert [store.chunks[i].article_id for i in np.flatnonzero(store.lexical.scores(query))] == ["baghdad"]
    # Saved and loaded, the terms come back as they were; made again when missing or outdated.
    store.save(tmp_path)
    loaded = Store.load(tmp_path)
    assert loaded.terms == store.terms
    version = tmp_path / (tmp_path / "CURRENT").read_text().strip()
    (version / "terms.jsonl").write_text("[\"broken\"\n")
    assert Store.load(tmp_path).terms == store.terms
    (version / "terms.jsonl").unlink()
    assert Store.load(tmp_path).terms == store.terms
