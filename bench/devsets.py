"""Answer-level dev sets from XQuAD that the pipeline was never tuned on, with questions the corpus
cannot answer, and a part kept aside.

    .venv/bin/python bench/devsets.py build  [--data ../shared/data/xquad]
    .venv/bin/python bench/devsets.py run --lang ar|en --part dev|heldout [--limit N]

`build` (fixed seed 2026): 48 of the 240 Arabic paragraphs are held back, the other 192 are
ingested by the product's own path into bench/results/devsets/index. 240 questions of the kept
paragraphs (answerable, with their gold spans) and 80 of the held-back ones (unanswerable: their
article is not in the corpus, so they must be refused) make each language's set; the English
set asks the same questions in English (cross-lingual). Paragraphs, not questions, are split in
half between the `dev` part (tune on it) and the `heldout` part (never read its answers: `run`
prints only its summary). Files: bench/results/devsets/xquad-{ar,en}-{dev,heldout}.jsonl,
questions in `rag eval`'s format with `gold` and `article`.

`run` asks one part through the whole answer path on that index (as `rag eval` does) and prints
rag.evaluate's summary: precision, coverage, refusal accuracy, gold-span recall; for the dev
part each answer too. The JSON goes to bench/results/devsets/result-LANG-PART.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from rag.config import REPO_ROOT, Settings  # noqa: E402
from rag.evaluate import load_questions, run  # noqa: E402

from xquad import load_xquad  # noqa: E402  (bench/ is on the path when run as a script)

WORK = REPO_ROOT / "bench/results/devsets"
SEED = 2026
HELD_BACK_PARAGRAPHS = 48
ANSWERABLE, UNANSWERABLE = 240, 80


def build(data: Path) -> None:
    from rag.embedder import Embedder
    from rag.ingest import ingest

    if not (data / "xquad.ar.json").is_file():
        sys.exit(f"no XQuAD in {data}: point --data at a copy of it (../shared/data/xquad)")
    paragraphs, questions = load_xquad(data)
    rng = random.Random(SEED)
    order = [p["id"] for p in paragraphs]
    rng.shuffle(order)
    held_back = set(order[:HELD_BACK_PARAGRAPHS])
    kept = order[HELD_BACK_PARAGRAPHS:]
    # half of each kind of paragraph in each part
    heldout_part = set(kept[: len(kept) // 2]) | set(sorted(held_back)[: len(held_back) // 2])
    answerable = rng.sample([q for q in questions if q["article"] not in held_back], ANSWERABLE)
    unanswerable = rng.sample([q for q in questions if q["article"] in held_back], UNANSWERABLE)
    WORK.mkdir(parents=True, exist_ok=True)
    for lang in ("ar", "en"):
        for part in ("dev", "heldout"):
            rows = [{"id": f"xq-{lang}-{q['id']}", "question": q[lang], "lang": lang,
                     "answerable": q in answerable, "article": q["article"] if q in answerable else None,
                     "gold": [q[f"gold_{lang}"]] if q in answerable else [],
                     "held_back_article": q["article"] if q in unanswerable else None}
                    for q in answerable + unanswerable if (q["article"] in heldout_part) == (part == "heldout")]
            path = WORK / f"xquad-{lang}-{part}.jsonl"
            path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
            print(f"{path.name}: {sum(r['answerable'] for r in rows)} answerable, "
                  f"{sum(not r['answerable'] for r in rows)} unanswerable")
    corpus = WORK / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in paragraphs if p["id"] not in held_back),
                      encoding="utf-8")
    settings = dataclasses.replace(Settings.load(), index_dir=WORK / "index")
    report = ingest([corpus], settings, Embedder.from_settings(settings))
    print(f"index: {report.total_articles} articles, {report.total_chunks} chunks")


def evaluate(lang: str, part: str, limit: int | None) -> None:
    from rag.chat import Assistant

    questions = load_questions(WORK / f"xquad-{lang}-{part}.jsonl")[:limit]
    assistant = Assistant(dataclasses.replace(Settings.load(), index_dir=WORK / "index"))
    assistant.warm_up()
    rows: list[dict] = []

    def show(result):
        rows.append(result)
        if part == "dev":
            mark = {True: "ok ", False: "BAD"}.get(result.get("correct"), "   ")
            print(f"{mark} {result['id']}: {result['answer'][:120]!r}", flush=True)
        else:
            print(f"  {len(rows)}/{len(questions)}", end="\r", flush=True)

    summary = run(questions, lambda q: assistant.ask(q.question, q.history).to_json(), show)
    out = WORK / f"result-{lang}-{part}.json"
    out.write_text(json.dumps({"summary": summary, "rows": rows if part == "dev" else []},
                              ensure_ascii=False, indent=1))
    print(json.dumps(summary, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("build")
    p.add_argument("--data", default=str(REPO_ROOT.parent / "shared/data/xquad"))
    p = sub.add_parser("run")
    p.add_argument("--lang", choices=("ar", "en"), required=True)
    p.add_argument("--part", choices=("dev", "heldout"), required=True)
    p.add_argument("--limit", type=int)
    args = parser.parse_args()
    if args.command == "build":
        build(Path(args.data))
    else:
        evaluate(args.lang, args.part, args.limit)


if __name__ == "__main__":
    main()
