"""Answer-level dev sets from XQuAD that the pipeline was never tuned on, with questions the corpus
cannot answer, and a part kept aside.

    .venv/bin/python bench/devsets.py build  [--data ../shared/data/xquad]
    .venv/bin/python bench/devsets.py run --lang ar|en --part dev|heldout [--limit N]
    (--part dev-new-subject: the follow-ups of bench/follow_up_reading.py --write)
    .venv/bin/python bench/devsets.py build-rest [--of dev]   (then run --part heldout-rest / dev-rest)

`build` (fixed seed 2026): 48 of the 240 Arabic paragraphs are held back, the other 192 are
ingested by the product's own path into bench/results/devsets/index. 240 questions of the kept
paragraphs (answerable, with their gold spans) and 80 of the held-back ones (unanswerable: their
article is not in the corpus, so they must be refused) make each language's set; the English
set asks the same questions in English (cross-lingual). Paragraphs, not questions, are split in
half between the `dev` part (tune on it) and the `heldout` part (never read its answers: `run`
prints only its summary). Each part also has 12 follow-ups (FOLLOW_UPS): a question of a
paragraph asked after another of the same paragraph, the name they share replaced by "it" / "ذلك"
(bench/devsets.follow_ups). Files: bench/results/devsets/xquad-{ar,en}-{dev,heldout}.jsonl,
questions in `rag eval`'s format with `gold` and `article`. `build-rest` writes the held-aside
paragraphs' other questions (438 a language, none of them sampled above) as the part
`heldout-rest`: read by nobody, for a figure closer than the held-aside part's 171 questions
give (about 30 answers shown). `build-rest --of dev` writes the dev part's paragraphs' other
questions the same way as the part `dev-rest`: more questions to tune on.

`run` asks one part through the whole answer path on that index (as `rag eval` does) and prints
rag.evaluate's summary: precision, coverage, refusal accuracy, gold-span recall, the
precision-coverage curve; for the dev part each answer too. Every row (draft, verdicts and
signals of each sentence) goes to bench/results/devsets/result-LANG-PART.json, where
bench/calibrate.py scores verifier policies without the LLM. `--lang seed` runs the seed set
(tests/data/seed_questions.jsonl) on the default index the same way.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import re
import statistics
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from rag.config import REPO_ROOT, Settings  # noqa: E402
from rag.names import name_in  # noqa: E402
from rag.evaluate import load_questions, run  # noqa: E402

from xquad import load_xquad  # noqa: E402  (bench/ is on the path when run as a script)

WORK = REPO_ROOT / "bench/results/devsets"
SEED = 2026
HELD_BACK_PARAGRAPHS = 48
ANSWERABLE, UNANSWERABLE = 240, 80
FOLLOW_UPS = 12  # multi-turn items a part and language

_CAPITALIZED = re.compile(r"\b[A-Z0-9][\w'-]*(?:\s+(?:of\s+the\s+|of\s+|the\s+)?[A-Z0-9][\w'-]*)*")
_QUESTION_WORDS = {"What", "Which", "Who", "Whom", "Whose", "When", "Where", "Why", "How", "In", "On", "At",
                   "Did", "Does", "Do", "Is", "Are", "Was", "Were", "The", "A", "An", "By", "For", "From"}


def _shared_name(first: str, second: str) -> str | None:
    """The longest run of capitalized words (numbers too) of `second` that `first` also holds."""
    runs = [m.group() for m in _CAPITALIZED.finditer(second)]
    runs = [" ".join(r.split()[1:]) if r.split()[0] in _QUESTION_WORDS else r for r in runs]
    shared = [r for r in runs if len(r) > 3 and re.search(rf"\b{re.escape(r)}\b", first)]
    return max(shared, key=len) if shared else None


def _as_pronoun(question: str, name: str) -> str:
    """The English question with `name` said as "it" ("Luther's works" -> "its works")."""
    n = re.escape(name)
    for pattern, pronoun in ((rf"\b{n}'s\b", "its"), (rf"\b(?:the )?{n}\b", "it")):
        if re.search(pattern, question):
            question = re.sub(pattern, pronoun, question, count=1)
            return question[0].upper() + question[1:]
    return question


def _arabic_name(question: str, name: str) -> str | None:
    """The run of words of the Arabic question that spell every word of the English name
    (rag.names), or None."""
    words = question.rstrip("؟?").split()
    parts = [part for part in name.split() if len(part) > 2]
    found = [w for w in words if any(name_in(part, w) for part in parts)]
    if not parts or not all(any(name_in(part, w) for w in found) for part in parts):
        return None
    first, last = words.index(found[0]), words.index(found[-1])
    return " ".join(words[first:last + 1]) if last - first < 4 else None


def follow_ups(questions: list[dict], taken: set[str]) -> list[dict]:
    """Two questions of one paragraph, the second asked as a follow-up: the name it shares with
    the first (in English by its spelling, in Arabic across scripts) replaced by "it" / "ذلك",
    the first asked before it and answered with its gold span."""
    by_paragraph: dict[str, list[dict]] = {}
    for q in questions:
        by_paragraph.setdefault(q["article"], []).append(q)
    items = []
    for group in by_paragraph.values():
        for first, second in zip(group, group[1:]):
            if second["id"] in taken:
                continue
            name = _shared_name(first["en"], second["en"])
            words = name and _arabic_name(second["ar"], name)
            if not words or not _arabic_name(first["ar"], name):
                continue
            items.append({**second, "en": _as_pronoun(second["en"], name), "ar": second["ar"].replace(words, "ذلك", 1),
                          "history": {"en": [[first["en"], first["gold_en"]]], "ar": [[first["ar"], first["gold_ar"]]]}})
            break
    return items


def split(paragraphs: list[dict], questions: list[dict]) -> dict:
    """The fixed split (seed SEED): held-back paragraphs, the held-aside part's paragraphs, and the
    questions sampled (answerable, unanswerable, follow-ups)."""
    rng = random.Random(SEED)
    order = [p["id"] for p in paragraphs]
    rng.shuffle(order)
    held_back = set(order[:HELD_BACK_PARAGRAPHS])
    kept = order[HELD_BACK_PARAGRAPHS:]
    # half of each kind of paragraph in each part
    heldout_part = set(kept[: len(kept) // 2]) | set(sorted(held_back)[: len(held_back) // 2])
    answerable = rng.sample([q for q in questions if q["article"] not in held_back], ANSWERABLE)
    unanswerable = rng.sample([q for q in questions if q["article"] in held_back], UNANSWERABLE)
    sampled = {q["id"] for q in answerable}
    multi_turn = []
    for part_paragraphs in (heldout_part, set(kept) - heldout_part):
        pool = [q for q in questions if q["article"] in part_paragraphs and q["article"] not in held_back]
        multi_turn += rng.sample(follow_ups(pool, sampled), FOLLOW_UPS)
    return {"held_back": held_back, "heldout_part": heldout_part, "answerable": answerable,
            "unanswerable": unanswerable, "multi_turn": multi_turn}


def _row(q: dict, lang: str, answerable: bool, held_back: bool) -> dict:
    return {"id": f"xq-{lang}-{q['id']}" + ("-follow-up" if "history" in q else ""),
            "question": q[lang], "lang": lang, "answerable": answerable,
            "article": q["article"] if answerable else None,
            "gold": [q[f"gold_{lang}"]] if answerable else [],
            "history": q.get("history", {}).get(lang, []),
            "held_back_article": q["article"] if held_back else None}


def write_questions(path: Path, rows: list[dict]) -> None:
    """Questions in `rag eval`'s format (rows of _row), one JSON line each, and how many of each kind."""
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{path.name}: {sum(r['answerable'] for r in rows)} answerable, "
          f"{sum(not r['answerable'] for r in rows)} unanswerable")


