"""Incremental ingest with the real embedder on a small corpus of its own."""

import dataclasses
import json
import subprocess
import sys

import pytest

from rag.config import REPO_ROOT
from rag.ingest import ingest
from rag.store import Store, StoreError


def rag_cli(*args):
    """`rag ARGS` in a fresh process, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "rag.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=REPO_ROOT, timeout=600)


def article(folder, name, title, body):
    (folder / f"{name}.txt").write_text(f"{title}\n{body}\n", encoding="utf-8")


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    article(folder, "moon", "Moon mission lands", "The lander touched down near the south pole on Friday.")
    article(folder, "rain", "أمطار غزيرة في جدة", "هطلت أمطار غزيرة على مدينة جدة يوم الأحد وأغلقت المدارس.")
    return folder


@pytest.fixture
def local(settings, tmp_path):
    return dataclasses.replace(settings, index_dir=tmp_path / "index")


def test_incremental_add_change_delete(corpus, local, embedder):
    first = ingest([corpus], local, embedder)
    assert sorted(first.added) == ["moon", "rain"] and first.chunks_embedded == 2

    again = ingest([corpus], local, embedder)
    assert again.chunks_embedded == 0 and again.unchanged == 2
    saved = (local.index_dir / "CURRENT").read_text()

    article(corpus, "rain", "أمطار غزيرة في جدة", "هطلت أمطار غزيرة على مدينة جدة يوم الاثنين.")
    article(corpus, "oil", "Oil prices rise", "Brent crude rose to 50 dollars a barrel.")
    (corpus / "moon.txt").unlink()
    report = ingest([corpus], local, embedder)
    assert (report.added, report.changed, report.removed) == (["oil"], ["rain"], ["moon"])
    assert report.chunks_embedded == 2
    assert (local.index_dir / "CURRENT").read_text() != saved

    store = Store.load(local.index_dir)
    assert sorted(store.articles) == ["oil", "rain"]
    vector = embedder.encode_query(["What is the price of Brent crude?"])[0]
    assert store.search(vector, 1)[0][0].article_id == "oil"
    vector = embedder.encode_query(["متى هطلت الأمطار على جدة؟"])[0]
    top = store.search(vector, 1)[0][0]
    assert top.article_id == "rain" and "الاثنين" in top.text


def test_unreadable_file_is_reported_and_its_indexed_copy_kept(corpus, local, embedder):
    ingest([corpus], local, embedder)
    (corpus / "rain.txt").write_bytes(b"\x00\x01binary" * 100)
    report = ingest([corpus], local, embedder)
    assert [p.reason for p in report.problems] == ["binary file, not text"]
    assert report.removed == []
    assert sorted(Store.load(local.index_dir).articles) == ["moon", "rain"]


def test_index_with_other_chunk_settings_is_refused(corpus, local, embedder):
    ingest([corpus], local, embedder)
    other = dataclasses.replace(local, chunk_tokens=local.chunk_tokens + 50)
    with pytest.raises(StoreError, match="rebuild"):
        ingest([corpus], other, embedder)
    report = ingest([corpus], other, embedder, rebuild=True)
    assert report.total_articles == 2 and report.chunks_embedded == 2
    assert Store.load(local.index_dir).manifest["chunker"]["max_tokens"] == other.chunk_tokens


def test_cli_ingest_names_skipped_files_and_summarises(corpus, tmp_path):
    (corpus / "empty.txt").write_text("", encoding="utf-8")
    result = rag_cli("ingest", corpus, "--index", tmp_path / "cli-index")
    assert result.returncode == 0, result.stderr
    assert f"skipped {corpus / 'empty.txt'}: empty file" in result.stderr
    assert "embedded 2/2 chunks of 2 new or changed articles" in result.stderr
    assert "2 articles, 2 chunks (added 2" in result.stderr
    assert result.stdout == ""


def test_chunks_are_embedded_without_their_headline(corpus, local, embedder):
    """A headline names one of an article's stories; chunks about the others must not lean to it."""
    ingest([corpus], local, embedder)
    store = Store.load(local.index_dir)
    chunk = store.chunks[0]
    plain = embedder.encode_documents([chunk.text], ingest=True)[0]  # the runtime the chunks had
    headlined = embedder.encode_documents([chunk.text], [chunk.title], ingest=True)[0]
    assert float(store.engine.vectors[0] @ plain) > 0.999
    assert float(store.engine.vectors[0] @ headlined) < 0.99
    assert store.manifest["embedder"]["document_format"] == "title: none | text: "


OLD_DOCUMENT_FORMAT = "title: {title} | text: "  # the document prompt before chunks lost their headline


def change_manifest_embedder(index_dir, **changes) -> dict:
    """Rewrite what the current index's manifest records of its embedder, as an index another
    version or model made would have it; returns the new manifest."""
    version = index_dir / (index_dir / "CURRENT").read_text().strip()
    manifest = json.loads((version / "manifest.json").read_text())
    manifest["embedder"].update(changes)
    (version / "manifest.json").write_text(json.dumps(manifest))
    return manifest


