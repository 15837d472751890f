"""Cold start to first token: a new `rag ask` process (models and index loaded, the answer
streamed), timed from its start to the first piece of the answer on stdout, with each language's
fixed prompt prefix computed in the process or restored from the state `rag setup` saved in the
model cache (rag/llm/llamacpp.py).

    .venv/bin/python bench/cold_start.py [--runs 3] [--out bench/results/cold_start.json]

Uses the seed index (`index/`) and the model cache; moves the saved prefix states aside for the
"computed" runs and puts them back. Run it with nothing else on the machine.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from machine import machine  # noqa: E402

from rag.config import REPO_ROOT, Settings  # noqa: E402

RAG = str(REPO_ROOT / ".venv/bin/rag")
QUESTIONS = {"en": "What did Peskov say about the Baghdad center?", "ar": "ماذا قال بيسكوف عن مركز المعلومات في بغداد؟"}


def first_piece(question: str) -> tuple[float, float]:
    """Seconds from starting `rag ask` to its first byte on stdout, and to its end."""
    started = time.perf_counter()
    process = subprocess.Popen([RAG, "ask", question], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    process.stdout.read(1)
    first = time.perf_counter() - started
    process.stdout.read()
    process.wait()
    return first, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", default="bench/results/cold_start.json")
    args = parser.parse_args()
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


if __name__ == "__main__":
    sys.exit(main())
