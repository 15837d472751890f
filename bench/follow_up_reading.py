"""What the LLM reads for a follow-up: is the gold answer among the passage sentences chosen for it
(rag.condense), when they are picked by the follow-up with the question before it (the search
query) or by the follow-up's own words? No LLM: retrieval and the choice of sentences only.

    .venv/bin/python bench/follow_up_reading.py [--part dev|heldout] [--data ../shared/data/xquad]
    .venv/bin/python bench/follow_up_reading.py --write    (then, through the LLM:)
    .venv/bin/python bench/devsets.py run --lang ar --part dev-new-subject

Two kinds of follow-ups, both languages, on the index of bench/devsets.py (built first):
- `same subject`: the part's FOLLOW_UPS items of bench/devsets.py (the name shared with the
  question before replaced by "it" / "ذلك"), which need the question before;
- `new subject`: the first two questions of each XQuAD paragraph of the part, the second asked
  as it is after the first (answered with its gold span): the question before is about another
  thing of the same article.
For each, how the sentences are chosen: the search query's vector and terms (as before), the
follow-up's own terms, its own vector too, and the sum of both vectors. Counted over the
questions past the gate: gold span in what the LLM reads (and, as a ceiling, in the retrieved
passages). Gold spans in Arabic (the corpus's language) for both languages' questions.
`--write` writes the part's `new subject` items as questions for `bench/devsets.py run --part
PART-new-subject` (bench/results/devsets/xquad-LANG-PART-new-subject.jsonl) and reads nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

from rag import condense, grounding  # noqa: E402
from rag.arabic import normalize  # noqa: E402
from rag.chat import Assistant  # noqa: E402
from rag.config import REPO_ROOT, Settings  # noqa: E402
from rag.retriever import search_query  # noqa: E402

from devsets import write_questions  # noqa: E402
from xquad import load_xquad  # noqa: E402

WORK = REPO_ROOT / "bench/results/devsets"


def items(part: str, data: Path) -> list[dict]:
    """(kind, lang, question, history, gold_ar) of the part's follow-ups of both kinds."""
    _, questions = load_xquad(data)
    by_id = {q["id"]: q for q in questions}
    rows = [json.loads(line) for line in (WORK / f"xquad-ar-{part}.jsonl").read_text(encoding="utf-8").splitlines()]
    paragraphs = {r["article"] for r in rows if r["answerable"]}
    out = []
    for lang in ("ar", "en"):
        for line in (WORK / f"xquad-{lang}-{part}.jsonl").read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            if r["history"]:
                q = by_id[r["id"].removeprefix(f"xq-{lang}-").removesuffix("-follow-up")]
                out.append({"kind": "same subject", "lang": lang, "question": r["question"],
                            "history": [tuple(t) for t in r["history"]], "gold": q["gold_ar"]})
    for article in sorted(paragraphs):
        group = [q for q in questions if q["article"] == article]
        for first, second in zip(group, group[1:2]):  # one pair a paragraph
            for lang in ("ar", "en"):
                out.append({"kind": "new subject", "lang": lang, "question": second[lang], "id": second["id"],
                            "article": article, "history": [(first[lang], first[f"gold_{lang}"])],
                            "gold": second["gold_ar"], "gold_asked": second[f"gold_{lang}"]})
    return out


def write(part: str, found: list[dict]) -> None:
    for lang in ("ar", "en"):
        rows = [{"id": f"xq-{lang}-{i['id']}-new-subject", "question": i["question"], "lang": lang, "answerable": True,
                 "article": i["article"], "gold": [i["gold_asked"]], "history": i["history"], "held_back_article": None}
                for i in found if i["kind"] == "new subject" and i["lang"] == lang]
        write_questions(WORK / f"xquad-{lang}-{part}-new-subject.jsonl", rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("dev", "heldout"), default="dev")
    parser.add_argument("--data", default=str(REPO_ROOT.parent / "shared/data/xquad"))
    parser.add_argument("--write", action="store_true", help="write the new-subject questions for devsets.py run")
    args = parser.parse_args()
    if args.write:
        write(args.part, items(args.part, Path(args.data)))
        return
    settings = dataclasses.replace(Settings.load(), index_dir=WORK / "index")
    assistant = Assistant(settings)
    embed = assistant.embedder
    ways = ("query vector, query terms", "query vector, own terms", "own vector, own terms",
            "both vectors, own terms", "both vectors, query terms")
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for item in items(args.part, Path(args.data)):
        query = search_query(item["question"], item["history"])
        retrieval = assistant.retriever.retrieve(query, settings.top_k, budget_tokens=settings.passage_tokens,
                                                 passages_per_article=settings.passages_per_article)
        if not grounding.passes_gate(retrieval.best_score):
            continue
        passages = retrieval.passages
        gold = normalize(item["gold"])
        own = embed.encode_query([item["question"]])[0]
        both = retrieval.query_vector + own
        both = both / np.linalg.norm(both)
        inputs = {ways[0]: (query, retrieval.query_vector), ways[1]: (item["question"], retrieval.query_vector),
                  ways[2]: (item["question"], own), ways[3]: (item["question"], both), ways[4]: (query, both)}
        tally = counts.setdefault((item["kind"], item["lang"]), {"questions": 0, "retrieved": 0, **dict.fromkeys(ways, 0)})
        tally["questions"] += 1
        tally["retrieved"] += any(gold in normalize(p.text) for p in passages)
        for way, (text, vector) in inputs.items():
            read, _ = condense.select(passages, text, vector,
                                      lambda evidence: assistant._embed_evidence(passages, evidence),
                                      embed.count_tokens, settings.evidence_tokens)
            tally[way] += any(gold in normalize(p.prompt_text) for p in read)
    print(f"gold span in what the LLM reads, {args.part} part, questions past the gate "
          f"(RAG_EVIDENCE_TOKENS={settings.evidence_tokens})")
    print(f"{'kind':<14}{'lang':<5}{'n':>4}{'retrieved':>10}" + "".join(f"{w:>28}" for w in ways))
    for (kind, lang), tally in sorted(counts.items()):
        print(f"{kind:<14}{lang:<5}{tally['questions']:>4}{tally['retrieved']:>10}"
              + "".join(f"{tally[w]:>28}" for w in ways))


if __name__ == "__main__":
    main()
