"""Cold start to first token: a new `rag ask` process (models and index loaded, the answer
streamed), timed from its start to the first piece of the answer on stdout, with each language's
fixed prompt prefix computed in the process or restored from the state `rag setup` saved in the
model cache (rag/llm/llamacpp.py).

    .venv/bin/python bench/cold_start.py [--runs 3] [--out bench/results/cold_start.json]
    .venv/bin/python bench/cold_start.py --ui [--runs 3] [--engines torch auto]

--ui: the chat UI instead (`python app.py`), a question sent through its API (gradio_client) as
soon as the port answers, timed from the process's start to the first text of the answer (the
"warming up" message does not count) and to the checked answer.

Uses the seed index (`index/`) and the model cache; moves the saved prefix states aside for the
"computed" runs and puts them back. Run it with nothing else on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from machine import machine  # noqa: E402

from rag.config import REPO_ROOT, Settings  # noqa: E402

RAG = str(REPO_ROOT / ".venv/bin/rag")
QUESTIONS = {"en": "What did Peskov say about the Baghdad center?", "ar": "ماذا قال بيسكوف عن مركز المعلومات في بغداد؟"}


def first_piece(question: str, *flags: str) -> tuple[float, float]:
    """Seconds from starting `rag ask` to its first byte on stdout, and to its end."""
    started = time.perf_counter()
    process = subprocess.Popen([RAG, "ask", *flags, question], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    process.stdout.read(1)
    first = time.perf_counter() - started
    process.stdout.read()
    process.wait()
    return first, time.perf_counter() - started


@contextmanager
def running_ui(port: int):
    """The chat UI (`python app.py`) started, yielded once its port answers, stopped after."""
    from processes import stop, wait_for_port

    app = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=REPO_ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(app, port, 300, "the app")
        yield f"http://127.0.0.1:{port}/"
    finally:
        stop(app)


def ui_first_piece(question: str, port: int) -> tuple[float, float]:
    """Seconds from starting the UI to the first text of the answer to `question`, asked as soon
    as the port answers, and to the checked answer."""
    from gradio_client import Client

    from app import WARMING, shown_text

    started = time.perf_counter()
    with running_ui(port) as url:
        first = None
        for shown, _ in Client(url, verbose=False).submit(question, 3, False, api_name="/chat"):
            if first is None and shown.strip() and shown != shown_text(WARMING):
                first = time.perf_counter() - started
        return first, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", default="bench/results/cold_start.json")
    parser.add_argument("--ui", action="store_true", help="the chat UI's cold start instead of rag ask's")
    parser.add_argument("--port", type=int, default=7873)
    parser.add_argument("--engines", nargs="+", choices=["auto", "torch"],
                        help="with --ui: the cold start with each embedder runtime (RAG_EMBEDDER_ENGINE), "
                        "alternating run by run; rag ask --server is not run")
    args = parser.parse_args()
    if args.ui:
        return ui(args)
    states = Settings.load().model_dir / "prefix-states"
    aside = states.with_name("prefix-states.aside")
    subprocess.run([RAG, "setup"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # saves them
    rows = []
    for mode in ("computed", "restored"):
        for lang, question in QUESTIONS.items():
            times = []
            for _ in range(args.runs):
                if mode == "computed" and states.exists():
                    shutil.rmtree(aside, ignore_errors=True)
                    states.rename(aside)
                try:
                    times.append(first_piece(question))
                finally:
                    if mode == "computed":
                        shutil.rmtree(states, ignore_errors=True)  # what this run wrote
                        if aside.exists():
                            aside.rename(states)
            row = {"prefix": mode, "lang": lang, "runs": args.runs,
                   "first_piece_s": round(statistics.median(t[0] for t in times), 2),
                   "total_s": round(statistics.median(t[1] for t in times), 2),
                   "all_first_s": [round(t[0], 2) for t in times]}
            rows.append(row)
            print(json.dumps(row, ensure_ascii=False), flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"machine": machine(), "rows": rows}, ensure_ascii=False, indent=1) + "\n",
                              encoding="utf-8")
    return 0


def via_server(question: str, port: int, runs: int) -> list[tuple[float, float]]:
    """`rag ask --server` against a UI already started and warm: each run's first piece and end."""
    with running_ui(port) as url:
        other = next(q for q in QUESTIONS.values() if q != question)
        times = []
        for _ in range(runs):
            # another question first, so llama.cpp cannot reuse this one's whole prompt
            first_piece(other, "--server", url)
            times.append(first_piece(question, "--server", url))
        return times


def cold_starts(question: str, args) -> list[tuple[str, list[tuple[float, float]]]]:
    """The UI's cold starts, for each embedder runtime of --engines in turn, run by run."""
    if not args.engines:
        return [("ui cold start", [ui_first_piece(question, args.port) for _ in range(args.runs)])]
    times = {engine: [] for engine in args.engines}
    for _ in range(args.runs):
        for engine in args.engines:
            os.environ["RAG_EMBEDDER_ENGINE"] = engine
            times[engine].append(ui_first_piece(question, args.port))
    os.environ.pop("RAG_EMBEDDER_ENGINE")
    return [(f"ui cold start, embedder {engine}", runs) for engine, runs in times.items()]


def ui(args) -> int:
    rows = []
    for lang, question in QUESTIONS.items():
        server = [] if args.engines else [("rag ask --server, the UI running", via_server(question, args.port, args.runs))]
        for way, times in cold_starts(question, args) + server:
            row = {"way": way, "lang": lang, "runs": args.runs,
                   "first_piece_s": round(statistics.median(t[0] for t in times), 2),
                   "total_s": round(statistics.median(t[1] for t in times), 2),
                   "all_first_s": [round(t[0], 2) for t in times]}
            rows.append(row)
            print(json.dumps(row, ensure_ascii=False), flush=True)
    out = Path(args.out).with_name("cold_start_ui.json") if args.out == "bench/results/cold_start.json" else Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": machine(), "rows": rows}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
