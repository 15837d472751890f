"""What an ingest adds, drops, refuses and how it stops, with a fake embedder (vectors do not
matter here): named files are added, a folder is the whole corpus, a stopped or oversized ingest
leaves the index as it was."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fake_embedder import FakeEmbedder  # noqa: E402

from rag.config import Settings  # noqa: E402
from rag.ingest import IngestCancelled, TooLarge, ingest  # noqa: E402
from rag.store import Store  # noqa: E402


@pytest.fixture
def folder(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("one", "two", "three"):
        (corpus / f"{name}.txt").write_text(f"Headline {name}\nThe text of article {name}. It has two sentences.",
                                            encoding="utf-8")
    return corpus


@pytest.fixture
def settings(tmp_path):
    return Settings.load(index_dir=tmp_path / "index")


def test_named_files_are_added_and_a_folder_prunes(folder, settings, tmp_path):
    ingest([folder], settings, FakeEmbedder())
    new = tmp_path / "new.txt"
    new.write_text("New headline\nNew text.", encoding="utf-8")
    report = ingest([new], settings, FakeEmbedder())
    assert report.added == ["new"] and report.removed == []
    assert sorted(Store.load(settings.index_dir).articles) == ["new", "one", "three", "two"]
    report = ingest([new], settings, FakeEmbedder(), remove_missing=True)  # --prune
    assert sorted(report.removed) == ["one", "three", "two"]


def test_a_named_file_that_no_longer_holds_an_article_drops_it(tmp_path, settings):
    feed = tmp_path / "feed.jsonl"
    feed.write_text('{"id": "a", "text": "A text."}\n{"id": "b", "text": "B text."}\n', encoding="utf-8")
    ingest([feed], settings, FakeEmbedder())
    feed.write_text('{"id": "a", "text": "A text."}\n', encoding="utf-8")
    report = ingest([feed], settings, FakeEmbedder())
    assert report.removed == ["b"] and sorted(Store.load(settings.index_dir).articles) == ["a"]


def test_a_stopped_ingest_saves_nothing(folder, settings):
    ingest([folder / "one.txt"], settings, FakeEmbedder())
    before = (settings.index_dir / "CURRENT").read_text()
    with pytest.raises(IngestCancelled):
        ingest([folder], settings, FakeEmbedder(), should_stop=lambda: True)
    assert (settings.index_dir / "CURRENT").read_text() == before
    assert sorted(Store.load(settings.index_dir).articles) == ["one"]


def test_an_ingest_over_its_chunk_limit_is_refused_before_embedding(folder, settings):
    embedder = FakeEmbedder()
    with pytest.raises(TooLarge, match="at most 2"):
        ingest([folder], settings, embedder, max_chunks=2)
    assert not (settings.index_dir / "CURRENT").exists()


def test_a_date_or_source_read_anew_updates_the_manifest_without_embedding_again(settings, tmp_path):
    import json

    feed = tmp_path / "feed.json"

    def write(date, source):
        feed.write_text(json.dumps([{"id": "a", "title": "T", "text": "Body of the article.", "date": date,
                                     "source": source, "url": "http://e/a"}]), encoding="utf-8")
    write("2015-07-21 09:00:00", "okaz")
    ingest([feed], settings, FakeEmbedder())
    write("29 July 2015", "Okaz daily")
    report = ingest([feed], settings, FakeEmbedder())
    assert (report.unchanged, report.chunks_embedded, report.changed) == (1, 0, [])
    entry = Store.load(settings.index_dir).articles["a"]
    assert (entry["date"], entry["source"], entry["url"]) == ("2015-07-29", "Okaz daily", "http://e/a")
    write("", "")  # fields gone from the file are gone from the manifest
    ingest([feed], settings, FakeEmbedder())
    entry = Store.load(settings.index_dir).articles["a"]
    assert "date" not in entry and "source" not in entry and entry["url"] == "http://e/a"
