"""The seed questions through both LLM backends, the same hour: the GGUF in this process
(rag.llm.llamacpp) and the same GGUF behind llama_cpp.server (rag.llm.openai_compat), started
here on loopback with the same threads and context and stopped after.

    .venv/bin/python bench/llm_backends.py [--questions tests/data/seed_questions.jsonl] [--out bench/results/llm_backends.json]

Reports per backend `rag eval`'s summary, median and p90 first token and total (warm: each
backend answers one question first, the in-process one after its warm-up), and every question
whose verdict or answer differs between them, with whether a second try was involved (prefilled
in process, asked for in words through the server).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from rag.chat import Assistant  # noqa: E402
from rag.config import REPO_ROOT, Settings  # noqa: E402
from rag.embedder import Embedder  # noqa: E402
from rag.evaluate import load_questions, run  # noqa: E402

from machine import machine  # noqa: E402  (bench/ is on the path when run as a script)

sys.path.insert(0, str(REPO_ROOT / "tests"))
from processes import free_port, start_llm_server, stop  # noqa: E402


def evaluate(assistant: Assistant, questions) -> tuple[dict, list[dict]]:
    assistant.ask("What did the Kremlin say about working with Washington?")  # warm, not a seed question
    rows: list[dict] = []
    summary = run(questions, lambda q: assistant.ask(q.question, q.history).to_json(), rows.append)
    reached = [r for r in rows if not r["gated"]]
    for key in ("first_token", "total"):
        values = sorted(r["timings"][key] for r in reached)
        summary[f"median_{key}_llm_s"] = round(statistics.median(values), 3)
        summary[f"p90_{key}_llm_s"] = round(values[int(0.9 * (len(values) - 1))], 3)
    summary["second_tries"] = sum(r["retried"] for r in rows)
    return summary, rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", default=str(REPO_ROOT / "tests/data/seed_questions.jsonl"))
    parser.add_argument("--out", default=str(REPO_ROOT / "bench/results/llm_backends.json"))
    args = parser.parse_args()
    questions = load_questions(Path(args.questions))
    settings = Settings.load()
    embedder = Embedder.from_settings(settings)

    local = Assistant(settings, embedder=embedder)
    local.warm_up()
    local_summary, local_rows = evaluate(local, questions)
    del local

    port = free_port()
    log = Path(args.out).with_suffix(".server.log")
    log.parent.mkdir(parents=True, exist_ok=True)
    server = start_llm_server(settings.llm, port, log, context=settings.context_tokens,
                              threads=settings.threads)
    try:
        remote = Assistant(dataclasses.replace(settings, llm_url=f"http://127.0.0.1:{port}/v1",
                                               llm_options=json.dumps({"repeat_penalty": 1.0})), embedder=embedder)
        remote_summary, remote_rows = evaluate(remote, questions)
    finally:
        stop(server)

    differences = [{"id": a["id"], "in_process": a["answer"], "server": b["answer"],
                    "correct": [a.get("correct"), b.get("correct")], "retried": [a["retried"], b["retried"]]}
                   for a, b in zip(local_rows, remote_rows)
                   if a["answer"] != b["answer"] or a.get("correct") != b.get("correct")]
    result = {"benchmark": "llm_backends", **machine(), "threads": settings.threads,
              "in_process": local_summary, "server": remote_summary,
              "verdicts_differ": sum(d["correct"][0] != d["correct"][1] for d in differences),
              "answers_differ": len(differences), "differences": differences}
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=1))
    for name in ("in_process", "server"):
        s = result[name]
        print(f"{name:10s} answers {s['answer_accuracy']} refusals {s['refusal_accuracy']} first token "
              f"{s['median_first_token_llm_s']} s (p90 {s['p90_first_token_llm_s']}) total {s['median_total_llm_s']} s "
              f"second tries {s['second_tries']}")
    print(f"answers differ {len(differences)}, verdicts differ {result['verdicts_differ']}")
    for d in differences:
        print(f"  {d['id']}: retried {d['retried']} correct {d['correct']}\n    local:  {d['in_process'][:150]!r}\n"
              f"    server: {d['server'][:150]!r}")


if __name__ == "__main__":
    main()
