"""One contract for every vector engine: FAISS in this process and Qdrant through the same client
a server is reached with (`QdrantClient(":memory:")`; with RAG_QDRANT_URL set, also that server)."""

import os
import uuid

import numpy as np
import pytest

from rag.index_folder import StoreError
from rag.store import Store
from rag.types import Chunk
from rag.vector_index.faiss_index import FaissIndex
from rag.vector_index.qdrant_index import QdrantIndex

DIM = 8
EMBEDDER = {"name": "test", "dim": DIM, "fingerprint": "abc", "document_format": "x"}
CHUNKER = {"max_tokens": 10, "overlap_sentences": 1, "version": 1}
ENGINES = ["faiss", "qdrant-memory"] + (["qdrant-server"] if os.environ.get("RAG_QDRANT_URL") else [])


def make_engine(kind):
    if kind == "faiss":
        return FaissIndex(DIM)
    from qdrant_client import QdrantClient

    client = (QdrantClient(":memory:") if kind == "qdrant-memory"
              else QdrantClient(url=os.environ["RAG_QDRANT_URL"], api_key=os.environ.get("RAG_QDRANT_API_KEY")))
    return QdrantIndex(client, f"test-{uuid.uuid4().hex[:12]}", DIM)


@pytest.fixture(params=ENGINES)
def engine(request):
    made = make_engine(request.param)
    yield made
    if isinstance(made, QdrantIndex):
        made.client.delete_collection(made.collection)


def unit(*values):
    v = np.zeros(DIM, dtype=np.float32)
    v[:len(values)] = values
    return v / np.linalg.norm(v)


def fill(engine, n=5):
    vectors = np.eye(DIM, dtype=np.float32)[:n]
    keys = [f"a{i}#0@h" for i in range(n)]
    engine.add(keys, vectors, [{"article_id": f"a{i}", "chunk_id": f"a{i}#0"} for i in range(n)],
               [[f"term{i}", "shared"] for i in range(n)])
    return keys


def test_search_returns_the_nearest_keys_best_first_with_their_cosines(engine):
    assert engine.search(unit(1), 3) == []
    keys = fill(engine)
    found = engine.search(unit(1, 0.5), 2)
    assert [k for k, _ in found] == [keys[0], keys[1]]
    assert found[0][1] == pytest.approx(1 / np.sqrt(1.25), abs=1e-5)
    assert len(engine.search(unit(1), 50)) == 5


def test_a_filter_keeps_to_the_articles_it_names(engine):
    keys = fill(engine)
    from rag.vector_index.base import ChunkFilter

    found = engine.search(unit(1), 3, ChunkFilter(frozenset({"a3", "a4"})))
    assert sorted(k for k, _ in found) == [keys[3], keys[4]]
    assert engine.search(unit(1), 3, ChunkFilter(frozenset())) == []


def test_date_and_source_filters_apply_before_ranking(engine):
    from rag.vector_index.base import ChunkFilter

    dated = [("2015-07-21", "okaz"), ("2015-07-30", "okaz"), ("2015-08-05", "sabq"), ("", "sabq"), ("2015-08-11", "")]
    keys = [f"a{i}#0@h" for i in range(len(dated))]
    engine.add(keys, np.eye(DIM, dtype=np.float32)[:len(keys)],
               [{"article_id": f"a{i}", "chunk_id": f"a{i}#0", **({"date": d} if d else {}), **({"source": s} if s else {})}
                for i, (d, s) in enumerate(dated)])

    def found(**where):  # the query is nearest to a0: every allowed key comes back, nearest first
        return [keys.index(k) for k, _ in engine.search(unit(1, 0.1, 0.05, 0.02, 0.01), 5, ChunkFilter(**where))]
    assert found(since="2015-07-30") == [1, 2, 4]  # the undated article is not in any range
    assert found(since="2015-07-22", until="2015-08-05") == [1, 2]
    assert found(until="2015-07-21") == [0]
    assert found(sources=frozenset({"sabq"})) == [2, 3]
    assert found(sources=frozenset({"okaz"}), since="2015-07-25") == [1]
    assert found(sources=frozenset()) == []


def test_similarity_of_given_keys_and_zero_for_unknown_ones(engine):
    keys = fill(engine)
    scores = engine.similarity(unit(1, 1), [keys[1], "missing@h", keys[0], keys[1]])
    assert scores == pytest.approx([2 ** -0.5, 0, 2 ** -0.5, 2 ** -0.5], abs=1e-5)


def test_removed_keys_are_gone_once_committed(engine):
    keys = fill(engine)
    engine.remove([keys[0]])
    engine.commit()
    assert keys[0] not in [k for k, _ in engine.search(unit(1), 5)]
    assert len(engine.search(unit(1), 5)) == 4


def test_a_store_on_the_engine_saves_loads_and_refuses_another_engine(engine, tmp_path):
    store = Store.empty(EMBEDDER, CHUNKER, engine)
    chunks = [Chunk(a, 0, 0, 4, "text", "title") for a in "abc"]
    store.add(chunks, np.eye(DIM, dtype=np.float32)[:3], {a: {"hash": f"hash-{a}"} for a in "abc"})
    store.save(tmp_path)
    reopened = engine if engine.keeps_vectors else FaissIndex(DIM)  # a server keeps its vectors
    loaded = Store.load(tmp_path, reopened)
    assert [c.article_id for c, _ in loaded.search(unit(0, 1), 1)] == ["b"]
    assert loaded.similarity(unit(0, 0, 1), [2])[0] == pytest.approx(1.0, abs=1e-5)
    loaded.check_compatible(EMBEDDER, CHUNKER)
    other = FaissIndex(DIM) if engine.keeps_vectors else make_engine("qdrant-memory")
    with pytest.raises(StoreError, match="vector engine"):
        Store.load(tmp_path, other).check_compatible(EMBEDDER, CHUNKER)


