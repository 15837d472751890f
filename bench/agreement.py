"""Two readings of the passages must agree: each sentence the verifier would show is scored by the
share of what it adds to the question that a second draft, written from the passages read the
other way (whole, or their closest sentences), also says (rag.verify.agreement). Replayed on the
recorded runs of both reading modes, without the LLM, on the dev parts.

    .venv/bin/python bench/devsets.py run --lang ar --part dev         (the closest sentences read)
    RAG_EVIDENCE_TOKENS=0 .venv/bin/python bench/devsets.py run --lang ar --part dev --tag whole
    (the same for en and seed)
    .venv/bin/python bench/agreement.py

For each set, each mode as the one shown (its policy in force, rag.verify.policies, less the
agreement) and the other as the check: precision / coverage / refusal accuracy / answers shown
as the agreement asked moves. The held-aside parts are run once with the policy chosen (the
second draft made by the answer path itself) and scored by bench/calibrate.py --heldout.
"""

from __future__ import annotations

import argparse

from dataclasses import replace

from rag.evaluate import rescore, summarize
from rag.verify import agreement

from calibrate import in_force, line, load  # noqa: E402  (bench/ is on the path when run as a script)

THRESHOLDS = (None, 0.25, 0.5, 0.75, 1.0)
MODES = {"whole": "whole", "sentences": ""}


def with_agreement(question, row: dict, other: dict | None) -> dict:
    """The row with each judged sentence's agreement with the other reading's draft (a refusal
    included) recorded as its signal `agrees`, for rag.evaluate.rescore to weigh."""
    draft = (other or {}).get("draft") or ""
    sentences = [{**s, "signals": {**s["signals"], "agrees": agreement(s["sentence"], question.question, draft)[0]}}
                 if s.get("signals") else s for s in row.get("sentences") or []]
    return {**row, "sentences": sentences}


def table(name: str, runs: dict[str, tuple]) -> None:
    for shown, check in (("whole", "sentences"), ("sentences", "whole")):
        if shown not in runs or check not in runs:
            continue
        questions, rows = runs[shown]
        others = {r["id"]: r for r in runs[check][1]}
        rows = [with_agreement(q, r, others.get(r["id"])) for q, r in zip(questions, rows)]
        print(f"\n{name}: {shown} shown, {check} as the check ({len(rows)} questions)\n"
              "| agreement asked | precision | coverage | refusal accuracy | answers shown |\n|---|---|---|---|---|")
        for t in THRESHOLDS:
            policy = {lang: replace(p, agree_min=t) for lang, p in in_force(rows).items()}
            print(line("none (the verifier alone)" if t is None else f">= {t}",
                       summarize(questions, rescore(questions, rows, policy))))


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    for name in ("seed-dev", "ar-dev", "en-dev"):
        runs = {mode: loaded for mode, tag in MODES.items() if (loaded := load(name, tag))}
        if len(runs) < 2:
            print(f"{name}: needs the runs of both reading modes (bench/devsets.py run ... [--tag whole])")
            continue
        table(name, runs)


if __name__ == "__main__":
    main()
