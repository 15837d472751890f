import json

import numpy as np
import pytest

from rag.chunking import Chunk
from rag.store import Store, StoreError, ivf_lists

EMBEDDER = {"name": "test", "dim": 4, "fingerprint": "abc", "document_format": "x"}
CHUNKER = {"max_tokens": 10, "overlap_sentences": 1, "version": 1}


def store_with(ids):
    store = Store.empty(EMBEDDER, CHUNKER)
    chunks = [Chunk(a, 0, 0, 4, "text", "title") for a in ids]
    vectors = np.eye(4, dtype=np.float32)[: len(ids)]
    store.add(chunks, vectors, {a: {"hash": a, "title": "title", "source_path": f"{a}.txt"} for a in ids})
    return store


def test_save_load_search_roundtrip(tmp_path):
    store_with(["a", "b", "c"]).save(tmp_path)
    loaded = Store.load(tmp_path)
    [(chunk, score)] = loaded.search(np.array([0, 1, 0, 0], dtype=np.float32), 1)
    assert chunk.article_id == "b" and score == pytest.approx(1.0)
    loaded.remove_articles({"b"})
    assert sorted(c.article_id for c, _ in loaded.search(np.array([0, 1, 0, 0], dtype=np.float32), 3)) == ["a", "c"]


def test_a_new_save_replaces_the_old_version_in_one_switch(tmp_path):
    store_with(["a"]).save(tmp_path)
    first = (tmp_path / "CURRENT").read_text().strip()
    store_with(["a", "b"]).save(tmp_path)
    second = (tmp_path / "CURRENT").read_text().strip()
    assert first != second and not (tmp_path / first).exists()
    assert len(Store.load(tmp_path).chunks) == 2


def test_interrupted_save_leaves_previous_index_loadable(tmp_path, monkeypatch):
    store_with(["a"]).save(tmp_path)

    def crash(*args):
        raise KeyboardInterrupt("killed mid-save")
    monkeypatch.setattr("rag.store.os.replace", crash)
    with pytest.raises(KeyboardInterrupt):
        store_with(["a", "b"]).save(tmp_path)
    monkeypatch.undo()
    assert [c.article_id for c in Store.load(tmp_path).chunks] == ["a"]


def test_damaged_index_gives_a_clear_error(tmp_path):
    store_with(["a", "b"]).save(tmp_path)
    version = tmp_path / (tmp_path / "CURRENT").read_text().strip()
    data = (version / "faiss.index").read_bytes()
    (version / "faiss.index").write_bytes(data[: len(data) // 2])
    with pytest.raises(StoreError, match="rag ingest --rebuild"):
        Store.load(tmp_path)
    (version / "manifest.json").write_text("{ truncated")
    with pytest.raises(StoreError, match="damaged") as refused:
        Store.load(tmp_path)
    assert f"`rag ingest --rebuild --index {tmp_path}`" in str(refused.value)


def test_missing_index_says_how_to_build_one(tmp_path):
    with pytest.raises(StoreError, match="rag ingest"):
        Store.load(tmp_path)


def test_index_from_another_embedder_or_chunker_is_refused(tmp_path):
    store_with(["a"]).save(tmp_path)
    store = Store.load(tmp_path)
    store.check_compatible(EMBEDDER, CHUNKER)
    with pytest.raises(StoreError, match="embedder"):
        store.check_compatible({**EMBEDDER, "fingerprint": "other"}, CHUNKER)
    with pytest.raises(StoreError, match="chunk settings"):
        store.check_compatible(EMBEDDER, {**CHUNKER, "max_tokens": 200})
    with pytest.raises(StoreError, match="document prompt 'x', not 'y'") as refused:
        store.check_compatible({**EMBEDDER, "document_format": "y"}, CHUNKER)
    assert f"`rag ingest --rebuild --index {tmp_path}`" in str(refused.value)  # this index, whichever it is
    version = tmp_path / (tmp_path / "CURRENT").read_text().strip()
    assert json.loads((version / "manifest.json").read_text())["embedder"] == EMBEDDER


def test_large_index_switches_to_an_inverted_file_and_survives_a_save(tmp_path, monkeypatch):
    monkeypatch.setattr("rag.store.APPROXIMATE_FROM", 500)
    monkeypatch.setattr("rag.store.IVF_PROBES", 128)  # every list: the same results as exact search
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(600, 4)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    store = Store.empty(EMBEDDER, CHUNKER)
    store.add([Chunk(f"a{i}", 0, 0, 4, "text", "title") for i in range(600)], vectors,
              {f"a{i}": {"hash": str(i)} for i in range(600)})
    assert type(store.index).__name__ == "IndexIVFFlat" and store.index.nlist == ivf_lists(600) == 128
    store.save(tmp_path)
    loaded = Store.load(tmp_path)
    assert type(loaded.index).__name__ == "IndexIVFFlat" and loaded.index.nprobe == 128
    assert np.allclose(loaded.vectors, vectors)
    exact = vectors @ vectors[7]
    found = loaded.search(vectors[7], 10)
    assert [c.article_id for c, _ in found] == [f"a{i}" for i in np.argsort(-exact)[:10]]
    assert found[0][1] == pytest.approx(1.0, abs=1e-5)
    loaded.remove_articles({f"a{i}" for i in range(200)})  # back under the size: exact again
    assert type(loaded.index).__name__ == "IndexFlatIP"