def test_cli_rebuild_reads_the_files_the_index_came_from(corpus, local, embedder):
    """An index an earlier version made (headlines in the document prompt) is refused, and
    `rag ingest --rebuild` without paths rebuilds it from its own articles' files."""
    ingest([corpus / "moon.txt", corpus / "rain.txt"], local, embedder)
    manifest = change_manifest_embedder(local.index_dir, document_format=OLD_DOCUMENT_FORMAT)
    with pytest.raises(StoreError, match="document prompt"):
        Store.load(local.index_dir).check_compatible(embedder.id, manifest["chunker"])

    result = rag_cli("ingest", "--rebuild", "--index", local.index_dir)
    assert result.returncode == 0, result.stderr
    assert "from the 2 files its articles came from" in result.stderr
    rebuilt = Store.load(local.index_dir)
    rebuilt.check_compatible(embedder.id, manifest["chunker"])
    assert sorted(rebuilt.articles) == ["moon", "rain"]

    (corpus / "rain.txt").unlink()  # a file gone: named, and the index left as it is
    result = rag_cli("ingest", "--rebuild", "--index", local.index_dir)
    assert result.returncode == 2 and "rain.txt; name the folders or files to index" in result.stderr
    assert sorted(Store.load(local.index_dir).articles) == ["moon", "rain"]


def test_setup_rebuilds_an_index_an_earlier_version_made(corpus, local, embedder):
    """`rag setup` (the first command of the README) leaves an index it can use alone, and
    rebuilds one an earlier version embedded with the old document prompt from the same files,
    instead of leaving `rag serve` to refuse it."""
    from rag.ingest import outdated

    def setup():
        return rag_cli("setup", "--index", local.index_dir)

    ingest([corpus / "moon.txt", corpus / "rain.txt"], local, embedder)
    current = (local.index_dir / "CURRENT").read_text()
    assert outdated(local) is None
    result = setup()
    assert result.returncode == 0, result.stderr
    assert (local.index_dir / "CURRENT").read_text() == current and "rebuilding" not in result.stderr
    assert "prompt prefixes ready" in result.stderr  # saved for the next start (test_llamacpp.py)

    change_manifest_embedder(local.index_dir, document_format=OLD_DOCUMENT_FORMAT)
    assert "document prompt 'title: {title} | text: '" in outdated(local)
    result = setup()
    assert result.returncode == 0, result.stderr
    assert "rebuilding" in result.stderr and "from the 2 files its articles came from" in result.stderr
    assert outdated(local) is None
    assert sorted(Store.load(local.index_dir).articles) == ["moon", "rain"]

    # Another embedder's index is the user's choice: not rebuilt with this one behind their back.
    change_manifest_embedder(local.index_dir, fingerprint="another model", document_format=OLD_DOCUMENT_FORMAT)
    assert outdated(local) is None

    version = local.index_dir / (local.index_dir / "CURRENT").read_text().strip()
    (version / "manifest.json").write_text("{not json")  # damaged: said, and left as it is
    result = setup()
    assert result.returncode == 1 and "is damaged" in result.stderr
    assert (version / "manifest.json").read_text() == "{not json"


def test_cli_ingest_of_files_adds_them_and_a_folder_or_prune_drops_the_missing(corpus, local, embedder, tmp_path):
    ingest([corpus], local, embedder)
    extra = tmp_path / "extra.txt"
    extra.write_text("Oil prices rise\nBrent crude rose to 50 dollars a barrel.\n", encoding="utf-8")
    result = rag_cli("ingest", extra, "--index", local.index_dir)
    assert result.returncode == 0, result.stderr
    assert sorted(Store.load(local.index_dir).articles) == ["extra", "moon", "rain"]  # nothing else dropped
    (corpus / "moon.txt").unlink()
    result = rag_cli("ingest", "--corpus", corpus, "--index", local.index_dir)  # the corpus folder, no paths
    assert result.returncode == 0, result.stderr
    assert "removed 2 articles not found under" in result.stderr  # a folder is the whole corpus
    assert sorted(Store.load(local.index_dir).articles) == ["rain"]


def test_cli_ingest_alone_resumes_an_ingest_that_stopped_after_a_commit(corpus, local, embedder):
    """A kill after a batch's commit leaves its articles in the index and the ingest pending;
    `rag ingest` with no paths finishes it with the paths it was given."""
    from rag.ingest import IngestCancelled, pending_ingest

    article(corpus, "wind", "Storm warning", "Strong winds are expected on the coast tonight.")
    embedded = []

    def progress(done, total, articles):
        embedded.append(done)

    with pytest.raises(IngestCancelled):  # stops inside its second batch (one article a batch)
        ingest([corpus], local, embedder, batch_chunks=1, progress=progress,
               should_stop=lambda: len(embedded) > 1)
    committed = Store.load(local.index_dir)
    assert 1 <= len(committed.articles) < 3 and pending_ingest(local.index_dir)["paths"] == [str(corpus)]

    result = rag_cli("ingest", "--index", local.index_dir)
    assert result.returncode == 0, result.stderr
    assert "resuming the ingest of" in result.stderr and f"unchanged {len(committed.articles)}" in result.stderr
    assert sorted(Store.load(local.index_dir).articles) == ["moon", "rain", "wind"]
    assert pending_ingest(local.index_dir) is None
