import json

import numpy as np
import pytest

from rag.index_folder import StoreError
from rag.types import Chunk
from rag.store import Store
from rag.vector_index.faiss_index import ivf_lists

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


def current(index_dir):
    return (index_dir / "CURRENT").read_text().strip()


def test_a_new_save_replaces_the_old_version_in_one_switch_and_keeps_the_one_it_replaced(tmp_path):
    store_with(["a"]).save(tmp_path)
    first = current(tmp_path)
    store_with(["a", "b"]).save(tmp_path, replaces=first)
    second = current(tmp_path)
    assert first != second and (tmp_path / first).is_dir()  # a reader may still be loading it
    assert len(Store.load(tmp_path).chunks) == 2
    loaded = Store.load(tmp_path)
    loaded.save(tmp_path)  # a loaded store replaces the version it came from
    assert not (tmp_path / first).exists() and (tmp_path / second).is_dir()


def test_a_save_refuses_to_switch_when_another_writer_switched_first(tmp_path):
    store_with(["a"]).save(tmp_path)
    mine, theirs = Store.load(tmp_path), Store.load(tmp_path)
    theirs.add([Chunk("b", 0, 0, 4, "text", "title")], np.eye(4, dtype=np.float32)[1:2], {"b": {"hash": "b"}})
    theirs.save(tmp_path)
    mine.add([Chunk("c", 0, 0, 4, "text", "title")], np.eye(4, dtype=np.float32)[2:3], {"c": {"hash": "c"}})
    with pytest.raises(StoreError, match="another writer"):
        mine.save(tmp_path)
    assert sorted(Store.load(tmp_path).articles) == ["a", "b"]
    with pytest.raises(StoreError, match="another writer"):
        store_with(["x"]).save(tmp_path)  # a new index over an existing one, not as a rebuild
    assert len([p for p in tmp_path.iterdir() if p.name.startswith("v-")]) == 2  # nothing left behind


def test_versions_and_leftovers_newer_than_the_replaced_version_are_left_alone(tmp_path):
    import os
    import time

    store_with(["a"]).save(tmp_path)
    old_leftover = tmp_path / ".tmp-old"
    old_leftover.mkdir()
    os.utime(old_leftover, (time.time() - 3600, time.time() - 3600))
    time.sleep(0.05)
    other_writer = tmp_path / ".tmp-in-progress"  # another writer's staging folder, begun after
    other_writer.mkdir()
    Store.load(tmp_path).save(tmp_path)
    assert other_writer.is_dir() and not old_leftover.exists()


@pytest.mark.parametrize("pointer", ["../elsewhere", "ABSOLUTE", "other", "v-missing", ""])
def test_current_must_name_a_version_folder_of_the_index(tmp_path, pointer):
    import shutil

    index = tmp_path / "index"
    store_with(["a"]).save(index)
    version = index / current(index)
    shutil.copytree(version, tmp_path / "elsewhere")  # a whole index version, but outside the index
    shutil.copytree(version, index / "other")  # inside it, but not a version folder
    pointer = str(tmp_path / "elsewhere") if pointer == "ABSOLUTE" else pointer
    (index / "CURRENT").write_text(pointer + "\n")
    with pytest.raises(StoreError, match="damaged"):
        Store.load(index)


def segment_folders(index_dir):
    return sorted(p.name for p in (index_dir / "segments").iterdir() if p.name.startswith("s-"))


def test_the_manifest_records_each_segment_file_and_a_changed_file_is_refused_on_load(tmp_path):
    store_with(["a", "b"]).save(tmp_path)
    version = tmp_path / current(tmp_path)
    manifest = json.loads((version / "manifest.json").read_text())
    [segment] = manifest["segments"]
    assert segment["chunks"] == 2 and set(segment["files"]) == {"chunks.jsonl", "terms.jsonl", "vectors.npy"}
    assert all(len(f["sha256"]) == 64 and f["size"] > 0 for f in segment["files"].values())
    chunks = tmp_path / "segments" / segment["name"] / "chunks.jsonl"
    chunks.write_text(chunks.read_text().replace('"text"', '"TEXT"'))  # same size, other bytes
    with pytest.raises(StoreError, match="sha256"):
        Store.load(tmp_path)


def test_a_commit_writes_only_the_new_segment_and_a_removal_rewrites_only_its_own(tmp_path):
    store = store_with(["a", "b"])
    store.save(tmp_path)
    first = segment_folders(tmp_path)
    store.add([Chunk("c", 0, 0, 4, "text", "title")], np.eye(4, dtype=np.float32)[2:3], {"c": {"hash": "c"}})
    store.save(tmp_path)
    second = segment_folders(tmp_path)
    assert len(second) == 2 and set(first) < set(second)  # the first segment is listed again, not rewritten
    loaded = Store.load(tmp_path)
    loaded.remove_articles({"c"})
    loaded.save(tmp_path)
    assert [c.article_id for c in Store.load(tmp_path).chunks] == ["a", "b"]
    Store.load(tmp_path).save(tmp_path)  # the next save removes what no kept version lists
    assert segment_folders(tmp_path) == first


