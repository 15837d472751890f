"""Verifier policies scored on recorded answers, without the LLM: each signal of rag.verify alone
and all together, and the precision-coverage curve as the support threshold moves.

    .venv/bin/python bench/devsets.py run --lang ar --part dev     (and en, seed; heldout parts)
    .venv/bin/python bench/calibrate.py [--heldout]

Reads bench/results/devsets/result-{seed,ar,en}-dev.json and result-{ar,en}-dev-rest.json
(each sentence's signals are recorded whatever the policy in force, and computed again here by
today's rag.verify), prints a table a set, and draws the dev parts' curves to
bench/results/precision-coverage.svg. `--heldout` scores the policies in force
(rag.verify.policies, for the reading mode the run was drafted in) and the claim check alone
(the pipeline before the verifier), nothing else, on the held-aside parts (and the larger
`heldout-rest` where it was run): summaries only, to be run once the policy is chosen.
Precision comes with its 95 % interval (rag.evaluate.wilson).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace

from rag.config import REPO_ROOT
from rag.evaluate import CURVE_THRESHOLDS, load_questions, rescore, summarize
from rag.verify import Policy, policies, signals, word_logprobs

WORK = REPO_ROOT / "bench/results/devsets"
PLOT = REPO_ROOT / "bench/results/precision-coverage.svg"

CLAIM_CHECK_ONLY = Policy(subject_min=None, polarity=False, restatement=False, slot=False, qualifiers=False,
                          logprob_min=None)
VARIANTS = {
    "claim check only": CLAIM_CHECK_ONLY,
    "+ subject": replace(CLAIM_CHECK_ONLY, subject_min=0.5),
    "+ added words in the passage": replace(CLAIM_CHECK_ONLY, added_min=0.5),
    "+ polarity": replace(CLAIM_CHECK_ONLY, polarity=True),
    "+ restatement": replace(CLAIM_CHECK_ONLY, restatement=True),
    "+ slot": replace(CLAIM_CHECK_ONLY, slot=True),
    "+ numbers keep their qualifiers": replace(CLAIM_CHECK_ONLY, qualifiers=True),
    "+ logprob >= -2": replace(CLAIM_CHECK_ONLY, logprob_min=-2.0),
    "+ logprob >= -4": replace(CLAIM_CHECK_ONLY, logprob_min=-4.0),
}


# Each threshold of the default policy moved alone.
SWEEPS = {"subject_min": (None, 0.25, 0.5, 0.75, 1.0), "quote_subject_min": (None, 0.25, 0.5, 0.75),
          "added_min": (None, 0.25, 0.5, 0.75, 1.0),
          "logprob_min": (None, -0.5, -0.75, -1.0, -1.5, -2.0, -3.0),
          "agree_min": (None, 0.25, 0.5, 0.75, 1.0)}  # runs drafted with the second reading only


def load(name: str, tag: str = ""):
    path = WORK / f"result-{name}{'-' + tag if tag else ''}.json"
    if not path.is_file():
        return None
    rows = json.loads(path.read_text(encoding="utf-8"))["rows"]
    source = (REPO_ROOT / "tests/data/seed_questions.jsonl" if name.startswith("seed")
              else WORK / f"xquad-{name}.jsonl")
    by_id = {q.id: q for q in load_questions(source)}
    questions = [by_id[r["id"]] for r in rows]
    return questions, [resignal(q, r) for q, r in zip(questions, rows)]


def in_force(rows: list[dict]) -> dict[str, Policy]:
    """The policies of the reading mode the rows were drafted in (a passage the LLM read only
    part of is recorded with what it read)."""
    return policies(any("read" in p for r in rows for p in r.get("passages", [])))


def resignal(question, row: dict) -> dict:
    """The row with each supported sentence's signals computed again by today's rag.verify (the
    claim check's support, passage and quote as recorded)."""
    lps = word_logprobs([tuple(t) for t in row["token_logprobs"]] if row.get("token_logprobs") else None)
    sentences = []
    for s in row.get("sentences") or []:
        if s.get("signals") and s.get("n"):
            found = signals(s["sentence"], question.question, s["signals"]["support"],
                            row["passages"][s["n"] - 1]["text"], s["quote"], lps,
                            [tuple(r) for r in s.get("rivals", [])])
            found.agrees = s["signals"].get("agrees")  # the second draft's, as the run recorded it
            s = {**s, "signals": found.to_json()}
        sentences.append(s)
    return {**row, "sentences": sentences}


def scored(questions, rows, policy: Policy) -> dict:
    return summarize(questions, rescore(questions, rows, policy))


def line(label: str, s: dict) -> str:
    interval = f" ({s['precision_95'][0]:.2f}–{s['precision_95'][1]:.2f})" if s.get("precision_95") else ""
    return (f"| {label} | {s['precision']}{interval} | {s['coverage']} | {s['refusal_accuracy']} | "
            f"{s['answers_shown']} |")


def svg(curves: dict[str, list[tuple[float, float, float]]], baselines: dict[str, tuple[float, float]]) -> str:
    """Precision (y) against coverage (x), one polyline a set, the thresholds as points; the
    claim check alone (before the verifier) as a hollow circle."""
    w, h, pad = 520, 380, 50
    colors = ["#2563eb", "#dc2626", "#16a34a", "#9333ea"]

    def xy(coverage, precision):
        return pad + coverage * (w - 2 * pad), h - pad - precision * (h - 2 * pad)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="11">',
           f'<rect width="{w}" height="{h}" fill="white"/>',
           f'<line x1="{pad}" y1="{h - pad}" x2="{w - pad}" y2="{h - pad}" stroke="black"/>',
           f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{h - pad}" stroke="black"/>',
           f'<text x="{w / 2}" y="{h - 12}" text-anchor="middle">coverage (right answers / answerable)</text>',
           f'<text x="14" y="{h / 2}" transform="rotate(-90 14 {h / 2})" text-anchor="middle">precision (right / shown)</text>']
    for tick in (0, 0.2, 0.4, 0.6, 0.8, 1.0):
        x, y = xy(tick, tick)
        out += [f'<text x="{x}" y="{h - pad + 14}" text-anchor="middle">{tick:g}</text>',
                f'<text x="{pad - 6}" y="{y + 4}" text-anchor="end">{tick:g}</text>',
                f'<line x1="{pad}" y1="{y}" x2="{w - pad}" y2="{y}" stroke="#eee"/>']
    for i, (name, points) in enumerate(curves.items()):
        color = colors[i % len(colors)]
        coords = [xy(c, p) for _, c, p in points if c is not None and p is not None]
        out.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="'
                   + " ".join(f"{x:.1f},{y:.1f}" for x, y in coords) + '"/>')
        out += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"/>' for x, y in coords]
        out.append(f'<text x="{w - pad - 150}" y="{pad + 16 * i}" fill="{color}">{name}</text>')
        if name in baselines:
            x, y = xy(*baselines[name])
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="none" stroke="{color}" stroke-width="2"/>')
    out.append(f'<text x="{w - pad - 150}" y="{pad + 16 * len(curves)}">o claim check alone</text>')
    out.append("</svg>")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--heldout", action="store_true", help="the policies in force on the held-aside parts")
    parser.add_argument("--tag", default="", help="the runs of bench/devsets.py run --tag TAG (no plot drawn)")
    args = parser.parse_args()
    if args.heldout:
        print("| set | precision | coverage | refusal accuracy | answers shown |\n|---|---|---|---|---|")
        for name in ("ar-heldout", "en-heldout", "ar-heldout-rest", "en-heldout-rest"):
            loaded = load(name, args.tag)
            if loaded:
                print(line(f"{name}, claim check only (before)", scored(*loaded, CLAIM_CHECK_ONLY)))
                policy = in_force(loaded[1])
                if any(p.agree_min is not None for p in policy.values()):
                    alone = {lang: replace(p, agree_min=None) for lang, p in policy.items()}
                    print(line(f"{name}, verifier without the second reading", scored(*loaded, alone)))
                print(line(f"{name}, verifier", scored(*loaded, policy)))
        return
    curves, baselines = {}, {}
    for name in ("seed-dev", "ar-dev", "en-dev", "ar-dev-rest", "en-dev-rest"):
        loaded = load(name, args.tag)
        if not loaded:
            print(f"{name}: no results (bench/devsets.py run first)", file=sys.stderr)
            continue
        questions, rows = loaded
        print(f"\n{name}: {len(rows)} questions\n| policy | precision | coverage | refusal accuracy | answers shown |"
              "\n|---|---|---|---|---|")
        for label, policy in VARIANTS.items():
            print(line(label, scored(questions, rows, policy)))
        default = in_force(rows)
        print(line("default policy", scored(questions, rows, default)))
        for field, values in SWEEPS.items():
            for value in values:
                moved = {lang: replace(p, **{field: value}) for lang, p in default.items()}
                print(line(f"default, {field} = {value}", scored(questions, rows, moved)))
        points = []
        for t in CURVE_THRESHOLDS:
            s = scored(questions, rows, {lang: replace(p, support_min=t) for lang, p in default.items()})
            points.append((t, s["coverage"], s["precision"]))
            print(line(f"default, support >= {t}", s))
        if not name.endswith("-rest"):  # the plot: the dev parts, drafted without the second reading
            curves[name] = points
        before = scored(questions, rows, CLAIM_CHECK_ONLY)
        baselines[name] = (before["coverage"], before["precision"])
    if curves and not args.tag:
        PLOT.parent.mkdir(parents=True, exist_ok=True)
        PLOT.write_text(svg(curves, baselines), encoding="utf-8")
        print(f"\nplot: {PLOT.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
