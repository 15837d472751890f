"""Messy archives and crashes: every bad file reported by name, every good article kept, and an
ingest killed with SIGKILL leaves the previous index answering.

tests/data/bad_corpus/ holds one file for each kind of bad input; the 50 MB article is written
by the test itself."""

import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

from rag import corpus
from rag.config import REPO_ROOT
from rag.ingest import ingest
from rag.store import Store

sys.path.insert(0, str(Path(__file__).parent))
from index_files import segment_file  # noqa: E402

BAD_CORPUS = Path(__file__).parent / "data" / "bad_corpus"


def _big_article(path: Path, megabytes: int = 50) -> None:
    line = "واصلت أسعار النفط ارتفاعها في الأسواق العالمية مع تراجع المخزونات الأميركية.\n".encode()
    with open(path, "wb") as f:
        f.write("تقرير طويل عن أسواق النفط\n".encode())
        for _ in range(megabytes * 1024 * 1024 // len(line) + 1):
            f.write(line)


def test_every_bad_file_is_reported_and_every_good_article_ingested(settings, embedder, tmp_path):
    folder = tmp_path / "corpus"
    shutil.copytree(BAD_CORPUS, folder)
    _big_article(folder / "huge.txt")
    assert (folder / "huge.txt").stat().st_size >= 50 * 1024 * 1024

    tracemalloc.start()
    loaded = corpus.load([folder], max_chars=3000)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 5 * 1024 * 1024  # the 50 MB file is read only as far as it is indexed

    local = dataclasses.replace(settings, index_dir=tmp_path / "index", max_article_chars=3000)
    report = ingest([folder], local, embedder)
    skipped = {(Path(p.path).name, p.where): p.reason for p in report.problems}
    assert skipped == {
        ("empty.txt", ""): "empty file",
        ("binary.txt", ""): "binary file, not text",
        ("broken.json", ""): skipped[("broken.json", "")],
        ("mixed.jsonl", ":2"): skipped[("mixed.jsonl", ":2")],
        ("same_id.json", ""): "duplicate article id 'dup-1' (first in " + str(folder / "same_id.json") + ")",
    }
    assert skipped[("broken.json", "")].startswith("invalid JSON")
    assert skipped[("mixed.jsonl", ":2")].startswith("invalid JSON")
    warned = {Path(p.path).name: p.reason for p in report.warnings}
    assert "replaced" in warned["invalid_bytes.txt"]
    assert "only its first 3,000 characters are indexed" in warned["huge.txt"]
    assert "same text as article 'copy_a'" in warned["copy_b.txt"]

    store = Store.load(local.index_dir)
    assert sorted(store.articles) == ["copy_a", "dup-1", "huge", "invalid_bytes", "jl-good-1", "jl-good-2",
                                      "utf8_bom", "windows_1256"]
    assert store.articles["copy_a"]["aliases"] == ["copy_b"]
    assert store.articles["windows_1256"]["title"] == "افتتاح معرض الكتاب في الرياض"
    assert store.articles["utf8_bom"]["title"] == "Desalination plant opens in Jubail"
    assert store.articles["dup-1"]["title"] == "First with this id"
    huge = [c for c in store.chunks if c.article_id == "huge"]
    assert huge and max(c.end for c in huge) <= 3000


def test_sigkill_during_ingest_leaves_the_previous_index_answering(seed_index, assistant, tmp_path):
    index = tmp_path / "index"
    shutil.copytree(seed_index.index_dir, index)
    folder = tmp_path / "corpus"
    shutil.copytree(REPO_ROOT / "seeds", folder)
    for i in range(30):
        (folder / f"extra_{i:02d}.txt").write_text(
            f"Local news item {i}\n" + " ".join(f"Sentence {j} of item {i} about the city council budget."
                                                 for j in range(10)), encoding="utf-8")
    process = subprocess.Popen([sys.executable, "-m", "rag.cli", "ingest", str(folder), "--index", str(index)],
                               cwd=REPO_ROOT, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 300
    for line in process.stderr:  # kill it once it is embedding, before it can save
        if "embedded" in line or time.time() > deadline:
            break
    assert process.poll() is None, "ingest ended before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    store = Store.load(index)
    assert len(store.articles) == 2
    survivor = type(assistant)(dataclasses.replace(seed_index, index_dir=index), embedder=assistant.embedder,
                               llm=assistant.llm)
    answer = survivor.ask("ماذا قال بيسكوف عن مركز المعلومات في بغداد؟")
    assert not answer.refused and answer.citations
    assert answer.citations[0].article_id == "000_832fa2db40460904"


def test_a_damaged_index_says_how_to_rebuild_it(seed_index, tmp_path):
    index = tmp_path / "index"
    shutil.copytree(seed_index.index_dir, index)
    vectors = segment_file(index, "vectors.npy")
    data = vectors.read_bytes()
    vectors.write_bytes(data[: len(data) // 2])

    def rag(*args):
        return subprocess.run([sys.executable, "-m", "rag.cli", *args, "--index", str(index)], cwd=REPO_ROOT,
                              capture_output=True, text=True, timeout=900)

    asked = rag("ask", "Who is the Kremlin spokesman?")
    assert asked.returncode == 1 and "damaged" in asked.stderr and "rag ingest --rebuild" in asked.stderr
    assert "Traceback" not in asked.stderr and asked.stdout == ""
    updated = rag("ingest", str(REPO_ROOT / "seeds"))  # never silently over a damaged index
    assert updated.returncode == 1 and "rag ingest --rebuild" in updated.stderr
    rebuilt = rag("ingest", str(REPO_ROOT / "seeds"), "--rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert len(Store.load(index).articles) == 2
