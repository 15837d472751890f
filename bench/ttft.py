"""Time to first token of `rag ask` in a warm process, over the seed question set.

    .venv/bin/python bench/ttft.py [--questions tests/data/seed_questions.jsonl] [--out bench/results/ttft.json]

One warm-up question loads both models and fills llama.cpp's prompt cache with the fixed prefix
(system prompt and worked examples); then every question is asked once, in order. Questions
refused by the evidence gate never reach the LLM and are reported apart.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from rag.chat import Assistant  # noqa: E402
from rag.config import REPO_ROOT, Settings  # noqa: E402
from rag.evaluate import load_questions  # noqa: E402


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", default=str(REPO_ROOT / "tests/data/seed_questions.jsonl"))
    parser.add_argument("--out", default=str(REPO_ROOT / "bench/results/ttft.json"))
    args = parser.parse_args()

    settings = Settings.load()
    started = time.perf_counter()
    assistant = Assistant(settings)
    assistant.ask("What did Peskov say about the Baghdad center?")
    cold = time.perf_counter() - started

    rows = []
    for q in load_questions(Path(args.questions)):
        answer = assistant.ask(q.question, q.history)
        rows.append({"id": q.id, "gated": answer.gated, "retried": answer.retried,
                     **{k: round(v, 3) for k, v in answer.timings.items()}})
        print(f"{q.id:24s} first token {answer.timings['first_token']:6.2f} s  total {answer.timings['total']:6.2f} s"
              f"{'  (gated)' if answer.gated else ''}", flush=True)
    llm = [r for r in rows if not r["gated"]]
    result = {
        "benchmark": "ttft", "cpu": cpu_model(), "cores": os.cpu_count(), "threads": settings.threads,
        "questions": len(rows), "reached_llm": len(llm), "cold_start_and_first_answer_s": round(cold, 2),
        "median_first_token_s": round(statistics.median(r["first_token"] for r in rows), 3),
        "median_first_token_llm_s": round(statistics.median(r["first_token"] for r in llm), 3),
        "p90_first_token_llm_s": round(sorted(r["first_token"] for r in llm)[int(0.9 * (len(llm) - 1))], 3),
        "median_total_s": round(statistics.median(r["total"] for r in rows), 3),
        "median_retrieval_s": round(statistics.median(r["retrieval"] for r in rows), 3),
        "median_claim_check_s": round(statistics.median(r["check"] for r in llm), 3),
        "p90_claim_check_s": round(sorted(r["check"] for r in llm)[int(0.9 * (len(llm) - 1))], 3),
        "second_tries": sum(r["retried"] for r in rows),
        "rows": rows,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1))
    print(json.dumps({k: v for k, v in result.items() if k != "rows"}, indent=1))


if __name__ == "__main__":
    main()
