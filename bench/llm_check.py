"""The optional signal: a yes/no pass by the LLM over (question, quote, answer sentence) for each
sentence the default policy shows, on recorded dev answers; what it adds to precision and
coverage, and what it costs in seconds.

    .venv/bin/python bench/llm_check.py --set ar-dev [--limit N]

Measured and not kept (docs/experiments.md): the 1.5B model says yes to nearly everything, with
probabilities of 0.4-0.7 whether the answer is right or not. The LLM's answers are kept in bench/results/devsets/llm-check-SET.json (asked again only for
sentences not there yet).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from calibrate import WORK, in_force, line, load  # noqa: E402  (bench/ is on the path when run as a script)
from rag.config import Settings  # noqa: E402
from rag.evaluate import rescore, summarize  # noqa: E402
from rag.llm import load as load_llm  # noqa: E402
from rag.verify import Signals  # noqa: E402

PROMPT = """Question: {question}
Sentence from a news article: {quote}
Proposed answer: {answer}

Does the sentence from the article state the proposed answer, and does that answer the question? \
Reply with one word: yes or no."""


def llm_agrees(llm, question: str, quote: str, sentence: str) -> float:
    """The LLM's probability of yes: one short greedy pass, read from the log-probability of its
    yes or no (1.0 / 0.0 where the engine returns none)."""
    messages = [{"role": "user", "content": PROMPT.format(question=question, quote=quote, answer=sentence)}]
    reply = "".join(llm.stream(messages, max_tokens=2)).strip().lower()
    tokens = (getattr(llm, "last_stats", None) or {}).get("logprobs") or []
    p = math.exp(tokens[0][1]) if tokens and tokens[0][1] is not None else 1.0
    if reply.startswith(("yes", "نعم")):
        return p
    return 1.0 - p if reply.startswith(("no", "لا")) else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", required=True, help="ar-dev, en-dev or seed-dev")
    parser.add_argument("--limit", type=int)
    args = parser.parse_args()
    questions, rows = load(args.set)
    policies = in_force(rows)
    cache_path = WORK / f"llm-check-{args.set}.json"
    cache = json.loads(cache_path.read_text()) if cache_path.is_file() else {}
    llm, seconds = load_llm(Settings.load()), []
    for q, row in list(zip(questions, rows))[:args.limit]:
        for s in row.get("sentences") or []:
            key = f"{row['id']}|{s['sentence']}"
            if not s.get("signals") or policies[q.lang].verdict(Signals(**s["signals"])) != "shown" or key in cache:
                continue
            started = time.perf_counter()
            cache[key] = llm_agrees(llm, q.question, s["quote"], s["sentence"])
            seconds.append(time.perf_counter() - started)
    cache_path.write_text(json.dumps(cache, ensure_ascii=False, indent=0))
    if seconds:
        print(f"{len(seconds)} sentences asked, median {statistics.median(seconds):.2f} s, "
              f"p90 {sorted(seconds)[int(0.9 * len(seconds))]:.2f} s")
    print("| policy | precision | coverage | refusal accuracy | answers shown |\n|---|---|---|---|---|")
    print(line("default policy", summarize(questions, rescore(questions, rows, policies))))
    for threshold in (0.3, 0.5, 0.7, 0.9):
        checked = []
        for row in rows:
            sentences = []
            for s in row.get("sentences") or []:
                p = cache.get(f"{row['id']}|{s['sentence']}")
                if s.get("signals") and p is not None and p < threshold:
                    s = {**s, "signals": {**s["signals"], "support": 0.0}}  # withheld by the LLM's no
                sentences.append(s)
            checked.append({**row, "sentences": sentences})
        print(line(f"+ LLM says yes with p >= {threshold}", summarize(questions, rescore(questions, checked, policies))))


if __name__ == "__main__":
    main()
