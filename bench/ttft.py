"""Time to first token and generation speed of `rag ask`, cold and warm, over the seed questions.

    .venv/bin/python bench/ttft.py [--questions tests/data/seed_questions.jsonl] [--out bench/results/ttft.json]

Cold: a fresh process loads the index and both models and answers one question (time to its
first token, counted from the start). Warm: then, after the warm-up the app does at start
(both languages' fixed prompt prefixes computed), every seed question is asked once, in order,
in the same process. Questions refused by the evidence gate never reach the LLM and are reported
apart. Generation speed is the LLM's tokens after the first one over the time they took; peak
memory is this process's resident high-water mark (both models, no UI; bench/concurrent_users.py
reports the UI's).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from rag.chat import Assistant  # noqa: E402
from rag.config import REPO_ROOT, Settings  # noqa: E402
from rag.evaluate import load_questions  # noqa: E402

from machine import machine  # noqa: E402  (bench/ is on the path when run as a script)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", default=str(REPO_ROOT / "tests/data/seed_questions.jsonl"))
    parser.add_argument("--out", default=str(REPO_ROOT / "bench/results/ttft.json"))
    args = parser.parse_args()

    settings = Settings.load()
    started = time.perf_counter()
    assistant = Assistant(settings)
    loaded = time.perf_counter() - started
    first = assistant.ask("What did the Kremlin say about working with Washington?")  # not a seed question
    cold = time.perf_counter() - started
    assistant.warm_up()  # as the app does at start: both languages' fixed prompt prefixes ready

    rows = []
    for q in load_questions(Path(args.questions)):
        answer = assistant.ask(q.question, q.history)
        row = {"id": q.id, "lang": answer.lang, "gated": answer.gated, "retried": answer.retried,
               **{k: round(v, 3) for k, v in answer.timings.items()}}
        if not answer.gated:
            stats = assistant.draft_stats  # the draft's, not a second reading's
            row.update({k: stats[k] for k in ("prompt_tokens", "reused_tokens", "generated_tokens")})
            if stats.get("prompt_s"):
                row["prompt_tokens_per_s"] = round((stats["prompt_tokens"] - (stats["reused_tokens"] or 0)) / stats["prompt_s"], 1)
            if stats["generated_tokens"] > 1:
                row["tokens_per_s"] = round((stats["generated_tokens"] - 1) / stats["generation_s"], 2)
        rows.append(row)
        print(f"{q.id:24s} first token {answer.timings['first_token']:6.2f} s  total {answer.timings['total']:6.2f} s"
              f"{'  (gated)' if answer.gated else ''}", flush=True)
    llm = [r for r in rows if not r["gated"]]
    speeds = [r["tokens_per_s"] for r in llm if "tokens_per_s" in r]
    result = {
        "benchmark": "ttft", **machine(), "threads": settings.threads,
        "embedder_dtype": assistant.embedder.dtype, "questions": len(rows), "reached_llm": len(llm),
        "cold_load_s": round(loaded, 2),
        "cold_first_token_s": round(loaded + first.timings["first_token"], 2),
        "cold_start_and_first_answer_s": round(cold, 2),
        "median_tokens_per_s": round(statistics.median(speeds), 2),
        "median_new_prompt_tokens": statistics.median(r["prompt_tokens"] - (r["reused_tokens"] or 0) for r in llm),  # a server does not say what it reused
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "median_first_token_s": round(statistics.median(r["first_token"] for r in rows), 3),
        "median_first_token_llm_s": round(statistics.median(r["first_token"] for r in llm), 3),
        "p90_first_token_llm_s": round(sorted(r["first_token"] for r in llm)[int(0.9 * (len(llm) - 1))], 3),
        "median_total_s": round(statistics.median(r["total"] for r in rows), 3),
        "median_total_llm_s": round(statistics.median(r["total"] for r in llm), 3),
        "p90_total_llm_s": round(sorted(r["total"] for r in llm)[int(0.9 * (len(llm) - 1))], 3),
        "median_prompt_tokens_per_s": statistics.median(r["prompt_tokens_per_s"] for r in llm if "prompt_tokens_per_s" in r),
        "evidence_tokens": settings.evidence_tokens,
        "median_retrieval_s": round(statistics.median(r["retrieval"] for r in rows), 3),
        "median_claim_check_s": round(statistics.median(r["check"] for r in llm), 3),
        "p90_claim_check_s": round(sorted(r["check"] for r in llm)[int(0.9 * (len(llm) - 1))], 3),
        "second_tries": sum(r["retried"] for r in rows),
        # the second reading (rag.verify.agreement): only answers the other checks would show
        "second_drafts": len(seconds := [r["second_draft"] for r in rows if "second_draft" in r]),
        "median_second_draft_s": round(statistics.median(seconds), 3) if seconds else None,
        "rows": rows,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1))
    print(json.dumps({k: v for k, v in result.items() if k != "rows"}, indent=1))


if __name__ == "__main__":
    main()