def test_interrupted_save_leaves_previous_index_loadable(tmp_path, monkeypatch):
    store_with(["a"]).save(tmp_path)

    def crash(*args):
        raise KeyboardInterrupt("killed mid-save")
    monkeypatch.setattr("rag.index_folder.os.replace", crash)
    with pytest.raises(KeyboardInterrupt):
        store_with(["a", "b"]).save(tmp_path, replaces=current(tmp_path))
    monkeypatch.undo()
    assert [c.article_id for c in Store.load(tmp_path).chunks] == ["a"]


def test_damaged_index_gives_a_clear_error(tmp_path):
    store_with(["a", "b"]).save(tmp_path)
    version = tmp_path / current(tmp_path)
    [segment] = json.loads((version / "manifest.json").read_text())["segments"]
    vectors = tmp_path / "segments" / segment["name"] / "vectors.npy"
    data = vectors.read_bytes()
    vectors.write_bytes(data[: len(data) // 2])
    with pytest.raises(StoreError, match="rag ingest --rebuild"):
        Store.load(tmp_path)
    (version / "manifest.json").write_text("{ truncated")
    with pytest.raises(StoreError, match="damaged") as refused:
        Store.load(tmp_path)
    assert f"`rag ingest --rebuild --index {tmp_path}`" in str(refused.value)


def test_an_index_an_earlier_version_wrote_loads_and_is_written_anew_on_the_next_save(tmp_path):
    """Format 1: one faiss.index, chunks.jsonl and terms.jsonl a version."""
    import faiss

    version = tmp_path / "v-old"
    version.mkdir()
    vectors = np.eye(4, dtype=np.float32)[:2]
    index = faiss.IndexFlatIP(4)
    index.add(vectors)
    faiss.write_index(index, str(version / "faiss.index"))
    (version / "chunks.jsonl").write_text("".join(json.dumps({"article_id": a, "position": 0, "start": 0, "end": 4,
                                                              "text": "text", "title": "title"}) + "\n"
                                                  for a in "ab"))
    (version / "manifest.json").write_text(json.dumps({"format": 1, "embedder": EMBEDDER, "chunker": CHUNKER,
                                                       "chunks": 2, "articles": {a: {"hash": a} for a in "ab"}}))
    (tmp_path / "CURRENT").write_text("v-old\n")
    loaded = Store.load(tmp_path)
    assert loaded.search(vectors[1], 1)[0][0].article_id == "b"
    loaded.check_compatible(EMBEDDER, CHUNKER)
    loaded.save(tmp_path)
    assert json.loads((tmp_path / current(tmp_path) / "manifest.json").read_text())["format"] == 2
    assert [c.article_id for c in Store.load(tmp_path).chunks] == ["a", "b"]


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
    monkeypatch.setattr("rag.vector_index.faiss_index.APPROXIMATE_FROM", 500)
    monkeypatch.setattr("rag.vector_index.faiss_index.IVF_PROBES", 128)  # every list: the same results as exact
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(600, 4)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    store = Store.empty(EMBEDDER, CHUNKER)
    store.add([Chunk(f"a{i}", 0, 0, 4, "text", "title") for i in range(600)], vectors,
              {f"a{i}": {"hash": str(i)} for i in range(600)})
    assert type(store.engine.index).__name__ == "IndexIVFFlat" and store.engine.index.nlist == ivf_lists(600) == 128
    store.save(tmp_path)
    assert (tmp_path / current(tmp_path) / "faiss.index").is_file()  # trained once, saved with the version
    loaded = Store.load(tmp_path)
    assert loaded.engine._index is not None  # taken from the version, not trained again
    assert type(loaded.engine.index).__name__ == "IndexIVFFlat" and loaded.engine.index.nprobe == 128
    assert np.allclose(loaded.engine.vectors, vectors)
    exact = vectors @ vectors[7]
    found = loaded.search(vectors[7], 10)
    assert [c.article_id for c, _ in found] == [f"a{i}" for i in np.argsort(-exact)[:10]]
    assert found[0][1] == pytest.approx(1.0, abs=1e-5)
    loaded.remove_articles({f"a{i}" for i in range(200)})  # back under the size: exact again
    assert type(loaded.engine.index).__name__ == "IndexFlatIP"