def build(data: Path) -> None:
    from rag.embedder import Embedder
    from rag.ingest import ingest

    if not (data / "xquad.ar.json").is_file():
        sys.exit(f"no XQuAD in {data}: point --data at a copy of it (../shared/data/xquad)")
    paragraphs, questions = load_xquad(data)
    parts = split(paragraphs, questions)
    answerable, unanswerable, multi_turn = parts["answerable"], parts["unanswerable"], parts["multi_turn"]
    WORK.mkdir(parents=True, exist_ok=True)
    for lang in ("ar", "en"):
        for part in ("dev", "heldout"):
            write_questions(WORK / f"xquad-{lang}-{part}.jsonl",
                            [_row(q, lang, q in answerable or q in multi_turn, q in unanswerable)
                             for q in answerable + unanswerable + multi_turn
                             if (q["article"] in parts["heldout_part"]) == (part == "heldout")])
    held_back = parts["held_back"]
    corpus = WORK / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in paragraphs if p["id"] not in held_back),
                      encoding="utf-8")
    settings = dataclasses.replace(Settings.load(), index_dir=WORK / "index")
    report = ingest([corpus], settings, Embedder.from_settings(settings))
    print(f"index: {report.total_articles} articles, {report.total_chunks} chunks")


def build_rest(data: Path, of: str = "heldout") -> None:
    """A part's other questions: every question of its paragraphs that no part samples
    (answerable where the paragraph is in the corpus, to be refused where it is held back). Of
    the held-aside part, a larger part nobody has read, for a closer figure than the held-aside
    part's; of the dev part, more to tune on. Same index. Written as xquad-LANG-PART-rest.jsonl,
    after checking that the split is the one `build` wrote."""
    paragraphs, questions = load_xquad(data)
    parts = split(paragraphs, questions)
    sampled = parts["answerable"] + parts["unanswerable"] + parts["multi_turn"]
    used = {q["id"] for q in sampled}
    in_heldout = of == "heldout"
    for lang in ("ar", "en"):
        written = {q.id for q in load_questions(WORK / f"xquad-{lang}-{of}.jsonl")}
        again = {_row(q, lang, False, False)["id"] for q in sampled
                 if (q["article"] in parts["heldout_part"]) == in_heldout}
        if written != again:
            sys.exit(f"xquad-{lang}-{of}.jsonl is not the split of this code and data: run build again")
        write_questions(WORK / f"xquad-{lang}-{of}-rest.jsonl",
                        [_row(q, lang, q["article"] not in parts["held_back"], q["article"] in parts["held_back"])
                         for q in questions
                         if (q["article"] in parts["heldout_part"]) == in_heldout and q["id"] not in used])


