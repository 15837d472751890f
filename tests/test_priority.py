"""Answers before ingest in one process (rag.priority): an upload's embedding waits between its
batches while a question is answered, and goes on after."""

import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from fake_embedder import FakeEmbedder  # noqa: E402
from fake_llm import FakeLLM  # noqa: E402

from rag.chat import Assistant  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.ingest import ingest  # noqa: E402
from rag.priority import AnswersFirst  # noqa: E402


def test_a_waiting_ingest_goes_on_when_the_answer_is_done():
    priority = AnswersFirst()
    waited = []
    with priority.answering():
        waiter = threading.Thread(target=lambda: waited.append(priority.wait_for_answers()))
        waiter.start()
        time.sleep(0.3)
        assert waiter.is_alive() and priority.busy
    waiter.join(2)
    assert not waiter.is_alive() and 0.25 < waited[0] < 2 and not priority.busy
    assert priority.wait_for_answers() < 0.05  # nothing answered: no wait


def test_an_ingest_embeds_nothing_while_a_question_is_answered(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    for i in range(40):
        (folder / f"{i:03}.txt").write_text(f"Headline {i}\n" + " ".join(f"word{i}x{j}." for j in range(30)))
    settings = Settings.load(index_dir=tmp_path / "index", chunk_tokens=16)
    priority, done, finished = AnswersFirst(), [], threading.Event()

    def run():
        ingest([folder], settings, FakeEmbedder(seconds_per_batch=0.02), pause=priority.wait_for_answers,
               progress=lambda n, total, articles: done.append(n))
        finished.set()

    with priority.answering():
        writer = threading.Thread(target=run)
        writer.start()
        time.sleep(0.5)
        during = len(done)
        time.sleep(0.5)
        assert len(done) == during <= 1  # at most the batch it was embedding when the answer began
    assert finished.wait(30) and len(done) > 5


def test_the_answer_holds_the_priority_from_retrieval_to_the_checked_answer(seed_index, embedder):
    seen = []
    assistant = Assistant(seed_index, embedder=embedder,
                          llm=FakeLLM(lambda messages, start: seen.append(assistant.priority.busy) or "x"))
    pieces = assistant.stream("من سيلتقي كيري يوم الأربعاء؟")
    next(pieces)
    assert assistant.priority.busy
    list(pieces)
    assert seen == [True] and not assistant.priority.busy


def test_rag_ingest_runs_at_the_lowest_cpu_priority(tmp_path):
    import subprocess

    from rag.config import REPO_ROOT
    from rag.priority import INGEST_NICE

    # `rag ingest` stopped where it reads its settings, saying its niceness there
    probe = ("import os, sys; import rag.cli as cli\n"
             "cli.Settings.from_args = lambda args: (print(os.nice(0)), sys.exit(0))\n"
             "cli.main(['ingest', sys.argv[1]])")
    result = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], capture_output=True, text=True,
                            cwd=REPO_ROOT, timeout=120)
    assert result.returncode == 0 and int(result.stdout) == INGEST_NICE, result.stderr
