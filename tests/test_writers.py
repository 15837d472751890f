"""One writer at a time: two real processes ingesting into one index at the same instant both
land, and the index loads; the index's lock holds across processes."""

import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag.config import REPO_ROOT
from rag.index_folder import IndexBusy, writer_lock
from rag.store import Store

WRITER = Path(__file__).parent / "ingest_writer.py"


def articles(folder: Path, prefix: str, count: int) -> list[str]:
    folder.mkdir(parents=True)
    paths = []
    for i in range(count):
        path = folder / f"{prefix}{i}.txt"
        path.write_text(f"Headline {prefix} {i}\n" + " ".join(f"word{prefix}{i}x{j}." for j in range(40)), encoding="utf-8")
        paths.append(str(path))
    return paths


@pytest.mark.parametrize("trial", range(3))
def test_two_processes_ingesting_into_one_index_both_land(tmp_path, trial):
    index = tmp_path / "index"
    first, second = articles(tmp_path / "a", "a", 20), articles(tmp_path / "b", "b", 20)
    start_at = time.time() + 3  # both processes have imported everything by then
    writers = [subprocess.Popen([sys.executable, str(WRITER), str(index), str(start_at), *files],
                                cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for files in (first, second)]
    for writer in writers:
        out, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err
        assert out.strip() == "20"
    store = Store.load(index)
    assert len(store.articles) == 40
    assert {a[0] for a in store.articles} == {"a", "b"}
    assert len(store.chunks) == len(store.engine) >= 40


def test_the_writer_lock_is_held_across_processes(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from rag.index_folder import writer_lock\n"
         "with writer_lock(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(30)", str(tmp_path)],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(IndexBusy, match="another process"):
            with writer_lock(tmp_path, timeout=0.2):
                pass
    finally:
        holder.kill()
        holder.wait()
    with writer_lock(tmp_path, timeout=5):  # free again once the holder is gone
        pass