def spread(values) -> dict | None:
    """Median and p90 of some measurements (None when there are none)."""
    values = sorted(values)
    return {"median": round(statistics.median(values), 2),
            "p90": round(values[int(0.9 * (len(values) - 1))], 2)} if values else None


def _costs(rows: list[dict]) -> dict:
    """Median and p90 of the new prompt tokens, first token and total over the questions the LLM
    answered (the gate's refusals cost nothing)."""
    llm = [r for r in rows if "new_prompt_tokens" in r]
    return {"llm_questions": len(llm),
            "new_prompt_tokens": spread([r["new_prompt_tokens"] for r in llm]),
            "first_token_s": spread([r["timings"]["first_token"] for r in llm]),
            "total_s": spread([r["timings"]["total"] for r in llm])}


def evaluate(lang: str, part: str, limit: int | None, tag: str = "") -> None:
    from rag.chat import Assistant

    if lang == "seed":
        questions, index = load_questions(REPO_ROOT / "tests/data/seed_questions.jsonl"), Settings.load().index_dir
    else:
        questions, index = load_questions(WORK / f"xquad-{lang}-{part}.jsonl"), WORK / "index"
    questions = questions[:limit]
    assistant = Assistant(dataclasses.replace(Settings.load(), index_dir=index))
    assistant.warm_up()
    rows: list[dict] = []

    def show(result):
        rows.append(result)
        if part.startswith("dev"):
            mark = {True: "ok ", False: "BAD"}.get(result.get("correct"), "   ")
            print(f"{mark} {result['id']}: {result['answer'][:120]!r}", flush=True)
        else:
            print(f"  {len(rows)}/{len(questions)}", end="\r", flush=True)

    def answer(q):
        result = assistant.ask(q.question, q.history)
        record = result.to_json()
        # what bench/calibrate.py needs to compute the verifier's signals again with changed code
        record["passages"] = [{"title": p.title, "text": p.text, **({"read": p.prompt_text} if p.prompt_text else {})}
                              for p in result.passages]
        record["token_logprobs"] = assistant.draft_stats.get("logprobs") if result.sentences else None
        if not result.gated:  # what llama.cpp read anew for this question's draft (its prefix state kept)
            stats = assistant.draft_stats
            record["new_prompt_tokens"] = stats["prompt_tokens"] - (stats.get("reused_tokens") or 0)
        return record

    summary = run(questions, answer, show, assistant.policies)
    summary.update(_costs(rows))
    # Every row is kept, the held-aside part's too, so that bench/calibrate.py can score a
    # verifier policy on it without the LLM; it prints only summaries of that part.
    out = WORK / f"result-{lang}-{part}{'-' + tag if tag else ''}.json"
    out.write_text(json.dumps({"summary": summary, "rows": rows}, ensure_ascii=False, indent=1))
    print(json.dumps(summary, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("build")
    p.add_argument("--data", default=str(REPO_ROOT.parent / "shared/data/xquad"))
    p = sub.add_parser("build-rest", help="a part's paragraphs' unsampled questions (part heldout-rest, dev-rest)")
    p.add_argument("--data", default=str(REPO_ROOT.parent / "shared/data/xquad"))
    p.add_argument("--of", choices=("heldout", "dev"), default="heldout")
    p = sub.add_parser("run")
    p.add_argument("--lang", choices=("ar", "en", "seed"), required=True,
                   help="seed: tests/data/seed_questions.jsonl on the default index (--part dev)")
    p.add_argument("--part", choices=("dev", "heldout", "dev-new-subject", "heldout-new-subject", "heldout-rest",
                                       "dev-rest"), required=True,
                   help="PART-new-subject: follow-ups on another subject (bench/follow_up_reading.py --write)")
    p.add_argument("--limit", type=int)
    p.add_argument("--tag", default="", help="a name for this run's result file (result-LANG-PART-TAG.json)")
    args = parser.parse_args()
    if args.command == "build":
        build(Path(args.data))
    elif args.command == "build-rest":
        build_rest(Path(args.data), args.of)
    else:
        evaluate(args.lang, args.part, args.limit, args.tag)


if __name__ == "__main__":
    main()
