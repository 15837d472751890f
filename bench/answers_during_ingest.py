"""Time to first token while an upload is embedding in the same process, against idle.

    .venv/bin/python bench/answers_during_ingest.py [--data ../shared/data/saudinewsnet] [--questions 12]

One process, as the UI: the seed index copied to a temporary folder, both models loaded and
warmed up. The first `--questions` answerable seed questions are asked idle; then again while a
thread ingests a SaudiNewsNet day (about 16,000 chunks, stopped when the questions are done),
once with the ingest sharing the two cores (`pause` off) and once as the UI runs it (rag.priority:
the ingest waits between batches while a question is answered); then while a separate `rag
ingest` process embeds it, at normal priority and at nice 19. Reported: first token and total
(median, p90) each way, and the chunks the in-process ingest embedded a second meanwhile.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from rag.chat import Assistant  # noqa: E402
from rag.config import REPO_ROOT, Settings  # noqa: E402
from rag.evaluate import load_questions  # noqa: E402
from rag.ingest import IngestCancelled, ingest  # noqa: E402

from devsets import spread  # noqa: E402  (bench/ is on the path when run as a script)
from machine import machine  # noqa: E402
from shared_data import DEFAULTS, require  # noqa: E402


def ask_all(assistant: Assistant, questions) -> list[dict]:
    rows = []
    for q in questions:
        answer = assistant.ask(q.question)
        rows.append({k: answer.timings[k] for k in ("first_token", "total")})
    return rows


def during_ingest(assistant: Assistant, questions, day: Path, answers_first: bool) -> dict:
    done, stop, progress = [0], threading.Event(), threading.Event()
    settings = assistant.settings

    def run():
        try:
            ingest([day], settings, assistant.embedder, remove_missing=False, should_stop=stop.is_set,
                   pause=assistant.priority.wait_for_answers if answers_first else None,
                   progress=lambda n, total, articles: (done.__setitem__(0, n), progress.set()))
        except IngestCancelled:
            pass

    writer = threading.Thread(target=run)
    writer.start()
    progress.wait(600)  # the corpus read and chunked: the embedding has begun
    started, before = time.perf_counter(), done[0]
    rows = ask_all(assistant, questions)
    seconds, embedded = time.perf_counter() - started, done[0] - before
    stop.set()
    writer.join()
    return {"rows": rows, "ingest_chunks_per_s": round(embedded / seconds, 1)}


def during_process(assistant: Assistant, questions, day: Path, index: Path, nice: int) -> dict:
    """The same questions while a separate `rag ingest` process (at `nice`) embeds the day into
    another copy of the index; it is killed after them."""
    writer = subprocess.Popen([str(REPO_ROOT / ".venv/bin/rag"), "ingest", str(day), "--index", str(index)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              preexec_fn=lambda: os.nice(nice))
    for line in writer.stderr:  # its progress lines: the embedding has begun
        if "embedded" in line:
            break
    started = time.perf_counter()
    rows = ask_all(assistant, questions)
    seconds = time.perf_counter() - started
    writer.kill()
    writer.wait()
    return {"rows": rows, "seconds": round(seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(DEFAULTS["saudinewsnet"]))
    parser.add_argument("--day", default="2015-07-23.zip")
    parser.add_argument("--questions", type=int, default=12)
    parser.add_argument("--out", default=str(REPO_ROOT / "bench/results/answers_during_ingest.json"))
    args = parser.parse_args()
    day = require(args.data, "saudinewsnet") / args.day

    questions = [q for q in load_questions(REPO_ROOT / "tests/data/seed_questions.jsonl")
                 if q.answerable and not q.history][:args.questions]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.load()
        shutil.copytree(settings.index_dir, Path(tmp) / "index")
        assistant = Assistant(dataclasses.replace(settings, index_dir=Path(tmp) / "index"))
        assistant.warm_up()
        ask_all(assistant, questions)  # untimed: every round after finds the same sentence vectors cached
        idle = ask_all(assistant, questions)
        shared = during_ingest(assistant, questions, day, answers_first=False)
        first = during_ingest(assistant, questions, day, answers_first=True)
        processes = {}
        for nice in (0, 19):
            other = Path(tmp) / f"index-{nice}"
            shutil.copytree(settings.index_dir, other)
            processes[nice] = during_process(assistant, questions, day, other, nice)

    result = {"machine": machine(), "questions": len(questions)}
    for name, rows, rate in (("idle", idle, None), ("ingest sharing the cores", shared["rows"], shared["ingest_chunks_per_s"]),
                             ("ingest waits for answers (product)", first["rows"], first["ingest_chunks_per_s"]),
                             ("rag ingest in another process", processes[0]["rows"], None),
                             ("rag ingest in another process at nice 19", processes[19]["rows"], None)):
        result[name] = {"first_token_s": spread([r["first_token"] for r in rows]),
                        "total_s": spread([r["total"] for r in rows]), "ingest_chunks_per_s": rate}
    Path(args.out).write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
