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

from rag.evaluate import score, summarize
from rag.verify import Signals, agreement

from calibrate import in_force, line, load  # noqa: E402  (bench/ is on the path when run as a script)

THRESHOLDS = (None, 0.25, 0.5, 0.75, 1.0)
MODES = {"whole": "whole", "sentences": ""}


def replay(question, row: dict, other: dict | None, policy, agree_min: float | None) -> dict:
    """The row as the policy would leave it, a shown sentence also withheld when the other
    reading's draft (a refusal included) says less than `agree_min` of what it adds."""
    sentences = row.get("sentences") or []
    if not sentences:
        return row
    draft = (other or {}).get("draft") or ""
    kept = []
    for s in sentences:
        if not s.get("signals") or policy.verdict(Signals(**s["signals"])) != "shown":
            continue
        if agree_min is not None and agreement(s["sentence"], question.question, draft)[0] < agree_min:
            continue
        kept.append(s["sentence"])
    replayed = {**row, "answer": " ".join(kept), "refused": not kept, "citations": []}
    return {**replayed, **score(question, replayed)}


def table(name: str, runs: dict[str, tuple]) -> None:
    for shown, check in (("whole", "sentences"), ("sentences", "whole")):
        if shown not in runs or check not in runs:
            continue
        questions, rows = runs[shown]
        others = {r["id"]: r for r in runs[check][1]}
        policy = {lang: replace(p, agree_min=None) for lang, p in in_force(rows).items()}
        print(f"\n{name}: {shown} shown, {check} as the check ({len(rows)} questions)\n"
              "| agreement asked | precision | coverage | refusal accuracy | answers shown |\n|---|---|---|---|---|")
        for t in THRESHOLDS:
            replayed = [replay(q, r, others.get(r["id"]), policy[q.lang], t) for q, r in zip(questions, rows)]
            print(line("none (the verifier alone)" if t is None else f">= {t}", summarize(questions, replayed)))


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
