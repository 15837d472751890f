"""Checkpointed ingest: a SIGKILL at any point loses at most the batch in flight, the index stays
loadable, and the next ingest resumes after the last commit; a stopped rebuild leaves the old
index to its readers and resumes from its checkpoint."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fake_embedder import FakeEmbedder  # noqa: E402
from resumable_writer import LoggingEmbedder  # noqa: E402

from rag.config import REPO_ROOT, Settings  # noqa: E402
from rag.index_folder import REBUILDING  # noqa: E402
from rag.ingest import IngestCancelled, ingest, pending_ingest  # noqa: E402
from rag.store import Store  # noqa: E402

WRITER = Path(__file__).parent / "resumable_writer.py"
BATCH = 12  # chunks a commit


def write_corpus(folder: Path, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        sentences = " ".join(f"Sentence {j} of article {i} says thing{i}x{j}." for j in range(9))
        (folder / f"art{i:03d}.txt").write_text(f"Headline {i}\n{sentences}", encoding="utf-8")


def logged(log: Path) -> list[str]:
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []


def test_a_killed_ingest_loses_at_most_the_batch_in_flight_and_the_next_resumes(tmp_path):
    corpus, index, log = tmp_path / "corpus", tmp_path / "index", tmp_path / "embedded.log"
    write_corpus(corpus, 40)
    settings = Settings.load(index_dir=index, chunk_tokens=30)
    writer = subprocess.Popen([sys.executable, str(WRITER), str(index), str(corpus), str(BATCH), str(log), "0.05"],
                              cwd=REPO_ROOT, env={**__import__("os").environ, "RAG_CHUNK_TOKENS": "30"},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and writer.poll() is None:  # kill after a few commits, mid-batch
        if (index / "CURRENT").exists() and len(logged(log)) >= 4 * BATCH + BATCH // 2:
            break
        time.sleep(0.01)
    assert writer.poll() is None, writer.stderr.read()
    writer.send_signal(signal.SIGKILL)
    writer.wait()

    committed = Store.load(index)  # loadable, with whole articles only
    assert 3 * BATCH <= len(committed.chunks) < 120
    assert all(meta["chunks"] == sum(c.article_id == a for c in committed.chunks)
               for a, meta in committed.articles.items())
    assert pending_ingest(index)["paths"] == [str(corpus)]  # what `rag ingest` alone resumes
    first_run = logged(log)
    lost = len(first_run) - len(committed.chunks)
    assert 0 <= lost <= BATCH + 9  # the batch in flight at most (a batch ends on a whole article)

    log.unlink()
    report = ingest([corpus], settings, LoggingEmbedder(log, 0.0), batch_chunks=BATCH)
    second_run = logged(log)
    assert report.unchanged == len(committed.articles) and report.chunks_embedded == len(second_run)
    done = Store.load(index)
    assert len(done.articles) == 40 and pending_ingest(index) is None
    assert len(done.chunks) == len(committed.chunks) + len(second_run)  # nothing twice
    assert len({c.chunk_id for c in done.chunks}) == len(done.chunks)


def test_a_stopped_rebuild_leaves_the_old_index_to_readers_and_resumes_from_its_checkpoint(tmp_path):
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 30)
    settings = Settings.load(index_dir=tmp_path / "index", chunk_tokens=30)
    total = ingest([corpus], Settings.load(index_dir=tmp_path / "whole", chunk_tokens=30), FakeEmbedder()).chunks_embedded
    ingest([corpus / "art000.txt"], settings, FakeEmbedder())
    before = (settings.index_dir / "CURRENT").read_text()
    embedded = []

    def stop_after_three_batches():
        return len(embedded) >= 3 * BATCH

    class Counting(FakeEmbedder):
        def encode_documents(self, texts, *args, **kwargs):
            embedded.extend(texts)
            return super().encode_documents(texts, *args, **kwargs)

    with pytest.raises(IngestCancelled, match="resumes"):
        ingest([corpus], settings, Counting(), rebuild=True, batch_chunks=BATCH, should_stop=stop_after_three_batches)
    assert (settings.index_dir / "CURRENT").read_text() == before  # readers keep the index being rebuilt
    assert sorted(Store.load(settings.index_dir).articles) == ["art000"]
    assert (settings.index_dir / REBUILDING).is_file() and pending_ingest(settings.index_dir)["rebuild"]

    first = len(embedded)
    embedded.clear()
    report = ingest([corpus], settings, Counting(), rebuild=True, batch_chunks=BATCH)
    assert report.unchanged > 0 and len(embedded) <= total - first + BATCH + 9
    assert not (settings.index_dir / REBUILDING).exists()
    rebuilt = Store.load(settings.index_dir)
    assert len(rebuilt.articles) == 30 and len({c.chunk_id for c in rebuilt.chunks}) == len(rebuilt.chunks)


def test_commits_are_whole_articles_of_about_the_batch_size(tmp_path):
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 6)
    settings = Settings.load(index_dir=tmp_path / "index", chunk_tokens=30)
    report = ingest([corpus], settings, FakeEmbedder(), batch_chunks=BATCH)
    per_article = report.chunks_embedded // 6
    assert report.commits == -(-6 // -(-BATCH // per_article))  # ceil(6 / articles a batch)
    assert len(Store.load(settings.index_dir).segments) == report.commits