def test_a_changed_article_keeps_its_old_vectors_for_readers_until_the_commit(engine, tmp_path):
    store = Store.empty(EMBEDDER, CHUNKER, engine)
    store.add([Chunk("a", 0, 0, 4, "old", "t")], unit(1)[None], {"a": {"hash": "old-hash"}})
    store.save(tmp_path)
    old_key = store.keys[0]
    store.remove_articles({"a"})
    store.add([Chunk("a", 0, 0, 4, "new", "t")], unit(0, 1)[None], {"a": {"hash": "new-hash"}})
    assert store.keys[0] != old_key
    if engine.keeps_vectors:  # shared with readers of the version still current
        assert old_key in [k for k, _ in engine.search(unit(1), 5)]
    store.save(tmp_path)
    assert [k for k, _ in engine.search(unit(1), 5)] == [store.keys[0]]


def test_qdrant_ranks_the_lexical_side_with_its_idf_over_the_project_terms():
    engine = make_engine("qdrant-memory")
    fill(engine)
    found = engine.lexical_search(["term3", "shared"], 5)
    assert found[0][0] == "a3#0@h" and len(found) == 5  # the rare term decides; the shared one counts little
    assert found[0][1] > 2 * found[1][1]


def test_an_ingest_into_qdrant_local_mode_answers_searches_and_follows_changes(tmp_path):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from fake_embedder import FakeEmbedder

    from rag.config import Settings
    from rag.ingest import ingest
    from rag.retriever import Retriever
    from rag.vector_index import open_engine

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("oil", "rain", "moon"):
        (corpus / f"{name}.txt").write_text(f"Headline {name}\nAll about {name} today. More on {name}.", encoding="utf-8")
    settings = Settings.load(index_dir=tmp_path / "index", index_engine="qdrant", qdrant_collection="news")
    embedder = FakeEmbedder()
    ingest([corpus], settings, embedder, batch_chunks=1)
    store = Store.load(settings.index_dir, open_engine(settings, embedder.dim))
    store.check_compatible(embedder.id, store.manifest["chunker"])
    assert store.manifest["engine"] == {"name": "qdrant", "collection": "news", "payload": 2}
    assert not (settings.index_dir / "segments" / store.segments[0].name / "vectors.npy").exists()
    query = "All about rain today. More on rain."
    [(top, score)] = Retriever(store, embedder).search(query, 1)
    assert top.article_id == "rain" and score == pytest.approx(1.0, abs=1e-5)

    (corpus / "rain.txt").unlink()
    (corpus / "oil.txt").write_text("Headline oil\nOil prices fell.", encoding="utf-8")
    report = ingest([corpus], settings, embedder, batch_chunks=1)
    assert report.removed == ["rain"] and report.changed == ["oil"]
    store = Store.load(settings.index_dir, open_engine(settings, embedder.dim))
    assert sorted(store.articles) == ["moon", "oil"]
    engine = store.engine
    assert engine.client.count(engine.collection).count == len(store.chunks)  # the old points are gone
    with pytest.raises(StoreError, match="vector engine"):
        Store.load(settings.index_dir)  # FAISS cannot open it: said, not "damaged"


def test_the_engine_setting_is_checked():
    from rag.config import Settings, SettingsError

    assert Settings.load(index_engine="qdrant").index_engine == "qdrant"
    with pytest.raises(SettingsError, match="RAG_INDEX_DIR"):
        Settings.load(index_engine="/srv/index")  # RAG_INDEX named the folder before the engine


def test_a_qdrant_collection_of_other_vectors_is_refused_with_what_to_do():
    from qdrant_client import QdrantClient

    client = QdrantClient(":memory:")
    QdrantIndex(client, "news", 4)
    with pytest.raises(StoreError, match="RAG_QDRANT_COLLECTION"):
        QdrantIndex(client, "news", DIM)


def test_chunks_carry_their_articles_date_and_source_to_the_engine():
    engine = make_engine("qdrant-memory")
    store = Store.empty(EMBEDDER, CHUNKER, engine)
    store.add([Chunk("a", 0, 0, 4, "text", "t")], unit(1)[None],
              {"a": {"hash": "h", "date": "2015-07-21", "source": "okaz"}})
    [record] = engine.client.scroll(engine.collection, limit=5)[0]
    assert record.payload == {"article_id": "a", "chunk_id": "a#0", "date": "2015-07-21", "source": "okaz",
                              "key": store.keys[0], "day": 20150721}


def test_a_qdrant_rebuild_sweeps_out_points_no_version_lists(tmp_path):
    """Points a crashed ingest upserted but never committed, and articles gone since, leave the
    collection at the next rebuild."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from fake_embedder import FakeEmbedder

    from rag.config import Settings
    from rag.ingest import ingest
    from rag.vector_index import open_engine

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "kept.txt").write_text("Kept\nThis article stays.", encoding="utf-8")
    settings = Settings.load(index_dir=tmp_path / "index", index_engine="qdrant", qdrant_collection="sweep")
    embedder = FakeEmbedder()
    ingest([corpus], settings, embedder)
    engine = open_engine(settings, embedder.dim)
    engine.add(["orphan#0@h"], unit(1)[None], [{"article_id": "orphan", "chunk_id": "orphan#0"}])  # never committed
    assert "orphan#0@h" in engine.stored_keys()
    ingest([corpus], settings, embedder, rebuild=True)
    store = Store.load(settings.index_dir, open_engine(settings, embedder.dim))
    assert sorted(store.engine.stored_keys()) == sorted(store.keys)
